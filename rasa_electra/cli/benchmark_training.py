"""Time `rasa train nlu` by stage on several data files: what a bot builder waits for.

    rasa-electra benchmark-training --config config-trainable.yml \
        --data data/booking-bot/train.yml --data data/small-data/train-1000.yml \
        --out reports/training-time

Each run's stages (the data, the fine-tuning, the conversion, the archive) come from `rasa
train`'s own log; results.json and a markdown table go to --out.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from dataclasses import asdict
from pathlib import Path

STAGES = ("data", "fine-tuning", "conversion", "loading", "archive")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", type=Path, required=True, help="the Rasa pipeline to train")
    parser.add_argument(
        "--data", type=Path, action="append", required=True, help="NLU data (repeatable)"
    )
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    missing = [str(p) for p in [args.config, *args.data] if not p.is_file()]
    if missing:
        parser.error(f"no file at {', '.join(missing)}")
    from rasa_electra.data.rasa_nlu import read_rasa_data
    from rasa_electra.evaluation.training_time import time_training

    rows = []
    for number, nlu in enumerate(args.data):
        timed = time_training(args.config.resolve(), nlu.resolve(), (args.out / f"run-{number}"))
        rows.append({**asdict(timed), "messages": len(read_rasa_data(nlu))})
    report = {"config": str(args.config), "machine": platform.processor() or platform.machine(),
              "runs": rows}  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    table = training_table(rows)
    (args.out / "results.md").write_text(table + "\n", "utf-8")
    print(table)
    return 0


def training_table(rows: list[dict]) -> str:
    """One row per data file: messages, the whole `rasa train nlu` and each stage, seconds."""
    head = "| data | messages | rasa train s | " + " | ".join(f"{s} s" for s in STAGES) + " |"
    lines = [head, "| --- | ---: | ---: |" + " ---: |" * len(STAGES)]
    for row in rows:
        stages = " | ".join(f"{row['stages'].get(s, 0.0):.0f}" for s in STAGES)
        lines.append(f"| {row['data']} | {row['messages']} | {row['seconds']:.0f} | {stages} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
