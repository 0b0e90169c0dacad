"""A stand-in Telegram Bot API server for tests and benchmarks: real HTTP on 127.0.0.1, real Bot API JSON.

The real client (python-telegram-bot, or httpx) talks to it exactly as to https://api.telegram.org; nothing
is mocked. Start it in the running event loop::

    from tests.standins.telegram_api import TelegramStandIn

    async with TelegramStandIn() as api:                      # port 0: the OS picks a free port
        bot = telegram.Bot(api.token, base_url=f"{api.base_url}/bot")   # or base_url=api.bot_api_url
        await bot.send_message(42, "Xin chào")
        assert api.sent_texts(42) == ["Xin chào"]

What the bot can call (``POST`` or ``GET`` ``/bot<token>/<method>``; JSON, form or multipart bodies, as PTB sends):
getMe, sendMessage, sendDocument, sendPhoto (multipart uploads: the bytes and filename are kept),
answerCallbackQuery, editMessageReplyMarkup, editMessageText, deleteMessage, sendChatAction, getUpdates
(long polling: honours ``offset``, ``limit``, ``timeout``), setWebhook, deleteWebhook (``drop_pending_updates``),
getWebhookInfo, setMyCommands, getMyCommands, deleteMyCommands, logOut, close. Another method answers
404 ``Not Found`` as Telegram does; a wrong token answers 401 ``Unauthorized``.

Like Telegram it refuses (400 ``Bad Request: ...``): an empty text, a text over 4,096 characters or a caption
over 1,024 (counted after HTML parsing, in UTF-16 units), text that is not valid Bot API HTML when
``parse_mode=HTML`` (an unescaped ``<``/``&``, an unsupported or unclosed tag), ``callback_data`` over 64 bytes,
an empty document, a photo whose bytes are not an image. Limits: https://core.telegram.org/bots/api#sendmessage
and #inlinekeyboardbutton; HTML rules: https://core.telegram.org/bots/api#html-style.

Feeding updates to the bot:

- ``api.push_update(dict)`` queues any Update (``update_id`` is assigned when missing) and returns its id.
  Helpers build realistic ones: ``push_message(chat_id, text)`` (a ``/command`` gets its ``bot_command``
  entity, which PTB's ``CommandHandler`` needs), ``push_callback(chat_id, data, message_id=...)`` (returns the
  callback query id), ``push_media(chat_id, "photo"|"sticker"|"voice"|"location")``.
- Without a webhook the update waits for ``getUpdates``. After ``setWebhook(url, secret_token=...)`` the
  stand-in POSTs it to that URL with the ``X-Telegram-Bot-Api-Secret-Token`` header, like Telegram, and
  records ``(update_id, http_status)`` in ``api.webhook_deliveries``; ``getUpdates`` then answers 409.

What the bot did (all plain lists/dicts, newest last):

- ``api.calls``: every request as :class:`Call` (``method``, ``params``, ``files``, ``status``, ``response``).
  ``api.calls_to("sendMessage")`` filters by method.
- ``api.sent_messages(chat_id=None)``: the Message objects the stand-in answered with (``text`` is what the user
  sees, HTML already parsed; ``reply_markup`` as sent; ``document``/``photo`` for files).
  ``api.sent_texts(chat_id)``: their texts or captions. ``api.sent_documents(chat_id)`` /
  ``api.sent_photos(chat_id)``: :class:`Upload` objects (``filename``, ``content`` bytes, ``mime_type``, ``caption``).
- ``api.callback_answers``: the ``answerCallbackQuery`` parameters. ``api.edits``: ``editMessage*`` parameters.
- ``await api.wait_for_messages(chat_id, count, timeout=30)``: wait until the bot has sent ``count`` messages
  to the chat; returns them. ``await api.wait_for(lambda: ..., timeout=30, what="...")`` waits for any condition.
  Both poll until the deadline and then raise ``AssertionError`` saying what they waited for.
  ``api.in_flight`` counts the requests being answered; ``await api.settled()`` waits until there are none
  (a "slow" send records its message only when it answers).
- ``api.push_file(chat_id, content, kind="photo"|"document", caption=..., filename=..., mime_type=...)``: a user
  sends a photo or a file with a caption; ``getFile`` and ``/file/bot<token>/<file_path>`` serve it back.
- ``api.clear()`` forgets everything recorded (not the webhook, the blocked chats or the fault settings).

Faults, for delivery code (they apply to the sending methods in :data:`SEND_METHODS` unless ``methods`` is
given, so a polling loop does not swallow them):

- ``api.fail_next(n=1, kind=429, retry_after=3)``: the next ``n`` sends fail. Kinds: ``429`` (body
  ``{"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 3", "parameters":
  {"retry_after": 3}}``; PTB raises ``RetryAfter``), ``500`` (JSON error), ``502`` (an nginx HTML page, as
  Telegram's front end sends; PTB raises ``NetworkError``), ``"slow"`` (answers only after ``delay`` seconds,
  default 5: give the client a shorter timeout to get ``TimedOut``; the message IS delivered after the delay,
  as a real send may be when the client gave up), ``"blocked"`` (403 ``Forbidden: bot was blocked by the
  user``), ``"chat_not_found"`` (400 ``Bad Request: chat not found``).
- ``api.block(chat_id)``: every send to that chat answers 403 blocked until ``api.unblock(chat_id)``.
- ``api.fault_rate = 0.1``: each send fails with that probability, a kind drawn from ``api.fault_kinds``
  (default ``(429, 500, 502)``) by ``random.Random(seed)`` (``TelegramStandIn(seed=...)``; default 0), so a
  run is reproducible.

Real limits (``TelegramStandIn(enforce_limits=True)``), for benchmarks that must prove a sender keeps to them.
Source: the Bot FAQ, "My bot is hitting limits, how do I avoid this?"
(https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this): "avoid sending more than
one message per second" in a particular chat; bulk notifications: "not more than 30 messages per second or
so"; a group: "not more than 20 messages per minute". Telegram "may allow short bursts"; the stand-in does
not: over 30 accepted sends in any sliding 1-second window, a second send to one chat within 1 second, or a
21st send to one group (negative chat id) within 60 seconds answers 429 with ``retry_after`` = whole seconds
(at least 1) until the send would be allowed. Each refusal is a :class:`Violation` in ``api.violations``
(``api.limit_violations`` counts them); refused sends do not count towards the windows.
``api.peak_rate()`` is the most sends accepted in any 1-second window, ``api.peak_chat_rate()`` the same per chat.
The windows read ``clock`` (default ``time.monotonic``; a test may pass a fake clock to step time itself).
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import math
import random
import re
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Callable, Deque, Dict, Iterable, List, Optional, Tuple, Union

import aiohttp
from aiohttp import web

from tests.waiting import wait_until

DEFAULT_TOKEN = "123456789:AAStandInTokenForTestsOnly_0123456789"
SEND_METHODS = frozenset({
    "sendmessage", "senddocument", "sendphoto", "sendmediagroup", "sendaudio", "sendvideo", "sendvoice",
    "sendanimation", "sendsticker", "sendlocation", "sendcontact", "sendpoll", "copymessage", "forwardmessage",
})
FAULT_KINDS = ("429", "500", "502", "slow", "blocked", "chat_not_found")
MAX_TEXT = 4096      # https://core.telegram.org/bots/api#sendmessage: "1-4096 characters after entities parsing"
MAX_CAPTION = 1024   # https://core.telegram.org/bots/api#senddocument: "0-1024 characters after entities parsing"
MAX_CALLBACK_DATA = 64  # https://core.telegram.org/bots/api#inlinekeyboardbutton: "1-64 bytes"
GLOBAL_PER_SECOND = 30  # Bot FAQ: bulk notifications, "not more than 30 messages per second or so"
CHAT_INTERVAL = 1.0     # Bot FAQ: one chat, "avoid sending more than one message per second"
GROUP_PER_MINUTE = 20   # Bot FAQ: a group, "not more than 20 messages per minute"
# https://core.telegram.org/bots/api#html-style: the tags and named entities Telegram accepts.
HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "tg-emoji",
             "code", "pre", "blockquote"}
HTML_ENTITIES = {"lt", "gt", "amp", "quot"}
JSON_FIELDS = {"reply_markup", "allowed_updates", "entities", "caption_entities", "link_preview_options",
               "reply_parameters", "media", "commands", "scope"}
INT_FIELDS = {"offset", "limit", "timeout", "message_id", "reply_to_message_id", "cache_time", "max_connections",
              "message_thread_id", "from_chat_id"}
BOOL_FIELDS = {"disable_notification", "protect_content", "show_alert", "drop_pending_updates",
               "disable_web_page_preview", "allow_sending_without_reply", "disable_content_type_detection"}
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF", b"BM")
BAD_GATEWAY_PAGE = ("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway"
                    "</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n")


@dataclass
class Upload:
    """A file the bot uploaded (sendDocument/sendPhoto), with the message that carried it."""

    method: str
    chat_id: Union[int, str]
    field: str
    filename: str
    content: bytes
    mime_type: str
    caption: str = ""
    file_id: str = ""
    message_id: int = 0


@dataclass
class Call:
    """One request the bot made: method (as called), parameters (decoded), files, HTTP status and answer."""

    method: str
    params: Dict[str, Any]
    files: Dict[str, Upload] = field(default_factory=dict)
    status: int = 0
    response: Any = None
    at: float = 0.0


@dataclass
class Violation:
    """A send refused under ``enforce_limits``: which limit (``global``/``chat``/``group``), where, when."""

    limit: str
    chat_id: Union[int, str]
    at: float
    retry_after: int


@dataclass
class _Fault:
    kind: str
    retry_after: int
    delay: float
    methods: frozenset


class _ApiError(Exception):
    """An error answer: HTTP status, description, optional parameters (or a raw non-JSON body)."""

    def __init__(self, status: int, description: str, parameters: Optional[dict] = None, raw: Optional[str] = None):
        super().__init__(description)
        self.status, self.description, self.parameters, self.raw = status, description, parameters, raw


class _TelegramHTML(HTMLParser):
    """Check text against the Bot API's HTML rules and keep what the user will see."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: List[str] = []
        self.text: List[str] = []
        self.error: Optional[str] = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in HTML_TAGS and not self.error:
            self.error = f'Unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if not self.error:
            self.error = f'Unsupported start tag "{tag}/"'

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.error = self.error or f'Unexpected end tag "{tag}"'
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if ("<" in data or ">" in data) and not self.error:
            self.error = "Unexpected character; <, > and & must be escaped"
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in HTML_ENTITIES and not self.error:
            self.error = f'Unsupported HTML entity "&{name};"'
        self.text.append(html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.text.append(html.unescape(f"&#{name};"))

    def unknown_decl(self, data: str) -> None:
        self.error = self.error or "Unsupported declaration"


def parse_html(text: str) -> str:
    """The text a user sees for ``text`` sent with ``parse_mode=HTML``; raises ``_ApiError`` as Telegram would."""
    if re.search(r"&(?!#\d+;|#x[0-9a-fA-F]+;|[a-zA-Z]+;)", text):
        raise _ApiError(400, "Bad Request: can't parse entities: Character '&' is reserved and must be escaped")
    if re.search(r"<(?![a-zA-Z/])", text):
        raise _ApiError(400, "Bad Request: can't parse entities: Character '<' is reserved and must be escaped")
    parser = _TelegramHTML()
    parser.feed(text)
    parser.close()
    if parser.error is None and parser.rawdata:
        parser.error = "Unclosed tag"
    if parser.error is None and parser.stack:
        parser.error = f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"'
    if parser.error:
        raise _ApiError(400, f"Bad Request: can't parse entities: {parser.error}")
    return "".join(parser.text)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _ok(result: Any) -> dict:
    return {"ok": True, "result": result}


class TelegramStandIn:
    """A Telegram Bot API server on 127.0.0.1 (see the module docstring for everything it does)."""

    def __init__(self, token: str = DEFAULT_TOKEN, *, enforce_limits: bool = False, seed: int = 0,
                 fault_rate: float = 0.0, fault_kinds: Iterable[Union[int, str]] = (429, 500, 502),
                 host: str = "127.0.0.1", port: int = 0, bot_username: str = "motcua_test_bot",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.token = token
        self.clock = clock
        self.enforce_limits = enforce_limits
        self.fault_rate = fault_rate
        self.fault_kinds = tuple(fault_kinds)
        self.rng = random.Random(seed)
        self.host, self.port = host, port
        self.bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 123456789
        self.me = {"id": self.bot_id, "is_bot": True, "first_name": "Một Cửa (thử)", "username": bot_username,
                   "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False,
                   "can_connect_to_business": False, "has_main_web_app": False}
        self.calls: List[Call] = []
        self.messages: List[dict] = []
        self.uploads: List[Upload] = []
        self.callback_answers: List[dict] = []
        self.edits: List[dict] = []
        self.webhook_deliveries: List[Tuple[int, int]] = []
        self.violations: List[Violation] = []
        self.commands: List[dict] = []
        self.webhook: Dict[str, Any] = {"url": "", "secret_token": None}
        self.blocked: set = set()
        self.user_files: Dict[str, Tuple[str, bytes]] = {}  # file_id -> (file_path, content) of files users sent
        self._faults: Deque[_Fault] = deque()
        self._updates: List[dict] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._ids = itertools.count(1)
        self._chats: Dict[Union[int, str], dict] = {}
        self._accepted: Deque[float] = deque()          # send times in the last second (limits)
        self._chat_last: Dict[Any, float] = {}
        self._group_sends: Dict[Any, Deque[float]] = defaultdict(deque)
        self._send_log: List[Tuple[float, Any]] = []     # (time, chat_id) of every accepted send
        self._waiters: set = set()
        self._in_flight = 0
        self._closing = asyncio.Event()
        self._tasks: set = set()
        self._runner: Optional[web.AppRunner] = None
        self._session: Optional[aiohttp.ClientSession] = None

    # lifecycle ---------------------------------------------------------------------------
    async def start(self) -> "TelegramStandIn":
        """Listen on ``host:port`` (port 0: a free one; read :attr:`base_url`)."""
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/file/bot{token}/{path:.*}", self._file)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        """Stop serving: wake long polls and slow answers, then close the sockets."""
        self._closing.set()
        self._wake()
        for task in list(self._tasks):
            task.cancel()
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> "TelegramStandIn":
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: give PTB ``base_url=f"{api.base_url}/bot"``."""
        return f"http://{self.host}:{self.port}"

    @property
    def bot_api_url(self) -> str:
        """``<base_url>/bot``, PTB's ``base_url`` argument."""
        return f"{self.base_url}/bot"

    @property
    def file_url(self) -> str:
        """``<base_url>/file/bot``, PTB's ``base_file_url`` argument."""
        return f"{self.base_url}/file/bot"

    # feeding updates -----------------------------------------------------------------------
    def push_update(self, update: dict) -> int:
        """Queue an Update for getUpdates, or deliver it to the webhook when one is set; returns its id."""
        update = dict(update)
        update.setdefault("update_id", next(self._update_ids))
        self._updates.append(update)
        if self.webhook["url"]:
            self._spawn(self._deliver(update))
        else:
            self._wake()
        return update["update_id"]

    def user(self, chat_id: int, first_name: str = "Lan", last_name: Optional[str] = None,
             username: Optional[str] = None) -> dict:
        """A User object for a private chat ``chat_id`` (remembered so the bot's messages name the chat)."""
        user = {"id": int(chat_id), "is_bot": False, "first_name": first_name, "language_code": "vi"}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        self._chats[int(chat_id)] = self._chat_from_user(user)
        return user

    def _chat_from_user(self, user: dict) -> dict:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        for key in ("last_name", "username"):
            if key in user:
                chat[key] = user[key]
        return chat

    def _chat(self, chat_id: Union[int, str]) -> dict:
        if chat_id in self._chats:
            return self._chats[chat_id]
        if isinstance(chat_id, int) and chat_id < 0:
            return {"id": chat_id, "type": "supergroup" if str(chat_id).startswith("-100") else "group", "title": "Nhóm thử"}
        if isinstance(chat_id, str):
            return {"id": -1000000000000 - (abs(hash(chat_id)) % 10**9), "type": "channel", "title": chat_id,
                    "username": chat_id.lstrip("@")}
        return {"id": chat_id, "type": "private", "first_name": "Người dùng"}

    def _incoming(self, chat_id: int, first_name: str, **content: Any) -> dict:
        user = self.user(chat_id, first_name)
        return {"message_id": next(self._message_ids), "date": int(time.time()), "from": user,
                "chat": self._chats[int(chat_id)], **content}

    def push_message(self, chat_id: int, text: str, *, first_name: str = "Lan") -> int:
        """A user in private chat ``chat_id`` sends ``text`` (a leading ``/command`` gets its entity)."""
        message = self._incoming(chat_id, first_name, text=text)
        command = re.match(r"/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)
        if command:
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command.group(0))}]
        return self.push_update({"message": message})

    def push_callback(self, chat_id: int, data: str, *, message_id: Optional[int] = None, first_name: str = "Lan") -> str:
        """A user taps an inline button with ``data`` under the bot's message ``message_id`` (default: the last
        one sent to the chat); returns the callback query id."""
        user = self.user(chat_id, first_name)
        sent = [m for m in self.messages if m["chat"]["id"] == chat_id and (message_id is None or m["message_id"] == message_id)]
        stub = {"message_id": message_id or 1, "date": int(time.time()), "chat": self._chat(chat_id), "from": self.me, "text": "…"}
        message = {k: v for k, v in sent[-1].items() if k != "_to"} if sent else stub
        query_id = str(4_000_000_000_000_000 + next(self._ids))
        self.push_update({"callback_query": {"id": query_id, "from": user, "message": message,
                                             "chat_instance": str(abs(chat_id) * 7 + 1), "data": data}})
        return query_id

    def push_file(self, chat_id: int, content: bytes, *, kind: str = "photo", caption: str = "",
                  filename: str = "tep.pdf", mime_type: str = "application/pdf", first_name: str = "Lan") -> int:
        """A user sends a photo (``kind="photo"``) or a document with ``content`` and a ``caption``; the bot can fetch
        it with getFile and ``/file/bot<token>/<file_path>``."""
        file_id = f"AgACAgIAAxk{next(self._ids):08d}"
        path = f"{'photos' if kind == 'photo' else 'documents'}/file_{next(self._ids)}{'.jpg' if kind == 'photo' else ''}"
        self.user_files[file_id] = (path, bytes(content))
        meta = {"file_id": file_id, "file_unique_id": f"u{next(self._ids)}", "file_size": len(content)}
        body = ({"photo": [{**meta, "width": 800, "height": 600}]} if kind == "photo"
                else {"document": {**meta, "file_name": filename, "mime_type": mime_type}})
        if caption:
            body["caption"] = caption
            command = re.match(r"/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", caption)
            if command:
                body["caption_entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command.group(0))}]
        return self.push_update({"message": self._incoming(chat_id, first_name, **body)})

    def push_media(self, chat_id: int, kind: str = "photo", *, first_name: str = "Lan") -> int:
        """A user sends a photo, sticker, voice note or location (no text)."""
        file = {"file_id": f"AgAD{next(self._ids)}", "file_unique_id": f"u{next(self._ids)}"}
        content = {
            "photo": {"photo": [{**file, "width": 90, "height": 90, "file_size": 1200}]},
            "sticker": {"sticker": {**file, "type": "regular", "width": 512, "height": 512, "is_animated": False,
                                    "is_video": False, "emoji": "👍"}},
            "voice": {"voice": {**file, "duration": 3, "mime_type": "audio/ogg", "file_size": 4000}},
            "location": {"location": {"latitude": 21.0285, "longitude": 105.8542}},
        }[kind]
        return self.push_update({"message": self._incoming(chat_id, first_name, **content)})

    # what the bot did -------------------------------------------------------------------------
    def calls_to(self, method: str) -> List[Call]:
        """The calls to ``method`` (case-insensitive)."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def sent_messages(self, chat_id: Optional[Union[int, str]] = None) -> List[dict]:
        """Messages the bot sent (to ``chat_id``), as the Message objects Telegram answered with."""
        return [m for m in self.messages if chat_id is None or m["chat"]["id"] == _chat_key(chat_id)
                or m.get("_to") == _chat_key(chat_id)]

    def sent_texts(self, chat_id: Optional[Union[int, str]] = None) -> List[str]:
        """The text (or caption) of each message the bot sent, as the user sees it."""
        return [m.get("text", m.get("caption", "")) for m in self.sent_messages(chat_id)]

    def sent_documents(self, chat_id: Optional[Union[int, str]] = None) -> List[Upload]:
        """Documents the bot sent (to ``chat_id``)."""
        return [u for u in self.uploads if u.method == "senddocument" and (chat_id is None or u.chat_id == _chat_key(chat_id))]

    def sent_photos(self, chat_id: Optional[Union[int, str]] = None) -> List[Upload]:
        """Photos the bot sent (to ``chat_id``)."""
        return [u for u in self.uploads if u.method == "sendphoto" and (chat_id is None or u.chat_id == _chat_key(chat_id))]

    async def wait_for(self, condition: Callable[[], Any], timeout: float = 30.0, what: Optional[str] = None) -> Any:
        """Wait until ``condition()`` is truthy and return its value; ``AssertionError`` naming ``what`` (or the
        condition's source) after ``timeout`` seconds."""
        return await wait_until(condition, timeout, what)

    async def wait_for_messages(self, chat_id: Union[int, str], count: int = 1, timeout: float = 30.0) -> List[dict]:
        """Wait until the bot has sent at least ``count`` messages to ``chat_id``; returns them all."""
        return await self.wait_for(lambda: len(self.sent_messages(chat_id)) >= count and self.sent_messages(chat_id), timeout,
                                   f"{count} message(s) to chat {chat_id} (sent so far: {len(self.sent_messages(chat_id))}"
                                   f" when the wait began)")

    @property
    def in_flight(self) -> int:
        """Requests being answered right now (a slow fault, a long poll, a send under way)."""
        return self._in_flight

    async def settled(self, timeout: float = 30.0) -> None:
        """Wait until no request is being answered: whatever the bot sent has been recorded (a "slow" fault
        records its message only when it answers). Long polls count: stop polling first."""
        await self.wait_for(lambda: self._in_flight == 0, timeout, "every request to the stand-in to be answered")

    def clear(self) -> None:
        """Forget the recorded calls, messages, uploads, answers, updates and violations."""
        for records in (self.calls, self.messages, self.uploads, self.callback_answers, self.edits,
                        self.webhook_deliveries, self.violations, self._updates, self._send_log):
            records.clear()
        self._accepted.clear()
        self._chat_last.clear()
        self._group_sends.clear()

    @property
    def limit_violations(self) -> int:
        """How many sends ``enforce_limits`` refused."""
        return len(self.violations)

    def peak_rate(self, window: float = 1.0) -> int:
        """The most sends accepted within any ``window`` seconds."""
        return _peak([t for t, _ in self._send_log], window)

    def peak_chat_rate(self, window: float = 1.0) -> int:
        """The most sends accepted to one chat within any ``window`` seconds."""
        by_chat: Dict[Any, List[float]] = defaultdict(list)
        for t, chat in self._send_log:
            by_chat[chat].append(t)
        return max((_peak(times, window) for times in by_chat.values()), default=0)

    # faults ------------------------------------------------------------------------------------
    def fail_next(self, n: int = 1, kind: Union[int, str] = 429, *, retry_after: int = 1, delay: float = 5.0,
                  methods: Optional[Iterable[str]] = None) -> None:
        """Make the next ``n`` sends (or calls to ``methods``) fail with ``kind`` (see the module docstring)."""
        kind = str(kind)
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {FAULT_KINDS}")
        targets = frozenset(m.lower() for m in methods) if methods else SEND_METHODS
        for _ in range(n):
            self._faults.append(_Fault(kind, max(1, int(retry_after)), delay, targets))

    def block(self, chat_id: Union[int, str]) -> None:
        """The user of ``chat_id`` blocks the bot: sends answer 403."""
        self.blocked.add(_chat_key(chat_id))

    def unblock(self, chat_id: Union[int, str]) -> None:
        """The user of ``chat_id`` unblocks the bot."""
        self.blocked.discard(_chat_key(chat_id))

    # the HTTP side --------------------------------------------------------------------------------
    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _wake(self) -> None:
        for waiter in list(self._waiters):
            waiter.set()

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but return at once when the stand-in closes."""
        try:
            await asyncio.wait_for(self._closing.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            pass

    async def _file(self, request: web.Request) -> web.Response:
        """``GET /file/bot<token>/<file_path>``: a file a user sent (after getFile), as Telegram serves it."""
        path = request.match_info["path"]
        found = next((content for file_path, content in self.user_files.values() if file_path == path), None)
        if request.match_info["token"] != self.token or found is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.Response(body=found, content_type="application/octet-stream")

    async def _handle(self, request: web.Request) -> web.Response:
        self._in_flight += 1
        try:
            return await self._answer(request)
        finally:
            self._in_flight -= 1

    async def _answer(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = Call(method=method, params={}, at=self.clock())
        self.calls.append(call)
        try:
            call.params, call.files = await _read_params(request)
            if request.match_info["token"] != self.token:
                raise _ApiError(401, "Unauthorized")
            call.response = _ok(await self._dispatch(method.lower(), call))
            call.status = 200
        except _ApiError as error:
            call.status = error.status
            if error.raw is not None:
                call.response = error.raw
                return web.Response(status=error.status, text=error.raw, content_type="text/html")
            call.response = {"ok": False, "error_code": error.status, "description": error.description}
            if error.parameters:
                call.response["parameters"] = error.parameters
        return web.json_response(call.response, status=call.status,
                                 dumps=lambda v: json.dumps(v, ensure_ascii=False, default=str))

    async def _dispatch(self, method: str, call: Call) -> Any:
        p = call.params
        if method in SEND_METHODS:
            await self._faults_for(method)
        if method == "getfile":
            file_id = str(call.params.get("file_id") or "")
            if file_id not in self.user_files:
                raise _ApiError(400, "Bad Request: invalid file_id")
            path, content = self.user_files[file_id]
            return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(content), "file_path": path}
        if method == "getme":
            return self.me
        if method == "getupdates":
            return await self._get_updates(p)
        if method == "setwebhook":
            self.webhook = {"url": str(p.get("url") or ""), "secret_token": p.get("secret_token"),
                            "allowed_updates": p.get("allowed_updates"), "max_connections": p.get("max_connections", 40)}
            if p.get("drop_pending_updates"):
                self._updates.clear()
            for update in list(self._updates) if self.webhook["url"] else []:
                self._spawn(self._deliver(update))
            return True
        if method == "deletewebhook":
            self.webhook = {"url": "", "secret_token": None}
            if p.get("drop_pending_updates"):
                self._updates.clear()
            return True
        if method == "getwebhookinfo":
            info = {"url": self.webhook["url"], "has_custom_certificate": False, "pending_update_count": len(self._updates)}
            if self.webhook.get("allowed_updates"):
                info["allowed_updates"] = self.webhook["allowed_updates"]
            if self.webhook["url"]:
                info["max_connections"] = self.webhook.get("max_connections") or 40
            return info
        if method == "sendmessage":
            text = _text(p, "text", MAX_TEXT, required=True)
            return self._send(method, p, text=text)
        if method in ("senddocument", "sendphoto"):
            return self._send_file(method, call)
        if method == "answercallbackquery":
            if not p.get("callback_query_id"):
                raise _ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
            self.callback_answers.append(dict(p))
            return True
        if method in ("editmessagereplymarkup", "editmessagetext"):
            return self._edit(method, p)
        if method == "deletemessage":
            return True
        if method == "sendchataction":
            return True
        if method == "setmycommands":
            self.commands = list(p.get("commands") or [])
            return True
        if method == "getmycommands":
            return self.commands
        if method == "deletemycommands":
            self.commands = []
            return True
        if method in ("logout", "close"):
            return True
        raise _ApiError(404, "Not Found")

    async def _faults_for(self, method: str) -> None:
        fault = None
        if self._faults and method in self._faults[0].methods:
            fault = self._faults.popleft()
        elif self.fault_rate and self.rng.random() < self.fault_rate:
            kind = str(self.rng.choice(self.fault_kinds))
            fault = _Fault(kind, self.rng.randint(1, 3), 5.0, SEND_METHODS)
        if fault is None:
            return
        if fault.kind == "slow":
            await self._sleep(fault.delay)
            return
        raise _fault_error(fault)

    def _check_chat(self, chat_id: Any) -> Any:
        if chat_id in (None, ""):
            raise _ApiError(400, "Bad Request: chat_id is empty")
        key = _chat_key(chat_id)
        if key in self.blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        return key

    def _check_limits(self, chat_id: Any) -> None:
        """Refuse a send over Telegram's limits (Bot FAQ) when ``enforce_limits`` is on, else record it."""
        now = self.clock()
        while self._accepted and self._accepted[0] <= now - 1.0:
            self._accepted.popleft()
        if self.enforce_limits:
            group = self._group_sends[chat_id]
            while group and group[0] <= now - 60.0:
                group.popleft()
            refusal = None
            if len(self._accepted) >= GLOBAL_PER_SECOND:
                refusal = ("global", self._accepted[0] + 1.0 - now)
            elif chat_id in self._chat_last and now - self._chat_last[chat_id] < CHAT_INTERVAL:
                refusal = ("chat", self._chat_last[chat_id] + CHAT_INTERVAL - now)
            elif isinstance(chat_id, int) and chat_id < 0 and len(group) >= GROUP_PER_MINUTE:
                refusal = ("group", group[0] + 60.0 - now)
            if refusal:
                retry_after = max(1, math.ceil(refusal[1]))
                self.violations.append(Violation(refusal[0], chat_id, now, retry_after))
                raise _ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
            if isinstance(chat_id, int) and chat_id < 0:
                group.append(now)
        self._accepted.append(now)
        self._chat_last[chat_id] = now
        self._send_log.append((now, chat_id))

    def _send(self, method: str, p: dict, **content: Any) -> dict:
        chat_id = self._check_chat(p.get("chat_id"))
        markup = _check_markup(p.get("reply_markup"))
        self._check_limits(chat_id)
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": self._chat(chat_id),
                   "from": self.me, **{k: v for k, v in content.items() if v not in (None, "")}}
        if markup:
            message["reply_markup"] = markup
        self.messages.append(dict(message, _to=chat_id))
        return message

    def _send_file(self, method: str, call: Call) -> dict:
        p, field_name = call.params, ("document" if method == "senddocument" else "photo")
        caption = _text(p, "caption", MAX_CAPTION, required=False)
        ref = p.get(field_name)
        upload = call.files.get(field_name)
        if upload is None and isinstance(ref, str) and ref.startswith("attach://"):
            upload = call.files.get(ref[len("attach://"):])
        if upload is None:
            if not ref:
                raise _ApiError(400, f"Bad Request: there is no {field_name} in the request")
            previous = [u for u in self.uploads if u.file_id == ref]
            if not previous:
                raise _ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            upload = Upload(method, 0, field_name, previous[0].filename, previous[0].content, previous[0].mime_type)
        if not upload.content:
            raise _ApiError(400, "Bad Request: file must be non-empty")
        if method == "sendphoto" and not upload.content.startswith(IMAGE_MAGIC):
            raise _ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        file_id = f"BQACAgIAAxk{next(self._ids):08d}"
        meta = {"file_id": file_id, "file_unique_id": f"AgAD{next(self._ids)}", "file_size": len(upload.content)}
        if method == "senddocument":
            content = {"document": {**meta, "file_name": upload.filename, "mime_type": upload.mime_type}}
        else:
            content = {"photo": [{**meta, "width": 320, "height": 240}]}
        message = self._send(method, p, caption=caption, **content)
        self.uploads.append(Upload(method, _chat_key(p.get("chat_id")), field_name, upload.filename, upload.content,
                                   upload.mime_type, caption or "", file_id, message["message_id"]))
        return message

    def _edit(self, method: str, p: dict) -> Any:
        if p.get("inline_message_id"):
            self.edits.append(dict(p, method=method))
            return True
        chat_id, message_id = _chat_key(p.get("chat_id")), p.get("message_id")
        found = [m for m in self.messages if m.get("_to") == chat_id and m["message_id"] == message_id]
        if not found:
            raise _ApiError(400, "Bad Request: message to edit not found")
        message = found[-1]
        if method == "editmessagetext":
            message["text"] = _text(p, "text", MAX_TEXT, required=True)
        markup = _check_markup(p.get("reply_markup"))
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        message["edit_date"] = int(time.time())
        self.edits.append(dict(p, method=method))
        return {k: v for k, v in message.items() if k != "_to"}

    async def _get_updates(self, p: dict) -> List[dict]:
        if self.webhook["url"]:
            raise _ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
        offset, limit, timeout = int(p.get("offset") or 0), int(p.get("limit") or 100), float(p.get("timeout") or 0)
        if offset > 0:
            self._updates[:] = [u for u in self._updates if u["update_id"] >= offset]  # confirmed: forgotten
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            ready = [u for u in self._updates if u["update_id"] >= offset][:max(1, min(limit, 100))]
            remaining = deadline - asyncio.get_running_loop().time()
            if ready or remaining <= 0 or self._closing.is_set():
                return ready
            waiter = asyncio.Event()
            self._waiters.add(waiter)
            try:
                await asyncio.wait_for(waiter.wait(), timeout=remaining)
            except asyncio.TimeoutError:
                pass
            finally:
                self._waiters.discard(waiter)

    async def _deliver(self, update: dict) -> None:
        """POST one update to the webhook, as Telegram does; record the answer's status."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        headers = {"Content-Type": "application/json"}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(self.webhook["secret_token"])
        try:
            async with self._session.post(self.webhook["url"], data=json.dumps(update, ensure_ascii=False).encode(),
                                          headers=headers) as response:
                status = response.status
        except aiohttp.ClientError:
            status = 0
        self.webhook_deliveries.append((update["update_id"], status))
        if 200 <= status < 300 and update in self._updates:
            self._updates.remove(update)


def _chat_key(chat_id: Any) -> Union[int, str]:
    """Chat ids as Telegram treats them: an integer, or an ``@channel`` username."""
    if isinstance(chat_id, str) and re.fullmatch(r"-?\d+", chat_id.strip()):
        return int(chat_id)
    return chat_id


def _peak(times: List[float], window: float) -> int:
    times, best, start = sorted(times), 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def _fault_error(fault: _Fault) -> _ApiError:
    if fault.kind == "429":
        return _ApiError(429, f"Too Many Requests: retry after {fault.retry_after}", {"retry_after": fault.retry_after})
    if fault.kind == "500":
        return _ApiError(500, "Internal Server Error")
    if fault.kind == "502":
        return _ApiError(502, "Bad Gateway", raw=BAD_GATEWAY_PAGE)
    if fault.kind == "blocked":
        return _ApiError(403, "Forbidden: bot was blocked by the user")
    return _ApiError(400, "Bad Request: chat not found")


def _text(p: dict, key: str, limit: int, *, required: bool) -> Optional[str]:
    """The text (or caption) the user will see, checked against Telegram's rules."""
    raw = p.get(key)
    if raw is None or raw == "":
        if required:
            raise _ApiError(400, "Bad Request: message text is empty")
        return None
    raw = str(raw)
    shown = parse_html(raw) if str(p.get("parse_mode") or "").lower() == "html" else raw
    if required and not shown.strip():
        raise _ApiError(400, "Bad Request: message text is empty")
    if utf16_len(shown) > limit:
        raise _ApiError(400, "Bad Request: message is too long" if key == "text" else "Bad Request: message caption is too long")
    return shown


def _check_markup(markup: Any) -> Optional[dict]:
    if not markup:
        return None
    if not isinstance(markup, dict):
        raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not button.get("text"):
                raise _ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA:
                raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup


def _decode(key: str, value: Any) -> Any:
    """Parameter values as Telegram reads them (form fields are strings; some hold JSON)."""
    if not isinstance(value, str):
        return value
    if key in JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            raise _ApiError(400, f"Bad Request: can't parse {key} JSON object")
    if key in INT_FIELDS and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    if key == "chat_id":
        return _chat_key(value)
    if key in BOOL_FIELDS:
        return value.strip().lower() in ("true", "1")
    return value


async def _read_params(request: web.Request) -> Tuple[Dict[str, Any], Dict[str, Upload]]:
    """Query string plus a JSON, urlencoded or multipart body."""
    params: Dict[str, Any] = dict(request.query)
    files: Dict[str, Upload] = {}
    ctype = request.content_type
    if request.method == "POST" and request.can_read_body:
        if ctype == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        elif ctype == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if part.filename is not None:
                    content = await part.read()
                    files[part.name] = Upload("", 0, part.name, part.filename, bytes(content),
                                              part.headers.get("Content-Type", "application/octet-stream"))
                else:
                    params[part.name] = await part.text()
        else:
            params.update(await request.post())
    return {k: _decode(k, v) for k, v in params.items()}, files
