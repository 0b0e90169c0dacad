"""Petitions (phản ánh, kiến nghị): recorded with a reference number, acknowledged, routed, answered on time.

- Reference ``PA-<year>-<6 digits>`` (``PA-2026-000123``): a per-year sequence taken inside the insert's write
  transaction, so two petitions never share a number.
- Kind, as Biểu 06a/BTP/KSTT (Circular 09/2026/TT-BTP) counts them: ``conduct`` (hành vi hành chính: how an official
  handled something: attitude, delay, asking for money) or ``rules`` (quy định hành chính: the procedure, its
  papers, fees, time limits). Words about an official's conduct decide ``conduct``; everything else is ``rules``.
- Routed to the department of the procedure's field (``data/departments.yml``), else the default department.
- Due: :data:`DUE_WORKING_DAYS` working days after receipt (bot/workdays.py: counted from the next working day, due at
  closing time), the time the Law on Citizen Reception gives to answer or tell the petitioner where it went
  (:data:`DUE_RULE`). Decree 20/2008/NĐ-CP on receiving and handling petitions on administrative regulations, as
  amended by Decree 92/2017/NĐ-CP, is not in the project's legal corpus: its own time limits are not checked
  (:data:`UNVERIFIED_RULE`), and the citizen is told so.
- The citizen (any account of the same person) and staff may read a petition's status; anyone else is told it is not
  found, so a guessed number shows nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Callable, List, Optional

import sqlite_utils

from bot.db import transaction
from bot.delivery.outbox import Outbox
from bot.delivery.text import shorten
from bot.people.departments import Departments, departments
from bot.people.handoff import WEEKDAYS
from bot.people.roles import STAFF, role_of
from bot.people.users import User, Users
from bot.timeutil import iso
from bot.timeutil import local as _local
from bot.workdays import WorkCalendar, default_calendar
from nlu.normalize import normalize

DUE_WORKING_DAYS = 10
DUE_RULE = "Luật Tiếp công dân 42/2013/QH13 (VBHN 30/VBHN-VPQH 2026), Điều 28 khoản 1"
UNVERIFIED_RULE = ("Thời hạn xử lý theo Nghị định 20/2008/NĐ-CP (sửa đổi bởi Nghị định 92/2017/NĐ-CP) chưa được "
                   "đối chiếu với văn bản.")
CONDUCT, RULES = "conduct", "rules"
KIND_NAMES = {CONDUCT: "hành vi hành chính (cách cán bộ giải quyết)", RULES: "quy định hành chính (thủ tục, giấy tờ, phí)"}
RECEIVED, HANDLED = "received", "handled"
MIN_WORDS = 7                     # fewer words than this (besides "I want to petition") is not yet a petition's content
MAX_CHARS = 2000
DUPLICATE_WINDOW = dt.timedelta(minutes=10)
REF = re.compile(r"\bPA[\s._-]*(\d{4})[\s._-]*(\d{1,6})\b", re.I)
# folded words that make a petition one about an official's conduct (hành vi hành chính)
CONDUCT_WORDS = (
    "can bo", "nhan vien", "cong chuc", "nguoi tiep", "thai do", "hach dich", "nhung nhieu", "gay kho", "kho de",
    "doi tien", "doi them", "boi duong", "phong bi", "tieu cuc", "khong tiep", "lam cham", "tre hen", "cau ky",
    "vo le", "quat", "to tieng", "bat cho", "hen lan", "lam kho",
)
# the words that only say "I want to petition" (left out when judging whether a message holds its content)
TRIGGER_WORDS = set(("toi em minh muon can gui lam viet phan anh kien nghi khieu nai to cao ve voi cho y kien a don nop"
                     " o dau sao the nao nhu co chinh thuc dang ky hanh").split())
# folded phrases of a question about petitions already sent ("phản ánh của tôi đã được trả lời chưa")
STATUS_WORDS = ("den dau", "tinh trang", "xong chua", "tra loi chua", "xu ly chua", "the nao roi", "kiem tra", "da duoc")


def parse_ref(text: str) -> Optional[str]:
    """``"pa 2026 123"`` / ``"PA-2026-000123"`` -> ``"PA-2026-000123"``; None when the text names none."""
    found = REF.search(text or "")
    return f"PA-{found.group(1)}-{int(found.group(2)):06d}" if found else None


def kind_of(text: str) -> str:
    """``conduct`` when the text is about how an official behaved, else ``rules``."""
    folded = f" {normalize(text)} "
    return CONDUCT if any(f" {w} " in folded for w in CONDUCT_WORDS) else RULES


def asks_status(text: str) -> bool:
    """True when the message asks where petitions already sent stand."""
    folded = f" {normalize(text)} "
    return any(f" {w} " in folded for w in STATUS_WORDS)


def has_content(text: str) -> bool:
    """True when the message says what the petition is about, not only that there is one."""
    return len([w for w in normalize(text).split() if w not in TRIGGER_WORDS]) >= MIN_WORDS


def day_text(moment: dt.datetime) -> str:
    """``17:00 thứ Ba 08/12/2026``."""
    moment = _local(moment)
    return f"{moment:%H:%M} {WEEKDAYS[moment.weekday()]} {moment:%d/%m/%Y}"


@dataclass(frozen=True)
class Petition:
    """One petition as stored."""

    id: int
    ref: str
    citizen_id: Optional[int]
    person_id: Optional[int]
    text: str
    kind: str
    field: Optional[str]
    department: str
    procedure_id: Optional[str]
    dossier_code: Optional[str]
    received_at: str
    due_at: str
    state: str
    answer: Optional[str]
    handled_at: Optional[str]

    @property
    def due(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.due_at)


class Petitions:
    """The ``petitions`` table; answers to citizens go through the outbox."""

    def __init__(self, db: sqlite_utils.Database, users: Users, outbox: Callable[[], Outbox],
                 calendar: Optional[WorkCalendar] = None, ward_departments: Optional[Departments] = None) -> None:
        self.db, self.users, self._outbox = db, users, outbox
        self.calendar = calendar
        self.departments = ward_departments

    def _calendar(self) -> WorkCalendar:
        return self.calendar or default_calendar()

    def _departments(self) -> Departments:
        return self.departments or departments()

    @staticmethod
    def _from(row) -> Petition:
        return Petition(**{k: row[k] for k in Petition.__dataclass_fields__})

    def _one(self, where: str, params: list) -> Optional[Petition]:
        rows = list(self.db.query(f"select * from petitions where {where} limit 1", params))
        return self._from(rows[0]) if rows else None

    def get(self, ref: str) -> Optional[Petition]:
        """The petition ``ref`` (any spelling :func:`parse_ref` reads)."""
        ref = parse_ref(ref)
        return self._one("ref = ?", [ref]) if ref else None

    def due_at(self, received: dt.datetime) -> dt.datetime:
        """When a petition received at ``received`` must be answered (:data:`DUE_RULE`)."""
        return self._calendar().add_working_days(received, DUE_WORKING_DAYS)

    def file(self, citizen: User, text: str, now: dt.datetime, *, field: Optional[str] = None,
             procedure_id: Optional[str] = None, dossier_code: Optional[str] = None) -> Petition:
        """Record a petition from ``citizen`` (the same text again within minutes returns the first one)."""
        text = " ".join((text or "").split())[:MAX_CHARS]
        if not text:
            raise ValueError("a petition needs a text")
        again = self._one("person_id = ? and text = ? and received_at >= ? order by id desc",
                          [citizen.person_id, text, iso(now - DUPLICATE_WINDOW)])
        if again is not None:
            return again
        department = self._departments().for_field(field)
        year = _local(now).year
        with transaction(self.db.conn):
            seq = self.db.execute("select coalesce(max(seq), 0) + 1 from petitions where year = ?", [year]).fetchone()[0]
            ref = f"PA-{year}-{seq:06d}"
            self.db.execute(
                "insert into petitions (ref, year, seq, citizen_id, person_id, text, kind, field, department, procedure_id,"
                " dossier_code, received_at, due_at, state) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [ref, year, seq, citizen.id, citizen.person_id, text, kind_of(text), field, department, procedure_id,
                 dossier_code, iso(now), iso(self.due_at(now)), RECEIVED])
        return self.get(ref)

    def readable_by(self, petition: Petition, account: Optional[User]) -> bool:
        """The petitioner (any of their accounts) and staff may read it."""
        if account is None:
            return False
        return role_of(account) in STAFF or (petition.person_id is not None and petition.person_id == account.person_id)

    def of_person(self, account: User, limit: int = 3) -> List[Petition]:
        """The person's latest petitions (any of their accounts), newest first."""
        return [self._from(r) for r in self.db.query("select * from petitions where person_id = ? order by id desc limit ?",
                                                     [account.person_id, limit])]

    def pending(self, department: Optional[str] = None) -> List[Petition]:
        """Petitions not yet handled (of ``department``, compared folded), the earliest due first."""
        rows = [self._from(r) for r in self.db.query("select * from petitions where state = 'received' order by due_at, id")]
        if department is None:
            return rows
        ward = self._departments()
        return [p for p in rows if ward.same(p.department, department)]

    def answer(self, ref: str, official: User, text: str, now: dt.datetime) -> Optional[Petition]:
        """Record the official's answer and queue it for the petitioner (once); None when ``ref`` is unknown."""
        petition = self.get(ref)
        text = " ".join((text or "").split())[:MAX_CHARS]
        if petition is None or not text:
            return None
        outbox = self._outbox()
        with transaction(outbox.conn):
            outbox.conn.execute("update petitions set state = 'handled', answer = ?, handled_at = ?, handled_by = ? where id = ?",
                                [text, iso(now), official.id, petition.id])
            citizen = self.users.get(petition.citizen_id) if petition.citizen_id else None
            account = self.users.push_account(citizen)
            if account is not None:
                outbox.enqueue(account, f"petition:{petition.ref}:answer",
                               shorten(f"📄 Trả lời phản ánh {petition.ref} ({petition.department}):\n{text}", MAX_CHARS))
        return self.get(petition.ref)


# what people read ----------------------------------------------------------------------------------------------
def acknowledgement(petition: Petition) -> str:
    """The citizen's receipt."""
    content = shorten(petition.text, 300)
    return "\n".join([
        "✅ Em đã ghi nhận phản ánh, kiến nghị của anh/chị.",
        f"• Số theo dõi: {petition.ref}",
        f"• Nội dung: {content}",
        f"• Loại: về {KIND_NAMES[petition.kind]}",
        f"• Chuyển tới: {petition.department}",
        f"• Hạn trả lời: {day_text(petition.due)} ({DUE_WORKING_DAYS} ngày làm việc, {DUE_RULE}).",
        f"⚠️ {UNVERIFIED_RULE}",
        f"Hỏi tình trạng: \"phản ánh {petition.ref} đến đâu rồi\".",
    ])


def status_text(petition: Petition, now: dt.datetime, calendar: Optional[WorkCalendar] = None) -> str:
    """Where a petition stands."""
    received = dt.datetime.fromisoformat(petition.received_at)
    lines = [f"📄 Phản ánh {petition.ref} (gửi lúc {day_text(received)})", f"• Nơi xử lý: {petition.department}"]
    if petition.state == HANDLED:
        handled = dt.datetime.fromisoformat(petition.handled_at)
        lines += [f"• Tình trạng: đã xử lý lúc {day_text(handled)}", f"• Trả lời: {shorten(petition.answer or '', 1200)}"]
        return "\n".join(lines)
    lines.append("• Tình trạng: đang xử lý")
    lines.append(f"• Hạn trả lời: {day_text(petition.due)}")
    if _local(now) > petition.due:
        late = (calendar or default_calendar()).working_days_between(petition.due.date(), _local(now).date())
        lines.append(f"• Đã quá hạn {late} ngày làm việc; em đã nhắc cán bộ trong bản tin hằng ngày."
                     if late else "• Đã quá hạn trả lời.")
    return "\n".join(lines)


def digest_section(pending: List[Petition], now: dt.datetime, limit: int = 6) -> List[str]:
    """The officials' digest lines about their department's petitions not yet handled (empty when none)."""
    if not pending:
        return []
    local = _local(now)
    since = iso(local - dt.timedelta(days=1))
    new = [p for p in pending if p.received_at >= since]
    late = [p for p in pending if p.due < local]
    head = f"📨 Phản ánh, kiến nghị chờ xử lý ({len(pending)}; mới: {len(new)}; quá hạn: {len(late)}):"
    lines = [head] + [f"• {p.ref} – hạn {_local(p.due):%d/%m}{' (quá hạn)' if p.due < local else ''}: {shorten(p.text, 80)}"
                      for p in pending[:limit]]
    if len(pending) > limit:
        lines.append(f"• và {len(pending) - limit} phản ánh khác")
    lines.append("Trả lời: \"phản ánh PA-… đã xử lý: <nội dung trả lời>\".")
    return lines
