"""A citizen reaches a person: the hand-off asks consent, relays both ways through the real Telegram channel (PTB
against the Bot API stand-in) and the outbox's sender, and ends cleanly; outside working time the citizen is told
the next opening. The desk runs before the NLU, so these tests need no trained model (the agent is never called)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from telegram import Update
from telegram.ext import TypeHandler

from actions.handoff import ActionHandoff
from bot.catalogue.procedures import load_catalogue
from bot.channels.telegram import TelegramConfig, build_bot, start_telegram, stop_telegram
from bot.channels.telegram_send import TelegramSender
from bot.conversation.engine import Assistant
from bot.delivery.sender import Sender, SenderConfig
from bot.services import Services
from bot.settings import Settings
from bot.workdays import VN_TZ
from tests.standins.telegram_api import TelegramStandIn

pytestmark = pytest.mark.asyncio(loop_scope="function")

WEDNESDAY_10 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=VN_TZ)   # a working day, office open
WEDNESDAY_19 = dt.datetime(2026, 11, 25, 19, 0, tzinfo=VN_TZ)   # evening
FRIDAY_18 = dt.datetime(2026, 11, 27, 18, 0, tzinfo=VN_TZ)      # the weekend follows
CITIZEN, OFFICIAL, OTHER = 5001, 6001, 5002
FAST = SenderConfig(backoff=0.2, max_backoff=1.0, poll=0.2)


class Clock:
    """The moment the assistant believes it is (tests move it)."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def services_at(tmp_path: Path) -> Services:
    services = Services.open(tmp_path / "motcua.db")
    services.catalogue.replace(load_catalogue(Settings.from_env(env={}).catalogue_dir))
    return services


def official(services: Services, chat: int = OFFICIAL, department: str = "Tư pháp - Hộ tịch"):
    account = services.users.seen("telegram", str(chat), "Trần Thị Bình")
    services.users.set_role(account.id, "official", department)
    services.users.set_consent(account.id, True)
    return account


def ask_for_a_person(services: Services, chat: int, at: dt.datetime, procedure: str = "dang-ky-khai-sinh") -> CollectingDispatcher:
    """The citizen said "gặp cán bộ" while talking about ``procedure``: the action as Rasa would run it."""
    services.users.seen("telegram", str(chat), "Nguyễn Thị Lan")
    message = {"text": "cho tôi gặp cán bộ", "intent": {"name": "human_handoff", "confidence": 0.99}, "entities": [], "metadata": {}}
    events = [{"event": "user", "text": message["text"], "timestamp": at.timestamp(), "parse_data": message}]
    tracker = Tracker(f"telegram:{chat}", {"procedure": procedure}, message, events, False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    ActionHandoff(services).run(dispatcher, tracker, {})
    return dispatcher


async def deliver(services: Services, api: TelegramStandIn) -> None:
    """The outbox's sender, drained into the stand-in."""
    async with build_bot(TelegramConfig(token=api.token, api_url=api.base_url)) as bot:
        await Sender(services.outbox, {"telegram": TelegramSender(bot)}, FAST, directory=services.users).run(until_drained=True)


class Chat:
    """The Telegram channel over an assistant whose agent is never reached (the desk takes every message here)."""

    def __init__(self, api: TelegramStandIn, services: Services, clock: Clock) -> None:
        self.api, self.services, self.clock = api, services, clock
        self.finished: set = set()

    async def __aenter__(self) -> "Chat":
        assistant = Assistant(None, Settings.from_env(env={}), self.services, clock=self.clock)
        self.handle = await start_telegram(assistant, self.services,
                                           TelegramConfig(token=self.api.token, api_url=self.api.base_url, poll_timeout=1))

        async def done(update: Update, context) -> None:
            self.finished.add(update.update_id)

        self.handle.application.add_handler(TypeHandler(Update, done), group=100)
        return self

    async def __aexit__(self, *exc) -> None:
        await stop_telegram(self.handle)

    async def say(self, chat: int, text: str) -> list:
        """``chat`` sends ``text``; the texts the bot answered with."""
        before = len(self.api.sent_texts(chat))
        update_id = self.api.push_message(chat, text)
        await self.api.wait_for(lambda: update_id in self.finished, 30, f"the answer to {text!r}")
        return self.api.sent_texts(chat)[before:]


async def test_a_handoff_relays_both_ways_once_each_and_ends_cleanly(tmp_path):
    services, clock = services_at(tmp_path), Clock(WEDNESDAY_10)
    bình = official(services)
    official(services, 6002, "Công an phường")  # another department: never involved
    asked = ask_for_a_person(services, CITIZEN, WEDNESDAY_10)
    (question,) = asked.messages
    assert "cán bộ Tư pháp - Hộ tịch" in question["text"] and "đồng ý" in question["text"]  # consent is asked first
    assert [b["title"] for b in question["buttons"]] == ["Đồng ý", "Không, cảm ơn"]
    assert services.handoffs.open_for_citizen(services.users.find("telegram", str(CITIZEN))) is None

    async with TelegramStandIn() as api, Chat(api, services, clock) as chat:
        (connected,) = await chat.say(CITIZEN, "Đồng ý")
        assert "Em đã kết nối anh/chị với cán bộ Tư pháp - Hộ tịch" in connected and "/ketthuc" in connected
        await deliver(services, api)
        (opened,) = api.sent_texts(OFFICIAL)
        assert "Lan cần gặp cán bộ Tư pháp - Hộ tịch, về thủ tục Đăng ký khai sinh" in opened  # the name Telegram gives

        clock.now += dt.timedelta(minutes=1)
        assert await chat.say(CITIZEN, "Khai sinh cho con có cần bản sao giấy kết hôn không ạ?") == ["✓ Đã chuyển cho cán bộ."]
        await deliver(services, api)
        assert api.sent_texts(OFFICIAL)[-1] == "💬 #1 Lan: Khai sinh cho con có cần bản sao giấy kết hôn không ạ?"

        assert await chat.say(OFFICIAL, "Chào chị, không cần bản sao, chỉ cần xuất trình bản chính.") == [
            "✓ Đã chuyển cho người dân (#1)."]
        await deliver(services, api)
        assert api.sent_texts(CITIZEN)[-1] == "👤 Cán bộ Tư pháp - Hộ tịch: Chào chị, không cần bản sao, chỉ cần xuất trình bản chính."

        (ended,) = await chat.say(OFFICIAL, "/ketthuc")
        assert "Đã kết thúc cuộc hỗ trợ #1" in ended
        await deliver(services, api)
        assert "đã kết thúc cuộc trò chuyện" in api.sent_texts(CITIZEN)[-1]
        await deliver(services, api)  # nothing is sent twice
        # each side: two answers of the bot to its own messages and two notices through the outbox, each once
        assert len(api.sent_texts(OFFICIAL)) == 4 and len(api.sent_texts(CITIZEN)) == 4
        assert len(set(api.sent_texts(OFFICIAL))) == 4 and len(set(api.sent_texts(CITIZEN))) == 4
        assert api.sent_texts(6002) == []

        # after the end nothing is relayed any more; /ketthuc says so instead of reaching the NLU
        assert await chat.say(CITIZEN, "/ketthuc") == ["Hiện anh/chị không có cuộc trò chuyện nào với cán bộ để kết thúc."]
    handoff = services.handoffs.get(1)
    assert handoff.state == "closed" and handoff.official_id == bình.id
    assert [m["sender"] for m in services.handoffs.messages(1)] == ["citizen", "official"]


async def test_outside_working_hours_the_citizen_is_told_the_next_opening(tmp_path):
    services, clock = services_at(tmp_path), Clock(FRIDAY_18)
    official(services)
    asked = ask_for_a_person(services, CITIZEN, FRIDAY_18)
    assert "cán bộ sẽ trả lời từ 07:30 thứ Hai 30/11/2026" in asked.messages[0]["text"]
    async with TelegramStandIn() as api, Chat(api, services, clock) as chat:
        (connected,) = await chat.say(CITIZEN, "đồng ý")
        assert "Hiện ngoài giờ làm việc" in connected and "07:30 thứ Hai 30/11/2026" in connected
        (left,) = await chat.say(CITIZEN, "Tôi cần hỏi về trích lục khai sinh")
        assert left.startswith("✓ Đã chuyển cho cán bộ.") and "07:30 thứ Hai 30/11/2026" in left
    monday = dt.datetime(2026, 11, 30, 7, 30, tzinfo=VN_TZ).timestamp()
    held = [r for r in services.outbox.rows() if r["event"].startswith("handoff:")]
    assert held and all(r["next_attempt_at"] == monday for r in held)  # the official is not disturbed before Monday
    assert services.handoffs.messages(1)[0]["deliver_from"] == "2026-11-30T07:30:00+07:00"


def test_an_evening_request_is_answered_tomorrow_morning(tmp_path):
    services = services_at(tmp_path)
    official(services)
    asked = ask_for_a_person(services, CITIZEN, WEDNESDAY_19)
    assert "07:30 ngày mai (thứ Năm 26/11/2026)" in asked.messages[0]["text"]


def test_consent_refused_or_ignored_hands_nothing_over(tmp_path):
    services = services_at(tmp_path)
    official(services)
    ask_for_a_person(services, CITIZEN, WEDNESDAY_10)
    (no,) = services.desk.handle(f"telegram:{CITIZEN}", "không cần", WEDNESDAY_10)
    assert "em không chuyển" in no.text
    ask_for_a_person(services, CITIZEN, WEDNESDAY_10)
    assert services.desk.handle(f"telegram:{CITIZEN}", "lệ phí khai sinh bao nhiêu", WEDNESDAY_10) is None  # to the NLU
    assert services.desk.handle(f"telegram:{CITIZEN}", "đồng ý", WEDNESDAY_10) is None  # the wait is gone
    assert services.db.execute("select count(*) from handoffs").fetchone()[0] == 0


def test_no_official_of_the_department_means_a_clear_answer(tmp_path):
    services = services_at(tmp_path)
    official(services, department="Công an phường")
    ask_for_a_person(services, CITIZEN, WEDNESDAY_10)
    (reply,) = services.desk.handle(f"telegram:{CITIZEN}", "đồng ý", WEDNESDAY_10)
    assert "Hiện chưa có cán bộ Tư pháp - Hộ tịch nhận tin" in reply.text


def test_an_official_with_two_citizens_says_which_one(tmp_path):
    services = services_at(tmp_path)
    official(services)
    for chat in (CITIZEN, OTHER):
        ask_for_a_person(services, chat, WEDNESDAY_10)
        services.desk.handle(f"telegram:{chat}", "đồng ý", WEDNESDAY_10)
    (which,) = services.desk.handle(f"telegram:{OFFICIAL}", "Chào anh", WEDNESDAY_10)
    assert "đang mở 2 cuộc hỗ trợ" in which.text and "#1" in which.text and "#2" in which.text
    (sent,) = services.desk.handle(f"telegram:{OFFICIAL}", "#2 Chào anh, anh cần gì ạ?", WEDNESDAY_10)
    assert sent.text == "✓ Đã chuyển cho người dân (#2)."
    other = services.users.find("telegram", str(OTHER))
    assert services.outbox.get(other.id, "handoff:2:m:1")["text"] == "👤 Cán bộ Tư pháp - Hộ tịch: Chào anh, anh cần gì ạ?"
    (ended,) = services.desk.handle(f"telegram:{OFFICIAL}", "/ketthuc #1", WEDNESDAY_10)
    assert "#1" in ended.text and services.handoffs.get(1).state == "closed" and services.handoffs.get(2).state == "open"
    # the official's own commands are not relayed
    assert services.desk.handle(f"telegram:{OFFICIAL}", "/ask_report", WEDNESDAY_10) is None


def test_the_web_chat_cannot_carry_an_answer_back_so_it_says_so(tmp_path):
    services = services_at(tmp_path)
    services.users.seen("web", "abc")
    message = {"text": "gặp cán bộ", "intent": {"name": "human_handoff"}, "entities": [], "metadata": {}}
    tracker = Tracker("web:abc", {}, message, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    ActionHandoff(services).run(dispatcher, tracker, {})
    assert "Telegram hoặc Zalo" in dispatcher.messages[0]["text"]
    assert services.reviews.count("handoff_requests") == 1
