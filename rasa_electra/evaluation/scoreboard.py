"""Every harness run's and serving benchmark's record in one file (``docs/scoreboard.json``),
and the tables in ``docs/results.md`` generated from it, so each figure there has its date,
machine and command.

A table sits in the markdown between ``<!-- scoreboard: RUN -->`` and ``<!-- /scoreboard: RUN
-->``; ``render_into`` rewrites what is between them from RUN's newest record. Records are only
ever appended: a rerun under the same name is a new record, and the table shows the newest.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
from pathlib import Path
from typing import Any

FIGURES = ("precision", "recall", "f1")
SERVING = "serving"  # a record's kind: a serving benchmark; a harness run has no kind


def describe_machine() -> str:
    """CPU model, cores and memory: what a reader needs to compare times between records."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = re.findall(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), flags=re.M)
        cpu = names[0].strip() if names else cpu
    memory = ""
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        memory = f", {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB"
    return f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores{memory}"


def scaled(stat: dict[str, float] | None, scale: float = 100.0) -> dict[str, float] | None:
    """A mean ± std as reported: a fraction as percent (``scale`` 1 for seconds), 2 decimals."""
    if stat is None:
        return None
    return {"mean": round(scale * stat["mean"], 2), "std": round(scale * stat["std"], 2)}


def system_record(summary: dict[str, Any]) -> dict[str, Any]:
    """The figures of one system's harness summary that the scoreboard keeps (F1 in %)."""
    boundary = summary.get("boundary_micro", {}).get("f1")
    return {
        "trials": summary["trials"],
        "seeds": summary.get("seeds"),
        **{name: scaled(summary["micro"][name]) for name in FIGURES},
        "boundary_f1": scaled(boundary),
        "train_seconds": scaled(summary["train_seconds"], 1.0),
        "load_seconds": scaled(summary["load_seconds"], 1.0),
        "latency_ms_p50": scaled(summary["latency_ms_p50"], 1.0),
        "latency_ms_p95": scaled(summary["latency_ms_p95"], 1.0),
        "size_mb": summary["archive_mb"],
        "unrepresentable_gold_entities": summary["unrepresentable_gold_entities"],
        "gold_entities": summary["gold_entities"],
        "dropped_predictions": summary.get("dropped_predictions", {}),
        "train_unrepresentable": summary.get("train_unrepresentable"),
        "selection": summary.get("selection", {}),
    }


def make_record(
    results: dict[str, Any],
    run: str,
    command: str,
    data: str,
    date: str | None = None,
    machine: str | None = None,
    note: str = "",
) -> dict[str, Any]:
    """One harness run as a scoreboard record."""
    return {
        "run": run,
        "date": date or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine or describe_machine(),
        "data": data,
        "train": results["train"],
        "dev": results.get("dev", ""),
        "test": results["test"],
        "test_messages": results["test_messages"],
        "command": command,
        "note": note,
        "systems": {name: system_record(s) for name, s in results["systems"].items()},
    }


def read_scoreboard(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []


def append_record(path: Path, record: dict[str, Any]) -> None:
    records = read_scoreboard(path)
    records.append(record)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def format_stat(stat: dict[str, float] | None, digits: int = 2, spread: bool = True) -> str:
    """``mean ± std``; the mean alone for one trial (``spread`` False), ``–`` for no figure."""
    if stat is None:
        return "–"
    if not spread:
        return f"{stat['mean']:.{digits}f}"
    return f"{stat['mean']:.{digits}f} ± {stat['std']:.{digits}f}"


def systems_table(systems: dict[str, dict[str, Any]]) -> list[str]:
    """Markdown lines: one row per system record, then what was chosen on dev or dropped."""
    lines = [
        "| system | trials | P | R | F1 | boundary F1 | train s | load s | p50 ms | p95 ms "
        "| MB | unrepresentable |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, s in systems.items():
        cells = [
            format_stat(s[key], digits, s["trials"] > 1)
            for key, digits in (("precision", 2), ("recall", 2), ("f1", 2), ("boundary_f1", 2),
                                ("train_seconds", 1), ("load_seconds", 1), ("latency_ms_p50", 1),
                                ("latency_ms_p95", 1))
        ]  # fmt: skip
        cells[2] = f"**{cells[2]}**"
        lines.append(
            f"| {name} | {s['trials']} | {' | '.join(cells)} | {s['size_mb']} "
            f"| {s['unrepresentable_gold_entities']}/{s['gold_entities']} |"
        )
    notes = []
    for name, s in systems.items():
        selection = s.get("selection") or {}
        if selection:
            tried = ", ".join(f"{k}: {100 * v:.2f}" for k, v in selection["dev_f1"].items())
            notes.append(
                f"{name}: {selection['parameter']} {selection['chosen']} chosen on dev "
                f"(dev F1 by {selection['parameter']}: {tried})."
            )
        if s.get("dropped_predictions"):
            dropped = sum(s["dropped_predictions"].values())
            notes.append(f"{name}: {dropped} predictions with labels outside GSD's dropped.")
        if s.get("train_unrepresentable"):
            notes.append(f"{name}: {s['train_unrepresentable']} training entities fall inside "
                         "its words and were left out of its training data.")  # fmt: skip
    return lines + (["", *notes] if notes else [])


def make_serving_record(
    report: dict[str, Any], run: str, command: str, data: str, note: str = ""
) -> dict[str, Any]:
    """One serving benchmark (``benchmark_serving``'s report) as a scoreboard record."""
    return {
        "run": run,
        "kind": SERVING,
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": describe_machine(),
        "data": data,
        "messages": report["messages"],
        "command": command,
        "note": note,
        "systems": report["systems"],
    }


def serving_tables(report: dict, batch_sizes: list[int]) -> str:
    """Markdown: latency and throughput with ratios to the first system; load test; HTTP."""
    rows = report["systems"]
    reference = next(iter(rows))
    ref = rows[reference]
    head = "| system | archive MB | load s | p50 ms | p95 ms | " + " | ".join(
        f"msg/s @{b}" for b in batch_sizes
    )
    lines = [
        f"{head} | p50 ÷ {reference} | msg/s @{batch_sizes[-1]} ÷ {reference} |",
        "|---|" + "---:|" * (6 + len(batch_sizes)),
    ]
    last = str(batch_sizes[-1])
    for name, row in rows.items():
        rates = " | ".join(f"{row['messages_per_second'][str(b)]:.1f}" for b in batch_sizes)
        lines.append(
            f"| {name} | {row['archive_mb']:.1f} | {row['load_seconds']:.1f} | "
            f"{row['p50_ms']:.1f} | {row['p95_ms']:.1f} | {rates} | "
            f"{row['p50_ms'] / ref['p50_ms']:.2f}× | "
            f"{row['messages_per_second'][last] / ref['messages_per_second'][last]:.2f}× |"
        )
    if any("load_test" in row for row in rows.values()):
        lines += ["", "| system (rasa run) | servers | ready s | requests | concurrency | req/s | "
                  "p50 ms | p95 ms | errors | RSS MB | peak RSS MB | req/s ÷ " + reference + " |",
                  "|---|" + "---:|" * 11]  # fmt: skip
        for name, row in rows.items():
            load = row.get("load_test")
            if load:
                ratio = load["requests_per_second"] / ref["load_test"]["requests_per_second"]
                lines.append(
                    f"| {name} | {load['servers']} | {load['ready_seconds']:.1f} | "
                    f"{load['requests']} | {load['concurrency']} | "
                    f"{load['requests_per_second']:.1f} | {load['p50_ms']:.1f} | "
                    f"{load['p95_ms']:.1f} | {load['errors']} | {load['rss_mb']:.0f} | "
                    f"{load['peak_rss_mb']:.0f} | {ratio:.2f}× |"
                )
    if any("http" in row for row in rows.values()):
        lines += ["", "| system (rasa run, one at a time) | ready s | p50 ms | p95 ms |",
                  "|---|---:|---:|---:|"]  # fmt: skip
        for name, row in rows.items():
            if "http" in row:
                http = row["http"]
                lines.append(
                    f"| {name} | {http['ready_seconds']:.1f} | {http['p50_ms']:.1f} | "
                    f"{http['p95_ms']:.1f} |"
                )
    return "\n".join(lines)


def render_table(record: dict[str, Any]) -> str:
    """Markdown: the run's provenance, then its systems' table (a serving run's own tables)."""
    serving = record.get("kind") == SERVING
    count = (
        f"{record['messages']} messages" if serving else f"{record['test_messages']} test messages"
    )
    lines = [
        f"Run `{record['run']}`, {record['date'][:10]}, {record['machine']}; data: "
        f"{record['data']} ({count}).",
        f"Command: `{record['command']}`"
        + (f". {record['note'].rstrip('.')}." if record["note"] else ""),
        "",
    ]
    if serving:
        first = next(iter(record["systems"].values()))
        sizes = sorted(int(b) for b in first["messages_per_second"])
        return "\n".join([*lines, serving_tables(record, sizes)])
    return "\n".join(lines + systems_table(record["systems"]))


def runs_table(runs: list[dict[str, Any]], rows: dict[str, dict[str, Any]]) -> list[str]:
    """Markdown lines: rows from several runs in one table (``RUN: SYSTEM``), each run's
    provenance below it: how one system fares on other words, data or settings."""
    lines = systems_table(rows)
    lines[0] = lines[0].replace("| system |", "| run: system |", 1)
    lines.append("")
    for r in runs:
        note = f" {r['note'].rstrip('.')}." if r["note"] else ""
        lines.append(f"- `{r['run']}`: {r['date'][:10]}, {r['machine']}; {r['data']}. "
                     f"`{r['command']}`.{note}")  # fmt: skip
    return lines


def newest_records(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each run's newest record: a rerun under the same name replaces what is shown."""
    return {record["run"]: record for record in records}


def render_into(markdown_path: Path, records: list[dict[str, Any]]) -> list[str]:
    """Rewrite every marked table in ``markdown_path`` from its runs' newest records; returns
    the runs rendered. A marker may join several runs with ``+`` into one table, and keep one
    system of a run with ``RUN/SYSTEM``. A marker naming a run with no record is an error."""
    newest = newest_records(records)
    text = markdown_path.read_text(encoding="utf-8")
    pattern = re.compile(
        r"(<!-- scoreboard: (?P<run>[^ ]+) -->\n).*?(<!-- /scoreboard: (?P=run) -->)", re.S
    )
    rendered = []

    def fill(match: re.Match) -> str:
        wanted = [token.partition("/")[::2] for token in match["run"].split("+")]
        missing = [run for run, _ in wanted if run not in newest]
        if missing:
            raise KeyError(f"{markdown_path}: no scoreboard record for run {missing[0]!r}")
        rendered.extend(run for run, _ in wanted)
        if len(wanted) == 1 and not wanted[0][1]:
            return f"{match[1]}{render_table(newest[wanted[0][0]])}\n{match[3]}"
        if any(newest[run].get("kind") == SERVING for run, _ in wanted):
            raise ValueError(f"{markdown_path}: a serving run is rendered alone, not joined")
        rows = {
            f"{run}: {name}": s
            for run, system in wanted
            for name, s in newest[run]["systems"].items()
            if not system or name == system
        }
        runs = [newest[run] for run in dict.fromkeys(run for run, _ in wanted)]
        return f"{match[1]}{chr(10).join(runs_table(runs, rows))}\n{match[3]}"

    markdown_path.write_text(pattern.sub(fill, text), encoding="utf-8")
    return rendered
