"""Broadcasts by community team members: a guide or a notice to the consenting subscribers of some areas and a topic.

Life of a broadcast (table ``broadcasts``, migration 6):

1. :meth:`Broadcasts.draft`: a team member writes a text (optionally with an image or a file) or picks a guide from the
   library (bot/community/guides.py); the topic is the guide's (else the ward's announcements) and the areas are the
   member's own area (a leader or an admin: every area). The draft can change topic and areas; a team member may
   only choose their own area (:class:`NotAllowed`).
2. :meth:`Broadcasts.preview`: the message as citizens will read it and how many accounts it will reach: the push
   accounts (bot/people/users.py ``push_account``: consenting, on Telegram or Zalo) of the conversations that follow
   the topic and chose one of the areas (bot/people/subscriptions.py), each account once.
3. :meth:`Broadcasts.confirm`: one transaction writes one outbox row per account (event ``broadcast:<id>:msg``,
   priority :data:`bot.delivery.outbox.BULK`, so replies and alerts go first) and marks the broadcast ``sending``. A
   second tap on "Gửi" finds it no longer a draft and writes nothing; the outbox's unique (recipient, event) and the
   sender's leases make each account get it once, across restarts. Consent is checked again at send time.
4. :meth:`Broadcasts.cancel`: what is not yet sent is not sent (:meth:`bot.delivery.outbox.Outbox.cancel`).
5. :func:`finish_broadcasts` (a scheduler job): once no row of a broadcast is open, it is ``done`` (or stays
   ``cancelled``) and its author gets the delivery report (event ``broadcast-report:<id>``): sent, sent by another
   channel because Zalo's window was closed, blocked the bot, failed, cancelled (:func:`delivery_counts`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

from bot.community.areas import Areas, load_areas
from bot.community.guides import Guide, guide
from bot.db import transaction
from bot.delivery.outbox import ALERT, BULK, Outbox, attachment_spec
from bot.delivery.text import shorten
from bot.metrics import BROADCASTS
from bot.people.roles import ADMIN, LEADER, Scope
from bot.people.subscriptions import BROADCAST_TOPICS
from bot.people.users import User, split_conversation_id
from bot.services import Services
from bot.timeutil import iso, local, now_vn

MAX_TEXT = 1500           # the team member's own words; header and footer keep the message within Zalo's 2,000
MAX_CHARS = 2000
CANCELLED = "cancelled: đã hủy bản tin"
STOP_HINT = "Nhắn \"hủy\" (hoặc /huy) để dừng nhận tin."
WINDOW_MARKERS = ("hạn mức", "48 giờ", "chưa nhắn tin cho oa", "tương tác")  # bot/channels/zalo_send.py's reasons
BLOCKED_MARKERS = ("blocked", "forbidden", "deactivated", "kicked", "chặn", "bỏ quan tâm", "chưa quan tâm")


UPLOAD_KINDS = {".jpg": "photo", ".jpeg": "photo", ".png": "photo", ".pdf": "document", ".doc": "document",
                ".docx": "document"}
MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # Zalo's file limit (bot/channels/zalo_send.py); Telegram's bots may send 50 MB
UPLOAD_TOKEN = re.compile(r"^[0-9a-f]{32}\.(?:jpg|jpeg|png|pdf|doc|docx)$")


def upload_dir(services: Services) -> Path:
    """Where a team member's images and files wait to be broadcast: beside the database."""
    return Path(services.path).parent / "broadcast_files"


def save_upload(services: Services, content: bytes, filename: str) -> str:
    """Keep a team member's image or file for a broadcast; returns its token (``<32 hex>.<ext>``), the only name a
    payload may carry. ``ValueError`` (in Vietnamese) for a type or a size the platforms will not take."""
    ext = Path(filename or "").suffix.lower()
    if ext not in UPLOAD_KINDS:
        raise ValueError("Bản tin chỉ kèm ảnh JPG/PNG hoặc tệp PDF/DOC/DOCX.")
    if not content or len(content) > MAX_UPLOAD_BYTES:
        raise ValueError(f"Tệp kèm bản tin phải dưới {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    folder = upload_dir(services)
    folder.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex + ext
    (folder / token).write_bytes(content)
    return token


def upload_path(services: Services, token: Optional[str]) -> Optional[Path]:
    """The kept file of ``token`` (None for a malformed token or a file that is gone: a forged payload gets nothing)."""
    if not token or not UPLOAD_TOKEN.match(token):
        return None
    path = upload_dir(services) / token
    return path if path.is_file() else None


class NotAllowed(ValueError):
    """The member may not do this (another's broadcast, an area not theirs); the message is for them, in Vietnamese."""


@dataclass
class Broadcast:
    """One row of ``broadcasts``."""

    id: int
    author_id: int
    author: str
    text: str
    attachment: Optional[str]
    guide: Optional[str]
    topic: str
    areas: List[str]
    state: str
    recipients: Optional[int]
    created_at: str
    started_at: Optional[str] = None
    cancelled_at: Optional[str] = None
    finished_at: Optional[str] = None
    reported_at: Optional[str] = None

    @property
    def event(self) -> str:
        """The outbox event of this broadcast's messages."""
        return f"broadcast:{self.id}:msg"


@dataclass
class Counts:
    """Where a broadcast's messages are."""

    total: int = 0
    waiting: int = 0
    sent: int = 0
    other_channel_window: int = 0   # Zalo's window was closed: sent on the person's other channel
    other_channel: int = 0          # sent on the person's other channel for another reason
    blocked: int = 0
    window_closed: int = 0          # Zalo's window closed and no other channel
    no_consent: int = 0             # withdrew before it was sent
    cancelled: int = 0
    failed: int = 0
    reasons: Dict[str, int] = field(default_factory=dict)


def _has(text: str, markers: Iterable[str]) -> bool:
    low = (text or "").lower()
    return any(m in low for m in markers)


def classify(row: Dict) -> str:
    """What became of one outbox row: a :class:`Counts` field name."""
    state, route, error = row["state"], row.get("route") or "", row.get("last_error") or ""
    if state in ("pending", "sending"):
        return "waiting"
    if state == "delivered":
        if not route:
            return "sent"
        return "other_channel_window" if route.startswith("zalo:") and _has(route, WINDOW_MARKERS) else "other_channel"
    if error.startswith("cancelled"):
        return "cancelled"
    if error.startswith("no consent"):
        return "no_consent"
    if _has(error, BLOCKED_MARKERS) or _has(route, BLOCKED_MARKERS):
        return "blocked"
    if _has(error, WINDOW_MARKERS):
        return "window_closed"
    return "failed"


def delivery_counts(outbox: Outbox, event: str) -> Counts:
    """Where the rows of ``event`` are."""
    counts = Counts()
    for row in outbox.conn.execute("select state, route, last_error from outbox where event = ?", [event]):
        kind = classify(dict(row))
        setattr(counts, kind, getattr(counts, kind) + 1)
        counts.total += 1
        if kind == "failed":
            reason = (row["last_error"] or "?")[:80]
            counts.reasons[reason] = counts.reasons.get(reason, 0) + 1
    return counts


def counts_text(counts: Counts) -> str:
    """The delivery report's lines."""
    lines = [f"• Đã gửi: {counts.sent}/{counts.total}"]
    for value, label in ((counts.other_channel_window, "Ngoài thời hạn 48 giờ của Zalo, đã gửi qua kênh khác"),
                         (counts.other_channel, "Đã gửi qua kênh khác của người nhận"),
                         (counts.blocked, "Người nhận đã chặn hoặc bỏ quan tâm"),
                         (counts.window_closed, "Ngoài thời hạn 48 giờ của Zalo, không có kênh khác"),
                         (counts.no_consent, "Người nhận đã hủy nhận tin trước khi gửi"),
                         (counts.cancelled, "Chưa gửi vì bản tin đã bị hủy"),
                         (counts.failed, "Lỗi khi gửi"),
                         (counts.waiting, "Đang chờ gửi")):
        if value:
            lines.append(f"• {label}: {value}")
    return "\n".join(lines)


def _row(row: Dict) -> Broadcast:
    data = dict(row)
    data["areas"] = json.loads(data.get("areas") or "[]")
    return Broadcast(**{k: data.get(k) for k in Broadcast.__dataclass_fields__})


class Broadcasts:
    """Broadcasts of one deployment: the ``broadcasts`` table, the people's subscriptions, the outbox."""

    def __init__(self, services: Services, outbox: Outbox, areas: Optional[Areas] = None) -> None:
        self.services = services
        self.outbox = outbox
        self.areas = areas or load_areas()

    # reading ------------------------------------------------------------------------------------------------
    def get(self, broadcast_id: int) -> Optional[Broadcast]:
        """The broadcast ``broadcast_id``."""
        row = self.outbox.conn.execute("select * from broadcasts where id = ?", [int(broadcast_id)]).fetchone()
        return _row(row) if row else None

    def of_author(self, author_id: int, states: Sequence[str] = ("draft", "sending"), limit: int = 5) -> List[Broadcast]:
        """The member's latest broadcasts in ``states``, the newest first."""
        marks = ",".join("?" * len(states))
        rows = self.outbox.conn.execute(f"select * from broadcasts where author_id = ? and state in ({marks})"
                                        " order by id desc limit ?", [author_id, *states, limit]).fetchall()
        return [_row(r) for r in rows]

    def own(self, broadcast_id: int, user: User, scope: Scope) -> Broadcast:
        """The broadcast, if ``user`` may change it (its author, or an admin); else :class:`NotAllowed`."""
        found = self.get(broadcast_id)
        if found is None or (found.author_id != user.id and scope.role != ADMIN):
            raise NotAllowed("Em không tìm thấy bản tin này của anh/chị.")
        return found

    # drafting -----------------------------------------------------------------------------------------------
    def home_areas(self, scope: Scope) -> List[str]:
        """The areas a member broadcasts to by default: a team member's own area, everyone else's all areas."""
        if scope.role in (LEADER, ADMIN) or (scope.area is None and scope.role != "team"):
            return [a.id for a in self.areas.areas]
        area = self.areas.find(scope.area)
        if area is None:
            raise NotAllowed(f"Địa bàn \"{scope.area}\" của anh/chị chưa có trong danh sách khu phố của phường; "
                             "anh/chị nhờ quản trị viên cập nhật vai trò (ví dụ \"Khu 3\").")
        return [area.id]

    def draft(self, author: User, scope: Scope, *, text: Optional[str] = None, guide_id: Optional[str] = None,
              attachment: Optional[Path] = None, kind: str = "photo", now: Optional[dt.datetime] = None) -> Broadcast:
        """A new draft from ``text`` (and an optional file) or the library's guide ``guide_id``."""
        now = now or now_vn()
        chosen: Optional[Guide] = guide(guide_id) if guide_id else None
        if guide_id and chosen is None:
            raise ValueError("Em không tìm thấy hướng dẫn này trong thư viện.")
        if chosen is not None:
            text = chosen.summary_text()
            image = chosen.image()
            spec = attachment_spec(image, "photo") if image else None
            topic = chosen.topic if chosen.topic in BROADCAST_TOPICS else "tips"
        else:
            text = "\n".join(line.strip() for line in (text or "").strip().splitlines()).strip()
            if not text:
                raise ValueError("Bản tin cần có nội dung. Ví dụ: /bantin Chiều thứ Bảy tổ hỗ trợ cài VNeID tại nhà văn hóa khu.")
            if len(text) > MAX_TEXT:
                raise ValueError(f"Bản tin dài {len(text)} ký tự; tối đa {MAX_TEXT} ký tự để vừa một tin nhắn Zalo.")
            if not all(ch.isprintable() or ch == "\n" for ch in text):
                raise ValueError("Bản tin có ký tự lạ; anh/chị gõ lại bằng chữ thường giúp em.")
            spec = attachment_spec(attachment, kind) if attachment is not None else None
            topic = "announcements"
        areas = self.home_areas(scope)
        cursor = self.outbox.conn.execute(
            "insert into broadcasts (author_id, author, text, attachment, guide, topic, areas, state, created_at)"
            " values (?, ?, ?, ?, ?, ?, ?, 'draft', ?)",
            [author.id, author.conversation_id, text, spec, chosen.id if chosen else None, topic, json.dumps(areas), iso(now)])
        return self.get(cursor.lastrowid)

    def set_topic(self, draft: Broadcast, topic: str) -> Broadcast:
        """Change a draft's topic (tips or announcements)."""
        if topic not in BROADCAST_TOPICS:
            raise ValueError("Chủ đề chỉ có: " + ", ".join(self.areas.topic_name(t) for t in BROADCAST_TOPICS) + ".")
        self._update_draft(draft, "topic = ?", [topic])
        return self.get(draft.id)

    def set_areas(self, draft: Broadcast, area_ids: Iterable[str], scope: Scope) -> Broadcast:
        """Change a draft's areas; a team member may only choose their own area."""
        chosen = [a for a in dict.fromkeys(area_ids) if self.areas.get(a)]
        if not chosen:
            raise ValueError("Anh/chị chọn ít nhất một khu phố có trong danh sách.")
        if scope.role not in (LEADER, ADMIN) and not set(chosen) <= set(self.home_areas(scope)):
            raise NotAllowed("Thành viên tổ chỉ gửi bản tin cho khu phố của mình; lãnh đạo phường gửi được cho các khu khác.")
        self._update_draft(draft, "areas = ?", [json.dumps(chosen)])
        return self.get(draft.id)

    def discard(self, draft: Broadcast) -> None:
        """Throw a draft away."""
        self._update_draft(draft, "state = 'discarded'", [])

    def _update_draft(self, draft: Broadcast, assignment: str, params: list) -> None:
        cursor = self.outbox.conn.execute(f"update broadcasts set {assignment} where id = ? and state = 'draft'", [*params, draft.id])
        if cursor.rowcount != 1:
            raise NotAllowed("Bản tin này đã gửi hoặc đã hủy, không sửa được nữa.")

    # who gets it ------------------------------------------------------------------------------------------------
    def recipients(self, draft: Broadcast) -> List[User]:
        """The accounts the broadcast goes to: consenting push accounts of the topic's followers in its areas, once each."""
        users, found = self.services.users, {}
        for conversation in self.services.subscriptions.in_areas(draft.topic, draft.areas):
            parts = split_conversation_id(conversation)
            account = users.push_account(users.find(*parts) if parts else None)
            if account is not None:
                found.setdefault(account.id, account)
        return list(found.values())

    def message(self, draft: Broadcast) -> str:
        """The broadcast as citizens read it."""
        areas = ", ".join(self.areas.name(a) for a in draft.areas)
        head = f"📢 {self.areas.topic_name(draft.topic)} – {areas}" if len(draft.areas) < len(self.areas.areas) else \
            f"📢 {self.areas.topic_name(draft.topic)} – {self.areas.ward or 'phường'}"
        return shorten("\n".join([head, draft.text, STOP_HINT]), MAX_CHARS)

    def buttons(self, draft: Broadcast) -> List[dict]:
        """A guide's broadcast offers its walk-through step by step."""
        if not draft.guide:
            return []
        return [{"title": "Xem từng bước", "payload": "/ask_eid" + json.dumps({"guide_step": f"{draft.guide}:1"})}]

    def preview(self, draft: Broadcast) -> tuple:
        """``(message, recipients)``: what citizens will read and how many accounts will get it."""
        return self.message(draft), len(self.recipients(draft))

    # sending -------------------------------------------------------------------------------------------------------
    def confirm(self, draft: Broadcast, now: Optional[dt.datetime] = None) -> Optional[int]:
        """Queue the broadcast for every recipient in one transaction; returns how many, or None when it was no
        longer a draft (a second tap, another process)."""
        now = now or now_vn()
        recipients = self.recipients(draft)
        text, buttons = self.message(draft), self.buttons(draft)
        with transaction(self.outbox.conn):
            started = self.outbox.conn.execute("update broadcasts set state = 'sending', started_at = ?, recipients = ?"
                                               " where id = ? and state = 'draft'", [iso(now), len(recipients), draft.id])
            if started.rowcount != 1:
                return None
            for account in recipients:
                self.outbox.enqueue(account, draft.event, text, buttons, priority=BULK, attachment=draft.attachment)
        BROADCASTS.labels("confirmed").inc()
        BROADCASTS.labels("notices").inc(len(recipients))
        return len(recipients)

    def cancel(self, broadcast: Broadcast, now: Optional[dt.datetime] = None) -> int:
        """Stop a broadcast: what was not yet sent is not sent; returns how many messages were stopped."""
        now = now or now_vn()
        cursor = self.outbox.conn.execute("update broadcasts set state = 'cancelled', cancelled_at = ? where id = ?"
                                          " and state = 'sending'", [iso(now), broadcast.id])
        if cursor.rowcount != 1:
            raise NotAllowed("Bản tin này không còn đang gửi.")
        BROADCASTS.labels("cancelled").inc()
        return self.outbox.cancel(f"broadcast:{broadcast.id}:", CANCELLED)

    def counts(self, broadcast: Broadcast) -> Counts:
        """Where its messages are now."""
        return delivery_counts(self.outbox, broadcast.event)

    def report_text(self, broadcast: Broadcast) -> str:
        """The delivery report a member reads."""
        counts = self.counts(broadcast)
        state = {"sending": "đang gửi", "done": "đã gửi xong", "cancelled": "đã hủy", "draft": "bản nháp"}.get(broadcast.state,
                                                                                                             broadcast.state)
        areas = ", ".join(self.areas.name(a) for a in broadcast.areas)
        first = broadcast.text.splitlines()[0][:60] if broadcast.text else ""
        return "\n".join([f"📊 Bản tin #{broadcast.id} ({state}) – {self.areas.topic_name(broadcast.topic)}, {areas}",
                          f"\"{first}\"", counts_text(counts)])


def finish_broadcasts(services: Services, outbox: Outbox, now: Optional[dt.datetime] = None) -> int:
    """Close the broadcasts whose messages are all settled and send each author the delivery report (once,
    event ``broadcast-report:<id>``); returns how many reports were queued."""
    now = now or now_vn()
    broadcasts = Broadcasts(services, outbox)
    queued = 0
    rows = outbox.conn.execute("select id from broadcasts where state in ('sending', 'cancelled') and reported_at is null"
                               " order by id").fetchall()
    for (broadcast_id,) in rows:
        item = broadcasts.get(broadcast_id)
        if delivery_counts(outbox, item.event).waiting:
            continue
        with transaction(outbox.conn):
            outbox.conn.execute("update broadcasts set state = case when state = 'sending' then 'done' else state end,"
                                " finished_at = coalesce(finished_at, ?), reported_at = ? where id = ?",
                                [iso(now), iso(now), item.id])
            author = services.users.push_account(services.users.get(item.author_id))
            if author is not None:
                queued += outbox.enqueue(author, f"broadcast-report:{item.id}",
                                         broadcasts.report_text(broadcasts.get(item.id)), priority=ALERT)
    return queued


def local_day(at: Optional[str]) -> str:
    """``HH:MM dd/mm`` of a stored time (empty when there is none)."""
    if not at:
        return ""
    return f"{local(dt.datetime.fromisoformat(at)):%H:%M %d/%m}"
