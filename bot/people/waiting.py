"""What an account's next message answers: the conversation is waiting for a hand-off's consent, a petition's
text or a rating's comment (table ``waiting``, one row per account, until ``expires_at``).

Kept in the database rather than in Rasa's slots so the channel-neutral desk (bot/people/desk.py) reads it before
the NLU on every channel and in every worker process; a newer wait replaces an older one.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Dict, Optional

import sqlite_utils

from bot.timeutil import iso

HANDOFF_CONSENT, PETITION_TEXT, RATING_COMMENT = "handoff_consent", "petition_text", "rating_comment"
ERASE_CONFIRM = "erase_confirm"  # /xoadulieu: the confirmation token of the account's own request (bot/people/privacy.py)
KINDS = (HANDOFF_CONSENT, PETITION_TEXT, RATING_COMMENT, ERASE_CONFIRM)
LIFETIME = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class Wait:
    """What an account's next message answers, and what it needs to know (``data``)."""

    kind: str
    data: Dict[str, Any]


class Waiting:
    """The ``waiting`` table."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def set(self, account_id: int, kind: str, data: Dict[str, Any], now: dt.datetime) -> None:
        """The account's next message (within :data:`LIFETIME`) answers ``kind``."""
        if kind not in KINDS:
            raise ValueError(f"unknown wait {kind!r}")
        self.db.execute("insert into waiting (account_id, kind, data, since, expires_at) values (?, ?, ?, ?, ?)"
                        " on conflict (account_id) do update set kind = excluded.kind, data = excluded.data,"
                        " since = excluded.since, expires_at = excluded.expires_at",
                        [account_id, kind, json.dumps(data, ensure_ascii=False), iso(now), iso(now + LIFETIME)])

    def get(self, account_id: int, now: dt.datetime) -> Optional[Wait]:
        """What the account's message answers now (None when nothing, or the wait expired)."""
        row = self.db.execute("select kind, data from waiting where account_id = ? and expires_at > ?",
                              [account_id, iso(now)]).fetchone()
        return Wait(row[0], json.loads(row[1] or "{}")) if row else None

    def clear(self, account_id: int) -> None:
        """Nothing is awaited from the account any more."""
        self.db.execute("delete from waiting where account_id = ?", [account_id])
