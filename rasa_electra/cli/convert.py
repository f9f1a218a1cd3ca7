"""Convert UD_Japanese-GSD NE (BIO) to Rasa NLU data: ``{train,dev,test}.yml`` and ``.md``.

    rasa-electra convert --source ../shared/data/ud_japanese_gsd_ne --version v2.6-NE \
        --out data/gsd_v2.6-NE

Without ``--source`` (or $RASA_ELECTRA_GSD_DIR) the release files are downloaded into
~/.cache/rasa-electra/gsd. Exits non-zero if any example fails to read back exactly.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from rasa_electra.data.bio import BioFormatError
from rasa_electra.data.conversion import DEFAULT_INTENT, convert_release, format_summary
from rasa_electra.data.gsd import VERSIONS, GsdNotFoundError, locate
from rasa_electra.tokenization.mecab import MecabTokenizer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--source", type=Path, help="folder with the release's .bio files (or its parent)"
    )
    parser.add_argument("--version", choices=VERSIONS, default="v2.6-NE")
    parser.add_argument("--out", type=Path, help="output folder (default data/gsd_<version>)")
    parser.add_argument("--intent", default=DEFAULT_INTENT, help="intent name for every sentence")
    parser.add_argument(
        "--repair-orphan-inside",
        action="store_true",
        help="read an I-X that does not continue an X entity as B-X (reported), instead of failing",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")

    out = args.out or Path("data") / f"gsd_{args.version}"
    try:
        files = locate(args.version, args.source)
        summaries = convert_release(
            files, out, args.intent, args.repair_orphan_inside, MecabTokenizer().offsets
        )
    except (GsdNotFoundError, BioFormatError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(format_summary(summaries))
    print(f"wrote {out}/{{train,dev,test}}.{{yml,md}} and summary.json")
    failed = sum(len(s.yaml_mismatches) + len(s.markdown_mismatches) for s in summaries.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
