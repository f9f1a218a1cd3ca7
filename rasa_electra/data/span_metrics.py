"""Span-level precision, recall and F1 by exact match of (start, end, label) on characters.

Character offsets make the score tokenizer-independent: a CRF on MeCab words and a transformer on
subwords are judged on the same gold spans.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rasa_electra.data.spans import Example, span_keys


@dataclass(frozen=True)
class Score:
    """Counts and the ratios derived from them (0 where undefined)."""

    true_positives: int
    predicted: int
    gold: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 6),
            "recall": round(self.recall, 6),
            "f1": round(self.f1, 6),
            "support": self.gold,
            "predicted": self.predicted,
            "true_positives": self.true_positives,
        }


@dataclass(frozen=True)
class SpanScores:
    micro: Score
    per_label: dict[str, Score]


def score_spans(gold: Sequence[Example], predicted: Sequence[Example]) -> SpanScores:
    """Micro and per-label scores; ``gold[i]`` and ``predicted[i]`` must share their text."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold examples but {len(predicted)} predictions")
    hits, n_pred, n_gold = Counter(), Counter(), Counter()
    for g, p in zip(gold, predicted, strict=True):
        if g.text != p.text:
            raise ValueError(f"prediction text differs from gold: {p.text!r} vs {g.text!r}")
        gold_keys, pred_keys = set(span_keys(g)), set(span_keys(p))
        n_gold.update(label for _, _, label in gold_keys)
        n_pred.update(label for _, _, label in pred_keys)
        hits.update(label for _, _, label in gold_keys & pred_keys)
    labels = sorted(set(n_gold) | set(n_pred), key=lambda label: (-n_gold[label], label))
    per_label = {label: Score(hits[label], n_pred[label], n_gold[label]) for label in labels}
    micro = Score(sum(hits.values()), sum(n_pred.values()), sum(n_gold.values()))
    return SpanScores(micro, per_label)


def format_scores(scores: SpanScores) -> str:
    """A fixed-width table: one row per label, then the micro average."""
    width = max([len("micro avg"), *map(len, scores.per_label)])
    rows = [f"{'label':<{width}}  precision  recall      f1  support"]
    for label, score in [*scores.per_label.items(), ("micro avg", scores.micro)]:
        rows.append(
            f"{label:<{width}}  {score.precision:9.4f}  {score.recall:6.4f}  {score.f1:6.4f}"
            f"  {score.gold:7d}"
        )
    return "\n".join(rows)


def mean_std(values: Sequence[float]) -> dict[str, float]:
    """Mean and sample standard deviation (0 for one value), rounded for reports."""
    return {
        "mean": round(statistics.fmean(values), 6),
        "std": round(statistics.stdev(values), 6) if len(values) > 1 else 0.0,
    }


def pooled_mean_std(groups: Sequence[tuple[int, dict[str, float]]]) -> dict[str, float]:
    """``mean_std`` of the union of groups known only by (count, ``mean_std``): exact, so a
    summary kept in a record and new values give what all the values together would."""
    count = sum(n for n, _ in groups)
    mean = sum(n * stat["mean"] for n, stat in groups) / count
    squares = sum((n - 1) * stat["std"] ** 2 + n * (stat["mean"] - mean) ** 2 for n, stat in groups)
    return {
        "mean": round(mean, 6),
        "std": round((squares / (count - 1)) ** 0.5, 6) if count > 1 else 0.0,
    }


def summarize_trials(trial_scores: Sequence[dict]) -> dict:
    """Mean ± std over trials of micro P/R/F1 and of each label's P/R/F1, from each trial's
    ``{"micro": …, "per_label": …}`` (what ``SpanScores`` gives as dicts): the one summary the
    fine-tuning command and the harness report."""
    keys = ("precision", "recall", "f1")
    labels = sorted({label for scores in trial_scores for label in scores["per_label"]})
    first = trial_scores[0]["per_label"]

    def label_summary(label: str) -> dict:
        values = [scores["per_label"].get(label, {}) for scores in trial_scores]
        summary = {k: mean_std([v.get(k, 0.0) for v in values]) for k in keys}
        return summary | {"support": first.get(label, {}).get("support", 0)}

    return {
        "micro": {k: mean_std([s["micro"][k] for s in trial_scores]) for k in keys},
        "per_label": {label: label_summary(label) for label in labels},
    }
