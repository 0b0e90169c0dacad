"""Tests of bot/workdays.py on the real 2025-2026 calendar.

Every expected date below was worked out by hand from the official arrangements (see
data/calendar/vn_days_off.yml) and a paper calendar, not by calling the code under test.
"""

from datetime import date, datetime, time, timedelta, timezone

import pytest

from bot.workdays import VN_TZ, OfficeHours, WorkCalendar


def vn(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN_TZ)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar()


# -- the calendar itself ---------------------------------------------------------------------------

DAYS_OFF_ON_WEEKDAYS = [
    date(2025, 1, 1),  # Tết Dương lịch
    *[date(2025, 1, d) for d in (27, 28, 29, 30, 31)],  # Tết Ất Tỵ (6150/TB-BLĐTBXH)
    date(2025, 4, 7),  # Giỗ Tổ Hùng Vương
    date(2025, 4, 30), date(2025, 5, 1), date(2025, 5, 2),  # 2/5 swapped with Saturday 26/4
    date(2025, 9, 1), date(2025, 9, 2),  # Quốc khánh + adjacent day
    date(2026, 1, 1), date(2026, 1, 2),  # 2/1 swapped with Saturday 10/1 (12729/VPCP-KGVX)
    *[date(2026, 2, d) for d in (16, 17, 18, 19, 20)],  # Tết Bính Ngọ
    date(2026, 4, 27),  # Giỗ Tổ on Sunday 26/4, made up Monday
    date(2026, 4, 30), date(2026, 5, 1),
    date(2026, 8, 31), date(2026, 9, 1), date(2026, 9, 2),  # 31/8 swapped with Saturday 22/8
    date(2026, 11, 24),  # Ngày Văn hóa Việt Nam
]
MAKE_UP_SATURDAYS = [date(2025, 4, 26), date(2026, 1, 10), date(2026, 8, 22)]


@pytest.mark.parametrize("day", DAYS_OFF_ON_WEEKDAYS, ids=str)
def test_official_weekday_days_off(cal, day):
    assert day.weekday() < 5
    assert not cal.is_working_day(day)
    assert cal.day_off_reason(day)


@pytest.mark.parametrize("day", MAKE_UP_SATURDAYS, ids=str)
def test_make_up_saturdays_are_working_days(cal, day):
    assert day.weekday() == 5
    assert cal.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2025, 1, 24), date(2025, 2, 3),  # Friday before / Monday after Tết 2025
        date(2025, 4, 29), date(2025, 5, 5), date(2025, 9, 3),
        date(2026, 1, 5), date(2026, 2, 13), date(2026, 2, 23),  # around Tết 2026
        date(2026, 4, 28), date(2026, 4, 29), date(2026, 8, 28), date(2026, 9, 3),
        date(2026, 11, 23), date(2026, 11, 25),
        date(2025, 11, 24),  # Ngày Văn hóa is a day off only from 2026
    ],
    ids=str,
)
def test_ordinary_working_days(cal, day):
    assert cal.is_working_day(day)


@pytest.mark.parametrize("day", [date(2025, 1, 25), date(2025, 2, 1), date(2026, 2, 14), date(2026, 8, 29), date(2026, 8, 23)], ids=str)
def test_weekends_are_not_working_days(cal, day):
    assert not cal.is_working_day(day)


def test_package_knows_labour_code_holidays(cal):
    assert "Hùng Vương" in cal.day_off_reason(date(2025, 4, 7))
    assert "Hùng Vương" in cal.day_off_reason(date(2026, 4, 27))
    # National Day has two days since the 2019 Labour Code.
    assert "Quốc khánh" in cal.day_off_reason(date(2025, 9, 1))
    assert "Quốc khánh" in cal.day_off_reason(date(2026, 9, 1))


def test_unverified_entries_are_listed_and_announced_years(cal, tmp_path):
    # Ngày Văn hóa Việt Nam (24/11) is confirmed (Báo Chính phủ; NQ 28/2026/QH16): no annual entry is unverified.
    assert [(e.month, e.day) for e in cal.unverified() if hasattr(e, "month")] == []
    assert cal.is_announced(2026) and not cal.is_announced(2027)
    pending = tmp_path / "days.yml"
    pending.write_text(
        "annual:\n  - {month: 11, day: 24, from: 2026-07-01, name: Ngày Văn hóa Việt Nam,"
        " source: {document: d, says: s}, verified: false, notes: chưa đọc văn bản}\n",
        encoding="utf-8",
    )
    assert [(e.month, e.day) for e in WorkCalendar(days_off_file=pending).unverified()] == [(11, 24)]


def test_working_days_between_for_overdue_counting(cal):
    # Due Fri 28/8/2026, returned Fri 4/9/2026: 29-30 weekend, 31/8-2/9 off -> only 3/9 and 4/9 count.
    assert cal.working_days_between(date(2026, 8, 28), date(2026, 9, 4)) == 2
    # Fri 25/4/2025 -> Mon 28/4/2025 counts the make-up Saturday 26/4 and Monday.
    assert cal.working_days_between(date(2025, 4, 25), date(2025, 4, 28)) == 2
    assert cal.working_days_between(date(2025, 4, 28), date(2025, 4, 25)) == -2
    assert cal.working_days_between(date(2025, 3, 12), date(2025, 3, 12)) == 0


# -- deadlines in working days ----------------------------------------------------------------------


def test_friday_afternoon_three_days(cal):
    # Received Fri 14/3/2025 15:30: Friday not counted, Mon 17, Tue 18, Wed 19 -> Wed 17:00 (not Mon).
    assert cal.due_at(vn(2025, 3, 14, 15, 30), working_days=3) == vn(2025, 3, 19, 17, 0)


def test_same_day_before_and_after_15h(cal):
    assert cal.due_at(vn(2025, 3, 11, 14, 59), working_days=0) == vn(2025, 3, 11, 17, 0)
    assert cal.due_at(vn(2025, 3, 11, 15, 0), working_days=0) == vn(2025, 3, 11, 17, 0)  # "sau 15 giờ" is strict
    assert cal.due_at(vn(2025, 3, 11, 16, 0), working_days=0) == vn(2025, 3, 12, 17, 0)


def test_same_day_after_15h_before_long_weekend(cal):
    # Fri 14/3/2025 16:00 -> Monday 17/3.
    assert cal.due_at(vn(2025, 3, 14, 16, 0), working_days=0) == vn(2025, 3, 17, 17, 0)
    # Wed 29/4/2026 16:00 -> 30/4, 1/5 holidays, 2-3/5 weekend -> Mon 4/5/2026.
    assert cal.due_at(vn(2026, 4, 29, 16, 0), working_days=0) == vn(2026, 5, 4, 17, 0)


def test_same_day_received_at_lunch_or_evening(cal):
    assert cal.due_at(vn(2025, 3, 11, 12, 0), working_days=0) == vn(2025, 3, 11, 17, 0)
    assert cal.due_at(vn(2025, 3, 11, 18, 30), working_days=0) == vn(2025, 3, 12, 17, 0)


def test_received_on_sunday(cal):
    # Sun 16/3/2025 -> taken as received Mon 17/3 07:30; Monday not counted -> Tue, Wed, Thu 20/3.
    assert cal.due_at(vn(2025, 3, 16, 10, 0), working_days=3) == vn(2025, 3, 20, 17, 0)
    assert cal.due_at(vn(2025, 3, 16, 10, 0), working_days=0) == vn(2025, 3, 17, 17, 0)


def test_received_on_holiday(cal):
    # Tue 2/9/2025 (Quốc khánh) -> received Wed 3/9 -> 1 day -> Thu 4/9/2025.
    assert cal.due_at(vn(2025, 9, 2, 9, 0), working_days=1) == vn(2025, 9, 4, 17, 0)
    # Same-day procedure filed online on 30/4/2025: 30/4, 1/5, 2/5 off, 3-4/5 weekend -> Mon 5/5/2025.
    assert cal.due_at(vn(2025, 4, 30, 10, 0), working_days=0) == vn(2025, 5, 5, 17, 0)


def test_received_after_closing(cal):
    # Mon 10/3/2025 17:30 -> received Tue 11/3; 1 day -> Wed 12/3.
    assert cal.due_at(vn(2025, 3, 10, 17, 30), working_days=1) == vn(2025, 3, 12, 17, 0)


def test_limit_crossing_tet_2026(cal):
    # Thu 12/2/2026: Fri 13/2 (1), Tết 14-22/2, Mon 23 (2), Tue 24 (3), Wed 25 (4), Thu 26/2 (5).
    assert cal.due_at(vn(2026, 2, 12, 10, 0), working_days=5) == vn(2026, 2, 26, 17, 0)


def test_limit_crossing_tet_2025(cal):
    # Fri 24/1/2025: Tết 25/1-2/2, then Mon 3/2 (1), Tue 4/2 (2), Wed 5/2 (3).
    assert cal.due_at(vn(2025, 1, 24, 9, 0), working_days=3) == vn(2025, 2, 5, 17, 0)


def test_make_up_saturday_counts(cal):
    # Fri 21/8/2026 10:00, 1 day -> Saturday 22/8/2026 is a working day.
    assert cal.due_at(vn(2026, 8, 21, 10, 0), working_days=1) == vn(2026, 8, 22, 17, 0)


def test_swapped_monday_and_national_day_2026(cal):
    # Fri 28/8/2026, 1 day: 29-30 weekend, 31/8 (swapped), 1/9, 2/9 off -> Thu 3/9/2026.
    assert cal.due_at(vn(2026, 8, 28, 10, 0), working_days=1) == vn(2026, 9, 3, 17, 0)


def test_vietnam_culture_day_2026(cal):
    # Mon 23/11/2026, 1 day: Tue 24/11 is Ngày Văn hóa Việt Nam -> Wed 25/11/2026.
    assert cal.due_at(vn(2026, 11, 23, 10, 0), working_days=1) == vn(2026, 11, 25, 17, 0)


def test_half_day_counts_in_working_hours(cal):
    # 0.5 day = 3 h 45 min with the default 7.5-hour office day.
    # Mon 10/3/2025 08:00: 3 h 30 to 11:30, 15 min after 13:30 -> 13:45.
    assert cal.due_at(vn(2025, 3, 10, 8, 0), working_days=0.5) == vn(2025, 3, 10, 13, 45)
    # Fri 14/3/2025 15:00: 2 h to 17:00, 1 h 45 on Monday -> Mon 17/3 09:15.
    assert cal.due_at(vn(2025, 3, 14, 15, 0), working_days=0.5) == vn(2025, 3, 17, 9, 15)


def test_two_and_a_half_days(cal):
    # 18.75 h from Mon 10/3/2025 07:30: Mon 7.5, Tue 7.5, then 3.75 of Wednesday's 4-hour morning -> Wed 11:15.
    assert cal.due_at(vn(2025, 3, 10, 7, 30), working_days=2.5) == vn(2025, 3, 12, 11, 15)


# -- deadlines in working hours ---------------------------------------------------------------------


def test_hours_cross_lunch_and_night(cal):
    # 8 h from Tue 11/3/2025 10:00: 1.5 h to 11:30, 3.5 h 13:30-17:00, 3 h on Wed from 07:30 -> 10:30.
    assert cal.due_at(vn(2025, 3, 11, 10, 0), working_hours=8) == vn(2025, 3, 12, 10, 30)


def test_hours_never_become_days(cal):
    # 24 working hours = 3 office days + 1.5 h, not "1 day": Mon 10/3/2025 07:30 -> Thu 13/3 09:00.
    assert cal.due_at(vn(2025, 3, 10, 7, 30), working_hours=24) == vn(2025, 3, 13, 9, 0)
    # 24 working days from Mon 10/3/2025: 11/3 is day 1, Fri 4/4 day 19, Mon 7/4 is Giỗ Tổ, 8-11/4 days 20-23, Mon 14/4 day 24.
    assert cal.due_at(vn(2025, 3, 10, 7, 30), working_days=24) == vn(2025, 4, 14, 17, 0)


def test_hours_across_holiday_and_make_up_saturday(cal):
    # Tue 29/4/2025 16:00, 4 h: 1 h Tuesday, 30/4-4/5 off, 3 h on Mon 5/5 -> 10:30.
    assert cal.due_at(vn(2025, 4, 29, 16, 0), working_hours=4) == vn(2025, 5, 5, 10, 30)
    # Fri 21/8/2026 16:00, 2 h: 1 h Friday, 1 h on make-up Saturday 22/8 -> 08:30.
    assert cal.due_at(vn(2026, 8, 21, 16, 0), working_hours=2) == vn(2026, 8, 22, 8, 30)


def test_hours_from_lunch_break_and_session_end(cal):
    assert cal.due_at(vn(2025, 3, 11, 12, 0), working_hours=1) == vn(2025, 3, 11, 14, 30)
    assert cal.due_at(vn(2025, 3, 11, 11, 30), working_hours=1) == vn(2025, 3, 11, 14, 30)
    # Exactly filling the morning ends at 11:30, not after lunch.
    assert cal.due_at(vn(2025, 3, 11, 7, 30), working_hours=4) == vn(2025, 3, 11, 11, 30)


# -- units, time zones, configuration ---------------------------------------------------------------


def test_exactly_one_unit(cal):
    with pytest.raises(ValueError):
        cal.due_at(vn(2025, 3, 11, 9, 0))
    with pytest.raises(ValueError):
        cal.due_at(vn(2025, 3, 11, 9, 0), working_days=1, working_hours=8)
    with pytest.raises(ValueError):
        cal.due_at(vn(2025, 3, 11, 9, 0), working_days=-1)
    with pytest.raises(ValueError):
        cal.due_at(vn(2025, 3, 11, 9, 0), working_hours=float("nan"))


def test_naive_datetime_refused_and_utc_converted(cal):
    with pytest.raises(ValueError):
        cal.due_at(datetime(2025, 3, 11, 9, 0), working_days=1)
    # 09:00 UTC is 16:00 in Hà Nội: a same-day procedure is due the next day.
    due = cal.due_at(datetime(2025, 3, 11, 9, 0, tzinfo=timezone.utc), working_days=0)
    assert due == vn(2025, 3, 12, 17, 0)
    assert due.tzinfo is VN_TZ and due.utcoffset() == timedelta(hours=7)


def test_custom_office_hours():
    ward = WorkCalendar(office_hours=OfficeHours(sessions=((time(7, 0), time(11, 0)), (time(13, 0), time(17, 0))), same_day_cutoff=time(16, 0)))
    assert ward.office_hours.day_hours == 8
    assert ward.due_at(vn(2025, 3, 11, 7, 0), working_days=0.5) == vn(2025, 3, 11, 11, 0)  # 4 h
    assert ward.due_at(vn(2025, 3, 11, 15, 30), working_days=0) == vn(2025, 3, 11, 17, 0)  # cut-off 16:00
    with pytest.raises(ValueError):
        OfficeHours(sessions=((time(13, 0), time(17, 0)), (time(7, 0), time(11, 0))))


def test_data_file_is_checked(tmp_path):
    bad = tmp_path / "days.yml"
    bad.write_text(
        "days:\n  - {date: 2025-03-12, kind: working_day, name: x, source: {document: d, says: s}, verified: true}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"days\.yml: days\[0\].*Saturday or Sunday"):
        WorkCalendar(days_off_file=bad)
    unsourced = tmp_path / "unsourced.yml"
    unsourced.write_text("days:\n  - {date: 2025-03-12, kind: day_off, name: x, verified: true}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="source"):
        WorkCalendar(days_off_file=unsourced)


# -- never lands on a weekend or a holiday -----------------------------------------------------------


def test_deadlines_never_land_on_days_off(cal):
    off = set(DAYS_OFF_ON_WEEKDAYS)
    make_up = set(MAKE_UP_SATURDAYS)
    received = vn(2025, 1, 1, 0, 0)
    while received < vn(2027, 1, 1):
        for kwargs in ({"working_days": 0}, {"working_days": 1}, {"working_days": 3}, {"working_days": 0.5}, {"working_hours": 5}):
            due = cal.due_at(received, **kwargs)
            day = due.date()
            assert day not in off, (received, kwargs, due)
            assert day.weekday() < 5 or day in make_up, (received, kwargs, due)
            assert due > received
        received += timedelta(hours=13, minutes=17)
