"""Property-based attacks on every HTTP entry point of ``motcua serve``, no model needed: the web chat's
``POST /api/chat``, the kiosk's ``POST /api/kiosk/ask`` and slips, the Telegram webhook (every update kind:
stickers, locations, edited messages, channel posts, callbacks, member changes, made-up kinds, wrong types) and the
Zalo webhook (every event kind, wrong types, forged signatures, wrong content types).

One real server (aiohttp, the real channels, PTB in webhook mode against the stand-in Bot API, the Zalo channel
against the stand-in Zalo API) runs in a thread of its own; the examples are sent to it over HTTP. Behind the
channels is the real :class:`bot.conversation.engine.Assistant` (input cleaning, the desk, reply building) whose
Rasa agent is replaced by an echo (:class:`EchoAgent`): every message is answered with its own text and buttons, so
hostile text goes back out through Telegram's HTML parse mode and Zalo's limits. Each request gets a polite answer
or a clear 4xx, never a 5xx; no handler logs an error; the database passes its integrity check at the end.
The same attacks with the trained model: tests/test_properties_model.py (``needs_model``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import itertools
import json
import logging
import socket
import threading
import uuid
from typing import Any, List
from urllib.parse import quote

import httpx
import pytest
from aiohttp import web
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.channels import kiosk, webchat
from bot.channels.telegram import start_telegram, stop_telegram
from bot.channels.zalo import ZaloChannel, attach_webhook
from bot.conversation.engine import Assistant
from bot.loader import load_all
from bot.services import Services
from bot.settings import Settings
from bot.timeutil import VN_TZ
from tests.hostile import FAST, SLOW, SURROGATE_FREE, check_database, forged_payload, hostile_text, is_vietnamese_message, json_value
from tests.hostile import message_text as hostile_message
from tests.standins.telegram_api import TelegramStandIn
from tests.standins.zalo_api import ZaloStandIn
from tests.test_telegram import config_for

SECRET = "property-secret_1"
MOMENT = dt.datetime(2026, 11, 25, 9, 15, tzinfo=VN_TZ)
WAIT = 20.0


class EchoAgent:
    """Stands in for Rasa's agent: answers every message with its own text and two buttons (one a forged-looking
    payload), as the real agent's output channel receives them."""

    async def handle_message(self, message: Any) -> None:
        await message.output_channel.send_response(message.sender_id, {
            "text": f"Anh/chị vừa gửi: {message.text[:3000]}",
            "buttons": [{"title": message.text[:40] or "trống", "payload": message.text[:200] or "/greet"},
                        {"title": "Lệ phí", "payload": '/ask_fee{"procedure": "dang-ky-khai-sinh"}'}]})


class ErrorLog(logging.Handler):
    """Every ERROR record of our own loggers (a handler that failed, an assistant that raised)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class Server:
    """The web chat, the kiosk and both webhooks on one aiohttp server, in a thread with its own event loop."""

    def __init__(self, tmp) -> None:
        settings = dataclasses.replace(Settings.from_env(env={}), db_path=tmp / "motcua.db", tracker_db_path=tmp / "tracker.db")
        load_all(settings)
        self.settings = settings
        self.services = Services.open(settings.db_path)
        self.assistant = Assistant(EchoAgent(), settings, self.services, clock=lambda: MOMENT)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.failed: list = []
        self.errors = ErrorLog()
        logging.getLogger("bot").addHandler(self.errors)
        self.run(self._start())

    def run(self, coroutine, timeout: float = 60.0):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def _start(self) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.telegram_api = await TelegramStandIn().start()
        self.zalo = await ZaloStandIn().start()
        self.http = httpx.AsyncClient(timeout=30)
        app = webchat.create_app(self.assistant)
        kiosk.mount(app, self.assistant, self.services, clock=lambda: MOMENT)
        self.telegram = await start_telegram(self.assistant, self.services, config_for(
            self.telegram_api, mode="webhook", webhook_url=f"{self.url}/telegram/webhook", secret=SECRET), web_app=app)

        async def failed(update: object, context) -> None:
            self.failed.append((update, context.error))

        self.telegram.application.add_error_handler(failed)
        self.zalo_channel = ZaloChannel(self.zalo.config(), self.assistant, self.services, http=self.http)
        attach_webhook(app, self.zalo_channel)
        self.runner = web.AppRunner(app, handle_signals=False)
        await self.runner.setup()
        await web.SockSite(self.runner, sock).start()

    async def _stop(self) -> None:
        await stop_telegram(self.telegram)
        await self.runner.cleanup()
        await self.http.aclose()
        await self.telegram_api.close()
        await self.zalo.stop()

    def close(self) -> None:
        try:
            self.run(self._stop())
        finally:
            logging.getLogger("bot").removeHandler(self.errors)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)

    def wait_for_update(self, update_id: int) -> None:
        """Until PTB has processed every update it was given (its queue's ``task_done`` comes after the handlers)."""
        self.run(asyncio.wait_for(self.telegram.application.update_queue.join(), WAIT), WAIT + 5)

    def assert_no_errors(self) -> None:
        failed, self.failed = self.failed, []
        assert failed == [], failed
        found, self.errors.records = self.errors.records, []
        assert [(r.getMessage(), logging.Formatter().formatException(r.exc_info) if r.exc_info else "") for r in found] == []


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    started = Server(tmp_path_factory.mktemp("properties-channels"))
    try:
        yield started
    finally:
        started.close()
    check_database(started.settings.db_path)


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=60) as http:
        yield http


def assert_clear_answer(response: httpx.Response) -> Any:
    """A 2xx with a JSON body, or a 4xx with a Vietnamese error; never a 5xx, never a traceback."""
    assert response.status_code < 500, (response.status_code, response.text[:500])
    assert "Traceback" not in response.text
    if response.status_code >= 400:
        if not response.headers.get("Content-Type", "").startswith("application/json"):
            assert response.status_code in (400, 413, 414, 431), response.text[:200]  # aiohttp's own request-line limits
            return response
        body = response.json()
        assert is_vietnamese_message(body.get("error")) or body.get("ok") is False, body
    return response


CONTENT_TYPES = st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain", "text/html",
                                 "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", "application/xml",
                                 "application/json; charset=latin-1"])
web_user = st.one_of(st.text(SURROGATE_FREE, min_size=1, max_size=64), hostile_text, st.sampled_from(["a", "x" * 64, "x" * 65]))
raw_body = st.one_of(st.binary(max_size=300), hostile_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
                     json_value.map(lambda v: json.dumps(v).encode()), st.just(b"{" * 5000 + b"}" * 5000))


@st.composite
def chat_body(draw, user_key: str = "user") -> bytes:
    shape = draw(st.integers(0, 3))
    if shape == 0:
        body = {user_key: draw(web_user), "text": draw(hostile_message)}
    elif shape == 1:
        body = {user_key: draw(st.one_of(web_user, json_value)), "text": draw(st.one_of(hostile_message, json_value))}
        body.update(draw(st.dictionaries(st.text(max_size=8), json_value, max_size=2)))
    elif shape == 2:
        return draw(raw_body)
    else:
        body = draw(json_value)
    return json.dumps(body, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")


# the web chat --------------------------------------------------------------------------------------------------------------
@FAST
@given(body=chat_body(), content_type=CONTENT_TYPES)
def test_the_web_chat_answers_every_body_politely_or_with_a_clear_4xx(server, client, body, content_type):
    response = assert_clear_answer(client.post("/api/chat", content=body, headers={"Content-Type": content_type}))
    if response.status_code == 200:
        replies = response.json()["replies"]
        assert replies and all(isinstance(r["text"], str) and isinstance(r["buttons"], list) for r in replies)
    server.assert_no_errors()


@SLOW
@given(method=st.sampled_from(["GET", "PUT", "DELETE", "PATCH"]), path=st.sampled_from(["/api/chat", "/api/kiosk/ask", "/api/x",
                                                                                        "/telegram/webhook", "/zalo/webhook"]))
def test_a_wrong_method_or_path_is_a_clear_4xx(server, client, method, path):
    response = client.request(method, path)
    assert 400 <= response.status_code < 500


# the kiosk --------------------------------------------------------------------------------------------------------------
@FAST
@given(body=chat_body(user_key="session"), content_type=CONTENT_TYPES)
def test_the_kiosk_answers_every_body_politely_or_with_a_clear_4xx(server, client, body, content_type):
    response = assert_clear_answer(client.post("/api/kiosk/ask", content=body, headers={"Content-Type": content_type}))
    if response.status_code == 200:
        data = response.json()
        assert data["replies"] and (data["slip"] is None or isinstance(data["slip"], dict))
    server.assert_no_errors()


@FAST
@given(procedure=st.one_of(hostile_text, st.sampled_from(["dang-ky-khai-sinh", "../../etc/passwd", "..", "%00", "a" * 500])))
def test_a_kiosk_slip_of_any_name_is_a_slip_or_a_clear_404(server, client, procedure):
    path = "/api/kiosk/slip/" + quote(procedure or "x", safe="")
    assume(len(path) < 60_000)  # no client sends a longer URL (httpx refuses one over 64 KiB before it leaves)
    response = assert_clear_answer(client.get(path))
    assert response.status_code in (200, 404) or len(quote(procedure, safe="")) > 2000  # over aiohttp's 8 KiB request line: 400


# Telegram ----------------------------------------------------------------------------------------------------------------
_update_ids = itertools.count(1)
chat_ids = st.one_of(st.integers(1, 10**12), st.integers(-10**13, -1))


@st.composite
def telegram_update(draw) -> dict:
    """An Update as Telegram could send it, of any kind, or one with wrong types in it."""
    update_id = next(_update_ids)
    chat_id = draw(chat_ids)
    chat = {"id": chat_id, "type": "private" if chat_id > 0 else draw(st.sampled_from(["group", "supergroup", "channel"])),
            "first_name": draw(hostile_text)[:64] or "A", "title": draw(hostile_text)[:64] or "Nhóm"}
    sender = {"id": abs(chat_id), "is_bot": False, "first_name": draw(hostile_text)[:64] or "A"}
    text = draw(st.one_of(hostile_message, st.sampled_from(
        ["/start", "/help", "/hoso", "/hoso ../../x", "/dangky " + "9" * 300, "/huy", "/moi AAAA-BBBB-CCCC", "/taomoi quản trị",
         "/baocao tháng trước", "/chiso", "/nhiemvu 1 100 xong", "/ratsoat 2026-13-45", "/ketthuc #1", "/phananh PA-2026-000001",
         "/bantin <b>thông báo</b>", "/bantin@other_bot x", "/lenh_la", "/start@motcua_bot"]))).replace("\x00", "")[:4096] or " "
    content = draw(st.sampled_from(["text", "sticker", "location", "photo", "document", "contact", "voice", "dice", "caption_bantin"]))
    message = {"message_id": update_id, "date": 1795858914, "chat": chat, "from": sender}
    if content == "text":
        message["text"] = text
    elif content == "sticker":
        message["sticker"] = {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 1, "height": 1,
                              "is_animated": False, "is_video": False}
    elif content == "location":
        message["location"] = {"latitude": draw(st.floats(-90, 90)), "longitude": draw(st.floats(-180, 180))}
    elif content == "photo":
        message["photo"] = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1, "file_size": 10}]
    elif content == "document":
        message["document"] = {"file_id": "d", "file_unique_id": "d", "file_name": draw(hostile_text)[:100] or "x"}
    elif content == "contact":
        message["contact"] = {"phone_number": "0912345678", "first_name": "A"}
    elif content == "voice":
        message["voice"] = {"file_id": "v", "file_unique_id": "v", "duration": 1}
    elif content == "dice":
        message["dice"] = {"emoji": "🎲", "value": 3}
    else:
        message["photo"] = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1, "file_size": 10}]
        message["caption"] = "/bantin " + text[:900]
    kind = draw(st.sampled_from(["message", "message", "message", "edited_message", "channel_post", "edited_channel_post",
                                 "callback_query", "my_chat_member", "made_up_kind", "wrong_types"]))
    if kind == "callback_query":
        return {"update_id": update_id, "callback_query": {
            "id": str(update_id), "from": sender, "chat_instance": "c", "message": message,
            "data": draw(st.one_of(hostile_text, forged_payload(), st.sampled_from(["p:1", "p:999999", "p:", "p:-1"])))[:64]}}
    if kind == "my_chat_member":
        member = {"status": "member", "user": sender}
        return {"update_id": update_id, "my_chat_member": {"chat": chat, "from": sender, "date": 0, "old_chat_member": member,
                                                            "new_chat_member": {"status": "kicked", "user": sender, "until_date": 0}}}
    if kind == "made_up_kind":
        return {"update_id": update_id, "business_something_new": {"x": draw(json_value)}}
    if kind == "wrong_types":
        broken = dict(message)
        broken[draw(st.sampled_from(["chat", "date", "text", "from", "message_id"]))] = draw(json_value)
        return {"update_id": update_id, "message": broken}
    return {"update_id": update_id, kind: message}


@FAST
@given(update=telegram_update())
def test_every_telegram_update_kind_is_handled_without_an_error(server, client, update):
    response = client.post("/telegram/webhook", content=json.dumps(update, ensure_ascii=False).encode("utf-8", "surrogatepass"),
                           headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"})
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        server.wait_for_update(update["update_id"])
    server.assert_no_errors()


@SLOW
@given(body=raw_body, secret=st.one_of(st.just(SECRET), st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=300)))
def test_a_telegram_body_that_is_not_an_update_is_refused(server, client, body, secret):
    response = client.post("/telegram/webhook", content=body, headers={"X-Telegram-Bot-Api-Secret-Token": secret})
    assert response.status_code in ((400, 200) if secret == SECRET else (403,))
    server.assert_no_errors()


# Zalo ------------------------------------------------------------------------------------------------------------------------
ZALO_EVENTS = ["user_send_text", "user_click_button", "user_send_image", "user_send_gif", "user_send_sticker", "user_send_audio",
               "user_send_video", "user_send_file", "user_send_location", "user_send_link", "user_send_business_card", "follow",
               "unfollow", "user_click_chatnow", "oa_send_text", "user_received_message", "user_seen_message", "user_reacted_message",
               "anonymous_send_text", "shop_has_order", "made_up_event"]


@st.composite
def zalo_event(draw, zalo: ZaloStandIn) -> dict:
    uid = draw(st.one_of(st.integers(10**17, 10**19 - 1).map(str), st.integers(10**17, 10**19 - 1), json_value))
    event = {"app_id": zalo.app_id, "event_name": draw(st.sampled_from(ZALO_EVENTS)), "timestamp": str(int(zalo.now() * 1000))}
    text = draw(hostile_message)
    event.update({
        "sender": draw(st.one_of(st.just({"id": uid}), json_value)),
        "recipient": {"id": zalo.oa_id},
        "follower": draw(st.one_of(st.just({"id": uid}), json_value)),
        "user_id": uid,
        "message": draw(st.one_of(st.just({"msg_id": uuid.uuid4().hex, "text": text}),
                                  st.fixed_dictionaries({"msg_id": json_value, "text": st.one_of(json_value, hostile_text),
                                                         "attachments": json_value}), json_value)),
    })
    for key in draw(st.lists(st.sampled_from(["sender", "follower", "user_id", "message", "recipient"]), max_size=2)):
        event.pop(key, None)
    return event


@FAST
@given(data=st.data())
def test_every_signed_zalo_event_is_handled_without_an_error(server, client, data):
    event = data.draw(zalo_event(server.zalo))
    body, headers = server.zalo.signed(event)
    response = assert_clear_answer(client.post("/zalo/webhook", content=body, headers=headers))
    assert response.status_code in (200, 400)
    server.run(server.zalo_channel.drain())
    server.assert_no_errors()


@FAST
@given(body=raw_body, content_type=CONTENT_TYPES, signature=st.one_of(st.none(), st.text(
    st.characters(min_codepoint=33, max_codepoint=126), max_size=200), st.just("mac=" + "0" * 64)))
def test_an_unsigned_or_malformed_zalo_body_is_refused_with_a_clear_4xx(server, client, body, content_type, signature):
    headers = {"Content-Type": content_type, **({"X-ZEvent-Signature": signature} if signature is not None else {})}
    response = assert_clear_answer(client.post("/zalo/webhook", content=body, headers=headers))
    assert response.status_code in (400, 401, 413, 415)
    server.assert_no_errors()


def test_after_the_attacks_the_server_still_answers_everyone(server, client):
    response = client.post("/api/chat", json={"user": "sau-cuoc-tan-cong", "text": "đăng ký khai sinh cần gì"})
    assert response.status_code == 200 and "đăng ký khai sinh" in response.json()["replies"][0]["text"]
    chat = 7_000_000_001
    update = {"update_id": next(_update_ids), "message": {"message_id": 1, "date": 0, "text": "xin chào",
                                                         "chat": {"id": chat, "type": "private", "first_name": "A"},
                                                         "from": {"id": chat, "is_bot": False, "first_name": "A"}}}
    assert client.post("/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}).status_code == 200
    server.wait_for_update(update["update_id"])
    # the answer first; a first contact also ends with the privacy notice (bot/people/privacy.py)
    assert server.telegram_api.sent_texts(chat)[-1].split("\n\n")[0] == "Anh/chị vừa gửi: xin chào"
    server.assert_no_errors()
