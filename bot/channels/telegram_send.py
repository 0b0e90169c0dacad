"""Telegram, the sending side: a :class:`bot.conversation.engine.Reply` rendered as Bot API messages, and the outbox's sender.

- Text is split under Telegram's 4,096-character limit at paragraph, line or word boundaries (a word is cut
  only when it alone is longer than a message), then HTML-escaped chunk by chunk, so no entity is ever cut.
- Buttons become an inline keyboard under the last chunk. ``callback_data`` holds at most 64 bytes and Rasa
  payloads can be longer, so each payload is kept in the ``telegram_buttons`` table of the store's SQLite file
  under a short id derived from the payload: a tap still works after a restart, and the table grows only with
  distinct payloads.
- Attachments: ``kind == "photo"`` goes out with sendPhoto, anything else with sendDocument (bytes, filename,
  caption cut to 1,024 characters).
- :class:`TelegramSender` is :class:`bot.delivery.errors.ChannelSender` for Telegram: it turns PTB's errors into
  :class:`bot.delivery.errors.DeliveryError` (flood control -> ``retry_after``; time-outs, network and 5xx errors ->
  transient; a user who blocked the bot or a chat that does not exist -> permanent, try another channel).

Limits: https://core.telegram.org/bots/api#sendmessage (text 1-4096 characters after entities parsing),
#senddocument (caption 0-1024), #inlinekeyboardbutton (callback_data 1-64 bytes); PTB exposes them as
``telegram.constants.MessageLimit`` and ``InlineKeyboardButtonLimit``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import logging
import re
import warnings
from typing import Any, Dict, List, Optional, Sequence, Union

import sqlite_utils
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.db import transaction
from bot.delivery.errors import DeliveryError
from bot.delivery.text import shorten
from bot.delivery.text import split_text as text_split
from bot.timeutil import utc_iso

log = logging.getLogger(__name__)

TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH            # 4096
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH          # 1024
CALLBACK_DATA_LIMIT = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA  # 64 bytes
BUTTON_PREFIX = "b:"   # callback_data "b:<id>": the payload is in the telegram_buttons table
INLINE_PREFIX = "p:"   # callback_data "p:<payload>": short payload carried as is (senders without a store)
CHOOSE_PROMPT = "Anh/chị chọn một mục dưới đây:"
# Bad Request descriptions that mean the account cannot be reached on Telegram at all.
UNREACHABLE = ("chat not found", "user not found", "peer_id_invalid", "chat_id is empty", "have no rights to send")


def split_text(text: str, limit: int = TEXT_LIMIT) -> List[str]:
    """``text`` cut into Telegram messages (see :func:`bot.delivery.text.split_text`)."""
    return text_split(text, limit)


def escape(text: str) -> str:
    """Text for ``parse_mode=HTML``: ``<``, ``>`` and ``&`` as entities (https://core.telegram.org/bots/api#html-style)."""
    return html.escape(text, quote=False)


class ButtonPayloads:
    """Button payloads kept in the ``telegram_buttons`` table under short ids (callback_data holds 64 bytes)."""

    TABLE = "telegram_buttons"

    KNOWN_LIMIT = 10_000  # payloads whose row is known to exist, kept in memory (rows are never deleted)

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self._known: Dict[str, str] = {}  # payload -> id, for payloads already stored

    def key(self, payload: str) -> str:
        """The short id of ``payload`` (stored on first use; the same payload always gets the same id)."""
        known = self._known.get(payload)
        if known is not None:
            return known
        digest = base64.urlsafe_b64encode(hashlib.sha256(payload.encode("utf-8")).digest()).decode("ascii")
        for length in (16, 24, 43):
            key = digest[:length]
            with transaction(self.db.conn):
                self.db.execute(f"insert or ignore into {self.TABLE} (id, payload, created_at) values (?, ?, ?)",
                                [key, payload, utc_iso()])
            if self.payload(key) == payload:
                if len(self._known) >= self.KNOWN_LIMIT:
                    self._known.clear()
                self._known[payload] = key
                return key
        raise RuntimeError("button payload id collision")  # 2**-258: not in this universe

    def payload(self, key: str) -> Optional[str]:
        """The payload stored under ``key``, or None."""
        rows = list(self.db.query(f"select payload from {self.TABLE} where id = ?", [key]))
        return rows[0]["payload"] if rows else None


def callback_data(payload: str, payloads: Optional[ButtonPayloads]) -> Optional[str]:
    """The ``callback_data`` of a button with ``payload`` (None when it cannot be carried)."""
    if payloads is not None:
        return BUTTON_PREFIX + payloads.key(payload)
    inline = INLINE_PREFIX + payload
    return inline if len(inline.encode("utf-8")) <= CALLBACK_DATA_LIMIT else None


def resolve_callback(data: Optional[str], payloads: Optional[ButtonPayloads]) -> Optional[str]:
    """The payload a tapped button carries, or None when it is unknown (a stale or forged button)."""
    data = data or ""
    if data.startswith(BUTTON_PREFIX) and payloads is not None:
        return payloads.payload(data[len(BUTTON_PREFIX):])
    if data.startswith(INLINE_PREFIX):
        return data[len(INLINE_PREFIX):] or None
    return None


def keyboard(buttons: Sequence[Dict[str, str]], payloads: Optional[ButtonPayloads]) -> Optional[InlineKeyboardMarkup]:
    """Rasa buttons as an inline keyboard, one button a row (titles stay readable on a phone)."""
    rows = []
    for button in buttons or []:
        title, payload = str(button.get("title") or "").strip(), str(button.get("payload") or "")
        data = callback_data(payload, payloads) if title and payload else None
        if data is None:
            log.warning("telegram: button %r left out (no title, no payload, or a payload too long without a store)", title)
            continue
        rows.append([InlineKeyboardButton(title, callback_data=data)])
    return InlineKeyboardMarkup(rows) if rows else None


def message_count(reply: Any) -> int:
    """How many Bot API messages :func:`send_reply` sends for ``reply`` (for a sender's rate budget)."""
    chunks = len(split_text(reply.text)) or (1 if reply.buttons else 0)
    return chunks + len(reply.attachments)


async def send_reply(bot: Bot, chat_id: Union[int, str], reply: Any, payloads: Optional[ButtonPayloads] = None) -> List[Message]:
    """Send one reply: text in chunks (keyboard under the last), then each attachment; returns the messages."""
    chunks = split_text(reply.text)
    markup = keyboard(reply.buttons, payloads)
    if markup is not None and not chunks:
        chunks = [CHOOSE_PROMPT]
    sent = []
    for index, chunk in enumerate(chunks):
        sent.append(await bot.send_message(chat_id, escape(chunk), parse_mode=ParseMode.HTML,
                                           reply_markup=markup if index == len(chunks) - 1 else None))
    for attachment in reply.attachments:
        caption = escape(shorten(attachment.caption, CAPTION_LIMIT)) or None
        if attachment.kind == "photo":
            sent.append(await bot.send_photo(chat_id, photo=attachment.content, filename=attachment.filename,
                                             caption=caption, parse_mode=ParseMode.HTML))
        else:
            sent.append(await bot.send_document(chat_id, document=attachment.content, filename=attachment.filename,
                                                caption=caption, parse_mode=ParseMode.HTML))
    return sent


def _seconds(value: Union[int, float, dt.timedelta]) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def delivery_error(error: TelegramError) -> DeliveryError:
    """What a PTB error means for the outbox (see :class:`bot.delivery.errors.DeliveryError`)."""
    reason = f"telegram: {error.message}"
    if isinstance(error, RetryAfter):
        with warnings.catch_warnings():  # PTB 22 warns that retry_after becomes a timedelta; both are handled
            warnings.simplefilter("ignore")
            return DeliveryError(reason, retry_after=_seconds(error.retry_after))
    if isinstance(error, Forbidden):  # blocked by the user, deactivated, kicked from the group
        return DeliveryError(reason, permanent=True, other_channel=True)
    if isinstance(error, ChatMigrated):  # a group became a supergroup: this id is gone
        return DeliveryError(f"{reason} (new chat id {error.new_chat_id})", permanent=True, other_channel=True)
    if isinstance(error, BadRequest):  # BadRequest is a NetworkError in PTB: test it first
        unreachable = any(marker in error.message.lower() for marker in UNREACHABLE)
        return DeliveryError(reason, permanent=True, other_channel=unreachable)
    if isinstance(error, InvalidToken):  # our configuration: retry once it is fixed
        return DeliveryError(reason)
    if isinstance(error, (TimedOut, NetworkError)):  # time-outs, connection errors, 5xx
        return DeliveryError(reason)
    return DeliveryError(reason)


def chat_id_of(channel_user_id: str) -> Union[int, str]:
    """A stored channel user id as a Bot API chat id (an integer, or an ``@channel`` name)."""
    value = str(channel_user_id).strip()
    return int(value) if re.fullmatch(r"-?\d+", value) else value


class TelegramSender:
    """The outbox's sending side for Telegram (:class:`bot.delivery.errors.ChannelSender`)."""

    channel = "telegram"

    def __init__(self, bot: Bot, payloads: Optional[ButtonPayloads] = None) -> None:
        self.bot = bot
        self.payloads = payloads

    async def send(self, channel_user_id: str, reply: Any) -> None:
        """Deliver ``reply`` to the chat ``channel_user_id`` or raise :class:`DeliveryError`.

        A reply sent as several messages that fails half-way raises too; a retry sends it whole again.
        """
        try:
            await send_reply(self.bot, chat_id_of(channel_user_id), reply, self.payloads)
        except TelegramError as error:
            raise delivery_error(error) from error

    def message_count(self, reply: Any) -> int:
        """How many messages ``reply`` takes on Telegram."""
        return message_count(reply)
