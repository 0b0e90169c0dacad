"""Graceful shutdown: SIGTERM (systemd's stop, ``docker stop``) in the middle of sending or answering.

The sender's processes (``motcua send --forever`` and ``motcua scheduler``) run as real processes against the Telegram
stand-in on 127.0.0.1, with faults and slow answers; SIGTERM arrives while sends are under way. They must exit 0, leave
no notice claimed (``sending``) and none in doubt, and after a restart every notice has reached Telegram exactly once.
``motcua serve`` answering the messages under way before it stops is tests/test_serve.py (one server process for its
start-up and its stop: each loads the model).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.delivery.outbox import Outbox
from bot.services import Services
from tests.standins.telegram_api import TelegramStandIn
from tests.test_sender import copies, fill, finish, start_sender

ROOT = Path(__file__).resolve().parent.parent
# a send may take the stand-in's 5-s "slow" answer and still finish well within its time-out: nothing is in doubt
PATIENT = {"MOTCUA_SENDER_TIMEOUT": "12", "MOTCUA_SENDER_LEASE": "15"}


async def start_scheduler(db: Path, api: TelegramStandIn) -> asyncio.subprocess.Process:
    """``motcua scheduler`` in its own process, sending to the stand-in."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    environment.update({"MOTCUA_DB": str(db), "MOTCUA_TELEGRAM_TOKEN": api.token, "MOTCUA_TELEGRAM_API_URL": api.base_url,
                        "MOTCUA_SENDER_BACKOFF": "0.3", "MOTCUA_SENDER_MAX_BACKOFF": "2", "MOTCUA_BACKUP_TIME": "off",
                        "PYTHONPATH": str(ROOT), **PATIENT})
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "scheduler", cwd=str(ROOT), env=environment,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


@pytest.mark.parametrize("command", ["send", "scheduler"])
async def test_sigterm_mid_run_exits_0_and_every_notice_goes_exactly_once_after_a_restart(tmp_path, command):
    db = tmp_path / "motcua.db"
    store, outbox = Services.open(db), Outbox(db)
    total = fill(store, outbox, chats=60, per_chat=2)
    async with TelegramStandIn(fault_rate=0.15, fault_kinds=(429, 500, "slow"), seed=11) as api:
        process = await (start_sender(db, api, "--forever", **PATIENT) if command == "send" else start_scheduler(db, api))
        # mid-run: some notices sent, and a send being answered right now
        await api.wait_for(lambda: len(api.sent_messages()) >= 30 and api.in_flight > 0, timeout=90,
                           what="the sender to be sending")
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 90)
        assert process.returncode == 0, err.decode()[-3000:]
        at_stop = outbox.counts()
        assert at_stop["sending"] == 0, "a notice was left claimed"
        assert at_stop["delivered"] < total, "SIGTERM came after the end: the test proves nothing"
        await finish(await start_sender(db, api, **PATIENT))  # the restart drains the rest
        await api.settled()
        faults = [c.status for c in api.calls_to("sendMessage") if c.status in (429, 500)]
    assert faults, "the stand-in injected no fault"
    assert outbox.counts() == {"pending": 0, "sending": 0, "delivered": total, "failed": 0}
    sent = copies(api)
    expected = {(5000 + i, f"Thông báo số {n} cho tài khoản {i}") for i in range(60) for n in range(2)}
    assert set(sent) == expected and set(sent.values()) == {1}, "every notice exactly once"
    rows = outbox.rows()
    assert all(r["in_doubt"] == 0 for r in rows)
    outcomes = {a["outcome"] for r in rows for a in outbox.attempts(r["id"])}
    assert not outcomes & {"in_doubt", "abandoned", None}, outcomes
