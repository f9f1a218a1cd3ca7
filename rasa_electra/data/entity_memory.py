"""The training data's labels for entity texts, used to relabel a decoded span.

Most of a tagger's span errors on GSD are the right boundaries with the wrong label (a katakana
place read as a person, a company as a product). When the training data labelled the very same
text, nearly always with one label, that label is more likely right than the model's guess:
the CRF gets this from its word-identity features, a fine-tuned encoder forgets it.

``EntityMemory.learn`` counts, for every entity text of the training data, how often each label
was given; ``relabel`` gives a decoded span the text's majority label when that label's share
is at least ``min_share``. Spans are never added or moved: boundaries stay the model's. A span
whose label changes takes the memory's share as its confidence and drops the role and group the
model gave it for the other label. The export keeps the counts as ``entity_memory.json``, so the
threshold can change at serving time and every backend relabels the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from rasa_electra.data.side_files import read_label_keyed, write_label_keyed
from rasa_electra.data.spans import Example, Span

MEMORY_FILE = "entity_memory.json"


def check_share(min_share: float) -> None:
    """A share above one half, so that at most one label can reach it."""
    if not 0.5 < min_share <= 1.0:
        raise ValueError(f"entity_memory must be a share in (0.5, 1], got {min_share!r}")


@dataclass(frozen=True)
class EntityMemory:
    """Per entity text, how many times the training data gave it each label."""

    counts: dict[str, dict[str, int]]
    min_share: float

    def __post_init__(self) -> None:
        check_share(self.min_share)

    @classmethod
    def learn(cls, examples: Iterable[Example], min_share: float) -> EntityMemory:
        counts: dict[str, Counter[str]] = {}
        for example in examples:
            for span in example.spans:
                counts.setdefault(example.span_text(span), Counter())[span.label] += 1
        return cls({text: dict(c) for text, c in counts.items()}, min_share)

    def label_for(self, text: str) -> tuple[str, float] | None:
        """The text's majority label and its share, when the share reaches ``min_share``."""
        labels = self.counts.get(text)
        if not labels:
            return None
        label, count = max(labels.items(), key=lambda item: (item[1], item[0]))
        share = count / sum(labels.values())
        return (label, share) if share >= self.min_share else None

    def relabel(self, example: Example) -> Example:
        """The example with every span the memory knows labelled as the memory says."""
        spans = tuple(self._relabelled(example, span) for span in example.spans)
        return replace(example, spans=spans) if spans != example.spans else example

    def _relabelled(self, example: Example, span: Span) -> Span:
        known = self.label_for(example.span_text(span))
        if known is None or known[0] == span.label:
            return span
        label, share = known
        return replace(span, label=label, role=None, group=None, confidence=share)

    def save(self, directory: Path, labels: Sequence[str]) -> Path:
        """``entity_memory.json`` beside the export, keyed by its labels."""
        body = {"min_share": self.min_share, "counts": self.counts}
        return write_label_keyed(Path(directory) / MEMORY_FILE, labels, body)

    @classmethod
    def load(
        cls, directory: Path, labels: Sequence[str], min_share: float | None = None
    ) -> EntityMemory | None:
        """The export's memory (its own threshold unless ``min_share`` is given), or None."""

        def parse(body: dict) -> EntityMemory:
            counts = {
                str(text): {str(label): int(n) for label, n in dict(by_label).items()}
                for text, by_label in body["counts"].items()
            }
            return cls(counts, float(body["min_share"] if min_share is None else min_share))

        return read_label_keyed(
            Path(directory) / MEMORY_FILE, labels, "memory of entity labels", parse
        )
