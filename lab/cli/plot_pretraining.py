"""Plot a pretraining run's loss curves (the export does this too).

python -m lab.cli.plot_pretraining models/electra-small-ja   # writes RUN/curves.png
python -m lab.cli.plot_pretraining models/gpu-run-2 models/gpu-run-4 --out all.png
    # a run and its resumptions, drawn as one curve (each log holds its own steps)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lab.pretraining.curves import plot_curves, read_log


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "runs", type=Path, nargs="+", help="pretraining folders with log.jsonl, oldest first"
    )
    parser.add_argument("--out", type=Path, help="PNG path (default FIRST_RUN/curves.png)")
    parser.add_argument("--title", default="ELECTRA pretraining")
    args = parser.parse_args(argv)
    records = [record for run in args.runs for record in read_log(run / "log.jsonl")]
    path = plot_curves(records, args.out or args.runs[0] / "curves.png", args.title)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
