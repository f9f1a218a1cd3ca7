"""A Rasa NLU file with every entity removed: what `rasa-electra annotate` is scored on.

    python -m lab strip-entities data/booking-bot/test.yml --out results/annotate/test-bare.yml
    rasa-electra annotate results/annotate/test-bare.yml --model ARCHIVE \
        --out results/annotate/suggested.yml --gold data/booking-bot/test.yml
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from rasa_electra.data.rasa_nlu import read_rasa_data, write_rasa_yaml


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path, help="Rasa NLU data with entities")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    examples = read_rasa_data(args.data)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_rasa_yaml([replace(e, spans=()) for e in examples], args.out)
    print(f"{len(examples)} examples, {sum(len(e.spans) for e in examples)} entities removed: "
          f"{args.out}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
