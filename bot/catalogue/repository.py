"""The catalogue as loaded into the database: procedures by id, the light list of the others, the ward's own facts.
Nothing about dialogue."""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import sqlite_utils

from bot.catalogue.counters import Layout, parse_counters
from bot.catalogue.procedure_list import Listed
from bot.catalogue.procedures import Procedure, parse_procedure
from bot.db import transaction


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


class Catalogue:
    """The ``procedures``, ``listed_procedures`` and ``ward`` tables (the ward's facts and its counters)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.procedure = lru_cache(maxsize=256)(self._procedure)
        self.listed = lru_cache(maxsize=1)(self._listed)

    def replace(self, procedures: Dict[str, Procedure]) -> int:
        """Make the procedures table hold exactly ``procedures``, in one transaction; returns the count."""
        rows = [
            (p.id, p.code, p.name, p.field, p.family, int(p.verified), json.dumps(_jsonable(p.raw), ensure_ascii=False))
            for p in procedures.values()
        ]
        with transaction(self.db.conn) as conn:
            conn.execute("delete from procedures")
            conn.executemany("insert into procedures (id, code, name, field, family, verified, data) values (?, ?, ?, ?, ?, ?, ?)", rows)
        self.procedure.cache_clear()
        return len(rows)

    def _procedure(self, procedure_id: str) -> Optional[Procedure]:
        """The catalogue entry ``procedure_id``, or None."""
        rows = list(self.db.query("select data from procedures where id = ?", [procedure_id]))
        if not rows:
            return None
        return parse_procedure(json.loads(rows[0]["data"]), Path(f"{procedure_id}.yml"))

    def replace_listed(self, items: Dict[str, Listed]) -> int:
        """Make the light list hold exactly ``items``, in one transaction; returns the count."""
        rows = [
            (i.code, i.name, i.field, i.level, i.handled_by, int(i.ward), i.entry, i.record, i.source,
             json.dumps(list(i.aliases), ensure_ascii=False), i.url)
            for i in items.values()
        ]
        with transaction(self.db.conn) as conn:
            conn.execute("delete from listed_procedures")
            conn.executemany("insert into listed_procedures (code, name, field, level, handled_by, ward, entry, record, source,"
                             " aliases, url) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        self.listed.cache_clear()
        return len(rows)

    def _listed(self) -> Tuple[Listed, ...]:
        """Every procedure of the light list, by code (read once per process; :meth:`replace_listed` renews it)."""
        return tuple(
            Listed(row["code"], row["name"], row["field"], row["level"], row["handled_by"], bool(row["ward"]), row["entry"],
                   row["record"], row["source"], tuple(json.loads(row["aliases"] or "[]")), row["url"])
            for row in self.db.query("select * from listed_procedures order by code")
        )

    def ids(self) -> List[str]:
        """Every procedure id in the catalogue."""
        return [row["id"] for row in self.db.query("select id from procedures order by id")]

    def processing_facts(self) -> List[Dict[str, Any]]:
        """Id, code, name, field and processing time of every entry (what a dossier's due date and report need)."""
        return [
            {"id": row["id"], "code": row["code"], "name": row["name"], "field": row["field"],
             "processing": json.loads(row["data"] or "{}").get("processing_time") or {}}
            for row in self.db.query("select id, code, name, field, data from procedures")
        ]

    def set_ward(self, data: Dict[str, Any]) -> None:
        """Store the ward's own facts (address, hours, hotline)."""
        self.db.execute("insert into ward (key, data) values ('ward', ?) on conflict (key) do update set data = excluded.data",
                        [json.dumps(_jsonable(data), ensure_ascii=False)])

    def ward(self) -> Dict[str, Any]:
        """The ward's own facts, or an empty mapping."""
        rows = list(self.db.query("select data from ward where key = 'ward'"))
        return json.loads(rows[0]["data"]) if rows else {}

    def set_counters(self, data: Dict[str, Any]) -> None:
        """Store the counters' layout (``data/counters.yml`` as validated by :func:`bot.catalogue.counters.load_counters`)."""
        self.db.execute("insert into ward (key, data) values ('counters', ?) on conflict (key) do update set data = excluded.data",
                        [json.dumps(_jsonable(data), ensure_ascii=False)])

    def counters(self) -> Optional[Layout]:
        """The counters' layout, or None when none was loaded."""
        rows = list(self.db.query("select data from ward where key = 'counters'"))
        return parse_counters(json.loads(rows[0]["data"]), Path("counters.yml")) if rows else None
