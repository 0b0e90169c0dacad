"""Invites: one-time codes that give an account a role (cán bộ, tổ công nghệ số cộng đồng, lãnh đạo, quản trị).

An admin makes one (``motcua invite --role official --department "Tư pháp - Hộ tịch"``, or "/taomoi …" in a chat);
the person types it in any channel ("mã mời KMRT-VXAB-QHNC", Telegram ``/moi KMRT-VXAB-QHNC``) and their account
gets the role. The rules, all here:

- a code is 12 random letters (``secrets``; shape in :mod:`nlu.invite_code`, about 53 bits), shown once and
  stored only as its SHA-256 (table ``invites``); the hash found is compared with ``hmac.compare_digest``;
- it works once (the use and the new role are written in one transaction, so two accounts racing for it get
  one success) and until it expires (7 days unless said otherwise, 30 at most);
- wrong codes are counted per account per Vietnamese day in ``invite_failures`` (a restart or another worker
  does not reset them, like ``dossier_lookup_failures``); after :data:`MAX_FAILURES_PER_DAY` the account
  cannot redeem until the next day, and its codes are not even looked at;
- an admin's account is never demoted by a code (an admin testing a code they made keeps the role), and a group
  chat never gets a role (every member would hold it): the code stays unused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Optional

import sqlite_utils

from bot.db import transaction
from bot.people.roles import ADMIN, CITIZEN, OFFICIAL, TEAM, checked_assignment, group_chat, split_role
from bot.people.users import User, assign_role
from bot.timeutil import VN_TZ, iso, local
from nlu.invite_code import ALPHABET, GROUP_LENGTH, LENGTH, canonical

DEFAULT_TTL = dt.timedelta(days=7)
MAX_TTL = dt.timedelta(days=30)
MAX_FAILURES_PER_DAY = 5

# outcomes of a redemption
OK, WRONG, EXPIRED, USED, LOCKED, KEPT_ADMIN, GROUP = "ok", "wrong", "expired", "used", "locked", "kept_admin", "group"


@dataclass(frozen=True)
class Invite:
    """A new invite: ``code`` is the only copy of the code, shown once to whoever made it."""

    code: str
    role: str
    department: Optional[str]
    area: Optional[str]
    expires_at: dt.datetime


@dataclass(frozen=True)
class Redemption:
    """What redeeming a code did: ``outcome`` one of ok, wrong, expired, used, locked, kept_admin, group."""

    outcome: str
    role: Optional[str] = None
    department: Optional[str] = None
    area: Optional[str] = None
    tries_left: int = MAX_FAILURES_PER_DAY


@dataclass(frozen=True)
class InviteRequest:
    """An invite asked for in a chat: who it is for and how long it lasts."""

    role: str
    department: Optional[str]
    area: Optional[str]
    ttl: dt.timedelta


def new_code() -> str:
    """A fresh code, ``KMRT-VXAB-QHNC`` (12 letters from :data:`nlu.invite_code.ALPHABET`)."""
    letters = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(letters[i:i + GROUP_LENGTH] for i in range(0, LENGTH, GROUP_LENGTH))


def code_hash(code: str) -> str:
    """The SHA-256 (hex) of a code's canonical form: what the table keeps."""
    return hashlib.sha256((canonical(code) or "").encode("ascii")).hexdigest()


_DURATION = re.compile(r"^(\d{1,4})\s*(d|ngay|ngày|h|gio|giờ|m|phut|phút)$", re.IGNORECASE)
_UNITS = {"d": "days", "ngay": "days", "ngày": "days", "h": "hours", "gio": "hours", "giờ": "hours",
          "m": "minutes", "phut": "minutes", "phút": "minutes"}


def parse_duration(text: str) -> dt.timedelta:
    """``"7d"``, ``"48h"``, ``"30m"``, ``"3 ngày"`` -> a timedelta between a minute and :data:`MAX_TTL`.

    Raises ``ValueError`` with a Vietnamese message."""
    match = _DURATION.match((text or "").strip())
    if not match:
        raise ValueError(f"Thời hạn {text!r} không đúng dạng: dùng ví dụ 7d (ngày), 48h (giờ) hoặc 30m (phút).")
    ttl = dt.timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})
    if ttl < dt.timedelta(minutes=1) or ttl > MAX_TTL:
        raise ValueError(f"Thời hạn của mã mời từ 1 phút đến {MAX_TTL.days} ngày.")
    return ttl


_REQUEST_LEAD = re.compile(
    r"^\s*(?:/taomoi|/create_invite|t[ạa]o\s+(?:m[ãa]\s+|l[ờơo]i\s+)?m[ờơo]i(?:\s+cho)?)\b[\s:]*", re.IGNORECASE)


def parse_request(text: str) -> InviteRequest:
    """``"/taomoi cán bộ Tư pháp - Hộ tịch 3d"`` or ``"tạo mã mời tổ cộng đồng Tổ dân phố 3"`` -> an request.

    The role comes first (its name in Vietnamese or English), then the department (an official) or the area (a
    team member), then optionally how long the code lasts (``3d``, ``48h``). Raises ``ValueError`` (Vietnamese)."""
    rest = _REQUEST_LEAD.sub("", text or "", count=1).strip()
    role, rest = split_role(rest)
    if role is None or role == CITIZEN:
        raise ValueError("Cú pháp: /taomoi <vai trò> <bộ phận hoặc địa bàn> [thời hạn], ví dụ "
                         "\"/taomoi cán bộ Tư pháp - Hộ tịch\", \"/taomoi tổ cộng đồng Tổ dân phố 3 3d\". "
                         "Vai trò: cán bộ, tổ cộng đồng, lãnh đạo, quản trị.")
    ttl, words = DEFAULT_TTL, rest.split()
    if words and _DURATION.match(words[-1]):
        ttl, rest = parse_duration(words[-1]), " ".join(words[:-1])
    department = rest if role == OFFICIAL else None
    area = rest if role == TEAM else None
    role, department, area = checked_assignment(role, department, area)
    return InviteRequest(role, department, area, ttl)


def _day(now: dt.datetime) -> str:
    return local(now).date().isoformat()


class Invites:
    """The ``invites`` and ``invite_failures`` tables."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def create(self, role: str, department: Optional[str] = None, area: Optional[str] = None, *, created_by: str,
               now: dt.datetime, ttl: dt.timedelta = DEFAULT_TTL) -> Invite:
        """Make a one-time code for ``role`` (checked as :func:`bot.people.roles.checked_assignment` does)."""
        if role == CITIZEN:
            raise ValueError("Người dân không cần mã mời.")
        role, department, area = checked_assignment(role, department, area)
        if ttl <= dt.timedelta(0) or ttl > MAX_TTL:
            raise ValueError(f"Thời hạn của mã mời từ 1 phút đến {MAX_TTL.days} ngày.")
        code, expires = new_code(), local(now) + ttl
        self.db.execute(
            "insert into invites (code_hash, role, department, area, created_by, created_at, expires_at)"
            " values (?, ?, ?, ?, ?, ?, ?)",
            [code_hash(code), role, department, area, created_by[:200], iso(now), iso(expires)],
        )
        return Invite(code, role, department, area, local(expires).replace(microsecond=0))

    def failures(self, account: str, now: dt.datetime) -> int:
        """Wrong codes ``account`` (a conversation id) sent on ``now``'s day."""
        rows = list(self.db.query("select failures from invite_failures where account = ? and day = ?", [account, _day(now)]))
        return rows[0]["failures"] if rows else 0

    def tries_left(self, account: str, now: dt.datetime) -> int:
        """How many wrong codes ``account`` may still send today."""
        return max(0, MAX_FAILURES_PER_DAY - self.failures(account, now))

    def redeem(self, account: User, code: str, now: dt.datetime) -> Redemption:
        """Give ``account`` the role of the invite ``code``, once; see the module's rules."""
        key = account.conversation_id
        if group_chat(account.channel, account.channel_user_id):  # a role is one person's, never a group's
            return Redemption(GROUP)
        if self.tries_left(key, now) == 0:
            return Redemption(LOCKED, tries_left=0)
        digest = code_hash(code) if canonical(code) else None
        with transaction(self.db.conn):
            row = None
            if digest is not None:
                found = self.db.conn.execute(
                    "select id, code_hash, role, department, area, expires_at, used_at from invites where code_hash = ?",
                    [digest]).fetchone()
                if found is not None and hmac.compare_digest(found[1], digest):
                    row = found
            if row is None:
                self.db.conn.execute(
                    "insert into invite_failures (account, day, failures, last_at) values (?, ?, 1, ?)"
                    " on conflict (account, day) do update set failures = failures + 1, last_at = excluded.last_at",
                    [key, _day(now), iso(now)])
                left = max(0, MAX_FAILURES_PER_DAY - self.db.conn.execute(
                    "select failures from invite_failures where account = ? and day = ?", [key, _day(now)]).fetchone()[0])
                return Redemption(WRONG if left else LOCKED, tries_left=left)
            invite_id, _, role, department, area, expires_at, used_at = row
            if used_at is not None:
                return Redemption(USED, role, department, area)
            if dt.datetime.fromisoformat(expires_at) <= now:
                return Redemption(EXPIRED, role, department, area)
            if account.role == ADMIN and role != ADMIN:
                return Redemption(KEPT_ADMIN, role, department, area)
            claimed = self.db.conn.execute(
                "update invites set used_at = ?, used_by = ? where id = ? and used_at is null", [iso(now), account.id, invite_id])
            if claimed.rowcount != 1:
                return Redemption(USED, role, department, area)
            assign_role(self.db.conn, account.id, role, department, area)
        return Redemption(OK, role, department, area)

    def open_count(self, now: dt.datetime) -> int:
        """Invites neither used nor expired at ``now``."""
        return self.db.conn.execute("select count(*) from invites where used_at is null and expires_at > ?",
                                    [iso(now)]).fetchone()[0]


def expiry_text(moment: dt.datetime) -> str:
    """``"17:30 ngày 01/12/2026"``: when a code expires, as a person reads it (Vietnam time)."""
    moment = moment.astimezone(VN_TZ)
    return f"{moment:%H:%M} ngày {moment:%d/%m/%Y}"
