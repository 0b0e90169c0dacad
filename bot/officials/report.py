"""The ward's execution report (Circular 09/2026/TT-BTP, form Biểu 07a/BTP/KSTT): counts of dossiers in a period.

    report(db, period, department=None, field=None) -> dict     # the JSON of `motcua report --json`
    tally(db, period, department=None, field=None) -> Tally     # the same counts, plus what the JSON leaves out:
        .json() | .online_levels() (full/partial, for the Excel) | .overdue_by("handler" | "department")
    departments(db) / fields(db) -> names;  find_name(names, text) -> the one a leader meant, or None

The JSON (numbers are counts of dossiers; rates are percentages with one decimal, null when there is nothing to
divide)::

    {"from": "2026-10-01", "to": "2026-10-31",
     "total": {"received": {"carried_over", "online", "in_person", "post", "total"},
               "resolved": {"early", "on_time", "late", "total"},
               "pending": {"within_deadline", "overdue", "total"},
               "rates": {"on_time_rate", "online_rate"}},
     "fields": {"Hộ tịch": {same shape}, ...}, "departments": {"Tư pháp - Hộ tịch": {same shape}, ...}}

The counting rules (which dossier lands in which cell) are written in docs/indicators.md, "Biểu 07a: counting
rules", and only here in code: the SQL of :data:`_SQL`. It reads only the dossiers that can count (open ones and
those ended since the period began, through the partial open-dossier index and the finished_at index), groups them
by field, department and handler, and Python adds up the few groups.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from bot.db import OPEN_SQL, OPEN_STATUSES
from bot.officials.periods import Period
from nlu.normalize import normalize

NO_FIELD = "(Chưa rõ lĩnh vực)"
NO_DEPARTMENT = "(Chưa rõ bộ phận)"
NO_HANDLER = "Chưa phân công"
# closed and counted: every status but the open ones and not_received (refused at the counter, never counted)
CLOSED_SQL = "status not in (" + ", ".join(f"'{s}'" for s in ("not_received",) + OPEN_STATUSES) + ")"

# One row per dossier that can count in the period: open ones (OPEN_SQL verbatim, so SQLite uses the partial index
# dossiers_open_due), closed ones that ended since the period began (the finished_at index), and closed ones with no
# finished_at, which end at their updated_at. "ended" is null while a dossier is open.
_ROWS = f"""
select field, department, handler, received_at, due_at, submission_channel, online_level, null as ended
  from dossiers where {OPEN_SQL} and received_at < :end {{filters}}
union all
select field, department, handler, received_at, due_at, submission_channel, online_level, finished_at
  from dossiers where finished_at >= :start and {CLOSED_SQL} and received_at < :end {{filters}}
union all
select field, department, handler, received_at, due_at, submission_channel, online_level, updated_at
  from dossiers where finished_at is null and {CLOSED_SQL} and updated_at >= :start and received_at < :end {{filters}}
"""
_RESOLVED = "(ended >= :start and ended < :end)"
_PENDING = "(ended is null or ended >= :end)"
_NEW = "(received_at >= :start)"
_SQL = f"""
with d as ({_ROWS})
select coalesce(field, '') as field, coalesce(department, '') as department, coalesce(handler, '') as handler,
  sum(received_at < :start) as carried_over,
  sum({_NEW} and submission_channel = 'online' and online_level = 'full') as online_full,
  sum({_NEW} and submission_channel = 'online' and coalesce(online_level, '') != 'full') as online_partial,
  sum({_NEW} and submission_channel = 'post') as post,
  sum({_NEW} and coalesce(submission_channel, '') not in ('online', 'post')) as in_person,
  sum({_RESOLVED} and due_at is not null and ended > due_at) as late,
  sum({_RESOLVED} and ended <= due_at and substr(ended, 1, 10) < substr(due_at, 1, 10)) as early,
  sum({_RESOLVED} and (due_at is null or (ended <= due_at and substr(ended, 1, 10) >= substr(due_at, 1, 10)))) as on_time,
  sum({_PENDING} and due_at < :end) as overdue,
  sum({_PENDING} and (due_at is null or due_at >= :end)) as within_deadline
from d
group by 1, 2, 3
"""


@dataclass(frozen=True)
class Counts:
    """The cells of one row of Biểu 07a (online split into full and partial)."""

    carried_over: int = 0
    online_full: int = 0
    online_partial: int = 0
    post: int = 0
    in_person: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    within_deadline: int = 0
    overdue: int = 0

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(*(a + b for a, b in zip(dataclasses.astuple(self), dataclasses.astuple(other))))

    @property
    def online(self) -> int:
        return self.online_full + self.online_partial

    @property
    def new(self) -> int:
        """Received in the period."""
        return self.online + self.post + self.in_person

    def json(self) -> Dict[str, Dict[str, Any]]:
        """This row in the report's shape."""
        resolved = self.early + self.on_time + self.late
        pending = self.within_deadline + self.overdue
        judged = resolved + pending
        return {
            "received": {"carried_over": self.carried_over, "online": self.online, "in_person": self.in_person,
                         "post": self.post, "total": self.carried_over + self.new},
            "resolved": {"early": self.early, "on_time": self.on_time, "late": self.late, "total": resolved},
            "pending": {"within_deadline": self.within_deadline, "overdue": self.overdue, "total": pending},
            "rates": {"on_time_rate": _percent(self.early + self.on_time + self.within_deadline, judged),
                      "online_rate": _percent(self.online, self.new)},
        }


def _percent(part: int, whole: int) -> Optional[float]:
    return round(100.0 * part / whole, 1) if whole else None


def _sum(items: Iterable[Counts]) -> Counts:
    total = Counts()
    for item in items:
        total = total + item
    return total


@dataclass(frozen=True)
class Tally:
    """The counts of one period, by (field, department, handler) group; every view of the report is made from it."""

    period: Period
    groups: Dict[Tuple[str, str, str], Counts]

    def total(self) -> Counts:
        return _sum(self.groups.values())

    def by(self, part: str) -> Dict[str, Counts]:
        """Counts per field, department or handler (names for missing values), sorted by name."""
        index = {"field": 0, "department": 1, "handler": 2}[part]
        blank = {"field": NO_FIELD, "department": NO_DEPARTMENT, "handler": NO_HANDLER}[part]
        found: Dict[str, Counts] = {}
        for key, counts in self.groups.items():
            name = key[index] or blank
            found[name] = found.get(name, Counts()) + counts
        return dict(sorted(found.items(), key=lambda kv: (kv[0] == blank, normalize(kv[0]), kv[0])))

    def json(self) -> Dict[str, Any]:
        """The report (the shape in the module docstring)."""
        return {"from": self.period.start.isoformat(), "to": self.period.end.isoformat(), "total": self.total().json(),
                "fields": {name: c.json() for name, c in self.by("field").items()},
                "departments": {name: c.json() for name, c in self.by("department").items()}}

    def online_levels(self) -> Dict[str, Any]:
        """Online dossiers received in the period, fully and partly online: in total, per field and per department
        (the Excel's columns (4) and (5), which the JSON keeps as one)."""
        def split(c: Counts) -> Dict[str, int]:
            return {"full": c.online_full, "partial": c.online_partial}
        return {"total": split(self.total()), "fields": {name: split(c) for name, c in self.by("field").items()},
                "departments": {name: split(c) for name, c in self.by("department").items()}}

    def overdue_by(self, part: str, limit: int = 3) -> List[Tuple[str, int]]:
        """The ``limit`` departments or handlers with the most dossiers overdue at the period's end (none with 0)."""
        ranked = sorted(((name, c.overdue) for name, c in self.by(part).items() if c.overdue), key=lambda kv: (-kv[1], normalize(kv[0])))
        return ranked[:limit]


def bounds(period: Period) -> Dict[str, str]:
    """The period as stored moments: its first instant and the first instant after it (Vietnam time)."""
    after = period.end + dt.timedelta(days=1)
    return {"start": f"{period.start.isoformat()}T00:00:00+07:00", "end": f"{after.isoformat()}T00:00:00+07:00"}


def tally(db: Any, period: Period, department: Optional[str] = None, field: Optional[str] = None) -> Tally:
    """Count the dossiers of ``period`` (of one department and/or field when given) in one grouped query."""
    conn = getattr(db, "conn", db)  # a sqlite-utils Database or a sqlite3 connection
    params: Dict[str, Any] = bounds(period)
    filters = ""
    if department is not None:
        filters += " and department = :department"
        params["department"] = department
    if field is not None:
        filters += " and field = :field"
        params["field"] = field
    groups: Dict[Tuple[str, str, str], Counts] = {}
    cursor = conn.execute(_SQL.replace("{filters}", filters), params)
    names = [d[0] for d in cursor.description[3:]]  # the count columns, matched to Counts by name
    for row in cursor:
        groups[(row[0], row[1], row[2])] = Counts(**{name: int(v or 0) for name, v in zip(names, row[3:])})
    return Tally(period, groups)


def report(db: Any, period: Period, department: Optional[str] = None, field: Optional[str] = None) -> Dict[str, Any]:
    """The Biểu 07a counts of ``period`` as JSON-ready data (see the module docstring)."""
    return tally(db, period, department, field).json()


def departments(db: Any) -> List[str]:
    """The departments named on dossiers."""
    return _distinct(db, "department")


def fields(db: Any) -> List[str]:
    """The fields (lĩnh vực) named on dossiers."""
    return _distinct(db, "field")


def _distinct(db: Any, column: str) -> List[str]:
    conn = getattr(db, "conn", db)
    names = [r[0] for r in conn.execute(f"select distinct {column} from dossiers where {column} is not null and {column} != ''")]
    return sorted(names, key=normalize)


def find_name(names: Sequence[str], text: str) -> Optional[str]:
    """The one of ``names`` that ``text`` means, compared without case, marks or punctuation ("tu phap" finds
    "Tư pháp - Hộ tịch"); None when none or several match."""
    wanted = normalize(text or "")
    if not wanted:
        return None
    exact = [n for n in names if normalize(n) == wanted]
    if len(exact) == 1:
        return exact[0]
    partial = [n for n in names if wanted in normalize(n)]
    return partial[0] if len(partial) == 1 else None
