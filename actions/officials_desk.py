"""The officials' desk in the chat: the execution report (/baocao), the service indicators (/chiso) and the
Resolution-57 tasks (/nhiemvu). Each is an :class:`actions.officials.OfficialAction` (one role check, one audit row);
the counting and the wording live in ``bot/officials``. Charts and sheets go to the engine through
``services.files`` (see :mod:`bot.delivery.files`).

What a request says is read from the message (or, from a Telegram command or a button, from the ``officials_request``
entity of its payload): a period in words ("tháng trước", "quý 3", "từ 1/10 đến 31/10"; this month by default), a
department for leaders ("phòng tư pháp"; an official always sees their own), "excel" for the Biểu 07a sheet.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, Callable, Dict, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import latest_entities, latest_text, question_moment
from actions.officials import OfficialAction, Outcome
from bot.delivery.reply import Attachment
from bot.officials.indicators import chat_indicators
from bot.officials.periods import Period, PeriodError, parse_period
from bot.officials.report_command import department_in, leader_report
from bot.officials.tasks import TaskError, TaskPermissionError, list_text, parse_update_command, summary_text
from bot.people.roles import Scope
from bot.people.users import User
from nlu.normalize import normalize

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXCEL_WORDS = re.compile(r"\b(?:excel|xlsx|file|tep|bieu 07a|bieu mau|bang tinh|tai ve)\b")
OVERDUE_WORDS = re.compile(r"\b(?:qua han|tre han|cham)\b")
UPDATE = re.compile(r"^\s*\d{1,9}\b")  # "/nhiemvu 12 80% …": a task number first means an update


def request_text(tracker: Tracker) -> str:
    """What the official asked: the payload's ``officials_request`` (Telegram command, button) or the message."""
    given = [str(e.get("value") or "") for e in latest_entities(tracker, "officials_request")]
    return given[0][:500] if given else latest_text(tracker)


def asked_period(text: str, today: dt.date) -> Period:
    """The period the text names, this month (up to today) when it names none; PeriodError when impossible."""
    return parse_period(text, today) or parse_period("tháng này", today)


def payload(intent: str, request: str) -> str:
    """A button payload that asks ``intent`` again with ``request`` (the period and options in words)."""
    return f"/{intent}" + json.dumps({"officials_request": request[:200]}, ensure_ascii=False)


def period_asked(dispatcher: CollectingDispatcher, tracker: Tracker, parse: Callable[[str, dt.date], Any],
                 example: str) -> Optional[Tuple[str, dt.date, Any]]:
    """The request's words, today, and the period ``parse`` reads in them; None once the official was told what is
    wrong with the period and shown ``example``."""
    text = request_text(tracker)
    today = question_moment(tracker, trusted=True).date()
    try:
        return text, today, parse(text, today)
    except PeriodError as error:
        dispatcher.utter_message(text=f"{error} Ví dụ: {example}.")
        return None


def attach(dispatcher: CollectingDispatcher, services: Any, attachment: Attachment) -> None:
    """Send a file with the reply being written."""
    dispatcher.utter_message(json_message={"file": services.files.put(attachment)})


class ActionReport(OfficialAction):
    """/baocao, "tóm tắt tình hình giải quyết hồ sơ tháng này", "báo cáo quý 3 file excel"."""

    command = "report"

    def name(self) -> Text:
        return "action_report"

    def run_official(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any],
                     user: User, scope: Scope) -> Outcome:
        asked = period_asked(dispatcher, tracker, asked_period, '"báo cáo tháng trước", "báo cáo quý 3"')
        if asked is None:
            return Outcome(result="invalid")
        text, today, period = asked
        department = scope.department or department_in(self.services.db, text)
        excel = bool(EXCEL_WORDS.search(normalize(text)))
        made = leader_report(self.services.db, period, department, excel=excel)
        buttons = [] if excel else [{"title": "📥 Biểu 07a (Excel)", "payload": payload("ask_report", f"{period.label} excel"
                                                                                      + (f" {department}" if department else ""))}]
        dispatcher.utter_message(text=made.text, buttons=buttons)
        name = f"bao-cao-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
        attach(dispatcher, self.services, Attachment("photo", f"{name}.png", made.png, "image/png", f"Báo cáo {period.label}"))
        if made.xlsx:
            attach(dispatcher, self.services, Attachment("document", f"{name}.xlsx", made.xlsx, XLSX_MIME,
                                                         f"Biểu 07a/BTP/KSTT – {period.label}"))
        return Outcome(detail=f"{period.label}{' · ' + department if department else ''}{' · excel' if excel else ''}")


class ActionIndicators(OfficialAction):
    """/chiso, "chỉ số phục vụ tháng này", "tỷ lệ hồ sơ trực tuyến quý 3"."""

    command = "indicators"

    def name(self) -> Text:
        return "action_indicators"

    def run_official(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any],
                     user: User, scope: Scope) -> Outcome:
        asked = period_asked(dispatcher, tracker, parse_period, '"chỉ số tháng trước"')
        if asked is None:
            return Outcome(result="invalid")
        text, today, period = asked
        start, end = (period.start, period.end) if period else (None, None)
        body, png = chat_indicators(self.services.db, self.services.catalogue, today, start=start, end=end)
        dispatcher.utter_message(text=body)
        if png:
            attach(dispatcher, self.services, Attachment("photo", "chi-so-766.png", png, "image/png", "Chỉ số 12 tháng gần nhất"))
        return Outcome(detail=period.label if period else "mặc định")


class ActionTasks(OfficialAction):
    """/nhiemvu (the summary and the unit's tasks), "nhiệm vụ quá hạn", "/nhiemvu 12 80% Đã trình dự thảo" (update)."""

    command = "tasks"

    def name(self) -> Text:
        return "action_tasks"

    def run_official(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any],
                     user: User, scope: Scope) -> Outcome:
        text = re.sub(r"^\s*/nhiemvu\b", "", request_text(tracker))
        now = question_moment(tracker, trusted=True)
        if UPDATE.match(text):
            reply, result = self._update(text, user, now)
            dispatcher.utter_message(text=reply)
            return Outcome(result=result)
        tasks = self.services.tasks
        today = now.date()
        overdue_only = bool(OVERDUE_WORDS.search(normalize(text)))
        items = tasks.list(scope.department, overdue_on=today if overdue_only else None)
        lines = [summary_text(tasks.summary(today))]
        title = ("Nhiệm vụ quá hạn" if overdue_only else "Nhiệm vụ") + (f" của {scope.department}" if scope.department else "")
        lines.append(f"\n{title}:\n" + (list_text(items[:10], today) if items else "(không có)"))
        if len(items) > 10:
            lines.append(f"… và {len(items) - 10} nhiệm vụ nữa (motcua tasks list).")
        if scope.department:
            lines.append("Cập nhật tiến độ: /nhiemvu <số> <tiến độ %> <ghi chú>")
        dispatcher.utter_message(text="\n".join(lines))
        return Outcome(detail="quá hạn" if overdue_only else "danh sách")

    def _update(self, text: str, user: User, now: dt.datetime) -> Tuple[str, str]:
        try:
            task_id, progress, note = parse_update_command(text)
            task = self.services.tasks.update_progress(task_id, user.department, progress=progress, note=note,
                                                       user_id=user.id, now=now)
        except TaskPermissionError as error:
            return str(error), "refused"
        except TaskError as error:
            return error.problem[:1].upper() + error.problem[1:] + ".", "invalid"
        except LookupError as error:
            return str(error), "invalid"
        done = " – đã hoàn thành ✅" if task.status == "done" else ""
        return f"Đã cập nhật nhiệm vụ số {task.id}: {task.progress or 0}%{done}.\n{task.title}", "ok"
