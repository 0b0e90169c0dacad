"""What a person follows (a dossier's status, the ward's tips), and the one rule for starting and stopping it.

A subscription row is (conversation id, topic): topic ``dossier:<code>`` (the code as stored) or ``tips``.
Following anything also records the account's consent to notifications; stopping withdraws the consent and
every subscription. Every channel (the ``subscribe``/``unsubscribe`` actions, Telegram's ``/dangky`` and
``/huy`` commands, which go through the same actions) comes here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import sqlite_utils

from bot.people.users import Users, split_conversation_id
from bot.timeutil import utc_iso

TIPS = "tips"


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

    def subscribers(self, topic: str) -> List[str]:
        """Conversation ids subscribed to ``topic`` (dossier codes compared case-insensitively)."""
        return [r["user_id"] for r in self.db.query("select user_id from subscriptions where upper(topic) = upper(?)", [topic])]


def _account(users: Users, conversation: str) -> Optional[Any]:
    parts = split_conversation_id(conversation)
    if parts is None:
        return None
    return users.find(*parts) or users.seen(*parts)


def follow(users: Users, subscriptions: Subscriptions, conversation: str, dossier: Optional[Dict[str, Any]] = None) -> Followed:
    """Consent to notifications and follow ``dossier`` (or the ward's tips when None)."""
    account = _account(users, conversation)
    if account is not None:
        users.set_consent(account.id, True)
    topic = f"dossier:{dossier['code']}" if dossier else TIPS
    return Followed(topic, subscriptions.add(conversation, topic), dossier["code"] if dossier else None)


def stop(users: Users, subscriptions: Subscriptions, conversation: str) -> int:
    """Withdraw consent and every subscription of ``conversation``; returns how many subscriptions there were."""
    account = _account(users, conversation)
    if account is not None:
        users.set_consent(account.id, False)
    return subscriptions.remove_all(conversation)


def subscribed_accounts(users: Users, subscriptions: Subscriptions, topic: str) -> List[Any]:
    """The accounts a notice about ``topic`` goes to (each subscriber's push account, each once)."""
    found: Dict[int, Any] = {}
    for conversation in subscriptions.subscribers(topic):
        parts = split_conversation_id(conversation)
        account = users.push_account(users.find(*parts) if parts else None)
        if account is not None:
            found[account.id] = account
    return list(found.values())


