"""Indicator 5.4's input from what citizens said: the dossiers of a period with a complaint or a "not satisfied" rating.

Decision 766's formula note (../shared/officials-facts.md): 5.4 = 100 % − (overdue share + share of dossiers with a
complaint or a "not satisfied" rating), over the population 2.1 judges (bot/officials/indicators.py: resolved in the
period, plus open at its end; withdrawn and not-received dossiers left out). The two shares are added as the note
says, so a late dossier that was also rated badly counts in both.

- **not satisfied**: a rating at or below :data:`bot.people.ratings.UNSATISFIED` (1 or 2 of 5);
- **complaint**: a petition (bot/people/petitions.py) that names the dossier's code.

A rating or a petition counts whenever it was given (a dossier finished in October and rated in November counts in
October). :func:`ratings_for` is None while no dossier of the period has a rating or a petition: 5.4 then says "chưa
có dữ liệu" rather than a perfect score nobody gave.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

import sqlite_utils

from bot.db import OPEN_SQL
from bot.officials.indicators import ENDED, NOT_JUDGED, Ratings
from bot.people.ratings import UNSATISFIED


def _quoted(values) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def population_sql() -> str:
    """SQL (parameters ``:lo``, ``:hi``): the codes of the dossiers 2.1 judges for [lo, hi)."""
    return (f"select code from dossiers where finished_at >= :lo and finished_at < :hi and status in {_quoted(ENDED)}"
            f" union select code from dossiers where finished_at >= :hi and received_at < :hi"
            f" and status not in {_quoted(NOT_JUDGED)}"
            f" union select code from dossiers where {OPEN_SQL} and finished_at is null and received_at < :hi")


def ratings_for(db: sqlite_utils.Database, start: dt.date, end: dt.date) -> Optional[Ratings]:
    """The :class:`Ratings` of the days ``start``..``end`` (inclusive), None when citizens said nothing about them."""
    lo = f"{start.isoformat()}T00:00:00+07:00"
    hi = f"{(end + dt.timedelta(days=1)).isoformat()}T00:00:00+07:00"
    rated = "exists (select 1 from ratings r where upper(r.dossier_code) = upper(p.code))"
    unhappy = f"exists (select 1 from ratings r where upper(r.dossier_code) = upper(p.code) and r.score <= {UNSATISFIED})"
    complained = "exists (select 1 from petitions q where upper(q.dossier_code) = upper(p.code))"
    said, bad = db.execute(
        f"select coalesce(sum({rated} or {complained}), 0), coalesce(sum({unhappy} or {complained}), 0)"
        f" from ({population_sql()}) p", {"lo": lo, "hi": hi}).fetchone()
    return Ratings(complained_or_unsatisfied=bad) if said else None
