"""The webhooks authenticate their sender, against the real handlers on a real aiohttp server, with a stand-in
assistant (no model): Telegram's secret token (403 otherwise), Zalo's X-ZEvent-Signature (401 otherwise) with its
replay window; a refusal changes nothing, is logged, and no secret is ever written to the log."""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import random
import socket
from typing import AsyncIterator, Tuple

import httpx
import pytest
from aiohttp import web

from bot.channels import webchat
from bot.channels.telegram import TelegramConfig, start_telegram, stop_telegram
from bot.channels.zalo import MAX_EVENT_AGE, MAX_FUTURE_SKEW, ZaloChannel, ZaloConfig, attach_webhook, signature
from bot.services import Services
from tests.standins.assistant import NOT_UNDERSTOOD, StandInAssistant
from tests.standins.telegram_api import TelegramStandIn
from tests.standins.zalo_api import ZaloStandIn
from tests.test_telegram import config_for

pytestmark = pytest.mark.asyncio(loop_scope="session")

TELEGRAM_SECRET = "wh-S3cret_token-never-logged"
_chats = itertools.count(random.randint(5 * 10**9, 6 * 10**9))


@contextlib.asynccontextmanager
async def telegram_webhook(store: Services, assistant=None, **config) -> AsyncIterator[Tuple[TelegramStandIn, str, StandInAssistant]]:
    """The web chat app with the Telegram webhook mounted on a free port, its own stand-in Bot API."""
    assistant = assistant or StandInAssistant()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    async with TelegramStandIn() as api:
        app = webchat.create_app(assistant)
        handle = await start_telegram(assistant, store, config_for(
            api, mode="webhook", webhook_url=f"http://127.0.0.1:{port}/telegram/webhook", secret=TELEGRAM_SECRET), web_app=app,
            **config)
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        try:
            yield api, f"http://127.0.0.1:{port}", assistant
        finally:
            await stop_telegram(handle)
            await runner.cleanup()


@contextlib.asynccontextmanager
async def zalo_webhook(store: Services, assistant=None, **channel) -> AsyncIterator[Tuple[ZaloStandIn, str, ZaloChannel, httpx.AsyncClient]]:
    """Our web app with the Zalo webhook mounted on a free port, over the stand-in Zalo API."""
    assistant = assistant or StandInAssistant()
    async with ZaloStandIn() as zalo, httpx.AsyncClient(timeout=30) as http:
        chan = ZaloChannel(zalo.config(), assistant, store, http=http, **channel)
        app = webchat.create_app(assistant)
        attach_webhook(app, chan)
        runner = await webchat.serve(app, "127.0.0.1", 0)
        try:
            yield zalo, f"http://127.0.0.1:{runner.addresses[0][1]}/zalo/webhook", chan, http
        finally:
            await webchat.stop(runner)


def message_update(chat: int, text: str, update_id: int = 1) -> dict:
    return {"update_id": update_id, "message": {"message_id": update_id, "date": 0, "text": text,
                                                "chat": {"id": chat, "type": "private", "first_name": "Lan"},
                                                "from": {"id": chat, "is_bot": False, "first_name": "Lan"}}}


def logged(caplog) -> str:
    """What our own loggers wrote (the libraries' DEBUG chatter is covered by the log file's filter below)."""
    return "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records if r.name.startswith("bot."))


# Telegram ---------------------------------------------------------------------------------------------------------
async def test_telegram_refuses_a_missing_or_wrong_secret_and_logs_without_it(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    chat = next(_chats)
    store = Services.open(tmp_path / "t.db")
    async with telegram_webhook(store) as (api, url, assistant), httpx.AsyncClient(base_url=url) as client:
        body = json.dumps(message_update(chat, "xin chào"))
        wrong = [{}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}, {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET[:-1]},
                 {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET + "x"}, {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET.upper()}]
        for headers in wrong:
            response = await client.post("/telegram/webhook", content=body, headers={"Content-Type": "application/json", **headers})
            assert response.status_code == 403, headers
        assert store.users.find("telegram", str(chat)) is None and assistant.calls == []
        api.push_message(chat, "xin chào")  # Telegram itself, with the secret it was given
        await api.wait_for_messages(chat, 1)
    assert api.sent_texts(chat) == [NOT_UNDERSTOOD]
    assert api.webhook["secret_token"] == TELEGRAM_SECRET
    text = logged(caplog)
    assert "refused a request" in text and TELEGRAM_SECRET not in text and TELEGRAM_SECRET[:-1] not in text


async def test_the_log_file_never_holds_a_secret_even_at_debug(tmp_path):
    """``motcua``'s logging (bot/logs.py ``configure``) at DEBUG, where python-telegram-bot prints setWebhook's
    parameters and httpx the bot token in every URL: the file has the records, with the secrets blanked."""
    from bot.logs import configure

    root = logging.getLogger()
    saved = (list(root.handlers), root.level, {n: logging.getLogger(n).level for n in ("telegram", "httpx", "httpcore")})
    log_file = tmp_path / "motcua.log"
    chat = next(_chats)
    try:
        async with TelegramStandIn() as probe:
            token = probe.token
        configure({"MOTCUA_LOG_LEVEL": "DEBUG", "MOTCUA_LOG_FILE": str(log_file), "MOTCUA_TELEGRAM_TOKEN": token,
                   "MOTCUA_TELEGRAM_SECRET": TELEGRAM_SECRET})
        store = Services.open(tmp_path / "t.db")
        async with telegram_webhook(store) as (api, url, assistant), httpx.AsyncClient(base_url=url) as client:
            assert api.token == token
            await client.post("/telegram/webhook", content=json.dumps(message_update(chat, "x")),
                              headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
            api.push_message(chat, "xin chào")
            await api.wait_for_messages(chat, 1)
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)
    text = log_file.read_text(encoding="utf-8")
    assert "setWebhook" in text and "sendMessage" in text and "refused a request" in text  # DEBUG records are there
    assert TELEGRAM_SECRET not in text and token not in text and token.split(":")[1] not in text
    assert "***" in text


def test_a_webhook_without_a_usable_secret_does_not_start():
    from bot.channels.telegram import TelegramConfigError

    for secret in ("", "has space", "x" * 257, "ünicode"):
        with pytest.raises(TelegramConfigError, match="MOTCUA_TELEGRAM_SECRET"):
            TelegramConfig.from_settings({"MOTCUA_TELEGRAM_TOKEN": "1:A", "MOTCUA_TELEGRAM_MODE": "webhook",
                                          "MOTCUA_TELEGRAM_WEBHOOK_URL": "https://x.example/", "MOTCUA_TELEGRAM_SECRET": secret})


def test_secrets_stay_out_of_the_configs_printed_form():
    telegram = TelegramConfig(token="123:TOKEN-very-secret", mode="webhook", webhook_url="https://x.example", secret="sec-ret")
    zalo = ZaloConfig(app_id="1", oa_secret="oa-sec", app_secret="app-sec", access_token="acc-tok", refresh_token="ref-tok")
    for config, secrets in ((telegram, ["TOKEN-very-secret", "sec-ret"]), (zalo, ["oa-sec", "app-sec", "acc-tok", "ref-tok"])):
        printed = repr(config) + str(config)
        assert not [s for s in secrets if s in printed], printed


def test_secrets_come_from_the_environment_or_the_dotenv_file(tmp_path, monkeypatch):
    from bot.settings import Settings

    (tmp_path / ".env").write_text("MOTCUA_TELEGRAM_TOKEN=1:from-file\nMOTCUA_ZALO_OA_SECRET='from-file'\n", encoding="utf-8")
    monkeypatch.setenv("MOTCUA_ZALO_OA_SECRET", "from-env")
    settings = Settings.from_env(root=tmp_path)
    assert settings.env["MOTCUA_TELEGRAM_TOKEN"] == "1:from-file" and settings.env["MOTCUA_ZALO_OA_SECRET"] == "from-env"
    assert "from-file" not in repr(settings) and "from-env" not in repr(settings)


# Zalo -------------------------------------------------------------------------------------------------------------
async def test_zalo_refuses_a_bad_signature_and_a_tampered_body_and_logs_without_the_key(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    store = Services.open(tmp_path / "z.db")
    async with zalo_webhook(store) as (zalo, url, channel, http):
        uid = "7100000000000000001"
        event = zalo.text_event(uid, "xin chào")
        body, headers = zalo.signed(event)
        forged = [
            {"Content-Type": "application/json"},  # no signature
            {**headers, "X-ZEvent-Signature": "mac=" + "0" * 64},
            {**headers, "X-ZEvent-Signature": headers["X-ZEvent-Signature"].upper()},
            {**headers, "X-ZEvent-Signature": signature(zalo.app_id, body, event["timestamp"], "another-oa-secret")},
            {**headers, "X-ZEvent-Signature": signature("999", body, event["timestamp"], zalo.oa_secret)},
        ]
        for h in forged:
            response = await http.post(url, content=body, headers=h)
            assert response.status_code == 401, h
        tampered = body.replace("xin chào".encode(), "xin chao".encode())
        assert (await http.post(url, content=tampered, headers=headers)).status_code == 401
        # the signature covers the timestamp: a replay with a fresh timestamp and the old mac is refused
        fresh = dict(event, timestamp=str(int(event["timestamp"]) + 1000))
        refreshed = json.dumps(fresh, ensure_ascii=False).encode()
        assert (await http.post(url, content=refreshed, headers=headers)).status_code == 401
        await channel.drain()
        assert store.users.find("zalo", uid) is None and zalo.messages_to(uid) == []
        good = await http.post(url, content=body, headers=headers)
        assert good.status_code == 200 and good.json() == {"status": "accepted"}
        await channel.drain()
    assert zalo.texts_to(uid) == [NOT_UNDERSTOOD]
    text = logged(caplog)
    assert "bad or missing signature" in text and zalo.oa_secret not in text and zalo.app_secret not in text


async def test_zalo_refuses_replays_and_stale_or_future_events_without_a_side_effect(tmp_path):
    store = Services.open(tmp_path / "z.db")
    async with zalo_webhook(store) as (zalo, url, channel, http):
        uid = "7100000000000000002"
        event = zalo.text_event(uid, "câu một")
        first = await zalo.post_event(http, url, event)
        again = await zalo.post_event(http, url, event)  # the same body, the same valid signature
        same_id = await zalo.post_event(http, url, dict(event, timestamp=str(int(event["timestamp"]) + 1)))
        assert first.json() == {"status": "accepted"}
        assert again.json() == same_id.json() == {"status": "ignored", "reason": "replay"}
        zalo.advance(-(MAX_EVENT_AGE + 60))  # an event signed 31 minutes ago
        stale = await zalo.post_event(http, url, zalo.text_event(uid, "cũ"))
        zalo.advance(MAX_EVENT_AGE + 60 + MAX_FUTURE_SKEW + 60)  # one from 6 minutes ahead of our clock
        future = await zalo.post_event(http, url, zalo.text_event(uid, "tương lai"))
        assert stale.json() == future.json() == {"status": "ignored", "reason": "timestamp"}
        assert stale.status_code == future.status_code == 200  # 200: Zalo must not retry it
        await channel.drain()
    assert zalo.texts_to(uid) == [NOT_UNDERSTOOD]
    assert store.db.execute("select count(*) from zalo_events").fetchone()[0] == 1


async def test_zalo_without_an_oa_secret_accepts_nothing(tmp_path):
    store = Services.open(tmp_path / "z.db")
    async with ZaloStandIn(oa_secret="") as zalo, httpx.AsyncClient(timeout=30) as http:
        channel = ZaloChannel(zalo.config(), StandInAssistant(), store, http=http)
        app = webchat.create_app(StandInAssistant())
        attach_webhook(app, channel)
        runner = await webchat.serve(app, "127.0.0.1", 0)
        try:
            response = await zalo.post_event(http, f"http://127.0.0.1:{runner.addresses[0][1]}/zalo/webhook",
                                             zalo.text_event("7100000000000000003", "x"))
        finally:
            await webchat.stop(runner)
    assert response.status_code == 401
