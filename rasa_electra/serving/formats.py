"""Each converted format of an export scored against the SavedModel (TFLite Model Maker's
``evaluate_tflite``, for every format): what decides which formats are *offered*, and which
one the component's ``backend: auto`` serves.

Dev decides (a format more than ``MAX_F1_DROP`` F1 points below the SavedModel on dev is not
offered); test is reported, never used to decide. Each runtime's p50 latency for one message
is measured on the same machine in the same run, so ``fastest`` (the quickest offered format
that beats the SavedModel) is a comparison, not an absolute speed.
"""

from __future__ import annotations

import json
import logging
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rasa_electra.data.span_metrics import score_spans
from rasa_electra.data.spans import Example, span_keys
from rasa_electra.serving.backends import (
    AUTO_CONVERSIONS,
    FORMATS_DIR,
    FORMATS_FILE,
    MAX_F1_DROP,
    can_convert,
    convert,
    open_format,
    read_formats,
)
from rasa_electra.serving.servable import ExportedModel, Servable

logger = logging.getLogger(__name__)

CONVERTING = "converting the model to its fastest formats"  # logged: a `rasa train` stage
AUTO_CHECK_MESSAGES = 300  # a bot's messages that decide a trainable-mode export's formats
LATENCY_MESSAGES = 100  # dev messages timed one at a time, after WARMUP_CALLS
# at `rasa train`: enough to tell the SavedModel from a format several times faster, in a second
AUTO_LATENCY_MESSAGES = 30
WARMUP_CALLS = 3


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


def message_latencies_ms(
    servables: dict[str, Servable], messages: Sequence[Example], timed: int = LATENCY_MESSAGES
) -> dict[str, float]:
    """Median milliseconds each runtime takes to predict one message (batch 1), as a bot
    answers one. The runtimes take turns message by message, in a rotating order, so a load
    that comes and goes on the machine (a fine-tuning beside `rasa train`) weighs on each of
    them alike instead of on whichever was timed while it lasted. ``timed``: how many messages."""
    chosen = list(messages[:timed]) or [Example("東京")]
    names = list(servables)
    for name in names:
        for example in chosen[:WARMUP_CALLS]:
            servables[name].predict([example], batch_size=1)
    times: dict[str, list[float]] = {name: [] for name in names}
    for index, example in enumerate(chosen):
        for name in names[index % len(names) :] + names[: index % len(names)]:
            started = time.perf_counter()
            servables[name].predict([example], batch_size=1)
            times[name].append(1000 * (time.perf_counter() - started))
    return {name: round(statistics.median(values), 3) for name, values in times.items()}


def fastest_offered(report: dict[str, Any]) -> str | None:
    """The offered format with the lowest measured latency, if it is below the SavedModel's."""
    reference = report.get("savedmodel", {}).get("latency_ms")
    timed = [
        (entry["latency_ms"], name)
        for name, entry in report.get("formats", {}).items()
        if entry.get("offered") and entry.get("latency_ms") is not None
    ]
    if not timed or reference is None or min(timed)[0] >= reference:
        return None
    return min(timed)[1]


def evaluate_formats(
    export_dir: str | Path,
    names: Sequence[str],
    dev: Sequence[Example],
    test: Sequence[Example] = (),
    threads: int = 0,
    saved_model: ExportedModel | None = None,
    timed: int = LATENCY_MESSAGES,
) -> dict[str, Any]:
    """Convert each format, score it beside the SavedModel (``saved_model``: the export's,
    already loaded), time each on ``timed`` dev messages and write ``formats/formats.json``."""
    from tqdm import tqdm

    export_dir = Path(export_dir)
    splits = {"dev": list(dev), **({"test": list(test)} if test else {})}
    saved_model = saved_model or ExportedModel(export_dir)
    reference = {split: saved_model.predict(gold) for split, gold in splits.items()}
    report = read_formats(export_dir)
    report["max_f1_drop"] = MAX_F1_DROP
    report["savedmodel"] = {
        split: {"f1": round(100 * score_spans(gold, reference[split]).micro.f1, 4)}
        for split, gold in splits.items()
    }
    report.setdefault("formats", {})
    servables: dict[str, Servable] = {"savedmodel": saved_model}
    for name in tqdm(names, desc="formats", unit="format"):
        file = convert(export_dir, name)
        servables[name] = open_format(export_dir, name, threads)
        entry: dict[str, Any] = {"file": str(file.relative_to(export_dir)),
                                 "megabytes": round(file.stat().st_size / 1e6, 2)}  # fmt: skip
        for split, gold in splits.items():
            predicted = servables[name].predict(gold)
            entry[split] = score_format(gold, reference[split], predicted).as_dict()
        entry["offered"] = entry["dev"]["f1_drop"] <= MAX_F1_DROP
        report["formats"][name] = entry
    latencies = message_latencies_ms(servables, splits["dev"], timed)
    report["savedmodel"]["latency_ms"] = latencies.pop("savedmodel")
    for name, latency in latencies.items():
        report["formats"][name]["latency_ms"] = latency
    report["fastest"] = fastest_offered(report)
    (export_dir / FORMATS_DIR).mkdir(exist_ok=True)  # none converted: the report says so
    (export_dir / FORMATS_DIR / FORMATS_FILE).write_text(
        json.dumps(report, indent=2) + "\n", encoding="utf-8"
    )
    return report


def convert_for_auto(
    export_dir: str | Path, check: Sequence[Example], against_savedmodel: bool = False,
    names: Sequence[str] = AUTO_CONVERSIONS, reference: Servable | None = None,
) -> dict[str, Any] | None:  # fmt: skip
    """Convert a new export to ``AUTO_CONVERSIONS`` and score them on ``check`` (dev), so
    ``backend: auto`` can serve the fastest offered one: ``convert_in_tiers`` with one tier."""
    return convert_in_tiers(export_dir, check, [names], against_savedmodel, reference)


def convert_in_tiers(
    export_dir: str | Path, check: Sequence[Example], tiers: Sequence[Sequence[str]],
    against_savedmodel: bool = True, reference: Servable | None = None,
) -> dict[str, Any] | None:  # fmt: skip
    """Convert and score ``tiers`` of formats, a tier only when no format before it is offered:
    at `rasa train` the int8 ONNX (the fastest) serves where it keeps the model's entities, the
    exact float32 ONNX where it does not, and the SavedModel only where no ONNX of it can.
    ``against_savedmodel``: the check texts have no gold of the model's labels (a bot's
    messages at `rasa train`), so the SavedModel's own entities are the reference and a
    format's drop is its disagreement. ``reference``: the model those formats are checked
    against in place of the export's SavedModel (the fine-tuned model still in memory,
    ``servable.TrainedModel``). A conversion that fails returns None with a warning: the
    trained model is never lost to it."""
    if not can_convert():
        logger.info("no conversion: tf2onnx and onnxruntime are not installed (the onnx extra)")
        return None
    logger.info("%s for backend auto", CONVERTING)
    try:
        saved_model = reference or ExportedModel(export_dir)
        timed = LATENCY_MESSAGES
        if against_savedmodel:  # a bot's training data can be large: a sample decides
            check = saved_model.predict([Example(e.text) for e in check[:AUTO_CHECK_MESSAGES]])
            timed = AUTO_LATENCY_MESSAGES
        for names in tiers:
            report = evaluate_formats(export_dir, names, check, saved_model=saved_model,
                                      timed=timed)  # fmt: skip
            if report["fastest"] is not None:
                break
    except Exception as error:  # tf2onnx and ONNX Runtime raise many types; the export stands
        logger.warning("converting %s failed (%s: %s); the SavedModel serves",
                       export_dir, type(error).__name__, error)  # fmt: skip
        return None
    logger.info("backend auto will serve %s", report["fastest"] or "the SavedModel")
    return report
