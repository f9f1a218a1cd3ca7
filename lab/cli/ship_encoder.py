"""Make a pretrained discriminator the shipped offline encoder (pretrained/electra-small-ja/).

python -m lab.cli.ship_encoder \
    --discriminator models/electra-small-ja-h200-run2/discriminator \
    --run models/gpu-run-2/run.json [--run …]

Each --run is the run.json a GPU command sent back; it becomes a row of the card's ``runs``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lab.pretraining.ship import SHIPPED, WEIGHTS_FILE, ship_encoder


def run_row(path: Path) -> dict:
    report = json.loads(path.read_text(encoding="utf-8"))
    config = report.get("config", {})
    return {
        "date": report.get("started"),
        "hardware": report.get("hardware"),
        "steps": report.get("steps"),
        "tokens_seen": report.get("tokens_seen"),
        "train_seconds": report.get("train_seconds"),
        "batch_size": config.get("batch_size"),
        "learning_rate": config.get("learning_rate"),
        "schedule_start": config.get("schedule_start"),
        "resumed": report.get("choice", {}).get("resumed"),
        "versions": report.get("versions"),  # the GPU machine's, not this machine's
        # the pack parts it read: the next kit carries the ones seen least (resume_kit)
        "parts_used": report.get("data", {}).get("parts_used"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--discriminator", type=Path, required=True)
    parser.add_argument("--run", type=Path, action="append", default=[], help="a run.json")
    parser.add_argument(
        "--date", action="append", default=[], help="a run's start (UTC) if run.json lacks it"
    )
    parser.add_argument("--out", type=Path, default=SHIPPED)
    args = parser.parse_args(argv)
    runs = [run_row(path) for path in args.run]
    for row, date in zip(runs, args.date, strict=False):
        row["date"] = row["date"] or date
    target = ship_encoder(args.discriminator, runs, args.out)
    size = (target / WEIGHTS_FILE).stat().st_size
    print(f"shipped {args.discriminator} as {target} ({size / 1024 / 1024:.1f} MiB float16)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
