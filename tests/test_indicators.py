"""Decision 766's service indicators on a hand-counted October, the CLI, the chart, and the leaders' Monday message."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.catalogue.procedures import load_catalogue
from bot.cli import main
from bot.delivery.outbox import Outbox
from bot.notifications.jobs import leader_weekly, weekly_period
from bot.officials.indicators import NO_DATA, Ratings, compute, fee_class, indicators_text, monthly_trend, trend_png
from bot.services import Services
from bot.settings import Settings
from bot.workdays import VN_TZ

OCTOBER = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
CHARGED = "chung-thuc-ban-sao-tu-ban-chinh"         # 2.000 đồng/trang
FREE = "dang-ky-ket-hon"                            # every rule 0
PROVINCE = "cap-giay-phep-xay-dung-nha-o-rieng-le"  # amount set by the provincial People's Council
UNKNOWN = "tam-ngung-kinh-doanh-ho-kinh-doanh"      # "Chưa xác nhận có thu lệ phí hay không."


def at(month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=VN_TZ)


def d(code, procedure, received, due, finished=None, status="done", channel="in_person", paid=0, result=0, digitised=0,
      supplements=0):
    return {"code": code, "procedure_id": procedure, "status": status, "received_at": received, "due_at": due,
            "finished_at": finished, "submission_channel": channel, "paid_online": paid, "result_digitised": result,
            "dossier_digitised": digitised, "supplement_requests": supplements, "department": "Tư pháp"}


# Hand-counted October 2026 (see each line):
DOSSIERS = [
    # resolved in October
    d("D1", CHARGED, at(10, 1), at(10, 5, 17), at(10, 3), channel="online", paid=1, result=1, digitised=1),   # early
    d("D2", CHARGED, at(10, 2), at(10, 6, 17), at(10, 6), result=1),                                          # on the due day
    d("D3", FREE, at(10, 5), at(10, 8, 17), at(10, 9), status="returned", channel="online", digitised=1),     # late
    d("D4", PROVINCE, at(10, 6), at(10, 20, 17), at(10, 10), channel="post", result=1, digitised=1, supplements=2),  # late: 2 supplements
    d("D5", UNKNOWN, at(10, 7), at(10, 12, 17), at(10, 11), status="stopped", channel="online", paid=1),      # stopped early
    d("D9", FREE, at(9, 25), at(10, 2, 17), at(10, 2), result=1, digitised=1),                                 # received in Sept, on time
    # open when October ended
    d("D6", CHARGED, at(10, 20), at(10, 31, 17), status="in_progress", channel="online", paid=1),             # due 31/10 17:00, open at midnight: late
    d("D7", CHARGED, at(10, 15), at(10, 25, 17), status="additions_requested", supplements=1),                # late
    d("D8", PROVINCE, at(10, 28), at(11, 3, 17), at(11, 2), channel="online", paid=1, result=1, digitised=1), # done in Nov, on time
    d("D10", FREE, at(9, 28), at(10, 1, 17), at(11, 5)),                                                       # done in Nov, late
    # never counted in 2.1
    d("D11", FREE, at(10, 10), at(10, 12, 17), status="not_received", channel="online"),                      # refused at the desk
    d("D12", FREE, at(10, 12), at(10, 14, 17), at(10, 13), status="withdrawn"),                              # received, withdrawn
    d("D13", FREE, at(8, 1), at(8, 5, 17), at(9, 15)),                                                         # all before October
    d("D14", CHARGED, at(11, 1), at(11, 5, 17), status="received", channel="online"),                        # after October
]


@pytest.fixture
def store(tmp_path) -> Services:
    services = Services.open(tmp_path / "motcua.db")
    services.catalogue.replace(load_catalogue(Settings.from_env(env={}).catalogue_dir))
    return services


@pytest.fixture
def october(store) -> Services:
    store.dossiers.upsert(DOSSIERS, source="demo", now=at(11, 6))
    return store


def test_fee_bearing_procedures_are_decided_from_the_catalogue_fee_facts(store):
    day = OCTOBER[1]
    assert [fee_class(store.catalogue.procedure(p), day) for p in (CHARGED, FREE, PROVINCE, UNKNOWN)] == \
        ["charged", "free", "province", "unknown"]


def test_each_indicator_matches_the_hand_count(october):
    report = compute(october.db, october.catalogue, *OCTOBER)
    figures = {i.spec.code: (i.numerator, i.denominator) for i in report.indicators}
    assert figures["2.1"] == (5, 10)    # 6 resolved + 4 open at the end; late: D3, D4, D6, D7, D10
    assert figures["3.3"] == (5, 9)     # received D1-D8, D12; online D1, D3, D5, D6, D8
    assert figures["3.6"] == (3, 6)     # fee-bearing D1, D2, D6, D7 (charged), D4, D8 (province); paid online D1, D6, D8
    assert figures["4.1"] == (4, 5)     # with a result D1, D2, D3, D4, D9; electronic: all but D3
    assert figures["4.2"] == (3, 5)     # dossier and result digitised: D1, D4, D9
    assert figures["5.4"] == (None, None)
    assert report.counts["resolved_early"] == 2 and report.counts["resolved_late"] == 2 and report.counts["open_late"] == 3
    assert report.counts["fee_unknown"] == 1   # D5: its procedure is not known to charge or not


def test_points_only_where_threshold_and_maximum_are_known_and_gaps_to_the_2026_targets(october):
    report = compute(october.db, october.catalogue, *OCTOBER)
    on_time, online, payment, digitised = (report.get(c) for c in ("2.1", "3.3", "3.6", "4.2"))
    assert on_time.points is None and on_time.spec.max_points == 20       # the threshold is not confirmed
    assert online.share_of_max == 1.0 and online.points is None           # 55.6 % ≥ 50 %; its maximum is not confirmed
    assert digitised.share_of_max == pytest.approx(0.6 / 0.8)             # proportional below 80 %
    assert online.gap == pytest.approx(0.8 - 5 / 9)
    assert payment.gap == pytest.approx(0.1)
    assert digitised.gap == pytest.approx(0.3)
    assert on_time.gap is None                                             # no 2026 target for 2.1


def test_satisfaction_says_no_data_until_citizens_rate(october):
    report = compute(october.db, october.catalogue, *OCTOBER)
    text = indicators_text(report)
    assert f"5.4 Hài lòng về giải quyết hồ sơ: {NO_DATA}" in text
    assert report.get("5.4").as_dict()["note"] == NO_DATA
    rated = compute(october.db, october.catalogue, *OCTOBER, ratings=Ratings(complained_or_unsatisfied=1))
    assert (rated.get("5.4").numerator, rated.get("5.4").denominator) == (4, 10)   # 100 % − (5 late + 1 complaint)/10


def test_the_text_an_official_reads(october):
    text = indicators_text(compute(october.db, october.catalogue, *OCTOBER))
    assert "01/10/2026 – 31/10/2026" in text
    assert "2.1 Giải quyết đúng hạn: 50,0% (5/10)" in text
    assert "3.3 Hồ sơ trực tuyến: 55,6% (5/9)" in text
    assert "Mục tiêu 2026: 80,0% – còn thiếu 24,4%" in text
    assert "điểm chưa xác nhận" in text.lower()
    assert len(text) < 2000


def test_an_empty_period_says_so(store):
    text = indicators_text(compute(store.db, store.catalogue, dt.date(2020, 1, 1), dt.date(2020, 1, 31)))
    assert "2.1 Giải quyết đúng hạn: không có hồ sơ trong kỳ" in text


def test_monthly_trend_and_chart(october):
    trend = monthly_trend(october.db, october.catalogue, dt.date(2026, 11, 10), months=3)
    assert [r.start for r in trend] == [dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)]
    assert trend[-1].end == dt.date(2026, 11, 10)
    assert trend[1].get("2.1").numerator == 5
    png = trend_png(trend)
    assert png.startswith(b"\x89PNG") and len(png) > 5000


def test_cli_prints_json_and_writes_the_chart(october, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("MOTCUA_DB", str(october.path))
    chart = tmp_path / "chiso.png"
    assert main(["indicators", "--from", "2026-10-01", "--to", "2026-10-31", "--json", "--chart", str(chart)]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = {row["code"]: row for row in data["indicators"]}
    assert rows["3.6"]["rate"] == 0.5 and rows["3.6"]["target"] == 0.6
    assert rows["5.4"]["note"] == NO_DATA and rows["2.1"]["points_confirmed"] is False
    assert "QĐ 766" in rows["2.1"]["source"]
    assert chart.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("args", [["--from", "2026-13-01", "--to", "2026-10-31"], ["--from", "2026-10-31", "--to", "2026-10-01"]])
def test_cli_refuses_bad_dates_in_vietnamese(october, monkeypatch, capsys, args):
    monkeypatch.setenv("MOTCUA_DB", str(october.path))
    try:
        code = main(["indicators", *args])
    except SystemExit as stop:
        code = stop.code
    assert code == 2
    err = capsys.readouterr().err
    assert "ngày không hợp lệ" in err or "--to phải sau" in err
    assert "Traceback" not in err


# the leaders' Monday message ----------------------------------------------------------------------------------------------
MONDAY = dt.datetime(2026, 11, 2, 8, 0, tzinfo=VN_TZ)


def leader(store: Services, chat: int, consent: bool = True):
    account = store.users.seen("telegram", str(chat), f"Lãnh đạo {chat}")
    store.db.execute("update users set role = 'leader' where id = ?", [account.id])  # the roles helper adds the role
    store.users.set_consent(account.id, consent)
    return account


def test_weekly_period_covers_at_least_a_week_from_a_months_first_day():
    assert weekly_period(dt.date(2026, 11, 2)) == (dt.date(2026, 10, 1), dt.date(2026, 11, 1))
    assert weekly_period(dt.date(2026, 11, 16)) == (dt.date(2026, 11, 1), dt.date(2026, 11, 15))


def test_the_monday_job_writes_one_row_per_leader_and_a_second_run_none(october):
    outbox = Outbox(october.path)
    first, second = leader(october, 901), leader(october, 902)
    leader(october, 903, consent=False)
    official = october.users.seen("telegram", "904", "Cán bộ")
    october.users.set_role(official.id, "official", "Tư pháp")
    october.users.set_consent(official.id, True)
    assert leader_weekly(october, outbox, MONDAY, report_summary=lambda s, a, b: f"Báo cáo {a:%d/%m}–{b:%d/%m}: 12 hồ sơ") == 2
    assert leader_weekly(october, outbox, MONDAY.replace(hour=9)) == 0           # a rerun (or a restart) sends nothing new
    reopened = Services.open(october.path)
    assert leader_weekly(reopened, Outbox(october.path), MONDAY) == 0
    rows = outbox.rows()
    assert sorted(r["recipient_id"] for r in rows) == [first.id, second.id]
    assert all(r["event"] == f"weekly:2026-11-02:{r['recipient_id']}" for r in rows)
    text = rows[0]["text"]
    assert "Chỉ số phục vụ" in text and "2.1 Giải quyết đúng hạn" in text and "Báo cáo 01/10–01/11: 12 hồ sơ" in text


def test_the_monday_message_opens_with_the_execution_reports_summary(october):
    from bot.officials.periods import between
    from bot.officials.report_command import leader_report

    leader(october, 905)
    assert leader_weekly(october, Outbox(october.path), MONDAY) == 1
    text = Outbox(october.path).rows()[0]["text"]
    report = leader_report(october.db, between(*weekly_period(MONDAY.date())), chart=False).text
    assert text.startswith(report.splitlines()[0]) and report.splitlines()[1] in text, text


def test_proportional_points_below_the_threshold_when_both_facts_are_known():
    from bot.officials.indicators import Indicator, IndicatorReport, Spec

    spec = Spec("9.9", "Thử", "a ÷ b", "Nhóm thử", 22, threshold=0.5, max_points=10)
    below, above = Indicator(spec, 3, 10), Indicator(spec, 8, 10)
    assert below.points == pytest.approx(6.0) and above.points == 10     # 30 % × 10 ÷ 50 %; capped at the maximum
    text = indicators_text(IndicatorReport(dt.date(2026, 10, 1), dt.date(2026, 10, 31), [below]))
    assert "6,0/10 điểm (đủ điểm từ 50,0%)" in text


def test_what_the_chat_command_answers(october):
    from bot.officials.indicators import chat_indicators

    text, png = chat_indicators(october.db, october.catalogue, dt.date(2026, 11, 1))   # on the 1st: the month before
    assert "01/10/2026 – 31/10/2026" in text and "2.1 Giải quyết đúng hạn: 50,0% (5/10)" in text
    assert png.startswith(b"\x89PNG")
