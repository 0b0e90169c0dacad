"""One user table across channels: who wrote from where, their role, and their consent to notifications.

A row is one account on one channel (``channel``, ``channel_user_id``); accounts that belong to the same
person share a ``person_id``, so a notification that cannot go out on one channel (a Zalo user outside
the 48-hour window) can use another channel the person has. Channel user ids are strings everywhere
(Zalo ids overflow JavaScript numbers; Telegram chat ids can be negative).

The Rasa conversation id of an account is ``"<channel>:<channel_user_id>"`` (see :func:`conversation_id`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, List, Optional

import sqlite_utils

from bot.db import transaction
from bot.people.roles import checked_assignment
from bot.privacy import names_changed
from bot.timeutil import utc_iso

CHANNELS = ("web", "telegram", "zalo", "cli")
PUSH_CHANNELS = ("telegram", "zalo")  # channels that can message a user who did not write first


@dataclass(frozen=True)
class User:
    """One account on one channel."""

    id: int
    person_id: int
    channel: str
    channel_user_id: str
    display_name: str
    role: str
    department: Optional[str]
    language: str
    consent: bool
    created_at: str
    last_message_at: Optional[str]
    area: Optional[str] = None  # a community team member's area (migration 4)

    @property
    def conversation_id(self) -> str:
        """The Rasa sender id of this account."""
        return conversation_id(self.channel, self.channel_user_id)


def conversation_id(channel: str, channel_user_id: str) -> str:
    """``"telegram:12345"``: the conversation (Rasa sender) id of an account."""
    return f"{channel}:{channel_user_id}"


def assign_role(conn: Any, user_id: int, role: str, department: Optional[str] = None, area: Optional[str] = None) -> None:
    """Set the account's role inside the caller's transaction (redeeming an invite does it with the invite's use)."""
    role, department, area = checked_assignment(role, department, area)
    conn.execute("update users set role = ?, department = ?, area = ? where id = ?", [role, department, area, user_id])


def split_conversation_id(value: str) -> Optional[tuple]:
    """``"zalo:84..." -> ("zalo", "84...")``; None when ``value`` is not a channel account id."""
    channel, sep, rest = (value or "").partition(":")
    return (channel, rest) if sep and channel in CHANNELS and rest else None


class Users:
    """The ``users`` table over a sqlite-utils database."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def _row(self, where: str, params: list) -> Optional[User]:
        rows = list(self.db.query(f"select * from users where {where}", params))
        if not rows:
            return None
        r = rows[0]
        return User(
            id=r["id"], person_id=r["person_id"] or r["id"], channel=r["channel"], channel_user_id=r["channel_user_id"],
            display_name=r["display_name"] or "", role=r["role"], department=r["department"],
            language=r["language"] or "vi", consent=bool(r["consent"]), created_at=r["created_at"],
            last_message_at=r["last_message_at"], area=r.get("area"),
        )

    def get(self, user_id: int) -> Optional[User]:
        """The account with row id ``user_id``."""
        return self._row("id = ?", [user_id])

    def find(self, channel: str, channel_user_id: str) -> Optional[User]:
        """The account ``channel_user_id`` on ``channel``."""
        return self._row("channel = ? and channel_user_id = ?", [channel, str(channel_user_id)])

    def seen(self, channel: str, channel_user_id: str, display_name: Optional[str] = None,
             at: Optional[str] = None) -> User:
        """Record a message from an account (creating it on first contact); returns the account.

        ``at`` (ISO time, default now) becomes ``last_message_at``: the start of Zalo's reply window.
        """
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
        cuid, at, name = str(channel_user_id), at or utc_iso(), (display_name or "")[:200]
        with transaction(self.db.conn):
            self.db.execute(
                "insert into users (channel, channel_user_id, display_name, role, language, consent, created_at,"
                " last_message_at) values (?, ?, ?, 'citizen', 'vi', 0, ?, ?)"
                " on conflict (channel, channel_user_id) do update set last_message_at = excluded.last_message_at,"
                " display_name = coalesce(nullif(excluded.display_name, ''), users.display_name)",
                [channel, cuid, name, at, at],
            )
            self.db.execute("update users set person_id = id where person_id is null and channel = ? and channel_user_id = ?",
                            [channel, cuid])  # first contact: a person of its own
        if name:
            names_changed()  # the log masker reads the names again
        return self.find(channel, cuid)

    def set_consent(self, user_id: int, consent: bool) -> None:
        """Record the account's consent (or its withdrawal) to receive notifications."""
        with transaction(self.db.conn):
            self.db.execute("update users set consent = ?, consent_at = ? where id = ?", [int(consent), utc_iso(), user_id])

    def set_role(self, user_id: int, role: str, department: Optional[str] = None, area: Optional[str] = None) -> None:
        """Make the account an official (of ``department``), a team member (of ``area``), a leader, an admin or a
        citizen (rules: :func:`bot.people.roles.checked_assignment`; ``ValueError`` when they are not met)."""
        with transaction(self.db.conn):
            assign_role(self.db.conn, user_id, role, department, area)

    def link(self, user_id: int, other_id: int) -> None:
        """Record that two accounts belong to one person (``other_id`` joins ``user_id``'s person)."""
        person = self.get(user_id).person_id
        old = self.get(other_id).person_id
        with transaction(self.db.conn):
            self.db.execute("update users set person_id = ? where person_id = ?", [person, old])

    def accounts_of(self, person_id: int) -> List[User]:
        """Every account of one person, the most recently active first."""
        ids = [r["id"] for r in self.db.query(
            "select id from users where person_id = ? order by coalesce(last_message_at, '') desc, id", [person_id])]
        return [self.get(i) for i in ids]

    def officials(self, department: Optional[str] = None) -> List[User]:
        """Accounts with the official role (of ``department`` when given)."""
        sql, params = "select id from users where role = 'official'", []
        if department is not None:
            sql, params = sql + " and department = ?", [department]
        return [self.get(r["id"]) for r in self.db.query(sql + " order by id", params)]

    def push_account(self, account: Optional[User], *, exclude: Iterable[int] = (),
                     channels: Iterable[str] = PUSH_CHANNELS) -> Optional[User]:
        """Where a notice for ``account`` can go: the account itself when it can receive pushes and consented, else the
        person's most recently active other account that can (never one in ``exclude``); None when there is none."""
        if account is None:
            return None
        allowed, skip = set(channels), set(exclude)
        if account.id not in skip and account.channel in allowed and account.consent:
            return account
        for other in self.accounts_of(account.person_id):
            if other.id not in skip and other.channel in allowed and other.consent:
                return other
        return None

    def consented(self, account_id: int) -> bool:
        """True when the account agrees to notifications now (checked again at send time)."""
        account = self.get(account_id)
        return bool(account and account.consent)
