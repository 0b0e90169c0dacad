"""A citizen's conversation handed to a person: the on-duty official of the right department, relayed both ways.

How it goes (every channel alike; the desk, bot/people/desk.py, calls these before the NLU):

1. The citizen asks for a person (intent ``human_handoff``); the action names the department (the procedure in the
   conversation -> its field -> ``data/departments.yml``) and asks for consent: the citizen's messages and name
   will go to an official through the assistant, and the official's answers come back here.
2. Consent given: :meth:`Handoffs.start` picks the department's official (role ``official`` of that department,
   compared folded, who consented to messages on a push channel: the one with the fewest open hand-offs, then the
   one who got one least recently) and opens the hand-off; the official is told through the outbox.
3. While it is open the citizen's messages go to the official and the official's to the citizen, each through the
   outbox exactly once (event ``handoff:<id>:m:<message id>``); the assistant's NLU sees none of them. Commands
   (a text starting with ``/``) are not relayed: an official can still run /baocao, a citizen /huy.
4. Either side ends it with ``/ketthuc`` (or "kết thúc"); the other side is told (event ``handoff:<id>:closed``).

Outside working time (bot/workdays.py: evenings, the lunch break, weekends, holidays) the citizen's messages are
left for the official, held in the outbox until the next opening moment (``not_before``), and the citizen is told
when that is ("cán bộ sẽ trả lời từ 07:30 thứ Hai 30/11/2026").

An official with several open hand-offs starts a message with ``#<number>`` to say which citizen it is for.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple

import sqlite_utils

from bot.db import transaction
from bot.delivery.outbox import Outbox
from bot.people.departments import Departments, departments
from bot.people.users import User, Users
from bot.timeutil import iso
from bot.timeutil import local as _local
from bot.workdays import WorkCalendar, default_calendar

WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
END_COMMAND = "/ketthuc"
TARGET = re.compile(r"^\s*#(\d{1,9})\s*[:\-–]?\s*(.*)$", re.S)


def next_opening(now: dt.datetime, calendar: Optional[WorkCalendar] = None) -> Optional[dt.datetime]:
    """When the office next opens if ``now`` is outside working time; None while it is open."""
    calendar = calendar or default_calendar()
    opening = calendar.effective_receipt(now)
    return opening if opening > _local(now) else None


def moment_text(moment: dt.datetime, now: dt.datetime) -> str:
    """``13:30 hôm nay``, ``07:30 ngày mai (thứ Ba 01/12/2026)``, ``07:30 thứ Hai 30/11/2026``."""
    moment, today = _local(moment), _local(now).date()
    day = f"{WEEKDAYS[moment.weekday()]} {moment:%d/%m/%Y}"
    if moment.date() == today:
        return f"{moment:%H:%M} hôm nay"
    if moment.date() == today + dt.timedelta(days=1):
        return f"{moment:%H:%M} ngày mai ({day})"
    return f"{moment:%H:%M} {day}"


def closed_note(opening: dt.datetime, now: dt.datetime) -> str:
    """What a citizen reads outside working time."""
    return (f"Hiện ngoài giờ làm việc: tin nhắn của anh/chị được ghi lại và cán bộ sẽ trả lời từ "
            f"{moment_text(opening, now)}.")


def who(account: User) -> str:
    """How an official sees the citizen: the name the channel gives, else a number."""
    return account.display_name.strip() or f"Người dân #{account.id}"


@dataclass(frozen=True)
class Handoff:
    """One hand-off."""

    id: int
    citizen_id: int
    official_id: int
    department: str
    procedure_id: Optional[str]
    state: str
    opened_at: str


@dataclass(frozen=True)
class Started:
    """What :meth:`Handoffs.start` did: the hand-off (None when no official can take it) and the next opening
    moment when the office is closed now."""

    handoff: Optional[Handoff]
    official: Optional[User]
    opening: Optional[dt.datetime]


class Handoffs:
    """The ``handoffs`` and ``handoff_messages`` tables; notices go through the outbox."""

    def __init__(self, db: sqlite_utils.Database, users: Users, outbox: Callable[[], Outbox],
                 calendar: Optional[WorkCalendar] = None, ward_departments: Optional[Departments] = None) -> None:
        self.db, self.users, self._outbox = db, users, outbox
        self.calendar = calendar
        self.departments = ward_departments

    @property
    def outbox(self) -> Outbox:
        return self._outbox()

    def _calendar(self) -> WorkCalendar:
        return self.calendar or default_calendar()

    def _departments(self) -> Departments:
        return self.departments or departments()

    @staticmethod
    def _from(row) -> Handoff:
        return Handoff(row["id"], row["citizen_id"], row["official_id"], row["department"], row["procedure_id"],
                       row["state"], row["opened_at"])

    # reading ---------------------------------------------------------------------------------------------------
    def get(self, handoff_id: int) -> Optional[Handoff]:
        rows = list(self.db.query("select * from handoffs where id = ?", [handoff_id]))
        return self._from(rows[0]) if rows else None

    def open_for_citizen(self, account: User) -> Optional[Handoff]:
        """The citizen's open hand-off (from any of their accounts), if any."""
        rows = list(self.db.query(
            "select h.* from handoffs h join users u on u.id = h.citizen_id where h.state = 'open' and"
            " coalesce(u.person_id, u.id) = ? order by h.id desc limit 1", [account.person_id]))
        return self._from(rows[0]) if rows else None

    def open_for_official(self, account: User) -> List[Handoff]:
        """The open hand-offs of the official behind ``account`` (any of their accounts), oldest first."""
        return [self._from(r) for r in self.db.query(
            "select h.* from handoffs h join users u on u.id = h.official_id where h.state = 'open' and"
            " coalesce(u.person_id, u.id) = ? order by h.id", [account.person_id])]

    def messages(self, handoff_id: int) -> List[dict]:
        """Every relayed message of a hand-off, oldest first."""
        return list(self.db.query("select * from handoff_messages where handoff_id = ? order by id", [handoff_id]))

    # who answers -------------------------------------------------------------------------------------------------
    def department_for(self, field: Optional[str]) -> str:
        """The department that answers about ``field``."""
        return self._departments().for_field(field)

    def candidates(self, department: str) -> List[Tuple[User, User]]:
        """``(official, the account to message)`` of ``department``'s officials who can be messaged, best first."""
        ward = self._departments()
        found = []
        for official in self.users.officials():
            if not ward.same(official.department, department):
                continue
            account = self.users.push_account(official)
            if account is None:
                continue
            load, last = self.db.execute(
                "select coalesce(sum(state = 'open'), 0), coalesce(max(opened_at), '') from handoffs h"
                " join users u on u.id = h.official_id where coalesce(u.person_id, u.id) = ?", [official.person_id]).fetchone()
            found.append((load, last, official.id, official, account))
        return [(official, account) for *_, official, account in sorted(found, key=lambda f: f[:3])]

    # changing ----------------------------------------------------------------------------------------------------
    def start(self, citizen: User, department: str, now: dt.datetime, procedure: Optional[Tuple[str, str]] = None) -> Started:
        """Open a hand-off from ``citizen`` to an official of ``department`` (``procedure``: its id and name, if any)
        and tell the official; an open one is returned as it is."""
        opening = next_opening(now, self._calendar())
        current = self.open_for_citizen(citizen)
        if current is not None:
            return Started(current, self.users.get(current.official_id), opening)
        candidates = self.candidates(department)
        if not candidates:
            return Started(None, None, opening)
        official, account = candidates[0]
        outbox = self.outbox
        about = f", về thủ tục {procedure[1]}" if procedure else ""
        with transaction(outbox.conn):
            cursor = outbox.conn.execute(
                "insert into handoffs (citizen_id, official_id, department, procedure_id, state, opened_at)"
                " values (?, ?, ?, ?, 'open', ?)", [citizen.id, account.id, department, procedure[0] if procedure else None, iso(now)])
            handoff_id = cursor.lastrowid
            text = (f"🙋 Hỗ trợ trực tuyến #{handoff_id}: {who(citizen)} cần gặp cán bộ {department}{about}.\n"
                    "Tin nhắn của người dân sẽ chuyển tới đây; anh/chị trả lời ngay trong cuộc trò chuyện này "
                    f"(khi có nhiều cuộc, bắt đầu tin bằng #{handoff_id}); trong lúc hỗ trợ, mọi tin nhắn của anh/chị "
                    f"trừ lệnh bắt đầu bằng / đều được chuyển cho người dân. Gõ {END_COMMAND} để kết thúc.")
            outbox.enqueue(account, f"handoff:{handoff_id}:open", text, not_before=opening.timestamp() if opening else None)
        return Started(self.get(handoff_id), official, opening)

    def relay(self, handoff: Handoff, sender: str, text: str, now: dt.datetime) -> Optional[dt.datetime]:
        """Record ``text`` from ``sender`` (``citizen`` or ``official``) and queue it for the other side, once;
        returns when the official will see a citizen's message if the office is closed (else None)."""
        if sender not in ("citizen", "official"):
            raise ValueError(f"unknown sender {sender!r}")
        citizen = self.users.get(handoff.citizen_id)
        if sender == "citizen":
            recipient = self.users.push_account(self.users.get(handoff.official_id))
            opening = next_opening(now, self._calendar())
            body = f"💬 #{handoff.id} {who(citizen)}: {text}"
        else:
            recipient = self.users.push_account(citizen) or citizen
            opening = None
            body = f"👤 Cán bộ {handoff.department}: {text}"
        outbox = self.outbox
        with transaction(outbox.conn):
            cursor = outbox.conn.execute(
                "insert into handoff_messages (handoff_id, at, sender, text, deliver_from) values (?, ?, ?, ?, ?)",
                [handoff.id, iso(now), sender, text, iso(opening) if opening else None])
            if recipient is not None:
                outbox.enqueue(recipient, f"handoff:{handoff.id}:m:{cursor.lastrowid}", body,
                               not_before=opening.timestamp() if opening else None)
        return opening

    def close(self, handoff: Handoff, by: str, now: dt.datetime) -> bool:
        """End the hand-off (``by``: ``citizen`` or ``official``) and tell the other side; False when it was closed."""
        other = self.users.get(handoff.official_id if by == "citizen" else handoff.citizen_id)
        recipient = self.users.push_account(other) or (other if by == "official" else None)
        if by == "official":
            text = (f"Cán bộ {handoff.department} đã kết thúc cuộc trò chuyện. Cảm ơn anh/chị! "
                    "Em (trợ lý ảo) tiếp tục hỗ trợ anh/chị; cần gặp cán bộ lần nữa, anh/chị gõ \"gặp cán bộ\".")
        else:
            text = f"Người dân đã kết thúc cuộc hỗ trợ trực tuyến #{handoff.id}."
        outbox = self.outbox
        with transaction(outbox.conn):
            closed = outbox.conn.execute("update handoffs set state = 'closed', closed_at = ?, closed_by = ?"
                                         " where id = ? and state = 'open'", [iso(now), by, handoff.id]).rowcount == 1
            if closed and recipient is not None:
                outbox.enqueue(recipient, f"handoff:{handoff.id}:closed", text)
        return closed
