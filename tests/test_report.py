"""The execution report (Biểu 07a): counts on a hand-counted sample, the summary, the chart, the Excel, the command
line and the periods a leader types. The expected numbers below were counted by hand from SAMPLE (see the comments
on each dossier and docs/indicators.md, "Biểu 07a: counting rules")."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from openpyxl import load_workbook

from bot.cli import main
from bot.officials import report as counting
from bot.officials.periods import PeriodError, between, half, month, parse_period, quarter, week, year
from bot.officials.report import report, tally
from bot.officials.report_command import leader_report
from bot.officials.report_render import chart_png, excel_bytes, summary_text, table_row
from bot.services import Services

OCTOBER = month(2026, 10)
TP, CA = "Tư pháp - Hộ tịch", "Công an phường"
HT, CT, CU = "Hộ tịch", "Chứng thực", "Đăng ký, quản lý cư trú"
HOA, DUNG, AN = "Lê Thị Hoa", "Đỗ Văn Dũng", "Phạm An"


def dossier(code, field, department, handler, channel, level, received, due, finished, status, **more):
    return {"code": code, "field": field, "department": department, "handler": handler, "submission_channel": channel,
            "online_level": level, "received_at": received, "due_at": due, "finished_at": finished, "status": status, **more}


# What each dossier is in October 2026 (and in September, the period before).
SAMPLE = [
    # on time: finished on the due day, before the due hour
    dossier("A01", HT, TP, HOA, "in_person", None, "2026-10-02T08:00:00+07:00", "2026-10-02T17:00:00+07:00", "2026-10-02T10:30:00+07:00", "returned"),
    # early: finished two days before the due day; received fully online
    dossier("A02", HT, TP, HOA, "online", "full", "2026-10-05T09:00:00+07:00", "2026-10-09T17:00:00+07:00", "2026-10-07T15:00:00+07:00", "done"),
    # late: finished on the due day but after the due hour; partly online
    dossier("A03", HT, TP, HOA, "online", "partial", "2026-10-06T09:00:00+07:00", "2026-10-12T17:00:00+07:00", "2026-10-12T17:30:00+07:00", "returned"),
    # on time: by post, finished a minute before the due moment
    dossier("A04", HT, TP, HOA, "post", None, "2026-10-08T10:00:00+07:00", "2026-10-15T17:00:00+07:00", "2026-10-15T16:59:00+07:00", "done"),
    # carried over (received in September, finished on 1 October), early; pending within the deadline in September
    dossier("A05", HT, TP, DUNG, "in_person", None, "2026-09-25T09:00:00+07:00", "2026-10-02T17:00:00+07:00", "2026-10-01T09:00:00+07:00", "returned"),
    # carried over, still open, due 5 October: pending overdue (within the deadline at the end of September)
    dossier("A06", CT, TP, AN, "in_person", None, "2026-09-28T08:00:00+07:00", "2026-10-05T17:00:00+07:00", None, "in_progress"),
    # received 00:30 on 1 October Vietnam time (30 September in UTC): in the period, pending within the deadline
    dossier("A07", CT, TP, AN, "in_person", None, "2026-09-30T17:30:00+00:00", "2026-11-03T17:00:00+07:00", None, "in_progress"),
    # waiting for the applicant, due 28 October: pending overdue
    dossier("A08", CT, TP, AN, "in_person", None, "2026-10-21T08:00:00+07:00", "2026-10-28T17:00:00+07:00", None, "additions_requested"),
    # online with no level recorded (counts as partly online); finished after the period: pending overdue in October
    dossier("A09", CT, TP, HOA, "online", None, "2026-10-29T09:00:00+07:00", "2026-10-30T17:00:00+07:00", "2026-11-02T10:00:00+07:00", "returned"),
    # refused at the counter: never counted
    dossier("A10", HT, TP, HOA, "in_person", None, "2026-10-10T09:00:00+07:00", None, None, "not_received"),
    # withdrawn the day after it came in, fully online: resolved early
    dossier("A11", CU, CA, DUNG, "online", "full", "2026-10-13T09:00:00+07:00", "2026-10-20T17:00:00+07:00", "2026-10-14T08:00:00+07:00", "withdrawn"),
    # stopped without a finished_at: ends at its updated_at (22 October, after its due moment): resolved late
    dossier("A12", CU, CA, DUNG, "post", None, "2026-10-14T09:00:00+07:00", "2026-10-21T17:00:00+07:00", None, "stopped",
            updated_at="2026-10-22T09:00:00+07:00"),
    # received on the period's last afternoon, due in November: pending within the deadline
    dossier("A13", CU, CA, DUNG, "in_person", None, "2026-10-31T16:00:00+07:00", "2026-11-05T17:00:00+07:00", None, "received"),
    # received after the period: not counted in October
    dossier("A14", CU, CA, DUNG, "in_person", None, "2026-11-01T08:00:00+07:00", "2026-11-06T17:00:00+07:00", None, "received"),
    # received and finished (late) in September: not counted in October
    dossier("A15", HT, TP, HOA, "in_person", None, "2026-09-10T09:00:00+07:00", "2026-09-17T17:00:00+07:00", "2026-09-20T10:00:00+07:00", "returned"),
    # carried over, no handler, due at 17:00 on the period's last day: pending overdue at the end of October
    dossier("A16", CU, CA, None, "online", "partial", "2026-09-30T16:00:00+07:00", "2026-10-31T17:00:00+07:00", None, "in_progress"),
    # no due date: on time
    dossier("A17", HT, TP, HOA, "in_person", None, "2026-10-15T09:00:00+07:00", None, "2026-10-15T11:00:00+07:00", "returned"),
    # no field recorded: on time (finished on the due day)
    dossier("A18", None, CA, DUNG, "in_person", None, "2026-10-16T09:00:00+07:00", "2026-10-23T17:00:00+07:00", "2026-10-23T09:00:00+07:00", "done"),
]


def row(carried, online, in_person, post, early, on_time, late, within, overdue, on_time_rate, online_rate):
    """One report row as hand-counted: the received, resolved and pending cells, and the two rates."""
    return {"received": {"carried_over": carried, "online": online, "in_person": in_person, "post": post,
                         "total": carried + online + in_person + post},
            "resolved": {"early": early, "on_time": on_time, "late": late, "total": early + on_time + late},
            "pending": {"within_deadline": within, "overdue": overdue, "total": within + overdue},
            "rates": {"on_time_rate": on_time_rate, "online_rate": online_rate}}


# October, counted by hand (received new: A01–A04, A07–A09, A11–A13, A17, A18; carried over: A05, A06, A16)
TOTAL = row(3, 4, 6, 2, 3, 4, 2, 2, 4, 60.0, 33.3)  # on time (3+4+2)/15; online 4/12
FIELDS = {
    CT: row(1, 1, 2, 0, 0, 0, 0, 1, 3, 25.0, 33.3),      # A06 A07 A08 A09
    CU: row(1, 1, 1, 1, 1, 0, 1, 1, 1, 50.0, 33.3),      # A11 A12 A13 A16
    HT: row(1, 2, 2, 1, 2, 3, 1, 0, 0, 83.3, 40.0),      # A01–A05 A17
    "(Chưa rõ lĩnh vực)": row(0, 0, 1, 0, 0, 1, 0, 0, 0, 100.0, 0.0),  # A18
}
DEPARTMENTS = {
    CA: row(1, 1, 2, 1, 1, 1, 1, 1, 1, 60.0, 25.0),      # A11 A12 A13 A16 A18
    TP: row(2, 3, 4, 1, 2, 3, 1, 1, 3, 60.0, 37.5),      # A01–A09 A17
}
# September (A05 A06 A15 A16 received; A15 resolved late; the other three pending within the deadline)
SEPTEMBER = row(0, 1, 3, 0, 0, 0, 1, 3, 0, 75.0, 25.0)


@pytest.fixture
def db(tmp_path):
    store = Services.open(tmp_path / "motcua.db")
    store.dossiers.upsert(SAMPLE, "import:mau.xlsx", now=dt.datetime(2026, 11, 3, 8, 0, tzinfo=dt.timezone.utc))
    return store.db


def test_the_hand_counted_sample(db):
    counted = report(db, OCTOBER)
    assert (counted["from"], counted["to"]) == ("2026-10-01", "2026-10-31")
    assert counted["total"] == TOTAL
    assert counted["fields"] == FIELDS
    assert counted["departments"] == DEPARTMENTS
    assert report(db, month(2026, 9))["total"] == SEPTEMBER


@pytest.mark.parametrize("plan", ["_ROWS_BY_INDEX", "_ROWS_BY_SCAN"])
def test_both_ways_of_reading_the_dossiers_count_alike(db, monkeypatch, plan):
    monkeypatch.setattr(counting, "_rows", lambda conn, start: getattr(counting, plan))
    assert report(db, OCTOBER) == {"from": "2026-10-01", "to": "2026-10-31", "total": TOTAL, "fields": FIELDS, "departments": DEPARTMENTS}
    assert report(db, month(2026, 9))["total"] == SEPTEMBER
    assert tally(db, OCTOBER).overdue_by("handler") == [(AN, 2), ("Chưa phân công", 1), (HOA, 1)]


def test_one_department_and_one_field(db):
    only = report(db, OCTOBER, department=TP)
    assert only["total"] == DEPARTMENTS[TP] and list(only["departments"]) == [TP]
    assert set(only["fields"]) == {HT, CT} and only["fields"][HT] == FIELDS[HT]
    assert report(db, OCTOBER, field=CU)["total"] == FIELDS[CU]


def test_received_equals_resolved_plus_pending_in_any_period(db):
    for period in (OCTOBER, month(2026, 9), between(dt.date(2026, 10, 10), dt.date(2026, 10, 20)), year(2026)):
        total = report(db, period)["total"]
        assert total["received"]["total"] == total["resolved"]["total"] + total["pending"]["total"]


def test_overdue_departments_and_handlers_and_the_online_split(db):
    counted = tally(db, OCTOBER)
    assert counted.overdue_by("department") == [(TP, 3), (CA, 1)]
    assert counted.overdue_by("handler") == [(AN, 2), ("Chưa phân công", 1), (HOA, 1)]
    levels = counted.online_levels()
    assert levels["total"] == {"full": 2, "partial": 2}
    assert (levels["fields"][HT], levels["fields"][CT], levels["fields"][CU]) == (
        {"full": 1, "partial": 1}, {"full": 0, "partial": 1}, {"full": 1, "partial": 0})


def test_summary_compares_with_the_period_before(db):
    text = summary_text(report(db, OCTOBER), report(db, month(2026, 9)))
    assert text.splitlines() == [
        "📊 Tháng 10/2026 (so với tháng 9/2026)",
        "• Tiếp nhận mới: 12 hồ sơ (+8); kỳ trước chuyển sang: 3",
        "• Đã giải quyết: 9 (+8) – đúng hạn 7, trễ hạn 2 (+1)",
        "• Đang giải quyết: 6 (+3), trong đó quá hạn 4 (+4)",
        "• Tỉ lệ đúng hạn: 60,0% (−15,0 điểm)",
        "• Nộp trực tuyến: 33,3% (+8,3 điểm)",
        "• Quá hạn nhiều nhất: Tư pháp - Hộ tịch 3, Công an phường 1",
    ]


def test_a_department_leader_sees_its_handlers_with_the_most_overdue(db):
    made = leader_report(db, OCTOBER, department=TP, excel=True)
    lines = made.text.splitlines()
    assert lines[0] == "📊 Tháng 10/2026 – Tư pháp - Hộ tịch (so với tháng 9/2026)"
    assert lines[-1] == "• Quá hạn nhiều nhất: Phạm An 2, Lê Thị Hoa 1"
    assert 5 <= len(lines) <= 8
    assert made.png.startswith(b"\x89PNG\r\n\x1a\n") and made.xlsx.startswith(b"PK")


def test_a_period_without_dossiers_reads_plainly(db):
    text = summary_text(report(db, month(2025, 1)))
    assert "Tiếp nhận mới: 0 hồ sơ" in text and "Tỉ lệ đúng hạn: –" in text and "Không có hồ sơ quá hạn" in text


def test_chart_is_a_png(db):
    png = chart_png(report(db, OCTOBER), report(db, month(2026, 9)))
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000


def _table(sheet):
    """(name, numbers of columns 3..15) for each data row, and the TỔNG CỘNG row's numbers."""
    rows, total = [], None
    for values in sheet.iter_rows(min_row=10, values_only=True):
        if values[0] == "TỔNG CỘNG":
            total = list(values[2:15])
            break
        rows.append((values[1], list(values[2:15])))
    return rows, total


def test_excel_has_the_form_columns_one_row_per_field_and_the_total(db):
    counted = tally(db, OCTOBER)
    book = load_workbook(io.BytesIO(excel_bytes(counted.json(), counted.online_levels(), label="tháng 10/2026")))
    sheet = book["Biểu 07a"]
    assert sheet["A1"].value == "Biểu số 07a/BTP/KSTT"
    assert "Từ ngày 01/10/2026 đến ngày 31/10/2026" in sheet["A3"].value
    assert [sheet.cell(8, c).value for c in range(4, 8)] == ["Trực tuyến toàn trình", "Trực tuyến một phần", "Qua dịch vụ bưu chính", "Trực tiếp"]
    assert (sheet["H7"].value, sheet["J7"].value, sheet["N7"].value) == ("Từ kỳ trước", "Trước hạn", "Trong hạn")
    rows, total = _table(sheet)
    assert [name for name, _ in rows] == list(FIELDS)  # one row per field, sorted, the unknown field last
    assert dict(rows)[HT] == [6, 1, 1, 1, 2, 1, 6, 2, 3, 1, 0, 0, 0]
    assert total == [15, 2, 2, 2, 6, 3, 9, 3, 4, 2, 6, 2, 4]
    levels = counted.online_levels()["fields"]
    for name, numbers in rows:  # every row equals the JSON
        assert numbers == table_row(FIELDS[name], levels[name])
    assert _table(book["Theo bộ phận"])[1] == total


def test_motcua_report_json_has_exactly_the_shape(db, monkeypatch, capsys):
    monkeypatch.setenv("MOTCUA_DB", str(db.conn.execute("pragma database_list").fetchone()[2]))
    assert main(["report", "--from", "2026-10-01", "--to", "2026-10-31", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == {"from", "to", "total", "fields", "departments"}
    for part in [printed["total"], *printed["fields"].values(), *printed["departments"].values()]:
        assert {k: set(v) for k, v in part.items()} == {
            "received": {"carried_over", "online", "in_person", "post", "total"},
            "resolved": {"early", "on_time", "late", "total"},
            "pending": {"within_deadline", "overdue", "total"},
            "rates": {"on_time_rate", "online_rate"}}
    assert printed["total"] == TOTAL and printed["fields"] == FIELDS


def test_motcua_report_text_department_and_excel(db, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("MOTCUA_DB", str(db.conn.execute("pragma database_list").fetchone()[2]))
    assert main(["report", "--from", "2026-10-01", "--to", "2026-10-31", "--department", "tu phap"]) == 0
    assert capsys.readouterr().out.startswith("📊 Tháng 10/2026 – Tư pháp - Hộ tịch (so với tháng 9/2026)\n")
    target = tmp_path / "bieu07a.xlsx"
    assert main(["report", "--from", "2026-10-01", "--to", "2026-10-31", "--xlsx", str(target)]) == 0
    assert str(target) in capsys.readouterr().out
    assert _table(load_workbook(target)["Biểu 07a"])[1] == [15, 2, 2, 2, 6, 3, 9, 3, 4, 2, 6, 2, 4]


@pytest.mark.parametrize("args, message", [
    (["--from", "2026-10-32", "--to", "2026-10-31"], "Lỗi: Ngày --from không hợp lệ: \"2026-10-32\""),
    (["--from", "2026-11-01", "--to", "2026-10-31"], "Lỗi: Ngày bắt đầu 01/11/2026 sau ngày kết thúc 31/10/2026."),
    (["--from", "2026-10-01"], "Lỗi: Cần --from và --to"),
    (["--from", "2026-10-01", "--to", "2026-10-31", "--department", "Phòng không có"], "Lỗi: Không thấy bộ phận \"Phòng không có\""),
])
def test_motcua_report_refuses_bad_input_in_one_vietnamese_line(db, monkeypatch, capsys, args, message):
    monkeypatch.setenv("MOTCUA_DB", str(db.conn.execute("pragma database_list").fetchone()[2]))
    assert main(["report", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith(message) and captured.err.count("\n") == 1


# periods ------------------------------------------------------------------------------------------------------
TODAY = dt.date(2026, 11, 12)  # a Thursday


@pytest.mark.parametrize("marked, plain, expected", [
    ("tháng này", "thang nay", (dt.date(2026, 11, 1), dt.date(2026, 11, 12), "tháng 11/2026 (đến 12/11)")),
    ("tháng trước", "thang truoc", (dt.date(2026, 10, 1), dt.date(2026, 10, 31), "tháng 10/2026")),
    ("tuần này", "tuan nay", (dt.date(2026, 11, 9), dt.date(2026, 11, 12), "tuần 09/11–15/11/2026 (đến 12/11)")),
    ("tuần trước", "tuan truoc", (dt.date(2026, 11, 2), dt.date(2026, 11, 8), "tuần 02/11–08/11/2026")),
    ("quý 3", "quy 3", (dt.date(2026, 7, 1), dt.date(2026, 9, 30), "quý III/2026")),
    ("Quý III năm 2025", "quy 3 nam 2025", (dt.date(2025, 7, 1), dt.date(2025, 9, 30), "quý III/2025")),
    ("quý này", "quy nay", (dt.date(2026, 10, 1), dt.date(2026, 11, 12), "quý IV/2026 (đến 12/11)")),
    ("6 tháng đầu năm", "6 thang dau nam", (dt.date(2026, 1, 1), dt.date(2026, 6, 30), "6 tháng đầu năm 2026")),
    ("6 tháng cuối năm 2025", "6 thang cuoi nam 2025", (dt.date(2025, 7, 1), dt.date(2025, 12, 31), "6 tháng cuối năm 2025")),
    ("năm nay", "nam nay", (dt.date(2026, 1, 1), dt.date(2026, 11, 12), "năm 2026 (đến 12/11)")),
    ("năm ngoái", "nam truoc", (dt.date(2025, 1, 1), dt.date(2025, 12, 31), "năm 2025")),
    ("từ 1/10 đến 31/10", "tu 1/10 den 31/10", (dt.date(2026, 10, 1), dt.date(2026, 10, 31), "tháng 10/2026")),
    ("từ ngày 5/10/2026 đến ngày 20/10/2026", "5/10 - 20/10", (dt.date(2026, 10, 5), dt.date(2026, 10, 20), "từ 05/10/2026 đến 20/10/2026")),
    ("từ 15/12 đến 15/1", "tu 15/12 den 15/1", (dt.date(2025, 12, 15), dt.date(2026, 1, 15), "từ 15/12/2025 đến 15/01/2026")),
    ("từ 1/11 đến nay", "tu 1/11 den nay", (dt.date(2026, 11, 1), dt.date(2026, 11, 12), "từ 01/11/2026 đến 12/11/2026")),
    ("tháng 10", "thang 10", (dt.date(2026, 10, 1), dt.date(2026, 10, 31), "tháng 10/2026")),
    ("tháng 10/2026", "thang 10 nam 2026", (dt.date(2026, 10, 1), dt.date(2026, 10, 31), "tháng 10/2026")),
    ("tháng 12", "thang 12", (dt.date(2025, 12, 1), dt.date(2025, 12, 31), "tháng 12/2025")),  # the latest December begun
    ("báo cáo tháng trước phòng tư pháp", "bao cao thang trc", (dt.date(2026, 10, 1), dt.date(2026, 10, 31), "tháng 10/2026")),
])
def test_periods_as_a_leader_types_them_with_or_without_marks(marked, plain, expected):
    for text in (marked, plain):
        found = parse_period(text, TODAY)
        assert (found.start, found.end, found.label) == expected, text


@pytest.mark.parametrize("text, message", [
    ("tháng 13", "Không có tháng 13."), ("quý 5", "Không có quý 5"), ("từ 31/2 đến 5/3", "Ngày 31/2/2026 không có thật."),
    ("tháng 12/2026", "Kỳ tháng 12/2026 chưa bắt đầu"),
])
def test_impossible_periods_are_refused_in_vietnamese(text, message):
    with pytest.raises(PeriodError, match=message):
        parse_period(text, TODAY)


def test_no_period_named_is_none():
    assert parse_period("cho tôi xem báo cáo", TODAY) is None and parse_period("", TODAY) is None


@pytest.mark.parametrize("period, previous", [
    (month(2026, 10), (dt.date(2026, 9, 1), dt.date(2026, 9, 30))),
    (month(2026, 3), (dt.date(2026, 2, 1), dt.date(2026, 2, 28))),
    (quarter(2026, 1), (dt.date(2025, 10, 1), dt.date(2025, 12, 31))),
    (half(2026, 2), (dt.date(2026, 1, 1), dt.date(2026, 6, 30))),
    (year(2026), (dt.date(2025, 1, 1), dt.date(2025, 12, 31))),
    (week(dt.date(2026, 11, 12)), (dt.date(2026, 11, 2), dt.date(2026, 11, 8))),
    (month(2026, 11).until(TODAY), (dt.date(2026, 10, 1), dt.date(2026, 10, 12))),  # as many days as this month so far
    (week(TODAY).until(TODAY), (dt.date(2026, 11, 2), dt.date(2026, 11, 5))),
    (between(dt.date(2026, 10, 5), dt.date(2026, 10, 20)), (dt.date(2026, 9, 19), dt.date(2026, 10, 4))),
])
def test_the_previous_period_has_the_same_kind_and_length(period, previous):
    before = period.previous()
    assert (before.start, before.end) == previous
