"""Pack token-id shards for the trip to the GPU machine (ids only, xz, checksummed parts).

python -m lab.cli.pack_shards --shards corpus/shards-128 --out corpus/pack-128 --max-mib 58
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from lab.pretraining.pack import pack_sequences
from lab.pretraining.shards import read_shards


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shards", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--part-sequences", type=int, default=50_000)
    parser.add_argument("--max-mib", type=float, help="leave the corpus's tail behind past this")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    max_bytes = int(args.max_mib * 1024 * 1024) if args.max_mib else None
    manifest = pack_sequences(read_shards(args.shards), args.out, args.part_sequences, max_bytes)
    summary = {k: v for k, v in manifest.items() if k not in ("parts", "source")}
    summary["mib"] = round(manifest["bytes"] / 1024 / 1024, 2)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
