"""Rasa NLU training data files ⇄ Examples: Rasa 3 YAML (written with ruamel.yaml, read by Rasa's
own loader) and the Rasa 1.x/2.x markdown format of the original write-up (Rasa 3 dropped it, so
this module reads it to convert users' old data to YAML).

Synonym, regex and lookup sections are not entities but are part of a user's data: they are
carried through as ``Section`` so a markdown → YAML conversion loses nothing.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rasa.shared.exceptions import RasaException
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from rasa_electra.data.annotation import (
    UnrepresentableError,
    annotate,
    check_rasa_strip,
    parse_annotated,
)
from rasa_electra.data.spans import EncodingError, Example, Location, Span, decoded_lines

RASA_YAML_VERSION = "3.1"
SECTION_KINDS = ("synonym", "regex", "lookup")
# The header is deliberately non-ASCII: Rasa's read_yaml decodes backslash escapes
# ("raw_unicode_escape") in files that are pure ASCII, which would corrupt a text like "C:\u30".
HEADER = "Rasa NLU training data — written by rasa-electra"


@dataclass(frozen=True)
class Section:
    """A synonym, regex or lookup table: a name and its list of strings."""

    kind: str
    name: str
    items: tuple[str, ...]


@dataclass
class NluData:
    """Examples plus the non-example sections of a Rasa NLU file."""

    examples: list[Example] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)


class NluFormatError(ValueError):
    """A line of a Rasa markdown file that cannot be read."""


def _by_intent(examples: Iterable[Example]) -> dict[str, list[Example]]:
    grouped: dict[str, list[Example]] = {}
    for example in examples:
        if not example.intent:
            raise UnrepresentableError(f"example{example.where} has no intent; Rasa needs one")
        grouped.setdefault(example.intent, []).append(example)
    return grouped


def in_file_order(examples: Iterable[Example]) -> list[Example]:
    """Examples in the order the writers put them: grouped by intent, first-seen intent first."""
    return [example for group in _by_intent(examples).values() for example in group]


def _splits_lines(text: str) -> bool:
    """True if Python's splitlines (which Rasa uses on ``examples: |``) would cut the text."""
    return len(f"a{text}b".splitlines()) > 1


def _is_printable(text: str) -> bool:
    """Characters a YAML literal block can hold verbatim (YAML 1.2 printable set, minus BOM)."""
    return (
        all(
            ch in "\t"
            or " " <= ch <= "~"
            or "\xa0" <= ch <= "\ud7ff"
            or "\ue000" <= ch <= "\ufffd"
            or "\U00010000" <= ch <= "\U0010ffff"
            for ch in text
        )
        and "\ufeff" not in text
    )


def to_rasa_yaml(data: NluData | Sequence[Example]) -> str:
    """Render Rasa 3 YAML NLU data; every example is checked to read back exactly.

    An intent whose texts all fit one line of a literal block is written as ``examples: |``;
    otherwise (control characters, Unicode line separators) as a list of ``- text:`` scalars,
    double-quoted with escapes — the same switch Rasa's own writer makes.
    """
    if not isinstance(data, NluData):
        data = NluData(list(data))
    nlu = []
    for intent, examples in _by_intent(data.examples).items():
        for example in examples:
            check_rasa_strip(example)
        lines = [annotate(example) for example in examples]
        item = CommentedMap(intent=intent)
        if all(_is_printable(line) and not _splits_lines(line) for line in lines):
            item["examples"] = LiteralScalarString("".join(f"- {line}\n" for line in lines))
        else:
            item["examples"] = [CommentedMap(text=DoubleQuotedScalarString(line)) for line in lines]
        nlu.append(item)
    for section in data.sections:
        item = CommentedMap([(section.kind, section.name)])
        item["examples"] = LiteralScalarString("".join(f"- {x}\n" for x in section.items))
        nlu.append(item)

    document = CommentedMap(version=RASA_YAML_VERSION, nlu=nlu)
    document.yaml_set_start_comment(HEADER)
    yaml = YAML()
    yaml.width = 2**31  # never fold a long example over two lines
    yaml.allow_unicode = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    return buffer.getvalue()


def write_rasa_yaml(data: NluData | Sequence[Example], path: str | Path) -> None:
    Path(path).write_text(to_rasa_yaml(data), encoding="utf-8")


def read_rasa_data(path: str | Path) -> list[Example]:
    """Read any Rasa NLU file (YAML or JSON) with Rasa's own loader into Examples; anything
    unreadable is one ``NluFormatError`` naming the file (and the line, where Rasa says it)."""
    from rasa.shared.exceptions import RasaException
    from rasa.shared.nlu.training_data.loading import load_data
    from ruamel.yaml.error import YAMLError

    try:
        for _ in decoded_lines(path):  # Rasa's loader would say "not utf-8" without a line
            pass
        training_data = load_data(str(path))
        messages = [
            (m.get("text"), m.get("entities") or [], m.get("intent"))
            for m in training_data.training_examples
        ]
        return [example_from_message(*message) for message in messages]
    except EncodingError as error:
        raise NluFormatError(str(error)) from None
    # Rasa's, ours, and YAML's: Rasa passes some syntax errors on unwrapped (an anchor with
    # no name on the first line)
    except (RasaException, YAMLError, ValueError, KeyError, TypeError) as error:
        # Rasa and YAML name the line in their messages when they know it; otherwise the
        # file as a whole is wrong, which shows at its first line
        found = re.search(r"line (\d+)", str(error))
        raise NluFormatError(f"{path}:{found[1] if found else 1}: {error}") from None


def example_from_message(text: str, entities: Sequence[dict], intent: str | None) -> Example:
    """The edge between Rasa's entity dicts and the core type."""
    spans = tuple(
        Span(
            e["start"],
            e["end"],
            e["entity"],
            value=None if e.get("value") in (None, text[e["start"] : e["end"]]) else e["value"],
            role=e.get("role"),
            group=e.get("group"),
            confidence=e.get("confidence_entity"),
        )
        for e in entities
    )
    return Example(text, spans, intent)


# --- Rasa 1.x/2.x markdown -------------------------------------------------------------------

_HEADER = re.compile(r"^##\s*(?P<kind>intent|synonym|regex|lookup)\s*:\s*(?P<name>.+?)\s*$")
_ITEM = re.compile(r"^\s*[-*+]\s(?P<item>.*)$")
_COMMENT = re.compile(r"<!--.*?-->")


def to_rasa_markdown(data: NluData | Sequence[Example]) -> str:
    """Render the write-up's markdown (``## intent:NAME`` then ``- text with [x](LABEL)``)."""
    if not isinstance(data, NluData):
        data = NluData(list(data))
    blocks = []
    for intent, examples in _by_intent(data.examples).items():
        lines = []
        for example in examples:
            if "<!--" in example.text or _splits_lines(example.text):
                raise UnrepresentableError(
                    f"text{example.where} holds a line break or '<!--' (a markdown "
                    f"comment), which markdown cannot hold: {example.text!r}"
                )
            check_rasa_strip(example)
            lines.append(f"- {annotate(example)}")
        blocks.append(f"## intent:{intent}\n" + "\n".join(lines))
    for section in data.sections:
        blocks.append(
            f"## {section.kind}:{section.name}\n" + "\n".join(f"- {x}" for x in section.items)
        )
    return "\n\n".join(blocks) + "\n"


def write_rasa_markdown(data: NluData | Sequence[Example], path: str | Path) -> None:
    Path(path).write_text(to_rasa_markdown(data), encoding="utf-8")


def read_rasa_markdown(path: str | Path) -> NluData:
    """Read Rasa 1.x/2.x markdown NLU data, naming ``file:line`` for anything unreadable."""
    path = Path(path)
    data = NluData()
    kind: str | None = None
    name = ""
    items: list[str] = []

    def close_section() -> None:
        if kind in SECTION_KINDS:
            data.sections.append(Section(kind, name, tuple(items)))
        items.clear()

    try:
        lines = [line.rstrip("\r\n") for line in decoded_lines(path)]
    except EncodingError as error:
        raise NluFormatError(str(error)) from None
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    for number, raw in enumerate(lines, start=1):
        location = Location(str(path), number)
        line = _COMMENT.sub("", raw).rstrip()
        if not line.strip():
            continue
        header = _HEADER.match(line)
        if header:
            close_section()
            kind, name = header["kind"], header["name"]
            continue
        item = _ITEM.match(line)
        if kind is None:
            raise NluFormatError(f"{location}: text before the first '## intent:NAME' header")
        if item is None:
            if kind == "lookup":
                raise NluFormatError(
                    f"{location}: lookup table file references ({line.strip()!r}) are not "
                    "supported; list the entries as '- item' lines"
                )
            raise NluFormatError(f"{location}: expected '- example', got {line!r}")
        content = item["item"].strip()
        if kind == "intent":
            try:
                text, spans = parse_annotated(content)
            except RasaException as error:
                raise NluFormatError(f"{location}: bad entity annotation: {error}") from error
            data.examples.append(Example(text, tuple(spans), name, location))
        else:
            items.append(content)
    close_section()
    return data
