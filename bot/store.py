"""The data layer: one SQLite file through sqlite-utils. It knows nothing about dialogue."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional

import sqlite_utils

from bot.catalogue import Procedure, parse_procedure
from bot.dossiers import Dossiers
from bot.timestamps import utc_iso
from bot.users import Users


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


class Store:
    """Catalogue, ward facts, dossiers, and what citizens left for officials to review."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite_utils.Database(sqlite3.connect(str(self.path), check_same_thread=False))
        self.db.execute("PRAGMA journal_mode=WAL")
        self._ensure_schema()
        self.users = Users(self.db)
        self.dossiers = Dossiers(self.db)

    def _ensure_schema(self) -> None:
        db = self.db
        if "procedures" not in db.table_names():
            db["procedures"].create(
                {"id": str, "code": str, "name": str, "field": str, "family": str, "verified": int, "data": str},
                pk="id",
            )
        if "ward" not in db.table_names():
            db["ward"].create({"key": str, "data": str}, pk="key")
        for name in ("unknown_messages", "feedback", "handoff_requests"):
            if name not in db.table_names():
                db[name].create(
                    {"id": int, "at": str, "user_id": str, "text": str, "intent": str, "confidence": float},
                    pk="id",
                )
        if "subscriptions" not in db.table_names():
            db["subscriptions"].create(
                {"user_id": str, "topic": str, "at": str}, pk=("user_id", "topic")
            )

    # catalogue -------------------------------------------------------------------------
    def replace_catalogue(self, procedures: Dict[str, Procedure]) -> int:
        """Make the procedures table hold exactly ``procedures``; returns the count."""
        rows = [
            {
                "id": p.id, "code": p.code, "name": p.name, "field": p.field, "family": p.family,
                "verified": int(p.verified), "data": json.dumps(_jsonable(p.raw), ensure_ascii=False),
            }
            for p in procedures.values()
        ]
        with self.db.conn:
            self.db["procedures"].delete_where()
            self.db["procedures"].insert_all(rows, pk="id")
        self.procedure.cache_clear()
        return len(rows)

    @lru_cache(maxsize=256)
    def procedure(self, procedure_id: str) -> Optional[Procedure]:
        """The catalogue entry ``procedure_id``, or None."""
        rows = list(self.db.query("select data from procedures where id = ?", [procedure_id]))
        if not rows:
            return None
        return parse_procedure(json.loads(rows[0]["data"]), Path(f"{procedure_id}.yml"))

    def procedure_ids(self) -> List[str]:
        """Every procedure id in the catalogue."""
        return [row["id"] for row in self.db.query("select id from procedures order by id")]

    def family(self, family: str) -> List[str]:
        """Ids of the procedures of one family."""
        return [r["id"] for r in self.db.query("select id from procedures where family = ? order by id", [family])]

    # ward --------------------------------------------------------------------------------
    def set_ward(self, data: Dict[str, Any]) -> None:
        """Store the ward's own facts (address, hours, hotline)."""
        self.db["ward"].upsert({"key": "ward", "data": json.dumps(_jsonable(data), ensure_ascii=False)}, pk="key")

    def ward(self) -> Dict[str, Any]:
        """The ward's own facts, or an empty mapping."""
        rows = list(self.db.query("select data from ward where key = 'ward'"))
        return json.loads(rows[0]["data"]) if rows else {}

    # dossiers ----------------------------------------------------------------------------
    # (schema, history, overdue scans and the rest live in bot/dossiers.py: ``self.dossiers``)
    # things for officials to review ------------------------------------------------------
    def record(self, table: str, user_id: str, text: str, intent: str = "", confidence: float = 0.0) -> None:
        """Log a message for review: ``unknown_messages``, ``feedback`` or ``handoff_requests``."""
        if table not in ("unknown_messages", "feedback", "handoff_requests"):
            raise ValueError(f"unknown review table {table!r}")
        self.db[table].insert(
            {"at": utc_iso(), "user_id": user_id, "text": text[:10000], "intent": intent, "confidence": confidence}
        )

    def count(self, table: str) -> int:
        """Rows in ``table``."""
        return self.db[table].count

    def subscribe(self, user_id: str, topic: str) -> bool:
        """Subscribe ``user_id`` to ``topic``; False when already subscribed."""
        cursor = self.db.execute(
            "insert or ignore into subscriptions (user_id, topic, at) values (?, ?, ?)", [user_id, topic, utc_iso()]
        )
        self.db.conn.commit()
        return cursor.rowcount == 1

    def unsubscribe(self, user_id: str) -> int:
        """Remove every subscription of ``user_id``; returns how many there were."""
        cursor = self.db.execute("delete from subscriptions where user_id = ?", [user_id])
        self.db.conn.commit()
        return cursor.rowcount

    def subscriptions(self, user_id: str) -> List[str]:
        """Topics ``user_id`` is subscribed to."""
        return [r["topic"] for r in self.db.query("select topic from subscriptions where user_id = ?", [user_id])]


@lru_cache(maxsize=8)
def open_store(path: str) -> Store:
    """One shared :class:`Store` per database file in this process."""
    return Store(Path(path))
