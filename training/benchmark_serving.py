"""Load time and per-message latency of Rasa models, in-process and over HTTP, side by side.

    python -m training.benchmark_serving --data data/gsd_v2.6-NE/test.yml --messages 200 \
        --model crf=models/crf-gsd-v2_6-NE.tar.gz --model electra=models/electra-gsd.tar.gz

The first ``--model`` is the reference for the ratio column. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")  # no reports to Rasa's servers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", action="append", required=True, help="NAME=path/to/model.tar.gz")
    parser.add_argument(
        "--data", type=Path, required=True, help="Rasa NLU file whose texts are sent"
    )
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--no-http", action="store_true", help="skip the rasa run measurement")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)

    from rasa_electra.data.rasa_nlu import read_rasa_data
    from rasa_electra.evaluation.serving import time_http, time_in_process

    texts = [e.text for e in read_rasa_data(args.data)][: args.messages]
    models = dict(item.split("=", 1) for item in args.model)
    rows = {}
    for name, path in models.items():
        print(f"{name}: in-process …", file=sys.stderr)
        rows[name] = {"in_process": time_in_process(Path(path), texts)}
        if not args.no_http:
            print(f"{name}: rasa run …", file=sys.stderr)
            rows[name]["http"] = time_http(Path(path), texts)
    reference = next(iter(rows))
    print(f"\n{len(texts)} messages from {args.data}; {dt.date.today()}, {platform.node()}, "
          f"{os.cpu_count()} CPUs\n")  # fmt: skip
    print("| model | mode | load s | p50 ms | p95 ms | p50 vs " + reference + " |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    report = {}
    for name, modes in rows.items():
        for mode, timing in modes.items():
            ratio = timing.p50 / rows[reference][mode].p50
            print(
                f"| {name} | {mode} | {timing.load_seconds:.1f} | {timing.p50:.1f} "
                f"| {timing.p95:.1f} | {ratio:.2f}× |"
            )
            report.setdefault(name, {})[mode] = {
                "load_seconds": timing.load_seconds, "p50_ms": timing.p50, "p95_ms": timing.p95,
                "p50_ratio_to_" + reference: ratio,
            }  # fmt: skip
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
