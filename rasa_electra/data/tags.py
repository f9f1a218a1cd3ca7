"""Tag schemes (BIO, BIOES) between word-level tags and character spans.

Decoding rule for invalid sequences (documented, tested, used everywhere): a tag that cannot
continue the open entity starts a new one — ``I-X`` after ``O`` or after an entity of another
label is read as ``B-X`` (the conlleval convention); ``E-X``/``S-X`` are read as ``I-X``/``B-X``
followed by a close.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from rasa_electra.data.spans import Example, Span, SpanError

OUTSIDE = "O"
SCHEMES = ("BIO", "BIOES")
# Rasa's entity roles and groups, carried inside the tag's label: ``B-city|role=from``
ATTRIBUTES = ("role", "group")
JOIN = "|"


def tag_label(span: Span, attributes: Sequence[str] = ATTRIBUTES) -> str:
    """The label a tagger learns for ``span``: its entity label joined by its role and group
    when it has them (``city|role=from``). One tag sequence then carries Rasa's roles and
    groups, so every backend, the Viterbi decoder and a CRF head's transitions (from → to)
    serve them as they serve entities; a model trained without them has plain labels."""
    label = span.label
    for name in attributes:
        value = getattr(span, name)
        if value is None:
            continue
        if JOIN in span.label or JOIN in value or "=" in value:
            raise SpanError(f"entity {span.label!r} {name} {value!r}: names used with roles and "
                            f"groups cannot hold {JOIN!r} or '='")  # fmt: skip
        label += f"{JOIN}{name}={value}"
    return label


def entity_of(label: str) -> str:
    """The entity label inside a tag label: ``city|role=from`` → ``city``."""
    return label.split(JOIN)[0]


def from_tag_label(span: Span) -> Span:
    """``tag_label`` undone: ``city|role=from`` → label ``city``, role ``from``."""
    label, *parts = span.label.split(JOIN)
    attributes = dict(part.split("=", 1) for part in parts if "=" in part)
    return replace(span, label=label, **{k: v for k, v in attributes.items() if k in ATTRIBUTES})


def tag_labels(examples: Iterable[Example]) -> list[str]:
    """The labels a tagger learns for these examples (roles and groups joined in), sorted."""
    return sorted({tag_label(span) for example in examples for span in example.spans})


def with_attribute(examples: Iterable[Example], attribute: str) -> list[Example]:
    """Each span labelled with its role (or group) joined in: scoring these gives
    entity+role (entity+group) F1, where a span counts only with the right role too."""
    return [
        replace(example, spans=tuple(
            replace(s, label=tag_label(s, (attribute,))) for s in example.spans))
        for example in examples
    ]  # fmt: skip


def label_list(entity_labels: Iterable[str], scheme: str = "BIO") -> list[str]:
    """``O`` first, then the scheme's prefixes for each entity label, in a stable order."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown tag scheme {scheme!r}; choose one of {SCHEMES}")
    prefixes = "BI" if scheme == "BIO" else "BIES"
    return [OUTSIDE] + [f"{p}-{label}" for label in sorted(set(entity_labels)) for p in prefixes]


def entity_labels(tags: Iterable[str]) -> list[str]:
    """The entity labels behind a tag list (``B-GPE``, ``I-GPE`` → ``GPE``), sorted: what a
    model can predict, whichever scheme its tags use."""
    return sorted({entity_of(tag.split("-", 1)[1]) for tag in tags if tag != OUTSIDE})


def word_tags(
    word_offsets: Sequence[tuple[int, int]], spans: Sequence[Span], scheme: str = "BIO"
) -> tuple[list[str], list[Span]]:
    """Tags per word for the spans that fit word boundaries, and the spans that do not; a
    span's role and group are part of its tags' label (``tag_label``)."""
    starts = {start: i for i, (start, _) in enumerate(word_offsets)}
    ends = {end: i for i, (_, end) in enumerate(word_offsets)}
    tags = [OUTSIDE] * len(word_offsets)
    unrepresentable = []
    for span in spans:
        if span.start not in starts or span.end not in ends:
            unrepresentable.append(span)
            continue
        first, last = starts[span.start], ends[span.end]
        label = tag_label(span)
        for index in range(first, last + 1):
            tags[index] = f"I-{label}"
        tags[first] = f"B-{label}"
        if scheme == "BIOES":
            if first == last:
                tags[first] = f"S-{label}"
            else:
                tags[last] = f"E-{label}"
    return tags, unrepresentable


def decode(
    word_offsets: Sequence[tuple[int, int]], tags: Sequence[str]
) -> list[tuple[Span, list[int]]]:
    """Spans from word tags (either scheme), each with the indices of the words it covers;
    a label with a role or group joined in becomes a span with that role or group."""
    found: list[tuple[Span, list[int]]] = []
    label: str | None = None
    members: list[int] = []

    def close() -> None:
        nonlocal label, members
        if label is not None:
            start, end = word_offsets[members[0]][0], word_offsets[members[-1]][1]
            found.append((from_tag_label(Span(start, end, label)), members))
        label, members = None, []

    for index, tag in enumerate(tags):
        prefix, _, tag_label = tag.partition("-")
        if prefix == OUTSIDE or not tag_label:
            close()
            continue
        if prefix in ("B", "S") or tag_label != label:
            close()
            label = tag_label
        members.append(index)
        if prefix in ("E", "S"):
            close()
    close()
    return found
