"""What to tell whom: the notices the scheduler's jobs write to the outbox (they never send anything themselves).

- **Status changes** (:func:`status_notices`): each new ``dossier_history`` row (read past a cursor kept in
  ``notifier_state``) goes to the accounts subscribed to ``dossier:<code>`` (the code compared case-insensitively),
  event ``dossier:<code>:status:<history id>``. The first run starts at the newest row: citizens are not told
  about changes made before notifications were switched on.
- **Overdue alerts** (:func:`overdue_alerts`): a dossier that becomes overdue (open and past ``due_at``) is
  announced once to the officials of its department, event ``overdue:<code>``; ``overdue_alerted`` remembers
  which dossiers were handled, so each scan only looks at new ones (the open-due partial index of
  bot/dossiers.py serves the range). The first scan only records the dossiers already overdue: they are in the
  next digest, not in a burst of alerts.
- **Daily digest** (:func:`daily_digests`): each official with a department gets, on working days, the
  department's open dossiers that are overdue, due today and due on the next working day (bot/workdays.py),
  grouped by handler with counts, event ``digest:<date>:<official id>``. On a day off nothing is sent: the next
  working day's digest has it all.
- **e-ID tips** (:func:`eid_tips`): citizens subscribed to ``tips`` get the level-2 electronic identification
  steps, one tip at a time (event ``tip:eid:<n>``, at most one every ``MOTCUA_TIPS_EVERY_DAYS`` days, default 7),
  built only from ``data/procedures/dinh-danh-dien-tu-muc-2.yml`` through the catalogue (and its "to be
  confirmed" warning while that file is ``verified: false``).
- **Leaders' Monday summary** (:func:`leader_weekly`): accounts with role ``leader`` get the service indicators
  (Decision 766, bot/officials/indicators.py) of :func:`weekly_period`, the execution report's summary (the
  :func:`execution_report_summary`) and the Resolution-57 task summary, event ``weekly:<date>:<leader id>``.
- **Legal-basis review** (:func:`legal_review_weekly`): every Monday each official gets the review of the procedures
  their department handles (bot/legal/review.py: documents amended, replaced, changing within 120 days, unconfirmed)
  when its findings changed, event ``legal:<official id>:<fingerprint of the findings>``: the same findings are never
  sent twice, a new finding makes a new notice.
- **Rating requests** (:func:`rating_requests`): when a followed dossier ends (done or returned; its own cursor
  ``rating_cursor`` over ``dossier_history``, started at the newest row like the status notices), each subscriber
  is asked once to rate it 1–5 (bot/people/ratings.py), event ``rating:<code>``: unique per recipient, so a second
  final status or a restart asks nobody twice.
- **Petitions in the digest**: each official's digest ends with the department's petitions waiting for an answer
  (bot/people/petitions.py), new and overdue counted.
- **Broadcast reports** (:func:`broadcast_reports`): a team member's broadcast whose messages are all settled is
  closed and its author gets the delivery report, event ``broadcast-report:<id>`` (bot/community/broadcasts.py).
- **Task deadline warnings** (:func:`task_warnings`): the lead unit's officials hear about a Resolution-57 task 7, 3
  and 1 days before its deadline and once when it is missed (bot/officials/tasks.py), event
  ``task:<id>:<stage>:<deadline>``.

Rules for every notice: Vietnamese, short (one message: at most 2,000 characters, Zalo's text limit), personal
data masked for citizens (the applicant's name as "N*** V** An"; no phone or ID number); only accounts that
consented (``users.consent``: ``/dangky`` on Telegram) get anything, officials included; an account on a channel
that cannot push (web chat) is replaced by another account of the same person on Telegram or Zalo, if any.
Every function is idempotent: the outbox ignores an event it already has.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

from bot.catalogue.answers import UNVERIFIED, documents_text, fees_text, sources_line, time_text
from bot.catalogue.procedures import EID_PROCEDURE
from bot.db import OPEN_SQL, transaction
from bot.delivery.outbox import Outbox
from bot.delivery.text import shorten
from bot.dossiers.presentation import STATUS_NAMES, mask_name
from bot.people import ratings as rating_rules
from bot.people.petitions import digest_section as petitions_section
from bot.people.subscriptions import subscribed_accounts
from bot.people.users import User
from bot.services import Services
from bot.timeutil import VN_TZ, iso
from bot.timeutil import local as _local
from bot.workdays import WorkCalendar, default_calendar

log = logging.getLogger(__name__)

MAX_CHARS = 2000          # Zalo's text limit (bot/channels/zalo_send.py), below Telegram's 4,096
MAX_CODES = 6             # dossier codes listed per handler in a digest section
STOP_HINT = "Nhắn \"hủy nhận tin\" nếu không muốn nhận thông báo nữa."
WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


# helpers -------------------------------------------------------------------------------------------------
def _state(outbox: Outbox, name: str) -> Optional[str]:
    """A value the notifier keeps between runs (a cursor), or None."""
    row = outbox.conn.execute("select value from notifier_state where name = ?", [name]).fetchone()
    return row[0] if row else None


def _set_state(outbox: Outbox, name: str, value: str) -> None:
    """Keep ``value`` under ``name`` for the next run."""
    outbox.conn.execute("insert into notifier_state (name, value) values (?, ?) on conflict (name) do update"
                        " set value = excluded.value", [name, value])


def day_name(day: dt.date) -> str:
    """``thứ Ba 25/11/2025``."""
    return f"{WEEKDAYS[day.weekday()]} {day:%d/%m/%Y}"


# status changes ---------------------------------------------------------------------------------------------
def status_text(dossier: Dict[str, Any], change: Dict[str, Any], procedure_name: Optional[str] = None) -> str:
    """The citizen's notice that dossier ``dossier`` changed status (``change`` is its history row)."""
    status = change["status"]
    lines = [
        f"🔔 Hồ sơ {dossier['code']} có cập nhật",
        f"• Thủ tục: {procedure_name or dossier.get('procedure_name') or dossier.get('procedure_code') or '(không rõ)'}",
        f"• Người nộp: {mask_name(dossier.get('applicant_name') or '')}",
        f"• Tình trạng mới: {STATUS_NAMES.get(status, status)}",
    ]
    try:
        at = _local(dt.datetime.fromisoformat(change["at"]))
        lines.append(f"• Lúc: {at:%H:%M} {day_name(at.date())}")
    except (TypeError, ValueError):
        pass
    if status == "additions_requested":
        lines.append("• Hồ sơ cần bổ sung giấy tờ. Anh/chị tra cứu mã hồ sơ để xem cần bổ sung gì.")
    elif status == "financial_obligation":
        lines.append("• Anh/chị cần hoàn thành nghĩa vụ tài chính để hồ sơ được giải quyết tiếp.")
    elif status == "done":
        lines.append("• Kết quả đã có: anh/chị đến Bộ phận Một cửa để nhận.")
    lines.append(STOP_HINT)
    return shorten("\n".join(lines), MAX_CHARS)


def _history_batches(services: Services, outbox: Outbox, cursor_name: str, batch: int) -> Iterator[List[Dict[str, Any]]]:
    """Dossier history rows after the cursor ``cursor_name``, a batch at a time; the cursor moves past a batch once the
    caller has handled it (its enqueues are idempotent: a crash before that only repeats no-ops). On the first run the
    cursor starts at the newest row and nothing is yielded (what happened before the job existed is not announced)."""
    cursor = _state(outbox, cursor_name)
    if cursor is None:
        _set_state(outbox, cursor_name, str(services.dossiers.latest_history_id()))
        return
    after = int(cursor)
    while True:
        changes = services.dossiers.history_since(after, limit=batch)
        if not changes:
            return
        yield changes
        after = changes[-1]["id"]
        _set_state(outbox, cursor_name, str(after))


def _short_name(services: Services, dossier: Dict[str, Any]) -> Optional[str]:
    procedure = services.catalogue.procedure(dossier["procedure_id"]) if dossier.get("procedure_id") else None
    return procedure.short_name if procedure else None


def status_notices(services: Services, outbox: Outbox, *, batch: int = 1000) -> int:
    """Enqueue a notice for every subscriber of every dossier whose status changed since the cursor; returns how many."""
    queued = 0
    for changes in _history_batches(services, outbox, "history_cursor", batch):
        for change in changes:
            dossier = services.dossiers.get(change["code"])
            if dossier is not None:
                text = status_text(dossier, change, _short_name(services, dossier))
                for account in subscribed_accounts(services.users, services.subscriptions, f"dossier:{dossier['code']}"):
                    queued += outbox.enqueue(account, f"dossier:{dossier['code']}:status:{change['id']}", text)
    return queued


FINAL = ("done", "returned")  # a dossier that ended with a result: its followers are asked to rate it


def rating_requests(services: Services, outbox: Outbox, *, batch: int = 1000) -> int:
    """Ask each subscriber of a dossier that just ended (done or returned) to rate it, once; returns how many."""
    queued = 0
    for changes in _history_batches(services, outbox, "rating_cursor", batch):
        for change in changes:
            dossier = services.dossiers.get(change["code"]) if change["status"] in FINAL else None
            if dossier is not None:
                text, buttons = rating_rules.question(dossier["code"], _short_name(services, dossier))
                for account in subscribed_accounts(services.users, services.subscriptions, f"dossier:{dossier['code']}"):
                    queued += outbox.enqueue(account, rating_rules.event(dossier["code"]), text, buttons)
    return queued


# overdue alerts ---------------------------------------------------------------------------------------------
def late_days(dossier: Dict[str, Any], now: dt.datetime, calendar: WorkCalendar) -> int:
    """Working days past the due date (0 when due earlier today)."""
    due = _local(dt.datetime.fromisoformat(dossier["due_at"]))
    return max(0, calendar.working_days_between(due.date(), _local(now).date()))


def overdue_text(dossier: Dict[str, Any], now: dt.datetime, calendar: WorkCalendar) -> str:
    """The officials' alert that ``dossier`` has just become overdue."""
    due = _local(dt.datetime.fromisoformat(dossier["due_at"]))
    lines = [
        f"⚠️ Hồ sơ quá hạn: {dossier['code']}",
        f"• Thủ tục: {dossier.get('procedure_name') or dossier.get('procedure_code') or '(không rõ)'}",
        f"• Hạn trả: {due:%H:%M} {day_name(due.date())}",
        f"• Tình trạng: {STATUS_NAMES.get(dossier.get('status') or '', dossier.get('status') or '')}",
        f"• Cán bộ xử lý: {dossier.get('handler') or 'chưa phân công'}",
    ]
    late = late_days(dossier, now, calendar)
    if late:
        lines.append(f"• Đã quá {late} ngày làm việc.")
    return shorten("\n".join(lines), MAX_CHARS)


def newly_overdue(services: Services, now: dt.datetime, limit: int) -> List[Dict[str, Any]]:
    """Open dossiers past due that have not been alerted yet, the longest overdue first."""
    sql = (f"select * from dossiers where {OPEN_SQL} and due_at < ?"
           " and not exists (select 1 from overdue_alerted a where a.code = dossiers.code) order by due_at limit ?")
    return list(services.db.query(sql, [iso(_local(now)), int(limit)]))


def overdue_alerts(services: Services, outbox: Outbox, now: dt.datetime, *, calendar: Optional[WorkCalendar] = None,
                   limit: int = 500) -> int:
    """Alert the department's officials about each dossier that became overdue (once per dossier); returns alerts queued."""
    calendar = calendar or default_calendar()
    first_scan = _state(outbox, "overdue_baseline") is None
    if first_scan:  # dossiers overdue before alerts existed go to the digest, not to a burst of alerts
        with transaction(outbox.conn):
            outbox.conn.execute(f"insert or ignore into overdue_alerted (code, at, recipients) select code, ?, -1 from dossiers"
                                f" where {OPEN_SQL} and due_at < ?", [iso(_local(now)), iso(_local(now))])
        _set_state(outbox, "overdue_baseline", iso(_local(now)))
        return 0
    queued = 0
    officials: Dict[Optional[str], List[User]] = {}
    for dossier in newly_overdue(services, now, limit):
        department = dossier.get("department")
        if department not in officials:
            officials[department] = [a for a in (services.users.push_account(o) for o in services.users.officials(department))
                                     if a is not None] if department else []
        text = overdue_text(dossier, now, calendar)
        recipients = officials[department]
        for account in recipients:
            queued += outbox.enqueue(account, f"overdue:{dossier['code']}", text)
        outbox.conn.execute("insert or ignore into overdue_alerted (code, at, recipients) values (?, ?, ?)",
                            [dossier["code"], iso(_local(now)), len(recipients)])
        if not recipients:
            log.warning("overdue: no consenting official of department %r for dossier %s (it stays in the digests)",
                        department, dossier["code"])
    return queued


# daily digest -------------------------------------------------------------------------------------------------
def _day_bounds(day: dt.date) -> Tuple[dt.datetime, dt.datetime]:
    """Midnight to midnight of ``day`` in Vietnam."""
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=VN_TZ)
    return start, start + dt.timedelta(days=1)


def _section(title: str, dossiers: List[Dict[str, Any]], extra=None) -> List[str]:
    """``title (n)`` then one line per handler: count and the first codes."""
    if not dossiers:
        return []
    by_handler: Dict[str, List[Dict[str, Any]]] = defaultdict(list)
    for dossier in dossiers:
        by_handler[dossier.get("handler") or "Chưa phân công"].append(dossier)
    lines = [f"{title} ({len(dossiers)}):"]
    for handler, items in sorted(by_handler.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        codes = ", ".join(d["code"] + (extra(d) if extra else "") for d in items[:MAX_CODES])
        more = f" và {len(items) - MAX_CODES} hồ sơ khác" if len(items) > MAX_CODES else ""
        lines.append(f"• {handler}: {len(items)} – {codes}{more}")
    return lines


def digest_text(department: str, today: dt.date, next_day: dt.date, overdue: List[Dict[str, Any]],
                due_today: List[Dict[str, Any]], due_next: List[Dict[str, Any]], now: dt.datetime,
                calendar: WorkCalendar) -> str:
    """One department's digest for ``today``."""
    head = [f"📋 Hồ sơ {department} – {day_name(today)}",
            f"Quá hạn: {len(overdue)} · Đến hạn hôm nay: {len(due_today)} · Đến hạn {WEEKDAYS[next_day.weekday()]}"
            f" {next_day:%d/%m}: {len(due_next)}"]
    if not (overdue or due_today or due_next):
        return "\n".join(head + ["Không có hồ sơ nào quá hạn hoặc sắp đến hạn. 👍"])

    def late(d: Dict[str, Any]) -> str:
        days = late_days(d, now, calendar)
        return f" (quá {days} ngày làm việc)" if days else ""

    body = (_section("⚠️ Quá hạn", overdue, late) + _section("⏰ Đến hạn hôm nay", due_today)
            + _section(f"📅 Đến hạn ngày làm việc tiếp theo ({day_name(next_day)})", due_next))
    return shorten("\n".join(head + [""] + body), MAX_CHARS)


def daily_digests(services: Services, outbox: Outbox, now: dt.datetime, *, calendar: Optional[WorkCalendar] = None) -> int:
    """Enqueue today's digest for every consenting official with a department (working days only); returns how many."""
    calendar = calendar or default_calendar()
    local = _local(now)
    today = local.date()
    if not calendar.is_working_day(today):
        return 0
    officials = [o for o in services.users.officials() if o.department]
    if not officials:
        return 0
    next_day = calendar.next_working_day(today)
    end_today = _day_bounds(today)[1]
    end_next = _day_bounds(next_day)[1]
    departments = {o.department for o in officials}
    grouped: Dict[str, Dict[str, List[Dict[str, Any]]]] = {d: {"overdue": [], "today": [], "next": []} for d in departments}

    def put(kind: str, rows: Iterable[Dict[str, Any]]) -> None:
        for row in rows:
            if row.get("department") in grouped:
                grouped[row["department"]][kind].append(row)

    put("overdue", services.dossiers.overdue(local))
    put("today", services.dossiers.due_between(local, end_today))
    put("next", services.dossiers.due_between(end_today, end_next))
    queued = 0
    for official in officials:
        account = services.users.push_account(official)
        if account is None:
            continue
        parts = grouped[official.department]
        text = digest_text(official.department, today, next_day, parts["overdue"], parts["today"], parts["next"], local, calendar)
        pending = services.petitions.pending(official.department)
        petitions = petitions_section(pending, local)
        if petitions:
            text = shorten("\n\n".join([text, "\n".join(petitions)]), MAX_CHARS)
        added = outbox.enqueue(account, f"digest:{today.isoformat()}:{official.id}", text)
        if added and petitions:  # the official is sent citizens' petitions: written to the audit log (once per digest)
            services.audit.write(official, official.conversation_id, "digest_petitions", "ok",
                                 ", ".join(p.ref for p in pending[:10]), now)
        queued += added
    return queued


# e-ID tips ----------------------------------------------------------------------------------------------------------
def eid_tip_texts(services: Services, day: dt.date) -> List[str]:
    """The level-2 e-ID tips, in order, from the catalogue entry (empty when it is not loaded)."""
    procedure = services.catalogue.procedure(EID_PROCEDURE)
    if procedure is None:
        return []
    title = "💡 Mẹo: tài khoản định danh điện tử mức 2"
    summary = procedure.summary.split(". ")
    where = procedure.submission.get("where", "")
    online = procedure.submission.get("online")
    tips = [
        [f"{title} (1/4) – là gì, làm ở đâu", ". ".join(summary[:2]).rstrip(".") + ".", f"• Nơi làm: {where}",
         *([f"• Lưu ý: {online}"] if online else [])],
        [f"{title} (2/4) – cần mang gì", documents_text(procedure)],
        [f"{title} (3/4) – bao lâu, kích hoạt", time_text(procedure), f"• Kết quả: {procedure.result}"],
        [f"{title} (4/4) – chi phí", fees_text(procedure, day), ". ".join(summary[-1:]).rstrip(".") + "."],
    ]
    footer = [sources_line(procedure)] + ([UNVERIFIED] if not procedure.verified else []) + [STOP_HINT]
    return [shorten("\n".join(lines + footer), MAX_CHARS) for lines in tips]


def eid_tips(services: Services, outbox: Outbox, now: dt.datetime, *, every_days: float = 7.0) -> int:
    """Enqueue the next e-ID tip for each ``tips`` subscriber whose last tip is ``every_days`` old; returns how many."""
    local = _local(now)
    texts = eid_tip_texts(services, local.date())
    if not texts:
        return 0
    queued = 0
    for account in subscribed_accounts(services.users, services.subscriptions, "tips"):
        count, last = outbox.history_of(account.id, "tip:eid:")
        if count >= len(texts):
            continue
        if last and now - dt.datetime.fromisoformat(last) < dt.timedelta(days=every_days):
            continue
        queued += outbox.enqueue(account, f"tip:eid:{count + 1}", texts[count])
    return queued


# leaders' Monday summary ----------------------------------------------------------------------------------------------
ReportSummary = Callable[[Services, dt.date, dt.date], Optional[str]]


def execution_report_summary(services: Services, start: dt.date, end: dt.date) -> Optional[str]:
    """The execution report's summary (Biểu 07a) of ``start``..``end`` for the leaders' Monday message."""
    from bot.officials.periods import between
    from bot.officials.report_command import leader_report

    return leader_report(services.db, between(start, end), chart=False).text


def weekly_period(today: dt.date) -> Tuple[dt.date, dt.date]:
    """The period of the Monday summary: from the first day of the month of (yesterday − 6 days) to yesterday, so it
    always covers at least a week and starts on a month's first day (Mon 2 Nov -> 1 Oct..1 Nov; Mon 16 Nov -> 1..15 Nov)."""
    end = today - dt.timedelta(days=1)
    return (end - dt.timedelta(days=6)).replace(day=1), end


def leaders(services: Services) -> List[User]:
    """Accounts with the role ``leader`` (``users.role`` is free text; the roles module adds the role)."""
    return [services.users.get(r["id"]) for r in services.db.query("select id from users where role = 'leader' order by id")]


def leader_summary_text(services: Services, today: dt.date, report_summary: Optional[ReportSummary] = None) -> str:
    """The Monday message: the execution report's summary and the indicators of :func:`weekly_period`, then the
    Resolution-57 task summary (when tasks are registered)."""
    from bot.officials.indicators import compute, indicators_text
    from bot.officials.satisfaction import ratings_for
    from bot.officials.tasks import summary_text

    start, end = weekly_period(today)
    summary = (report_summary or execution_report_summary)(services, start, end)
    parts = [summary.strip()] if summary else []
    parts.append(indicators_text(compute(services.db, services.catalogue, start, end, ratings=ratings_for(services.db, start, end))))
    tasks = services.tasks.summary(today)
    if tasks.total:
        parts.append(summary_text(tasks))
    return shorten("\n\n".join(parts), MAX_CHARS)


def leader_weekly(services: Services, outbox: Outbox, now: dt.datetime, *, report_summary: Optional[ReportSummary] = None) -> int:
    """Enqueue the Monday summary for every consenting leader, event ``weekly:<date>:<leader id>`` (once each); returns
    how many. ``report_summary`` replaces the :func:`execution_report_summary` hook (tests, the merged report)."""
    today = _local(now).date()
    recipients = [(leader, services.users.push_account(leader)) for leader in leaders(services)]
    recipients = [(leader, account) for leader, account in recipients if account is not None]
    if not recipients:
        return 0
    text = leader_summary_text(services, today, report_summary)
    return sum(outbox.enqueue(account, f"weekly:{today.isoformat()}:{leader.id}", text) for leader, account in recipients)


# Resolution-57 task deadlines ---------------------------------------------------------------------------------------------
def task_warnings(services: Services, outbox: Outbox, now: dt.datetime) -> int:
    """Warn the lead unit's officials (role official, department = the lead unit, compared without case or accents)
    7, 3 and 1 days before a task's deadline and once when it is missed, event ``task:<id>:<stage>:<deadline>``;
    returns how many notices were queued."""
    from bot.officials.tasks import due_warnings, fold, warning_event, warning_text

    today = _local(now).date()
    due = due_warnings(services.tasks, today)
    if not due:
        return 0
    by_unit: Dict[str, List[User]] = defaultdict(list)
    for official in services.users.officials():
        account = services.users.push_account(official) if official.department else None
        if account is not None:
            by_unit[fold(official.department)].append(account)
    queued = 0
    for task, stage in due:
        recipients = by_unit.get(fold(task.lead_unit), [])
        if not recipients:
            log.warning("tasks: no consenting official of lead unit %r for task %s", task.lead_unit, task.id)
        text = warning_text(task, stage, today)
        for account in recipients:
            queued += outbox.enqueue(account, warning_event(task, stage), text)
    return queued


# legal-basis review ----------------------------------------------------------------------------------------------------
def legal_review_weekly(services: Services, outbox: Outbox, now: dt.datetime) -> int:
    """Enqueue, for each consenting official with a department, the legal-basis review of the department's procedures
    when it has findings not sent before (event ``legal:<official id>:<fingerprint>``); returns how many were queued."""
    from bot.legal.review import digest_key, for_department, review, review_text

    today = _local(now).date()
    procedures = {pid: services.catalogue.procedure(pid) for pid in services.catalogue.ids()}
    procedures = {pid: p for pid, p in procedures.items() if p is not None}
    register = services.legal.register
    full = review(register, procedures.values(), today)
    queued = 0
    for official in services.users.officials():
        account = services.users.push_account(official) if official.department else None
        if account is None:
            continue
        mine = for_department(full, procedures, official.department)
        if not mine["procedures"]:
            continue
        text = shorten(review_text(mine, register, limit=8) + "\nChi tiết: /ratsoat", MAX_CHARS)
        queued += outbox.enqueue(account, f"legal:{official.id}:{digest_key(mine)}", text)
    return queued
# community broadcasts ---------------------------------------------------------------------------------------------------
def broadcast_reports(services: Services, outbox: Outbox, now: dt.datetime) -> int:
    """Close the broadcasts whose messages are all settled and queue each author's delivery report; returns how many."""
    from bot.community.broadcasts import finish_broadcasts

    return finish_broadcasts(services, outbox, now)
