"""When a dossier is early, on time, late or overdue: the one rule the execution report (Biểu 07a) and indicator 2.1
(Decision 766) share, as SQL over the stored ISO moments (``YYYY-MM-DDTHH:MM:SS+07:00``: text order is time order,
``substr(x, 1, 10)`` the Vietnam day). docs/indicators.md explains it with examples.

- late: it ended after its due moment (17:30 on the due day is late when the office promised 17:00);
- early: it ended on a day before the due day; on time otherwise (ended on the due day, by the due moment);
- overdue at a moment: still open then and its due moment is before it.

A dossier without a due date is never late nor overdue (the comparison with NULL is not true).
"""

from __future__ import annotations


def late(ended: str) -> str:
    """SQL: the dossier whose end is the expression ``ended`` finished after its due moment."""
    return f"({ended} > due_at)"


def early(ended: str) -> str:
    """SQL: it finished on a day before its due day (so not late)."""
    return f"(substr({ended}, 1, 10) < substr(due_at, 1, 10))"


def overdue_at(moment: str) -> str:
    """SQL: open at ``moment`` (a parameter or column), it was due before then."""
    return f"(due_at < {moment})"
