"""The officials' desk in the chat (actions/officials_desk.py): /baocao, /chiso and /nhiemvu answer an official
from real dossiers and tasks in a SQLite file, with the chart (and the sheet) attached, scoped to the official's
department; a citizen gets the refusal and nothing else. Run as Rasa runs actions (CollectingDispatcher, Tracker)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.officials_desk import ActionIndicators, ActionReport, ActionTasks
from bot.catalogue.procedures import load_catalogue
from bot.phrases import REFUSAL
from bot.services import Services
from bot.settings import Settings
from bot.timeutil import VN_TZ

NOW = dt.datetime(2026, 11, 10, 9, 0, tzinfo=VN_TZ)
TUPHAP, DIACHINH = "Tư pháp - Hộ tịch", "Địa chính - Xây dựng"


def at(month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=VN_TZ)


@pytest.fixture
def services(tmp_path) -> Services:
    services = Services.open(tmp_path / "motcua.db")
    services.catalogue.replace(load_catalogue(Settings.from_env(env={}).catalogue_dir))
    rows = [  # October: 3 dossiers at Tư pháp (one late), 2 at Địa chính (one still open and overdue)
        {"code": "T1", "department": TUPHAP, "received_at": at(10, 1), "due_at": at(10, 3, 17), "finished_at": at(10, 2), "status": "done"},
        {"code": "T2", "department": TUPHAP, "received_at": at(10, 5), "due_at": at(10, 6, 17), "finished_at": at(10, 9), "status": "done",
         "submission_channel": "online", "online_level": "full"},
        {"code": "T3", "department": TUPHAP, "received_at": at(10, 7), "due_at": at(10, 9, 17), "finished_at": at(10, 9), "status": "done"},
        {"code": "D1", "department": DIACHINH, "received_at": at(10, 2), "due_at": at(10, 20, 17), "status": "in_progress", "handler": "Ông Bình"},
        {"code": "D2", "department": DIACHINH, "received_at": at(10, 3), "due_at": at(10, 25, 17), "finished_at": at(10, 20), "status": "done",
         "submission_channel": "post"},
    ]
    services.dossiers.upsert(rows, "demo", now=NOW)
    return services


def person(services: Services, cuid: str, role: str = "citizen", department=None):
    user = services.users.seen("telegram", cuid, f"Người {cuid}")
    if role != "citizen":
        services.users.set_role(user.id, role, department)
    return services.users.get(user.id)


def ask(action, user, text: str, entities=None):
    """Run ``action`` for ``user``'s message; returns (text said, attachments handed to the engine)."""
    message = {"text": text, "intent": {"name": "ask_report", "confidence": 1.0}, "entities": entities or [], "metadata": {}}
    events = [{"event": "user", "text": text, "timestamp": NOW.timestamp(), "parse_data": message}]
    tracker = Tracker(user.conversation_id, {}, message, events, False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    action.run(dispatcher, tracker, {})
    said = "\n".join(m.get("text") or "" for m in dispatcher.messages)
    files = [action.services.files.take(m["custom"]["file"]) for m in dispatcher.messages if (m.get("custom") or {}).get("file")]
    return said, files, dispatcher.messages


def test_a_leader_gets_last_months_report_with_the_chart_and_the_worst_department(services):
    leader = person(services, "100", "leader")
    said, files, _ = ask(ActionReport(services), leader, "báo cáo tháng trước")
    assert "10/2026" in said and "5" in said, said                 # October, five dossiers received
    assert "Địa chính" in said, said                                # the department with the overdue dossier is named
    assert [f.kind for f in files] == ["photo"] and files[0].content[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_official_sees_only_their_department_and_the_excel_on_request(services):
    official = person(services, "200", "official", TUPHAP)
    said, files, messages = ask(ActionReport(services), official, "bao cao thang truoc file excel")
    assert "Địa chính" not in said and "Ông Bình" not in said, said
    sheet = openpyxl.load_workbook(io.BytesIO(files[1].content)).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert files[1].filename.endswith(".xlsx") and 3 in values     # the three Tư pháp dossiers, not five
    assert 5 not in [v for v in values if isinstance(v, int)]


def test_the_excel_button_asks_the_same_period_again(services):
    leader = person(services, "101", "leader")
    _, _, messages = ask(ActionReport(services), leader, "báo cáo tháng 10")
    button = messages[0]["buttons"][0]
    assert button["payload"].startswith("/ask_report") and "excel" in button["payload"]
    request = button["payload"].split("\"officials_request\": \"")[1].rstrip("\"}")
    _, files, _ = ask(ActionReport(services), leader, button["payload"], entities=[{"entity": "officials_request", "value": request}])
    assert [f.filename[-4:] for f in files] == [".png", "xlsx"]


@pytest.mark.parametrize("action_class, text, example", [(ActionReport, "báo cáo năm 2030", "báo cáo tháng trước"),
                                                         (ActionIndicators, "chỉ số tháng 13", "chỉ số tháng trước")])
def test_a_period_that_has_not_begun_or_does_not_exist_gets_a_clear_answer(services, action_class, text, example):
    said, files, _ = ask(action_class(services), person(services, "102", "leader"), text)
    assert files == [] and f"Ví dụ: \"{example}\"" in said, said


@pytest.mark.parametrize("action_class, text", [(ActionReport, "báo cáo tháng trước"), (ActionIndicators, "chỉ số tháng trước"),
                                                (ActionTasks, "nhiệm vụ quá hạn")])
def test_a_citizen_gets_the_refusal_and_no_figure_or_file(services, action_class, text):
    said, files, _ = ask(action_class(services), person(services, "300"), text)
    assert said == REFUSAL and files == []


def test_indicators_answer_with_the_on_time_rate_and_the_trend_chart(services):
    said, files, _ = ask(ActionIndicators(services), person(services, "103", "leader"), "chỉ số 766 tháng 10")
    assert "2.1" in said and "3.3" in said, said
    assert files and files[0].kind == "photo"


def test_tasks_list_the_units_tasks_and_the_lead_unit_updates_progress(services, tmp_path):
    sheet = tmp_path / "nhiem_vu.yml"
    sheet.write_text(
        "- nhiem_vu: Số hóa sổ hộ tịch\n  don_vi_chu_tri: Tư pháp - Hộ tịch\n  thoi_han: 2026-11-05\n  tien_do: 40\n"
        "- nhiem_vu: Cập nhật bản đồ địa chính\n  don_vi_chu_tri: Địa chính - Xây dựng\n  thoi_han: 2026-12-31\n",
        encoding="utf-8")
    services.tasks.import_file(sheet, now=NOW)
    official = person(services, "201", "official", TUPHAP)
    said, _, _ = ask(ActionTasks(services), official, "nhiệm vụ quá hạn")
    assert "Số hóa sổ hộ tịch" in said and "bản đồ" not in said, said
    task_id = services.tasks.list(TUPHAP)[0][0].id
    said, _, _ = ask(ActionTasks(services), official, f"/nhiemvu {task_id} 100% Đã xong")
    assert "hoàn thành" in said and services.tasks.get(task_id).status == "done", said
    other = person(services, "202", "official", DIACHINH)
    said, _, _ = ask(ActionTasks(services), other, f"/nhiemvu {task_id} 10%")
    assert "Chỉ cán bộ của đơn vị chủ trì" in said and services.tasks.get(task_id).progress == 100
