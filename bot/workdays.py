"""The ward's working-day calendar: is a day a working day, and when is a dossier's result due.

Every processing deadline ("hạn trả kết quả") in motcua is computed here, so the rules live in one place:

Calendar
    A working day is Monday to Friday, except public holidays and official days off; a Saturday or Sunday
    officially declared a make-up working day ("làm bù") is a working day. Holidays come from the
    ``holidays`` package's Vietnam calendar (Labour Code 45/2019 Art. 112 with make-up days, Tết as
    announced) plus ``data/calendar/vn_days_off.yml``: swapped days, make-up Saturdays and new holidays the
    package lacks, each with its source. The YAML file wins over the package.

Office hours (``OfficeHours``, configurable since wards differ)
    Default sessions 07:30-11:30 and 13:30-17:00 (7.5 working hours a day); same-day cut-off 15:00.

Deadline rules (``WorkCalendar.due_at``)
    * The limit is given EITHER in working days OR in working hours; never both, never guessed.
    * A dossier received outside working time (evening, lunch break, weekend, holiday) is taken as received
      at the start of the next working time.
    * 0 days ("giải quyết ngay trong ngày"): due at the end of the receipt day; received after 15:00, due at
      the end of the next working day (Luật Hộ tịch 60/2014 Art. 5(3); Decree 23/2015 Art. 7 and
      Circular 01/2020/TT-BTP Art. 2 for chứng thực).
    * N whole working days: the receipt day is not counted (Civil Code 91/2015 Art. 147(2)); the result is
      due at the end of office hours of the N-th working day after it (Art. 148(1), (5)).
    * A fractional number of days (0.5, 1.5) is converted to working hours at ``hours_per_day`` (default:
      the length of the office day, 7.5 h) and counted in working hours.
    * N working hours: counted minute by minute through office sessions only, from the effective receipt.
    * Datetimes must be timezone-aware (a naive one is refused, to avoid UTC-server bugs); results are in
      Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import holidays

from bot import yamltext
from bot.timeutil import VN_TZ
from bot.timeutil import local as _local

DEFAULT_DAYS_OFF_FILE = Path(__file__).resolve().parent.parent / "data" / "calendar" / "vn_days_off.yml"

DAY_OFF = "day_off"
WORKING_DAY = "working_day"


@dataclass(frozen=True)
class OfficeHours:
    """Office sessions of the one-stop desk and the same-day cut-off; configurable per ward."""

    sessions: tuple[tuple[time, time], ...] = ((time(7, 30), time(11, 30)), (time(13, 30), time(17, 0)))
    same_day_cutoff: time = time(15, 0)

    def __post_init__(self) -> None:
        if not self.sessions:
            raise ValueError("OfficeHours needs at least one session")
        previous_end = time.min
        for start, end in self.sessions:
            if not previous_end <= start < end:
                raise ValueError(f"office sessions must be ordered and non-overlapping: {self.sessions}")
            previous_end = end

    @property
    def day_hours(self) -> float:
        """Working hours in one full office day (7.5 with the defaults)."""
        return sum(_minutes(e) - _minutes(s) for s, e in self.sessions) / 60

    @property
    def closing(self) -> time:
        """End of the last session: the time a day-based deadline falls due."""
        return self.sessions[-1][1]


@dataclass(frozen=True)
class Adjustment:
    """One official day from the data file: a weekday off or a weekend make-up working day."""

    date: date
    kind: str
    name: str
    source: dict[str, Any]
    verified: bool
    notes: str = ""


@dataclass(frozen=True)
class AnnualHoliday:
    """A fixed-date holiday the package lacks (e.g. 24/11 Ngày Văn hóa Việt Nam), in force from a date."""

    month: int
    day: int
    start: date
    name: str
    source: dict[str, Any]
    verified: bool
    notes: str = ""


@dataclass
class WorkCalendar:
    """Working days and deadlines for the ward; built from the ``holidays`` package plus the data file."""

    days_off_file: Path | str = DEFAULT_DAYS_OFF_FILE
    office_hours: OfficeHours = field(default_factory=OfficeHours)
    hours_per_day: float | None = None  # for fractional days; None = office_hours.day_hours

    def __post_init__(self) -> None:
        self.days_off_file = Path(self.days_off_file)
        self.adjustments, self.annual, self.announced_years = _load_days_off(self.days_off_file)
        if self.hours_per_day is None:
            self.hours_per_day = self.office_hours.day_hours
        if self.hours_per_day <= 0:
            raise ValueError("hours_per_day must be positive")
        self._package_years: dict[int, holidays.HolidayBase] = {}

    # -- calendar ---------------------------------------------------------------------------------

    def day_off_reason(self, day: date) -> str | None:
        """Why ``day`` is not a working day ("Chủ nhật", a holiday's name), or None if it is one."""
        adjustment = self.adjustments.get(day)
        if adjustment is not None:
            return adjustment.name if adjustment.kind == DAY_OFF else None
        for holiday in self.annual:
            if (day.month, day.day) == (holiday.month, holiday.day) and day >= holiday.start:
                return holiday.name
        if day.year not in self._package_years:
            self._package_years[day.year] = holidays.VN(years=day.year, language="vi")
        name = self._package_years[day.year].get(day)
        if name:
            return name
        if day.weekday() == 5:
            return "Thứ Bảy"
        if day.weekday() == 6:
            return "Chủ nhật"
        return None

    def is_working_day(self, day: date) -> bool:
        """True on Mon-Fri that are not holidays/days off, and on declared make-up weekend days."""
        return self.day_off_reason(day) is None

    def next_working_day(self, day: date, include_self: bool = False) -> date:
        """The first working day after ``day`` (or ``day`` itself if ``include_self`` and it is one)."""
        candidate = day if include_self else day + timedelta(days=1)
        for _ in range(366):
            if self.is_working_day(candidate):
                return candidate
            candidate += timedelta(days=1)
        raise RuntimeError(f"no working day within a year after {day}")

    def working_days_between(self, start: date, end: date) -> int:
        """Working days d with start < d <= end (negative if end is before start); e.g. days overdue."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(self.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))

    def unverified(self) -> list[Adjustment | AnnualHoliday]:
        """Entries of the data file applied but marked ``verified: false`` (to be confirmed)."""
        return [a for a in self.adjustments.values() if not a.verified] + [h for h in self.annual if not h.verified]

    def is_announced(self, year: int) -> bool:
        """True if the official Tết/National Day arrangement of ``year`` is recorded in the data file."""
        return year in self.announced_years

    # -- deadlines --------------------------------------------------------------------------------

    def due_at(self, received: datetime, working_days: float | None = None, working_hours: float | None = None) -> datetime:
        """Deadline for a dossier received at ``received`` with a limit in working days OR working hours."""
        if (working_days is None) == (working_hours is None):
            raise ValueError("give exactly one of working_days or working_hours")
        if working_days is not None:
            return self.add_working_days(received, working_days)
        return self.add_working_hours(received, working_hours)  # type: ignore[arg-type]

    def add_working_days(self, received: datetime, days: float) -> datetime:
        """Deadline after ``days`` working days (0 = same day, 15:00 cut-off; fractions count in hours)."""
        _check_amount(days, "days")
        if days != int(days):
            return self.add_working_hours(received, days * self.hours_per_day)  # type: ignore[operator]
        start = self.effective_receipt(received)
        day = start.date()
        if days == 0:
            if start.time() > self.office_hours.same_day_cutoff:
                day = self.next_working_day(day)
            return self._at(day, self.office_hours.closing)
        for _ in range(int(days)):
            day = self.next_working_day(day)
        return self._at(day, self.office_hours.closing)

    def add_working_hours(self, received: datetime, hours: float) -> datetime:
        """Deadline after ``hours`` working hours, counted only inside office sessions."""
        _check_amount(hours, "hours")
        remaining = timedelta(seconds=round(hours * 3600))
        moment = self.effective_receipt(received)
        while True:
            session_end = self._session_end(moment)
            available = session_end - moment
            if remaining <= available:
                return moment + remaining
            remaining -= available
            moment = self.effective_receipt(session_end)

    def effective_receipt(self, received: datetime) -> datetime:
        """``received`` if inside working time, else the start of the next working time (Asia/Ho_Chi_Minh)."""
        moment = _local(received)
        day = moment.date()
        if self.is_working_day(day):
            for start, end in self.office_hours.sessions:
                if moment < self._at(day, end):
                    return max(moment, self._at(day, start))
        return self._at(self.next_working_day(day), self.office_hours.sessions[0][0])

    def _session_end(self, moment: datetime) -> datetime:
        """End of the office session containing ``moment`` (which must be inside working time)."""
        for start, end in self.office_hours.sessions:
            if self._at(moment.date(), start) <= moment < self._at(moment.date(), end):
                return self._at(moment.date(), end)
        raise ValueError(f"{moment} is not inside an office session")

    @staticmethod
    def _at(day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=VN_TZ)


@lru_cache(maxsize=1)
def default_calendar() -> WorkCalendar:
    """A shared calendar with the default data file and office hours (built on first use)."""
    return WorkCalendar()


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute



def _check_amount(value: float, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or math.isinf(value) or value < 0:
        raise ValueError(f"{what} must be a non-negative number, got {value!r}")


def _load_days_off(path: Path) -> tuple[dict[date, Adjustment], list[AnnualHoliday], frozenset[int]]:
    """Read and check the data file; errors name the file and the entry."""
    with path.open(encoding="utf-8") as handle:
        data = yamltext.load(handle) or {}
    adjustments: dict[date, Adjustment] = {}
    for i, entry in enumerate(data.get("days") or []):
        where = f"{path}: days[{i}]"
        day = entry.get("date")
        if not isinstance(day, date):
            raise ValueError(f"{where}: field 'date' must be a YYYY-MM-DD date")
        kind = entry.get("kind")
        if kind == DAY_OFF and day.weekday() >= 5:
            raise ValueError(f"{where}: a day_off must be Monday-Friday, {day} is a weekend day")
        if kind == WORKING_DAY and day.weekday() < 5:
            raise ValueError(f"{where}: a working_day (make-up day) must be a Saturday or Sunday, {day} is not")
        if kind not in (DAY_OFF, WORKING_DAY):
            raise ValueError(f"{where}: field 'kind' must be {DAY_OFF} or {WORKING_DAY}")
        if day in adjustments:
            raise ValueError(f"{where}: {day} is listed twice")
        name, source, verified = _text(entry, "name", where), _source(entry, where), _verified(entry, where)
        adjustments[day] = Adjustment(day, kind, name, source, verified, entry.get("notes", ""))
    annual = []
    for i, entry in enumerate(data.get("annual") or []):
        where = f"{path}: annual[{i}]"
        start = entry.get("from")
        if not isinstance(start, date):
            raise ValueError(f"{where}: field 'from' must be a YYYY-MM-DD date")
        try:
            date(2000, entry.get("month"), entry.get("day"))
        except (TypeError, ValueError) as error:
            raise ValueError(f"{where}: fields 'month'/'day' are not a valid date: {error}") from None
        name, source, verified = _text(entry, "name", where), _source(entry, where), _verified(entry, where)
        annual.append(AnnualHoliday(entry["month"], entry["day"], start, name, source, verified, entry.get("notes", "")))
    return adjustments, annual, frozenset(data.get("announced_years") or [])


def _text(entry: dict, key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: field '{key}' is required")
    return value


def _source(entry: dict, where: str) -> dict[str, Any]:
    source = entry.get("source")
    if not isinstance(source, dict) or not source.get("document") or not source.get("says"):
        raise ValueError(f"{where}: field 'source' needs 'document' and 'says'")
    return source


def _verified(entry: dict, where: str) -> bool:
    verified = entry.get("verified")
    if not isinstance(verified, bool):
        raise ValueError(f"{where}: field 'verified' must be true or false")
    if not verified and not entry.get("notes"):
        raise ValueError(f"{where}: an entry with verified: false needs 'notes'")
    return verified
