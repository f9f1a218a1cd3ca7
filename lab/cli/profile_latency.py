"""Where a message's time goes: the ELECTRA component's stages for one export and backend, or,
given a trained Rasa model, every node of its graph and what Rasa and `rasa run` add around them.

    python -m lab.cli.profile_latency --export results/electra-small/export \
        --data data/gsd_v2.6-NE/test.yml --messages 200 --backend tflite --quantization dynamic
    python -m lab.cli.profile_latency --model models/electra-gsd-v2_6-NE.tar.gz \
        --data data/gsd_v2.6-NE/test.yml --messages 200 --http

Prints markdown tables: with --export the stages (MeCab, subwords, windows, padding, model call,
decoding); with --model the graph's nodes, the graph runner, Rasa's processor and (--http) a
`rasa run` request around them, then the extractor's own stages on the model Rasa loaded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
from pathlib import Path

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")  # no reports to Rasa's servers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--export", type=Path, help="a fine-tuned export: the component's stages")
    source.add_argument("--model", type=Path, help="a trained Rasa model .tar.gz: its whole graph")
    parser.add_argument("--data", type=Path, required=True, help="Rasa NLU file whose texts run")
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--backend", default="savedmodel", help="with --export")
    parser.add_argument("--quantization", default="none", help="with --export")
    parser.add_argument("--threads", type=int, default=0, help="with --export; 0 = all cores")
    parser.add_argument("--http", action="store_true", help="with --model: time `rasa run` too")
    args = parser.parse_args(argv)
    if args.model and not args.model.is_file():
        parser.error(f"no model archive at {args.model}")

    from lab.profiling import stage_table
    from rasa_electra.data.rasa_nlu import read_rasa_data

    texts = [e.text for e in read_rasa_data(args.data)][: args.messages]
    machine = f"{dt.date.today()}, {platform.node()}, {os.cpu_count()} CPUs"
    if args.model:
        from lab.graph_profiling import graph_table, profile_graph

        profile = profile_graph(args.model, texts, http=args.http)
        print(f"\n{args.model}, {len(texts)} messages from {args.data}; {machine}\n")
        print(graph_table(profile))
        if profile.extractor_stages:
            print("\nInside the ELECTRA extractor (its words come from the tokenizer's node):\n")
            print(stage_table(profile.extractor_stages))
        return 0

    from lab.profiling import profile_stages
    from rasa_electra.serving import backends

    model = backends.load(args.export, args.backend, args.quantization, args.threads)
    timings = profile_stages(model, texts)
    what = f"{args.backend}/{args.quantization}, {len(texts)} messages from {args.data}"
    print(f"\n{what}; {machine}\n")
    print(stage_table(timings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
