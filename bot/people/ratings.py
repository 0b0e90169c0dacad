"""Citizens rate a finished dossier: asked once, 1–5 and an optional comment, one rating per (dossier, person).

The question goes out when a dossier the citizen follows ends (done or returned; bot/notifications/jobs.py,
:func:`bot.notifications.jobs.rating_requests`) as the outbox event ``rating:<code>``, unique per recipient, so a
job that runs again or after a restart never asks twice. Its buttons send ``/danhgia <code> <score>``; the desk
(bot/people/desk.py) takes that before the NLU. A score counts only from a person who was asked about that dossier
(any of their accounts), so a forged payload rates nothing; the first score stays (a second tap is thanked, not
stored). Scores at or below :data:`UNSATISFIED` are "không hài lòng" for indicator 5.4 (bot/officials/satisfaction.py).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import List, Optional, Tuple

import sqlite_utils

from bot.people.users import User
from bot.timeutil import iso

SCORES = {1: "Rất không hài lòng", 2: "Không hài lòng", 3: "Bình thường", 4: "Hài lòng", 5: "Rất hài lòng"}
UNSATISFIED = 2
COMMAND = "/danhgia"
SKIP = "/boqua"
PAYLOAD = re.compile(r"^/danhgia\s+(\S{1,80})\s+([1-5])\s*$", re.I)
OK, AGAIN, NOT_ASKED = "ok", "again", "not_asked"
MAX_COMMENT = 1000


def event(code: str) -> str:
    """The outbox event of the question about dossier ``code``."""
    return f"rating:{code}"


def question(code: str, procedure_name: Optional[str] = None) -> Tuple[str, List[dict]]:
    """The question's text and its five buttons."""
    about = f" ({procedure_name})" if procedure_name else ""
    text = (f"⭐ Hồ sơ {code}{about} đã giải quyết xong. Anh/chị hài lòng với việc giải quyết hồ sơ này ở mức nào?\n"
            "1 = rất không hài lòng … 5 = rất hài lòng. Ý kiến của anh/chị giúp phường phục vụ tốt hơn.")
    return text, [{"title": f"{score} ⭐", "payload": f"{COMMAND} {code} {score}"} for score in range(1, 6)]


def parse(text: str) -> Optional[Tuple[str, int]]:
    """``"/danhgia KS-100 4"`` -> ``("KS-100", 4)``; None for anything else."""
    found = PAYLOAD.match((text or "").strip())
    return (found.group(1), int(found.group(2))) if found else None


class DossierRatings:
    """The ``ratings`` table."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def asked(self, account: User, code: str) -> bool:
        """True when one of the person's accounts was asked to rate dossier ``code``."""
        return self.db.execute(
            "select 1 from outbox where event = ? and recipient_id in (select id from users where coalesce(person_id, id) = ?)"
            " limit 1", [event(code), account.person_id]).fetchone() is not None

    def rate(self, account: User, code: str, score: int, now: dt.datetime) -> str:
        """Store the person's score for ``code``: :data:`OK`, :data:`AGAIN` (already rated) or :data:`NOT_ASKED`."""
        if score not in SCORES:
            raise ValueError("a score is 1 to 5")
        if not self.asked(account, code):
            return NOT_ASKED
        cursor = self.db.execute("insert or ignore into ratings (dossier_code, person_id, account_id, score, rated_at)"
                                 " values (?, ?, ?, ?, ?)", [code, account.person_id, account.id, score, iso(now)])
        return OK if cursor.rowcount == 1 else AGAIN

    def comment(self, account: User, code: str, text: str) -> bool:
        """Add the person's comment to their rating of ``code`` (the first comment stays)."""
        text = " ".join((text or "").split())[:MAX_COMMENT]
        return bool(text) and self.db.execute(
            "update ratings set comment = ? where dossier_code = ? and person_id = ? and comment is null",
            [text, code, account.person_id]).rowcount == 1

    def of(self, code: str) -> List[dict]:
        """The ratings of dossier ``code``."""
        return list(self.db.query("select * from ratings where upper(dossier_code) = upper(?) order by id", [code]))
