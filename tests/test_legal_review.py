"""The legal-basis review (bot/legal/review.py): `motcua legal review`, /ratsoat for officials only, and the weekly
notice of new findings to the officials of the department concerned."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.legal import ActionLegalReview
from bot import cli
from bot.catalogue.procedures import load_catalogue
from bot.delivery.outbox import Outbox
from bot.legal.register import load_register
from bot.legal.review import review
from bot.notifications.jobs import legal_review_weekly
from bot.phrases import REFUSAL
from bot.services import Services
from bot.settings import Settings
from bot.timeutil import VN_TZ

SETTINGS = Settings.from_env(env={})
REGISTER = load_register(SETTINGS.legal_dir / "register.yml")
CATALOGUE = load_catalogue(SETTINGS.catalogue_dir)
CIVIL_STATUS = sorted(p.id for p in CATALOGUE.values() if p.field == "Hộ tịch")


def findings_of(result, procedure_id, document):
    procedure = next((p for p in result["procedures"] if p["id"] == procedure_id), None)
    return [f for f in (procedure or {"findings": []})["findings"] if f["document"] == document]


def test_every_civil_status_procedure_changes_on_1_march_2027():
    before = review(REGISTER, CATALOGUE.values(), dt.date(2026, 11, 28))
    after = review(REGISTER, CATALOGUE.values(), dt.date(2027, 3, 2))
    assert len(CIVIL_STATUS) >= 15
    for pid in CIVIL_STATUS:
        assert findings_of(before, pid, "60/2014/QH13") == [
            {"document": "60/2014/QH13", "status": "changing_soon", "by": "03/2026/QH16", "from": "2027-03-01"}], pid
        assert findings_of(after, pid, "60/2014/QH13") == [
            {"document": "60/2014/QH13", "status": "replaced", "by": "03/2026/QH16", "from": "2027-03-01"}], pid


def test_a_change_further_than_120_days_is_not_yet_coming():
    early = review(REGISTER, CATALOGUE.values(), dt.date(2026, 10, 1))  # 151 days before 1 March 2027
    assert findings_of(early, "dang-ky-khai-sinh", "60/2014/QH13") == []


def test_cli_prints_exactly_the_agreed_json(monkeypatch, capsys):
    assert cli.main(["legal", "review", "--date", "2026-11-28", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"date", "procedures"} and result["date"] == "2026-11-28"
    for procedure in result["procedures"]:
        assert set(procedure) == {"id", "code", "name", "findings"}
        assert procedure["findings"] and all(set(f) == {"document", "status", "by", "from"} for f in procedure["findings"])
        assert {f["status"] for f in procedure["findings"]} <= {"amended", "replaced", "changing_soon", "unknown"}
    assert cli.main(["legal", "review", "--date", "28/11/2026"]) == 2
    assert "Ngày không hợp lệ" in capsys.readouterr().err


@pytest.fixture
def services(tmp_path) -> Services:
    services = Services.open(tmp_path / "motcua.db")
    services.catalogue.replace(CATALOGUE)
    return services


def person(services, chat: str, role: str = "citizen", department=None, consent=True):
    user = services.users.seen("telegram", chat, f"Người {chat}")
    if role != "citizen":
        services.users.set_role(user.id, role, department)
    services.users.set_consent(user.id, consent)
    return services.users.get(user.id)


def ask(services, user, text: str):
    message = {"text": text, "intent": {"name": "ask_legal_review", "confidence": 1.0}, "entities": [],
               "metadata": {"as_of": "2026-11-28"}}
    at = dt.datetime(2026, 11, 28, 9, 0, tzinfo=VN_TZ).timestamp()
    tracker = Tracker(user.conversation_id, {}, message, [{"event": "user", "text": text, "timestamp": at, "parse_data": message}],
                      False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    ActionLegalReview(services).run(dispatcher, tracker, {})
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def test_ratsoat_answers_an_official_with_their_department_and_refuses_a_citizen(services):
    official = person(services, "300", "official", "Tư pháp - Hộ tịch")
    said = ask(services, official, "/ratsoat")
    assert "60/2014/QH13 sắp thay đổi: thay bằng 03/2026/QH16 từ 01/03/2027" in said, said
    assert "Đăng ký thường trú" not in said  # the police's procedures are not this department's
    assert "đã hết hiệu lực" in ask(services, official, "rà soát căn cứ pháp lý ngày 02/03/2027")
    assert ask(services, person(services, "301"), "/ratsoat") == REFUSAL


def test_weekly_notice_goes_once_per_new_set_of_findings_to_the_department(services):
    outbox = Outbox(services.path)
    justice = person(services, "400", "official", "Tư pháp - Hộ tịch")
    police = person(services, "401", "official", "Công an phường")
    person(services, "402", "official", "Tư pháp - Hộ tịch", consent=False)
    monday = dt.datetime(2026, 11, 30, 8, 0, tzinfo=VN_TZ)
    assert legal_review_weekly(services, outbox, monday) == 2
    texts = {r["recipient_id"]: r["text"] for r in services.db.query("select recipient_id, text from outbox")}
    assert set(texts) == {justice.id, police.id}
    # 59 of the department's 157-entry catalogue have findings: the notice lists the first 8 by name, then "… và 51 thủ tục khác"
    assert "Cấp bản sao trích lục hộ tịch" in texts[justice.id] and "03/2026/QH16" in texts[justice.id]
    assert "trú" in texts[police.id] and "khai sinh" not in texts[police.id].lower()
    assert legal_review_weekly(services, outbox, monday + dt.timedelta(days=7)) == 0  # nothing new: nothing sent
    assert legal_review_weekly(services, outbox, dt.datetime(2027, 3, 8, 8, 0, tzinfo=VN_TZ)) == 2  # replaced now: new
