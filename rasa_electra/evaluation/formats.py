"""Each converted format of an export scored against the SavedModel (TFLite Model Maker's
``evaluate_tflite``, for every format): what decides which formats are *offered*.

Dev decides (a format more than ``MAX_F1_DROP`` F1 points below the SavedModel on dev is not
offered); test is reported, never used to decide.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rasa_electra.data.span_metrics import score_spans
from rasa_electra.data.spans import Example, span_keys
from rasa_electra.serving.backends import (
    FORMATS_DIR,
    FORMATS_FILE,
    MAX_F1_DROP,
    convert,
    open_format,
    read_formats,
)
from rasa_electra.serving.servable import ExportedModel


@dataclass
class FormatScore:
    """One format on one split, against gold and against the SavedModel's own predictions."""

    f1: float
    f1_drop: float  # SavedModel F1 − this F1, in points
    same_spans: float  # share of messages whose predicted spans equal the SavedModel's

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in vars(self).items()}


def score_format(
    gold: Sequence[Example], reference: Sequence[Example], predicted: Sequence[Example]
) -> FormatScore:
    f1 = 100 * score_spans(gold, predicted).micro.f1
    reference_f1 = 100 * score_spans(gold, reference).micro.f1
    same = sum(span_keys(r) == span_keys(p) for r, p in zip(reference, predicted, strict=True))
    return FormatScore(f1, reference_f1 - f1, same / max(len(gold), 1))


def evaluate_formats(
    export_dir: str | Path,
    names: Sequence[str],
    dev: Sequence[Example],
    test: Sequence[Example] = (),
    threads: int = 0,
) -> dict[str, Any]:
    """Convert each format, score it beside the SavedModel and write ``formats/formats.json``."""
    from tqdm import tqdm

    export_dir = Path(export_dir)
    splits = {"dev": list(dev), **({"test": list(test)} if test else {})}
    saved_model = ExportedModel(export_dir)
    reference = {split: saved_model.predict(gold) for split, gold in splits.items()}
    report = read_formats(export_dir)
    report["max_f1_drop"] = MAX_F1_DROP
    report["savedmodel"] = {
        split: {"f1": round(100 * score_spans(gold, reference[split]).micro.f1, 4)}
        for split, gold in splits.items()
    }
    report.setdefault("formats", {})
    for name in tqdm(names, desc="formats", unit="format"):
        file = convert(export_dir, name)
        servable = open_format(export_dir, name, threads)
        entry: dict[str, Any] = {"file": str(file.relative_to(export_dir)),
                                 "megabytes": round(file.stat().st_size / 1e6, 2)}  # fmt: skip
        for split, gold in splits.items():
            entry[split] = score_format(gold, reference[split], servable.predict(gold)).as_dict()
        entry["offered"] = entry["dev"]["f1_drop"] <= MAX_F1_DROP
        report["formats"][name] = entry
    (export_dir / FORMATS_DIR / FORMATS_FILE).write_text(
        json.dumps(report, indent=2) + "\n", encoding="utf-8"
    )
    return report
