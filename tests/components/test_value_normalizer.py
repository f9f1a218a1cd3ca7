"""The value normaliser as Rasa runs it: entities on real Messages, after an extractor."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.training_data.message import Message

from rasa_electra.components.value_normalizer import UNNORMALIZED, JapaneseValueNormalizer

SENT = datetime(2026, 12, 6, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo")).timestamp()


def message(text: str, *entities: tuple[str, str, str | None]) -> Message:
    found = []
    for surface, name, value in entities:
        start = text.index(surface)
        found.append({"entity": name, "start": start, "end": start + len(surface),
                      "value": value or surface, "extractor": "Electra"})  # fmt: skip
    return Message(data={"text": text, "entities": found, "time": SENT})


def test_the_bots_slots_get_values_and_other_entities_are_left_alone():
    normalizer = JapaneseValueNormalizer({"dimensions": {"date": "time", "people": "number"}})
    (parsed,) = normalizer.process(
        [message("来週の金曜日に二人で横浜", ("来週の金曜日", "date", None),
                 ("二人", "people", None), ("横浜", "place", None))]
    )  # fmt: skip
    date, people, place = parsed.get("entities")
    assert date["value"] == "2026-12-11"
    assert date["additional_info"]["value"] == "2026-12-11T00:00:00.000+09:00"
    assert date["additional_info"]["grain"] == "day"
    assert (people["value"], people["additional_info"]["unit"]) == (2, "人")
    assert place == {"entity": "place", "start": 10, "end": 12, "value": "横浜",
                     "extractor": "Electra"}  # fmt: skip


def test_a_synonym_value_is_read_first_and_a_time_keeps_its_hour():
    normalizer = JapaneseValueNormalizer({"dimensions": {"date": "time"}})
    said = message("あしたの午後7時", ("あしたの午後7時", "date", "明日の午後7時"))
    (parsed,) = normalizer.process([said])
    assert parsed.get("entities")[0]["value"] == "2026-12-07T19:00+09:00"


def test_what_it_cannot_read_keeps_its_text_and_says_so():
    normalizer = JapaneseValueNormalizer({"dimensions": {"people": "number"}})
    (parsed,) = normalizer.process([message("ふたりです", ("ふたり", "people", None))])
    (entity,) = parsed.get("entities")
    assert entity["value"] == "ふたり"
    assert entity["additional_info"]["type"] == UNNORMALIZED


def test_gsd_labels_by_default_and_a_bad_config_is_rasas_exception():
    said = message("5千円です", ("5千円", "MONEY", None))
    (parsed,) = JapaneseValueNormalizer({}).process([said])
    assert parsed.get("entities")[0]["value"] == 5000
    with pytest.raises(InvalidConfigException, match="timezone"):
        JapaneseValueNormalizer({"timezone": "Tokyo/Nowhere"})
    with pytest.raises(InvalidConfigException, match="dimensions"):
        JapaneseValueNormalizer({"dimensions": {"date": "calendar"}})
