"""Gold entities a tokenization cannot represent (an edge inside a word), per dictionary
(MeCab's, or Sudachi's in a split mode) and normalization: what no word tagger on those words
can get right.

    python -m rasa_electra.cli.boundaries data/gsd_v2.6-NE/{train,dev,test}.yml \
        --dictionaries ipadic,unidic_lite,sudachi:A,sudachi:B,sudachi:C --normalizations none,NFKC

Prints a markdown table: one row per dictionary × normalization, one column per file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rasa_electra.data.alignment import count_misaligned
from rasa_electra.data.rasa_nlu import read_rasa_data
from rasa_electra.tokenization.segmenters import settings_named, word_segmenter


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", type=Path, nargs="+", help="Rasa NLU files")
    parser.add_argument(
        "--dictionaries", default="ipadic",
        help="ipadic, unidic_lite, unidic; sudachi[_small|_core|_full]:SPLIT_MODE (A, B, C)",
    )  # fmt: skip
    parser.add_argument("--normalizations", default="none", help="none, NFKC")
    args = parser.parse_args(argv)
    data = {path.stem: read_rasa_data(path) for path in args.files}
    print("| dictionary | normalization | " + " | ".join(data) + " |")
    print("| --- | --- | " + " | ".join("---:" for _ in data) + " |")
    for dictionary in args.dictionaries.split(","):
        for normalization in args.normalizations.split(","):
            form = None if normalization == "none" else normalization
            words = word_segmenter(settings_named(dictionary, form))
            counts = [count_misaligned(examples, words.offsets) for examples in data.values()]
            cells = " | ".join(f"{c.misaligned} of {c.entities}" for c in counts)
            print(f"| {dictionary} | {normalization} | {cells} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
