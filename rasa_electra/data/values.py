"""Japanese time, number and money expressions as Duckling-shaped values.

Rasa's ``DucklingEntityExtractor`` gives English bots normalised values; this gives a Japanese
bot's extracted entities the same shape (``value`` plus ``additional_info``), so a slot holds
``2026-12-11T00:00:00.000+09:00`` rather than 来週の金曜日.

The parsing is a maintained library's: ja-timex (MIT) tags an expression's TIMEX3 parts
(来週 → a week after, 金曜日 → weekday 5, 午後7時 → T19) and kanjize (MIT) reads kanji and mixed
numerals (二 → 2, 5千 → 5000). What is ours is only putting the parts together against a
reference time, future first as Duckling does: a date without a year that has passed this year
is next year's, a weekday is the next one (today included).

An expression neither can read gives ``None``; the caller keeps its text and marks it
unnormalised.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

TIME, NUMBER, MONEY = "time", "number", "amount-of-money"
KINDS = (TIME, NUMBER, MONEY)
# a numeral as kanjize reads it: digits (NFKC), kanji digits and their multipliers
NUMERAL = re.compile(r"[0-9〇零一二三四五六七八九十百千万億兆,.]+")
CURRENCIES = {"円": "JPY", "ドル": "USD", "ユーロ": "EUR", "元": "CNY", "ウォン": "KRW"}
TIMEX_DATE = re.compile(r"(?P<year>\d{4}|X{4})-(?P<month>\d{2}|XX)-(?P<day>\d{2}|XX)$")
TIMEX_WEEKDAY = re.compile(r"X{4}-WXX-(?P<weekday>[1-7])$")
TIMEX_TIME = re.compile(r"T(?P<hour>\d{2})-(?P<minute>\d{2}|XX)-(?:\d{2}|XX)$")
TIMEX_SHIFT = re.compile(r"P(?P<count>\d+)(?P<unit>[DWMY])$")


@dataclass(frozen=True)
class Value:
    """One normalised expression: its kind (a Duckling dimension), the value, and the grain
    (time) or unit (number: 名, 人, %; money: JPY) it carries."""

    kind: str
    value: Any
    grain: str | None = None
    unit: str | None = None

    def additional_info(self) -> dict[str, Any]:
        """Duckling's ``additional_info`` for this value."""
        info: dict[str, Any] = {"value": self.value, "type": "value"}
        if self.grain:
            info["grain"] = self.grain
            info["values"] = [{"value": self.value, "grain": self.grain, "type": "value"}]
        if self.unit:
            info["unit"] = self.unit
        return info


@dataclass
class _When:
    """The TIMEX3 parts of one expression, before they are put together."""

    days: int | None = None  # 明日: +1, 今日: 0
    weeks: int | None = None  # 来週: +1
    months: int | None = None
    years: int | None = None
    day: tuple[int | None, int | None, int | None] | None = None  # year, month, day
    weekday: int | None = None  # ISO: Monday 1
    clock: tuple[int, int | None] | None = None  # hour, minute
    parts: list[str] = field(default_factory=list)


def _read_timex(text: str, reference: datetime) -> _When | None:
    import pendulum
    from ja_timex import TimexParser

    anchor = pendulum.instance(reference)
    when = _When()
    for timex in TimexParser(reference=anchor).parse(text):
        value = timex.value or ""
        if timex.type == "DURATION" and timex.mod in ("AFTER", "NOW"):
            shift = TIMEX_SHIFT.match(value)
            if shift:
                name = {"D": "days", "W": "weeks", "M": "months", "Y": "years"}[shift["unit"]]
                setattr(when, name, int(shift["count"]))
        elif timex.type == "DATE" and (weekday := TIMEX_WEEKDAY.match(value)):
            when.weekday = int(weekday["weekday"])
        elif timex.type == "DATE" and (parts := TIMEX_DATE.match(value)):
            when.day = tuple(None if "X" in parts[k] else int(parts[k])
                             for k in ("year", "month", "day"))  # type: ignore[assignment]  # fmt: skip
        elif timex.type == "TIME" and (parts := TIMEX_TIME.match(value)):
            minute = None if "X" in parts["minute"] else int(parts["minute"])
            when.clock = (int(parts["hour"]), minute)
        else:
            continue
        when.parts.append(timex.text)
    return when if when.parts else None


def _shift_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1, day=1)


def _the_date(when: _When, today: date) -> tuple[date, bool]:
    """The day the parts name, and whether they named one (a time alone does not)."""
    if when.day is not None:
        year, month, day = when.day
        base = today
        if when.years:
            base = base.replace(year=base.year + when.years, month=1, day=1)
        if when.months:
            base = _shift_months(today, when.months)
        candidate = date(year or base.year, month or base.month, day or 1)
        if year is None and not when.years and candidate < today:  # future first
            if month is None:
                candidate = _shift_months(candidate, 1)
            else:
                candidate = candidate.replace(year=candidate.year + 1)
        return candidate, True
    if when.weekday is not None:
        if when.weeks is not None:  # 来週の金曜日: that weekday of the week after this one
            monday = today - timedelta(days=today.isoweekday() - 1)
            return monday + timedelta(weeks=when.weeks, days=when.weekday - 1), True
        return today + timedelta(days=(when.weekday - today.isoweekday()) % 7), True
    if when.days is not None:
        return today + timedelta(days=when.days), True
    if when.weeks is not None:
        return today + timedelta(weeks=when.weeks), True
    if when.months is not None:
        return _shift_months(today, when.months), True
    return today, False


def normalize_time(text: str, reference: datetime) -> Value | None:
    """An expression of a day and/or a time of day, as ISO 8601 in ``reference``'s zone."""
    when = _read_timex(text, reference)
    if when is None:
        return None
    day, named = _the_date(when, reference.date())
    if when.clock is None:
        start = datetime(day.year, day.month, day.day, tzinfo=reference.tzinfo)
        grain = "month" if when.day and when.day[2] is None else "day"
    else:
        hour, minute = when.clock
        start = datetime(day.year, day.month, day.day, hour % 24, minute or 0,
                         tzinfo=reference.tzinfo)  # fmt: skip
        if not named and start < reference:  # 7時 said after seven: tomorrow's
            start += timedelta(days=1)
        grain = "hour" if minute is None else "minute"
    return Value(TIME, start.isoformat(timespec="milliseconds"), grain=grain)


def _number_and_unit(text: str) -> tuple[int | float, str] | None:
    from kanjize import kanji2number

    folded = unicodedata.normalize("NFKC", text).strip()
    found = NUMERAL.search(folded)
    if found is None:
        return None
    digits = found.group().replace(",", "")
    try:
        number: int | float = (
            float(digits) if "." in digits else int(digits) if digits.isdigit()
            else kanji2number(digits)
        )  # fmt: skip
    except (ValueError, KeyError, TypeError):
        return None
    return number, folded[found.end() :].strip()


def normalize_number(text: str) -> Value | None:
    """A count or a share with its unit: ３名 → 3 名, 二人 → 2 人, 50% → 50 %."""
    read = _number_and_unit(text)
    if read is None:
        return None
    number, unit = read
    return Value(NUMBER, number, unit=unit or None)


def normalize_money(text: str) -> Value | None:
    """An amount and its currency: 5千円 → 5000 JPY."""
    read = _number_and_unit(text)
    if read is None:
        return None
    number, unit = read
    currency = next((code for word, code in CURRENCIES.items() if unit.startswith(word)), unit)
    return Value(MONEY, number, unit=currency or None)


NORMALIZERS: dict[str, Callable[..., Value | None]] = {
    NUMBER: lambda text, reference: normalize_number(text),
    MONEY: lambda text, reference: normalize_money(text),
    TIME: normalize_time,
}


def normalize(kind: str, text: str, reference: datetime) -> Value | None:
    """``text`` as a value of ``kind`` (one of ``KINDS``), or None when it cannot be read."""
    return NORMALIZERS[kind](text, reference)
