"""Command-line entry points: each module parses arguments and calls the library, nothing more.

rasa-electra COMMAND [ARGS]          (console script; `python -m rasa_electra.cli COMMAND`)
python -m rasa_electra.cli.COMMAND [ARGS]   (the same, one module; the pretraining and GPU
                                              environments use this form)

Every module here is a command a user runs; what several commands share sits below
``COMMANDS``. The experiment and pretraining tools are the lab's (``python -m lab --help``).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rasa_electra.quiet import quiet_third_party

if TYPE_CHECKING:
    from rasa_electra.data.spans import Example

quiet_third_party()  # every command module imports this package first

COMMANDS = {
    "convert": "GSD BIO release → Rasa YAML + markdown, checked by reading back",
    "md2yaml": "Rasa 1.x/2.x markdown NLU data → Rasa 3 YAML",
    "split-data": "a bot's NLU file → train.yml/test.yml, per intent",
    "boundaries": "gold entities a MeCab dictionary's words cannot represent",
    "finetune": "fine-tune a start point on Rasa NLU data; export a SavedModel",
    "export-formats": "TFLite/ONNX formats of an export, scored against it",
    "evaluate": "systems compared through Rasa (the harness)",
    "parse": "parse a data file through a trained Rasa model and score it",
    "annotate": "suggest entities for a bot's unannotated examples, for review",
    "info": "the installed models a pipeline can name, with their cards",
    "rasa": "Rasa's own command line (train, shell, run, …) without third-party noise",
    "scoreboard": "docs/results.md's tables from docs/scoreboard.json; record a run",
    "benchmark-serving": "latency, throughput and a bounded `rasa run` load test",
    "benchmark-training": "`rasa train nlu` timed by stage on several data files",
}


def key_values(text: str, flag: str, form: str = "KEY=VALUE") -> list[tuple[str, str]]:
    """``a=b, c=d`` → [("a", "b"), ("c", "d")]; anything else stops with what ``flag`` expects."""
    pairs = [item.split("=", 1) for item in text.split(",") if item.strip()]
    if any(len(pair) != 2 or not all(part.strip() for part in pair) for pair in pairs):
        raise SystemExit(f"{flag}: expected {form},…, got {text!r}")
    return [(key.strip(), value.strip()) for key, value in pairs]


def parse_entity_map(text: str | None, flag: str = "--entity-map") -> dict[str, str] | None:
    """``GPE=place,LOC=place`` → {"GPE": "place", "LOC": "place"}."""
    return dict(key_values(text, flag, "LABEL=name")) if text else None


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
