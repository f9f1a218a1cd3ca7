"""Write the small-data benchmark's files: GSD train samples, dev and test, labels renamed.

python -m lab small-data --gsd data/gsd_v2.6-NE --out data/small-data
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lab.small_data import SIZES, write_benchmark
from rasa_electra.data.rasa_nlu import read_rasa_data
from rasa_electra.data.spans import count_labels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--gsd", type=Path, required=True, help="converted GSD (train.yml, dev.yml, test.yml)"
    )
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--seed", type=int, default=0, help="which sentences each sample holds")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    for path in write_benchmark(args.gsd, args.out, sizes, args.seed):
        examples = read_rasa_data(path)
        labels = count_labels(examples)
        print(f"{path}: {len(examples)} sentences, {sum(labels.values())} entities, "
              f"{len(labels)} labels")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
