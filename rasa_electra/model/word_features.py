"""Word-feature tables: a learned score per (feature value, tag), added to each word's logits.

A linear head over ``[encoder output; one-hot features]`` at a word's first piece is the same as
the encoder's logits plus one row per feature value, so the feature part lives beside the
SavedModel as ``word_features.json`` and is added on the host after any backend has answered:
log p(tag) + Σ table[value, tag], renormalised. The export's signature and its converted
formats stay as they are. Id 0 of every feature is reserved for a value training never saw (a
new POS from a user dictionary, say): it scores 0 and never crashes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from rasa_electra.data.side_files import read_label_keyed, write_label_keyed
from rasa_electra.tokenization.subwords import TokenizedText
from rasa_electra.tokenization.word_features import check_names, feature_values

FEATURES_FILE = "word_features.json"
UNKNOWN = 0


@dataclass(frozen=True)
class FeatureVocab:
    """Each feature's known values; value ``values[name][k]`` has id ``k + 1``."""

    names: tuple[str, ...]
    values: dict[str, list[str]]

    @classmethod
    def build(
        cls, tokenized: Sequence[TokenizedText], names: Sequence[str], min_count: int = 2
    ) -> FeatureVocab:
        """The values seen at least ``min_count`` times in the training words (rarer ones
        share the unknown id, so it is trained too)."""
        check_names(names)
        counts = {name: Counter() for name in names}
        for text in tokenized:
            for row in feature_values(text.words, names):
                for name, value in zip(names, row, strict=True):
                    counts[name][value] += 1
        values = {
            name: sorted(v for v, n in counts[name].items() if n >= min_count) for name in names
        }
        return cls(tuple(names), values)

    def size(self, name: str) -> int:
        return len(self.values[name]) + 1

    @cached_property
    def _lookup(self) -> dict[str, dict[str, int]]:
        """value → id per feature, built once (``ids`` runs for every message served)."""
        return {name: {v: k + 1 for k, v in enumerate(vs)} for name, vs in self.values.items()}

    def value_ids(self, name: str) -> dict[str, int]:
        """One feature's known values and their ids (``UNKNOWN`` is the rest's)."""
        return self._lookup[name]

    def ids(self, tokenized: TokenizedText) -> np.ndarray:
        """[words, features] int32 ids for one text's words."""
        lookup = self._lookup
        rows = feature_values(tokenized.words, self.names)
        table = [
            [lookup[name].get(value, UNKNOWN) for name, value in zip(self.names, row, strict=True)]
            for row in rows
        ]
        return np.asarray(table, np.int32).reshape(len(rows), len(self.names))


def with_log_scores(probabilities: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Word probabilities with per-tag ``scores`` added to their logarithms, renormalised:
    how the word features' tables and another extractor's entities change a model's."""
    logits = np.log(np.maximum(probabilities.astype(np.float64), 1e-300)) + scores
    logits -= logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)


@dataclass(frozen=True)
class FeatureTables:
    """The learned scores: per feature, [values + 1, labels]."""

    vocab: FeatureVocab
    tables: dict[str, np.ndarray]

    def adjust(self, probabilities: np.ndarray, tokenized: TokenizedText) -> np.ndarray:
        """The model's word probabilities with the features' scores added in log space."""
        if len(probabilities) == 0:
            return probabilities
        ids = self.vocab.ids(tokenized)
        scores = sum(self.tables[name][ids[:, column]]
                     for column, name in enumerate(self.vocab.names))  # fmt: skip
        return with_log_scores(probabilities, scores)

    def save(self, directory: Path, labels: Sequence[str]) -> Path:
        """``word_features.json`` beside the export, keyed by its labels."""
        body = {
            "features": list(self.vocab.names),
            "values": self.vocab.values,
            "tables": {name: table.tolist() for name, table in self.tables.items()},
        }
        return write_label_keyed(Path(directory) / FEATURES_FILE, labels, body)

    @classmethod
    def load(cls, directory: Path, labels: Sequence[str]) -> FeatureTables | None:
        """The export's feature tables, or None when it was trained without features."""

        def parse(body: dict) -> FeatureTables:
            vocab = FeatureVocab(tuple(body["features"]), dict(body["values"]))
            check_names(vocab.names)
            tables = {name: np.asarray(body["tables"][name], np.float64) for name in vocab.names}
            if any(tables[n].shape != (vocab.size(n), len(labels)) for n in vocab.names):
                raise ValueError("its table shapes are not the vocabulary's and labels'")
            return cls(vocab, tables)

        return read_label_keyed(
            Path(directory) / FEATURES_FILE, labels, "word-features file", parse
        )


class FeatureVariables:
    """The tables as TensorFlow variables while training (zeros: no effect until learned)."""

    def __init__(self, vocab: FeatureVocab, n_labels: int) -> None:
        import tensorflow as tf

        self.vocab = vocab
        self.tables = [
            tf.Variable(tf.zeros([vocab.size(name), n_labels]), name=f"word_features/{name}")
            for name in vocab.names
        ]

    @property
    def variables(self) -> list:
        return list(self.tables)

    def scores(self, ids):
        """[batch, words, labels] from ids [batch, words, features]."""
        import tensorflow as tf

        return tf.add_n([tf.gather(table, ids[..., k]) for k, table in enumerate(self.tables)])

    def to_tables(self) -> FeatureTables:
        names = self.vocab.names
        tables = {n: t.numpy().astype(np.float64) for n, t in zip(names, self.tables, strict=True)}
        return FeatureTables(self.vocab, tables)
