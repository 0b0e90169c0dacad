"""The audit trail of the officials' desk: every official command, allowed or refused, every role given, and every
time staff are shown a citizen's personal data (commands ``handoff``, ``handoff_list``, ``petition_view``,
``dossier_details``, ``help_request``, ``digest_petitions``: the detail names the record, never the data).

One row (table ``audit_log``) says who (the account's row id and its conversation id ``"<channel>:<id>"``), with
which role at that moment, on which channel, ran what (the command and a short detail), how it ended
(``outcome``: ok, refused, error, or a redemption's outcome) and when (Vietnam time, ISO). Invite codes never
reach a row: :func:`redact` blanks them out of every detail. ``motcua audit`` reads it (:meth:`Audit.read`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Dict, List, Optional

import sqlite_utils

from bot.people.roles import ROLE_NAMES, role_of
from bot.people.users import User, split_conversation_id
from bot.timeutil import VN_TZ, iso, local, now_vn
from nlu.invite_code import find_invite_codes

MAX_DETAIL_CHARS = 300
HIDDEN_CODE = "****-****-****"


def redact(text: str) -> str:
    """``text`` with every invite code replaced by ``****-****-****``, on one line, shortened."""
    text = " ".join((text or "").split())
    for _, start, end in sorted(find_invite_codes(text), key=lambda found: -found[1]):
        text = text[:start] + HIDDEN_CODE + text[end:]
    return text if len(text) <= MAX_DETAIL_CHARS else text[:MAX_DETAIL_CHARS - 1] + "…"


class Audit:
    """The ``audit_log`` table."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def write(self, user: Optional[User], account: str, command: str, outcome: str, detail: str = "",
              now: Optional[dt.datetime] = None, role: Optional[str] = None) -> int:
        """Record one official command of ``account`` (a conversation id; ``user`` its row, None when it has none).

        ``role``: for a command run outside the chat (``motcua invite`` is run by the server's admin)."""
        parts = split_conversation_id(account)
        channel = user.channel if user is not None else (parts[0] if parts else "khác")
        cursor = self.db.execute(
            "insert into audit_log (at, user_id, account, channel, role, command, detail, outcome) values (?, ?, ?, ?, ?, ?, ?, ?)",
            [iso(now or now_vn()), user.id if user is not None else None, (account or "")[:200], channel, role or role_of(user),
             command[:100], redact(detail), outcome[:40]],
        )
        return cursor.lastrowid

    def read(self, since: Optional[dt.datetime] = None, account: Optional[str] = None, command: Optional[str] = None,
             outcome: Optional[str] = None, limit: int = 50) -> List[Dict[str, Any]]:
        """The latest rows first (at most ``limit``), from ``since`` on, of one ``account`` (a conversation id, or
        an account's row id as digits), one ``command``, one ``outcome``; each with the account's display name."""
        where, params = [], []
        if since is not None:
            where.append("a.at >= ?")
            params.append(iso(since))
        if account:
            if account.isdigit():
                where.append("a.user_id = ?")
                params.append(int(account))
            else:
                where.append("a.account = ?")
                params.append(account)
        if command:
            where.append("a.command = ?")
            params.append(command)
        if outcome:
            where.append("a.outcome = ?")
            params.append(outcome)
        sql = ("select a.*, coalesce(u.display_name, '') as name from audit_log a left join users u on u.id = a.user_id"
               + (" where " + " and ".join(where) if where else "") + " order by a.at desc, a.id desc limit ?")
        return list(self.db.query(sql, [*params, max(1, int(limit))]))


_SINCE = re.compile(r"^(\d{1,5})\s*([dh])$", re.IGNORECASE)


def parse_since(text: str, now: dt.datetime) -> dt.datetime:
    """``"2026-11-01"`` (from that day's midnight, Vietnam time), ``"7d"`` or ``"24h"`` (back from ``now``).

    Raises ``ValueError`` with a Vietnamese message."""
    text = (text or "").strip()
    match = _SINCE.match(text)
    if match:
        amount = int(match.group(1))
        return local(now) - (dt.timedelta(days=amount) if match.group(2).lower() == "d" else dt.timedelta(hours=amount))
    try:
        return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(0, 0), tzinfo=VN_TZ)
    except ValueError:
        raise ValueError(f"--since {text!r} không đúng dạng: dùng ngày YYYY-MM-DD (ví dụ 2026-11-01) hoặc 7d, 24h.") from None


def format_row(row: Dict[str, Any]) -> str:
    """One row on one line: ``24/11/2026 09:15 · telegram:777 (Chị Hoa, cán bộ) · report · ok · tháng 10``."""
    at = local(dt.datetime.fromisoformat(row["at"]))
    who = row["account"] + (f" ({row['name']}, " if row.get("name") else " (") + ROLE_NAMES.get(row["role"], row["role"]) + ")"
    parts = [f"{at:%d/%m/%Y %H:%M}", who, row["command"], row["outcome"]]
    if row.get("detail"):
        parts.append(row["detail"])
    return " · ".join(parts)
