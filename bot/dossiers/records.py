"""Dossiers (hồ sơ) of the ward: their schema, statuses, history, lookup and the lookup's verification tries.

Other modules reach this through ``store.dossiers`` (a :class:`Dossiers` over the store's database):

    store.dossiers.upsert(rows, source, now=None, also=()) -> UpsertCounts(inserted, updated, unchanged, status_changes)
    store.dossiers.get(code) -> dict | None                   # case-insensitive code
    store.dossiers.overdue(now, limit=None) -> list[dict]     # open and due_at < now, oldest due first
    store.dossiers.overdue_count(now) -> int
    store.dossiers.due_between(start, end) -> list[dict]      # open and start <= due_at < end, by due_at
    store.dossiers.history_since(after_id, limit=1000) -> list[dict]   # dossier_history rows with id > after_id
    store.dossiers.failed_attempts(code, now) / record_failed_attempt(code, now) -> int   # lookup verification
    is_overdue(dossier, now) -> bool;  OPEN_STATUSES, STATUSES, CLOSED_STATUSES

``now``/``start``/``end`` are timezone-aware datetimes (naive ones are refused). Every stored datetime is ISO
``YYYY-MM-DDTHH:MM:SS+07:00`` (Asia/Ho_Chi_Minh), so comparing the text compares the moments.

Table ``dossiers`` (one row per dossier, ``code`` is the opaque code printed on the receipt):
    code, procedure_code, procedure_id (catalogue id or null), procedure_name, applicant_name, applicant_phone,
    applicant_id_number (personal data: shown only after verification), received_at, due_at, finished_at,
    status (one of ``STATUSES``), additions_note (what is missing), department, handler,
    submission_channel (online|in_person|post), paid_online (0/1), result_digitised (0/1), updated_at,
    source (platform | import:<file> | demo); since schema 3: field (lĩnh vực; the catalogue's when the row has
    none), online_level (full|partial, for online dossiers when known), dossier_digitised (0/1),
    supplement_requests (how many times the applicant was asked to supplement). The columns are bot.db's.
    Overdue is derived, never stored: an open status and ``due_at < now``. The partial index
    ``dossiers_open_due`` (due_at, where status is open) serves the overdue scan and ``due_between``.

Table ``dossier_history`` (id INTEGER PRIMARY KEY AUTOINCREMENT, code, status, at, note, source): one row when a
dossier is created (note "Tạo hồ sơ") and one whenever its status changes (note empty: no personal data, so a
notifier may quote it to anyone subscribed to the code); nothing when an upsert changes nothing. ``at`` is the
platform's modification time when it gave one, else the time of the upsert. The notifier keeps its own cursor
(the last id it handled) and reads ``history_since(cursor)``. Subscriptions name a dossier as topic
``dossier:<code>`` with the code as the citizen typed it: compare codes case-insensitively.

Table ``dossier_lookup_failures`` (code, day, failures): wrong last-four-digit tries per dossier per Vietnamese
calendar day, so a restart or another channel does not reset the limit.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

import sqlite_utils

from bot.catalogue.repository import Catalogue
from bot.db import DOSSIER_COLUMNS, OPEN_SQL, OPEN_STATUSES, REPORT_COLUMNS, transaction
from bot.privacy import names_changed
from bot.timeutil import VN_TZ, iso
from bot.workdays import WorkCalendar, default_calendar

STATUSES = (
    "new", "received", "not_received", "in_progress", "additions_requested",
    "financial_obligation", "withdrawn", "stopped", "done", "returned",
)
CLOSED_STATUSES = tuple(s for s in STATUSES if s not in OPEN_STATUSES)
CHANNELS = ("online", "in_person", "post")
ONLINE_LEVELS = ("full", "partial")
SOURCE = re.compile(r"^(platform|demo|import:.+)$")
MAX_FAILED_ATTEMPTS = 5

TIME_COLUMNS = ("received_at", "due_at", "finished_at", "updated_at")
FLAG_COLUMNS = ("paid_online", "result_digitised", "dossier_digitised")
COUNT_COLUMNS = ("supplement_requests",)
ALL_COLUMNS = {**DOSSIER_COLUMNS, **REPORT_COLUMNS}  # the table's columns, in order (bot.db owns them)
TEXT_COLUMNS = tuple(c for c in ALL_COLUMNS
                     if c not in TIME_COLUMNS + FLAG_COLUMNS + COUNT_COLUMNS + ("code", "status", "source"))
COLUMNS: Dict[str, type] = {c: int if c in FLAG_COLUMNS + COUNT_COLUMNS else str for c in ALL_COLUMNS}
# Compared to tell "changed" from "unchanged"; updated_at and source alone never make a change.
COMPARED = tuple(c for c in COLUMNS if c not in ("code", "updated_at", "source"))


class DossierError(ValueError):
    """A dossier row holds a value of the wrong shape; ``field`` names the column."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class UpsertCounts(NamedTuple):
    """What one :meth:`Dossiers.upsert` did."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    status_changes: int = 0



def parse_moment(value: Any, field: str, calendar: Optional[WorkCalendar] = None) -> Optional[str]:
    """A stored datetime from a datetime, a date or an ISO text; naive values are Vietnam local time.

    A date alone means the start of that day, except for ``due_at``, where it means the end of office
    hours that day (how a "hẹn trả ngày 21/11" reads)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if len(text) > 10 else dt.date.fromisoformat(text)
        except ValueError:
            raise DossierError(field, f"không phải ngày giờ hợp lệ: {text!r}") from None
    if isinstance(value, dt.datetime):
        return iso(value if value.tzinfo else value.replace(tzinfo=VN_TZ))
    if isinstance(value, dt.date):
        closing = (calendar or default_calendar()).office_hours.closing if field == "due_at" else dt.time(0, 0)
        return iso(dt.datetime.combine(value, closing, tzinfo=VN_TZ))
    raise DossierError(field, f"không phải ngày giờ: {value!r}")


def _flag(value: Any, field: str) -> Optional[int]:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or value in (0, 1):
        return int(value)
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "có", "x", "đã"):
        return 1
    if text in ("0", "false", "no", "không", "chưa"):
        return 0
    raise DossierError(field, f"phải là có/không (1/0), không phải {value!r}")


def _count(value: Any, field: str) -> Optional[int]:
    if value is None or value == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise DossierError(field, f"phải là một số, không phải {value!r}") from None
    if number < 0:
        raise DossierError(field, f"không được âm: {value!r}")
    return number


def normalise(row: Dict[str, Any], calendar: Optional[WorkCalendar] = None) -> Dict[str, Any]:
    """Check one input row and return it in stored form (only the keys it had, plus ``code``).

    Raises :class:`DossierError` naming the first bad field."""
    code = str(row.get("code") or "").strip()
    if not code:
        raise DossierError("code", "thiếu mã hồ sơ")
    if len(code) > 80:
        raise DossierError("code", "mã hồ sơ quá dài")
    out: Dict[str, Any] = {"code": code}
    for key, value in row.items():
        if key == "code":
            continue
        if key not in COLUMNS:
            raise DossierError(key, "cột không có trong bảng hồ sơ")
        if key in TIME_COLUMNS:
            out[key] = parse_moment(value, key, calendar)
        elif key in FLAG_COLUMNS:
            out[key] = _flag(value, key)
        elif key in COUNT_COLUMNS:
            out[key] = _count(value, key)
        elif key == "status":
            status = str(value or "").strip()
            if status not in STATUSES:
                raise DossierError("status", f"trạng thái không hợp lệ: {value!r}")
            out[key] = status
        elif key == "source":
            continue
        else:
            text = None if value is None else str(value).strip() or None
            if key == "submission_channel" and text is not None and text not in CHANNELS:
                raise DossierError(key, f"phải là online, in_person hoặc post, không phải {value!r}")
            if key == "online_level" and text is not None and text not in ONLINE_LEVELS:
                raise DossierError(key, f"phải là full hoặc partial, không phải {value!r}")
            out[key] = text
    if "status" not in out:
        raise DossierError("status", "thiếu trạng thái")
    return out


def is_overdue(dossier: Dict[str, Any], now: dt.datetime) -> bool:
    """True when the dossier is still open and its due time has passed."""
    due = dossier.get("due_at")
    return bool(due) and dossier.get("status") in OPEN_STATUSES and due < iso(now)


def digits(text: Optional[str]) -> str:
    """Only the digits of ``text`` (a phone "0912 345 678" -> "0912345678")."""
    return "".join(ch for ch in (text or "") if ch.isdigit())


class Dossiers:
    """The dossier tables over a sqlite-utils database (the store's)."""

    def __init__(self, db: sqlite_utils.Database, catalogue: Catalogue,
                 calendar: Callable[[], WorkCalendar] = default_calendar) -> None:
        self.db = db
        self.catalogue = catalogue
        self._calendar = calendar

    # reading -------------------------------------------------------------------------------------
    def get(self, code: str) -> Optional[Dict[str, Any]]:
        """The dossier with ``code`` (compared case-insensitively, spaces around ignored), or None."""
        code = (code or "").strip()
        if not code:
            return None
        rows = list(self.db.query("select * from dossiers where code = ?", [code]))
        if not rows:
            rows = list(self.db.query("select * from dossiers where upper(code) = upper(?) limit 1", [code]))
        return rows[0] if rows else None

    def count(self) -> int:
        """How many dossiers there are."""
        return self.db["dossiers"].count

    def overdue(self, now: dt.datetime, limit: Optional[int] = None) -> List[Dict[str, Any]]:
        """Open dossiers whose due time is before ``now``, the longest overdue first."""
        sql = f"select * from dossiers where {OPEN_SQL} and due_at < ? order by due_at"
        params: List[Any] = [iso(now)]
        if limit is not None:
            sql += " limit ?"
            params.append(int(limit))
        return list(self.db.query(sql, params))

    def overdue_count(self, now: dt.datetime) -> int:
        """How many open dossiers are past their due time."""
        return self.db.execute(f"select count(*) from dossiers where {OPEN_SQL} and due_at < ?", [iso(now)]).fetchone()[0]

    def due_between(self, start: dt.datetime, end: dt.datetime) -> List[Dict[str, Any]]:
        """Open dossiers due in ``[start, end)``, soonest first (e.g. "due tomorrow" reminders)."""
        sql = f"select * from dossiers where {OPEN_SQL} and due_at >= ? and due_at < ? order by due_at"
        return list(self.db.query(sql, [iso(start), iso(end)]))

    def latest_history_id(self) -> int:
        """The newest ``dossier_history`` id (0 when there is none): where a new notifier cursor starts."""
        return self.db.execute("select coalesce(max(id), 0) from dossier_history").fetchone()[0]

    def history_since(self, after_id: int, limit: int = 1000) -> List[Dict[str, Any]]:
        """History rows with ``id > after_id`` in id order (the notifier's cursor)."""
        return list(self.db.query("select * from dossier_history where id > ? order by id limit ?", [int(after_id), int(limit)]))

    # writing -------------------------------------------------------------------------------------
    def upsert(
        self, rows: Iterable[Dict[str, Any]], source: str, now: Optional[dt.datetime] = None, also: Sequence[Tuple[str, Sequence[Any]]] = ()
    ) -> UpsertCounts:
        """Insert new dossiers and update known ones by code, in one transaction; idempotent.

        Keys a row lacks keep their stored value. A missing ``due_at`` is computed from the catalogue's
        processing time and the working-day calendar. History gets a row for each creation and each
        status change, nothing else. ``also``: SQL statements committed in the same transaction (a sync
        cursor), so a crash leaves either both or neither."""
        if not SOURCE.match(source or ""):
            raise ValueError(f"source must be platform, demo or import:<file>, got {source!r}")
        stamp = iso(now or dt.datetime.now(VN_TZ))
        calendar = self._calendar()
        prepared = [normalise(r, calendar) for r in rows]
        merged: Dict[str, Dict[str, Any]] = {}
        for row in prepared:  # the same code twice in one batch: the later row wins, like two upserts
            merged[row["code"]] = {**merged.get(row["code"], {}), **row}
        catalogue = _Catalogue(self.catalogue)
        inserted = updated = unchanged = changes = 0
        conn = self.db.conn  # raw connection: sqlite-utils' execute/insert/update commit each statement on their own
        with transaction(conn):  # one transaction, and the write lock before reading what exists
            existing = self._existing(list(merged))
            for code, row in merged.items():
                old = existing.get(code)
                catalogue.complete(row, old, calendar)
                if old is None:
                    new = {c: row.get(c) for c in COLUMNS}
                    new["updated_at"] = row.get("updated_at") or stamp
                    new["source"] = source
                    conn.execute(self._insert_sql, [new[c] for c in COLUMNS])
                    self._history(code, new["status"], new["updated_at"], "Tạo hồ sơ", source)
                    inserted += 1
                    continue
                new = {**old, **{k: v for k, v in row.items() if k in COLUMNS}}
                if all(new.get(c) == old.get(c) for c in COMPARED):
                    unchanged += 1
                    continue
                new["updated_at"] = row.get("updated_at") or stamp
                new["source"] = source
                conn.execute(self._update_sql, [new.get(c) for c in COLUMNS if c != "code"] + [code])
                updated += 1
                if new["status"] != old["status"]:
                    self._history(code, new["status"], new["updated_at"], None, source)
                    changes += 1
            for sql, params in also:
                conn.execute(sql, list(params))
        if inserted or updated:
            names_changed()  # applicants' names: the log masker reads them again
        return UpsertCounts(inserted, updated, unchanged, changes)

    _insert_sql = f"insert into dossiers ({', '.join(COLUMNS)}) values ({', '.join('?' for _ in COLUMNS)})"
    _update_sql = "update dossiers set " + ", ".join(f"{c} = ?" for c in COLUMNS if c != "code") + " where code = ?"

    def _existing(self, codes: List[str]) -> Dict[str, Dict[str, Any]]:
        found: Dict[str, Dict[str, Any]] = {}
        for i in range(0, len(codes), 500):
            chunk = codes[i:i + 500]
            marks = ", ".join("?" for _ in chunk)
            cursor = self.db.conn.execute(f"select * from dossiers where code in ({marks})", chunk)
            names = [d[0] for d in cursor.description]
            for values in cursor:
                row = dict(zip(names, values))
                found[row["code"]] = row
        return found

    def _history(self, code: str, status: str, at: str, note: Optional[str], source: str) -> None:
        self.db.conn.execute(
            "insert into dossier_history (code, status, at, note, source) values (?, ?, ?, ?, ?)", [code, status, at, note, source]
        )

    # verification of the lookup ------------------------------------------------------------------
    def failed_attempts(self, code: str, now: dt.datetime) -> int:
        """Wrong last-four-digit tries for ``code`` on ``now``'s day (Vietnam time)."""
        rows = list(self.db.query(
            "select failures from dossier_lookup_failures where code = ? and day = ?", [code, _day(now)]
        ))
        return rows[0]["failures"] if rows else 0

    def record_failed_attempt(self, code: str, now: dt.datetime) -> int:
        """Count one wrong try for ``code`` today; returns today's count so far."""
        with transaction(self.db.conn):
            self.db.execute(
                "insert into dossier_lookup_failures (code, day, failures, last_at) values (?, ?, 1, ?) "
                "on conflict (code, day) do update set failures = failures + 1, last_at = excluded.last_at",
                [code, _day(now), iso(now)],
            )
        return self.failed_attempts(code, now)

    def attempts_left(self, code: str, now: dt.datetime) -> int:
        """How many wrong tries remain today before the lookup is locked."""
        return max(0, MAX_FAILED_ATTEMPTS - self.failed_attempts(code, now))


def verifiable(dossier: Dict[str, Any]) -> bool:
    """True when the dossier holds a phone or ID number to check the last four digits against."""
    return len(digits(dossier.get("applicant_phone"))) >= 4 or len(digits(dossier.get("applicant_id_number"))) >= 4


def last_four_match(dossier: Dict[str, Any], answer: str) -> bool:
    """True when ``answer`` is the last four digits of the applicant's phone or ID number."""
    given = digits(answer)
    if len(given) != 4:
        return False
    ok = False
    for field in ("applicant_phone", "applicant_id_number"):
        stored = digits(dossier.get(field))
        if len(stored) >= 4:
            ok |= hmac.compare_digest(stored[-4:], given)
    return ok


def _day(now: dt.datetime) -> str:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(VN_TZ).date().isoformat()


class _Catalogue:
    """What upsert needs of the procedure catalogue: id by code, names, processing time."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.by_id: Dict[str, Dict[str, Any]] = {}
        self.by_code: Dict[str, str] = {}
        for entry in catalogue.processing_facts():
            self.by_id[entry["id"]] = entry
            if entry["code"]:
                self.by_code[str(entry["code"]).strip()] = entry["id"]

    def complete(self, row: Dict[str, Any], old: Optional[Dict[str, Any]], calendar: WorkCalendar) -> None:
        """Fill procedure_id/code/name/field from the catalogue and a missing due_at from its processing time."""
        merged = {**(old or {}), **row}
        pid = merged.get("procedure_id")
        if pid and pid not in self.by_id:
            raise DossierError("procedure_id", f"không có thủ tục {pid!r} trong danh mục")
        if not pid and merged.get("procedure_code"):
            pid = self.by_code.get(str(merged["procedure_code"]).strip())
            if pid:
                row["procedure_id"] = pid
        entry = self.by_id.get(pid or "")
        if entry:
            if not merged.get("procedure_code") and entry["code"]:
                row["procedure_code"] = entry["code"]
            if not merged.get("procedure_name"):
                row["procedure_name"] = entry["name"]
            if not merged.get("field") and entry.get("field"):
                row["field"] = entry["field"]
        if merged.get("due_at") or not merged.get("received_at") or not entry:
            return
        processing = entry["processing"]
        days, hours = processing.get("working_days"), processing.get("working_hours")
        if days is None and hours is None:
            return  # no limit in the catalogue: no due date is guessed
        row["due_at"] = iso(calendar.due_at(dt.datetime.fromisoformat(merged["received_at"]), days, None if days is not None else hours))
