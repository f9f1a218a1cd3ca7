"""Tag schemes (BIO, BIOES) between word-level tags and character spans.

Decoding rule for invalid sequences (documented, tested, used everywhere): a tag that cannot
continue the open entity starts a new one — ``I-X`` after ``O`` or after an entity of another
label is read as ``B-X`` (the conlleval convention); ``E-X``/``S-X`` are read as ``I-X``/``B-X``
followed by a close.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rasa_electra.data.spans import Span

OUTSIDE = "O"
SCHEMES = ("BIO", "BIOES")


def label_list(entity_labels: Iterable[str], scheme: str = "BIO") -> list[str]:
    """``O`` first, then the scheme's prefixes for each entity label, in a stable order."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown tag scheme {scheme!r}; choose one of {SCHEMES}")
    prefixes = "BI" if scheme == "BIO" else "BIES"
    return [OUTSIDE] + [f"{p}-{label}" for label in sorted(set(entity_labels)) for p in prefixes]


def entity_labels(tags: Iterable[str]) -> list[str]:
    """The entity labels behind a tag list (``B-GPE``, ``I-GPE`` → ``GPE``), sorted: what a
    model can predict, whichever scheme its tags use."""
    return sorted({tag.split("-", 1)[1] for tag in tags if tag != OUTSIDE})


def word_tags(
    word_offsets: Sequence[tuple[int, int]], spans: Sequence[Span], scheme: str = "BIO"
) -> tuple[list[str], list[Span]]:
    """Tags per word for the spans that fit word boundaries, and the spans that do not."""
    starts = {start: i for i, (start, _) in enumerate(word_offsets)}
    ends = {end: i for i, (_, end) in enumerate(word_offsets)}
    tags = [OUTSIDE] * len(word_offsets)
    unrepresentable = []
    for span in spans:
        if span.start not in starts or span.end not in ends:
            unrepresentable.append(span)
            continue
        first, last = starts[span.start], ends[span.end]
        for index in range(first, last + 1):
            tags[index] = f"I-{span.label}"
        tags[first] = f"B-{span.label}"
        if scheme == "BIOES":
            if first == last:
                tags[first] = f"S-{span.label}"
            else:
                tags[last] = f"E-{span.label}"
    return tags, unrepresentable


def decode(
    word_offsets: Sequence[tuple[int, int]], tags: Sequence[str]
) -> list[tuple[Span, list[int]]]:
    """Spans from word tags (either scheme), each with the indices of the words it covers."""
    found: list[tuple[Span, list[int]]] = []
    label: str | None = None
    members: list[int] = []

    def close() -> None:
        nonlocal label, members
        if label is not None:
            start, end = word_offsets[members[0]][0], word_offsets[members[-1]][1]
            found.append((Span(start, end, label), members))
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
