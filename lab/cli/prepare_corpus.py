"""Raw Japanese text → pretraining corpus (a sentence a line, blank line between documents).

python -m lab.cli.prepare_corpus \
    --source ../shared/data/ja_text/aozora/aozora_150M.txt.xz:plain \
    --source ../shared/data/ja_text/jglue/jglue_text.txt:lines --out corpus/ja.txt

A source is PATH:FORMAT with FORMAT one of wiki (WikiExtractor output, the write-up's rules),
plain (a blank line between documents), lines (a document a line) or livedoor (the corpus folder).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lab.pretraining.corpus import FORMATS, write_corpus


def source(value: str) -> tuple[Path, str]:
    path, _, format = value.rpartition(":")
    if not path or format not in FORMATS:
        raise argparse.ArgumentTypeError(f"{value!r}: expected PATH:FORMAT, FORMAT in {FORMATS}")
    if not Path(path).exists():
        raise argparse.ArgumentTypeError(f"{path} does not exist")
    return Path(path), format


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=source, action="append", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as out:
        counts = write_corpus(args.source, out)
    print(json.dumps({"out": str(args.out), **counts}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
