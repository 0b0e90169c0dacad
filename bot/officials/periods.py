"""Report periods: a week, month, quarter, half-year, year or any from–to span, as a leader names it.

    Period(start, end, label, kind)        # dates are Vietnam local days, both ends included
    period.previous()                      # the period before, of the same kind and the same length
    month(2026, 10), quarter(2026, 3), half(2026, 1), year(2026), week(day), between(start, end)
    parse_period("quý 3 năm 2026", today)  # -> Period | None (no period named); PeriodError for a bad one

Phrases are read on :func:`nlu.normalize.normalize`'s form, so "tháng trước", "thang truoc" and "thang trc" are the
same. Everything is relative to ``today``, passed in (there is no hidden clock):

- "tuần này | tuần trước", "tháng này | tháng trước", "quý này | quý trước", "năm nay | năm trước | năm ngoái",
  "hôm nay | hôm qua";
- "tháng 10", "tháng 10/2026", "tháng 10 năm 2026"; "quý 3", "quý III", "quý 3/2026", "quý 3 năm 2026";
  "6 tháng đầu năm", "6 tháng cuối năm", "nửa đầu năm 2026"; "năm 2026";
- "từ 1/10 đến 31/10", "từ ngày 01/10/2026 đến ngày 31/10/2026", "1/10 - 31/10", "từ 1/10 đến nay".

A month, quarter or half named without a year is the latest one that has begun by ``today`` ("tháng 12" read in
October 2026 is December 2025); a span without years is read in ``today``'s year (the year before when it would
start after ``today``). A period that runs past ``today`` ends on ``today`` (the data stop there, and an open
dossier due later is not overdue yet); its label says so, and its :meth:`Period.previous` has the same number of
days ("tháng này" on 15/10 is compared with 1–15/9).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Optional, Tuple

from nlu.normalize import normalize

KINDS = ("day", "week", "month", "quarter", "half", "year", "span")
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
ROMAN_OF = {1: "I", 2: "II", 3: "III", 4: "IV"}


class PeriodError(ValueError):
    """A period a leader named that cannot be a report period; the message is Vietnamese, for the user."""


@dataclass(frozen=True)
class Period:
    """Days ``start`` to ``end`` (both included, Vietnam local dates), a Vietnamese label, and what kind it is."""

    start: dt.date
    end: dt.date
    label: str
    kind: str = "span"

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise PeriodError(f"Ngày bắt đầu {self.start:%d/%m/%Y} sau ngày kết thúc {self.end:%d/%m/%Y}.")
        if self.kind not in KINDS:
            raise ValueError(f"unknown period kind {self.kind!r}")

    @property
    def days(self) -> int:
        """How many days the period has."""
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        """The period before this one: the whole previous month (quarter, ...) for a whole one; for one cut short,
        as many days from the start of the previous one (1–15/9 for 1–15/10); for a span, the days just before."""
        if self.kind == "week":
            start = self.start - dt.timedelta(days=7)
            return _clipped("week", start, self.end - dt.timedelta(days=7), week(start))
        if self.kind in ("day", "span"):
            end = self.start - dt.timedelta(days=1)
            start = end - dt.timedelta(days=self.days - 1)
            return day(start) if self.kind == "day" else between(start, end)
        months = {"month": 1, "quarter": 3, "half": 6, "year": 12}[self.kind]
        whole = _whole(self.kind, _add_months(self.start, -months))
        if self.end == _whole(self.kind, self.start).end:  # a whole month (quarter, ...): the whole one before
            return whole
        return _clipped(self.kind, whole.start, min(whole.end, whole.start + dt.timedelta(days=self.days - 1)), whole)

    def until(self, today: dt.date) -> "Period":
        """This period cut at ``today`` when it runs past it; refused when it begins after ``today``."""
        if self.start > today:
            raise PeriodError(f"Kỳ {self.label} chưa bắt đầu (hôm nay là {today:%d/%m/%Y}).")
        if self.end <= today:
            return self
        return _clipped(self.kind, self.start, today, self)


def _clipped(kind: str, start: dt.date, end: dt.date, whole: Optional[Period]) -> Period:
    """``whole`` cut to ``start``–``end`` with a label that says where it stops (a span gets its own label)."""
    if whole is None or kind == "span":
        return between(start, end)
    if end == whole.end:
        return whole
    return Period(start, end, f"{whole.label} (đến {end:%d/%m})", kind)


def _add_months(day_: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after ``day_``'s month."""
    index = day_.year * 12 + day_.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _whole(kind: str, first: dt.date) -> Period:
    if kind == "month":
        return month(first.year, first.month)
    if kind == "quarter":
        return quarter(first.year, (first.month - 1) // 3 + 1)
    if kind == "half":
        return half(first.year, 1 if first.month <= 6 else 2)
    return year(first.year)


def day(on: dt.date) -> Period:
    """One day."""
    return Period(on, on, f"ngày {on:%d/%m/%Y}", "day")


def week(containing: dt.date) -> Period:
    """The Monday–Sunday week that holds ``containing``."""
    start = containing - dt.timedelta(days=containing.weekday())
    end = start + dt.timedelta(days=6)
    return Period(start, end, f"tuần {start:%d/%m}–{end:%d/%m/%Y}", "week")


def month(year_: int, number: int) -> Period:
    """Month ``number`` of ``year_``."""
    _check_year(year_)
    if not 1 <= number <= 12:
        raise PeriodError(f"Không có tháng {number}.")
    last = calendar.monthrange(year_, number)[1]
    return Period(dt.date(year_, number, 1), dt.date(year_, number, last), f"tháng {number}/{year_}", "month")


def quarter(year_: int, number: int) -> Period:
    """Quarter ``number`` (1–4) of ``year_``."""
    _check_year(year_)
    if not 1 <= number <= 4:
        raise PeriodError(f"Không có quý {number} (chỉ có quý 1 đến quý 4).")
    first = dt.date(year_, 3 * number - 2, 1)
    return Period(first, month(year_, 3 * number).end, f"quý {ROMAN_OF[number]}/{year_}", "quarter")


def half(year_: int, number: int) -> Period:
    """The first (1) or second (2) half of ``year_``."""
    _check_year(year_)
    if number == 1:
        return Period(dt.date(year_, 1, 1), dt.date(year_, 6, 30), f"6 tháng đầu năm {year_}", "half")
    return Period(dt.date(year_, 7, 1), dt.date(year_, 12, 31), f"6 tháng cuối năm {year_}", "half")


def year(year_: int) -> Period:
    """The calendar year ``year_``."""
    _check_year(year_)
    return Period(dt.date(year_, 1, 1), dt.date(year_, 12, 31), f"năm {year_}", "year")


def between(start: dt.date, end: dt.date) -> Period:
    """Any span of days; named as the month, quarter, half or year it is exactly, else "từ … đến …"."""
    if start > end:
        raise PeriodError(f"Ngày bắt đầu {start:%d/%m/%Y} sau ngày kết thúc {end:%d/%m/%Y}.")
    if start.day == 1:
        for kind in ("year", "half", "quarter", "month"):
            whole = _whole(kind, start)
            if whole.start == start and whole.end == end:
                return whole
    if start.weekday() == 0 and end == start + dt.timedelta(days=6):
        return week(start)
    if start == end:
        return day(start)
    return Period(start, end, f"từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}", "span")


def _check_year(value: int) -> None:
    if not 2000 <= value <= 2100:
        raise PeriodError(f"Năm {value} không hợp lệ.")


# reading what a leader typed ------------------------------------------------------------------------------
_YEAR = r"(?:\s*(?:/|nam)\s*(\d{4}))?"
_THIS = r"(nay|hien tai)"
_LAST = r"(truoc|roi|qua|ngoai|vua qua)"
_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?\b")
_ROMAN_QUARTER = re.compile(r"(?i)\b(qu[ýy]|quí|wy)\s+(iv|iii|ii|i)\b")  # before normalize squeezes "iii" to "i"
_UNTIL_NOW = re.compile(r"\b(?:den|toi)\s+(?:nay|hom nay|hien tai|bay gio)\b")
_HALF = re.compile(rf"(?:6 thang|sau thang|nua)\s+(dau|cuoi)\s+nam(?:\s+(?:{_THIS}|{_LAST}|(\d{{4}})))?")
_QUARTER = re.compile(rf"\bquy\s+(\d)\b{_YEAR}")
_MONTH = re.compile(rf"\bthang\s+(\d{{1,2}})\b{_YEAR}")
_RELATIVE = re.compile(rf"\b(hom|tuan|thang|quy|nam)\s+(?:{_THIS}|{_LAST})\b")
_YEAR_ONLY = re.compile(r"\bnam\s+(\d{4})\b")


def parse_period(text: str, today: dt.date) -> Optional[Period]:
    """The period ``text`` names, relative to ``today``; None when it names none.

    Raises :class:`PeriodError` (a Vietnamese message) for an impossible date or a period that has not begun."""
    text = _ROMAN_QUARTER.sub(lambda m: f"{m.group(1)} {ROMAN[m.group(2).lower()]}", unicodedata.normalize("NFC", text or ""))
    words = normalize(text)
    found = _find(words, today)
    return found.until(today) if found is not None else None


def _find(words: str, today: dt.date) -> Optional[Period]:
    dates = _DATE.findall(words)
    if len(dates) >= 2:
        return _span(dates[0], dates[1], today)
    if dates and (_UNTIL_NOW.search(words) or re.search(r"\btu\s+(?:ngay\s+)?\d", words)):
        return _span(dates[0], None, today)
    if dates:
        (d, m, y) = dates[0]
        on = _date(_year_of(y) if y else today.year, m, d)
        return day(on if y or on <= today else _date(today.year - 1, m, d))
    match = _HALF.search(words)
    if match:
        which, this, last, number = match.groups()
        year_ = int(number) if number else today.year - (1 if last else 0)
        whole = half(year_, 1 if which == "dau" else 2)
        if not (number or this or last) and whole.start > today:
            whole = half(year_ - 1, whole.start.month // 6 + 1)
        return whole
    match = _QUARTER.search(words)
    if match:
        return _latest(lambda y: quarter(y, int(match.group(1))), match.group(2), today)
    match = _MONTH.search(words)
    if match:
        return _latest(lambda y: month(y, int(match.group(1))), match.group(2), today)
    match = _RELATIVE.search(words)
    if match:
        unit, this, last = match.groups()
        current = {"hom": day, "tuan": week, "thang": lambda d: month(d.year, d.month),
                   "quy": lambda d: quarter(d.year, (d.month - 1) // 3 + 1), "nam": lambda d: year(d.year)}[unit](today)
        if this:
            return current
        return current.previous() if unit != "nam" else year(today.year - 1)
    match = _YEAR_ONLY.search(words)
    if match:
        return year(int(match.group(1)))
    return None


def _latest(make, written_year: Optional[str], today: dt.date) -> Period:
    """``make(year)`` for the year written, else the latest one that has begun by ``today``."""
    if written_year:
        return make(int(written_year))
    found = make(today.year)
    return make(today.year - 1) if found.start > today else found


def _span(first: Tuple[str, str, str], second: Optional[Tuple[str, str, str]], today: dt.date) -> Period:
    """From ``first`` (day, month, year or "") to ``second`` (or ``today`` when None); years default as the module says."""
    (d1, m1, y1) = first
    if second is None:
        start = _date(_year_of(y1) if y1 else today.year, m1, d1)
        if not y1 and start > today:
            start = _date(today.year - 1, m1, d1)
        return between(start, today)
    (d2, m2, y2) = second
    if y2:
        end = _date(_year_of(y2), m2, d2)
        start = _date(_year_of(y1) if y1 else end.year, m1, d1)
        if not y1 and start > end:  # "từ 15/12 đến 15/1/2027"
            start = _date(end.year - 1, m1, d1)
        return between(start, end)
    start = _date(_year_of(y1) if y1 else today.year, m1, d1)
    if not y1 and start > today:
        start = _date(today.year - 1, m1, d1)
    end = _date(start.year, m2, d2)
    if end < start:  # "từ 15/12 đến 15/1": the span crosses the new year
        end = _date(start.year + 1, m2, d2)
    return between(start, end)


def _year_of(text: str) -> int:
    value = int(text)
    return value + 2000 if value < 100 else value


def _date(year_: int, month_: Optional[str], day_: Optional[str]) -> dt.date:
    try:
        return dt.date(year_, int(month_ or 0), int(day_ or 0))
    except ValueError:
        raise PeriodError(f"Ngày {day_}/{month_}/{year_} không có thật.") from None
