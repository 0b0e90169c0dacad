"""What a person follows (a dossier's status, the ward's tips), and the one rule for starting and stopping it.

A subscription row is (conversation id, topic): topic ``dossier:<code>`` (the code as stored), ``tips`` (e-ID and
digital-skills tips), ``announcements`` (the ward's announcements) or ``area:<area id>`` (the one area, a residential
group of data/areas.yml, whose broadcasts the person gets). Following anything also records the account's consent to
notifications; stopping withdraws the consent and every subscription (the area too). Every grant, change and
withdrawal is written to ``consent_log`` with its time (:func:`log_consent`). Every channel (the
``subscribe``/``unsubscribe`` actions, Telegram's ``/dangky`` and ``/huy`` commands, which go through the same actions)
comes here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional

import sqlite_utils

from bot.db import transaction
from bot.people.users import Users, split_conversation_id
from bot.timeutil import iso, now_vn, utc_iso

TIPS = "tips"
ANNOUNCEMENTS = "announcements"
BROADCAST_TOPICS = (TIPS, ANNOUNCEMENTS)  # what a team member's broadcast may be about
AREA = "area:"


@dataclass(frozen=True)
class Followed:
    """What :func:`follow` did: ``new`` False when the account already followed ``topic``."""

    topic: str
    new: bool
    code: Optional[str] = None


class Subscriptions:
    """The ``subscriptions`` table."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def add(self, user_id: str, topic: str) -> bool:
        """Subscribe conversation ``user_id`` to ``topic``; False when already subscribed."""
        cursor = self.db.execute("insert or ignore into subscriptions (user_id, topic, at) values (?, ?, ?)",
                                 [user_id, topic, utc_iso()])
        return cursor.rowcount == 1

    def remove_all(self, user_id: str) -> int:
        """Remove every subscription of ``user_id``; returns how many there were."""
        return self.db.execute("delete from subscriptions where user_id = ?", [user_id]).rowcount

    def topics(self, user_id: str) -> List[str]:
        """Topics ``user_id`` is subscribed to."""
        return [r["topic"] for r in self.db.query("select topic from subscriptions where user_id = ?", [user_id])]

    def remove(self, user_id: str, topic: str) -> bool:
        """Stop one topic of ``user_id``; False when it was not followed."""
        return self.db.execute("delete from subscriptions where user_id = ? and topic = ?", [user_id, topic]).rowcount == 1

    def area(self, user_id: str) -> Optional[str]:
        """The area id ``user_id`` chose (None when none)."""
        rows = list(self.db.query("select topic from subscriptions where user_id = ? and topic like 'area:%' order by at desc",
                                  [user_id]))
        return rows[0]["topic"][len(AREA):] if rows else None

    def set_area(self, user_id: str, area_id: str) -> None:
        """``user_id`` belongs to ``area_id`` (one area at a time)."""
        with transaction(self.db.conn):
            self.db.execute("delete from subscriptions where user_id = ? and topic like 'area:%'", [user_id])
            self.db.execute("insert into subscriptions (user_id, topic, at) values (?, ?, ?)", [user_id, AREA + area_id, utc_iso()])

    def in_areas(self, topic: str, area_ids: Iterable[str]) -> List[str]:
        """Conversation ids that follow ``topic`` and chose one of ``area_ids``."""
        areas = [AREA + a for a in area_ids]
        if not areas:
            return []
        marks = ",".join("?" * len(areas))
        return [r["user_id"] for r in self.db.query(
            f"select s.user_id from subscriptions s join subscriptions a on a.user_id = s.user_id and a.topic in ({marks})"
            " where s.topic = ? order by s.user_id", [*areas, topic])]

    def subscribers(self, topic: str) -> List[str]:
        """Conversation ids subscribed to ``topic`` (dossier codes compared case-insensitively)."""
        return [r["user_id"] for r in self.db.query("select user_id from subscriptions where upper(topic) = upper(?)", [topic])]


def _account(users: Users, conversation: str) -> Optional[Any]:
    parts = split_conversation_id(conversation)
    if parts is None:
        return None
    return users.find(*parts) or users.seen(*parts)


def log_consent(subscriptions: Subscriptions, conversation: str, account: Optional[Any], action: str,
                source: str = "") -> None:
    """Write the consent's change (``grant``, ``topic+``, ``topic-``, ``area``, ``withdraw``) with the time and what the
    conversation follows afterwards."""
    topics = subscriptions.topics(conversation)
    area = next((t[len(AREA):] for t in topics if t.startswith(AREA)), None)
    subscriptions.db.execute(
        "insert into consent_log (at, conversation, account_id, action, topics, area, source) values (?, ?, ?, ?, ?, ?, ?)",
        [iso(now_vn()), conversation, getattr(account, "id", None), action,
         json.dumps(sorted(t for t in topics if not t.startswith(AREA)), ensure_ascii=False), area, source])


def consent_history(subscriptions: Subscriptions, conversation: str) -> List[Dict[str, Any]]:
    """Every recorded consent change of ``conversation``, oldest first."""
    return list(subscriptions.db.query("select * from consent_log where conversation = ? order by id", [conversation]))


def follow(users: Users, subscriptions: Subscriptions, conversation: str, dossier: Optional[Dict[str, Any]] = None,
           *, topic: Optional[str] = None, source: str = "") -> Followed:
    """Consent to notifications and follow ``dossier`` (else ``topic``; else the ward's tips)."""
    account = _account(users, conversation)
    if account is not None:
        users.set_consent(account.id, True)
    topic = f"dossier:{dossier['code']}" if dossier else (topic or TIPS)
    followed = Followed(topic, subscriptions.add(conversation, topic), dossier["code"] if dossier else None)
    log_consent(subscriptions, conversation, account, f"topic+ {topic}" if followed.new else "grant", source)
    return followed


def unfollow(users: Users, subscriptions: Subscriptions, conversation: str, topic: str, source: str = "") -> bool:
    """Stop one topic (consent to the others stays); False when it was not followed."""
    removed = subscriptions.remove(conversation, topic)
    if removed:
        log_consent(subscriptions, conversation, _account(users, conversation), f"topic- {topic}", source)
    return removed


def choose_area(users: Users, subscriptions: Subscriptions, conversation: str, area_id: str, source: str = "") -> None:
    """The person's area (whose team's broadcasts they get, for the topics they follow); recorded in the log."""
    subscriptions.set_area(conversation, area_id)
    log_consent(subscriptions, conversation, _account(users, conversation), f"area {area_id}", source)


def stop(users: Users, subscriptions: Subscriptions, conversation: str, source: str = "") -> int:
    """Withdraw consent and every subscription of ``conversation`` (the area too); returns how many there were."""
    account = _account(users, conversation)
    if account is not None:
        users.set_consent(account.id, False)
    removed = subscriptions.remove_all(conversation)
    log_consent(subscriptions, conversation, account, "withdraw", source)
    return removed


def subscribed_accounts(users: Users, subscriptions: Subscriptions, topic: str) -> List[Any]:
    """The accounts a notice about ``topic`` goes to (each subscriber's push account, each once)."""
    found: Dict[int, Any] = {}
    for conversation in subscriptions.subscribers(topic):
        parts = split_conversation_id(conversation)
        account = users.push_account(users.find(*parts) if parts else None)
        if account is not None:
            found[account.id] = account
    return list(found.values())


