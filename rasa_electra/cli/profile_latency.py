"""Per-stage latency of the ELECTRA component's per-message path, for one export and backend.

    python -m rasa_electra.cli.profile_latency --export results/electra-small/export \
        --data data/gsd_v2.6-NE/test.yml --messages 200 --backend tflite --quantization dynamic

Prints a markdown table (MeCab, subwords, windows, padding, model call, decoding).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--export", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True, help="Rasa NLU file whose texts run")
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--backend", default="savedmodel")
    parser.add_argument("--quantization", default="none")
    parser.add_argument("--threads", type=int, default=0, help="per model call; 0 = all cores")
    args = parser.parse_args(argv)

    from rasa_electra.data.rasa_nlu import read_rasa_data
    from rasa_electra.evaluation.profiling import profile_stages, stage_table
    from rasa_electra.serving import backends

    model = backends.load(args.export, args.backend, args.quantization, args.threads)
    texts = [e.text for e in read_rasa_data(args.data)][: args.messages]
    timings = profile_stages(model, texts)
    print(
        f"\n{args.backend}/{args.quantization}, {len(texts)} messages from {args.data}; "
        f"{dt.date.today()}, {platform.node()}, {os.cpu_count()} CPUs\n"
    )
    print(stage_table(timings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
