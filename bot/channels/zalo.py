"""Zalo Official Account channel: the webhook Zalo posts user events to, and what the assistant does with them.

Mount it on the web chat's aiohttp app before the app starts::

    config = ZaloConfig.from_settings(settings)          # None when MOTCUA_ZALO_APP_ID is not set: Zalo off
    channel = ZaloChannel(config, assistant, store)
    attach_webhook(app, channel)                          # POST /zalo/webhook; closes the channel on app cleanup

The webhook (``POST /zalo/webhook``):

- verifies ``X-ZEvent-Signature``: ``mac=`` + SHA-256 hex of *app id + raw body + timestamp + OA secret key*,
  the timestamp being the event's ``timestamp`` field (chatwoot/chatwoot ``app/jobs/webhooks/zalo_events_job.rb``,
  ``validate_signature``; the same formula in hoangnd25/monorepo ``wip/zalo-platform-integration.md``, which
  cites https://developers.zalo.me/docs/official-account/webhook/tong-quan). Compared in constant time. A bad
  or missing mac answers 401 and changes nothing.
- refuses replays with no side effect: an event seen before (key: ``message.msg_id``, else event name + user
  + timestamp, kept in ``zalo_events``) or whose timestamp is older than ``max_event_age`` (30 minutes: Zalo
  retries an unanswered webhook after 30 s, 5 min and 15 min, per the same hoangnd25 notes) or more than
  ``max_future_skew`` ahead of our clock. It answers 200 (so Zalo stops retrying) but records and replies nothing.
- answers 200 at once and does the work after, in a background task per event (Zalo wants an answer within
  2 seconds and retries otherwise); the events of one user are handled in order.
- parses JSON with every integer kept as its exact digit string (``parse_int=str``): Zalo user ids overflow
  JavaScript numbers, and ids are strings everywhere here.

Events (names from the Zalo webhook docs as listed in the hoangnd25 notes and chatwoot's ``SUPPORTED_EVENTS``):
``user_send_text`` goes to ``assistant.handle("zalo:<user id>", text)`` (a tapped button's title is turned back
into its payload first, see :class:`bot.channels.zalo_send.ButtonMemory`); images, stickers, GIFs, audio,
video and files get :data:`bot.phrases.FILE_REPLY` (not read, not kept; type the dossier code), a caption sent with
them (``message.text``) answered after it as a message; stickers, GIFs, audio, locations, links and business cards get
:data:`bot.phrases.MEDIA_REPLY`, as on Telegram and the web chat; ``follow`` and a
first ``user_click_chatnow`` get a greeting; ``unfollow`` withdraws the account's consent to notifications and
sends nothing (Zalo cannot deliver to a user who does not follow the OA). A user over the rate limit
(:mod:`bot.channels.ratelimit`, the web app's limiter) is told once to slow down; the rest of the flood is answered
200 and dropped. Every user event records the user with
``store.users.seen("zalo", user_id, ...)``, which sets ``last_message_at``, the start of the reply window.
OA-side events (``oa_send_*``, ``user_received_message``, ``user_seen_message``) are acknowledged and ignored.
Webhook events carry no display name: on a user's first contact it is read from ``GET {api}/v3.0/oa/user/detail``
(chatwoot ``app/services/zalo/incoming_message_service.rb``), best effort. Whether a ``follow`` opens Zalo's free reply window
the way a user message does is not documented: the greeting may be counted as a proactive message by Zalo.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Set

import httpx
from aiohttp import web

from bot.channels.http import json_response, read_body
from bot.channels.late_replies import send_now_or_later
from bot.channels.ratelimit import RateLimiter
from bot.channels.webchat import LIMITER
from bot.channels.zalo_send import ZaloSender
from bot.db import transaction
from bot.delivery.errors import DeliveryError
from bot.people.users import conversation_id
from bot.phrases import FILE_REPLY, MEDIA_REPLY
from bot.timeutil import now_vn, utc_iso

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/zalo/webhook"
SIGNATURE_HEADER = "X-ZEvent-Signature"
DEFAULT_API_URL = "https://openapi.zalo.me"
DEFAULT_OAUTH_URL = "https://oauth.zaloapp.com"
MAX_BODY = 256 * 1024
MAX_EVENT_AGE = 30 * 60.0
MAX_FUTURE_SKEW = 5 * 60.0

# "user_click_button" is listed by one third-party integration only (a ZaloOAWebhook n8n node: "message.text
# contains the payload"); Zalo's docs describe a button tap as a message from the user (user_send_text). Both
# are read the same way.
TEXT_EVENTS = {"user_send_text", "user_click_button"}
FILE_EVENTS = {"user_send_image", "user_send_file", "user_send_video"}  # what a citizen uploads: FILE_REPLY
MEDIA_EVENTS = FILE_EVENTS | {"user_send_gif", "user_send_sticker", "user_send_audio", "user_send_location",
                              "user_send_link", "user_send_business_card"}
GREETING_EVENTS = {"follow", "user_click_chatnow"}
USER_EVENTS = TEXT_EVENTS | MEDIA_EVENTS | GREETING_EVENTS | {"unfollow"}
LIMITED_EVENTS = TEXT_EVENTS | MEDIA_EVENTS | {"user_click_chatnow"}  # an unfollow always counts (it withdraws consent)

GREETING = ("Dạ, em chào anh/chị! Em là trợ lý ảo của Bộ phận Một cửa phường. Anh/chị cứ nhắn câu hỏi về thủ tục "
            "hành chính, ví dụ: \"đăng ký khai sinh cần gì\" hoặc \"tra cứu hồ sơ\".")
FAILURE_REPLY = "Xin lỗi, hệ thống đang gặp sự cố nên em chưa trả lời được. Anh/chị vui lòng nhắn lại sau ít phút."

ERR_CONTENT_TYPE = "Dữ liệu phải gửi dạng JSON (Content-Type: application/json)."
ERR_TOO_LARGE = "Dữ liệu gửi lên quá lớn."
ERR_JSON = "Dữ liệu gửi lên không đúng định dạng JSON."
ERR_EVENT = "Sự kiện Zalo thiếu trường bắt buộc (app_id, event_name, timestamp)."
ERR_SIGNATURE = "Chữ ký X-ZEvent-Signature không hợp lệ."



@dataclass(frozen=True)
class ZaloConfig:
    """What the Zalo channel needs, from the ``MOTCUA_ZALO_*`` settings."""

    app_id: str
    oa_secret: str = field(default="", repr=False)  # secrets stay out of any log that prints the config
    app_secret: str = field(default="", repr=False)
    access_token: str = field(default="", repr=False)
    refresh_token: str = field(default="", repr=False)
    api_url: str = DEFAULT_API_URL
    oauth_url: str = DEFAULT_OAUTH_URL

    @classmethod
    def from_settings(cls, settings: Any) -> Optional["ZaloConfig"]:
        """The config from ``settings.env``; None when ``MOTCUA_ZALO_APP_ID`` is empty (Zalo off)."""
        env = getattr(settings, "env", None) or {}

        def get(key: str, default: str = "") -> str:
            return str(env.get(key, default) or default).strip()

        app_id = get("MOTCUA_ZALO_APP_ID")
        if not app_id:
            return None
        return cls(
            app_id=app_id,
            oa_secret=get("MOTCUA_ZALO_OA_SECRET"),
            app_secret=get("MOTCUA_ZALO_APP_SECRET"),
            access_token=get("MOTCUA_ZALO_ACCESS_TOKEN"),
            refresh_token=get("MOTCUA_ZALO_REFRESH_TOKEN"),
            api_url=get("MOTCUA_ZALO_API_URL", DEFAULT_API_URL).rstrip("/"),
            oauth_url=get("MOTCUA_ZALO_OAUTH_URL", DEFAULT_OAUTH_URL).rstrip("/"),
        )


def signature(app_id: str, raw_body: bytes, timestamp: str, oa_secret: str) -> str:
    """The ``X-ZEvent-Signature`` Zalo sends for ``raw_body``: ``mac=`` + sha256(app id + body + timestamp + OA secret)."""
    digest = hashlib.sha256(app_id.encode("utf-8") + raw_body + timestamp.encode("utf-8") + oa_secret.encode("utf-8"))
    return "mac=" + digest.hexdigest()


def verify_signature(app_id: str, raw_body: bytes, timestamp: str, oa_secret: str, header: Optional[str]) -> bool:
    """True when ``header`` is the signature of ``raw_body`` (constant-time compare; no secret, no pass)."""
    if not header or not oa_secret or not app_id:
        return False
    expected = signature(app_id, raw_body, timestamp, oa_secret)
    return hmac.compare_digest(header.strip().encode("utf-8", "replace"), expected.encode("utf-8"))


def parse_event(raw: bytes) -> Any:
    """JSON with every integer kept as its exact digit string (user ids overflow JavaScript numbers)."""
    return json.loads(raw.decode("utf-8"), parse_int=str)


def _id(value: Any) -> str:
    """An id as a string (a dict's ``id`` or the value itself)."""
    if isinstance(value, dict):
        value = value.get("id")
    return "" if value is None or isinstance(value, (dict, list)) else str(value).strip()


@dataclass(frozen=True)
class ZaloEvent:
    """The parts of a webhook event the channel acts on."""

    name: str
    user_id: str
    timestamp_ms: int
    message_id: str
    text: str

    @property
    def key(self) -> str:
        """What makes the event unique (for replay refusal)."""
        return f"msg:{self.message_id}" if self.message_id else f"{self.name}:{self.user_id}:{self.timestamp_ms}"

    @property
    def at(self) -> str:
        """The event time as an ISO string (UTC, seconds), as :mod:`bot.people.users` stores times."""
        return utc_iso(self.timestamp_ms / 1000)


def read_event(body: Dict[str, Any]) -> Optional[ZaloEvent]:
    """A user event of ``body``, or None for an OA-side or unknown event."""
    name = str(body.get("event_name") or "")
    if name not in USER_EVENTS:
        return None
    if name in ("follow", "unfollow"):
        user_id = _id(body.get("follower"))
    elif name == "user_click_chatnow":
        user_id = _id(body.get("user_id")) or _id(body.get("sender"))
    else:
        user_id = _id(body.get("sender"))
    if not user_id:
        return None
    message = body.get("message") if isinstance(body.get("message"), dict) else {}
    text = message.get("text")
    return ZaloEvent(name=name, user_id=user_id, timestamp_ms=int(str(body["timestamp"])),
                     message_id=_id(message.get("msg_id")), text=text if isinstance(text, str) else "")


class ZaloChannel:
    """The Zalo webhook over the assistant, the store and a :class:`ZaloSender`."""

    def __init__(self, config: ZaloConfig, assistant: Any, store: Any, sender: Optional[ZaloSender] = None, *,
                 http: Optional[httpx.AsyncClient] = None, max_event_age: float = MAX_EVENT_AGE,
                 max_future_skew: float = MAX_FUTURE_SKEW, max_body: int = MAX_BODY, concurrency: int = 4,
                 clock: Callable[[], float] = time.time, limiter: Optional[RateLimiter] = None) -> None:
        self.config = config
        self.assistant = assistant
        self.store = store
        self.sender = sender or ZaloSender(config, store, http)
        self.max_event_age = max_event_age
        self.max_future_skew = max_future_skew
        self.max_body = max_body
        self.clock = clock
        self.limiter = limiter  # the deployment's rate limits (bot/channels/ratelimit.py); None: none
        self._tasks: Set[asyncio.Task] = set()
        self._user_locks: Dict[str, asyncio.Lock] = {}
        self._pending: Dict[str, int] = {}
        self._slots = asyncio.Semaphore(concurrency)

    # the webhook ------------------------------------------------------------------------
    async def webhook(self, request: web.Request) -> web.Response:
        """``POST /zalo/webhook``: check, record, answer 200 at once; the reply is sent by a background task."""
        if request.content_type != "application/json":
            return _error(415, ERR_CONTENT_TYPE)
        raw = await read_body(request, self.max_body)
        if raw is None:
            return _error(413, ERR_TOO_LARGE)
        status, answer = self.accept(raw, request.headers.get(SIGNATURE_HEADER))
        return json_response(answer, status=status)

    def accept(self, raw: bytes, header: Optional[str]) -> tuple:
        """Check one webhook body; on success record it and start its work. Returns (HTTP status, JSON answer)."""
        try:
            body = parse_event(raw)
        except (UnicodeDecodeError, ValueError, RecursionError):
            return 400, {"error": ERR_JSON}
        if not isinstance(body, dict):
            return 400, {"error": ERR_JSON}
        timestamp = body.get("timestamp")
        if not isinstance(timestamp, str) or not (timestamp.isascii() and timestamp.isdigit()) or not body.get("event_name") \
                or not body.get("app_id"):
            return 400, {"error": ERR_EVENT}
        if not verify_signature(self.config.app_id, raw, timestamp, self.config.oa_secret, header):
            log.warning("zalo: webhook with a bad or missing signature refused")
            return 401, {"error": ERR_SIGNATURE}
        now_ms = int(self.clock() * 1000)
        age = (now_ms - int(timestamp)) / 1000
        if age > self.max_event_age or -age > self.max_future_skew:
            log.warning("zalo: event %s refused: timestamp %s s away from now", body.get("event_name"), int(age))
            return 200, {"status": "ignored", "reason": "timestamp"}
        event = read_event(body)
        if event is None:
            return 200, {"status": "ignored", "reason": "event"}
        if not self._first_time(event, now_ms):
            log.info("zalo: replayed event %s ignored", event.key)
            return 200, {"status": "ignored", "reason": "replay"}
        notice = None
        if self.limiter is not None and event.name in LIMITED_EVENTS:
            verdict = self.limiter.check(conversation_id("zalo", event.user_id))
            if not verdict.allowed and not verdict.notify:  # told already: the rest of the flood is dropped
                return 200, {"status": "ignored", "reason": "rate"}
            notice = None if verdict.allowed else verdict.text
        try:
            first_contact = self._record_user(event, now_ms)
            self._start(event, first_contact, notice)
        except Exception:  # forget the key so that Zalo's retry of this event is not taken for a replay
            with transaction(self.store.db.conn):
                self.store.db.execute("delete from zalo_events where key = ?", [event.key])
            raise
        return 200, {"status": "accepted" if notice is None else "limited"}

    def _first_time(self, event: ZaloEvent, now_ms: int) -> bool:
        """Record the event's key; False when it was seen before. Old keys are forgotten after twice the max age."""
        db = self.store.db
        with transaction(db.conn):
            db.execute("delete from zalo_events where at_ms < ?", [now_ms - int(2 * self.max_event_age * 1000)])
            cursor = db.execute("insert or ignore into zalo_events (key, at_ms, name) values (?, ?, ?)",
                                [event.key, now_ms, event.name])
        return cursor.rowcount == 1

    def _record_user(self, event: ZaloEvent, now_ms: int) -> bool:
        """``users.seen`` for the event's user (the reply window starts at the event); True on first contact."""
        users = self.store.users
        known = users.find("zalo", event.user_id)
        at = event.at if event.timestamp_ms <= now_ms else utc_iso(now_ms / 1000)
        if known and known.last_message_at and (event.name == "unfollow" or known.last_message_at > at):
            at = known.last_message_at  # an unfollow is not a message; a late retry does not move the window back
        user = users.seen("zalo", event.user_id, None, at=at)
        if event.name == "unfollow":
            users.set_consent(user.id, False)
        return known is None

    # the work, after the 200 ------------------------------------------------------------
    def _start(self, event: ZaloEvent, first_contact: bool, notice: Optional[str] = None) -> None:
        self._pending[event.user_id] = self._pending.get(event.user_id, 0) + 1
        task = asyncio.get_running_loop().create_task(self._work(event, first_contact, notice))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _work(self, event: ZaloEvent, first_contact: bool, notice: Optional[str] = None) -> None:
        """Handle one event (or, over the rate limit, send ``notice`` instead); the events of one user one after another."""
        from bot.delivery.reply import Reply

        uid = event.user_id
        lock = self._user_locks.setdefault(uid, asyncio.Lock())
        try:
            async with lock, self._slots:
                if notice is None:
                    await self.handle(event, first_contact)
                else:
                    await self.sender.send_replies(uid, [Reply(notice)], reply_to=event.message_id or None)
        except DeliveryError as error:
            log.warning("zalo: reply to %s not delivered: %s", uid, error.reason)
        except Exception:
            log.exception("zalo: event %s of %s failed", event.name, uid)
        finally:
            self._pending[uid] -= 1
            if not self._pending[uid]:  # no other event of this user waiting: forget its lock
                del self._pending[uid]
                self._user_locks.pop(uid, None)

    async def _answer(self, event: ZaloEvent, replies: List[Any], quote: bool = True) -> int:
        """Send ``replies`` now, each as an answer to the user's message (``quote``), as one ``send_replies`` call did
        before; what Zalo refuses for a while goes through the outbox (bot/channels/late_replies.py)."""
        reply_to = (event.message_id or None) if quote else None

        async def send(reply: Any) -> None:
            await self.sender.send_replies(event.user_id, [reply], reply_to=reply_to)

        return await send_now_or_later(send, replies, store=self.store, channel="zalo", channel_user_id=event.user_id,
                                       key=f"zalo:{event.key}", clock=time.time)

    async def handle(self, event: ZaloEvent, first_contact: bool = False) -> None:
        """What the assistant does with one accepted event."""
        from bot.delivery.reply import Reply

        uid = event.user_id
        if event.name in TEXT_EVENTS or (event.name in FILE_EVENTS and event.text.strip()):
            notes = [Reply(FILE_REPLY)] if event.name in FILE_EVENTS else []
            text = self.sender.buttons.resolve(uid, event.text)
            try:
                replies = await self.assistant.handle(conversation_id("zalo", uid), text)
            except Exception:
                log.exception("zalo: the assistant failed on a message from %s", uid)
                replies = [Reply(FAILURE_REPLY)]
            await self._answer(event, notes + list(replies))
        elif event.name in MEDIA_EVENTS:
            reply = FILE_REPLY if event.name in FILE_EVENTS else MEDIA_REPLY
            await self._answer(event, [Reply(reply)])
        elif event.name == "follow" or (event.name == "user_click_chatnow" and first_contact):
            notice = self.store.desk.first_contact(conversation_id("zalo", uid), now_vn())  # once per account
            await self._answer(event, [Reply(f"{GREETING}\n\n{notice}" if notice else GREETING)], quote=False)
        # unfollow: consent already withdrawn in accept(); nothing can be sent to a user who left
        if first_contact and event.name != "unfollow":  # after the reply, so that the answer is not delayed
            await self._remember_name(uid)

    async def _remember_name(self, uid: str) -> None:
        """Record the display name of a new user (webhook events carry none); the reply window stays as it is."""
        name = await self.sender.display_name(uid)
        user = self.store.users.find("zalo", uid)
        if name and user is not None:
            self.store.users.seen("zalo", uid, name, at=user.last_message_at)

    async def drain(self) -> None:
        """Wait until every event accepted so far has been handled."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Finish the work in progress, then close the sender's HTTP client."""
        await self.drain()
        await self.sender.close()


def _error(status: int, message: str) -> web.Response:
    response = json_response({"error": message}, status=status)
    if status in (413, 415):  # the body was not read (to its end): this connection cannot carry another request (a
        response.force_close()  # client that kept it waited 60 s for an answer once, fresh-clone run 36)
    return response


def attach_webhook(app: web.Application, channel: ZaloChannel, path: str = WEBHOOK_PATH) -> None:
    """Mount ``POST path`` on ``app`` (before it starts); the channel is closed when the app cleans up."""
    app.router.add_post(path, channel.webhook)

    async def _close(_app: web.Application) -> None:
        await channel.close()

    app.on_cleanup.append(_close)


def start_zalo(settings: Any, assistant: Any, store: Any, web_app: web.Application) -> Optional[ZaloChannel]:
    """The Zalo channel mounted on ``web_app`` when ``MOTCUA_ZALO_APP_ID`` is set; None when Zalo is off."""
    config = ZaloConfig.from_settings(settings)
    if config is None:
        return None
    if not config.oa_secret:
        log.warning("zalo: MOTCUA_ZALO_OA_SECRET is empty: every webhook event will be refused")
    channel = ZaloChannel(config, assistant, store, limiter=web_app.get(LIMITER))
    attach_webhook(app=web_app, channel=channel)
    return channel
