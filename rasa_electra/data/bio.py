"""Megagon's GSD NE ``.bio`` files (``token<TAB>tag``, blank line between sentences) ⇄ Examples.

The sentence text is the concatenation of its tokens (Japanese has no spaces between UD words),
so a token's character offsets are the running sum of token lengths.

Known defects of the v2.6-NE release are read and *reported* (kind, count, first locations),
never silently absorbed: CRLF endings on entity lines and an empty tag on the last train line.
Anything that cannot be read unambiguously raises ``BioFormatError`` naming ``file:line``; the one
documented repair, ``repair_orphan_inside=True``, reads an ``I-X`` that does not continue an ``X``
entity as ``B-X`` (the conlleval convention) and reports each repair.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rasa_electra.data.spans import EncodingError, Example, Location, Span, decoded_lines
from rasa_electra.data.tags import OUTSIDE, word_tags

logger = logging.getLogger(__name__)


class BioFormatError(ValueError):
    """A line of a BIO file that cannot be read without guessing."""

    def __init__(self, location: Location, message: str) -> None:
        super().__init__(f"{location}: {message}")
        self.location = location


@dataclass
class Oddities:
    """Readable-but-irregular lines, grouped by kind so a report names each kind once."""

    found: dict[str, list[Location]] = field(default_factory=dict)

    def add(self, kind: str, location: Location) -> None:
        self.found.setdefault(kind, []).append(location)

    def summary(self, show: int = 3) -> list[str]:
        lines = []
        for kind, places in self.found.items():
            first = ", ".join(str(p.line) for p in places[:show])
            more = f" (+{len(places) - show} more)" if len(places) > show else ""
            lines.append(f"{kind}: {len(places)} line(s), at {places[0].path}:{first}{more}")
        return lines

    def __bool__(self) -> bool:
        return bool(self.found)


@dataclass
class BioDocument:
    """What ``read_bio`` returns: the examples and what was irregular about the file."""

    examples: list[Example]
    oddities: Oddities


def parse_tag(tag: str, location: Location) -> tuple[str, str | None]:
    """Split ``B-PERSON`` into ``("B", "PERSON")``; ``O`` gives ``("O", None)``."""
    if tag == OUTSIDE:
        return OUTSIDE, None
    prefix, sep, label = tag.partition("-")
    if not sep or prefix not in ("B", "I") or not label:
        raise BioFormatError(location, f"tag {tag!r} is not O, B-LABEL or I-LABEL")
    return prefix, label


def tags_to_spans(
    tokens: Sequence[str],
    tags: Sequence[str],
    locations: Sequence[Location],
    oddities: Oddities,
    repair_orphan_inside: bool = False,
) -> list[Span]:
    """Decode one sentence's BIO tags into character spans over ``"".join(tokens)``."""
    spans: list[Span] = []
    open_label: str | None = None
    open_start = 0
    offset = 0
    for token, tag, location in zip(tokens, tags, locations, strict=True):
        prefix, label = parse_tag(tag, location)
        continues = prefix == "I" and label == open_label
        if prefix == "I" and not continues:
            before = f"after {open_label!r} entity" if open_label else "not after a B- or I- tag"
            if not repair_orphan_inside:
                raise BioFormatError(
                    location,
                    f"{tag} {before}; fix the file or read it with repair_orphan_inside=True "
                    "(--repair-orphan-inside) to start a new entity here",
                )
            oddities.add(f"{tag} {before}, read as B-{label}", location)
        if not continues and open_label is not None:
            spans.append(Span(open_start, offset, open_label))
            open_label = None
        if prefix != OUTSIDE and not continues:
            open_label, open_start = label, offset
        offset += len(token)
    if open_label is not None:
        spans.append(Span(open_start, offset, open_label))
    return spans


def spans_to_tags(token_lengths: Sequence[int], spans: Sequence[Span]) -> list[str]:
    """Encode spans as BIO tags over tokens of the given lengths.

    Raises ``ValueError`` for a span whose edges fall inside a token: callers that must keep
    going count those with ``rasa_electra.data.alignment`` first.
    """
    offsets, offset = [], 0
    for length in token_lengths:
        offsets.append((offset, offset + length))
        offset += length
    tags, unrepresentable = word_tags(offsets, spans, "BIO")
    if unrepresentable:
        raise ValueError(f"span {unrepresentable[0]} does not start and end on token boundaries")
    return tags


def _lines(path: Path) -> Iterator[tuple[int, str, str]]:
    """(line number, content, line ending) — endings kept so CRLF can be reported; a line
    that is not UTF-8 is an error at that line."""
    try:
        for number, raw in enumerate(decoded_lines(path), start=1):
            content = raw.rstrip("\r\n")
            yield number, content, raw[len(content) :]
    except EncodingError as error:
        raise BioFormatError(error.location, error.detail) from None


def read_bio(
    path: str | Path,
    intent: str | None = None,
    repair_orphan_inside: bool = False,
) -> BioDocument:
    """Read a Megagon ``.bio`` file into Examples, reporting irregular lines by kind."""
    path = Path(path)
    oddities = Oddities()
    examples: list[Example] = []
    tokens: list[str] = []
    tags: list[str] = []
    locations: list[Location] = []

    def flush() -> None:
        if not tokens:
            return
        spans = tags_to_spans(tokens, tags, locations, oddities, repair_orphan_inside)
        examples.append(Example("".join(tokens), tuple(spans), intent, locations[0]))
        tokens.clear()
        tags.clear()
        locations.clear()

    previous_blank = False
    for number, content, ending in _lines(path):
        location = Location(str(path), number)
        if ending == "\r\n":
            oddities.add("CRLF line ending, read as LF", location)
        elif ending == "\r":
            raise BioFormatError(location, "bare CR line ending (old Mac format) is not supported")
        if number == 1 and content.startswith("\ufeff"):
            oddities.add("byte-order mark at start of file, skipped", location)
            content = content[1:]
        if not content.strip():
            if content:
                oddities.add("whitespace-only line, read as sentence break", location)
            if previous_blank or number == 1:
                oddities.add("extra blank line, ignored", location)
            previous_blank = True
            flush()
            continue
        previous_blank = False
        columns = content.split("\t")
        if len(columns) != 2:
            raise BioFormatError(
                location,
                f"expected 2 tab-separated columns (token, tag), found {len(columns)}: {content!r}",
            )
        token, tag = columns
        if not token:
            raise BioFormatError(location, "empty token")
        if tag == "":
            oddities.add("empty tag, read as O", location)
            tag = OUTSIDE
        parse_tag(tag, location)  # reject unknown tags at their own line
        tokens.append(token)
        tags.append(tag)
        locations.append(location)
    flush()

    for line in oddities.summary():
        logger.warning("%s", line)
    return BioDocument(examples, oddities)
