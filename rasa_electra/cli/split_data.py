"""Split a bot's Rasa NLU file into train.yml and test.yml (per intent, seeded).

    python -m rasa_electra.cli.split_data examples/booking_bot/data/nlu.yml \
        --test-fraction 0.3 --seed 0 --out data/booking-bot

The folder then goes to `rasa-electra evaluate --data`. Synonym, regex and lookup sections
stay in the original file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rasa_electra.data.rasa_nlu import read_rasa_data, write_rasa_yaml
from rasa_electra.data.splits import holdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("nlu", type=Path)
    parser.add_argument("--test-fraction", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    train, test = holdout(read_rasa_data(args.nlu), args.test_fraction, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    write_rasa_yaml(train, args.out / "train.yml")
    write_rasa_yaml(test, args.out / "test.yml")
    entities = sum(len(e.spans) for e in test)
    print(
        f"{len(train)} train / {len(test)} test examples ({entities} test entities) in {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
