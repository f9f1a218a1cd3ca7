"""The core type: a text plus labelled character spans.

Every stage — the BIO reader, Rasa data, tokenizer alignment, predictions, metrics — speaks in
``Example`` and ``Span``. Conversions to other shapes (BIO tags, Rasa entity dicts, markdown
annotations) happen at the edges, in the modules named after those formats.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """Where something came from, so errors and reports can name ``file:line``."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


class EncodingError(ValueError):
    """A line of a text file that is not UTF-8, named ``file:line``."""

    def __init__(self, location: Location, detail: str) -> None:
        super().__init__(f"{location}: {detail}")
        self.location, self.detail = location, detail


def decoded_lines(path: str | Path) -> Iterator[str]:
    """The file's lines as text, line endings kept (``\n``, ``\r\n`` or a bare ``\r``); a
    line that is not UTF-8 raises ``EncodingError`` naming its ``file:line``."""
    data = Path(path).read_bytes()
    for number, raw in enumerate(re.split(rb"(?<=\n)|(?<=\r)(?!\n)", data), start=1):
        if not raw:
            continue
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise EncodingError(
                Location(str(path), number),
                f"not UTF-8 (byte {error.start + 1} of the line: "
                f"{raw[error.start : error.start + 4]!r})",
            ) from None


@dataclass(frozen=True, order=True)
class Span:
    """A labelled character span ``text[start:end]`` (end exclusive).

    ``value``, ``role`` and ``group`` carry Rasa's optional entity attributes (synonym value,
    entity roles/groups) so that a user's Rasa data converts without losing them. Spans read
    from BIO never set them. ``confidence`` is set on predictions and ignored by comparisons.
    """

    start: int
    end: int
    label: str
    value: str | None = None
    role: str | None = None
    group: str | None = None
    confidence: float | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"span must satisfy 0 <= start < end, got {self.start}..{self.end}")
        if not self.label:
            raise ValueError("span label must not be empty")

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


class SpanError(ValueError):
    """An Example whose spans do not fit its text."""


@dataclass(frozen=True)
class Example:
    """One annotated text: the unit every stage passes along.

    ``intent`` is kept because Rasa data needs one; GSD sentences get a single fixed intent.
    ``source`` says where the example was read from, for error messages.
    """

    text: str
    spans: tuple[Span, ...] = ()
    intent: str | None = None
    source: Location | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.spans))
        object.__setattr__(self, "spans", ordered)
        for span in ordered:
            if span.end > len(self.text):
                raise SpanError(
                    f"span {span.start}..{span.end} {span.label!r} runs past the end of a "
                    f"text of length {len(self.text)}{self.where}"
                )
        for left, right in pairwise(ordered):
            if left.overlaps(right):
                raise SpanError(f"overlapping spans {left} and {right}{self.where}")

    @property
    def where(self) -> str:
        """`` at file:line`` when the source is known, for appending to error messages."""
        return f" at {self.source}" if self.source else ""

    def span_text(self, span: Span) -> str:
        return self.text[span.start : span.end]

    def entities(self) -> list[tuple[str, str]]:
        """(surface text, label) pairs, handy for reading and for tests."""
        return [(self.span_text(s), s.label) for s in self.spans]


def count_labels(examples: Iterable[Example]) -> Counter[str]:
    """Entities per label over a collection of examples."""
    return Counter(span.label for example in examples for span in example.spans)


def span_keys(example: Example) -> list[tuple[int, int, str]]:
    """(start, end, label) triples: what span-level comparisons and metrics look at."""
    return [(s.start, s.end, s.label) for s in example.spans]


def same_annotation(a: Sequence[Example], b: Sequence[Example]) -> list[int]:
    """Indices where two aligned example lists differ in text or spans (empty means equal)."""
    if len(a) != len(b):
        raise ValueError(f"cannot compare {len(a)} examples with {len(b)}")
    return [
        i
        for i, (x, y) in enumerate(zip(a, b, strict=True))
        if x.text != y.text or x.spans != y.spans
    ]


def relabel(
    examples: Iterable[Example], mapping: dict[str, str]
) -> tuple[list[Example], Counter[str]]:
    """Each span's label through ``mapping``; spans whose label it lacks are dropped and
    counted by label, so a label set translated at the edge says what it left out."""
    kept, dropped = [], Counter()
    for example in examples:
        spans = []
        for span in example.spans:
            if span.label in mapping:
                spans.append(replace(span, label=mapping[span.label]))
            else:
                dropped[span.label] += 1
        kept.append(replace(example, spans=tuple(spans)))
    return kept, dropped


def boundaries_only(examples: Iterable[Example]) -> list[Example]:
    """Every span labelled ``ENTITY``: scoring these gives boundary-only (label-blind) F1."""
    return [
        replace(example, spans=tuple(replace(s, label="ENTITY") for s in example.spans))
        for example in examples
    ]
