"""Time `rasa train nlu` by stage on several data files: what a bot builder waits for.

    rasa-electra benchmark-training --config config-trainable.yml \
        --data data/booking-bot/train.yml --data data/small-data/train-1000.yml \
        --out reports/training-time

Each run's stages (the data, the fine-tuning, the conversion, the archive) come from `rasa
train`'s own log; results.json and a markdown table go to --out.

With ``--then-finetune FILE``, each trained model is then continued the way a bot builder
retrains after an edit: the data plus FILE's first ``--finetune-examples`` examples, through
`rasa train --finetune --epoch-fraction F`, timed the same way. ``--test`` scores every
archive on a held-out file (the added examples left out of it), so the continued model's F1
stands beside the first one's.
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
    parser.add_argument(
        "--then-finetune", type=Path, help="NLU data whose first examples are added"
    )
    parser.add_argument("--finetune-examples", type=int, default=5)
    parser.add_argument("--epoch-fraction", type=float, default=0.2, help="rasa train's own flag")
    parser.add_argument("--test", type=Path, help="held-out NLU data each archive is scored on")
    args = parser.parse_args(argv)
    given = [args.config, *args.data, *filter(None, (args.then_finetune, args.test))]
    missing = [str(p) for p in given if not p.is_file()]
    if missing:
        parser.error(f"no file at {', '.join(missing)}")
    rows = []
    for number, nlu in enumerate(args.data):
        rows.extend(time_one(args, nlu.resolve(), (args.out / f"run-{number}").resolve()))
    report = {"config": str(args.config), "machine": platform.processor() or platform.machine(),
              "runs": rows}  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    table = training_table(rows)
    (args.out / "results.md").write_text(table + "\n", "utf-8")
    print(table)
    return 0


def time_one(args: argparse.Namespace, nlu: Path, workdir: Path) -> list[dict]:
    """One data file's `rasa train` (and its `--finetune` after an edit), each row with its
    messages and, with ``--test``, the archive's held-out F1."""
    from rasa_electra.data.rasa_nlu import read_rasa_data, write_rasa_yaml
    from rasa_electra.evaluation.training_time import time_training

    added = read_rasa_data(args.then_finetune)[: args.finetune_examples] if args.then_finetune \
        else []  # fmt: skip
    test = [e for e in read_rasa_data(args.test) if e not in added] if args.test else []
    runs = [(nlu, None, len(read_rasa_data(nlu)))]
    if added:
        edited = workdir / "edited"
        edited.mkdir(parents=True, exist_ok=True)
        write_rasa_yaml(read_rasa_data(nlu), edited / "nlu.yml")
        write_rasa_yaml(added, edited / "added.yml")
        runs.append((edited, workdir / "model.tar.gz", runs[0][2] + len(added)))
    rows = []
    for data, previous, messages in runs:
        name = "finetuned" if previous else "model"
        timed = time_training(args.config.resolve(), data, workdir, previous,
                              args.epoch_fraction, name)  # fmt: skip
        row = {**asdict(timed), "messages": messages}
        if test:
            row["test_f1"] = held_out_f1(workdir / f"{name}.tar.gz", test)
        rows.append(row)
    return rows


def held_out_f1(archive: Path, test: list) -> float:
    from rasa_electra.data.span_metrics import score_spans
    from rasa_electra.evaluation.rasa_agent import parse_examples

    parsed = parse_examples(archive, [e.text for e in test], "scoring")
    return round(100 * score_spans(test, parsed.predictions).micro.f1, 2)


def training_table(rows: list[dict]) -> str:
    """One row per run: messages, the whole `rasa train nlu` and each stage, seconds (and the
    held-out F1 when scored)."""
    scored = any("test_f1" in row for row in rows)
    head = "| data | messages | rasa train s | " + " | ".join(f"{s} s" for s in STAGES) + " |"
    lines = [head + (" held-out F1 |" if scored else ""),
             "| --- | ---: | ---: |" + " ---: |" * (len(STAGES) + scored)]  # fmt: skip
    for row in rows:
        stages = " | ".join(f"{row['stages'].get(s, 0.0):.0f}" for s in STAGES)
        f1 = f" {row['test_f1']:.2f} |" if "test_f1" in row else (" – |" if scored else "")
        lines.append(f"| {row['data']} | {row['messages']} | {row['seconds']:.0f} | {stages} |{f1}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
