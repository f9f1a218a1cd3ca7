"""Tokenize a pretraining corpus once into token-id shards (MeCab words + WordPiece).

python -m lab.cli.make_shards --corpus corpus/ja.txt --vocab models/vocab-ja-32k \
    --max-seq-length 128 --out corpus/shards-128
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from pathlib import Path

from lab.pretraining.corpus import read_corpus
from lab.pretraining.shards import build_shards
from rasa_electra.tokenization.subwords import SubwordTokenizer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--vocab", type=Path, required=True, help="folder with vocab.txt")
    parser.add_argument("--max-seq-length", type=int, default=128)
    parser.add_argument("--shard-size", type=int, default=100_000, help="sequences per shard")
    parser.add_argument("--max-documents", type=int, help="only the first N documents")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="tokenizing processes (all cores by default)")  # fmt: skip
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    documents = read_corpus(args.corpus)
    if args.max_documents is not None:
        documents = itertools.islice(documents, args.max_documents)
    manifest = build_shards(
        documents, SubwordTokenizer.from_directory(args.vocab), args.out, args.max_seq_length,
        args.shard_size, args.seed, source=str(args.corpus), workers=args.workers,
    )  # fmt: skip
    print(json.dumps({k: v for k, v in manifest.items() if k != "shards"}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
