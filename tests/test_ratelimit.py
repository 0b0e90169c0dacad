"""Per-account rate limits (bot/channels/ratelimit.py): the token buckets with a fake clock, and each channel's entry
(web chat, kiosk, Telegram, Zalo) with a stand-in assistant: a flood is told once to slow down and never reaches the
assistant, while another account is answered as usual. No model needed."""

from __future__ import annotations

import itertools
import random

import httpx
import pytest

from bot.channels import kiosk, webchat
from bot.channels.ratelimit import SLOW_DOWN, Limit, RateConfig, RateLimiter, slow_down
from bot.channels.telegram import start_telegram, stop_telegram
from bot.channels.zalo import ZaloChannel, attach_webhook
from bot.services import Services
from tests.standins.assistant import NOT_UNDERSTOOD, StandInAssistant
from tests.standins.telegram_api import TelegramStandIn
from tests.standins.zalo_api import ZaloStandIn
from tests.test_telegram import config_for

pytestmark = pytest.mark.asyncio(loop_scope="session")

SLOW_WORDS = SLOW_DOWN.split("{")[0]  # "Anh/chị gửi tin nhanh quá, ..."


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def limiter(per_minute: float = 6, burst: int = 2, ip_per_minute: float = 0, ip_burst: int = 0, clock=None) -> RateLimiter:
    return RateLimiter(RateConfig(Limit(per_minute, burst), Limit(ip_per_minute, ip_burst)), clock=clock or FakeClock())


# the buckets ---------------------------------------------------------------------------------------------------
def test_a_burst_passes_then_one_message_per_interval():
    clock = FakeClock()
    limits = limiter(per_minute=6, burst=3, clock=clock)  # one message every 10 s after three at once
    assert [limits.check("telegram:1").allowed for _ in range(3)] == [True, True, True]
    refused = limits.check("telegram:1")
    assert not refused.allowed and refused.wait == pytest.approx(10.0) and refused.notify
    clock.advance(9.9)
    assert not limits.check("telegram:1").allowed
    clock.advance(0.2)
    assert limits.check("telegram:1").allowed
    clock.advance(3600)  # a long pause refills to the burst, not beyond
    assert [limits.check("telegram:1").allowed for _ in range(4)] == [True, True, True, False]


def test_the_account_is_told_once_per_flood():
    clock = FakeClock()
    limits = limiter(per_minute=6, burst=1, clock=clock)
    assert limits.check("zalo:9").allowed
    told = [limits.check("zalo:9").notify for _ in range(5)]
    assert told == [True, False, False, False, False]
    clock.advance(10)
    assert limits.check("zalo:9").allowed  # a message got through: the next flood is told again
    assert limits.check("zalo:9").notify


def test_one_flood_does_not_touch_another_account():
    limits = limiter(per_minute=1, burst=2)
    for _ in range(50):
        limits.check("web:flood")
    assert [limits.check("web:quiet").allowed for _ in range(2)] == [True, True]


def test_the_address_bucket_counts_every_id_of_an_address_but_not_loopback():
    clock = FakeClock()
    limits = limiter(per_minute=60, burst=5, ip_per_minute=6, ip_burst=3, clock=clock)
    verdicts = [limits.check(f"web:rotating-{i}", "203.0.113.7").allowed for i in range(5)]
    assert verdicts == [True, True, True, False, False]  # new ids each time: the address still runs dry
    assert limits.check("web:other", "203.0.113.8").allowed
    assert all(limits.check(f"web:local-{i}", "127.0.0.1").allowed for i in range(20))
    assert all(limits.check(f"web:local6-{i}", "::1").allowed for i in range(20))


def test_a_message_refused_by_its_address_keeps_its_accounts_allowance():
    clock = FakeClock()
    limits = limiter(per_minute=6, burst=1, ip_per_minute=6, ip_burst=1, clock=clock)
    assert limits.check("web:a", "198.51.100.1").allowed  # uses the address's only token
    assert not limits.check("web:b", "198.51.100.1").allowed  # refused by the address...
    assert limits.check("web:b", "198.51.100.2").allowed  # ...so b's own token is still there


def test_old_buckets_are_forgotten_beyond_the_cap():
    limits = RateLimiter(RateConfig(Limit(6, 1), Limit(0, 0)), clock=FakeClock(), max_keys=100)
    for i in range(1000):
        limits.check(f"telegram:{i}")
    assert len(limits._buckets) == 100


def test_the_limits_come_from_the_settings_and_a_bad_value_is_refused_in_vietnamese():
    config = RateConfig.from_settings({"MOTCUA_RATE_PER_MINUTE": "12", "MOTCUA_RATE_BURST": "4", "MOTCUA_RATE_IP_PER_MINUTE": "0"})
    assert config.account == Limit(12, 4) and not config.address.on
    assert RateConfig.from_settings({}) == RateConfig()
    off = RateLimiter(RateConfig.from_settings({"MOTCUA_RATE_PER_MINUTE": "0", "MOTCUA_RATE_IP_PER_MINUTE": "0"}))
    assert all(off.check("web:x", "203.0.113.1").allowed for _ in range(500))
    for bad in ("nhiều", "-1", "nan"):
        with pytest.raises(ValueError, match="MOTCUA_RATE_PER_MINUTE phải là"):
            RateConfig.from_settings({"MOTCUA_RATE_PER_MINUTE": bad})


def test_the_words_say_how_long_to_wait_in_whole_seconds():
    assert slow_down(0.2) == SLOW_DOWN.format(seconds=1)
    assert "đợi khoảng 10 giây" in slow_down(9.01)


# the web chat and the kiosk -----------------------------------------------------------------------------------
@pytest.fixture
async def web(tmp_path):
    assistant, limits = StandInAssistant(), limiter(per_minute=6, burst=2)
    app = webchat.create_app(assistant, limiter=limits)
    kiosk.mount(app, assistant, Services.open(tmp_path / "kiosk.db"))
    runner = await webchat.serve(app, "127.0.0.1", 0)
    host, port = runner.addresses[0][:2]
    async with httpx.AsyncClient(base_url=f"http://{host}:{port}", timeout=30) as client:
        yield client, assistant
    await webchat.stop(runner)


async def test_a_web_chat_flood_gets_a_clear_429_and_never_reaches_the_assistant(web):
    client, assistant = web
    answers = [await client.post("/api/chat", json={"user": "flood", "text": f"câu {i}"}) for i in range(6)]
    assert [a.status_code for a in answers] == [200, 200, 429, 429, 429, 429]
    refused = answers[2]
    assert SLOW_WORDS in refused.json()["error"] and int(refused.headers["Retry-After"]) >= 1
    assert assistant.users() == ["web:flood", "web:flood"]
    quiet = await client.post("/api/chat", json={"user": "quiet", "text": "xin chào"})
    assert quiet.status_code == 200 and quiet.json()["replies"][0]["text"] == NOT_UNDERSTOOD


async def test_a_kiosk_session_flood_is_refused_and_other_visitors_are_served(web):
    client, assistant = web
    answers = [await client.post("/api/kiosk/ask", json={"session": "s1", "text": "khai sinh"}) for i in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 429, 429]
    assert SLOW_WORDS in answers[-1].json()["error"]
    other = await client.post("/api/kiosk/ask", json={"session": "s2", "text": "khai sinh"})
    assert other.status_code == 200 and other.json()["replies"]
    assert assistant.users() == ["kiosk:s1", "kiosk:s1", "kiosk:s2"]


# Telegram ------------------------------------------------------------------------------------------------------
_chats = itertools.count(random.randint(3 * 10**9, 4 * 10**9))


async def test_a_telegram_flood_is_told_once_and_another_chat_is_answered(tmp_path):
    flood, quiet = next(_chats), next(_chats)
    assistant, limits = StandInAssistant(), limiter(per_minute=6, burst=2)
    store = Services.open(tmp_path / "telegram.db")
    async with TelegramStandIn() as api:
        handle = await start_telegram(assistant, store, config_for(api), limiter=limits)
        try:
            for i in range(8):
                api.push_message(flood, f"câu hỏi số {i}")
            api.push_media(flood, "sticker")
            await api.wait_for_messages(flood, 3)
            api.push_message(quiet, "xin chào")
            await api.wait_for_messages(quiet, 1)
        finally:
            await stop_telegram(handle)
        await api.settled()  # after polling stopped: a long poll in flight never settles (tests/standins/telegram_api.py)
    texts = api.sent_texts(flood)
    assert texts[:2] == [NOT_UNDERSTOOD, NOT_UNDERSTOOD] and len(texts) == 3
    assert SLOW_WORDS in texts[2]  # once, for the whole flood (the sticker included)
    assert [u for u in assistant.users() if u == f"telegram:{flood}"] == [f"telegram:{flood}"] * 2
    assert api.sent_texts(quiet) == [NOT_UNDERSTOOD]


# Zalo ----------------------------------------------------------------------------------------------------------
async def test_a_zalo_flood_is_told_once_and_another_user_is_answered(tmp_path):
    assistant, limits = StandInAssistant(), limiter(per_minute=6, burst=2)
    store = Services.open(tmp_path / "zalo.db")
    async with ZaloStandIn() as zalo, httpx.AsyncClient(timeout=30) as http:
        channel = ZaloChannel(zalo.config(), assistant, store, http=http, limiter=limits)
        app = webchat.create_app(assistant)
        attach_webhook(app, channel)
        runner = await webchat.serve(app, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/zalo/webhook"
        try:
            flood, quiet = "5100000000000000001", "5100000000000000002"
            statuses = []
            for i in range(5):
                response = await zalo.post_event(http, url, zalo.text_event(flood, f"câu {i}"))
                statuses.append((response.status_code, response.json().get("status")))
            unfollow = await zalo.post_event(http, url, zalo.unfollow_event(flood))  # never limited: consent matters
            answered = await zalo.post_event(http, url, zalo.text_event(quiet, "xin chào"))
            await channel.drain()
        finally:
            await webchat.stop(runner)
    assert statuses == [(200, "accepted"), (200, "accepted"), (200, "limited"), (200, "ignored"), (200, "ignored")]
    assert unfollow.json() == {"status": "accepted"} and answered.json() == {"status": "accepted"}
    texts = zalo.texts_to(flood)
    assert texts[:2] == [NOT_UNDERSTOOD, NOT_UNDERSTOOD] and len(texts) == 3 and SLOW_WORDS in texts[2]
    assert zalo.texts_to(quiet) == [NOT_UNDERSTOOD]
    assert not store.users.find("zalo", flood).consent
