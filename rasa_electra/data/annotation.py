"""Rasa's inline entity annotation (``[text](LABEL)``) ⇄ Example, exact for any text Rasa can hold.

Rasa reads annotations with one regular expression (``entities_parser.ENTITY_REGEX``) and has no
escape character, so literal brackets in a sentence can be mistaken for annotations: in
``x[y [東京](GPE)`` the match starts at the first ``[`` and swallows ``y [東京``. Parsing is done
with Rasa's own functions, so what this module accepts is by construction what ``rasa train`` sees.

Encoding, in order of preference:
1. plain: entities as ``[text](LABEL)`` (or ``[text]{json}`` when a value/role/group is set);
2. escaped: every stretch of ordinary text that contains ``[`` is written as ``[stretch][]`` —
   Rasa's list-of-entity-dicts form with an empty list, which Rasa reads as the bare stretch and
   no entity. Only used when the plain form would not read back exactly.
Each candidate is parsed back; if neither equals the input, ``UnrepresentableError`` says why.
What Rasa's syntax cannot hold at all: an entity whose text contains ``]``, an empty text, and
(checked by ``check_rasa_strip``) text starting or ending with a space, CR or LF, which Rasa strips.
"""

from __future__ import annotations

import json
import re

from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.training_data import entities_parser

from rasa_electra.data.spans import Example, Span

# Rasa strips these from both ends of every example (rasa_yaml.STRIP_SYMBOLS).
RASA_STRIPPED = "\n\r "


class UnrepresentableError(ValueError):
    """An example that Rasa's training-data syntax cannot hold exactly."""


def parse_annotated(annotated: str) -> tuple[str, list[Span]]:
    """Read an annotated example exactly as Rasa does: plain text and spans."""
    entities = entities_parser.find_entities_in_training_example(annotated)
    text = entities_parser.replace_entities(annotated)
    spans = [
        Span(
            entity["start"],
            entity["end"],
            entity["entity"],
            value=_value_or_none(entity.get("value"), text[entity["start"] : entity["end"]]),
            role=entity.get("role"),
            group=entity.get("group"),
        )
        for entity in entities
    ]
    return text, spans


def _value_or_none(value: str | None, surface: str) -> str | None:
    """Rasa fills ``value`` with the surface text; keep it only when it is a real synonym."""
    return None if value is None or value == surface else value


def _entity_markup(surface: str, span: Span) -> str:
    """``[text](LABEL)`` where it can say everything, else ``[text]{json}``.

    Rasa finds the JSON's end at the first ``}``, so ``}`` inside strings is written as the
    JSON escape ``\\u007d``, which ``json.loads`` turns back into ``}``.
    """
    plain = span.value is None and span.role is None and span.group is None
    if plain and not re.search(r"[:)]", span.label):
        return f"[{surface}]({span.label})"
    attributes = {"entity": span.label}
    for key in ("value", "role", "group"):
        if getattr(span, key) is not None:
            attributes[key] = getattr(span, key)
    body = json.dumps(attributes, ensure_ascii=False)[1:-1].replace("}", "\\u007d")
    return f"[{surface}]{{{body}}}"


def _escape_plain(stretch: str) -> str:
    """Hide literal ``[`` from Rasa's regex by wrapping each ``]``-free piece that holds one."""
    pieces = re.split(r"(\])", stretch)
    return "".join(f"[{piece}][]" if "[" in piece else piece for piece in pieces)


def _render(example: Example, escape: bool) -> str:
    parts, cursor = [], 0
    for span in example.spans:
        plain = example.text[cursor : span.start]
        parts.append(_escape_plain(plain) if escape else plain)
        parts.append(_entity_markup(example.span_text(span), span))
        cursor = span.end
    tail = example.text[cursor:]
    parts.append(_escape_plain(tail) if escape else tail)
    return "".join(parts)


def _why_unrepresentable(example: Example) -> str:
    for span in example.spans:
        surface = example.span_text(span)
        if "]" in surface:
            return f"entity text {surface!r} contains ']'"
    return "Rasa's entity syntax reads it back differently"


def annotate(example: Example) -> str:
    """The inline-annotated form of an example that Rasa reads back exactly."""
    where = example.where
    if not example.text:
        raise UnrepresentableError(f"empty text{where}: Rasa skips empty examples")
    for escape in (False, True):
        annotated = _render(example, escape)
        try:
            text, spans = parse_annotated(annotated)
        except RasaException:  # Rasa rejects JSON-looking plain text such as "[a]{b}"
            continue
        if text == example.text and tuple(spans) == example.spans:
            return annotated
    raise UnrepresentableError(f"{_why_unrepresentable(example)}{where}: {example.text!r}")


def check_rasa_strip(example: Example) -> None:
    """Rasa strips spaces, CR and LF around each example: such text cannot round-trip.

    Nor can a lone surrogate: no UTF-8 file can hold one.
    """
    lone = next((c for c in example.text if "\ud800" <= c <= "\udfff"), None)
    if lone is not None:
        raise UnrepresentableError(
            f"text{example.where} holds a lone surrogate U+{ord(lone):04X}, which no UTF-8 "
            f"file can hold: {example.text!r}"
        )
    if example.text != example.text.strip(RASA_STRIPPED):
        raise UnrepresentableError(
            f"text{example.where} starts or ends with a space/CR/LF, which Rasa strips: "
            f"{example.text!r}"
        )
