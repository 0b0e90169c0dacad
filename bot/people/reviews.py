"""What citizens left for officials to review: messages the assistant could not place, feedback, requests for a person.

A message is stored masked (:func:`bot.privacy.mask`: phone numbers, ID numbers, known names), so an official reading
the review tables sees what was asked, not who asked it; the tables are deleted after the retention period
(bot/people/privacy.py)."""

from __future__ import annotations

from typing import Optional

import sqlite_utils

from bot.privacy import mask
from bot.timeutil import utc_iso

TABLES = ("unknown_messages", "feedback", "handoff_requests")


class Reviews:
    """The review tables (``unknown_messages``, ``feedback``, ``handoff_requests``)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def record(self, table: str, user_id: str, text: str, intent: str = "", confidence: float = 0.0,
               at: Optional[str] = None) -> None:
        """Keep a message for review in ``table``, masked (``at``: ISO time, default now)."""
        if table not in TABLES:
            raise ValueError(f"unknown review table {table!r}")
        self.db.execute(f"insert into {table} (at, user_id, text, intent, confidence) values (?, ?, ?, ?, ?)",
                        [at or utc_iso(), user_id, mask((text or "")[:10000]), intent, confidence])

    def count(self, table: str) -> int:
        """Rows in ``table``."""
        if table not in TABLES:
            raise ValueError(f"unknown review table {table!r}")
        return self.db.execute(f"select count(*) from {table}").fetchone()[0]
