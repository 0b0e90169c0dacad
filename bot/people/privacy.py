"""A citizen's personal data: the notice at first contact, what is held, erasure on request, deletion after retention.

The rules come from Luật Bảo vệ dữ liệu cá nhân 91/2025/QH15 (in force 01/01/2026, Điều 38 khoản 1; its guiding
decree 356/2025/NĐ-CP: see data/legal/register.yml, where what is not confirmed is marked), as read:

- the person has the right to know about the processing, to consent or withdraw consent, to see, and to ask for
  deletion (Điều 4 khoản 1 điểm a-d); consent is valid only when the person knows the kind of data, the purpose,
  who controls it and their rights, and silence is not consent (Điều 9 khoản 2, khoản 4 điểm d): hence the short
  notice at first contact (:meth:`Privacy.first_contact`, once per account, ``users.privacy_notice_at``) and the full
  one on ``/quyenriengtu`` (:func:`full_notice`);
- data is kept only as long as its purpose needs (Điều 3 khoản 3) and deleted when the storage period ends (Điều 14
  khoản 1 điểm c): conversations (Rasa's tracker events) and the review tables are deleted after
  ``MOTCUA_RETENTION_DAYS`` (:meth:`Privacy.purge`, the scheduler's daily ``retention`` job);
- deletion on the person's request (Điều 14 khoản 1 điểm a), except where processing serves a state agency's work
  under the law (Điều 19 khoản 1 điểm c; Điều 14 khoản 2), and the person is told what cannot be deleted (Điều 14
  khoản 5): ``/xoadulieu`` shows what is held, asks for a confirmation bound to the account (:meth:`Privacy.erase`),
  and names what the ward keeps (:data:`KEPT`): dossiers, petitions, the audit log, ratings' scores. Each erasure is
  recorded in ``erasures`` with the time and a keyed hash of the account, no personal data.

The desk (bot/people/desk.py) takes ``/quyenriengtu``, ``/xoadulieu`` and their plain words before the NLU, on every
channel; the engine adds the first-contact notice to the first answer an account gets.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import sqlite_utils

from bot.db import BUSY_TIMEOUT_S, transaction
from bot.people.reviews import TABLES as REVIEW_TABLES
from bot.people.roles import CITIZEN, role_of
from bot.people.subscriptions import AREA
from bot.people.users import User, Users, split_conversation_id
from bot.timeutil import iso, utc_iso

DEFAULT_RETENTION_DAYS = 180
NOTICE_CHANNELS = ("web", "telegram", "zalo")  # the people-facing channels (not the terminal, not the kiosk's sessions)
NOTICE_COMMAND, ERASE_COMMAND = "/quyenriengtu", "/xoadulieu"
CANCEL_WORD = "huy"
LAW = "Luật Bảo vệ dữ liệu cá nhân 91/2025/QH15"
ERASED_TEXT = "(đã xóa theo yêu cầu của người dân)"
# what people type instead of the commands (folded: no diacritics, lower case), taken before the NLU
NOTICE_WORDS = frozenset({"quyen rieng tu", "chinh sach quyen rieng tu", "bao ve du lieu ca nhan", "du lieu ca nhan",
                          "du lieu cua toi", "em luu du lieu gi", "luu du lieu gi cua toi"})
ERASE_WORDS = frozenset({"xoa du lieu", "xoa du lieu cua toi", "xoa du lieu ca nhan", "xoa thong tin cua toi",
                         "toi muon xoa du lieu", "xoa het du lieu cua toi", "xoa du lieu cua minh"})
KEPT = (
    "hồ sơ thủ tục hành chính (là hồ sơ của phường, lưu theo quy định)",
    "phản ánh, kiến nghị đã gửi (số PA-…) và trả lời của cán bộ",
    "nhật ký cán bộ truy cập dữ liệu (ai xem, lúc nào)",
    "điểm đánh giá hồ sơ 1–5 để tính chỉ số hài lòng (phần góp ý được xóa)",
)
KEPT_BASIS = f"{LAW}, Điều 19 khoản 1 điểm c và Điều 14 khoản 2"


@dataclass(frozen=True)
class PrivacyPolicy:
    """How long conversations are kept and where Rasa keeps them (``tracker_path`` None: ``tracker.db`` beside the
    database, as the default settings put it)."""

    retention_days: int = DEFAULT_RETENTION_DAYS
    tracker_path: Optional[str] = None

    @classmethod
    def from_settings(cls, settings: Any) -> "PrivacyPolicy":
        """The policy of a deployment's :class:`bot.settings.Settings`."""
        return cls(int(getattr(settings, "retention_days", DEFAULT_RETENTION_DAYS)), str(settings.tracker_db_path))


def first_notice(days: int) -> str:
    """The short notice an account reads once, with its first answer."""
    return (f"🔒 Em lưu tin nhắn và tên hiển thị của anh/chị để trả lời, báo tin hồ sơ anh/chị theo dõi và chuyển cán bộ "
            f"khi anh/chị đồng ý. Tin nhắn tự xóa sau {days} ngày. Xem, xóa dữ liệu: /xoadulieu. Chi tiết: {NOTICE_COMMAND}.")


def full_notice(days: int) -> str:
    """``/quyenriengtu``: what is kept, why, how long, the person's rights, how to delete."""
    return "\n".join([
        "🔒 Dữ liệu của anh/chị ở trợ lý Một cửa",
        "• Em lưu: tin nhắn với trợ lý; tên hiển thị Telegram/Zalo; mã hồ sơ, chủ đề, khu phố anh/chị đăng ký nhận tin; "
        "đánh giá, góp ý, phản ánh anh/chị gửi.",
        "• Để: trả lời, báo tin hồ sơ, chuyển cán bộ khi anh/chị đồng ý, sửa câu trả lời chưa đúng.",
        f"• Bao lâu: tin nhắn và câu hỏi chờ cán bộ xem được xóa sau {days} ngày; đăng ký nhận tin giữ đến khi anh/chị gõ /huy.",
        "• Quyền của anh/chị: được biết, đồng ý hoặc rút đồng ý, xem, yêu cầu xóa "
        f"({LAW}, Điều 4 khoản 1).",
        f"• Xem và xóa dữ liệu: gõ {ERASE_COMMAND}. Dừng nhận tin: /huy.",
        f"• Phường vẫn giữ: {'; '.join(KEPT)} ({KEPT_BASIS}).",
        "Nơi chịu trách nhiệm: Bộ phận Một cửa của phường.",
    ])


@dataclass
class Held:
    """What the assistant holds about one account, as counts and the few things the person recognises."""

    name: str = ""
    channel: str = ""
    since: str = ""
    consent: bool = False
    topics: List[str] = field(default_factory=list)
    area: Optional[str] = None
    messages: int = 0
    reviews: int = 0
    rating_comments: int = 0
    pending_notices: int = 0
    help_requests: int = 0
    petitions: List[str] = field(default_factory=list)


def _day(value: Optional[str]) -> str:
    try:
        return dt.datetime.fromisoformat(value).strftime("%d/%m/%Y") if value else ""
    except ValueError:
        return ""


def held_text(held: Held) -> str:
    """What ``/xoadulieu`` shows before asking for the confirmation."""
    followed = [t.split(":", 1)[1] if t.startswith("dossier:") else t for t in held.topics if not t.startswith(AREA)]
    lines = ["📋 Dữ liệu em đang lưu của tài khoản này:",
             f"• Tên hiển thị: {held.name or '(không có)'} ({held.channel}{', từ ' + held.since if held.since else ''})",
             f"• Tin nhắn trò chuyện: {held.messages}; câu hỏi chờ cán bộ xem: {held.reviews}",
             f"• Nhận thông báo: {'có' if held.consent else 'không'}"
             + (f"; theo dõi: {', '.join(followed)}" if followed else "") + (f"; khu phố: {held.area}" if held.area else ""),
             f"• Góp ý kèm đánh giá: {held.rating_comments}; thông báo chờ gửi: {held.pending_notices}; "
             f"yêu cầu hỗ trợ trực tiếp: {held.help_requests}",
             "Bấm \"Xóa dữ liệu\" để xóa những mục trên (không khôi phục được).",
             f"Phường vẫn giữ: {'; '.join(KEPT)}" + (f" – của anh/chị: {', '.join(held.petitions)}" if held.petitions else "")
             + f" ({KEPT_BASIS})."]
    return "\n".join(lines)


def erased_text(deleted: Dict[str, int]) -> str:
    """The answer after an erasure: what went, what stays and why."""
    return "\n".join([
        f"🗑️ Em đã xóa dữ liệu của tài khoản này: {deleted.get('messages', 0)} tin nhắn trò chuyện, "
        f"{deleted.get('reviews', 0)} câu hỏi chờ xem, {deleted.get('subscriptions', 0)} đăng ký nhận tin (kể cả khu phố), "
        f"lịch sử đồng ý, {deleted.get('rating_comments', 0)} góp ý, {deleted.get('outbox', 0)} thông báo chờ gửi, tên hiển thị.",
        "Anh/chị sẽ không nhận thông báo nào nữa cho đến khi đăng ký lại.",
        f"Phường vẫn giữ theo quy định: {'; '.join(KEPT)} ({KEPT_BASIS}).",
    ])


class Privacy:
    """The notice, what is held, erasure and retention over one deployment's database and its tracker file."""

    def __init__(self, db: sqlite_utils.Database, users: Users, db_path: Union[str, Path],
                 policy: Optional[PrivacyPolicy] = None) -> None:
        self.db, self.users = db, users
        self.policy = policy or PrivacyPolicy()
        self.db_path = Path(db_path)

    @property
    def tracker_path(self) -> Path:
        """Rasa's tracker store file of this deployment."""
        return Path(self.policy.tracker_path) if self.policy.tracker_path else self.db_path.parent / "tracker.db"

    @property
    def days(self) -> int:
        return self.policy.retention_days

    # the notice ------------------------------------------------------------------------------------------------------
    def first_contact(self, conversation: str, now: dt.datetime) -> Optional[str]:
        """The short notice when this account has never had it (then it is recorded), else None."""
        parts = split_conversation_id(conversation)
        if parts is None or parts[0] not in NOTICE_CHANNELS:
            return None
        account = self.users.find(*parts) or self.users.seen(*parts)
        if role_of(account) != CITIZEN:  # staff are told at their invitation, not by the citizens' notice
            return None
        shown = self.db.execute("update users set privacy_notice_at = ? where id = ? and privacy_notice_at is null",
                                [iso(now), account.id]).rowcount
        return first_notice(self.days) if shown else None

    def notice(self) -> str:
        """The full notice (``/quyenriengtu``)."""
        return full_notice(self.days)

    # what is held ----------------------------------------------------------------------------------------------------
    def _tracker(self) -> Optional[sqlite3.Connection]:
        if not self.tracker_path.exists():
            return None
        conn = sqlite3.connect(str(self.tracker_path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
        if not conn.execute("select 1 from sqlite_master where type = 'table' and name = 'events'").fetchone():
            conn.close()
            return None
        return conn

    def _messages(self, conversation: str) -> int:
        conn = self._tracker()
        if conn is None:
            return 0
        try:
            return conn.execute("select count(*) from events where sender_id = ? and type_name = 'user'", [conversation]).fetchone()[0]
        finally:
            conn.close()

    def _count(self, sql: str, params: list) -> int:
        return self.db.execute(sql, params).fetchone()[0]

    def held(self, account: User) -> Held:
        """What is held about ``account``."""
        conversation = account.conversation_id
        topics = [r["topic"] for r in self.db.query("select topic from subscriptions where user_id = ? order by topic", [conversation])]
        area = next((t[len(AREA):] for t in topics if t.startswith(AREA)), None)
        return Held(
            name=account.display_name, channel=account.channel, since=_day(account.created_at), consent=account.consent,
            topics=topics, area=area, messages=self._messages(conversation),
            reviews=sum(self._count(f"select count(*) from {t} where user_id = ?", [conversation]) for t in REVIEW_TABLES),
            rating_comments=self._count("select count(*) from ratings where account_id = ? and comment is not null", [account.id]),
            pending_notices=self._count("select count(*) from outbox where state = 'pending' and (account_id = ? or recipient_id = ?)",
                                        [account.id, account.id]),
            help_requests=self._count("select count(*) from help_requests where conversation = ? or account_id = ?",
                                      [conversation, account.id]),
            petitions=[r["ref"] for r in self.db.query("select ref from petitions where citizen_id = ? order by id", [account.id])],
        )

    # erasure ---------------------------------------------------------------------------------------------------------
    def _key(self) -> bytes:
        self.db.execute("insert or ignore into privacy_state (name, value) values ('erasure_key', ?)", [secrets.token_hex(32)])
        return bytes.fromhex(self.db.execute("select value from privacy_state where name = 'erasure_key'").fetchone()[0])

    def account_hash(self, conversation: str) -> str:
        """The account as recorded in ``erasures``: HMAC-SHA256 with the deployment's key (not reversible by trying ids)."""
        return hmac.new(self._key(), conversation.encode("utf-8"), hashlib.sha256).hexdigest()

    def erase(self, account: User, now: dt.datetime) -> Dict[str, int]:
        """Delete what the assistant holds about ``account`` (the module docstring says what, and what stays); record it."""
        conversation, deleted = account.conversation_id, {}
        key = self._key()
        conn = self.db.conn
        with transaction(conn):
            deleted["reviews"] = sum(conn.execute(f"delete from {t} where user_id = ?", [conversation]).rowcount for t in REVIEW_TABLES)
            deleted["subscriptions"] = conn.execute("delete from subscriptions where user_id = ?", [conversation]).rowcount
            deleted["consent_log"] = conn.execute("delete from consent_log where conversation = ?", [conversation]).rowcount
            deleted["help_requests"] = conn.execute("delete from help_requests where conversation = ? or account_id = ?",
                                                    [conversation, account.id]).rowcount
            deleted["rating_comments"] = conn.execute("update ratings set comment = null where account_id = ? and comment is not null",
                                                      [account.id]).rowcount
            pending = [r[0] for r in conn.execute("select id from outbox where state = 'pending' and (account_id = ? or recipient_id = ?)",
                                                  [account.id, account.id])]
            for outbox_id in pending:
                conn.execute("delete from outbox_attempts where outbox_id = ?", [outbox_id])
                conn.execute("delete from outbox where id = ? and state = 'pending'", [outbox_id])
            deleted["outbox"] = len(pending)
            deleted["handoff_messages"] = conn.execute(
                "update handoff_messages set text = ? where sender = 'citizen' and text != ? and handoff_id in"
                " (select id from handoffs where citizen_id = ? and state = 'closed')", [ERASED_TEXT, ERASED_TEXT, account.id]).rowcount
            conn.execute("delete from waiting where account_id = ?", [account.id])
            conn.execute("delete from invite_failures where account = ?", [conversation])
            if account.channel == "zalo":
                conn.execute("delete from zalo_buttons where user_id = ?", [account.channel_user_id])
            conn.execute("update users set display_name = '', consent = 0, consent_at = null,"
                         " area = case when role = 'citizen' then null else area end where id = ?", [account.id])
            deleted["messages"] = self._erase_conversation(conversation)
            conn.execute("insert into erasures (at, account_hash, channel, deleted) values (?, ?, ?, ?)",
                         [iso(now), hmac.new(key, conversation.encode("utf-8"), hashlib.sha256).hexdigest(), account.channel,
                          json.dumps(deleted, sort_keys=True)])
        return deleted

    def _erase_conversation(self, conversation: str) -> int:
        """Delete the conversation's events from Rasa's tracker store; how many user messages were among them."""
        conn = self._tracker()
        if conn is None:
            return 0
        try:
            messages = conn.execute("select count(*) from events where sender_id = ? and type_name = 'user'", [conversation]).fetchone()[0]
            conn.execute("delete from events where sender_id = ?", [conversation])
            return messages
        finally:
            conn.close()

    def erasures(self) -> List[Dict[str, Any]]:
        """Every recorded erasure, oldest first."""
        return list(self.db.query("select * from erasures order by id"))

    # retention -------------------------------------------------------------------------------------------------------
    def purge(self, now: dt.datetime, days: Optional[int] = None) -> Dict[str, int]:
        """Delete conversation events and review messages older than ``days`` (default the policy's) before ``now``."""
        cutoff = now - dt.timedelta(days=self.days if days is None else days)
        deleted: Dict[str, int] = {}
        stamp = utc_iso(cutoff.timestamp())
        with transaction(self.db.conn):
            for table in REVIEW_TABLES:
                deleted[table] = self.db.conn.execute(f"delete from {table} where julianday(at) < julianday(?)", [stamp]).rowcount
        conn = self._tracker()
        deleted["events"] = 0
        if conn is not None:
            try:
                deleted["events"] = conn.execute("delete from events where timestamp < ?", [cutoff.timestamp()]).rowcount
            finally:
                conn.close()
        return deleted


def retention_summary(deleted: Dict[str, int]) -> int:
    """How many rows a purge deleted in all (the scheduler's ``job_runs.result``)."""
    return sum(deleted.values())


def new_token() -> str:
    """The confirmation token a ``/xoadulieu`` button carries (bound to the account's wait, 30 minutes)."""
    return secrets.token_urlsafe(6)
