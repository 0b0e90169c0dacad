"""Time as motcua stores and shows it: Vietnam local time for people, ISO text in the tables.

- ``utc_iso``: bookkeeping times (created_at, consent_at, ...) as ISO UTC text to the second.
- ``iso``: moments that belong to the ward's day (dossier receipt and due times) as ISO text in
  Asia/Ho_Chi_Minh, so comparing the text compares the moments.
- ``local``: a timezone-aware moment in Vietnam time (naive moments are refused: their zone is a guess).
"""

from __future__ import annotations

import datetime as dt
from typing import Optional
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utc_iso(moment: Optional[float] = None) -> str:
    """Unix seconds (default: now) as ISO UTC text, e.g. ``2026-11-24T15:04:05+00:00``."""
    at = dt.datetime.now(dt.timezone.utc) if moment is None else dt.datetime.fromtimestamp(moment, dt.timezone.utc)
    return at.isoformat(timespec="seconds")


def local(moment: dt.datetime) -> dt.datetime:
    """``moment`` in Vietnam time; a naive datetime is refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"datetime must be timezone-aware, got naive {moment}")
    return moment.astimezone(VN_TZ)


def iso(moment: dt.datetime) -> str:
    """``moment`` as stored: ISO seconds in Asia/Ho_Chi_Minh (``2025-11-20T09:15:00+07:00``)."""
    return local(moment).replace(microsecond=0).isoformat()


def now_vn() -> dt.datetime:
    """The current moment in Vietnam time."""
    return dt.datetime.now(VN_TZ)


def moment_of_question(as_of: Optional[str], sent_at: Optional[float]) -> dt.datetime:
    """When a question counts as asked: ``as_of`` (YYYY-MM-DD, read as noon that day) when it is a valid
    date, else the message's own time (Unix seconds), else now; always in Vietnam time."""
    if as_of:
        try:
            return dt.datetime.combine(dt.date.fromisoformat(str(as_of)), dt.time(12, 0), tzinfo=VN_TZ)
        except ValueError:
            pass
    if sent_at:
        return dt.datetime.fromtimestamp(float(sent_at), VN_TZ)
    return now_vn()
