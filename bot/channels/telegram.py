"""Telegram channel: python-telegram-bot (PTB) 22 in the process's own event loop, over the channel-neutral assistant.

Settings (``settings.env``, read by :meth:`TelegramConfig.from_settings`):

- ``MOTCUA_TELEGRAM_TOKEN``: the bot token from @BotFather; absent -> Telegram is off.
- ``MOTCUA_TELEGRAM_MODE``: ``polling`` (default: the bot asks Telegram for updates) or ``webhook``.
- ``MOTCUA_TELEGRAM_API_URL``: the Bot API server (default https://api.telegram.org; tests use a stand-in).
- ``MOTCUA_TELEGRAM_WEBHOOK_URL``: the public HTTPS URL Telegram calls in webhook mode, e.g.
  ``https://motcua.example.vn/telegram/webhook`` (a URL without a path gets ``/telegram/webhook``).
- ``MOTCUA_TELEGRAM_SECRET``: webhook mode's secret token (1-256 of ``A-Z a-z 0-9 _ -``, Bot API setWebhook),
  required there: Telegram sends it in ``X-Telegram-Bot-Api-Secret-Token`` and anything else is refused (403).

The application is started part by part (``initialize()``, ``start()``, ``updater.start_polling()``), never with
``run_polling()``/``run_webhook()``, which own the event loop and would fight the web chat's (PTB issues #3687,
#4702). In webhook mode PTB's own tornado server is not used: ``POST /telegram/webhook`` is mounted on the web
chat's aiohttp app and hands each update to ``application.update_queue`` (PTB's "custom webhook" example).

Commands: /start, /help, /hoso <mã>, /dangky [mã], /huy, /quyenriengtu and /xoadulieu (personal data: the desk
before the NLU answers them), and two not in the menu: /moi <mã mời> (an invited person
takes their role) and /taomoi <vai trò> <bộ phận> (an admin makes an invite), both payloads the invite actions
judge, like the officials' /baocao, /chiso, /nhiemvu and /ratsoat (payloads of ask_report, ask_indicators, ask_tasks,
ask_legal_review, whose actions check the role); /ketthuc ends a conversation with an official (the engine's desk
takes it) and /phananh is the ``petition`` payload; any other command gets :data:`bot.phrases.REFUSAL`, the words an official command gets from someone whose
role may not run it, so neither tells which commands exist. Any other text goes to ``assistant.handle`` as
``telegram:<chat id>``; button taps feed the button's payload back as the user's message. Every account is
recorded with ``store.users.seen("telegram", chat_id, name)``. Rendering and the outbox's sender are in
:mod:`bot.channels.telegram_send`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Dict, List, Mapping, Optional
from urllib.parse import urlparse

from aiohttp import web
from telegram import BotCommand, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.channels.http import read_body
from bot.channels.late_replies import send_now_or_later
from bot.channels.ratelimit import RateLimiter
from bot.channels.telegram_send import ButtonPayloads, TelegramSender, delivery_error, resolve_callback, send_reply
from bot.people.users import conversation_id
from bot.phrases import FILE_REPLY, MEDIA_REPLY, REFUSAL

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_WEBHOOK_BODY = 1024 * 1024  # an Update with a long message and the message it replies to stays far below
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")  # Bot API setWebhook: secret_token

START_TEXT = (
    "Em chào anh/chị! Em là trợ lý ảo của Bộ phận Một cửa phường.\n"
    "Em có thể:\n"
    "• hướng dẫn thủ tục hành chính: giấy tờ, lệ phí, thời hạn, nơi nộp, mẫu đơn;\n"
    "• tra cứu hồ sơ: /hoso <mã hồ sơ>;\n"
    "• báo tin khi hồ sơ có thay đổi: /dangky <mã hồ sơ>.\n"
    "Anh/chị cứ gõ câu hỏi, hoặc chọn một câu hay gặp:"
)
START_BUTTONS = [
    {"title": "Khai sinh cần giấy tờ gì?", "payload": "đăng ký khai sinh cần giấy tờ gì"},
    {"title": "Lệ phí chứng thực bản sao", "payload": "lệ phí chứng thực bản sao bao nhiêu"},
    {"title": "Tra cứu hồ sơ", "payload": "tra cứu hồ sơ"},
    {"title": "Giờ làm việc, địa chỉ", "payload": "giờ làm việc của bộ phận một cửa"},
]
HELP_TEXT = (
    "Cách dùng trợ lý:\n"
    "• Gõ câu hỏi bằng tiếng Việt, có dấu hay không dấu đều được, ví dụ: \"đăng ký khai sinh cần giấy tờ gì\", "
    "\"lệ phí chứng thực bao nhiêu\".\n"
    "• /hoso <mã hồ sơ>: xem tình trạng hồ sơ.\n"
    "• /dangky: đồng ý nhận thông báo; /dangky <mã hồ sơ>: nhận tin khi hồ sơ thay đổi.\n"
    "• /huy: dừng mọi thông báo.\n"
    "• /quyenriengtu: dữ liệu em lưu và quyền của anh/chị; /xoadulieu: xem và xóa dữ liệu.\n"
    "• Gõ \"gặp cán bộ\" nếu cần cán bộ hỗ trợ."
)
COMMANDS = [
    BotCommand("start", "Bắt đầu, các câu hay hỏi"),
    BotCommand("help", "Cách dùng trợ lý"),
    BotCommand("hoso", "Tra cứu hồ sơ: /hoso <mã hồ sơ>"),
    BotCommand("dangky", "Nhận thông báo (kèm mã hồ sơ để theo dõi)"),
    BotCommand("huy", "Dừng nhận thông báo"),
    BotCommand("quyenriengtu", "Dữ liệu được lưu và quyền của anh/chị"),
    BotCommand("xoadulieu", "Xem và xóa dữ liệu của anh/chị"),
]
MEDIA_TEXT = MEDIA_REPLY  # stickers, voice notes, locations: the words every channel uses (bot/phrases.py)
UNKNOWN_COMMAND_TEXT = REFUSAL  # the same words as a refused official command
STALE_BUTTON_TEXT = "Nút này đã cũ, anh/chị gõ lại câu hỏi giúp em nhé."
ERROR_TEXT = "Xin lỗi anh/chị, em đang gặp trục trặc. Anh/chị thử lại sau ít phút giúp em."


class TelegramConfigError(ValueError):
    """A Telegram setting that cannot work."""


@dataclass(frozen=True)
class TelegramConfig:
    """How to reach Telegram and receive its updates."""

    token: str = field(repr=False)  # secrets stay out of any log that prints the config
    mode: str = "polling"
    api_url: str = "https://api.telegram.org"
    webhook_url: str = ""
    secret: str = field(default="", repr=False)
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    write_timeout: float = 10.0
    media_write_timeout: float = 30.0
    pool_timeout: float = 5.0
    poll_timeout: int = 10  # seconds a getUpdates long poll waits for news
    concurrent_updates: int = 8  # other chats go on while one waits; one chat's messages keep their order (_Deps)
    typing_after: float = 1.0  # seconds an answer may take before the chat shows "typing…" (most take < 0.2 s)

    @classmethod
    def from_settings(cls, settings: Any) -> Optional["TelegramConfig"]:
        """The Telegram settings of ``settings.env``; None when no token is configured (Telegram off)."""
        env: Mapping[str, str] = getattr(settings, "env", settings) or {}
        token = (env.get("MOTCUA_TELEGRAM_TOKEN") or "").strip()
        if not token:
            return None
        config = cls(
            token=token,
            mode=(env.get("MOTCUA_TELEGRAM_MODE") or "polling").strip().lower(),
            api_url=(env.get("MOTCUA_TELEGRAM_API_URL") or "https://api.telegram.org").strip().rstrip("/"),
            webhook_url=(env.get("MOTCUA_TELEGRAM_WEBHOOK_URL") or "").strip(),
            secret=(env.get("MOTCUA_TELEGRAM_SECRET") or "").strip(),
        )
        config.check()
        return config

    def check(self) -> None:
        """Raise :class:`TelegramConfigError` (in Vietnamese, for whoever deploys) when the settings cannot work."""
        if self.mode not in ("polling", "webhook"):
            raise TelegramConfigError(f"MOTCUA_TELEGRAM_MODE phải là \"polling\" hoặc \"webhook\", không phải {self.mode!r}.")
        if self.mode == "webhook":
            if not self.webhook_url:
                raise TelegramConfigError("Chế độ webhook cần MOTCUA_TELEGRAM_WEBHOOK_URL (địa chỉ công khai Telegram sẽ gọi).")
            if not SECRET_PATTERN.fullmatch(self.secret):
                raise TelegramConfigError("Chế độ webhook cần MOTCUA_TELEGRAM_SECRET: 1–256 ký tự A-Z, a-z, 0-9, _ hoặc -.")

    @property
    def public_webhook_url(self) -> str:
        """The URL given to setWebhook (``/telegram/webhook`` added when the URL has no path)."""
        if urlparse(self.webhook_url).path in ("", "/"):
            return self.webhook_url.rstrip("/") + WEBHOOK_PATH
        return self.webhook_url


@dataclass
class TelegramHandle:
    """A running Telegram channel: the PTB application and a sender for the outbox over its bot."""

    application: Application
    config: TelegramConfig
    sender: TelegramSender


@dataclass
class _Deps:
    assistant: Any
    store: Any
    payloads: ButtonPayloads
    typing_after: float = 1.0
    limiter: Optional[RateLimiter] = None
    chat_locks: Dict[int, asyncio.Lock] = field(default_factory=dict)

    @contextlib.asynccontextmanager
    async def one_at_a_time(self, chat_id: int) -> AsyncIterator[None]:
        """One message of a chat at a time, in arrival order: updates run concurrently (``concurrent_updates``)."""
        lock = self.chat_locks.setdefault(chat_id, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and self.chat_locks.get(chat_id) is lock:
                del self.chat_locks[chat_id]


def _deps(context: ContextTypes.DEFAULT_TYPE) -> _Deps:
    return context.bot_data["motcua"]


def build_application(config: TelegramConfig) -> Application:
    """A PTB application for ``config``: its Bot API URL and time-outs (a slow server gives ``TimedOut``, not a hang)."""
    builder = (
        Application.builder()
        .token(config.token)
        .base_url(f"{config.api_url}/bot")
        .base_file_url(f"{config.api_url}/file/bot")
        .connect_timeout(config.connect_timeout)
        .read_timeout(config.read_timeout)
        .write_timeout(config.write_timeout)
        .media_write_timeout(config.media_write_timeout)
        .pool_timeout(config.pool_timeout)
        .get_updates_connect_timeout(config.connect_timeout)
        .get_updates_read_timeout(config.read_timeout)  # PTB adds the long-poll timeout to it
        .get_updates_pool_timeout(config.pool_timeout)
        .concurrent_updates(config.concurrent_updates)
    )
    if config.mode == "webhook":
        builder = builder.updater(None)
    return builder.build()


def build_bot(config: TelegramConfig) -> Any:
    """A bot with ``config``'s URL and time-outs, for sending only (use ``async with bot:`` around its use)."""
    return build_application(config).bot


# handlers ---------------------------------------------------------------------------------------
async def rate_limit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Before anything else: a chat over its rate limit (bot/channels/ratelimit.py) is told once to slow down and its
    update goes no further (no reply, no assistant)."""
    deps, chat = _deps(context), update.effective_chat
    if deps.limiter is None or chat is None:
        return
    verdict = deps.limiter.check(conversation_id("telegram", str(chat.id)))
    if verdict.allowed:
        return
    if verdict.notify:
        log.info("telegram: chat %s over its rate limit", chat.id)
        try:
            await _answer(update, context, verdict.text)
        except TelegramError as error:
            log.warning("telegram: could not tell chat %s to slow down: %s", chat.id, error)
    raise ApplicationHandlerStop


async def record_user(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record the account behind every update (runs before the other handlers). An update with no chat to answer
    (a kind the bot does not ask for, or a message whose chat is missing) goes no further, except a button tap,
    which is answered without one."""
    chat = update.effective_chat
    if chat is None:
        if update.callback_query is None:
            raise ApplicationHandlerStop
        return
    user = update.effective_user
    name = user.full_name if user is not None and chat.type == chat.PRIVATE else (chat.title or chat.full_name or "")
    _deps(context).store.users.seen("telegram", str(chat.id), name)


async def _answer(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, buttons: Optional[list] = None) -> None:
    """Send one text (with buttons) to the chat of ``update``."""
    from bot.delivery.reply import Reply

    await _send_now_or_later(context, update.effective_chat.id, [Reply(text, list(buttons or []))], f"telegram:{update.update_id}")


async def _typing_if_slow(bot: Any, chat_id: int, after: float) -> None:
    """Show "typing…" in the chat once the answer has taken ``after`` seconds (a quick answer needs no sign,
    and skipping it spares a Bot API call per message)."""
    await asyncio.sleep(after)
    try:
        await bot.send_chat_action(chat_id, ChatAction.TYPING)
    except TelegramError:
        pass  # only a courtesy


async def converse(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """Pass ``text`` to the assistant as the chat's message and send back its replies."""
    from bot.delivery.reply import Reply

    deps, chat_id = _deps(context), update.effective_chat.id
    async with deps.one_at_a_time(chat_id):  # the first await: tasks reach it in the order updates arrived
        typing = asyncio.ensure_future(_typing_if_slow(context.bot, chat_id, deps.typing_after))
        try:
            replies = await deps.assistant.handle(conversation_id("telegram", str(chat_id)), text)
        except Exception:
            log.exception("telegram: the assistant failed on a message in chat %s", chat_id)
            replies = [Reply(ERROR_TEXT)]
        finally:
            typing.cancel()
        await _send_now_or_later(context, chat_id, replies, f"telegram:{update.update_id}")


async def _send_now_or_later(context: ContextTypes.DEFAULT_TYPE, chat_id: int, replies: List[Any], key: str) -> int:
    """Send ``replies`` to the chat now; what Telegram refuses for a while (flood control, time-outs, 5xx) goes through
    the outbox (bot/channels/late_replies.py) instead of being lost."""
    deps = _deps(context)

    async def send(reply: Any) -> None:
        try:
            await send_reply(context.bot, chat_id, reply, deps.payloads)
        except TelegramError as error:
            raise delivery_error(error) from error

    return await send_now_or_later(send, replies, store=deps.store, channel="telegram", channel_user_id=str(chat_id), key=key,
                                   clock=time.time)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start: greet, say what the assistant does, offer common questions as buttons; the privacy notice the first
    time (bot/people/privacy.py)."""
    from bot.timeutil import now_vn

    notice = _deps(context).store.desk.first_contact(conversation_id("telegram", str(update.effective_chat.id)), now_vn())
    await _answer(update, context, f"{START_TEXT}\n\n{notice}" if notice else START_TEXT, START_BUTTONS)


async def quyenriengtu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/quyenriengtu: what is kept, why, how long, the rights (the desk before the NLU answers, bot/people/desk.py)."""
    await converse(update, context, "/quyenriengtu")


async def xoadulieu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/xoadulieu: what is held and a confirmation button, then the erasure (the desk, bot/people/desk.py)."""
    await converse(update, context, ("/xoadulieu " + " ".join(context.args or [])).strip()[:100])


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: the commands and example questions."""
    await _answer(update, context, HELP_TEXT)


async def hoso(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/hoso <mã>: look a dossier up through the assistant, as if the user typed the code."""
    code = " ".join(context.args or []).strip()
    await converse(update, context, f"tra cứu hồ sơ {code}" if code else "tra cứu hồ sơ")


async def dangky(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/dangky [mã]: consent to notifications and, with a dossier code, follow it (the ``subscribe`` action decides)."""
    code = " ".join(context.args or []).strip()
    await converse(update, context, "/subscribe" + (json.dumps({"dossier_code": code}, ensure_ascii=False) if code else ""))


async def huy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/huy: withdraw consent and every subscription (the ``unsubscribe`` action)."""
    await converse(update, context, "/unsubscribe")


async def moi(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/moi <mã mời>: redeem an invite (the ``redeem_invite`` action checks the code and gives the role)."""
    code = " ".join(context.args or []).strip()[:100]
    await converse(update, context, "/redeem_invite" + (json.dumps({"invite_code": code}, ensure_ascii=False) if code else ""))


async def taomoi(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/taomoi <vai trò> <bộ phận>: make an invite (the ``create_invite`` action checks the role and refuses others)."""
    request = " ".join(context.args or []).strip()[:300]
    await converse(update, context, "/create_invite" + (json.dumps({"invite_request": request}, ensure_ascii=False) if request else ""))


async def baocao(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/baocao [kỳ] [excel]: the execution report (the ``report`` action checks the role and refuses others)."""
    await _officials(update, context, "ask_report")


async def chiso(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/chiso [kỳ]: the service indicators (the ``indicators`` action checks the role)."""
    await _officials(update, context, "ask_indicators")


async def nhiemvu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/nhiemvu [quá hạn | <số> <tiến độ %> <ghi chú>]: Resolution-57 tasks (the ``tasks`` action checks the role)."""
    await _officials(update, context, "ask_tasks")


async def ratsoat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ratsoat [ngày]: the legal-basis review of the catalogue (the ``legal_review`` action checks the role)."""
    await _officials(update, context, "ask_legal_review")


async def ketthuc(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ketthuc [#số]: end a conversation with an official (the desk before the NLU decides, bot/people/desk.py)."""
    await converse(update, context, ("/ketthuc " + " ".join(context.args or [])).strip()[:100])


async def phananh(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/phananh [PA-…] [đã xử lý: …]: file a petition, its status, an official's list or answer (the ``petition`` action)."""
    await _officials(update, context, "petition")


async def bantin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/bantin [nội dung | thuvien | solieu | cuatoi]: a team member's broadcast (the ``area_broadcast`` action checks
    the role). The text keeps its lines and may be long (the action says when it is too long)."""
    message = update.effective_message.text or ""
    request = message.split(maxsplit=1)[1].strip()[:2000] if len(message.split(maxsplit=1)) > 1 else ""
    await converse(update, context, "/area_broadcast" + (json.dumps({"officials_request": request}, ensure_ascii=False)
                                                         if request else ""))


async def bantin_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A photo or a file captioned "/bantin <nội dung>": a team member's broadcast with it attached. The file is kept
    (bot/community/broadcasts.py ``save_upload``) only for an account whose role may broadcast; anyone else gets the
    action's refusal and nothing is downloaded."""
    from bot.community.broadcasts import MAX_UPLOAD_BYTES, save_upload
    from bot.people.roles import allowed

    deps, message = _deps(context), update.effective_message
    caption = (message.caption or "").split(maxsplit=1)
    request = caption[1].strip()[:2000] if len(caption) > 1 else ""
    entities = {"officials_request": request}
    user = deps.store.users.find("telegram", str(update.effective_chat.id))
    if allowed(user, "area_broadcast"):
        if message.photo:
            item, filename = message.photo[-1], "anh.jpg"
        else:
            item, filename = message.document, (message.document.file_name or "tep")
        if item.file_size and item.file_size > MAX_UPLOAD_BYTES:
            await _answer(update, context, f"Tệp kèm bản tin phải dưới {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
            return
        try:
            content = bytes(await (await item.get_file()).download_as_bytearray())
            entities["broadcast_file"] = save_upload(deps.store, content, filename)
        except ValueError as error:
            await _answer(update, context, str(error))
            return
        except TelegramError:
            log.exception("telegram: could not download a broadcast file in chat %s", update.effective_chat.id)
            await _answer(update, context, "Em chưa tải được tệp này, anh/chị gửi lại giúp em.")
            return
    await converse(update, context, "/area_broadcast" + json.dumps(entities, ensure_ascii=False))


async def _officials(update: Update, context: ContextTypes.DEFAULT_TYPE, intent: str) -> None:
    request = " ".join(context.args or []).strip()[:300]
    await converse(update, context, f"/{intent}" + (json.dumps({"officials_request": request}, ensure_ascii=False) if request else ""))


async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Free text: a question for the assistant."""
    await converse(update, context, update.effective_message.text or "")


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on an inline button: answer the query, then treat the button's payload as the user's message."""
    query = update.callback_query
    payload = resolve_callback(query.data, _deps(context).payloads)
    if payload is None:
        await query.answer(STALE_BUTTON_TEXT)
        return
    await query.answer()
    if update.effective_chat is not None:
        await converse(update, context, payload)


async def file_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A photo, a file or a video a citizen sends: not read and not downloaded (:data:`bot.phrases.FILE_REPLY`, as on Zalo
    and the web chat); a caption sent with it is answered as a message after that (not a "/…" one: commands are
    typed, as for text)."""
    await _answer(update, context, FILE_REPLY)
    caption = (update.effective_message.caption or "").strip()
    if caption and not caption.startswith("/"):
        await converse(update, context, caption)


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Photos, stickers, voice notes, files, locations: say politely that the assistant reads text."""
    await _answer(update, context, MEDIA_TEXT)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the bot does not have."""
    await _answer(update, context, UNKNOWN_COMMAND_TEXT)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log what a handler raised; the next update is handled as usual."""
    log.error("telegram: error while handling %r", update, exc_info=context.error)


def add_handlers(application: Application) -> None:
    """Register the channel's handlers on ``application``."""
    application.add_handler(TypeHandler(Update, rate_limit), group=-2)
    application.add_handler(TypeHandler(Update, record_user), group=-1)
    messages = filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("start", start, filters=messages))
    application.add_handler(CommandHandler("help", help_command, filters=messages))
    application.add_handler(CommandHandler("hoso", hoso, filters=messages))
    application.add_handler(CommandHandler("dangky", dangky, filters=messages))
    application.add_handler(CommandHandler("huy", huy, filters=messages))
    application.add_handler(CommandHandler("moi", moi, filters=messages))
    application.add_handler(CommandHandler("taomoi", taomoi, filters=messages))
    application.add_handler(CommandHandler("baocao", baocao, filters=messages))
    application.add_handler(CommandHandler("chiso", chiso, filters=messages))
    application.add_handler(CommandHandler("nhiemvu", nhiemvu, filters=messages))
    application.add_handler(CommandHandler("ratsoat", ratsoat, filters=messages))
    application.add_handler(CommandHandler("ketthuc", ketthuc, filters=messages))
    application.add_handler(CommandHandler("phananh", phananh, filters=messages))
    application.add_handler(CommandHandler("bantin", bantin, filters=messages))
    application.add_handler(CommandHandler("quyenriengtu", quyenriengtu, filters=messages))
    application.add_handler(CommandHandler("xoadulieu", xoadulieu, filters=messages))
    application.add_handler(CallbackQueryHandler(button))
    application.add_handler(MessageHandler(messages & filters.COMMAND, unknown_command))
    application.add_handler(MessageHandler(messages & filters.TEXT, text_message))
    application.add_handler(MessageHandler(messages & (filters.PHOTO | filters.Document.ALL)
                                           & filters.CaptionRegex(r"^/bantin(?:@\w+)?(?:\s|$)"), bantin_file))
    application.add_handler(MessageHandler(messages & (filters.PHOTO | filters.Document.ALL | filters.VIDEO), file_message))
    application.add_handler(MessageHandler(messages & filters.ATTACHMENT, not_text))
    application.add_error_handler(on_error)


# webhook ----------------------------------------------------------------------------------------
def attach_webhook(app: web.Application, application: Application, secret: str, path: str = WEBHOOK_PATH) -> None:
    """Mount ``POST path`` on ``app`` (before it starts): updates with the right secret go to PTB's update queue."""
    expected = secret.encode("utf-8")

    async def telegram_webhook(request: web.Request) -> web.Response:
        """Take one update from Telegram."""
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if not expected or not hmac.compare_digest(given, expected):
            log.warning("telegram webhook: refused a request from %s: %s secret token", request.remote,
                        "wrong" if request.headers.get(SECRET_HEADER) else "no")  # never the token itself
            return web.json_response({"ok": False, "error": "forbidden"}, status=403)
        if not application.running:  # not started (or failed to): Telegram keeps the update and retries
            return web.json_response({"ok": False, "error": "not running"}, status=503)
        body = await read_body(request, MAX_WEBHOOK_BODY)
        if body is None:
            return web.json_response({"ok": False, "error": "too large"}, status=413)
        try:
            data = json.loads(body.decode("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not an object")
            update = Update.de_json(data, application.bot)
        except Exception:  # malformed JSON or not an Update: Telegram never sends it, so say so once
            log.warning("telegram webhook: refused a body that is not an Update")
            return web.json_response({"ok": False, "error": "bad update"}, status=400)
        await application.update_queue.put(update)
        return web.json_response({"ok": True})

    app.router.add_post(path, telegram_webhook)


# lifecycle --------------------------------------------------------------------------------------
async def start_telegram(assistant: Any, store: Any, config: TelegramConfig, web_app: Optional[web.Application] = None,
                         limiter: Optional[RateLimiter] = None) -> TelegramHandle:
    """Start the Telegram channel in the running event loop; stop it with :func:`stop_telegram`.

    Webhook mode mounts ``/telegram/webhook`` on ``web_app`` (required, not started yet) and calls setWebhook.
    ``limiter``: the deployment's rate limits (None: none).
    """
    config.check()
    if config.mode == "webhook" and web_app is None:
        raise TelegramConfigError("Chế độ webhook cần ứng dụng web (web chat) để gắn đường dẫn /telegram/webhook.")
    application = build_application(config)
    payloads = ButtonPayloads(store.db)
    application.bot_data["motcua"] = _Deps(assistant, store, payloads, config.typing_after, limiter)
    add_handlers(application)
    if config.mode == "webhook":
        attach_webhook(web_app, application, config.secret)
    await application.initialize()
    try:
        try:
            await application.bot.set_my_commands(COMMANDS)
        except TelegramError as error:
            log.warning("telegram: could not set the command menu: %s", error)
        await application.start()
        if config.mode == "polling":
            await application.updater.start_polling(timeout=config.poll_timeout, allowed_updates=ALLOWED_UPDATES)
        else:
            await application.bot.set_webhook(config.public_webhook_url, secret_token=config.secret, allowed_updates=ALLOWED_UPDATES)
    except BaseException:
        await stop_telegram(TelegramHandle(application, config, TelegramSender(application.bot, payloads)))
        raise
    log.info("telegram: @%s started (%s)", application.bot.username, config.mode)
    return TelegramHandle(application, config, TelegramSender(application.bot, payloads))


async def stop_telegram(handle: Optional[TelegramHandle]) -> None:
    """Stop polling, let running handlers finish, close the bot's connections."""
    if handle is None:
        return
    application = handle.application
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()
