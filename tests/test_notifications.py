"""What officials and citizens are told: the digest (through the Telegram stand-in), overdue alerts, status notices, tips."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot.channels.telegram import TelegramConfig, build_bot
from bot.channels.telegram_send import TelegramSender
from bot.delivery.outbox import Outbox
from bot.delivery.sender import Sender, SenderConfig
from bot.loader import load_all
from bot.notifications.jobs import daily_digests, eid_tips, overdue_alerts, status_notices
from bot.services import Services
from bot.workdays import VN_TZ
from tests.standins.telegram_api import TelegramStandIn

# Wednesday 25 Nov 2026 07:30; the next working day is Thursday 26 Nov. Tuesday 24 Nov is a day off
# (Ngày Văn hóa Việt Nam in data/calendar/vn_days_off.yml), so it is not counted in the days overdue.
MORNING = dt.datetime(2026, 11, 25, 7, 30, tzinfo=VN_TZ)
FAST = SenderConfig(backoff=0.2, max_backoff=1.0, poll=0.2)


@pytest.fixture
def store(settings, tmp_path) -> Services:
    """A fresh database with the catalogue loaded."""
    configured = dataclasses.replace(settings, db_path=tmp_path / "motcua.db")
    load_all(configured)
    return Services.open(configured.db_path)


def official(store: Services, chat: int, department: str, consent: bool = True):
    account = store.users.seen("telegram", str(chat), f"Cán bộ {chat}")
    store.users.set_role(account.id, "official", department)
    store.users.set_consent(account.id, consent)
    return account


def events_for(outbox: Outbox, recipient_id: int, prefix: str) -> list:
    """Events starting with ``prefix`` in the outbox for ``recipient_id``, in any state."""
    return [r["event"] for r in outbox.rows() if r["recipient_id"] == recipient_id and r["event"].startswith(prefix)]


def citizen(store: Services, chat: int):
    account = store.users.seen("telegram", str(chat), "Nguyễn Văn An")
    store.users.set_consent(account.id, True)
    return account


def dossier(code: str, due: dt.datetime, department: str = "Tư pháp", handler: str = "Trần Thị Bình", status: str = "in_progress"):
    return {"code": code, "status": status, "procedure_id": "dang-ky-khai-sinh", "applicant_name": "Nguyễn Văn An",
            "applicant_phone": "0912345678", "received_at": MORNING - dt.timedelta(days=10), "due_at": due,
            "department": department, "handler": handler}


async def deliver(outbox: Outbox, api: TelegramStandIn) -> None:
    bot = build_bot(TelegramConfig(token=api.token, api_url=api.base_url))
    async with bot:
        await Sender(outbox, {"telegram": TelegramSender(bot)}, FAST, directory=Services.open(outbox.path).users).run(until_drained=True)


async def test_the_daily_digest_reaches_the_official_through_telegram(store):
    outbox = Outbox(store.path)
    tu_phap = official(store, 111, "Tư pháp")
    official(store, 112, "Địa chính")
    official(store, 113, "Tư pháp", consent=False)
    store.dossiers.upsert([
        dossier("TP-001", MORNING - dt.timedelta(days=6)),
        dossier("TP-002", MORNING - dt.timedelta(days=1), handler="Lê Văn Cường"),
        dossier("TP-003", MORNING.replace(hour=16)),
        dossier("TP-004", MORNING.replace(hour=16) + dt.timedelta(days=1)),
        dossier("TP-005", MORNING.replace(hour=16) + dt.timedelta(days=3)),   # later: not in the digest
        dossier("TP-006", MORNING - dt.timedelta(days=3), status="done"),       # closed: not in the digest
        dossier("DC-001", MORNING - dt.timedelta(days=2), department="Địa chính"),
    ], source="demo", now=MORNING - dt.timedelta(days=10))
    assert daily_digests(store, outbox, MORNING) == 2
    assert daily_digests(store, outbox, MORNING + dt.timedelta(hours=2)) == 0  # the same day again: nothing new
    async with TelegramStandIn() as api:
        await deliver(outbox, api)
        (text,) = api.sent_texts(111)
        (other,) = api.sent_texts(112)
        assert api.sent_texts(113) == []  # no consent, no digest
    assert "Tư pháp" in text and "thứ Tư 25/11/2026" in text
    assert "Quá hạn: 2 · Đến hạn hôm nay: 1 · Đến hạn thứ Năm 26/11: 1" in text
    assert "• Trần Thị Bình: 1 – TP-001 (quá 3 ngày làm việc)" in text
    assert "• Lê Văn Cường: 1 – TP-002 (quá 1 ngày làm việc)" in text
    assert "TP-005" not in text and "TP-006" not in text and "DC-001" not in text
    assert "DC-001" in other and "TP-" not in other
    assert outbox.get(tu_phap.id, "digest:2026-11-25:%d" % tu_phap.id)["state"] == "delivered"


def test_no_digest_on_a_day_off(store):
    outbox = Outbox(store.path)
    official(store, 111, "Tư pháp")
    assert daily_digests(store, outbox, dt.datetime(2026, 11, 29, 7, 30, tzinfo=VN_TZ)) == 0  # a Sunday
    assert daily_digests(store, outbox, MORNING - dt.timedelta(days=1)) == 0                  # an official day off


async def test_an_overdue_dossier_is_announced_once_to_its_department(store):
    outbox = Outbox(store.path)
    tu_phap, dia_chinh = official(store, 211, "Tư pháp"), official(store, 212, "Địa chính")
    store.dossiers.upsert([dossier("OLD-1", MORNING - dt.timedelta(days=5))], source="demo", now=MORNING - dt.timedelta(days=10))
    assert overdue_alerts(store, outbox, MORNING) == 0  # first scan: what was already overdue goes to the digest
    store.dossiers.upsert([dossier("NEW-1", MORNING + dt.timedelta(hours=1))], source="demo", now=MORNING)
    assert overdue_alerts(store, outbox, MORNING + dt.timedelta(minutes=30)) == 0  # not yet due
    assert overdue_alerts(store, outbox, MORNING + dt.timedelta(hours=1, minutes=5)) == 1
    assert overdue_alerts(store, outbox, MORNING + dt.timedelta(hours=1, minutes=10)) == 0  # once per dossier
    async with TelegramStandIn() as api:
        await deliver(outbox, api)
        (alert,) = api.sent_texts(211)
        assert api.sent_texts(212) == []
    assert "Hồ sơ quá hạn: NEW-1" in alert and "Trần Thị Bình" in alert and "OLD-1" not in alert
    assert outbox.get(tu_phap.id, "overdue:NEW-1")["state"] == "delivered"
    assert outbox.get(dia_chinh.id, "overdue:NEW-1") is None


async def test_a_subscriber_hears_of_a_status_change_with_personal_data_masked(store):
    outbox = Outbox(store.path)
    lan = citizen(store, 311)
    web_only = store.users.seen("web", "abc", "Khách")  # a web chat visitor cannot be messaged first
    store.dossiers.upsert([dossier("KS-100", MORNING + dt.timedelta(days=2))], source="demo", now=MORNING)
    assert status_notices(store, outbox) == 0  # first run: the cursor starts at the newest change
    store.subscriptions.add("telegram:311", "dossier:ks-100")  # as typed, lower case
    store.subscriptions.add("web:abc", "dossier:KS-100")
    store.dossiers.upsert([{"code": "KS-100", "status": "done"}], source="demo", now=MORNING + dt.timedelta(hours=3))
    assert status_notices(store, outbox) == 1
    assert status_notices(store, outbox) == 0
    async with TelegramStandIn() as api:
        await deliver(outbox, api)
        (text,) = api.sent_texts(311)
    assert "KS-100" in text and "Đã có kết quả" in text and "Đăng ký khai sinh" in text
    assert "N***** V** An" in text
    assert "Nguyễn Văn An" not in text and "0912345678" not in text
    assert events_for(outbox, lan.id, "dossier:KS-100:status:") and events_for(outbox, web_only.id, "dossier:") == []


async def test_tips_subscribers_get_the_e_id_steps_from_the_catalogue_one_a_week(store):
    outbox = Outbox(store.path)
    lan = citizen(store, 411)
    store.subscriptions.add("telegram:411", "tips")
    now = dt.datetime.now(VN_TZ)
    assert eid_tips(store, outbox, now) == 1
    assert eid_tips(store, outbox, now + dt.timedelta(days=1)) == 0  # not before a week has passed
    async with TelegramStandIn() as api:
        await deliver(outbox, api)
        (first,) = api.sent_texts(411)
    assert "định danh điện tử mức 2 (1/4)" in first
    assert "Công an cấp xã" in first and "chờ cán bộ xác nhận" in first and "hủy nhận tin" in first
    assert events_for(outbox, lan.id, "tip:eid:") == ["tip:eid:1"]
    texts = [outbox.get(lan.id, "tip:eid:1")["text"]]
    later = now
    for _ in range(3):
        later += dt.timedelta(days=8)
        # pretend the previous tip was queued a week earlier than it was
        outbox.conn.execute("update outbox set created_at = ? where recipient_id = ?",
                            [(later - dt.timedelta(days=7, seconds=1)).astimezone(dt.timezone.utc).isoformat(), lan.id])
        assert eid_tips(store, outbox, later) == 1
    texts = [outbox.get(lan.id, f"tip:eid:{n}")["text"] for n in (1, 2, 3, 4)]
    assert "TK01" in texts[1]                                       # the form, from documents
    assert "03 ngày làm việc" in texts[2] and "07 ngày" in texts[2]  # processing time and activation
    assert "Không phải thanh toán" in texts[3]                       # the fee line
    assert eid_tips(store, outbox, later + dt.timedelta(days=30)) == 0  # all four sent
