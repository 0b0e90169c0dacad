"""Dossier data (bot/dossiers.py) and the citizen's lookup (actions/dossier.py), run as Rasa would run them.

The actions are run directly with rasa-sdk's CollectingDispatcher and a Tracker built here (the Rasa
financial-demo style), over a real SQLite file loaded from data/.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.dossier import (
    ActionCheckDossier,
    ActionDossierDetails,
    ActionExtractDossierAnswer,
    ValidateDossierForm,
    four_digit_answer,
)
from actions.service import ActionSubscribe
from bot.dossiers.records import MAX_FAILED_ATTEMPTS, OPEN_SQL, DossierError
from bot.intake.spreadsheet_import import import_file
from bot.loader import load_all
from bot.services import Services
from bot.settings import ROOT, Settings
from bot.workdays import VN_TZ
from nlu.dossier_code import find_codes

IN_PROGRESS = "000.00.12.H49-251120-0031"  # demo: Nguyễn Văn An, phone ...0031, ID ...0031, overdue since 21/11/2025
ADDITIONS = "000.00.12.H49-261118-0012"  # demo: Phạm Minh Châu, additions requested
DONE = "000.00.12.H49-261120-0045"  # demo: result ready, digitised


def vn(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=VN_TZ)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> Path:
    """data/ loaded once into a database file."""
    settings = dataclasses.replace(Settings.from_env(env={}), db_path=tmp_path_factory.mktemp("loaded") / "motcua.db")
    load_all(settings)
    return settings.db_path


@pytest.fixture
def store(loaded, tmp_path, monkeypatch) -> Services:
    """A fresh copy of the loaded database, which the actions use too (MOTCUA_DB)."""
    path = tmp_path / "motcua.db"
    with sqlite3.connect(loaded) as source, sqlite3.connect(path) as target:
        source.backup(target)
    monkeypatch.setenv("MOTCUA_DB", str(path))
    return Services.open(path)


def tracker(text: str = "", slots: dict = None, at: dt.datetime = None, entities: list = None, sender: str = "web:test") -> Tracker:
    """A tracker whose latest message is ``text``, sent at ``at`` (default noon, 24/11/2026)."""
    message = {"text": text, "intent": {"name": "check_dossier", "confidence": 0.9}, "entities": entities or [], "metadata": {}}
    events = [{"event": "user", "text": text, "timestamp": (at or vn(2026, 11, 24)).timestamp(), "parse_data": message}]
    return Tracker(sender, slots or {}, message, events, False, None, {}, "action_listen")


def run(action, tr: Tracker):
    """Run an action; returns (the texts it said joined, its events)."""
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tr, {})
    return "\n".join(m.get("text") or "" for m in dispatcher.messages), events


def history_of(store, code: str) -> list:
    """The history rows of one dossier, read as the notifier reads them (``history_since``)."""
    return [h for h in store.dossiers.history_since(0, limit=100000) if h["code"] == code]


def slot_events(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


# -- data ---------------------------------------------------------------------------------------

def test_upsert_twice_changes_nothing_and_adds_no_history(store):
    rows = [{"code": "TEST-000000001", "status": "received", "received_at": "2026-11-02T09:00:00+07:00", "applicant_name": "A"}]
    first = store.dossiers.upsert(rows, "import:a.csv")
    history = len(history_of(store, "TEST-000000001"))
    again = store.dossiers.upsert(rows, "import:b.csv")
    assert (first.inserted, again.inserted, again.updated, again.unchanged, again.status_changes) == (1, 0, 0, 1, 0)
    assert history == 1 and len(history_of(store, "TEST-000000001")) == 1


def test_a_status_change_is_recorded_once_and_other_fields_are_kept(store):
    store.dossiers.upsert([{"code": "TEST-000000002", "status": "received", "applicant_phone": "0120 000 0002"}], "demo")
    counts = store.dossiers.upsert([{"code": "TEST-000000002", "status": "in_progress", "handler": "Cán bộ B"}], "platform")
    assert counts.status_changes == 1
    row = store.dossiers.get("test-000000002")  # codes are found whatever their case
    assert (row["status"], row["handler"], row["applicant_phone"], row["source"]) == ("in_progress", "Cán bộ B", "0120 000 0002", "platform")
    assert [h["status"] for h in history_of(store, "TEST-000000002")] == ["received", "in_progress"]
    cursor = history_of(store, "TEST-000000002")[0]["id"]
    assert [h["status"] for h in store.dossiers.history_since(cursor) if h["code"] == "TEST-000000002"] == ["in_progress"]


def test_due_date_comes_from_the_catalogue_and_the_working_day_calendar(store):
    store.dossiers.upsert([
        # thường trú: 7 working days; Tuesday 24/11/2026 is Ngày Văn hóa Việt Nam, a day off
        {"code": "TEST-000000003", "procedure_id": "dang-ky-thuong-tru", "status": "received", "received_at": "2026-11-18T08:40:00+07:00"},
        # khai sinh: same day, but received after 15:00 on a Friday -> end of Monday
        {"code": "TEST-000000004", "procedure_code": "1.001193", "status": "received", "received_at": "2026-11-20T16:00:00+07:00"},
        # a due day without a time means the end of office hours that day
        {"code": "TEST-000000005", "status": "received", "due_at": "2026-11-26"},
    ], "demo")
    assert store.dossiers.get("TEST-000000003")["due_at"] == "2026-11-30T17:00:00+07:00"
    khai_sinh = store.dossiers.get("TEST-000000004")
    assert khai_sinh["due_at"] == "2026-11-23T17:00:00+07:00" and khai_sinh["procedure_id"] == "dang-ky-khai-sinh"
    assert store.dossiers.get("TEST-000000005")["due_at"] == "2026-11-26T17:00:00+07:00"


def test_overdue_is_derived_from_open_status_and_due_time(store):
    store.dossiers.upsert([
        {"code": "TEST-000000006", "status": "in_progress", "due_at": "2026-11-20T17:00:00+07:00"},
        {"code": "TEST-000000007", "status": "returned", "due_at": "2026-11-19T17:00:00+07:00"},
        {"code": "TEST-000000008", "status": "additions_requested", "due_at": "2026-11-25T17:00:00+07:00"},
    ], "demo")
    now = vn(2026, 11, 24)
    overdue = [r["code"] for r in store.dossiers.overdue(now)]
    assert "TEST-000000006" in overdue and "TEST-000000007" not in overdue and "TEST-000000008" not in overdue
    assert overdue == sorted(overdue, key=lambda c: store.dossiers.get(c)["due_at"])  # longest overdue first
    assert store.dossiers.overdue_count(now) == len(overdue)
    assert [r["code"] for r in store.dossiers.due_between(now, vn(2026, 11, 26))] == ["TEST-000000008"]
    store.dossiers.upsert([{"code": "TEST-000000006", "status": "done"}], "platform")
    assert "TEST-000000006" not in [r["code"] for r in store.dossiers.overdue(now)]
    plan = " ".join(r["detail"] for r in store.db.query(f"explain query plan select * from dossiers where {OPEN_SQL} and due_at < ?", ["x"]))
    assert "dossiers_open_due" in plan  # the overdue scan over a million dossiers reads the partial index only


def test_a_bad_row_names_its_field_and_nothing_of_the_batch_is_written(store):
    before = store.dossiers.count()
    with pytest.raises(DossierError) as error:
        store.dossiers.upsert([{"code": "TEST-000000009", "status": "new"}, {"code": "TEST-000000010", "status": "lost"}], "demo")
    assert error.value.field == "status" and store.dossiers.count() == before


def test_a_database_from_before_keeps_its_dossiers_and_gets_the_new_columns(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table dossiers (code text primary key, procedure_id text, applicant_name text, status text, "
                     "received_at text, due_at text, finished_at text, note text)")
        conn.execute("insert into dossiers values ('OLD-000000001', null, 'Cũ', 'received', null, null, null, 'ghi chú')")
    store = Services.open(path)
    assert store.dossiers.get("OLD-000000001")["applicant_name"] == "Cũ"
    store.dossiers.upsert([{"code": "OLD-000000001", "status": "done", "applicant_phone": "0120 000 0001"}], "demo")
    assert store.dossiers.get("OLD-000000001")["applicant_phone"] == "0120 000 0001"


# -- the citizen's lookup -----------------------------------------------------------------------

def test_masked_lookup_shows_status_step_due_date_and_where_but_no_personal_data(store):
    text, events = run(ActionCheckDossier(store), tracker(slots={"dossier_code": IN_PROGRESS.lower()}))
    assert f"Hồ sơ {IN_PROGRESS}" in text and "Đang giải quyết" in text and "bước 3/5" in text
    assert "21/11/2025" in text and "quá hạn" in text
    assert "N***** V** An" in text and "Nguyễn Văn An" not in text and "Lê Thị Hoa" not in text
    assert "Bộ phận Một cửa" in text and "4 số cuối" in text
    assert slot_events(events)["dossier_pending"] == IN_PROGRESS


def test_result_ready_says_where_to_collect_it(store):
    text, _ = run(ActionCheckDossier(store), tracker(slots={"dossier_code": DONE}))
    assert "Đã có kết quả" in text and "Nhận kết quả tại" in text and "quá hạn" not in text
    assert store.catalogue.ward()["name"] in text and "bản điện tử" in text


def test_verified_lookup_shows_the_details_and_keeps_the_digits_out_of_slots(store):
    extracted = ActionExtractDossierAnswer().run(CollectingDispatcher(), tracker("0031", {"dossier_pending": IN_PROGRESS}), {})
    assert slot_events(extracted) == {"dossier_last4_given": "yes"}
    text, events = run(ActionDossierDetails(store), tracker("0031", {"dossier_pending": IN_PROGRESS, "dossier_last4_given": "yes"}))
    assert "Nguyễn Văn An" in text and "Lê Thị Hoa" in text
    assert slot_events(events) == {"dossier_last4_given": None, "dossier_pending": None}
    assert all("0031" not in str(value) for value in slot_events(extracted + events).values())


def test_another_message_drops_the_pending_lookup(store):
    events = ActionExtractDossierAnswer().run(CollectingDispatcher(), tracker("lệ phí khai sinh bao nhiêu", {"dossier_pending": IN_PROGRESS}), {})
    assert slot_events(events) == {"dossier_pending": None, "dossier_last4_given": None}
    assert four_digit_answer("4 số cuối là 0031 ạ") and not four_digit_answer("0912345678") and not four_digit_answer("năm 2026 và 0031")


def test_additions_requested_shows_the_missing_items_after_verification(store):
    masked, _ = run(ActionCheckDossier(store), tracker(slots={"dossier_code": ADDITIONS}))
    assert "Yêu cầu bổ sung hồ sơ" in masked and "hợp đồng thuê nhà" not in masked
    text, _ = run(ActionDossierDetails(store), tracker("0012", {"dossier_pending": ADDITIONS, "dossier_last4_given": "yes"}))
    assert "Cần bổ sung: Giấy tờ chứng minh chỗ ở hợp pháp (bản sao hợp đồng thuê nhà có công chứng)." in text


def test_wrong_tries_are_limited_per_day_and_survive_a_restart(store, tmp_path):
    details = ActionDossierDetails(store)
    pending = {"dossier_pending": IN_PROGRESS, "dossier_last4_given": "yes"}
    replies = [run(details, tracker("9999", pending))[0] for _ in range(MAX_FAILED_ATTEMPTS)]
    assert "còn 4 lần" in replies[0] and "còn 1 lần" in replies[3]
    assert "Bộ phận Một cửa" in replies[-1] and "Nguyễn Văn An" not in "".join(replies)
    restarted = Services.open(Path(store.path))  # another process or channel reads the same count
    assert restarted.dossiers.attempts_left(IN_PROGRESS, vn(2026, 11, 24)) == 0
    locked, _ = run(details, tracker("0031", pending))  # even the right digits: come to the counter
    assert "Nguyễn Văn An" not in locked and "Bộ phận Một cửa" in locked
    masked, events = run(ActionCheckDossier(store), tracker(slots={"dossier_code": IN_PROGRESS}))
    assert "Đang giải quyết" in masked and slot_events(events)["dossier_pending"] is None
    claimed, _ = run(details, tracker("0031", {**pending}, at=vn(2026, 11, 24, 23, 59)))
    assert "Nguyễn Văn An" not in claimed  # still the same Vietnamese day
    next_day, _ = run(details, tracker("0031", pending, at=vn(2026, 11, 25, 0, 1)))
    assert "Nguyễn Văn An" in next_day


def test_unknown_code_is_reported(store):
    text, events = run(ActionCheckDossier(store), tracker(slots={"dossier_code": "000.00.99.H99-990101-9999"}))
    assert "không tìm thấy" in text and slot_events(events)["dossier_pending"] is None


def test_malformed_code_is_refused_with_an_example():
    dispatcher = CollectingDispatcher()
    result = ValidateDossierForm().validate_dossier_code("12-ab", dispatcher, tracker("12-ab"), {})
    assert result == {"dossier_code": None}
    assert "chưa đúng định dạng" in dispatcher.messages[0]["text"] and "000.00.12.H49-251120-0031" in dispatcher.messages[0]["text"]


def test_subscribing_to_a_dossier_typed_in_another_case_follows_the_code_as_stored(store):
    typed = DONE.lower()  # citizens copy codes by hand: the case is theirs, the subscription must use ours
    assert typed != DONE and [c for c, _, _ in find_codes(f"báo cho tôi khi hồ sơ {typed} có kết quả")] == [typed]
    entities = [{"entity": "dossier_code", "value": typed}]
    text, _ = run(ActionSubscribe(store), tracker(f"báo cho tôi khi hồ sơ {typed} có kết quả", entities=entities, sender="web:sub"))
    assert DONE in text
    assert store.subscriptions.topics("web:sub") == [f"dossier:{DONE}"]


def test_every_code_of_the_sample_exports_is_taken_whole_from_a_sentence(store):
    report = import_file(store, ROOT / "data" / "samples" / "ho_so_mau_utf8.csv")
    codes = [row["code"] for row in store.dossiers.db.query("select code from dossiers where source like 'import:%'")]
    assert report.counts.inserted + report.counts.updated + report.counts.unchanged >= 5 and len(codes) >= 5
    for code in codes:
        assert [c for c, _, _ in find_codes(f"báo cho tôi khi hồ sơ {code} có kết quả")] == [code]


def test_subscribing_to_an_unknown_dossier_says_so_and_subscribes_nothing(store):
    entities = [{"entity": "dossier_code", "value": "000.00.12.H49-991231-9999"}]
    text, _ = run(ActionSubscribe(store), tracker("theo dõi hồ sơ 000.00.12.H49-991231-9999", entities=entities, sender="web:nosub"))
    assert "chưa tìm thấy" in text and store.subscriptions.topics("web:nosub") == []


def test_report_columns_are_kept_checked_and_the_field_comes_from_the_catalogue(store):
    store.dossiers.upsert([{"code": "TEST-000000021", "status": "received", "procedure_id": "dang-ky-khai-tu",
                            "submission_channel": "post", "dossier_digitised": "có", "supplement_requests": "2"},
                           {"code": "TEST-000000022", "status": "received", "submission_channel": "online",
                            "online_level": "partial", "field": "Chứng thực"}], "demo")
    by_post, online = store.dossiers.get("TEST-000000021"), store.dossiers.get("TEST-000000022")
    assert (by_post["submission_channel"], by_post["dossier_digitised"], by_post["supplement_requests"]) == ("post", 1, 2)
    assert by_post["field"] == "Hộ tịch"  # the catalogue's field for đăng ký khai tử
    assert (online["online_level"], online["field"]) == ("partial", "Chứng thực")
    for column, bad in (("online_level", "half"), ("supplement_requests", "-1"), ("submission_channel", "fax")):
        with pytest.raises(DossierError) as error:
            store.dossiers.upsert([{"code": "TEST-000000023", "status": "received", column: bad}], "demo")
        assert error.value.field == column
