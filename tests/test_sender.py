"""The sender against the Telegram and Zalo stand-ins: faults, a kill -9 mid-run, two senders, fallbacks, consent.

Every run goes through the real clients (python-telegram-bot, httpx) to stand-in servers on 127.0.0.1; the
kill and two-sender tests run ``motcua send`` as real processes on one SQLite file.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import os
import signal
import sys
from pathlib import Path
from typing import Tuple

import pytest

from bot.channels.telegram import TelegramConfig, build_bot
from bot.channels.telegram_send import TelegramSender
from bot.channels.zalo_send import ZaloSender
from bot.delivery.outbox import Outbox
from bot.delivery.sender import Sender, SenderConfig
from bot.people.users import User
from bot.services import Services
from tests.standins.telegram_api import TelegramStandIn
from tests.standins.zalo_api import ZaloStandIn
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent
FAST = dict(backoff=0.2, max_backoff=1.0, poll=0.2)


def fill(store: Services, outbox: Outbox, chats: int, per_chat: int, first_chat: int = 5000) -> int:
    """``chats`` consenting Telegram accounts with ``per_chat`` notices each (texts unique per chat); returns the count."""
    for i in range(chats):
        user = store.users.seen("telegram", str(first_chat + i), f"Dân {i}")
        store.users.set_consent(user.id, True)
        for n in range(per_chat):
            outbox.enqueue(user, f"tip:eid:{n}", f"Thông báo số {n} cho tài khoản {i}")
    return chats * per_chat


def copies(api: TelegramStandIn) -> collections.Counter:
    """How many times each (chat, text) reached Telegram."""
    return collections.Counter((m["chat"]["id"], m["text"]) for m in api.sent_messages())


async def start_sender(db: Path, api: TelegramStandIn, *args: str, **env: str) -> asyncio.subprocess.Process:
    """``motcua send`` in its own process, talking to the stand-in."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    environment.update({
        "MOTCUA_DB": str(db), "MOTCUA_TELEGRAM_TOKEN": api.token, "MOTCUA_TELEGRAM_API_URL": api.base_url,
        "MOTCUA_SENDER_TIMEOUT": "8", "MOTCUA_SENDER_LEASE": "11", "MOTCUA_SENDER_BACKOFF": "0.3",
        "MOTCUA_SENDER_MAX_BACKOFF": "2", "PYTHONPATH": str(ROOT), **env,
    })
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "send", *args, cwd=str(ROOT), env=environment,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def finish(process: asyncio.subprocess.Process, timeout: float = 120) -> str:
    """Wait for a sender process to drain the outbox and exit; its stdout."""
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode == 0, err.decode()[-3000:]
    return out.decode()


def one_tip(tmp_path: Path, chat: str) -> Tuple[Services, Outbox, User]:
    """A consenting Telegram user ``chat`` (Lan) with one e-ID tip waiting in the outbox."""
    store = Services.open(tmp_path / "motcua.db")
    outbox = Outbox(store.path)
    lan = store.users.seen("telegram", chat, "Lan")
    store.users.set_consent(lan.id, True)
    outbox.enqueue(lan, "tip:eid:1", "Mẹo 1")
    return store, outbox, lan


async def drain_into(api: TelegramStandIn, outbox: Outbox, read_timeout: float = 10.0, **config: float) -> None:
    """Run a sender over ``outbox`` into the Telegram stand-in until nothing is left to send."""
    async with build_bot(TelegramConfig(token=api.token, api_url=api.base_url, read_timeout=read_timeout)) as bot:
        await Sender(outbox, {"telegram": TelegramSender(bot)}, SenderConfig(**{**FAST, **config}),
                     directory=Services.open(outbox.path).users).run(until_drained=True)


async def test_a_sender_killed_mid_run_and_restarted_delivers_everything_once(tmp_path):
    db = tmp_path / "motcua.db"
    store, outbox = Services.open(db), Outbox(db)
    total = fill(store, outbox, chats=60, per_chat=2)
    async with TelegramStandIn(enforce_limits=True, fault_rate=0.1, fault_kinds=(429, 500, 502, "slow"), seed=7) as api:
        first = await start_sender(db, api, "--forever")
        await api.wait_for(lambda: len(api.sent_messages()) >= 40, timeout=60)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        at_kill = outbox.counts()
        assert at_kill["delivered"] < total
        await finish(await start_sender(db, api))
        await api.settled()  # a "slow" send of the killed process lands only when the stand-in answers it
        faults = [c.status for c in api.calls_to("sendMessage") if c.status in (429, 500, 502)]

    counts = outbox.counts()
    assert counts == {"pending": 0, "sending": 0, "delivered": total, "failed": 0}
    sent = copies(api)
    expected = {(5000 + i, f"Thông báo số {n} cho tài khoản {i}") for i in range(60) for n in range(2)}
    assert set(sent) == expected  # nothing lost, nothing else sent
    assert faults, "the stand-in injected no fault"
    # The only duplicates possible are notices whose attempt was in flight when the sender died (in_doubt):
    rows = {(int(r["address"]), r["text"]): r for r in outbox.rows(["delivered"])}
    duplicated = {key: n for key, n in sent.items() if n > 1}
    for key in duplicated:
        assert rows[key]["in_doubt"] >= 1, f"{key} was sent twice without being in doubt"
    assert sum(n - 1 for n in duplicated.values()) <= sum(r["in_doubt"] for r in rows.values())
    for key, row in rows.items():
        if row["in_doubt"] == 0:
            assert sent[key] == 1


async def test_two_senders_at_once_never_send_a_notice_twice(tmp_path):
    db = tmp_path / "motcua.db"
    store, outbox = Services.open(db), Outbox(db)
    async with TelegramStandIn(fault_rate=0.1, seed=3) as api:
        # Both processes are up and polling (each bot has asked Telegram who it is) before any notice exists, so both
        # really send side by side however slowly a busy machine starts the second one; they share one pace (~5 s).
        # Each holds at most 10 sends at once, so neither can claim the whole outbox in its first round (fresh-clone run
        # 35: one process claimed all 150 before the other's first poll).
        senders = [await start_sender(db, api, "--forever", MOTCUA_SENDER_IN_FLIGHT="10"),
                   await start_sender(db, api, "--forever", MOTCUA_SENDER_IN_FLIGHT="10")]
        await api.wait_for(lambda: len(api.calls_to("getMe")) >= 2, timeout=120, what="both senders to start")
        total = fill(store, outbox, chats=50, per_chat=3)
        await wait_until(lambda: outbox.counts()["delivered"] == total, timeout=120, what="every notice to be delivered")
        for sender in senders:
            sender.send_signal(signal.SIGTERM)
        outputs = await asyncio.gather(*(finish(s) for s in senders))
        faults = [c.status for c in api.calls_to("sendMessage") if c.status in (429, 500, 502)]
    assert outbox.counts()["delivered"] == total
    sent = copies(api)
    assert len(sent) == total and set(sent.values()) == {1}
    assert faults
    workers = {a["worker"] for r in outbox.rows(["delivered"]) for a in outbox.attempts(r["id"]) if a["outcome"] == "delivered"}
    assert len(workers) == 2, outputs  # both processes really sent
    assert all(r["in_doubt"] == 0 for r in outbox.rows())


async def test_zalo_window_closed_falls_back_to_the_persons_telegram(tmp_path):
    store = Services.open(tmp_path / "motcua.db")
    outbox = Outbox(store.path)
    three_days_ago = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=3)).isoformat(timespec="seconds")
    zalo_account = store.users.seen("zalo", "2468458835296197922", "Lan", at=three_days_ago)
    telegram_account = store.users.seen("telegram", "777", "Lan", at=three_days_ago)
    store.users.link(zalo_account.id, telegram_account.id)
    for account in (zalo_account, telegram_account):
        store.users.set_consent(account.id, True)
    outbox.enqueue(zalo_account, "dossier:X-1:status:9", "🔔 Hồ sơ X-1 đã có kết quả.")
    async with ZaloStandIn() as zalo, TelegramStandIn() as api:
        bot = build_bot(TelegramConfig(token=api.token, api_url=api.base_url))
        zalo_sender = ZaloSender(zalo.config(), store)
        async with bot:
            stats = await Sender(outbox, {"zalo": zalo_sender, "telegram": TelegramSender(bot)}, SenderConfig(**FAST),
                                 directory=store.users).run(until_drained=True)
        await zalo_sender.close()
        assert api.sent_texts(777) == ["🔔 Hồ sơ X-1 đã có kết quả."]
        assert zalo.texts_to("2468458835296197922") == []
    row = outbox.get(zalo_account.id, "dossier:X-1:status:9")
    assert row["state"] == "delivered" and row["channel"] == "telegram"
    assert "zalo:2468458835296197922 -> telegram:777" in row["route"] and "48 giờ" in row["route"]
    assert [a["outcome"] for a in outbox.attempts(row["id"])] == ["rerouted", "delivered"]
    assert stats.rerouted == 1 and stats.delivered == 1


async def test_a_blocked_bot_without_another_account_fails_with_its_reason(tmp_path):
    _, outbox, lan = one_tip(tmp_path, "901")
    async with TelegramStandIn() as api:
        api.block(901)
        await drain_into(api, outbox)
    row = outbox.get(lan.id, "tip:eid:1")
    assert row["state"] == "failed"
    assert "blocked" in row["last_error"] and "no other consenting account" in row["last_error"]


async def test_withdrawn_consent_is_respected_at_send_time(tmp_path):
    store, outbox, lan = one_tip(tmp_path, "902")
    store.users.set_consent(lan.id, False)  # /huy before the sender ran
    async with TelegramStandIn() as api:
        await drain_into(api, outbox)
        assert api.sent_messages() == []
    row = outbox.get(lan.id, "tip:eid:1")
    assert row["state"] == "failed" and "no consent" in row["last_error"]


async def test_retry_after_is_honoured_and_the_notice_goes_once(tmp_path):
    _, outbox, lan = one_tip(tmp_path, "903")
    async with TelegramStandIn() as api:
        api.fail_next(1, 429, retry_after=2)
        await drain_into(api, outbox)
        calls = [c for c in api.calls_to("sendMessage")]
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 2.0
    assert api.sent_texts(903) == ["Mẹo 1"]


@pytest.mark.parametrize("kind, copies_seen, in_doubt, outcomes", [
    ("slow", 2, 1, ["timeout", "delivered"]),  # Telegram took it, we never heard: sent again, flagged
    (500, 1, 0, ["retry", "delivered"]),       # Telegram refused it: sent again, nothing to flag
    (502, 1, 0, ["retry", "delivered"]),
])
async def test_only_a_time_out_after_telegram_took_the_message_is_flagged_in_doubt(tmp_path, kind, copies_seen, in_doubt,
                                                                                    outcomes):
    """The one window we cannot close: Telegram accepted, we never heard. The resend is marked in doubt;
    a send Telegram refused is resent without the flag, and the citizen sees it once."""
    _, outbox, lan = one_tip(tmp_path, "904")
    async with TelegramStandIn() as api:
        # The client gives up after 1 s; the slow answer comes after 3 s (both timers run in this event loop).
        api.fail_next(1, kind, delay=3.0)
        await drain_into(api, outbox, read_timeout=1.0, send_timeout=5, lease=10)
        await api.settled()  # the slow first send has landed too
        received = api.sent_texts(904)
    row = outbox.get(lan.id, "tip:eid:1")
    assert received == ["Mẹo 1"] * copies_seen
    assert row["state"] == "delivered" and row["in_doubt"] == in_doubt
    assert [a["outcome"] for a in outbox.attempts(row["id"])] == outcomes
