"""Command-line entry points: each module parses arguments and calls the library, nothing more.

rasa-electra COMMAND [ARGS]          (console script; `python -m rasa_electra.cli COMMAND`)
python -m rasa_electra.cli.COMMAND [ARGS]   (the same, one module; the pretraining and GPU
                                              environments use this form)

Every module here is a command; what several commands share sits below ``COMMANDS``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rasa_electra.data.spans import Example

COMMANDS = {
    # data and evaluation (Rasa environment)
    "convert": "GSD BIO release → Rasa YAML + markdown, checked by reading back",
    "md2yaml": "Rasa 1.x/2.x markdown NLU data → Rasa 3 YAML",
    "split-data": "a bot's NLU file → train.yml/test.yml, per intent",
    "boundaries": "gold entities a MeCab dictionary's words cannot represent",
    "build-vocab": "WordPiece vocabulary on MeCab words",
    "finetune": "fine-tune a start point on Rasa NLU data; export a SavedModel",
    "parse": "parse a data file through a trained Rasa model and score it",
    "ablation": "the dev ablation table: one row per lever, mean ± std over seeds",
    "score-decoding": "an export's F1 under each decoding, no retraining",
    "soup": "seed fine-tunings of one start point averaged into one export",
    "entity-memory": "an export given the entity labels of a training file",
    "adapt-encoder": "a self-trained export's encoder as the shipped start point (pretrained/)",
    "evaluate": "systems compared through Rasa (the harness)",
    "label-silver": "unlabeled sentences labelled by a teacher Rasa model (self-training)",
    "scoreboard": "docs/results.md's tables from docs/scoreboard.json; record a run",
    "export-formats": "TFLite/ONNX formats of an export, scored against it",
    "benchmark-serving": "latency, throughput and a bounded `rasa run` load test",
    "profile-latency": "per-stage latency inside the component",
    # pretraining (pretraining environment; gpu-pretrain also on the GPU machine)
    "prepare-corpus": "raw Japanese text → a sentence a line, documents apart",
    "make-shards": "tokenize a corpus into token-id shards (all cores)",
    "pack-shards": "shards packed for the trip to a GPU machine",
    "pretrain": "ELECTRA replaced-token detection (Accelerate); export carried weights",
    "gpu-pretrain": "one GPU command: smoke test, speed sweep, training to a deadline",
    "resume-kit": "what a fresh GPU machine resumes from (bf16 weights + pack parts)",
    "ship-encoder": "make a pretrained discriminator the shipped offline encoder",
    "plot-pretraining": "a pretraining run's curves (PNG)",
    "probe-livedoor": "livedoor 9-class probe of a start point",
}


def add_formats_option(parser: argparse.ArgumentParser) -> None:
    """`--formats` of every command that writes an export (finetune, soup): an export is
    converted when it is made, so the component's `backend: auto` finds its fastest format."""
    parser.add_argument(
        "--formats", choices=("auto", "none"), default="auto",
        help="auto: convert the export to ONNX (float32, int8) and score them on dev, so the "
        "component's backend: auto serves the fastest offered one; none: the SavedModel only",
    )  # fmt: skip


def convert_if_asked(args: argparse.Namespace, export: Path, dev: Sequence[Example]) -> None:
    """``--formats auto``: convert ``export`` and score each format on ``dev``."""
    if args.formats != "auto":
        return
    from rasa_electra.serving.formats import convert_for_auto

    report = convert_for_auto(export, dev)
    if report:
        print(f"formats: backend auto serves {report['fastest'] or 'the SavedModel'}")
