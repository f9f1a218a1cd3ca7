"""The scoreboard: render docs/results.md's marked tables from docs/scoreboard.json, or add a
harness run's results.json that was made without ``evaluate --scoreboard``.

    rasa-electra scoreboard --render docs/results.md
    rasa-electra scoreboard --show eval-gsd-v2_6-NE      # one run's table, e.g. after make demo
    rasa-electra scoreboard --add reports/h200-runs2-4/results.json --run h200-runs2-4 \\
        --command "rasa-electra evaluate …" --date 2026-11-27T15:10:00Z --data "GSD v2.6-NE"
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rasa_electra.evaluation.scoreboard import (
    append_record,
    make_record,
    newest_records,
    read_scoreboard,
    render_into,
    render_table,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scoreboard", type=Path, default=Path("docs/scoreboard.json"))
    parser.add_argument("--render", type=Path, help="markdown whose marked tables to rewrite")
    parser.add_argument("--add", type=Path, help="a harness results.json to record")
    parser.add_argument("--show", help="print this run's newest record as a table")
    parser.add_argument("--run", help="--add: the run's name")
    parser.add_argument("--command", help="--add: the command that made it")
    parser.add_argument("--date", help="--add: when it was measured (ISO 8601, UTC)")
    parser.add_argument("--machine", help="--add: where (default: this machine)")
    parser.add_argument("--data", help="--add: what it was measured on")
    parser.add_argument("--note", default="", help="--add: anything a reader must know")
    args = parser.parse_args(argv)
    if not (args.render or args.add or args.show):
        parser.error("give --render MARKDOWN, --add RESULTS_JSON or --show RUN")
    if args.add:
        missing = [f"--{k}" for k in ("run", "command", "date", "data") if not getattr(args, k)]
        if missing:
            parser.error(f"--add needs {', '.join(missing)}")
        results = json.loads(args.add.read_text(encoding="utf-8"))
        record = make_record(
            results, args.run, args.command, args.data, args.date, args.machine, args.note
        )
        append_record(args.scoreboard, record)
        print(f"recorded run {args.run!r} in {args.scoreboard}")
    if args.render:
        runs = render_into(args.render, read_scoreboard(args.scoreboard))
        print(f"rendered {len(runs)} table(s) in {args.render}: {', '.join(runs)}")
    if args.show:
        records = newest_records(read_scoreboard(args.scoreboard))
        if args.show not in records:
            print(f"{args.scoreboard} has no record of run {args.show!r}", file=sys.stderr)
            return 1
        print(render_table(records[args.show]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
