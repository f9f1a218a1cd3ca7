"""``JapaneseValueNormalizer``: Duckling-shaped values for a Japanese bot's dates, times, counts
and amounts, after the extractors that found them.

    pipeline:
      - name: rasa_electra.components.electra_entity_extractor.ElectraEntityExtractor
        ...
      - name: EntitySynonymMapper
      - name: rasa_electra.components.value_normalizer.JapaneseValueNormalizer
        dimensions: {date: time, people: number}

Each entity whose name ``dimensions`` lists is read as that kind (``data.values``): its
``value`` becomes the normalised one, ISO 8601 at the expression's grain for a time (来週の金曜日
→ ``2026-12-11``, 明後日の午後7時 → ``2026-12-08T19:00+09:00``), a number for a count (二人 → 2)
or an amount (5千円 → 5000), and ``additional_info`` holds what Rasa's DucklingEntityExtractor
would give (the full timestamp, its grain, the unit). The reference time is the message's
``time`` when the channel sends one, else now, in ``timezone``.

An expression it cannot read keeps its value and gets ``additional_info: {type: unnormalized}``:
the entity is never dropped. An entity's synonym value (EntitySynonymMapper's あした → 明日) is
read first, then its text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from rasa_electra.data.values import KINDS, MONEY, NUMBER, TIME, normalize
from rasa_electra.settings import SettingError, Settings, setting

logger = logging.getLogger(__name__)

UNNORMALIZED = "unnormalized"  # additional_info's type for a value it could not read
# GSD's labels (an entity_map-less extractor's) and the kind each is read as
GSD_DIMENSIONS = {"DATE": TIME, "TIME": TIME, "QUANTITY": NUMBER, "MONEY": MONEY,
                  "PERCENT": NUMBER}  # fmt: skip


def check_dimensions(dimensions: Any) -> None:
    if not isinstance(dimensions, dict) or not all(
        isinstance(name, str) and kind in KINDS for name, kind in dimensions.items()
    ):
        raise ValueError(f"must map entity names to one of {', '.join(KINDS)}, got {dimensions!r}")


def check_timezone(name: Any) -> None:
    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"{name!r} is not an IANA time zone (e.g. Asia/Tokyo)") from error


@dataclass(frozen=True)
class NormalizerOptions(Settings):
    dimensions: dict[str, str] = setting(
        factory=lambda: dict(GSD_DIMENSIONS),
        help="entity name → the kind its value is read as: time, number or amount-of-money",
        check=check_dimensions,
    )
    timezone: str = setting(
        "Asia/Tokyo", "the zone of relative expressions (明日, 7時)", check=check_timezone
    )


def value_at_grain(timestamp: str, grain: str | None) -> str:
    """ISO 8601 as precise as the expression: a date for a day, minutes for a time of day."""
    moment = datetime.fromisoformat(timestamp)
    if grain == "month":
        return moment.strftime("%Y-%m")
    if grain == "day":
        return moment.date().isoformat()
    return moment.isoformat(timespec="minutes")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class JapaneseValueNormalizer(GraphComponent):
    """Normalised values for the entities of the kinds it is told (see the module's doc)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return NormalizerOptions.defaults()

    @staticmethod
    def supported_languages() -> list[str] | None:
        return ["ja"]

    @staticmethod
    def required_packages() -> list[str]:
        return ["ja_timex", "kanjize"]

    def __init__(self, config: dict[str, Any]) -> None:
        try:
            self.options = NormalizerOptions.from_mapping(config)
        except SettingError as error:
            raise InvalidConfigException(f"JapaneseValueNormalizer: {error}") from error
        self.zone = ZoneInfo(self.options.timezone)

    @classmethod
    def create(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext,
    ) -> JapaneseValueNormalizer:  # fmt: skip
        return cls(config)

    def reference(self, message: Message) -> datetime:
        """The message's time (seconds since the epoch, as channels send it), else now."""
        sent = message.get("time")
        if sent is not None:
            try:
                return datetime.fromtimestamp(float(sent), self.zone)
            except (TypeError, ValueError, OverflowError):
                pass
        return datetime.now(self.zone)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            entities = message.get(ENTITIES) or []
            if not any(e.get("entity") in self.options.dimensions for e in entities):
                continue
            reference = self.reference(message)
            for entity in entities:
                kind = self.options.dimensions.get(entity.get("entity"))
                if kind is not None:
                    self.normalize_entity(entity, kind, message.get(TEXT) or "", reference)
            message.set(ENTITIES, entities, add_to_output=True)
        return messages

    @staticmethod
    def normalize_entity(
        entity: dict[str, Any], kind: str, text: str, reference: datetime
    ) -> None:  # fmt: skip
        """The entity's value read as ``kind``: its synonym value first, then its text."""
        surface = text[entity["start"] : entity["end"]] if "start" in entity else ""
        candidates = [v for v in (entity.get("value"), surface) if isinstance(v, str) and v]
        for candidate in dict.fromkeys(candidates):
            value = normalize(kind, candidate, reference)
            if value is not None:
                info = value.additional_info()
                entity["value"] = (
                    value_at_grain(value.value, value.grain) if kind == TIME else value.value
                )
                entity["additional_info"] = {"dimension": kind, **info}
                return
        logger.debug("JapaneseValueNormalizer: %r is not a %s it can read", surface, kind)
        entity["additional_info"] = {"dimension": kind, "type": UNNORMALIZED,
                                     "value": entity.get("value", surface)}  # fmt: skip
