"""Resolution-57 task monitoring: the register of tasks assigned to the ward, its import, progress updates, the
summary leaders quote, and which deadline warnings are due.

Facts followed (../shared/officials-facts.md, "Resolution 57 task monitoring"): no national record schema exists;
every task has a lead unit and a measurable progress; the province reports "tasks done of all" and "time-bound
tasks done of time-bound" (Quảng Ninh, Dec 2025: 130/138 and 44/61); a working public design (a Bắc Ninh service
centre's tool) keeps lead and partner units and warns 7, 3 and 1 days before a deadline and when it is missed.
Counting those days as calendar days is our reading (unconfirmed).

The register (tables ``tasks`` and ``task_updates``, bot/db.py migration 5) is loaded from a YAML file or from the
Excel sheet the office already keeps (:func:`import_file`): headers "Nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối
hợp", "Thời hạn", "Tiến độ", "Trạng thái" (optional "Mã nhiệm vụ", "Ghi chú", "Ngày cập nhật"), matched without
regard to case, accents or spacing; YAML takes the same names or English keys (``task``, ``lead_unit``,
``partners``, ``deadline``, ``progress``, ``status``, ``code``, ``note``, ``updated``). A task is known by its code
when the sheet has one, else by its text: importing the same file twice changes nothing; a bad row is named by its
row number and then nothing at all is written. Tasks missing from a later file are kept (never deleted).

Values: "Thời hạn" is a day (Excel date, 31/12/2026, 2026-12-31), a month ("Tháng 12/2026" -> its last day), a
quarter ("Quý IV/2026"), a year ("Năm 2026"), or none ("Thường xuyên", "Hằng năm", empty); "Tiến độ" a percentage
(45, "45%", an Excel percent cell) or words kept as a note; "Trạng thái" "Chưa thực hiện", "Đang thực hiện",
"Đã hoàn thành" (and close spellings); empty status follows the progress (100 % is done). Overdue is derived:
not done and the deadline day before today.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import sqlite_utils
import yaml

from bot import yamltext
from bot.db import transaction
from bot.timeutil import VN_TZ, iso
from nlu.normalize import strip_diacritics

STATUSES = ("not_started", "in_progress", "done")
STATUS_NAMES = {"not_started": "Chưa thực hiện", "in_progress": "Đang thực hiện", "done": "Đã hoàn thành"}
WARN_DAYS = (7, 3, 1)          # warn this many days before the deadline (Bắc Ninh's design), then once when missed
MAX_TITLE = 2000
MAX_ROWS = 10_000
HEADER_SEARCH_ROWS = 15

HEADERS: Dict[str, Tuple[str, ...]] = {
    "key": ("Mã nhiệm vụ", "Mã NV", "Mã", "Số hiệu", "code"),
    "title": ("Nhiệm vụ", "Tên nhiệm vụ", "Nội dung nhiệm vụ", "Nội dung", "task", "title"),
    "lead_unit": ("Đơn vị chủ trì", "Cơ quan chủ trì", "Chủ trì", "Đơn vị chủ trì thực hiện", "lead_unit", "lead"),
    "partners": ("Đơn vị phối hợp", "Cơ quan phối hợp", "Phối hợp", "partners", "partner_units"),
    "deadline": ("Thời hạn", "Thời hạn hoàn thành", "Hạn hoàn thành", "Thời gian hoàn thành", "deadline"),
    "progress": ("Tiến độ", "Tiến độ thực hiện", "Tỷ lệ hoàn thành", "progress"),
    "status": ("Trạng thái", "Tình trạng", "Tình hình thực hiện", "status"),
    "note": ("Ghi chú", "note"),
    "updated_at": ("Ngày cập nhật", "Cập nhật", "Cập nhật lần cuối", "updated", "updated_at", "last_update"),
}
NO_DEADLINE = ("", "-", "khong", "khong co", "khong thoi han", "thuong xuyen", "hang nam", "hang nam", "lien tuc",
               "hang thang", "hang quy", "none", "null")
QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}


class TaskError(ValueError):
    """A value of a task that cannot be used; ``field`` names it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class TaskImportError(ValueError):
    """The file cannot be imported at all (missing, unreadable, no header, bad rows); the message is Vietnamese."""

    def __init__(self, message: str, rows: Sequence[Tuple[int, str]] = ()) -> None:
        super().__init__(message)
        self.rows = list(rows)


class TaskPermissionError(PermissionError):
    """Someone outside the lead unit tried to update a task."""


def fold(text: Any) -> str:
    """Lowercase, no accents, punctuation to spaces, single spaces: "Đơn vị  chủ trì:" -> "don vi chu tri"."""
    text = strip_diacritics(str(text or "")).lower()
    return " ".join(re.sub(r"[^\w/%]+", " ", text).replace("_", " ").split())


_HEADER_INDEX = {fold(name): column for column, names in HEADERS.items() for name in names}


@dataclass(frozen=True)
class Task:
    """One task of the register."""

    id: int
    key: str
    title: str
    lead_unit: str
    partners: List[str]
    deadline: Optional[dt.date]
    deadline_text: Optional[str]
    progress: Optional[int]
    progress_note: Optional[str]
    status: str
    updated_at: str

    @property
    def done(self) -> bool:
        return self.status == "done"

    def overdue(self, today: dt.date) -> bool:
        """Not done and its deadline day is before ``today``."""
        return not self.done and self.deadline is not None and self.deadline < today

    def as_dict(self) -> Dict[str, Any]:
        return {"id": self.id, "key": self.key, "task": self.title, "lead_unit": self.lead_unit, "partners": self.partners,
                "deadline": self.deadline.isoformat() if self.deadline else None, "deadline_text": self.deadline_text,
                "progress": self.progress, "progress_note": self.progress_note, "status": self.status,
                "updated_at": self.updated_at}


def _task(row: Dict[str, Any]) -> Task:
    return Task(id=row["id"], key=row["key"], title=row["title"], lead_unit=row["lead_unit"],
                partners=json.loads(row["partners"] or "[]"),
                deadline=dt.date.fromisoformat(row["deadline"]) if row["deadline"] else None,
                deadline_text=row["deadline_text"], progress=row["progress"], progress_note=row["progress_note"],
                status=row["status"], updated_at=row["updated_at"])


# values -----------------------------------------------------------------------------------------------------------
def parse_deadline(value: Any) -> Tuple[Optional[dt.date], Optional[str]]:
    """(deadline day or None, the wording to show) from a cell: a date, a day, a month, a quarter, a year, or none."""
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    text = " ".join(str(value if value is not None else "").split())
    key = fold(text)
    if key in NO_DEADLINE:
        return None, text or None
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", key.replace(" ", ""))
    if m:
        return _day(int(m[3]), int(m[2]), int(m[1]), text), text
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if m:
        return _day(int(m[1]), int(m[2]), int(m[3]), text), text
    m = re.fullmatch(r"(?:thang )?(\d{1,2})(?:/| nam )(\d{4})", key)
    if m and 1 <= int(m[1]) <= 12:
        year, month = int(m[2]), int(m[1])
        return dt.date(year, month, _calendar.monthrange(year, month)[1]), text
    m = re.fullmatch(r"quy (i{1,3}|iv|[1-4])(?:/| nam )(\d{4})", key)
    if m:
        year, month = int(m[2]), QUARTERS[m[1]] * 3
        return dt.date(year, month, _calendar.monthrange(year, month)[1]), text
    m = re.fullmatch(r"(?:nam )?(\d{4})", key)
    if m and 2000 <= int(m[1]) <= 2100:
        return dt.date(int(m[1]), 12, 31), text
    raise TaskError("deadline", f"không đọc được thời hạn {text[:60]!r} (ví dụ: 31/12/2026, Tháng 12/2026, Quý IV/2026, Thường xuyên)")


def _day(year: int, month: int, day: int, text: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise TaskError("deadline", f"ngày không có thật: {text[:40]!r}") from None


def parse_progress(value: Any, percent_format: bool = False) -> Tuple[Optional[int], Optional[str]]:
    """(percent 0..100 or None, a note) from a cell: 45, "45%", 0.45 in an Excel percent cell, or words (a note)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, bool):
        raise TaskError("progress", "phải là phần trăm 0–100")
    if isinstance(value, (int, float)):
        number = float(value) * (100 if percent_format else 1)
    else:
        text = " ".join(str(value).split())
        m = re.fullmatch(r"(\d{1,3}(?:[.,]\d+)?)\s*%?", text)
        if not m:
            return None, text[:500]
        number = float(m[1].replace(",", "."))
    if not 0 <= number <= 100:
        raise TaskError("progress", f"phần trăm phải từ 0 đến 100, không phải {value!r}")
    return int(round(number)), None


def parse_status(value: Any) -> Optional[str]:
    """Our status from the sheet's words (None when empty)."""
    key = fold(value)
    if not key:
        return None
    if key.replace(" ", "_") in STATUSES:
        return key.replace(" ", "_")
    if key.startswith("chua"):          # chưa thực hiện / chưa triển khai / chưa hoàn thành
        return "in_progress" if "hoan thanh" in key else "not_started"
    if "hoan thanh" in key or key in ("xong", "da xong"):
        return "done"
    if key.startswith("dang") or "qua han" in key or key in ("tiep tuc", "tam dung"):
        return "in_progress"
    raise TaskError("status", f"trạng thái không nhận ra: {str(value).strip()[:60]!r} (Chưa thực hiện, Đang thực hiện, Đã hoàn thành)")


def parse_partners(value: Any) -> List[str]:
    """Unit names split on commas, semicolons and new lines (a YAML list as it is)."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else re.split(r"[;,\n]+", str(value))
    return [" ".join(str(i).split()) for i in items if str(i or "").strip()]


def _updated(value: Any) -> Optional[str]:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return iso(value if value.tzinfo else value.replace(tzinfo=VN_TZ))
    if isinstance(value, dt.date):
        return iso(dt.datetime.combine(value, dt.time(0, 0), tzinfo=VN_TZ))
    text = str(value).strip()
    for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%d"):
        try:
            return iso(dt.datetime.strptime(text, fmt).replace(tzinfo=VN_TZ))
        except ValueError:
            continue
    raise TaskError("updated_at", f"ngày cập nhật không đọc được: {text[:40]!r}")


def task_row(cells: Dict[str, Any], percent_format: bool = False) -> Dict[str, Any]:
    """One sheet or YAML row (column -> value) as the stored fields; raises :class:`TaskError` naming the field."""
    title = " ".join(str(cells.get("title") or "").split())
    if not title:
        raise TaskError("title", "thiếu nội dung nhiệm vụ")
    if len(title) > MAX_TITLE:
        raise TaskError("title", f"nội dung quá dài (tối đa {MAX_TITLE} ký tự)")
    lead = " ".join(str(cells.get("lead_unit") or "").split())
    if not lead:
        raise TaskError("lead_unit", "thiếu đơn vị chủ trì")
    deadline, deadline_text = parse_deadline(cells.get("deadline"))
    progress, note = parse_progress(cells.get("progress"), percent_format)
    status = parse_status(cells.get("status"))
    if status is None:
        status = "done" if progress == 100 else "in_progress" if progress else "not_started"
    if status == "done" and progress is None:
        progress = 100
    extra = " ".join(str(cells.get("note") or "").split())
    key_cell = cells.get("key")
    key_text = str(int(key_cell)) if isinstance(key_cell, float) and key_cell.is_integer() else str(key_cell or "").strip()
    return {
        "key": ("ma:" + fold(key_text)) if key_text else fold(title),
        "title": title, "lead_unit": lead[:300], "partners": json.dumps(parse_partners(cells.get("partners")), ensure_ascii=False),
        "deadline": deadline.isoformat() if deadline else None, "deadline_text": deadline_text,
        "progress": progress, "progress_note": "; ".join(p for p in (note, extra[:500]) if p) or None, "status": status,
        "updated_at": _updated(cells.get("updated_at")),
    }


COMPARED = ("title", "lead_unit", "partners", "deadline", "deadline_text", "progress", "progress_note", "status")


# reading files ------------------------------------------------------------------------------------------------------
def _yaml_rows(path: Path) -> List[Tuple[int, Dict[str, Any], bool]]:
    try:
        data = yamltext.load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise TaskImportError(f"{path.name}: tệp YAML không đọc được ({str(error).splitlines()[0][:120]}).") from None
    if isinstance(data, dict):
        data = data.get("tasks") or data.get("nhiem_vu") or data.get("nhiệm vụ")
    if not isinstance(data, list):
        raise TaskImportError(f"{path.name}: cần một danh sách nhiệm vụ (khóa 'tasks:' với mỗi mục một nhiệm vụ).")
    rows = []
    for number, item in enumerate(data, 1):
        if not isinstance(item, dict):
            raise TaskImportError(f"{path.name}: mục {number} không phải một nhiệm vụ (cần các khóa task, lead_unit, ...).",
                                  [(number, "không phải một nhiệm vụ")])
        rows.append((number, {_HEADER_INDEX.get(fold(k), fold(k)): v for k, v in item.items()}, False))
    return rows


def _xlsx_rows(path: Path) -> List[Tuple[int, Dict[str, Any], bool]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises several kinds for a damaged or foreign file
        raise TaskImportError(f"{path.name}: không mở được tệp Excel ({type(error).__name__}).") from None
    try:
        for sheet in book.worksheets:
            rows = []
            header: Optional[Dict[int, str]] = None
            for number, cells in enumerate(sheet.iter_rows(), 1):
                if number > MAX_ROWS + HEADER_SEARCH_ROWS:
                    raise TaskImportError(f"{path.name}: quá {MAX_ROWS} dòng.")
                cells = list(cells)
                values = [getattr(c, "value", None) for c in cells]
                if header is None:
                    found = {i: _HEADER_INDEX[fold(v)] for i, v in enumerate(values) if isinstance(v, str) and fold(v) in _HEADER_INDEX}
                    if {"title", "lead_unit"} <= set(found.values()):
                        header = found
                    elif number >= HEADER_SEARCH_ROWS:
                        break
                    continue
                if not any(str(v or "").strip() for v in values):
                    continue
                row = {column: values[i] for i, column in header.items() if i < len(values)}
                progress_cell = next((cells[i] for i, c in header.items() if c == "progress" and i < len(cells)), None)
                percent = "%" in str(getattr(progress_cell, "number_format", "") or "")
                rows.append((number, row, percent))
            if header is not None:
                return rows
    finally:
        book.close()
    raise TaskImportError(f"{path.name}: không thấy dòng tiêu đề có cột \"Nhiệm vụ\" và \"Đơn vị chủ trì\" "
                          f"trong {HEADER_SEARCH_ROWS} dòng đầu.")


def read_file(path: Path) -> List[Tuple[int, Dict[str, Any], bool]]:
    """(row number, column -> value, progress cell is an Excel percent) for every task row of a YAML or XLSX file."""
    path = Path(path)
    if not path.is_file():
        raise TaskImportError(f"Không thấy tệp {path}.")
    suffix = path.suffix.lower()
    if suffix in (".yml", ".yaml"):
        rows = _yaml_rows(path)
    elif suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path)
    else:
        raise TaskImportError(f"{path.name}: chỉ nhận tệp .xlsx hoặc .yml (Excel 97-2003 .xls: lưu lại dạng .xlsx).")
    if len(rows) > MAX_ROWS:
        raise TaskImportError(f"{path.name}: quá {MAX_ROWS} nhiệm vụ.")
    return rows


# the register ---------------------------------------------------------------------------------------------------------
FIELD_NAMES = {"title": "Nhiệm vụ", "lead_unit": "Đơn vị chủ trì", "partners": "Đơn vị phối hợp", "deadline": "Thời hạn",
               "progress": "Tiến độ", "status": "Trạng thái", "updated_at": "Ngày cập nhật", "key": "Mã nhiệm vụ"}


@dataclass
class ImportResult:
    """What an import did."""

    file: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def summary(self) -> str:
        return (f"{self.file}: {self.rows} nhiệm vụ – {self.inserted} mới, {self.updated} cập nhật, "
                f"{self.unchanged} không đổi.")


@dataclass
class TaskSummary:
    """What leaders quote: done of all, time-bound done of time-bound, overdue by lead unit."""

    today: dt.date
    total: int = 0
    done: int = 0
    time_bound: int = 0
    time_bound_done: int = 0
    overdue_by_unit: Dict[str, int] = field(default_factory=dict)

    @property
    def overdue(self) -> int:
        return sum(self.overdue_by_unit.values())

    def as_dict(self) -> Dict[str, Any]:
        return {"today": self.today.isoformat(), "total": self.total, "done": self.done, "time_bound": self.time_bound,
                "time_bound_done": self.time_bound_done, "overdue": self.overdue, "overdue_by_unit": dict(self.overdue_by_unit)}


class Tasks:
    """The ``tasks`` and ``task_updates`` tables over a sqlite-utils database (the store's)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    # reading
    def get(self, task_id: int) -> Optional[Task]:
        rows = list(self.db.query("select * from tasks where id = ?", [int(task_id)]))
        return _task(rows[0]) if rows else None

    def all(self) -> List[Task]:
        """Every task, the nearest deadline first (no deadline last)."""
        return [_task(r) for r in self.db.query("select * from tasks order by deadline is null, deadline, id")]

    def list(self, unit: Optional[str] = None, overdue_on: Optional[dt.date] = None) -> List[Tuple[Task, str]]:
        """(task, "chủ trì" | "phối hợp") for the tasks ``unit`` leads or partners (every task without ``unit``),
        only the overdue ones on ``overdue_on`` when given. Units compare without case or accents."""
        wanted = fold(unit) if unit else None
        out = []
        for task in self.all():
            if overdue_on is not None and not task.overdue(overdue_on):
                continue
            if wanted is None or fold(task.lead_unit) == wanted:
                out.append((task, "chủ trì"))
            elif any(fold(p) == wanted for p in task.partners):
                out.append((task, "phối hợp"))
        return out

    def summary(self, today: dt.date) -> TaskSummary:
        """Done of all, time-bound done of time-bound, overdue by lead unit (most first), in one grouped query."""
        s = TaskSummary(today)
        rows = self.db.execute(
            "select lead_unit, count(*), sum(status = 'done'), sum(deadline is not null),"
            " sum(deadline is not null and status = 'done'), sum(deadline < ? and status != 'done')"
            " from tasks group by lead_unit", [today.isoformat()]).fetchall()
        overdue = []
        for unit, total, done, bound, bound_done, late in rows:
            s.total += total
            s.done += done or 0
            s.time_bound += bound or 0
            s.time_bound_done += bound_done or 0
            if late:
                overdue.append((unit, late))
        s.overdue_by_unit = dict(sorted(overdue, key=lambda kv: (-kv[1], kv[0])))
        return s

    def open_with_deadline(self, until: dt.date) -> List[Task]:
        """Tasks not done whose deadline is on or before ``until`` (the open-deadline partial index)."""
        rows = self.db.query("select * from tasks where status != 'done' and deadline <= ? order by deadline, id",
                             [until.isoformat()])
        return [_task(r) for r in rows]

    # writing
    def import_file(self, path: Path, now: Optional[dt.datetime] = None) -> ImportResult:
        """Load a YAML or XLSX register: every row or, when one is bad, nothing (:class:`TaskImportError` names
        each bad row by number). A task already known with the same values is left alone."""
        path = Path(path)
        rows = read_file(path)
        prepared: List[Tuple[int, Dict[str, Any]]] = []
        errors: List[Tuple[int, str]] = []
        seen: Dict[str, int] = {}
        for number, cells, percent in rows:
            try:
                row = task_row(cells, percent)
            except TaskError as error:
                errors.append((number, f"{FIELD_NAMES.get(error.field, error.field)}: {error.problem}"))
                continue
            if row["key"] in seen:
                errors.append((number, f"trùng nhiệm vụ ở dòng {seen[row['key']]}"))
                continue
            seen[row["key"]] = number
            prepared.append((number, row))
        if errors:
            label = "Mục" if path.suffix.lower() in (".yml", ".yaml") else "Dòng"
            lines = "\n".join(f"  {label} {n}: {why}" for n, why in errors[:50])
            more = f"\n  … và {len(errors) - 50} dòng lỗi khác" if len(errors) > 50 else ""
            raise TaskImportError(f"{path.name}: {len(errors)} dòng lỗi, chưa nhập nhiệm vụ nào:\n{lines}{more}", errors)
        stamp = iso(now or dt.datetime.now(VN_TZ))
        result = ImportResult(path.name, rows=len(prepared))
        source = f"import:{path.name}"
        conn = self.db.conn
        with transaction(conn):
            for _, row in prepared:
                old = conn.execute(f"select id, {', '.join(COMPARED)} from tasks where key = ?", [row["key"]]).fetchone()
                at = row["updated_at"] or stamp
                if old is None:
                    task_id = conn.execute(
                        "insert into tasks (key, title, lead_unit, partners, deadline, deadline_text, progress, progress_note,"
                        " status, updated_at, created_at, source) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [row["key"], *[row[c] for c in COMPARED], at, stamp, source]).lastrowid
                    result.inserted += 1
                elif tuple(old[1:]) == tuple(row[c] for c in COMPARED):
                    result.unchanged += 1
                    continue
                else:
                    task_id = old[0]
                    conn.execute("update tasks set " + ", ".join(f"{c} = ?" for c in COMPARED) + ", updated_at = ?, source = ?"
                                 " where id = ?", [*[row[c] for c in COMPARED], at, source, task_id])
                    result.updated += 1
                conn.execute("insert into task_updates (task_id, at, progress, status, note, source) values (?, ?, ?, ?, ?, ?)",
                             [task_id, at, row["progress"], row["status"], row["progress_note"], source])
        return result

    def update_progress(self, task_id: int, department: Optional[str], *, progress: Optional[int] = None,
                        note: Optional[str] = None, status: Optional[str] = None, user_id: Optional[int] = None,
                        now: Optional[dt.datetime] = None) -> Task:
        """An official of the lead unit (``department``: the official's, from the roles check) records progress.

        Raises :class:`TaskPermissionError` for anyone else, :class:`TaskError` for a bad value, LookupError for an
        unknown task. 100 % makes the task done; done makes it 100 %; less than 100 % reopens a done task."""
        task = self.get(task_id)
        if task is None:
            raise LookupError(f"Không có nhiệm vụ số {task_id}.")
        if not department or fold(department) != fold(task.lead_unit):
            raise TaskPermissionError(f"Chỉ cán bộ của đơn vị chủ trì ({task.lead_unit}) được cập nhật tiến độ nhiệm vụ này.")
        if progress is None and note is None and status is None:
            raise TaskError("progress", "cần tiến độ, trạng thái hoặc ghi chú")
        if progress is not None:
            progress, _ = parse_progress(progress)
        if status is not None:
            status = parse_status(status)
        new_progress = progress if progress is not None else task.progress
        new_status = status or task.status
        if progress is not None and status is None:
            new_status = "done" if progress == 100 else ("in_progress" if progress > 0 or task.status == "done" else task.status)
        if new_status == "done":
            new_progress = 100
        new_note = " ".join(str(note).split())[:500] if note is not None else task.progress_note
        stamp = iso(now or dt.datetime.now(VN_TZ))
        with transaction(self.db.conn) as conn:
            conn.execute("update tasks set progress = ?, status = ?, progress_note = ?, updated_at = ?, source = 'update' where id = ?",
                         [new_progress, new_status, new_note, stamp, task.id])
            conn.execute("insert into task_updates (task_id, at, by_unit, by_user, progress, status, note, source)"
                         " values (?, ?, ?, ?, ?, ?, ?, 'update')", [task.id, stamp, department, user_id, new_progress, new_status, note])
        return self.get(task.id)

    def history(self, task_id: int) -> List[Dict[str, Any]]:
        """The task's updates, oldest first."""
        return list(self.db.query("select * from task_updates where task_id = ? order by id", [int(task_id)]))


def parse_update_command(text: str) -> Tuple[int, Optional[int], Optional[str]]:
    """``"12 80% Đã trình dự thảo"`` (what follows /nhiemvu) -> (task id, progress or None, note or None); a
    :class:`TaskError` with a Vietnamese message otherwise. "xong"/"hoàn thành" as progress means 100 %."""
    m = re.fullmatch(r"\s*(\d{1,9})(?:\s+(\d{1,3}(?:[.,]\d+)?\s*%?|xong|hoàn thành|hoan thanh))?(?:\s+(.+))?\s*", text or "",
                     re.IGNORECASE | re.DOTALL)
    if not m:
        raise TaskError("progress", "cú pháp: /nhiemvu <số nhiệm vụ> <tiến độ %> <ghi chú>, ví dụ /nhiemvu 12 80% Đã trình dự thảo")
    progress = None
    if m[2]:
        progress = 100 if fold(m[2]) in ("xong", "hoan thanh") else parse_progress(m[2])[0]
    note = " ".join(m[3].split())[:500] if m[3] else None
    if progress is None and note is None:
        raise TaskError("progress", "cần tiến độ (ví dụ 80%) hoặc ghi chú")
    return int(m[1]), progress, note


# deadline warnings ------------------------------------------------------------------------------------------------------
def warning_stage(deadline: dt.date, today: dt.date) -> Optional[str]:
    """The warning due on ``today`` for ``deadline``: ``"7d"``, ``"3d"``, ``"1d"`` (the tightest of 7, 3, 1 days that
    the days left are within; the deadline day itself counts as 1d) or ``"missed"``; None more than 7 days ahead.
    A stage skipped while nothing ran (a downtime) is not sent late: only the current one is."""
    left = (deadline - today).days
    if left < 0:
        return "missed"
    for days in sorted(WARN_DAYS):
        if left <= days:
            return f"{days}d"
    return None


def due_warnings(tasks: Tasks, today: dt.date) -> List[Tuple[Task, str]]:
    """(task, stage) for every open task with a warning due on ``today``."""
    out = []
    for task in tasks.open_with_deadline(today + dt.timedelta(days=max(WARN_DAYS))):
        stage = warning_stage(task.deadline, today)
        if stage:
            out.append((task, stage))
    return out


def warning_event(task: Task, stage: str) -> str:
    """The outbox event of a warning: ``task:<id>:<stage>:<deadline>`` (a new deadline warns again)."""
    return f"task:{task.id}:{stage}:{task.deadline.isoformat()}"


# how people read it -----------------------------------------------------------------------------------------------------
WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


def _deadline_text(task: Task) -> str:
    if task.deadline is None:
        return task.deadline_text or "không có thời hạn"
    shown = f"{task.deadline:%d/%m/%Y}"
    return f"{shown} ({task.deadline_text})" if task.deadline_text and task.deadline_text != shown else shown


def _progress_text(task: Task) -> str:
    parts = [f"{task.progress}%"] if task.progress is not None else []
    if task.progress_note:
        parts.append(task.progress_note)
    return " – ".join(parts) or "chưa cập nhật"


def warning_text(task: Task, stage: str, today: dt.date) -> str:
    """The lead unit's warning for ``task`` at ``stage``."""
    left = (task.deadline - today).days
    if stage == "missed":
        head = f"⚠️ Nhiệm vụ đã quá hạn {-left} ngày"
    elif left == 0:
        head = "⏰ Nhiệm vụ đến hạn hôm nay"
    else:
        head = f"⏰ Nhiệm vụ còn {left} ngày đến hạn"
    lines = [head, f"• {task.title[:300]}", f"• Thời hạn: {WEEKDAYS[task.deadline.weekday()]} {_deadline_text(task)}",
             f"• Tiến độ: {_progress_text(task)} ({STATUS_NAMES[task.status]})"]
    if task.partners:
        lines.append("• Phối hợp: " + ", ".join(task.partners)[:200])
    lines.append(f"Cập nhật tiến độ: /nhiemvu {task.id}")
    return "\n".join(lines)


def summary_text(summary: TaskSummary) -> str:
    """The lines leaders quote."""
    lines = [f"📌 Nhiệm vụ NQ 57 (đến {summary.today:%d/%m/%Y})",
             f"• Hoàn thành: {summary.done}/{summary.total} nhiệm vụ",
             f"• Có thời hạn: hoàn thành {summary.time_bound_done}/{summary.time_bound}"]
    if summary.overdue:
        units = ", ".join(f"{unit}: {n}" for unit, n in summary.overdue_by_unit.items())
        lines.append(f"• Quá hạn: {summary.overdue} – {units}")
    else:
        lines.append("• Không có nhiệm vụ quá hạn.")
    return "\n".join(lines)


def list_text(items: Iterable[Tuple[Task, str]], today: dt.date) -> str:
    """One short block per task, for the command line and the chat."""
    blocks = []
    for task, role in items:
        flag = " ⚠️ quá hạn" if task.overdue(today) else ""
        blocks.append(f"[{task.id}] {task.title[:200]}" + (" (đơn vị phối hợp)" if role == "phối hợp" else "")
                      + f"\n   Chủ trì: {task.lead_unit}"
                      + (f"; phối hợp: {', '.join(task.partners)}" if task.partners else "")
                      + f"\n   Thời hạn: {_deadline_text(task)}{flag}\n   Tiến độ: {_progress_text(task)} ({STATUS_NAMES[task.status]})")
    return "\n".join(blocks) if blocks else "Không có nhiệm vụ nào."
