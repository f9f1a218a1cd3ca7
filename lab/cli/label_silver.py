"""Label unlabeled sentences with a teacher Rasa model: silver data for self-training.

    python -m lab label-silver --teacher models/crf-gsd-v2_6-NE.tar.gz \
        --source ../shared/data/ja_text/wikipedia/kyoto_wikipedia.txt.xz:plain \
        --exclude data/gsd_v2.6-NE/dev.yml --exclude data/gsd_v2.6-NE/test.yml \
        --sentences 100000 --out results/silver

Then ELECTRA trains on the silver data and continues on gold (an export is a start point):

    rasa-electra finetune --start-point pretrained/electra-small-ja \
        --train results/silver/silver.yml --dev data/gsd_v2.6-NE/dev.yml \
        --test data/gsd_v2.6-NE/test.yml --epochs 1 --out results/st-silver
    rasa-electra finetune --start-point results/st-silver/export --data data/gsd_v2.6-NE \
        ... --out results/st-gold

A rerun resumes: chunks already labelled are kept.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--teacher", type=Path, required=True, help="a trained Rasa model .tar.gz")
    parser.add_argument(
        "--source", action="append", required=True,
        help="PATH:FORMAT of unlabeled text (formats of prepare-corpus: plain, wiki, lines)",
    )  # fmt: skip
    parser.add_argument(
        "--exclude", action="append", type=Path, default=[],
        help="Rasa YAML whose sentences must not be labelled (the held-out splits)",
    )  # fmt: skip
    parser.add_argument("--sentences", type=int, default=100_000)
    parser.add_argument("--chunk-size", type=int, default=5000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if not args.teacher.is_file():
        parser.error(f"no teacher model at {args.teacher}")
    sources = []
    for source in args.source:
        path, _, format = source.rpartition(":")
        if not path or not Path(path).is_file():
            parser.error(f"--source {source}: give an existing PATH:FORMAT")
        sources.append((Path(path), format))

    from lab import silver

    exclude = silver.held_out_keys(args.exclude)
    texts = list(silver.sentences(sources, args.sentences, exclude))
    print(f"{len(texts):,} sentences (none of the {len(exclude):,} held-out ones)")
    path = silver.label(args.teacher, texts, args.out, args.chunk_size)
    print(f"wrote {path} ({(args.out / silver.SUMMARY_FILE).read_text(encoding='utf-8')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
