"""Give an export the entity memory of a training file (``data.entity_memory``).

    python -m lab entity-memory --export results/ablation/silver50k-then-gold-soup2-s42/export \
        --train data/gsd_v2.6-NE/train.yml

Fine-tuning writes the memory itself (``finetune --entity-memory``, the component's
``entity_memory``); this command is for an export made before it, or for teaching an export the
entity values of other data (a bot's own training file). It writes ``entity_memory.json``
into the export, replacing one that is there, and says how many texts it knows.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rasa_electra import defaults
from rasa_electra.data.entity_memory import MEMORY_FILE, EntityMemory
from rasa_electra.data.rasa_nlu import read_rasa_data
from rasa_electra.data.tags import entity_labels
from rasa_electra.model.export import LABELS_FILE, read_labels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--export", type=Path, action="append", required=True)
    parser.add_argument("--train", type=Path, required=True, help="Rasa NLU YAML with entities")
    parser.add_argument(
        "--min-share", type=float, default=defaults.ENTITY_MEMORY,
        required=defaults.ENTITY_MEMORY is None,
        help="the share of its label a text needs to relabel a span (0.5 < share ≤ 1)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    try:
        memory = EntityMemory.learn(read_rasa_data(args.train), args.min_share)
    except ValueError as error:
        parser.error(str(error))
    given = {label for by_label in memory.counts.values() for label in by_label}
    for export in args.export:
        if not (export / LABELS_FILE).is_file():
            parser.error(f"{export} is not an export (no {LABELS_FILE})")
        labels = read_labels(export)
        unknown = sorted(given - set(entity_labels(labels)))
        if unknown:
            parser.error(f"{args.train} has labels {export} does not predict: {', '.join(unknown)}")
        memory.save(export, labels)
        print(f"{export / MEMORY_FILE}: {len(memory.counts)} entity texts from {args.train}, "
              f"min share {memory.min_share}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
