"""Times as the tables store them: ISO 8601 text in UTC, to the second."""

from __future__ import annotations

import datetime as dt
from typing import Optional


def utc_iso(moment: Optional[float] = None) -> str:
    """Unix seconds (default: now) as ISO UTC text, e.g. ``2026-11-24T15:04:05+00:00``."""
    at = dt.datetime.now(dt.timezone.utc) if moment is None else dt.datetime.fromtimestamp(moment, dt.timezone.utc)
    return at.isoformat(timespec="seconds")
