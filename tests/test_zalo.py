"""The Zalo OA channel end to end: signed events into our webhook, the real assistant, the real httpx client
against the stand-in Zalo API (tests/standins/zalo_api.py), a real SQLite file per test."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import random
from typing import Any, AsyncIterator, Optional

import httpx
import pytest
from aiohttp import web

from bot.catalogue.documents import docx_text
from bot.channels import webchat
from bot.channels.zalo import FILE_REPLY, GREETING, MEDIA_REPLY, ZaloChannel, ZaloConfig, attach_webhook
from bot.channels.zalo_send import TEXT_LIMIT, ZaloSender
from bot.channels.zalo_tokens import TokenManager, TokenStore
from bot.delivery.errors import ChannelSender, DeliveryError, WindowClosed
from bot.delivery.reply import Attachment, Reply
from bot.delivery.text import utf16_len
from bot.people.privacy import first_notice
from bot.phrases import EMPTY_MESSAGE_REPLY as EMPTY_REPLY
from bot.services import Services
from bot.settings import Settings
from tests.standins.zalo_api import ZaloStandIn
from tests.waiting import wait_for_event

CS = "/v3.0/oa/message/cs"
OAUTH = "/v4/oa/access_token"


def new_uid() -> str:
    """A Zalo-like user id: 19 digits, more than a JavaScript number holds exactly."""
    return str(random.randint(10**18, 9 * 10**18))


def ago(**delta: float) -> str:
    return (dt.datetime.now(dt.timezone.utc) - dt.timedelta(**delta)).isoformat(timespec="seconds")


@pytest.fixture
async def zalo() -> AsyncIterator[ZaloStandIn]:
    async with ZaloStandIn() as api:
        yield api


@pytest.fixture
def zstore(tmp_path) -> Services:
    """A fresh database for the channel's users, tokens and windows."""
    return Services.open(tmp_path / "zalo.db")


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


class Served:
    """Our web app with the Zalo webhook mounted, listening on 127.0.0.1."""

    def __init__(self, channel: ZaloChannel, url: str, zalo: ZaloStandIn, http: httpx.AsyncClient) -> None:
        self.channel, self.url, self.zalo, self.http = channel, url, zalo, http

    async def post(self, event: dict) -> httpx.Response:
        return await self.zalo.post_event(self.http, self.url, event)

    async def post_raw(self, body: bytes, headers: dict) -> httpx.Response:
        return await self.http.post(self.url, content=body, headers=headers)

    async def say(self, uid: str, text: str) -> list:
        """The user writes ``text``; the texts the OA sent back."""
        before = len(self.zalo.messages_to(uid))
        response = await self.post(self.zalo.text_event(uid, text))
        assert response.status_code == 200 and response.json() == {"status": "accepted"}
        await self.channel.drain()
        return [m["message"].get("text", "") for m in self.zalo.messages_to(uid)[before:]]


@contextlib.asynccontextmanager
async def serve(assistant: Any, store: Services, zalo: ZaloStandIn, http: httpx.AsyncClient,
                config: Optional[ZaloConfig] = None) -> AsyncIterator[Served]:
    channel = ZaloChannel(config or zalo.config(), assistant, store, http=http)
    app = webchat.create_app(assistant)
    attach_webhook(app, channel)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield Served(channel, f"http://127.0.0.1:{runner.addresses[0][1]}/zalo/webhook", zalo, http)
    finally:
        await runner.cleanup()


@pytest.fixture
async def served(assistant, zstore, zalo, http) -> AsyncIterator[Served]:
    async with serve(assistant, zstore, zalo, http) as s:
        yield s


# settings ---------------------------------------------------------------------------------
def test_config_comes_from_the_settings_and_zalo_is_off_without_an_app_id():
    assert ZaloConfig.from_settings(Settings.from_env(env={})) is None
    config = ZaloConfig.from_settings(Settings.from_env(env={
        "MOTCUA_ZALO_APP_ID": "123", "MOTCUA_ZALO_OA_SECRET": "oa", "MOTCUA_ZALO_APP_SECRET": "app",
        "MOTCUA_ZALO_ACCESS_TOKEN": "at", "MOTCUA_ZALO_REFRESH_TOKEN": "rt"}))
    assert (config.app_id, config.oa_secret, config.app_secret, config.access_token, config.refresh_token) == ("123", "oa", "app", "at", "rt")
    assert (config.api_url, config.oauth_url) == ("https://openapi.zalo.me", "https://oauth.zaloapp.com")


# conversation -----------------------------------------------------------------------------
async def test_a_question_gets_a_reply_with_buttons_and_a_tap_gets_its_answer(served, zstore):
    zalo, uid = served.zalo, new_uid()
    event = zalo.text_event(uid, "đăng ký khai sinh cần giấy tờ gì")
    assert (await served.post(event)).status_code == 200
    await served.channel.drain()

    sent = zalo.messages_to(uid)
    texts = zalo.texts_to(uid)
    assert "Giấy tờ cần chuẩn bị" in "\n".join(texts)
    assert all(utf16_len(t) <= TEXT_LIMIT for t in texts)
    assert all(m["recipient"]["message_id"] == event["message"]["msg_id"] for m in sent)  # an answer, not a proactive message
    buttons = zalo.buttons_to(uid)
    assert "Lệ phí" in [b["title"] for b in buttons]
    assert all(b["type"] == "oa.query.show" and not b["payload"].startswith("/") for b in buttons)  # readable in the chat
    user = zstore.users.find("zalo", uid)
    assert user is not None and user.last_message_at and user.display_name == f"Người dùng {uid[-4:]}"  # from the profile API

    fee = next(b for b in buttons if b["title"] == "Lệ phí")
    before = len(sent)
    assert (await served.post(zalo.tap_event(uid, fee))).status_code == 200
    await served.channel.drain()
    answer = "\n".join(m["message"].get("text", "") for m in zalo.messages_to(uid)[before:])
    assert "Lệ phí" in answer and "khai sinh" in answer.lower()


async def test_asking_for_the_form_sends_the_guide_as_a_zalo_file(served):
    zalo, uid = served.zalo, new_uid()
    texts = await served.say(uid, "cho xin mẫu tờ khai đăng ký khai sinh")
    assert any("Mẫu đơn, tờ khai" in t for t in texts)
    files = zalo.files_to(uid)
    assert [f.filename for f in files] == ["huong-dan-dang-ky-khai-sinh.docx"]
    assert "khai sinh" in docx_text(files[0].content).lower()
    assert len(zalo.calls_to("/v2.0/oa/upload/file")) == 1


async def test_a_file_type_zalo_does_not_take_goes_out_as_its_text(zalo, zstore, http):
    uid = new_uid()
    zstore.users.seen("zalo", uid)
    sender = ZaloSender(zalo.config(), zstore, http)
    note = Attachment("document", "ghi-chu.txt", "Mang theo căn cước khi nộp hồ sơ.".encode(), "text/plain", caption="Ghi chú của phường")
    await sender.send(uid, Reply("", attachments=[note]))
    texts = "\n".join(zalo.texts_to(uid))
    assert "Ghi chú của phường" in texts and "ghi-chu.txt" in texts and "Mang theo căn cước khi nộp hồ sơ." in texts
    assert zalo.calls_to("/v2.0/oa/upload/file") == []


# refusals ---------------------------------------------------------------------------------
async def test_a_forged_event_is_refused_and_changes_nothing(served, zstore):
    zalo, uid = served.zalo, new_uid()
    event = zalo.text_event(uid, "đăng ký khai sinh cần gì")
    body, headers = zalo.signed(event)
    bad_mac = dict(headers, **{"X-ZEvent-Signature": headers["X-ZEvent-Signature"][:-1] + ("0" if headers["X-ZEvent-Signature"][-1] != "0" else "1")})
    no_mac = {"Content-Type": "application/json"}
    tampered = body.replace("khai sinh".encode(), "kết hôn".encode())
    other_secret = ZaloStandIn(oa_secret="not-our-secret")
    wrong_key = {"Content-Type": "application/json", "X-ZEvent-Signature": other_secret.sign(body, event["timestamp"])}
    for raw, hdrs in ((body, bad_mac), (body, no_mac), (tampered, headers), (body, wrong_key)):
        response = await served.post_raw(raw, hdrs)
        assert response.status_code == 401
        assert "chữ ký" in response.json()["error"].lower()
    await served.channel.drain()
    assert zalo.messages_to(uid) == []
    assert zstore.users.find("zalo", uid) is None
    assert zstore.db["zalo_events"].count == 0


async def test_a_replayed_or_stale_event_is_answered_200_but_changes_nothing(served, zstore):
    zalo, uid = served.zalo, new_uid()
    event = zalo.text_event(uid, "xin chào")
    body, headers = zalo.signed(event)
    assert (await served.post_raw(body, headers)).json() == {"status": "accepted"}
    await served.channel.drain()
    sent, seen = len(zalo.messages_to(uid)), zstore.users.find("zalo", uid).last_message_at
    assert sent >= 1

    again = await served.post_raw(body, headers)
    assert again.status_code == 200 and again.json()["reason"] == "replay"
    await served.channel.drain()
    assert len(zalo.messages_to(uid)) == sent and zstore.users.find("zalo", uid).last_message_at == seen

    for shift_ms in (-2 * 3600 * 1000, 3600 * 1000):  # two hours old; an hour in the future
        other = new_uid()
        stale = zalo.text_event(other, "xin chào")
        stale["timestamp"] = str(int(stale["timestamp"]) + shift_ms)
        response = await served.post(stale)
        assert response.status_code == 200 and response.json()["reason"] == "timestamp"
        await served.channel.drain()
        assert zalo.messages_to(other) == [] and zstore.users.find("zalo", other) is None


class Gated:
    """The real assistant behind a gate the test opens: shows what happened before the work."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.gate, self.started = inner, asyncio.Event(), asyncio.Event()

    async def handle(self, *args: Any, **kwargs: Any) -> Any:
        self.started.set()
        await self.gate.wait()
        return await self.inner.handle(*args, **kwargs)


async def test_the_webhook_answers_200_before_the_reply_is_worked_out(assistant, zstore, zalo, http):
    gated = Gated(assistant)
    async with serve(gated, zstore, zalo, http) as s:
        uid = new_uid()
        response = await s.post(zalo.text_event(uid, "lệ phí đăng ký kết hôn"))
        assert response.status_code == 200 and response.json() == {"status": "accepted"}
        await wait_for_event(gated.started, 30, "the reply to be worked out")  # the work runs after the answer...
        assert zalo.messages_to(uid) == []                  # ...and has not replied yet
        gated.gate.set()
        await s.channel.drain()
        assert any("kết hôn" in t.lower() for t in zalo.texts_to(uid))


# tokens -----------------------------------------------------------------------------------
async def test_an_expired_token_is_refreshed_once_and_the_new_pair_is_stored(zalo, zstore, http):
    config = zalo.config()
    uid = new_uid()
    zstore.users.seen("zalo", uid)
    sender = ZaloSender(config, zstore, http)
    await sender.send(uid, Reply("Tin thứ nhất"))
    zalo.expire_access_tokens()

    await asyncio.gather(*(sender.send(uid, Reply(f"Tin {i}")) for i in range(3)))  # three senders hit the expiry at once
    assert zalo.refresh_tokens_sent == [config.refresh_token]
    row = TokenStore(zstore.db, config.app_id).load()
    assert row.state == "valid" and row.refresh_token != config.refresh_token and row.access_token != config.access_token
    assert zalo.refresh_tokens[row.refresh_token] is True
    assert row.expires_at == pytest.approx(zalo.now() + 90000, abs=60)
    assert sorted(zalo.texts_to(uid)) == sorted(["Tin thứ nhất", "Tin 0", "Tin 1", "Tin 2"])
    assert {c.headers["access_token"] for c in zalo.calls_to(CS)[-3:]} == {row.access_token}

    restarted = ZaloSender(config, zstore, http)  # same settings: the stored pair wins over them
    await restarted.send(uid, Reply("Sau khi khởi động lại"))
    assert zalo.calls_to(CS)[-1].headers["access_token"] == row.access_token
    zalo.expire_access_tokens()
    await restarted.send(uid, Reply("Lần hết hạn thứ hai"))
    assert zalo.refresh_tokens_sent == [config.refresh_token, row.refresh_token]  # never a spent one


async def test_the_token_is_refreshed_before_it_expires(zalo, zstore, http):
    config = zalo.config()
    uid = new_uid()
    zstore.users.seen("zalo", uid)
    now = [1_000_000.0]
    tokens = TokenManager(app_id=config.app_id, app_secret=config.app_secret, access_token=config.access_token,
                          refresh_token=config.refresh_token, oauth_url=config.oauth_url, db=zstore.db, http=http,
                          clock=lambda: now[0])
    sender = ZaloSender(config, zstore, http, tokens=tokens)
    zalo.expire_access_tokens()
    await sender.send(uid, Reply("Một"))                   # rejected once, refreshed: expiry now known (90000 s)
    now[0] += 90000 - 120
    zalo.advance(90000 - 120)                              # two minutes left: inside the five-minute margin
    await sender.send(uid, Reply("Hai"))
    assert len(zalo.refresh_tokens_sent) == 2
    rejected = [c for c in zalo.calls_to(CS) if isinstance(c.response, dict) and c.response.get("error") == -216]
    assert len(rejected) == 1                              # the second refresh came before Zalo had to refuse
    assert zalo.texts_to(uid) == ["Một", "Hai"]


async def test_a_refused_refresh_token_is_never_sent_again(zalo, zstore, http):
    uid = new_uid()
    zstore.users.seen("zalo", uid)
    config = zalo.config(access_token="AT-unknown", refresh_token="RT-already-spent")
    sender = ZaloSender(config, zstore, http)
    for _ in range(2):
        with pytest.raises(DeliveryError) as refused:
            await sender.send(uid, Reply("Xin chào"))
        assert refused.value.permanent and refused.value.other_channel and "cấp quyền lại" in refused.value.reason
    assert zalo.refresh_tokens_sent == ["RT-already-spent"]

    fresh = zalo.config()  # the operator authorised the OA again and put the new pair in the settings
    await ZaloSender(fresh, zstore, http).send(uid, Reply("Đã kết nối lại"))
    assert zalo.texts_to(uid) == ["Đã kết nối lại"]


async def test_an_unfinished_refresh_is_not_taken_for_a_valid_pair(zalo, zstore, http):
    """A crash after Zalo issued a new pair but before it was stored: the old pair is not used as if nothing happened."""
    uid = new_uid()
    zstore.users.seen("zalo", uid)
    config = zalo.config()
    store = TokenStore(zstore.db, config.app_id)

    def manager(lease: float) -> TokenManager:
        return TokenManager(app_id=config.app_id, app_secret=config.app_secret, access_token=config.access_token,
                            refresh_token=config.refresh_token, oauth_url=config.oauth_url, db=zstore.db, http=http,
                            lease=lease, wait=0.2)

    manager(60).current()                                              # seeded from the settings
    assert store.claim(config.refresh_token, zalo.now(), 60)           # the refresh started...
    await http.post(zalo.url + OAUTH, headers={"secret_key": config.app_secret},   # ...Zalo answered; then the crash
                    data={"refresh_token": config.refresh_token, "app_id": config.app_id, "grant_type": "refresh_token"})

    with pytest.raises(DeliveryError) as busy:                         # within the lease: wait, do not guess
        await ZaloSender(config, zstore, http, tokens=manager(60)).send(uid, Reply("Một"))
    assert not busy.value.permanent and zalo.calls_to(CS) == []
    assert len(zalo.refresh_tokens_sent) == 1

    after_lease = ZaloSender(config, zstore, http, tokens=manager(0))  # one recovery attempt, then re-authorisation
    for _ in range(2):
        with pytest.raises(DeliveryError) as lost:
            await after_lease.send(uid, Reply("Hai"))
        assert lost.value.permanent and "cấp quyền lại" in lost.value.reason
    assert zalo.refresh_tokens_sent == [config.refresh_token, config.refresh_token]
    assert store.load().state == "reauth" and zalo.texts_to(uid) == []


# failures and the reply window --------------------------------------------------------------
async def test_an_error_at_http_200_is_a_failure(zalo, zstore, http):
    uid = new_uid()
    zstore.users.seen("zalo", uid)
    sender = ZaloSender(zalo.config(), zstore, http)
    assert isinstance(sender, ChannelSender) and sender.channel == "zalo"

    zalo.fail_next(1, "error", code=-200)
    with pytest.raises(DeliveryError) as transient:
        await sender.send(uid, Reply("Một"))
    assert not transient.value.permanent and not isinstance(transient.value, WindowClosed)

    zalo.fail_next(1, "error", code=-230)
    with pytest.raises(WindowClosed) as window:
        await sender.send(uid, Reply("Hai"))
    assert window.value.other_channel and "-230" in window.value.reason

    zalo.fail_next(1, "error", code=-213)
    with pytest.raises(DeliveryError) as unreachable:
        await sender.send(uid, Reply("Ba"))
    assert unreachable.value.permanent and unreachable.value.other_channel

    zalo.fail_next(1, "http500")
    with pytest.raises(DeliveryError) as server:
        await sender.send(uid, Reply("Bốn"))
    assert not server.value.permanent

    async with httpx.AsyncClient(timeout=0.3) as impatient:
        zalo.fail_next(1, "slow", delay=1.0)
        with pytest.raises(DeliveryError) as slow:
            await ZaloSender(zalo.config(), zstore, impatient).send(uid, Reply("Năm"))
        assert not slow.value.permanent

    assert [t for t in zalo.texts_to(uid) if t != "Năm"] == []  # (the slow one may land after the client gave up)
    assert sender.window.sent(uid) == 0                         # failed sends do not use up the free replies


async def test_outside_the_window_the_sender_raises_window_closed(zalo, zstore, http):
    sender = ZaloSender(zalo.config(), zstore, http)
    stranger = new_uid()
    with pytest.raises(WindowClosed):
        await sender.send(stranger, Reply("Thông báo"))

    late = new_uid()
    zstore.users.seen("zalo", late, at=ago(hours=49))
    with pytest.raises(WindowClosed) as closed:
        await sender.send(late, Reply("Hồ sơ của anh/chị đã có kết quả."))
    assert "48 giờ" in closed.value.reason and closed.value.permanent and closed.value.other_channel
    assert zalo.calls_to(CS) == []

    uid = new_uid()
    zstore.users.seen("zalo", uid, at=ago(hours=47))
    for i in range(8):
        await sender.send(uid, Reply(f"Tin {i + 1}"))
    with pytest.raises(WindowClosed) as spent:
        await sender.send(uid, Reply("Tin 9"))
    assert "8" in spent.value.reason and len(zalo.messages_to(uid)) == 8
    zstore.users.seen("zalo", uid)                        # the user writes again: eight more free replies
    await sender.send(uid, Reply("Tin mới"))
    assert zalo.texts_to(uid)[-1] == "Tin mới"


async def test_a_long_text_is_split_without_breaking_words_and_buttons_go_last(zalo, zstore, http):
    uid = new_uid()
    zstore.users.seen("zalo", uid)
    sender = ZaloSender(zalo.config(), zstore, http)
    words = ["thủ", "tục", "đăng", "ký", "khai", "sinh", "😀", "<b>hộ</b>", "tịch", "phường"]
    text = " ".join(random.Random(7).choice(words) for _ in range(1500))
    buttons = [{"title": f"Lựa chọn {i}", "payload": f"/choose_option{{\"n\": {i}}}"} for i in range(1, 7)]
    await sender.send(uid, Reply(text, buttons=buttons))

    sent = zalo.messages_to(uid)
    texts = [m["message"]["text"] for m in sent]
    assert len(texts) >= 3 and all(utf16_len(t) <= TEXT_LIMIT for t in texts)
    assert " ".join(texts[:-1]).split() == text.split()     # every word whole, in order
    with_buttons = [m for m in sent if "attachment" in m["message"]]
    assert with_buttons[0] is sent[-2] and with_buttons[1] is sent[-1]  # on the last chunk, the rest in a follow-up
    assert [b["title"] for b in zalo.buttons_to(uid)] == [b["title"] for b in buttons]


# bad input ---------------------------------------------------------------------------------
async def test_bad_requests_get_a_4xx_and_odd_messages_a_clear_reply(served, zstore, caplog):
    zalo = served.zalo
    event = zalo.text_event(new_uid(), "xin chào")
    body, headers = zalo.signed(event)
    assert (await served.post_raw(body, dict(headers, **{"Content-Type": "text/plain"}))).status_code == 415
    for raw in (b"", b"{not json", b"[1, 2]", "\xff".encode("latin-1"), json.dumps({"event_name": "user_send_text"}).encode()):
        response = await served.post_raw(raw, {"Content-Type": "application/json", "X-ZEvent-Signature": zalo.sign(raw, "0")})
        assert response.status_code == 400 and response.json()["error"]
    huge = json.dumps({**event, "padding": "x" * 300_000}).encode()
    too_large = await served.post_raw(huge, {"Content-Type": "application/json", "X-ZEvent-Signature": zalo.sign(huge, event["timestamp"])})
    assert too_large.status_code == 413 and too_large.headers.get("Connection", "").lower() == "close"  # body unread: no reuse

    caplog.set_level(logging.ERROR, logger="bot.channels")
    uid = new_uid()
    assert (await served.say(uid, "   ")) == [EMPTY_REPLY]
    for odd in ("ạ" * 10_000, "👍🙏😀", "<script>alert('x')</script> đăng ký tạm trú", "'; DROP TABLE users; --"):
        texts = await served.say(uid, odd)
        assert texts and all(t and utf16_len(t) <= TEXT_LIMIT for t in texts)
    assert zstore.users.find("zalo", uid) is not None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_other_user_events_get_a_sensible_action(served, zstore):
    zalo = served.zalo
    uid = new_uid()
    for name in ("user_send_sticker", "user_send_image", "user_send_location"):
        assert (await served.post(zalo.media_event(uid, name))).status_code == 200
    await served.channel.drain()
    assert zalo.texts_to(uid) == [MEDIA_REPLY, FILE_REPLY, MEDIA_REPLY]  # an image: not read, type the code (test_attachments.py)

    follower = new_uid()
    await served.post(zalo.follow_event(follower))
    await served.channel.drain()
    greeting = f"{GREETING}\n\n{first_notice(180)}"  # the first greeting carries the privacy notice, once
    assert zalo.texts_to(follower) == [greeting]
    user = zstore.users.find("zalo", follower)
    zstore.users.set_consent(user.id, True)
    await served.post(zalo.unfollow_event(follower))
    await served.channel.drain()
    assert zstore.users.find("zalo", follower).consent is False and zalo.texts_to(follower) == [greeting]

    visitor = new_uid()
    for _ in range(2):
        await served.post(zalo.chatnow_event(visitor))
        await served.channel.drain()
    assert zalo.texts_to(visitor) == [greeting]            # greeted on first contact only

    oa_side = {**zalo._base("user_seen_message"), "sender": {"id": zalo.oa_id}, "recipient": {"id": new_uid()},
               "message": {"msg_id": "m-1"}}
    response = await served.post(oa_side)
    assert response.status_code == 200 and response.json()["status"] == "ignored"


async def test_user_ids_stay_exact_strings(served, zstore):
    zalo, uid = served.zalo, "2468458835296197922"       # above 2**53: a JavaScript number would round it
    timestamp = str(int(zalo.now() * 1000))
    raw = ('{"app_id":"%s","event_name":"user_send_text","timestamp":"%s","sender":{"id":%s},'
           '"recipient":{"id":%s},"message":{"msg_id":"m-%s","text":"xin chào"}}' % (zalo.app_id, timestamp, uid, zalo.oa_id, timestamp)).encode()
    response = await served.post_raw(raw, {"Content-Type": "application/json", "X-ZEvent-Signature": zalo.sign(raw, timestamp)})
    assert response.status_code == 200
    await served.channel.drain()
    assert zstore.users.find("zalo", uid).channel_user_id == uid
    assert [m["recipient"]["user_id"] for m in zalo.messages_to(uid)] and all(
        m["recipient"]["user_id"] == uid for m in zalo.messages_to(uid))
