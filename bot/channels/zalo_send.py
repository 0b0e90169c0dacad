"""Zalo OA, the sending side: a :class:`bot.conversation.engine.Reply` as customer-service messages, the reply window, and the outbox's sender.

Every message goes out through the OA message API v3.0, customer-service type: ``POST {api}/v3.0/oa/message/cs``
with the header ``access_token`` and the body ``{"recipient": {"user_id": ...}, "message": {...}}``
(zaloplatform/zalo-java-sdk ``src/test/java/v3/SendTextCSMessage.java``; chatwoot/chatwoot
``app/models/channel/zalo_oa.rb``). A failure comes back as **HTTP 200** with ``error`` ≠ 0: it is a failure
here (:func:`error_for` maps the codes). A reply to a user's message also names that message
(``recipient.message_id``): Zalo counts an API message without it as a proactive one
(https://zalooa.freshdesk.com/support/solutions/articles/64000263278, "tin gửi đi có chỉ user_id và không có
message_id thì tin sẽ được tính là tin chủ động"). Whether Zalo wants ``message_id`` alone or with ``user_id``
is not spelled out there; both are sent.

Rendering (:func:`render`):

- Text is split under :data:`TEXT_LIMIT` characters at a paragraph, a line or a space, never inside a word
  (a word is cut only when it alone is longer than a message).
- Buttons become template buttons of type ``oa.query.show``: a tap sends the button's ``payload`` to the OA as
  the user's own message, shown in the chat (button doc as published in the redai-zalo-sdk guide,
  https://app.unpkg.com/@warriorteam/redai-zalo-sdk@1.32.17/files/docs/BUTTON_TYPES_GUIDE.md: title at most 100
  characters, payload at most 1000). Rasa payloads (``/ask_fee{"procedure": ...}``) would show up raw in the
  citizen's chat, so the payload sent to Zalo is the button's *title* ("Lệ phí") and the title → Rasa payload
  map of the latest offer to each user is kept in the table ``zalo_buttons`` (:class:`ButtonMemory`); the
  channel turns a tapped title back into the payload. Without a map (or for text typed by hand) the title
  simply goes to the assistant as text. How many buttons one CS message may carry is not documented for
  customer-service messages (Zalo's transaction template allows 4); :data:`MAX_BUTTONS` buttons go per
  message, the rest in follow-up messages.
- A document goes out as a Zalo file message: upload (``POST {api}/v2.0/oa/upload/file``, multipart field
  ``file``, answer ``data.token``), then ``message.attachment = {"type": "file", "payload": {"token": ...}}``
  (chatwoot ``zalo_oa.rb``). Zalo takes only PDF, DOC and DOCX files of at most 5 MB
  (nextlevelbuilder/goclaw, "/v2.0/oa/upload/file accepts PDF/DOC/DOCX only"; "file 5MB"); any other file is
  sent as its text instead, with a note saying so. A photo is uploaded with ``/v2.0/oa/upload/image`` (JPG/PNG,
  at most 1 MB) and sent as a ``media`` template with its ``attachment_id``. The caption goes as a text
  message before the file (a Zalo file message has no caption).

The reply window (:class:`ReplyWindow`): an OA may send **8 free replies within 48 hours** of the user's last
message; the count starts again at each new user message; the 9th message, or any after 48 hours, is a
proactive message that needs paid quota (https://zalooa.freshdesk.com/support/solutions/articles/64000261136,
"OA sẽ được phép sử dụng 8 tin phản hồi (miễn phí) trong vòng 48h kể từ thời điểm người quan tâm gửi tin đến
OA ... Hạn mức này sẽ được thiết lập lại mỗi khi Người dùng gửi tin mới"; the same 8/48 h in
https://docs.etelecom.vn/api-etelecom-english/api-integration/zalo-cloud/zalo-cloud-api/send-text-consulting).
The window starts at ``users.last_message_at``; the count of messages sent in it is kept in
``zalo_reply_window``. A reply that does not fit raises :class:`WindowClosed` with the reason *before* anything
is sent, so the outbox records why and uses another channel of the person.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

import httpx
import sqlite_utils

from bot.channels.zalo_tokens import TokenManager
from bot.db import transaction
from bot.delivery.errors import DeliveryError, WindowClosed
from bot.delivery.text import split_text as text_split
from bot.timeutil import utc_iso

log = logging.getLogger(__name__)

# Zalo's text limit for a CS text message: 2000 characters (devesms/gitbook_esms_for_develop_v2
# esms-api/ham-gui-tin/tin-zalo-tu-van-dang-van-ban.md, "Giới hạn tối đa là 2.000 ký tự"; goclaw: "Zalo OA's
# per-message text cap (error -210 above this)"). Whether Zalo counts code points or UTF-16 units is not
# documented: UTF-16 units are counted here, which is never fewer.
TEXT_LIMIT = 2000
BUTTON_TITLE_LIMIT = 100
BUTTON_PAYLOAD_LIMIT = 1000
MAX_BUTTONS = 4
FREE_REPLIES = 8
WINDOW = dt.timedelta(hours=48)
FILE_TYPES = {".pdf": "application/pdf", ".doc": "application/msword",
              ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
FILE_MAX_BYTES = 5 * 1024 * 1024
IMAGE_TYPES = (".jpg", ".jpeg", ".png")
IMAGE_MAX_BYTES = 1024 * 1024
MESSAGE_PATH = "/v3.0/oa/message/cs"
UPLOAD_FILE_PATH = "/v2.0/oa/upload/file"
UPLOAD_IMAGE_PATH = "/v2.0/oa/upload/image"
PROFILE_PATH = "/v3.0/oa/user/detail"  # GET ?data={"user_id": ...} -> data.display_name (chatwoot incoming_message_service.rb)

CHOOSE_PROMPT = "Anh/chị chọn một mục dưới đây:"
MORE_CHOICES = "Các lựa chọn khác:"
FILE_AS_TEXT = "(Zalo không nhận tệp {filename}, em gửi nội dung của tệp dưới đây.)"
FILE_UNREADABLE = "(Zalo không nhận tệp {filename} và em chưa chuyển được tệp này thành chữ; anh/chị xem trên trang web của phường giúp em.)"
PHOTO_SKIPPED = "(Zalo không nhận ảnh {filename}, em chưa gửi được ảnh này.)"

# Zalo OA API error codes (table in hoangnd25/monorepo wip/zalo-platform-integration.md, from the official
# docs at https://developers.zalo.me/docs/official-account; chatwoot treats -216 as "access token expired").
TOKEN_ERRORS = {-216: "access token không hợp lệ", -220: "access token đã hết hạn"}
WINDOW_ERRORS = {
    -230: "người dùng không tương tác với OA trong 7 ngày qua",
    -232: "người dùng chưa tương tác hoặc lần tương tác cuối đã hết hạn",
    -211: "OA đã hết hạn mức gửi tin",
    -218: "đã quá giới hạn gửi tin đến người dùng này",
}
UNREACHABLE_ERRORS = {
    -213: "người dùng chưa quan tâm (hoặc đã bỏ quan tâm) OA",
    -217: "người dùng đã chặn OA",
    -227: "tài khoản Zalo của người dùng bị khoá hoặc không hoạt động quá 45 ngày",
    -244: "người dùng đã chặn loại tin này từ OA",
}
BROKEN_ERRORS = {
    -201: "tham số không hợp lệ", -210: "tham số vượt giới hạn cho phép", -233: "loại tin không được hỗ trợ",
    -204: "OA đã bị xoá", -205: "OA không tồn tại", -209: "ứng dụng chưa được kích hoạt", -212: "OA chưa đăng ký API này",
    -219: "ứng dụng đã bị gỡ hoặc vô hiệu hoá", -221: "OA chưa được xác thực", -223: "OA chưa cấp quyền API này cho ứng dụng",
    -224: "OA cần nâng cấp gói dịch vụ", -248: "vi phạm tiêu chuẩn nền tảng",
}
RATE_LIMIT = -32


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _parse_time(value: str) -> Optional[dt.datetime]:
    try:
        at = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)


def error_for(code: int, message: str = "") -> DeliveryError:
    """The :class:`DeliveryError` for a Zalo ``error`` code (≠ 0, not a token error)."""
    detail = f"Zalo lỗi {code}: {message}".strip().rstrip(":")
    if code in WINDOW_ERRORS:
        return WindowClosed(f"{detail} ({WINDOW_ERRORS[code]})")
    if code in UNREACHABLE_ERRORS:
        return DeliveryError(f"{detail} ({UNREACHABLE_ERRORS[code]})", permanent=True, other_channel=True)
    if code in BROKEN_ERRORS:
        return DeliveryError(f"{detail} ({BROKEN_ERRORS[code]})", permanent=True, other_channel=True)
    if code in TOKEN_ERRORS:
        return DeliveryError(f"{detail} ({TOKEN_ERRORS[code]}, kể cả sau khi làm mới)", permanent=True, other_channel=True)
    if code == RATE_LIMIT:
        return DeliveryError(f"{detail} (ứng dụng vượt giới hạn số lần gọi API mỗi phút)", retry_after=60.0)
    return DeliveryError(detail)  # -200 "send message failed" and anything unknown: transient


# text ---------------------------------------------------------------------------------------
def split_text(text: str, limit: int = TEXT_LIMIT) -> List[str]:
    """``text`` cut into Zalo messages (see :func:`bot.delivery.text.split_text`)."""
    return text_split(text, limit)


def _clip(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# rendering ----------------------------------------------------------------------------------
@dataclass
class Outgoing:
    """One API message to send: a ready ``message`` object, or a file/photo to upload first."""

    message: Dict[str, Any] = field(default_factory=dict)
    upload: Optional[Any] = None      # bot.conversation.engine.Attachment
    kind: str = "message"             # "message" | "file" | "image"


@dataclass
class Rendered:
    """A reply as Zalo messages, and the buttons it offers (title as sent → Rasa payload)."""

    messages: List[Outgoing]
    buttons: Dict[str, str]


def _buttons_message(text: str, buttons: Sequence[Dict[str, str]]) -> Dict[str, Any]:
    """A text message with template buttons (``oa.query.show``: the tap sends the title back as the user's message)."""
    return {
        "text": text,
        "attachment": {"type": "template", "payload": {"buttons": [
            {"title": b["title"], "type": "oa.query.show", "payload": b["title"][:BUTTON_PAYLOAD_LIMIT]} for b in buttons
        ]}},
    }


def _document_text(attachment: Any) -> Optional[str]:
    """The text of a document Zalo does not take (our .docx guides, or plain text); None when unreadable."""
    name = attachment.filename.lower()
    if name.endswith(".docx"):
        try:
            from bot.catalogue.documents import docx_text

            return docx_text(attachment.content)
        except Exception:  # not a package our docx() wrote
            return None
    if attachment.mime_type.startswith("text/") or name.endswith((".txt", ".md", ".csv")):
        try:
            return attachment.content.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return None


def _extension(filename: str) -> str:
    match = re.search(r"\.[A-Za-z0-9]+$", filename or "")
    return match.group(0).lower() if match else ""


def render(replies: Sequence[Any]) -> Rendered:
    """Replies as Zalo CS messages (see the module docstring)."""
    messages: List[Outgoing] = []
    offered: Dict[str, str] = {}
    for reply in replies:
        chunks = split_text(reply.text)
        buttons = []
        for b in reply.buttons:
            title = _clip(b.get("title") or b.get("payload") or "", BUTTON_TITLE_LIMIT)
            if title and title not in offered:
                offered[title] = b.get("payload") or title
                buttons.append({"title": title})
        groups = [buttons[i:i + MAX_BUTTONS] for i in range(0, len(buttons), MAX_BUTTONS)]
        if groups and not chunks:
            chunks = [CHOOSE_PROMPT]
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            messages.append(Outgoing(_buttons_message(chunk, groups[0]) if last and groups else {"text": chunk}))
        for group in groups[1:]:
            messages.append(Outgoing(_buttons_message(MORE_CHOICES, group)))
        for attachment in reply.attachments:
            messages.extend(_render_attachment(attachment))
    return Rendered(messages, offered)


def _render_attachment(attachment: Any) -> List[Outgoing]:
    """A file or photo as Zalo messages: caption text, then the upload; or its text when Zalo does not take it."""
    out = [Outgoing({"text": chunk}) for chunk in split_text(attachment.caption)]
    ext = _extension(attachment.filename)
    if attachment.kind == "photo":
        if ext in IMAGE_TYPES and len(attachment.content) <= IMAGE_MAX_BYTES:
            return out + [Outgoing(upload=attachment, kind="image")]
        return out + [Outgoing({"text": PHOTO_SKIPPED.format(filename=attachment.filename)})]
    if ext in FILE_TYPES and 0 < len(attachment.content) <= FILE_MAX_BYTES:
        return out + [Outgoing(upload=attachment, kind="file")]
    text = _document_text(attachment)
    if not text or not text.strip():
        return out + [Outgoing({"text": FILE_UNREADABLE.format(filename=attachment.filename)})]
    note = FILE_AS_TEXT.format(filename=attachment.filename)
    return out + [Outgoing({"text": chunk}) for chunk in split_text(note + "\n\n" + text)]


# state kept in the store's SQLite file ------------------------------------------------------
class ButtonMemory:
    """The buttons last offered to each Zalo user (``zalo_buttons``): a tapped title turns back into its payload."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def offer(self, user_id: str, buttons: Dict[str, str]) -> None:
        """Remember ``buttons`` (title → payload) as the latest offer to ``user_id``."""
        if not buttons:
            return
        at = utc_iso()
        with transaction(self.db.conn):
            self.db.execute("delete from zalo_buttons where user_id = ?", [user_id])
            self.db.conn.executemany("insert or ignore into zalo_buttons values (?, ?, ?, ?)",
                                     [(user_id, t, p, at) for t, p in buttons.items()])

    def resolve(self, user_id: str, text: str) -> str:
        """The payload of the offered button whose title is ``text``, else ``text`` itself."""
        rows = list(self.db.query("select payload from zalo_buttons where user_id = ? and title = ?",
                                  [user_id, " ".join((text or "").split())]))
        return rows[0]["payload"] if rows else text


class ReplyWindow:
    """The free reply window of each Zalo user: 48 hours from the last message, 8 messages (``zalo_reply_window``)."""

    def __init__(self, db: sqlite_utils.Database, users: Any, *, free: int = FREE_REPLIES, window: dt.timedelta = WINDOW) -> None:
        self.db = db
        self.users = users
        self.free = free
        self.window = window

    def reserve(self, user_id: str, count: int, now: Optional[dt.datetime] = None) -> None:
        """Count ``count`` messages about to go to ``user_id``, or raise :class:`WindowClosed` with the reason."""
        now = now or _now()
        user = self.users.find("zalo", user_id)
        start = _parse_time(user.last_message_at) if user and user.last_message_at else None
        if start is None:
            raise WindowClosed("Người dùng Zalo chưa nhắn tin cho OA: tin chủ động cần hạn mức trả phí của Zalo.")
        if now - start > self.window:
            hours = int((now - start).total_seconds() // 3600)
            raise WindowClosed(f"Đã quá 48 giờ kể từ tin nhắn cuối của người dùng Zalo ({hours} giờ trước): "
                               "tin chủ động cần hạn mức trả phí của Zalo.")
        key = user.last_message_at
        with transaction(self.db.conn):
            self.db.execute("insert or ignore into zalo_reply_window (user_id, window_start, sent) values (?, ?, 0)", [user_id, key])
            self.db.execute("update zalo_reply_window set window_start = ?, sent = 0 where user_id = ? and window_start != ?",
                            [key, user_id, key])
            cursor = self.db.execute("update zalo_reply_window set sent = sent + ? where user_id = ? and sent + ? <= ?",
                                     [count, user_id, count, self.free])
        if cursor.rowcount != 1:
            used = self.sent(user_id)
            raise WindowClosed(f"Đã dùng {used}/{self.free} tin trả lời miễn phí trong 48 giờ kể từ tin nhắn cuối của người dùng "
                               f"Zalo (cần thêm {count} tin): tin chủ động cần hạn mức trả phí của Zalo.")

    def release(self, user_id: str, count: int) -> None:
        """Give back ``count`` reserved messages that were not sent."""
        if count > 0:
            with transaction(self.db.conn):
                self.db.execute("update zalo_reply_window set sent = max(0, sent - ?) where user_id = ?", [count, user_id])

    def sent(self, user_id: str) -> int:
        """Messages counted in the user's current window."""
        rows = list(self.db.query("select sent from zalo_reply_window where user_id = ?", [user_id]))
        return int(rows[0]["sent"]) if rows else 0


# the API ------------------------------------------------------------------------------------
class ZaloClient:
    """The OA API over httpx: the ``access_token`` header, error ≠ 0 as failures, one refresh on a rejected token."""

    def __init__(self, api_url: str, http: httpx.AsyncClient, tokens: TokenManager) -> None:
        self.api_url = api_url.rstrip("/")
        self.http = http
        self.tokens = tokens

    async def call(self, path: str, *, body: Optional[Dict[str, Any]] = None, files: Optional[Dict[str, Any]] = None,
                   params: Optional[Dict[str, str]] = None, method: str = "POST") -> Dict[str, Any]:
        """Call ``path`` and return the answer's ``data``; raise :class:`DeliveryError` on any failure."""
        token = await self.tokens.access_token()
        for attempt in (1, 2):
            try:
                response = await self.http.request(method, self.api_url + path, headers={"access_token": token}, json=body,
                                                   files=files, params=params)
            except httpx.TimeoutException as error:
                raise DeliveryError(f"Zalo không trả lời kịp ({error.__class__.__name__}).") from error
            except httpx.HTTPError as error:
                raise DeliveryError(f"Lỗi mạng khi gọi Zalo: {error!r}") from error
            if response.status_code == 429:
                raise DeliveryError("Zalo báo gọi API quá nhanh (HTTP 429).", retry_after=60.0)
            if response.status_code >= 500:
                raise DeliveryError(f"Zalo gặp sự cố (HTTP {response.status_code}).")
            try:
                answer = json.loads(response.text)
                code = int(answer.get("error") or 0)
            except (ValueError, TypeError, AttributeError):
                raise DeliveryError(f"Zalo trả lời không đúng định dạng (HTTP {response.status_code}).") from None
            if response.status_code >= 400 and code == 0:
                raise DeliveryError(f"Zalo từ chối yêu cầu (HTTP {response.status_code}).", permanent=True, other_channel=True)
            if code == 0:
                data = answer.get("data")
                return data if isinstance(data, dict) else {}
            if code in TOKEN_ERRORS and attempt == 1:
                log.info("zalo: access token rejected (%s): refreshing once", code)
                token = await self.tokens.refresh_after_rejection(token)
                continue
            raise error_for(code, str(answer.get("message") or ""))
        raise AssertionError("unreachable")


class ZaloSender:
    """:class:`bot.delivery.errors.ChannelSender` for Zalo: window and quota checked first, then the CS messages."""

    channel = "zalo"

    def __init__(self, config: Any, store: Any, http: Optional[httpx.AsyncClient] = None, *,
                 tokens: Optional[TokenManager] = None, timeout: float = 15.0) -> None:
        self.config = config
        self.store = store
        self._own_http = http is None
        self.http = http or httpx.AsyncClient(timeout=timeout)
        self.tokens = tokens or TokenManager(
            app_id=config.app_id, app_secret=config.app_secret, access_token=config.access_token,
            refresh_token=config.refresh_token, oauth_url=config.oauth_url, db=store.db, http=self.http,
        )
        self.client = ZaloClient(config.api_url, self.http, self.tokens)
        self.window = ReplyWindow(store.db, store.users)
        self.buttons = ButtonMemory(store.db)

    async def send(self, channel_user_id: str, reply: Any) -> None:
        """Deliver one reply (outbox use: no user message to answer), or raise :class:`DeliveryError`."""
        await self.send_replies(str(channel_user_id), [reply])

    async def send_replies(self, user_id: str, replies: Sequence[Any], reply_to: Optional[str] = None) -> int:
        """Deliver ``replies`` to ``user_id`` (as answers to message ``reply_to`` when given); returns messages sent."""
        user_id = str(user_id)
        rendered = render(replies)
        if not rendered.messages:
            return 0
        self.window.reserve(user_id, len(rendered.messages))
        self.buttons.offer(user_id, rendered.buttons)
        recipient = {"user_id": user_id, **({"message_id": str(reply_to)} if reply_to else {})}
        sent = 0
        try:
            for outgoing in rendered.messages:
                message = outgoing.message if outgoing.kind == "message" else await self._upload(outgoing)
                await self.client.call(MESSAGE_PATH, body={"recipient": recipient, "message": message})
                sent += 1
        finally:
            self.window.release(user_id, len(rendered.messages) - sent)
        return sent

    async def display_name(self, user_id: str) -> str:
        """The user's Zalo display name ("" when Zalo does not tell)."""
        try:
            data = await self.client.call(PROFILE_PATH, params={"data": json.dumps({"user_id": str(user_id)})}, method="GET")
        except DeliveryError as error:
            log.info("zalo: no profile for %s: %s", user_id, error.reason)
            return ""
        name = data.get("display_name")
        return name.strip()[:200] if isinstance(name, str) else ""

    async def _upload(self, outgoing: Outgoing) -> Dict[str, Any]:
        """Upload a file or photo; the message that sends it."""
        attachment = outgoing.upload
        ext = _extension(attachment.filename)
        if outgoing.kind == "image":
            mime = "image/png" if ext == ".png" else "image/jpeg"
            data = await self.client.call(UPLOAD_IMAGE_PATH, files={"file": (attachment.filename, attachment.content, mime)})
            attachment_id = data.get("attachment_id")
            if not attachment_id:
                raise DeliveryError("Zalo không trả về attachment_id sau khi tải ảnh lên.")
            return {"attachment": {"type": "template", "payload": {"template_type": "media", "elements": [
                {"media_type": "image", "attachment_id": str(attachment_id)}]}}}
        data = await self.client.call(UPLOAD_FILE_PATH, files={"file": (attachment.filename, attachment.content, FILE_TYPES[ext])})
        token = data.get("token")
        if not token:
            raise DeliveryError("Zalo không trả về token sau khi tải tệp lên.")
        return {"attachment": {"type": "file", "payload": {"token": str(token)}}}

    async def close(self) -> None:
        """Close the HTTP client this sender created."""
        if self._own_http:
            await self.http.aclose()
