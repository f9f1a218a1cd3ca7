"""Plot a pretraining run's loss curves (the export does this too).

python -m rasa_electra.cli.plot_pretraining models/electra-small-ja   # writes RUN/curves.png
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rasa_electra.pretraining.curves import plot_curves, read_log


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", type=Path, help="the pretraining --out folder (has log.jsonl)")
    parser.add_argument("--out", type=Path, help="PNG path (default RUN/curves.png)")
    parser.add_argument("--title", default="ELECTRA pretraining")
    args = parser.parse_args(argv)
    path = plot_curves(read_log(args.run / "log.jsonl"), args.out or args.run / "curves.png",
                       args.title)  # fmt: skip
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
