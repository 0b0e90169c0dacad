"""What citizens left for officials to review: messages the assistant could not place, feedback, requests for a person."""

from __future__ import annotations

import sqlite_utils

from bot.timeutil import utc_iso

TABLES = ("unknown_messages", "feedback", "handoff_requests")


class Reviews:
    """The review tables (``unknown_messages``, ``feedback``, ``handoff_requests``)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def record(self, table: str, user_id: str, text: str, intent: str = "", confidence: float = 0.0) -> None:
        """Keep a message for review in ``table``."""
        if table not in TABLES:
            raise ValueError(f"unknown review table {table!r}")
        self.db.execute(f"insert into {table} (at, user_id, text, intent, confidence) values (?, ?, ?, ?, ?)",
                        [utc_iso(), user_id, text[:10000], intent, confidence])

    def count(self, table: str) -> int:
        """Rows in ``table``."""
        if table not in TABLES:
            raise ValueError(f"unknown review table {table!r}")
        return self.db.execute(f"select count(*) from {table}").fetchone()[0]
