"""The Telegram channel end to end: real python-telegram-bot against the stand-in Bot API server
(tests/standins/telegram_api.py) on 127.0.0.1, with the real trained assistant and SQLite database.

A citizen's message is injected as a Bot API Update; what the citizen would see is read back from the
stand-in's record of the bot's sendMessage/sendDocument calls."""

import asyncio
import datetime as dt
import itertools
import json
import random
import socket

import httpx
import pytest
import telegram
from aiohttp import web
from telegram import Update
from telegram.ext import TypeHandler

from bot.catalogue.documents import docx_text
from bot.channels import webchat
from bot.channels.telegram import (
    FILE_REPLY,
    MEDIA_TEXT,
    START_TEXT,
    TelegramConfig,
    TelegramConfigError,
    build_bot,
    start_telegram,
    stop_telegram,
)
from bot.channels.telegram_send import ButtonPayloads, TelegramSender, split_text
from bot.conversation.engine import MAX_CHARS
from bot.delivery.errors import ChannelSender, DeliveryError
from bot.delivery.reply import Attachment, Reply
from bot.delivery.sender import timed_out_after_sending
from bot.delivery.text import utf16_len
from bot.people.privacy import first_notice
from bot.phrases import EMPTY_MESSAGE_REPLY
from bot.settings import Settings
from tests.standins.telegram_api import TelegramStandIn
from tests.test_assistant import CUT_NOTE, asks_back
from tests.waiting import wait_for_event

pytestmark = pytest.mark.asyncio(loop_scope="session")

DOSSIER = "000.00.12.H49-251120-0031"  # data/samples/demo_dossiers.yml
LONG_PAYLOAD = '/ask_fee{"procedure":"dang-ky-khai-sinh-ket-hop-nhan-cha-me-con"}'
_chat_ids = itertools.count(random.randint(10**9, 2 * 10**9))


def new_chat() -> int:
    """A private chat id no other test uses (conversations live in the session's tracker store)."""
    return next(_chat_ids)


def config_for(api: TelegramStandIn, **overrides) -> TelegramConfig:
    """Channel settings pointing at the stand-in, with a short long-poll so stopping is quick."""
    return TelegramConfig(**{"token": api.token, "api_url": api.base_url, "poll_timeout": 1, "read_timeout": 10, **overrides})


def buttons_of(message: dict) -> list:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


_finished: dict = {}  # stand-in -> ids of the updates its channel has finished with


def watch_finished(api: TelegramStandIn, handle) -> None:
    """Record the id of every update the channel has finished with. PTB runs the handler groups of an update one
    after another, so a handler in a group after the channel's own runs once its replies have all been sent."""
    finished = _finished.setdefault(api, set())

    async def done(update: Update, context) -> None:
        finished.add(update.update_id)

    handle.application.add_handler(TypeHandler(Update, done), group=100)


async def finished_with(api: TelegramStandIn, update_id: int, what: str = "") -> None:
    """Wait until the channel has sent every reply to update ``update_id``."""
    await api.wait_for(lambda: update_id in _finished[api], 30, f"the bot to finish answering update {update_id} {what}")


async def ask(api: TelegramStandIn, chat: int, text: str, replies: int = 1) -> list:
    """The citizen sends ``text``; returns every message the bot sent back (at least ``replies``)."""
    before = len(api.sent_messages(chat))
    update_id = api.push_message(chat, text)
    await finished_with(api, update_id, f"({text[:40]!r})")
    messages = api.sent_messages(chat)[before:]
    assert len(messages) >= replies, messages
    return messages


@pytest.fixture(scope="module")
async def api():
    async with TelegramStandIn() as stand_in:
        yield stand_in


@pytest.fixture(scope="module")
async def channel(api, assistant, store):
    """The channel in polling mode over the stand-in."""
    handle = await start_telegram(assistant, store, config_for(api))
    watch_finished(api, handle)
    yield handle
    await stop_telegram(handle)


# the stand-in itself: behaviour the outbox sender and its benchmark rely on -------------------------
async def test_standin_enforces_telegram_limits_with_retry_after():
    now = [1000.0]
    async with TelegramStandIn(enforce_limits=True, clock=lambda: now[0]) as api:
        async with telegram.Bot(api.token, base_url=api.bot_api_url) as bot:
            await bot.send_message(1, "một")
            with pytest.raises(telegram.error.RetryAfter) as second:
                await bot.send_message(1, "hai")  # same chat within a second
            assert api.calls[-1].response == {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                                              "parameters": {"retry_after": 1}}
            assert second.value.retry_after in (1, dt.timedelta(seconds=1))
            for chat in range(2, 31):
                await bot.send_message(chat, "tin")  # 30 messages in this second
            with pytest.raises(telegram.error.RetryAfter):
                await bot.send_message(99, "tin thứ 31")
            now[0] += 1.0
            await bot.send_message(1, "hai")
            await bot.send_message(99, "tin thứ 31")
    assert [v.limit for v in api.violations] == ["chat", "global"]
    assert api.limit_violations == 2 and api.peak_rate() == 30 and api.peak_chat_rate() == 1


async def test_standin_faults_and_long_polling():
    async with TelegramStandIn() as api:
        async with telegram.Bot(api.token, base_url=api.bot_api_url) as bot:
            api.fail_next(1, 429, retry_after=7)
            with pytest.raises(telegram.error.RetryAfter):
                await bot.send_message(5, "x")
            api.fail_next(1, 500)
            with pytest.raises(telegram.error.NetworkError):
                await bot.send_message(5, "x")
            assert api.sent_messages(5) == []  # a failed send delivered nothing
            first = api.push_message(5, "một")
            api.push_message(5, "hai")
            assert [u.message.text for u in await bot.get_updates(timeout=0)] == ["một", "hai"]
            assert await bot.get_updates(offset=first + 2, timeout=0) == ()  # confirmed updates are gone
            polls = len(api.calls_to("getUpdates"))
            waiting = asyncio.ensure_future(bot.get_updates(offset=first + 2, timeout=30))
            await api.wait_for(lambda: len(api.calls_to("getUpdates")) > polls, 10, "the long poll to reach the stand-in")
            assert not waiting.done() and api.calls_to("getUpdates")[-1].status == 0  # held open: nothing to give yet
            api.push_message(5, "ba")
            assert [u.message.text for u in await waiting] == ["ba"]  # answered as soon as the update came


async def test_standin_refuses_what_telegram_refuses():
    async with TelegramStandIn() as api:
        async with telegram.Bot(api.token, base_url=api.bot_api_url) as bot:
            with pytest.raises(telegram.error.BadRequest, match="too long"):
                await bot.send_message(5, "a" * 4097)
            with pytest.raises(telegram.error.BadRequest, match="parse entities"):
                await bot.send_message(5, "2 < 3 & 4", parse_mode="HTML")
            with pytest.raises(telegram.error.BadRequest, match="(?i)button_data_invalid"):
                await bot.send_message(5, "x", reply_markup=telegram.InlineKeyboardMarkup(
                    [[telegram.InlineKeyboardButton("x", callback_data=LONG_PAYLOAD)]]))


# configuration -----------------------------------------------------------------------------------------
def test_config_from_settings():
    assert TelegramConfig.from_settings(Settings.from_env(env={})) is None  # no token: Telegram off
    config = TelegramConfig.from_settings(Settings.from_env(env={"MOTCUA_TELEGRAM_TOKEN": "1:abc"}))
    assert (config.mode, config.api_url) == ("polling", "https://api.telegram.org")
    webhook = TelegramConfig.from_settings(Settings.from_env(env={
        "MOTCUA_TELEGRAM_TOKEN": "1:abc", "MOTCUA_TELEGRAM_MODE": "webhook", "MOTCUA_TELEGRAM_API_URL": "http://127.0.0.1:9/",
        "MOTCUA_TELEGRAM_WEBHOOK_URL": "https://motcua.example.vn", "MOTCUA_TELEGRAM_SECRET": "s3cret_-X"}))
    assert webhook.api_url == "http://127.0.0.1:9" and webhook.public_webhook_url == "https://motcua.example.vn/telegram/webhook"
    with pytest.raises(TelegramConfigError, match="MOTCUA_TELEGRAM_SECRET"):
        TelegramConfig.from_settings(Settings.from_env(env={
            "MOTCUA_TELEGRAM_TOKEN": "1:abc", "MOTCUA_TELEGRAM_MODE": "webhook", "MOTCUA_TELEGRAM_WEBHOOK_URL": "https://x.vn/"}))
    with pytest.raises(TelegramConfigError, match="MOTCUA_TELEGRAM_MODE"):
        TelegramConfig.from_settings(Settings.from_env(env={"MOTCUA_TELEGRAM_TOKEN": "1:abc", "MOTCUA_TELEGRAM_MODE": "push"}))


def test_split_text_keeps_words_and_limits():
    words = [f"từ{i}" for i in range(1500)]
    chunks = split_text(" ".join(words))
    assert len(chunks) > 1 and all(utf16_len(c) <= 4096 for c in chunks)
    assert [w for c in chunks for w in c.split()] == words
    assert split_text("a " * 2047 + "chứngthực") == [("a " * 2047).strip(), "chứngthực"]  # 4,096 falls inside the word
    assert split_text("x " * 1500 + "\n" + "y " * 1500)[0] == ("x " * 1500).strip()  # a line break beats a space
    assert split_text("x" * 5000) == ["x" * 4096, "x" * 904]  # one "word" longer than a message is cut
    assert all(utf16_len(c) <= 4096 for c in split_text("😀" * 3000))  # emoji count two


# the citizen's side, polling mode ----------------------------------------------------------------------
async def test_question_gets_the_answer_with_an_inline_keyboard(api, channel, store):
    chat = new_chat()
    messages = await ask(api, chat, "đăng ký khai sinh cần giấy tờ gì")
    assert "Đăng ký khai sinh" in messages[0]["text"] and "Giấy tờ cần chuẩn bị" in messages[0]["text"]
    buttons = buttons_of(messages[-1])
    assert "Lệ phí" in [b["text"] for b in buttons]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
    account = store.users.find("telegram", str(chat))
    assert account is not None and account.display_name == "Lan" and account.last_message_at


async def test_tapping_a_button_answers_the_callback_and_the_question(api, channel):
    chat = new_chat()
    question = await ask(api, chat, "đăng ký khai sinh cần giấy tờ gì")
    fee = next(b for b in buttons_of(question[-1]) if b["text"] == "Lệ phí")
    before = len(api.sent_messages(chat))
    query_id = api.push_callback(chat, fee["callback_data"], message_id=question[-1]["message_id"])
    answer = (await api.wait_for_messages(chat, before + 1))[before]
    assert "Lệ phí" in answer["text"] and "Đăng ký khai sinh" in answer["text"]
    assert query_id in [a["callback_query_id"] for a in api.callback_answers]


async def test_a_long_payload_button_still_works_after_a_restart(assistant, store):
    chat = new_chat()
    assert len(LONG_PAYLOAD.encode()) > 64
    async with TelegramStandIn() as api:  # its own server: the module's channel is not polling it
        first = await start_telegram(assistant, store, config_for(api))
        try:
            await first.sender.send(str(chat), Reply("Anh/chị muốn hỏi gì?", [{"title": "Lệ phí", "payload": LONG_PAYLOAD}]))
        finally:
            await stop_telegram(first)
        data = buttons_of(api.sent_messages(chat)[-1])[0]["callback_data"]
        assert len(data.encode()) <= 64
        second = await start_telegram(assistant, store, config_for(api))  # a restarted process finds the same table
        try:
            api.push_callback(chat, data)
            answer = (await api.wait_for_messages(chat, 2))[1]
        finally:
            await stop_telegram(second)
    assert "nhận cha, mẹ, con" in answer["text"].lower() and "Lệ phí" in answer["text"]
    assert ButtonPayloads(store.db).payload(data[2:]) == LONG_PAYLOAD


async def test_form_question_sends_the_guide_as_a_document(api, channel, assistant):
    chat = new_chat()
    await ask(api, chat, "mẫu tờ khai khai sinh", replies=2)
    documents = await api.wait_for(lambda: api.sent_documents(chat))
    guide = documents[0]
    assert guide.filename == "huong-dan-dang-ky-khai-sinh.docx" and guide.caption.startswith("Hướng dẫn hồ sơ")
    direct = [a for r in await assistant.handle(f"test-{new_chat()}", "mẫu tờ khai khai sinh") for a in r.attachments]
    assert docx_text(guide.content) == docx_text(direct[0].content)  # the guide itself, byte for byte inside
    assert docx_text(guide.content).startswith("HƯỚNG DẪN HỒ SƠ: ĐĂNG KÝ KHAI SINH")


async def test_commands(api, channel, store):
    chat = new_chat()
    start = await ask(api, chat, "/start")
    assert start[0]["text"] == f"{START_TEXT}\n\n{first_notice(180)}" and len(buttons_of(start[0])) == 4  # the notice, once
    assert "/xoadulieu" in (await ask(api, chat, "/quyenriengtu"))[0]["text"]
    assert "/hoso" in (await ask(api, chat, "/help"))[0]["text"]
    status = await ask(api, chat, f"/hoso {DOSSIER}")
    assert DOSSIER in status[0]["text"] and "Đang giải quyết" in status[0]["text"]
    assert "mã hồ sơ" in (await ask(api, chat, "/hoso"))[0]["text"]

    await ask(api, chat, "/dangky")
    assert store.users.find("telegram", str(chat)).consent is True
    assert "Mã hồ sơ có dạng" in (await ask(api, chat, "/dangky abc"))[0]["text"]
    assert "chưa tìm thấy" in (await ask(api, chat, "/dangky 000.00.12.H49-991231-9999"))[0]["text"]
    assert store.subscriptions.topics(f"telegram:{chat}") == ["tips"]  # /dangky alone: the ward's tips, as "đăng ký nhận tin"
    assert DOSSIER in (await ask(api, chat, f"/dangky {DOSSIER.lower()}"))[0]["text"]
    assert sorted(store.subscriptions.topics(f"telegram:{chat}")) == [f"dossier:{DOSSIER}", "tips"]

    cancelled = await ask(api, chat, "/huy")
    assert "dừng gửi thông báo" in cancelled[0]["text"]
    assert store.users.find("telegram", str(chat)).consent is False and store.subscriptions.topics(f"telegram:{chat}") == []
    assert "/help" in (await ask(api, chat, "/khongco"))[0]["text"]


async def test_start_button_asks_its_question(api, channel):
    chat = new_chat()
    start = await ask(api, chat, "/start")
    first = buttons_of(start[0])[0]
    api.push_callback(chat, first["callback_data"])
    answer = (await api.wait_for_messages(chat, 2))[1]
    assert "Đăng ký khai sinh" in answer["text"]


async def test_photos_stickers_and_voice_get_a_polite_text_only_reply(api, channel):
    chat = new_chat()
    for index, (kind, expected) in enumerate((("photo", FILE_REPLY), ("sticker", MEDIA_TEXT), ("voice", MEDIA_TEXT)), 1):
        api.push_media(chat, kind)
        assert (await api.wait_for_messages(chat, index))[-1]["text"] == expected


@pytest.mark.parametrize("text", ["<b>x</b>", "'; DROP TABLE users; --", "😀😀😀", "a" * 10_000, "   ", "&amp; <script>"],
                         ids=["html", "sql", "emoji", "10000 a", "spaces", "entity and script"])
async def test_bad_input_gets_a_clear_reply(api, channel, assistant, store, text):
    chat = new_chat()
    messages = await ask(api, chat, text)
    direct = await assistant.handle(f"test-{new_chat()}", text)
    # The chat shows exactly the assistant's replies, character for character (HTML escaped, so Telegram shows
    # it literally), with their buttons: and those replies are the clear ones (see test_assistant.py).
    expected = [(r.text, [b["title"] for b in r.buttons]) for r in direct]
    if text.strip():  # a new chat's first answer ends with the privacy notice (bot/people/privacy.py)
        expected[-1] = (f"{expected[-1][0]}\n\n{first_notice(180)}", expected[-1][1])
    assert [(m["text"], [b["text"] for b in buttons_of(m)]) for m in messages] == expected
    if not text.strip():
        assert [r.text for r in direct] == [EMPTY_MESSAGE_REPLY]
    else:
        assert [r.text for r in direct[:-1]] == ([CUT_NOTE] if len(text) > MAX_CHARS else [])
        assert asks_back(direct[-1], store.catalogue.ids()), direct[-1].as_text()
    assert all(call.status == 200 for call in api.calls_to("sendMessage") if call.params.get("chat_id") == chat)
    assert store.users.find("telegram", str(chat)) is not None


# the sending side (the outbox's TelegramSender) -----------------------------------------------------------
async def test_a_5000_character_reply_arrives_split_without_broken_words(api, channel):
    chat = new_chat()
    words = ("Người nộp hồ sơ mang theo căn cước và giấy chứng sinh của trẻ; lệ phí được miễn. " * 70).split()
    text = " ".join(words)[:5000].rsplit(" ", 1)[0]
    assert len(text) > 4900
    await channel.sender.send(str(chat), Reply(text))
    received = api.sent_texts(chat)
    assert len(received) == 2 and all(len(part) <= 4096 for part in received)
    assert " ".join(received).split() == text.split()


async def test_html_characters_are_escaped(api, channel):
    chat = new_chat()
    text = "Phí: <2.000 đồng> & miễn cho <b>trẻ em</b>"
    await channel.sender.send(str(chat), Reply(text, attachments=[Attachment("document", "a&b.txt", b"x", caption="<mẫu> & tờ khai")]))
    assert api.sent_texts(chat) == [text, "<mẫu> & tờ khai"]  # shown literally, and Telegram accepted the HTML


async def test_photo_attachment_goes_out_with_send_photo(api, channel):
    chat = new_chat()
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    await channel.sender.send(str(chat), Reply("", attachments=[Attachment("photo", "bieu-do.png", png, "image/png", "Biểu đồ")]))
    assert [(p.filename, p.content, p.caption) for p in api.sent_photos(chat)] == [("bieu-do.png", png, "Biểu đồ")]


class ScriptedAssistant:
    """Answers "Trả lời: <text>" at once, except a text starting with "chậm" (slow): that answer is worked out
    only once the test opens ``gate`` (``working`` is set while it waits)."""

    def __init__(self) -> None:
        self.gate, self.working = asyncio.Event(), asyncio.Event()

    async def handle(self, conversation_id: str, text: str, metadata=None) -> list:
        if text.startswith("chậm"):
            self.working.set()
            await self.gate.wait()
        else:
            await asyncio.sleep(0)  # a quick answer still lets the loop run (the typing timer starts), as a real one does
        return [Reply(f"Trả lời: {text}")]


async def test_two_quick_messages_of_one_chat_are_answered_in_order(store):
    """The first question's answer takes longer than the second's: the chat still sees them in order,
    while another chat's question is not held up by the slow one."""
    chat, other = new_chat(), new_chat()
    scripted = ScriptedAssistant()
    async with TelegramStandIn() as api:
        handle = await start_telegram(scripted, store, config_for(api))
        try:
            api.push_message(chat, "chậm: khai sinh cần gì")
            api.push_message(chat, "nhanh: lệ phí bao nhiêu")
            api.push_message(other, "nhanh: giờ làm việc")
            await wait_for_event(scripted.working, 30, "the slow answer to be under way")
            await api.wait_for_messages(other, 1)  # answered while this chat's first answer cannot be finished
            assert api.sent_messages(chat) == []   # the quick second question waits behind the slow first one
            scripted.gate.set()
            await api.wait_for_messages(chat, 2)
        finally:
            scripted.gate.set()
            await stop_telegram(handle)
    assert api.sent_texts(other) == ["Trả lời: nhanh: giờ làm việc"]
    assert api.sent_texts(chat) == ["Trả lời: chậm: khai sinh cần gì", "Trả lời: nhanh: lệ phí bao nhiêu"]


async def test_typing_shows_only_when_an_answer_is_slow(store):
    quick, slow = new_chat(), new_chat()
    scripted = ScriptedAssistant()
    async with TelegramStandIn() as api:
        handle = await start_telegram(scripted, store, config_for(api, typing_after=0.5))
        try:
            api.push_message(quick, "nhanh: lệ phí bao nhiêu")
            await api.wait_for_messages(quick, 1)
            asked_at = api.clock()
            api.push_message(slow, "chậm: khai sinh cần gì")  # answered only when the test says so
            typing = await api.wait_for(lambda: api.calls_to("sendChatAction"), 30, "a typing indicator for the slow answer")
            # The quick answer's indicator, had it not been called off, was due first: its timer started earlier.
            assert [(c.params["chat_id"], c.params["action"]) for c in typing] == [(slow, "typing")]
            assert typing[0].at - asked_at >= 0.5  # not at once: only once the answer has taken typing_after
            scripted.gate.set()
            await api.wait_for_messages(slow, 1)
        finally:
            scripted.gate.set()
            await stop_telegram(handle)
    seen = [(c.method.lower(), c.params["chat_id"]) for c in api.calls if c.method.lower() in ("sendchataction", "sendmessage")]
    assert seen == [("sendmessage", quick), ("sendchataction", slow), ("sendmessage", slow)]


async def test_sender_maps_telegram_failures_for_the_outbox(api):
    async with build_bot(config_for(api)) as bot, build_bot(config_for(api, read_timeout=1.0)) as impatient_bot:
        sender = TelegramSender(bot)
        assert isinstance(sender, ChannelSender) and sender.channel == "telegram"
        chat = new_chat()
        api.fail_next(1, 429, retry_after=5)
        with pytest.raises(DeliveryError) as flood:
            await sender.send(str(chat), Reply("x"))
        assert flood.value.retry_after == 5 and not flood.value.permanent

        for kind in (500, 502):  # Telegram refused: safe to send again
            api.fail_next(1, kind)
            with pytest.raises(DeliveryError) as transient:
                await sender.send(str(chat), Reply("x"))
            assert not transient.value.permanent and transient.value.retry_after is None, kind
            assert not timed_out_after_sending(transient.value), kind

        # Telegram answers after 30 s; this client gives up after 1 s (both timers run in this event loop): it may
        # have taken the message, so a resend is flagged in doubt.
        api.fail_next(1, "slow", delay=30)
        with pytest.raises(DeliveryError) as timed_out:
            await TelegramSender(impatient_bot).send(str(chat), Reply("x"))
        assert not timed_out.value.permanent and timed_out.value.retry_after is None
        assert timed_out_after_sending(timed_out.value)

        api.block(chat)
        with pytest.raises(DeliveryError) as blocked:
            await sender.send(str(chat), Reply("x"))
        assert blocked.value.permanent and blocked.value.other_channel
        api.unblock(chat)

        api.fail_next(1, "chat_not_found")
        with pytest.raises(DeliveryError) as missing:
            await sender.send(str(chat), Reply("x"))
        assert missing.value.permanent and missing.value.other_channel

        await sender.send(str(chat), Reply("Hồ sơ của anh/chị đã có kết quả."))
        assert api.sent_texts(chat)[-1] == "Hồ sơ của anh/chị đã có kết quả."


# webhook mode ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
async def webhook(assistant, store):
    """The web chat app with the Telegram webhook mounted, serving on a free port, over its own stand-in."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    async with TelegramStandIn() as api:
        app = webchat.create_app(assistant)
        config = config_for(api, mode="webhook", webhook_url=f"http://127.0.0.1:{port}/telegram/webhook", secret="s3cret-Token_1")
        handle = await start_telegram(assistant, store, config, web_app=app)
        watch_finished(api, handle)
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        try:
            yield api, f"http://127.0.0.1:{port}"
        finally:
            await stop_telegram(handle)
            await runner.cleanup()


async def test_webhook_mode_answers_updates_telegram_posts(webhook):
    api, _ = webhook
    assert api.webhook["url"].endswith("/telegram/webhook") and api.webhook["secret_token"] == "s3cret-Token_1"
    chat = new_chat()
    update_id = api.push_message(chat, "đăng ký khai sinh cần giấy tờ gì")
    messages = await api.wait_for_messages(chat, 1)
    assert "Đăng ký khai sinh" in messages[0]["text"]
    assert (update_id, 200) in api.webhook_deliveries
    assert api.calls_to("getUpdates") == []


async def test_webhook_with_a_wrong_secret_is_refused_and_nothing_is_sent(webhook, assistant):
    api, url = webhook
    chat = new_chat()
    update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": chat, "type": "private", "first_name": "X"},
                                          "from": {"id": chat, "is_bot": False, "first_name": "X"}, "text": "xin chào"}}
    async with httpx.AsyncClient(base_url=url) as client:
        for headers in ({"X-Telegram-Bot-Api-Secret-Token": "wrong"}, {}):
            response = await client.post("/telegram/webhook", content=json.dumps(update), headers=headers)
            assert response.status_code == 403
        good = await client.post("/telegram/webhook", content="not json", headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1"})
        assert good.status_code == 400
        assert (await client.get("/healthz")).status_code == 200  # the web chat still serves beside it
    # Telegram's own delivery of a message of the same chat, with the right secret. One chat's updates are answered
    # one at a time in arrival order, so a refused update, had it been taken, would have been answered before this.
    assert api.sent_messages(chat) == []
    await finished_with(api, api.push_message(chat, "xin chào"), "(the accepted update)")
    greeting = await assistant.handle(f"test-{new_chat()}", "xin chào")
    expected = [r.text for r in greeting]
    expected[-1] = f"{expected[-1]}\n\n{first_notice(180)}"  # the chat's first answer ends with the privacy notice
    assert api.sent_texts(chat) == expected  # that answer alone: nothing for the refused ones
