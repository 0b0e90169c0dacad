"""Biểu 06a/BTP/KSTT (Circular 09/2026/TT-BTP): petitions about administrative rules and conduct, by field, for a period.

The form's columns (legal-corpus, texts/circulars/09-2026-TT-BTP, "Biểu số 06a"): received = about conduct (hành vi
hành chính) + about rules (quy định hành chính) = carried over from the previous period + received in the period;
handled, split the same two ways; still being handled, by content; handled and published. Counted from the
``petitions`` table (bot/people/petitions.py):

- **carried over**: received before the period and not handled before it started;
- **received in the period**: ``received_at`` in the period;
- **handled**: of those, handled within the period (``handled_at``); **pending**: the rest, not handled by its end;
- **published**: the assistant publishes nothing, so 0 (the form asks for it).

A petition with no field (the citizen named no procedure) is counted under "Chưa xác định lĩnh vực".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional

import sqlite_utils

from bot.people.departments import departments
from bot.people.petitions import CONDUCT

NO_FIELD = "Chưa xác định lĩnh vực"


@dataclass
class Row06a:
    """One row of Biểu 06a: a field, or the total."""

    field: str
    received: int = 0
    received_conduct: int = 0
    received_rules: int = 0
    carried_over: int = 0
    received_in_period: int = 0
    handled: int = 0
    handled_conduct: int = 0
    handled_rules: int = 0
    handled_carried_over: int = 0
    handled_in_period: int = 0
    pending: int = 0
    pending_conduct: int = 0
    pending_rules: int = 0
    published: int = 0

    def add(self, kind: str, carried: bool, handled: bool) -> None:
        """Count one petition."""
        conduct = kind == CONDUCT
        self.received += 1
        self.received_conduct += conduct
        self.received_rules += not conduct
        self.carried_over += carried
        self.received_in_period += not carried
        if handled:
            self.handled += 1
            self.handled_conduct += conduct
            self.handled_rules += not conduct
            self.handled_carried_over += carried
            self.handled_in_period += not carried
        else:
            self.pending += 1
            self.pending_conduct += conduct
            self.pending_rules += not conduct

    def as_dict(self) -> Dict[str, object]:
        return asdict(self)


def petition_counts(db: sqlite_utils.Database, start: dt.date, end: dt.date, *,
                    department: Optional[str] = None) -> List[Row06a]:
    """Biểu 06a's rows for the days ``start``..``end`` (inclusive): one per field (sorted), then the total
    (``field`` = "TỔNG CỘNG"). ``department``: only the petitions routed to it (compared as bot/people/departments.py
    compares names)."""
    if end < start:
        raise ValueError("end before start")
    lo = f"{start.isoformat()}T00:00:00+07:00"
    hi = f"{(end + dt.timedelta(days=1)).isoformat()}T00:00:00+07:00"
    rows = db.execute(
        "select field, kind, department, received_at < ? as carried, (handled_at is not null and handled_at < ?) as handled"
        " from petitions where received_at < ? and (handled_at is null or handled_at >= ?)", [lo, hi, hi, lo]).fetchall()
    ward = departments()
    by_field: Dict[str, Row06a] = {}
    total = Row06a("TỔNG CỘNG")
    for field, kind, routed, carried, handled in rows:
        if department is not None and not ward.same(routed, department):
            continue
        name = field or NO_FIELD
        by_field.setdefault(name, Row06a(name)).add(kind, bool(carried), bool(handled))
        total.add(kind, bool(carried), bool(handled))
    return [by_field[name] for name in sorted(by_field)] + [total]
