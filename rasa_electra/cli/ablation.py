"""The dev ablation table: one row per lever, mean ± std over its seeds, from the runs on disk.

    rasa-electra ablation --runs results/ablation \
        --decoding softmax=results/ablation/decoding-softmax.json

Each run is a ``rasa-electra finetune --out RUNS/<lever>-s<seed>`` folder (its
``results.json``); the folders of one lever differ only in the seed. ``--decoding`` adds the
rows of ``score-decoding`` (one lever's models, decoded each way). Rows keep the order of
``--order`` (lever names), else their names' order. Test is left out: it is read once, for the final
recipe, by ``make eval``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from rasa_electra.data.span_metrics import summarize_trials
from rasa_electra.evaluation.scoreboard import format_stat, scaled

SEEDED = re.compile(r"^(?P<lever>.+)-s(?P<seed>\d+)$")


def lever_runs(runs: Path) -> dict[str, list[dict]]:
    """Lever name → its runs' ``results.json`` contents (finished runs only)."""
    found: dict[str, list[dict]] = {}
    for folder in sorted(p for p in runs.iterdir() if p.is_dir()):
        match = SEEDED.match(folder.name)
        if match and (folder / "results.json").is_file():
            result = json.loads((folder / "results.json").read_text(encoding="utf-8"))
            found.setdefault(match["lever"], []).append(result)
    return found


def cell(stat: dict) -> str:
    """A fraction's mean ± std in percent, as the scoreboard writes it."""
    return format_stat(scaled(stat))


def table(levers: dict[str, list[dict]], decodings: dict[str, dict], order: list[str]) -> str:
    lines = [
        "| lever | seeds | dev P | dev R | dev F1 | best epoch | s / epoch |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for models, decoding in decodings.items():
        for name, summary in decoding["summary"].items():
            lines.append(
                f"| {models} models, decoded by {name} | {len(decoding['exports'])} | "
                f"{cell(summary['precision'])} | {cell(summary['recall'])} | "
                f"**{cell(summary['f1'])}** | | |"
            )
    for lever in sorted(levers, key=lambda n: (order.index(n) if n in order else len(order), n)):
        runs = levers[lever]
        micro = summarize_trials([trial["dev"] for run in runs for trial in run["trials"]])["micro"]
        epochs = [
            trial.get("chosen") or trial["best_epoch"] for run in runs for trial in run["trials"]
        ]
        seconds = [e["seconds"] for run in runs for trial in run["trials"] for e in trial["epochs"]]
        per_epoch = f"{sum(seconds) / len(seconds):.0f}" if seconds else ""  # a soup trains none
        lines.append(
            f"| {lever} | {len(epochs)} | {cell(micro['precision'])} | {cell(micro['recall'])} | "
            f"**{cell(micro['f1'])}** | {', '.join(map(str, epochs))} | {per_epoch} |"
        )
    return "\n".join(lines)


def plot_curves(levers: dict[str, list[dict]], out: Path) -> Path:
    """Dev F1 by epoch, one line per run, one colour per lever (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.2))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for number, (lever, runs) in enumerate(sorted(levers.items())):
        for k, trial in enumerate(t for run in runs for t in run["trials"]):
            points = [(e["epoch"], 100 * e["dev_f1"]) for e in trial["epochs"] if e["dev_f1"]]
            if points:
                axes.plot(*zip(*points, strict=True), marker="o", markersize=3,
                          color=colours[number % len(colours)],
                          label=lever if k == 0 else None)  # fmt: skip
    axes.set_xlabel("epoch")
    axes.set_ylabel("dev span F1")
    axes.set_title("Fine-tuning the shipped encoder on GSD v2.6-NE: dev F1 by epoch")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(out, dpi=120)
    plt.close(figure)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=Path, required=True, help="folder of <lever>-s<seed>/")
    parser.add_argument(
        "--decoding", action="append", default=[],
        help="LEVER=PATH: score-decoding's JSON for that lever's exports (repeatable)",
    )  # fmt: skip
    parser.add_argument("--order", default="", help="lever names in row order, comma-separated")
    parser.add_argument("--plot", type=Path, help="write dev F1 by epoch per run here (PNG)")
    args = parser.parse_args(argv)
    if not args.runs.is_dir():
        parser.error(f"no runs folder at {args.runs}")
    decodings = {}
    for item in args.decoding:
        lever, _, path = item.partition("=")
        if not path or not Path(path).is_file():
            parser.error(f"--decoding {item}: give LEVER=PATH of a score-decoding JSON")
        decodings[lever] = json.loads(Path(path).read_text(encoding="utf-8"))
    order = [name for name in args.order.split(",") if name]
    levers = lever_runs(args.runs)
    print(table(levers, decodings, order))
    if args.plot:
        print(f"wrote {plot_curves(levers, args.plot)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
