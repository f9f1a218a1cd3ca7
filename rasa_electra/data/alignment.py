"""How many gold entities a tokenization cannot represent.

A token-level tagger (CRF on MeCab words, a transformer on subwords) can only predict spans whose
start and end fall on token boundaries. Every stage reports this figure for its own tokenizer, so
the ceiling each system works under is visible next to its scores.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from rasa_electra.data.spans import Example, Span

# Anything that gives (start, end) offsets of a text's tokens.
TokenOffsets = Callable[[str], Sequence[tuple[int, int]]]


@dataclass
class MisalignmentReport:
    """Counts of gold entities whose edges are not token boundaries."""

    entities: int = 0
    bad_start: int = 0
    bad_end: int = 0
    misaligned: int = 0  # start or end (or both) inside a token
    by_label: Counter[str] = field(default_factory=Counter)
    examples: list[tuple[Example, Span]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.misaligned / self.entities if self.entities else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "entities": self.entities,
            "misaligned": self.misaligned,
            "bad_start": self.bad_start,
            "bad_end": self.bad_end,
            "rate": round(self.rate, 6),
            "by_label": dict(self.by_label.most_common()),
            "samples": [
                {
                    "source": str(example.source),
                    "entity": example.span_text(span),
                    "label": span.label,
                }
                for example, span in self.examples
            ],
        }


def count_misaligned(
    examples: Iterable[Example], token_offsets: TokenOffsets, keep: int = 20
) -> MisalignmentReport:
    """Check every gold span against the tokenizer's boundaries; keep a few cases to show."""
    report = MisalignmentReport()
    for example in examples:
        offsets = token_offsets(example.text)
        starts = {start for start, _ in offsets}
        ends = {end for _, end in offsets}
        for span in example.spans:
            report.entities += 1
            start_ok, end_ok = span.start in starts, span.end in ends
            report.bad_start += not start_ok
            report.bad_end += not end_ok
            if not (start_ok and end_ok):
                report.misaligned += 1
                report.by_label[span.label] += 1
                if len(report.examples) < keep:
                    report.examples.append((example, span))
    return report
