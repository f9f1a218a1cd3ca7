"""The dev ablation table: one row per lever, mean ± std over its seeds, from the runs on disk.

    rasa-electra ablation --runs results/ablation \
        --decoding softmax=results/ablation/decoding-softmax.json

Each run is a ``rasa-electra finetune --out RUNS/<lever>-s<seed>`` folder (its
``results.json``); the folders of one lever differ only in the seed. ``--decoding`` adds the
rows of ``score-decoding`` (one lever's models, decoded each way). Rows keep the order of
``--order`` (lever names), else their names' order. Test is left out: it is read once, for the final
recipe, by ``make eval``.

``--record docs/ablation.json`` keeps each lever's dev summary in the repository, where the runs
are not; ``--cost RESULTS.json --lever NAME`` then reads it to say what a shortened fine-tuning
(``make demo``'s) gives up on dev against that lever:

    rasa-electra ablation --recorded docs/ablation.json --cost models/electra-demo/results.json \
        --lever silver50k-then-gold-soup2
"""

from __future__ import annotations

import argparse
import datetime as dt
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


def summaries(levers: dict[str, list[dict]]) -> dict[str, dict]:
    """Lever → its runs' dev micro P/R/F1 (mean ± std over seeds), chosen epochs and mean
    seconds an epoch (None for a soup, which trains none)."""
    found = {}
    for lever, runs in levers.items():
        trials = [trial for run in runs for trial in run["trials"]]
        seconds = [e["seconds"] for trial in trials for e in trial["epochs"]]
        found[lever] = {
            "runs": len(trials),
            "dev": summarize_trials([trial["dev"] for trial in trials])["micro"],
            "chosen": [trial.get("chosen") or trial["best_epoch"] for trial in trials],
            "seconds_per_epoch": sum(seconds) / len(seconds) if seconds else None,
        }
    return found


def decoding_summaries(decodings: dict[str, dict]) -> dict[str, dict]:
    """``<lever>+<decoding>`` → that lever's exports decoded that way, as ``summaries`` has
    them: the record keeps these rows too, so a decoding can be the lever a cost is priced by."""
    return {
        f"{models}+{name}": {
            "runs": len(decoding["exports"]),
            "dev": summary,
            "chosen": [],
            "seconds_per_epoch": None,
        }
        for models, decoding in decodings.items()
        for name, summary in decoding["summary"].items()
    }


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
    rows = summaries(levers)
    for lever in sorted(rows, key=lambda n: (order.index(n) if n in order else len(order), n)):
        row, micro = rows[lever], rows[lever]["dev"]
        per_epoch = f"{row['seconds_per_epoch']:.0f}" if row["seconds_per_epoch"] else ""
        lines.append(
            f"| {lever} | {row['runs']} | {cell(micro['precision'])} | {cell(micro['recall'])} | "
            f"**{cell(micro['f1'])}** | {', '.join(map(str, row['chosen']))} | {per_epoch} |"
        )
    return "\n".join(lines)


def cost(results: dict, recorded: dict, lever: str) -> str:
    """One finetune run's dev F1 against a recorded lever's: what the shortening gave up."""
    if lever not in recorded["levers"]:
        raise KeyError(f"no lever {lever!r} in the record; it has {', '.join(recorded['levers'])}")
    own = summarize_trials([trial["dev"] for trial in results["trials"]])["micro"]["f1"]
    row = recorded["levers"][lever]
    theirs = row["dev"]["f1"]
    runs = len(results["trials"])
    mine = cell(own) if runs > 1 else f"{100 * own['mean']:.2f}"
    return (
        f"this fine-tuning: dev F1 {mine} ({runs} run{'s' if runs > 1 else ''}); "
        f"{lever}: {cell(theirs)} over {row['runs']} (recorded {recorded['date']}); "
        f"the shortening costs {100 * (theirs['mean'] - own['mean']):.2f} dev F1 points"
    )


def plot_curves(levers: dict[str, list[dict]], out: Path) -> Path:
    """Dev F1 by epoch, one line per run, one colour per lever (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.2))
    colours = plt.get_cmap("tab20").colors  # one colour per lever for up to 20 levers
    trained = {
        lever: runs
        for lever, runs in levers.items()
        if any(t["epochs"] for run in runs for t in run["trials"])
    }  # soups train none
    for number, (lever, runs) in enumerate(sorted(trained.items())):
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
    parser.add_argument("--runs", type=Path, help="folder of <lever>-s<seed>/")
    parser.add_argument(
        "--decoding", action="append", default=[],
        help="LEVER=PATH: score-decoding's JSON for that lever's exports (repeatable)",
    )  # fmt: skip
    parser.add_argument("--order", default="", help="lever names in row order, comma-separated")
    parser.add_argument("--plot", type=Path, help="write dev F1 by epoch per run here (PNG)")
    parser.add_argument("--record", type=Path, help="write each lever's dev summary here (JSON)")
    parser.add_argument("--recorded", type=Path, help="a --record file, for --cost")
    parser.add_argument("--cost", type=Path, help="a finetune results.json to set against --lever")
    parser.add_argument("--lever", help="the recorded lever --cost compares with")
    args = parser.parse_args(argv)
    if args.cost:
        if not (args.recorded and args.lever):
            parser.error("--cost needs --recorded and --lever")
        for path in (args.cost, args.recorded):
            if not path.is_file():
                parser.error(f"no file at {path}")
        results = json.loads(args.cost.read_text(encoding="utf-8"))
        recorded = json.loads(args.recorded.read_text(encoding="utf-8"))
        try:
            print(cost(results, recorded, args.lever))
        except KeyError as error:
            parser.error(str(error.args[0]))
        return 0
    if not args.runs or not args.runs.is_dir():
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
    if args.record:
        command = " ".join(["rasa-electra ablation", *(sys.argv[1:] if argv is None else argv)])
        recorded = {**summaries(levers), **decoding_summaries(decodings)}
        body = {"date": str(dt.date.today()), "command": command, "levers": recorded}
        args.record.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.record}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
