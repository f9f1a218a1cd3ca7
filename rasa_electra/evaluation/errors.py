"""Why a system loses points, not only how many: each gold entity's fate (found, right span with
the wrong label, right label with the wrong edges, both wrong, missed), the spurious entities,
a label confusion matrix, and the test sentences where the systems disagree most."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rasa_electra.data.spans import Example, Span

NONE = "(none)"  # no entity: a missed gold entity's prediction, a spurious one's gold
KINDS = ("correct", "type", "boundary", "both", "missed")


def to_rows(predictions: Sequence[Example]) -> list[list[dict[str, Any]]]:
    """Predicted spans as JSON rows, one list per message (the harness keeps them)."""
    return [[asdict(span) for span in example.spans] for example in predictions]


def from_rows(gold: Sequence[Example], rows: Sequence[Sequence[dict]]) -> list[Example]:
    return [Example(g.text, tuple(Span(**span) for span in spans)) for g, spans in zip(gold, rows,
            strict=True)]  # fmt: skip


def best_overlap(span: Span, others: Sequence[Span]) -> Span | None:
    """The span of ``others`` sharing the most characters with ``span`` (None: none does)."""
    shared = [(min(span.end, o.end) - max(span.start, o.start), o) for o in others]
    shared = [(n, o) for n, o in shared if n > 0]
    return max(shared, key=lambda pair: pair[0])[1] if shared else None


def fate(span: Span, predicted: Sequence[Span]) -> tuple[str, str]:
    """What became of a gold span: its kind (``KINDS``) and the label it was given."""
    match = best_overlap(span, predicted)
    if match is None:
        return "missed", NONE
    exact = (match.start, match.end) == (span.start, span.end)
    if match.label == span.label:
        return ("correct" if exact else "boundary"), match.label
    return ("type" if exact else "both"), match.label


def error_kinds(gold: Sequence[Example], predicted: Sequence[Example]) -> dict[str, Counter]:
    """Per gold label, how many of its entities met each fate; per predicted label, how many
    entities were predicted where gold has none (``spurious``)."""
    kinds: dict[str, Counter] = {}
    for truth, guess in zip(gold, predicted, strict=True):
        for span in truth.spans:
            kinds.setdefault(span.label, Counter())[fate(span, guess.spans)[0]] += 1
        for span in guess.spans:
            if best_overlap(span, truth.spans) is None:
                kinds.setdefault(span.label, Counter())["spurious"] += 1
    return kinds


def confusion(gold: Sequence[Example], predicted: Sequence[Example]) -> Counter:
    """(gold label, predicted label) pairs by overlap: a missed entity's prediction and a
    spurious entity's gold are ``NONE``."""
    pairs: Counter = Counter()
    for truth, guess in zip(gold, predicted, strict=True):
        for span in truth.spans:
            pairs[span.label, fate(span, guess.spans)[1]] += 1
        for span in guess.spans:
            if best_overlap(span, truth.spans) is None:
                pairs[NONE, span.label] += 1
    return pairs


def disagreements(predictions: Mapping[str, Sequence[Example]], count: int = 10) -> list[int]:
    """The messages where the systems disagree most: the most spans some system predicts and
    another does not, first in file order among equals."""
    systems = list(predictions.values())
    scores = []
    for index in range(len(systems[0])):
        sets = [{(s.start, s.end, s.label) for s in system[index].spans} for system in systems]
        scores.append((len(set().union(*sets) - set.intersection(*sets)), index))
    ranked = sorted(scores, key=lambda pair: (-pair[0], pair[1]))
    return [index for score, index in ranked[:count] if score > 0]


def error_tables(
    gold: Sequence[Example], predictions: Mapping[str, Sequence[Example]]
) -> list[str]:
    """Markdown: per system, each label's entities by fate and its spurious predictions; then
    the sentences the systems disagree on most, with each system's entities."""
    lines = []
    for name, predicted in predictions.items():
        kinds = error_kinds(gold, predicted)
        lines += ["", f"Errors of `{name}` by gold label (type: right span, wrong label; "
                  "boundary: right label, wrong edges; both: overlapping, both wrong):", "",
                  "| label | " + " | ".join(KINDS) + " | spurious |",
                  "| --- |" + " ---: |" * (len(KINDS) + 1)]  # fmt: skip
        ordered = sorted(kinds, key=lambda label: -sum(kinds[label][k] for k in KINDS))
        for label in ordered:
            cells = " | ".join(str(kinds[label][k]) for k in (*KINDS, "spurious"))
            lines.append(f"| {label} | {cells} |")
    worst = disagreements(predictions) if len(predictions) > 1 else []
    if worst:
        lines += ["", "The test sentences where the systems disagree most:", ""]
        for index in worst:
            lines.append(f"- {gold[index].text}")
            lines.append(f"  - gold: {gold[index].entities()}")
            lines += [f"  - {name}: {p[index].entities()}" for name, p in predictions.items()]
    return lines


def plot_confusion(pairs: Counter, path: Path, title: str) -> Path:
    """The confusion matrix as a heat map, gold labels down, predicted across."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    golds = [*sorted({g for g, _ in pairs} - {NONE}), NONE]
    guesses = [*sorted({p for _, p in pairs} - {NONE}), NONE]
    grid = np.array([[pairs[g, p] for p in guesses] for g in golds])
    figure, axis = plt.subplots(figsize=(0.45 * len(guesses) + 3, 0.4 * len(golds) + 2))
    axis.imshow(np.log1p(grid), cmap="Blues")
    axis.set_xticks(range(len(guesses)), guesses, rotation=60, ha="right")
    axis.set_yticks(range(len(golds)), golds)
    for (row, column), value in np.ndenumerate(grid):
        if value:
            axis.text(column, row, str(value), ha="center", va="center", fontsize=7)
    axis.set_xlabel("predicted")
    axis.set_ylabel("gold")
    axis.set_title(title)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
