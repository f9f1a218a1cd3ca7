"""Japanese expressions read as Duckling-shaped values, against a fixed reference time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from rasa_electra.data.values import MONEY, NUMBER, TIME, normalize

TOKYO = ZoneInfo("Asia/Tokyo")
SUNDAY = datetime(2026, 12, 6, 10, 0, tzinfo=TOKYO)  # a Sunday morning


@pytest.mark.parametrize(
    ("text", "value", "grain"),
    [
        ("来週の金曜日", "2026-12-11T00:00:00.000+09:00", "day"),  # Friday of next week
        ("明後日の午後7時", "2026-12-08T19:00:00.000+09:00", "hour"),
        ("3月5日", "2027-03-05T00:00:00.000+09:00", "day"),  # passed this year: next year's
        ("12月24日", "2026-12-24T00:00:00.000+09:00", "day"),
        ("明日", "2026-12-07T00:00:00.000+09:00", "day"),
        ("19:30", "2026-12-06T19:30:00.000+09:00", "minute"),
        ("7時", "2026-12-07T07:00:00.000+09:00", "hour"),  # said at ten: tomorrow's seven
        ("来月3日", "2027-01-03T00:00:00.000+09:00", "day"),
    ],
)
def test_times_are_iso_8601_in_the_reference_zone(text, value, grain):
    normalized = normalize(TIME, text, SUNDAY)
    assert (normalized.value, normalized.grain) == (value, grain)
    assert normalized.additional_info()["values"] == [
        {"value": value, "grain": grain, "type": "value"}
    ]


@pytest.mark.parametrize(
    ("kind", "text", "value", "unit"),
    [
        (NUMBER, "３名", 3, "名"),
        (NUMBER, "二人", 2, "人"),
        (NUMBER, "二十三人", 23, "人"),
        (NUMBER, "50%", 50, "%"),
        (MONEY, "5千円", 5000, "JPY"),
        (MONEY, "1万2千円", 12000, "JPY"),
        (MONEY, "3,000円", 3000, "JPY"),
    ],
)
def test_counts_and_amounts_are_numbers_with_their_unit(kind, text, value, unit):
    normalized = normalize(kind, text, SUNDAY)
    assert (normalized.value, normalized.unit) == (value, unit)
    assert normalized.additional_info() == {"value": value, "type": "value", "unit": unit}


@pytest.mark.parametrize(
    ("kind", "text"), [(TIME, "そのうち"), (NUMBER, "ふたり"), (MONEY, "少し")]
)
def test_an_expression_neither_library_reads_is_none(kind, text):
    assert normalize(kind, text, SUNDAY) is None
