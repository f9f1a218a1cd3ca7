"""The `--formats` option of every command that writes an export (finetune, soup): an export
is converted when it is made, so the component's `backend: auto` finds its fastest format."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from rasa_electra.data.spans import Example


def add_formats_option(parser: argparse.ArgumentParser) -> None:
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
