"""Learn a WordPiece vocabulary on MeCab words from text files or Rasa NLU data.

python -m lab build-vocab --rasa data/gsd_v2.6-NE/train.yml --size 8000 --out models/vocab-gsd
python -m lab.cli.build_vocab --text corpus.txt --size 32000 --out models/vocab-32k

Runs in the Rasa environment and in the pretraining one (``make pretrain-setup``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

from rasa_electra.tokenization.vocab import build_wordpiece_vocab


def lines(text_files: list[Path], rasa_files: list[Path]) -> Iterator[str]:
    for path in text_files:
        with path.open(encoding="utf-8") as handle:
            yield from (line.rstrip("\n") for line in handle if line.strip())
    if rasa_files:  # Rasa is not in the pretraining environment; plain text needs no Rasa
        from rasa_electra.data.rasa_nlu import read_rasa_data

        for path in rasa_files:
            yield from (example.text for example in read_rasa_data(path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--text", type=Path, action="append", default=[], help="plain text, a line per text"
    )
    parser.add_argument("--rasa", type=Path, action="append", default=[], help="Rasa NLU file")
    parser.add_argument("--size", type=int, default=32000)
    parser.add_argument("--min-frequency", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if not args.text and not args.rasa:
        parser.error("give at least one --text or --rasa file")
    path = build_wordpiece_vocab(
        lines(args.text, args.rasa), args.out, args.size, args.min_frequency
    )
    size = sum(1 for _ in path.open(encoding="utf-8"))
    print(f"wrote {path} ({size} entries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
