"""Latency and throughput of Rasa pipelines side by side, and a bounded load test of `rasa run`.

    python -m rasa_electra.cli.benchmark_serving --data data/gsd_v2.6-NE/test.yml --messages 200 \
        --train data/gsd_v2.6-NE/train.yml --electra-export results/electra-small/export \
        --systems crf,electra,electra@tflite-dynamic,electra@onnx \
        --load-requests 300 --concurrency 8 --out reports/serving

Each system is trained with `rasa train nlu` (the evaluation harness's pipelines; ELECTRA from the
export, on the backend after ``@``), or given ready as ``--model NAME=archive.tar.gz``. Then, in
this one run: load time, per-message p50/p95 through Rasa's Agent, messages/s at batch sizes
1/8/32 through the NLU graph, and optionally sequential HTTP (``--http``) and a load test of
`rasa run` on 127.0.0.1 (fixed request count, each with a timeout): requests/s, p95, errors,
server RSS. The first system is the reference of the ratio columns. Prints markdown tables.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")  # no reports to Rasa's servers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="Rasa NLU file whose texts run")
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--model", action="append", default=[], help="NAME=path/to/model.tar.gz")
    parser.add_argument("--systems", default="", help="harness systems to train, e.g. crf,electra")
    parser.add_argument("--train", type=Path, help="training data for --systems")
    parser.add_argument("--electra-export", type=Path, help="the export ELECTRA systems serve")
    parser.add_argument("--threads", type=int, default=0, help="ELECTRA threads per model call")
    parser.add_argument("--batch-sizes", default="1,8,32")
    parser.add_argument("--http", action="store_true", help="also time sequential rasa run calls")
    parser.add_argument("--load-requests", type=int, default=0, help="load test size (0: none)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--servers", type=int, default=1, help="rasa run processes sharing the load round-robin"
    )
    parser.add_argument("--out", type=Path, help="folder for trained archives and results.json")
    parser.add_argument("--scoreboard", type=Path, help="append this run's record here")
    parser.add_argument("--run", help="the run's name in the scoreboard (default: --out's name)")
    parser.add_argument("--note", default="", help="what a reader of the record must know")
    args = parser.parse_args(argv)
    if args.scoreboard and not (args.run or args.out):
        parser.error("--scoreboard needs --run (or --out, whose name it takes)")

    from rasa_electra.data.rasa_nlu import read_rasa_data
    from rasa_electra.evaluation import serving
    from rasa_electra.evaluation.scoreboard import serving_tables

    archives = {name: Path(path) for name, path in (m.split("=", 1) for m in args.model)}
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    if systems:
        if not args.train or not args.out:
            parser.error("--systems needs --train (data to train on) and --out (where to)")
        from rasa_electra.evaluation.harness import train_system
        from rasa_electra.evaluation.systems import SystemOptions, build_systems

        options = SystemOptions(
            electra_exports=(str(args.electra_export.resolve()),) if args.electra_export else (),
            electra_threads=args.threads,
        )
        try:
            built = build_systems(systems, options)
        except ValueError as error:
            parser.error(str(error))
        for system in built:
            print(f"{system.name}: rasa train nlu …", file=sys.stderr)
            workdir = (args.out / "models" / system.name.replace("@", "-")).resolve()
            archives[system.name] = train_system(system, args.train.resolve(), workdir).archive
    if not archives:
        parser.error("give --model NAME=ARCHIVE or --systems")

    texts = [e.text for e in read_rasa_data(args.data)][: args.messages]
    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    report = serving.benchmark(
        archives, texts, batch_sizes, http=args.http, load_requests=args.load_requests,
        concurrency=args.concurrency, servers=args.servers,
    )  # fmt: skip
    report["data"] = str(args.data)
    print(f"\n{len(texts)} messages from {args.data}; {report['date']}, {report['machine']}\n")
    print(serving_tables(report, batch_sizes))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    if args.scoreboard:
        from rasa_electra.evaluation.scoreboard import append_record, make_serving_record

        command = "rasa-electra benchmark-serving " + shlex.join(
            sys.argv[1:] if argv is None else argv
        )
        run = args.run or args.out.name
        record = make_serving_record(report, run, command, str(args.data), args.note)
        append_record(args.scoreboard, record)
        print(f"recorded run {run!r} in {args.scoreboard}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
