"""The dev ablation table: one row per lever, mean ± std over its seeds, from the runs on disk.

    python -m lab ablation --runs results/ablation \
        --decoding softmax=results/ablation/decoding-softmax.json

Each run is a ``rasa-electra finetune --out RUNS/<lever>-s<seed>`` folder (its
``results.json``); the folders of one lever differ only in the seed. ``--decoding`` adds the
rows of ``score-decoding`` (one lever's models, decoded each way). Rows keep the order of
``--order`` (lever names), else their names' order. Test is left out: it is read once, for the final
recipe, by ``make eval``.

``--record docs/ablation.json`` keeps each lever's dev summary in the repository, where the runs
are not. ``--recorded docs/ablation.json`` starts the table from that record: a lever's runs on
disk with seeds the record does not hold are pooled with its recorded summary (exactly: count,
mean and sample std), so the missing seeds of a lever can be run on a new machine without
running the others again:

    python -m lab ablation --recorded docs/ablation.json --runs results/ablation \
        --decoding softmax=results/ablation/decoding-softmax.json --record docs/ablation.json

``--cost RESULTS.json --lever NAME`` reads the record to say what a shortened fine-tuning
(``make demo``'s) gives up on dev against that lever:

    python -m lab ablation --recorded docs/ablation.json --cost models/electra-demo/results.json \
        --lever silver50k-then-gold-soup2
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from pathlib import Path

from rasa_electra.data.span_metrics import pooled_mean_std, summarize_trials
from rasa_electra.evaluation.scoreboard import format_stat, scaled

SEEDED = re.compile(r"^(?P<lever>.+)-s(?P<seed>\d+)$")


def seed_of(path: str | Path) -> int | None:
    """The seed in the name of a run folder (``<lever>-s<seed>``) that holds ``path``."""
    for part in reversed(Path(path).parts):
        if match := SEEDED.match(part):
            return int(match["seed"])
    return None


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
            "seeds": [trial.get("seed") for trial in trials],
            "dev": summarize_trials([trial["dev"] for trial in trials])["micro"],
            "chosen": [trial.get("chosen") or trial["best_epoch"] for trial in trials],
            "seconds_per_epoch": sum(seconds) / len(seconds) if seconds else None,
            "curves": [curve(trial) for trial in trials],
        }
    return found


def curve(trial: dict) -> list[list[float]]:
    """A run's dev F1 (%) by epoch, as ``[[epoch, f1], …]``: the record keeps it for the plot."""
    return [[e["epoch"], round(100 * e["dev_f1"], 2)] for e in trial["epochs"] if e["dev_f1"]]


def decoding_summaries(decodings: dict[str, dict]) -> dict[str, dict]:
    """``<lever>+<decoding>`` → that lever's exports decoded that way, as ``summaries`` has
    them: the record keeps these rows too, so a decoding can be the lever a cost is priced by."""
    return {
        f"{models}+{name}": {
            "runs": len(decoding["exports"]),
            "seeds": [seed_of(export) for export in decoding["exports"]],
            "dev": summary,
            "chosen": [],
            "seconds_per_epoch": None,
        }
        for models, decoding in decodings.items()
        for name, summary in decoding["summary"].items()
    }


def pooled_row(old: dict, old_seeds: list[int], new: dict) -> dict:
    """One lever's recorded row and its new runs as one row (seconds an epoch weighted by runs)."""
    groups = [(old["runs"], old), (new["runs"], new)]
    timed = [(n, row["seconds_per_epoch"]) for n, row in groups if row["seconds_per_epoch"]]
    return {
        "runs": old["runs"] + new["runs"],
        "seeds": [*old_seeds, *new["seeds"]],
        "dev": {
            key: pooled_mean_std([(n, row["dev"][key]) for n, row in groups]) for key in old["dev"]
        },
        "chosen": [*old["chosen"], *new["chosen"]],
        "curves": [*old.get("curves", []), *new.get("curves", [])],
        "seconds_per_epoch": (
            sum(n * s for n, s in timed) / sum(n for n, _ in timed) if timed else None
        ),
    }


def named_seeds(name: str, row: dict, recorded_seeds: dict[str, list[int]]) -> dict:
    """A recorded row with the seeds ``--recorded-seeds`` names for its lever, where it had none."""
    seeds = recorded_seeds.get(name.split("+", 1)[0])
    if seeds is None or row.get("seeds"):
        return row
    if len(seeds) != row["runs"]:
        raise ValueError(
            f"--recorded-seeds names {len(seeds)} seeds; {name!r} has {row['runs']} runs"
        )
    return {**row, "seeds": seeds}


def holds(record: dict, lever: str, seed: int) -> bool:
    """Whether the record's row for ``lever`` already has a run of ``seed``."""
    return seed in (record["levers"].get(lever, {}).get("seeds") or [])


def merged(
    recorded: dict[str, dict], fresh: dict[str, dict], recorded_seeds: dict[str, list[int]]
) -> dict[str, dict]:
    """The record's rows with the runs on disk added. A lever's new seeds are pooled with its
    recorded ones; when its runs on disk hold every recorded seed, they replace the row, and
    when the record holds every seed on disk, the record's row stands. A row
    recorded before the record kept seeds is named in ``recorded_seeds`` (lever → seeds, for
    its decoding rows too). Raises ValueError where the seeds cannot be told apart."""
    rows = {name: named_seeds(name, row, recorded_seeds) for name, row in recorded.items()}
    for name, row in fresh.items():
        old = recorded.get(name)
        if old is None:
            rows[name] = row
            continue
        kept = rows[name].get("seeds")
        if not kept:
            raise ValueError(
                f"the record's row {name!r} ({old['runs']} runs) does not say which seeds it "
                f"holds: name them, --recorded-seeds {name.split('+', 1)[0]}=42,43,…"
            )
        new = set(row["seeds"])
        if set(kept) <= new:
            rows[name] = row
        elif new <= set(kept):
            continue  # the record already counts these runs
        elif None in new or new & set(kept):
            raise ValueError(
                f"{name}: the runs on disk (seeds {sorted(map(str, new))}) hold some of the "
                f"record's ({kept}) but not all: run the rest or move these aside"
            )
        else:
            rows[name] = pooled_row(old, kept, row)
    return rows


def ordered(rows: dict[str, dict], order: list[str]) -> list[str]:
    """Row names as the table shows them: the decoding rows (``<lever>+<decoding>``) first, then
    one row per lever, each group in ``order`` (lever names), the rest after in their own order."""
    ranks = {lever: k for k, lever in enumerate([*order, *(n for n in rows if n not in order)])}

    def rank(name: str) -> int:
        return ranks.get(name.split("+", 1)[0], len(ranks))

    return sorted((n for n in rows if "+" in n), key=rank) + sorted(
        (n for n in rows if "+" not in n), key=rank
    )


def table(rows: dict[str, dict], order: list[str]) -> str:
    """Markdown, one line per row, in ``ordered``'s order."""
    lines = [
        "| lever | seeds | dev P | dev R | dev F1 | best epoch | s / epoch |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for name in ordered(rows, order):
        row, micro = rows[name], rows[name]["dev"]
        figures = f"{cell(micro['precision'])} | {cell(micro['recall'])} | **{cell(micro['f1'])}**"
        if "+" in name:
            models, decoding = name.split("+", 1)
            lines.append(
                f"| {models} models, decoded by {decoding} | {row['runs']} | {figures} | | |"
            )
        else:
            chosen = ", ".join(map(str, row["chosen"]))
            per_epoch = f"{row['seconds_per_epoch']:.0f}" if row["seconds_per_epoch"] else ""
            lines.append(f"| {name} | {row['runs']} | {figures} | {chosen} | {per_epoch} |")
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


def plot_curves(rows: dict[str, dict], out: Path) -> Path:
    """Dev F1 by epoch, one line per run, one colour per lever (PNG): every row with curves,
    so the runs of a record are drawn where they are no longer on disk."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.2))
    colours = plt.get_cmap("tab20").colors  # one colour per lever for up to 20 levers
    drawn = [(name, row["curves"]) for name, row in rows.items() if any(row.get("curves", []))]
    for number, (lever, curves) in enumerate(drawn):  # soups and decodings train none
        for k, points in enumerate(c for c in curves if c):
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


def read_json(path: Path, parser: argparse.ArgumentParser, what: str) -> dict:
    if not path.is_file():
        parser.error(f"{what}: no file at {path}")
    return json.loads(path.read_text(encoding="utf-8"))


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
    parser.add_argument(
        "--recorded", type=Path,
        help="a --record file: the rows to start from (the runs on disk are added), or for --cost",
    )  # fmt: skip
    parser.add_argument(
        "--recorded-seeds", action="append", default=[],
        help="LEVER=42,43: the seeds a recorded row holds, for a record that does not say",
    )  # fmt: skip
    parser.add_argument(
        "--holds", metavar="LEVER=SEED",
        help="exit 0 if --recorded has that run, 1 if not (lab/Makefile's ablation skip test)",
    )  # fmt: skip
    parser.add_argument(
        "--without-decodings", action="store_true",
        help="print each lever's row only, not its exports decoded each way",
    )  # fmt: skip
    parser.add_argument("--cost", type=Path, help="a finetune results.json to set against --lever")
    parser.add_argument("--lever", help="the recorded lever --cost compares with")
    args = parser.parse_args(argv)
    if args.cost:
        if not (args.recorded and args.lever):
            parser.error("--cost needs --recorded and --lever")
        results = read_json(args.cost, parser, "--cost")
        recorded = read_json(args.recorded, parser, "--recorded")
        try:
            print(cost(results, recorded, args.lever))
        except KeyError as error:
            parser.error(str(error.args[0]))
        return 0
    if args.holds:
        lever, _, seed = args.holds.partition("=")
        if not (args.recorded and seed.isdigit()):
            parser.error("--holds LEVER=SEED needs --recorded")
        return 0 if holds(read_json(args.recorded, parser, "--recorded"), lever, int(seed)) else 1
    if args.runs is None and args.recorded is None:
        parser.error("give --runs, --recorded or both")
    if args.runs is not None and not args.runs.is_dir():
        parser.error(f"no runs folder at {args.runs}")
    decodings = {}
    for item in args.decoding:
        lever, _, path = item.partition("=")
        if not path or not Path(path).is_file():
            parser.error(f"--decoding {item}: give LEVER=PATH of a score-decoding JSON")
        decodings[lever] = json.loads(Path(path).read_text(encoding="utf-8"))
    recorded_seeds = {}
    for item in args.recorded_seeds:
        lever, _, seeds = item.partition("=")
        try:
            recorded_seeds[lever] = [int(seed) for seed in seeds.split(",")]
        except ValueError:
            parser.error(f"--recorded-seeds {item}: give LEVER=SEED,SEED,…")
    levers = lever_runs(args.runs) if args.runs else {}
    rows = {**decoding_summaries(decodings), **summaries(levers)}
    earlier = []
    if args.recorded:
        record = read_json(args.recorded, parser, "--recorded")
        earlier = [*record.get("earlier", []), {k: record[k] for k in ("date", "command")}]
        try:
            rows = merged(record["levers"], rows, recorded_seeds)
        except ValueError as error:
            parser.error(str(error))
    order = [name for name in args.order.split(",") if name]
    rows = {name: rows[name] for name in ordered(rows, order)}  # the record keeps the table's order
    shown = {n: r for n, r in rows.items() if "+" not in n} if args.without_decodings \
        else rows  # fmt: skip
    print(table(shown, order))
    if args.plot:
        print(f"wrote {plot_curves(rows, args.plot)}")
    if args.record:
        command = " ".join(["python -m lab ablation", *(sys.argv[1:] if argv is None else argv)])
        body = {"date": str(dt.date.today()), "command": command, "levers": rows}
        if earlier:
            body["earlier"] = earlier  # the commands whose rows this record still holds
        args.record.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.record}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
