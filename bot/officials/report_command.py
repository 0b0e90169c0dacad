"""What the chat (/baocao) and ``motcua report`` call: the period's report made and rendered in one go.

    leader_report(db, period, department=None, excel=False) -> LeaderReport(report, previous, text, png, xlsx)
    resolve_department(db, text) -> name      # "tu phap" -> "Tư pháp - Hộ tịch"; ReportInputError when unknown
    department_in(db, sentence) -> name|None  # the department a chat message names
    run_command(settings, ...) -> exit code   # `motcua report --from D --to D [--department D] [--json | --xlsx FILE]`
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional, TextIO

from bot.db import open_database
from bot.metrics import REPORT_SECONDS
from bot.officials.periods import Period, PeriodError, between, parse_period
from bot.officials.report import departments, find_name, tally
from bot.officials.report_render import chart_png, excel_bytes, summary_text
from bot.settings import Settings
from nlu.normalize import normalize

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")


class ReportInputError(ValueError):
    """A date, period or department a user gave that cannot make a report; the message is Vietnamese."""


@dataclass(frozen=True)
class LeaderReport:
    """One period's report, the same-length period before, and what a leader is sent."""

    period: Period
    report: Dict[str, Any]
    previous: Dict[str, Any]
    levels: Dict[str, Any]
    text: str
    png: bytes
    xlsx: Optional[bytes] = None


def resolve_department(db: Any, text: str) -> str:
    """The department on the dossiers that ``text`` names (without case, marks or punctuation)."""
    names = departments(db)
    found = find_name(names, text)
    if found is None:
        known = "; ".join(names) if names else "chưa có hồ sơ nào ghi bộ phận"
        raise ReportInputError(f"Không thấy bộ phận \"{text}\" trong dữ liệu hồ sơ (có: {known}).")
    return found


def department_in(db: Any, text: str) -> Optional[str]:
    """The department a sentence names ("tháng trước phòng tư pháp trễ bao nhiêu" -> "Tư pháp - Hộ tịch"): a name
    whose first part (before " - ") appears in it, without case or marks; None when none or several do."""
    words = f" {normalize(text or '')} "
    found = [n for n in departments(db) if (key := normalize(n.split(" - ")[0])) and f" {key} " in words]
    return found[0] if len(found) == 1 else None


@REPORT_SECONDS.labels("report").time()
def leader_report(db: Any, period: Period, department: Optional[str] = None, excel: bool = False,
                  chart: bool = True) -> LeaderReport:
    """Count ``period`` and the period before it, and render the summary, the chart (and the Excel when asked)."""
    now = tally(db, period, department)
    before_period = period.previous()
    before = tally(db, before_period, department)
    report, previous = now.json(), before.json()
    top = now.overdue_by("handler" if department else "department")
    text = summary_text(report, previous, label=period.label, previous_label=before_period.label, scope=department, top_overdue=top)
    levels = now.online_levels()
    return LeaderReport(
        period, report, previous, levels, text,
        chart_png(report, previous, label=period.label) if chart else b"",
        excel_bytes(report, levels, label=period.label) if excel else None,
    )


def parse_day(text: Optional[str], option: str) -> dt.date:
    """A date given on the command line (YYYY-MM-DD or dd/mm/yyyy)."""
    value = (text or "").strip()
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ReportInputError(f"Ngày {option} không hợp lệ: \"{value}\" (dạng YYYY-MM-DD, ví dụ 2026-10-31).")


def command_period(start: Optional[str], end: Optional[str], phrase: Optional[str], today: dt.date) -> Period:
    """The period of ``motcua report``: --from/--to, or --period in words ("tháng trước", "quý 3")."""
    if phrase:
        found = parse_period(phrase, today)
        if found is None:
            raise ReportInputError(f"Không hiểu kỳ báo cáo \"{phrase}\" (ví dụ: \"tháng trước\", \"quý 3\", \"từ 1/10 đến 31/10\").")
        return found
    if not start or not end:
        raise ReportInputError("Cần --from và --to (dạng YYYY-MM-DD), hoặc --period \"tháng trước\".")
    first, last = parse_day(start, "--from"), parse_day(end, "--to")
    if first > last:
        raise ReportInputError(f"Ngày bắt đầu {first:%d/%m/%Y} sau ngày kết thúc {last:%d/%m/%Y}.")
    return between(first, last)


def run_command(settings: Settings, start: Optional[str], end: Optional[str], department: Optional[str] = None,
                as_json: bool = False, xlsx: Optional[str] = None, chart: Optional[str] = None, phrase: Optional[str] = None,
                today: Optional[dt.date] = None, out: Optional[TextIO] = None, err: Optional[TextIO] = None) -> int:
    """``motcua report``: the summary (default), the JSON (--json) or the Excel (--xlsx FILE); exit 2 on bad input."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        if as_json and xlsx:
            raise ReportInputError("Chọn một trong --json và --xlsx.")
        period = command_period(start, end, phrase, today or dt.date.today())
        db = open_database(settings.db_path)
        name = resolve_department(db, department) if department else None
        made = leader_report(db, period, name, excel=bool(xlsx), chart=bool(chart))
    except (ReportInputError, PeriodError) as error:
        print(f"Lỗi: {error}", file=err)
        return 2
    try:
        if chart:
            Path(chart).write_bytes(made.png)
        if xlsx:
            Path(xlsx).write_bytes(made.xlsx or b"")
    except OSError as error:
        print(f"Lỗi: không ghi được tệp: {error.strerror or error}", file=err)
        return 2
    if as_json:
        out.write(json.dumps(made.report, ensure_ascii=False, indent=2) + "\n")
    elif xlsx:
        out.write(f"Đã ghi Biểu 07a ({made.period.label}) vào {xlsx}.\n")
    else:
        out.write(made.text + "\n")
    return 0
