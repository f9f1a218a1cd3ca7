"""The edge between the core type and Rasa's entities: the bot's names for the model's labels,
and which predicted spans a message keeps."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rasa_electra.data.spans import Span
from rasa_electra.data.tags import ATTRIBUTES


def directory_fingerprint(path: Path) -> str:
    """A hash of every file's relative name and bytes under ``path``."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(path)).encode())
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def unknown_map_labels(entity_map: dict[str, str] | None, known: list[str]) -> list[str]:
    """The labels the map names that the model does not predict (a typo would leave a slot
    that is never filled); none when the model already predicts the bot's names (continued)."""
    if not entity_map:
        return []
    unknown = sorted(set(entity_map) - set(known))
    return [] if set(known) <= set(entity_map.values()) else unknown


def bot_name(label: str, entity_map: dict[str, str] | None) -> str | None:
    """The bot's name for a model label: mapped, or kept when it already is one of the bot's
    names (a model continued on the bot's data), or None (dropped); no map keeps every label."""
    if not entity_map:
        return label
    return entity_map.get(label) or (label if label in entity_map.values() else None)


def origins(entity_map: dict[str, str] | None) -> dict[str, list[str]]:
    """The map turned round: the bot's name → the model labels it comes from."""
    inverted: dict[str, list[str]] = {}
    for label, name in (entity_map or {}).items():
        inverted.setdefault(name, []).append(label)
    return inverted


def split_joined(
    entities: list[dict[str, Any]], extractors: Sequence[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the entities ``extractors`` put on a message, the rest): the first are weighed into
    this model's decoding and replaced by its own entities, the rest stay."""
    joined = [e for e in entities if e.get("extractor") in extractors]
    return joined, [e for e in entities if e.get("extractor") not in extractors]


def overlaps(span: Span, entities: list[dict[str, Any]]) -> bool:
    """Whether ``span`` shares a character with any of ``entities`` (Rasa entity dicts)."""
    return any(span.start < e["end"] and e["start"] < span.end for e in entities)


def to_rasa_entity(text: str, span: Span, name: str | None = None) -> dict[str, Any]:
    """The edge from the core type to Rasa's entity dict, under the bot's ``name`` for the
    span's label when one is given."""
    entity: dict[str, Any] = {
        "entity": name or span.label,
        "start": span.start,
        "end": span.end,
        "value": text[span.start : span.end],
    }
    if span.confidence is not None:
        entity["confidence_entity"] = span.confidence
    # a role or group is decoded with its entity (one tag), so it shares the confidence
    for attribute in ATTRIBUTES:
        if getattr(span, attribute) is not None:
            entity[attribute] = getattr(span, attribute)
            if span.confidence is not None:
                entity[f"confidence_{attribute}"] = span.confidence
    return entity
