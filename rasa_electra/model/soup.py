"""Weight averaging ("model soup", Wortsman et al. 2022): several fine-tunings of one start point
that differ only in their seed, averaged into one model that serves at one model's cost.

Fine-tunings from one start point (the same encoder and the same head, as continued training
from a silver-stage export has) stay in one basin, so the mean of their weights is a model of
its own and often better than each. Everything the export decodes with is averaged too: the
encoder and head weights, a CRF head's transitions and the word-feature tables. Ingredients
must share labels, words, subwords, feature values, head and entity memory (their training
data); a different start point is
allowed (dev says whether the soup works) but reported.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

import numpy as np

from rasa_electra.data.entity_memory import EntityMemory
from rasa_electra.data.viterbi import Transitions
from rasa_electra.model import model_spec
from rasa_electra.model.crf import CrfScores
from rasa_electra.model.export import CARD_FILE, TOKENIZER_DIR, read_labels
from rasa_electra.model.ner import NerModel
from rasa_electra.model.training_config import TrainingConfig
from rasa_electra.model.weights import export_variables, relative_name
from rasa_electra.model.word_features import FeatureTables, FeatureVariables

logger = logging.getLogger(__name__)


class SoupError(ValueError):
    """Exports that cannot be averaged into one model."""


def _card(export: Path) -> dict:
    path = export / CARD_FILE
    if not path.is_file():
        raise SoupError(f"{export} is not an export (no {CARD_FILE})")
    return json.loads(path.read_text(encoding="utf-8"))


def _same(exports: Sequence[Path], what: str, values: Sequence) -> None:
    """Refuse ingredients whose ``values`` (one per export) differ in ``what``."""
    for export, value in zip(exports[1:], values[1:], strict=True):
        if value != values[0]:
            raise SoupError(f"{export} and {exports[0]} differ in their {what}: not one soup")


def _tokenizer_files(export: Path) -> dict[str, bytes]:
    folder = export / TOKENIZER_DIR
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _mean(values: Sequence[np.ndarray]) -> np.ndarray:
    return np.mean(np.stack(values), axis=0)


def check_ingredients(exports: Sequence[Path]) -> list[dict]:
    """The exports' cards, once every part a soup needs equal is equal."""
    if len(exports) < 2:
        raise SoupError("a soup needs at least two exports")
    cards = [_card(e) for e in exports]
    _same(exports, "labels", [read_labels(e) for e in exports])
    _same(exports, "tokenizer (words and subwords)", [_tokenizer_files(e) for e in exports])
    _same(exports, "head", [c["hyperparameters"].get("head") for c in cards])
    _same(exports, "word features", [c.get("word_features") for c in cards])
    starts = {c["start_point"]["source"] for c in cards}
    if len(starts) > 1:
        logger.warning("the ingredients start from different points (%s)", ", ".join(starts))
    return cards


def average(exports: Sequence[str | Path]) -> NerModel:
    """One model whose every weight, transition and feature score is the ingredients' mean."""
    exports = [Path(e) for e in exports]
    cards = check_ingredients(exports)
    labels = read_labels(exports[0])
    start = cards[0]["start_point"]
    spec = model_spec.get(exports[0], start["max_seq_length"], start["label_scheme"])
    model = spec.build_model(labels)  # the first ingredient's weights, every head row kept
    saved = [export_variables(e) for e in exports]
    for weight in model.weights:
        weight.assign(_mean([s[relative_name(weight.name)] for s in saved]))
    names = {f.name for f in fields(TrainingConfig)}
    hyper = {k: v for k, v in cards[0]["hyperparameters"].items() if k in names}
    hyper["word_features"] = tuple(hyper.get("word_features") or ())
    config = TrainingConfig(**hyper)
    crf = None
    transitions = [Transitions.load(e, labels) for e in exports]
    if transitions[0] is not None:
        crf = CrfScores(labels)
        for variable, part in zip(crf.variables, ("start", "transition", "end"), strict=True):
            variable.assign(_mean([getattr(t, part) for t in transitions]).astype(np.float32))
    word_features = None
    tables = [FeatureTables.load(e, labels) for e in exports]
    if tables[0] is not None:
        _same(exports, "feature values", [t.vocab for t in tables])
        word_features = FeatureVariables(tables[0].vocab, len(labels))
        for variable, name in zip(word_features.tables, tables[0].vocab.names, strict=True):
            variable.assign(_mean([t.tables[name] for t in tables]).astype(np.float32))
    memories = [EntityMemory.load(e, labels) for e in exports]
    _same(exports, "entity memory", [m.counts if m else None for m in memories])
    return NerModel(
        spec, model, labels, config, crf=crf, word_features=word_features, memory=memories[0]
    )
