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
rules", and only here in code: the SQL of :data:`_CELLS` (with :data:`ENDED`). One grouped query gives, per field and
department, how many dossiers fall in each pair of cells (how received × how it stands at the period's end); Python
adds up the few groups. The dossiers it reads are found in one of two ways, whichever touches fewer rows: through the
indexes (open dossiers by the partial index dossiers_open_due, closed ones by dossiers_finished) when few dossiers
ended since the period began (the latest month or so), else in one pass over the table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from bot.db import OPEN_SQL, OPEN_STATUSES
from bot.officials.deadlines import early, late, overdue_at
from bot.officials.periods import Period
from nlu.normalize import normalize

NO_FIELD = "(Chưa rõ lĩnh vực)"
NO_DEPARTMENT = "(Chưa rõ bộ phận)"
NO_HANDLER = "Chưa phân công"
# closed and counted: every status but the open ones and not_received (refused at the counter, never counted)
CLOSED_SQL = "status not in (" + ", ".join(f"'{s}'" for s in ("not_received",) + OPEN_STATUSES) + ")"

# When a dossier ended: null while open; a closed one without finished_at ends at its updated_at.
ENDED = f"case when {OPEN_SQL} then null else coalesce(finished_at, updated_at) end"
_COLUMNS = "field, department, handler, received_at, due_at, submission_channel, online_level"
# The dossiers that count in [:start, :end): received before :end, not not_received, and not ended before :start.
# By the indexes: open ones (OPEN_SQL verbatim, so SQLite uses the partial index), closed ones ended since :start.
_ROWS_BY_INDEX = f"""
select {_COLUMNS}, null as ended from dossiers where {OPEN_SQL} and +received_at < :end {{filters}}
union all
select {_COLUMNS}, finished_at from dossiers where finished_at >= :start and {CLOSED_SQL} and +received_at < :end {{filters}}
union all
select {_COLUMNS}, updated_at from dossiers
  where finished_at is null and {CLOSED_SQL} and updated_at >= :start and +received_at < :end {{filters}}
"""
_ROWS_BY_SCAN = f"""
select {_COLUMNS}, {ENDED} as ended from dossiers
  where status != 'not_received' and +received_at < :end and ({ENDED} is null or {ENDED} >= :start) {{filters}}
"""
# Each dossier's two cells, named as the fields of Counts: how it was received, and how it stands at the period's end.
_CELLS = f"""
with d as ({{rows}})
select coalesce(field, ''), coalesce(department, ''),
  case when received_at < :start then 'carried_over'
       when submission_channel = 'online' then case when online_level = 'full' then 'online_full' else 'online_partial' end
       when submission_channel = 'post' then 'post'
       else 'in_person' end,
  case when ended < :end then case when {late("ended")} then 'late' when {early("ended")} then 'early' else 'on_time' end
       when {overdue_at(":end")} then 'overdue'
       else 'within_deadline' end,
  count(*)
from d group by 1, 2, 3, 4
"""
# Who holds the dossiers overdue at the period's end (pending: open now, or ended after the period).
_OVERDUE_HANDLERS = f"""
select coalesce(handler, ''), count(*) from (
  select handler from dossiers where {OPEN_SQL} and due_at < :end and +received_at < :end {{filters}}
  union all
  select handler from dossiers where finished_at >= :end and {CLOSED_SQL} and +received_at < :end and +due_at < :end {{filters}}
  union all
  select handler from dossiers
    where finished_at is null and {CLOSED_SQL} and updated_at >= :end and +received_at < :end and +due_at < :end {{filters}}
) group by 1
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

    @classmethod
    def cells(cls, received: str, outcome: str, count: int) -> "Counts":
        """``count`` dossiers in the received cell ``received`` and the outcome cell ``outcome``."""
        return cls(**{received: count}) + cls(**{outcome: count})

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
    """The counts of one period by (field, department), and the overdue dossiers by handler; every view is made from it."""

    period: Period
    groups: Dict[Tuple[str, str], Counts]
    overdue_handlers: Dict[str, int]

    def total(self) -> Counts:
        return _sum(self.groups.values())

    def by(self, part: str) -> Dict[str, Counts]:
        """Counts per field or department (a name for a missing value, listed last), sorted by name."""
        index, blank = {"field": (0, NO_FIELD), "department": (1, NO_DEPARTMENT)}[part]
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
        if part == "handler":
            counts = [(name or NO_HANDLER, n) for name, n in self.overdue_handlers.items()]
        else:
            counts = [(name, c.overdue) for name, c in self.by(part).items()]
        return sorted((kv for kv in counts if kv[1]), key=lambda kv: (-kv[1], normalize(kv[0])))[:limit]


def bounds(period: Period) -> Dict[str, str]:
    """The period as stored moments: its first instant and the first instant after it (Vietnam time)."""
    after = period.end + dt.timedelta(days=1)
    return {"start": f"{period.start.isoformat()}T00:00:00+07:00", "end": f"{after.isoformat()}T00:00:00+07:00"}


def _rows(conn: Any, start: str) -> str:
    """The cheaper way to read the dossiers: the indexes when under a tenth of them ended since ``start`` (a row found
    by an index costs about twice a row read in a pass, and the pass has a fixed cost; bench/officials.py), else one
    pass over the table."""
    since = conn.execute("select count(*) from dossiers where finished_at >= ?", [start]).fetchone()[0]
    total = conn.execute("select count(*) from dossiers").fetchone()[0]
    return _ROWS_BY_SCAN if since * 10 > total else _ROWS_BY_INDEX


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
    groups: Dict[Tuple[str, str], Counts] = {}
    sql = _CELLS.replace("{rows}", _rows(conn, params["start"])).replace("{filters}", filters)
    for field_, department_, received, outcome, count in conn.execute(sql, params):
        groups[(field_, department_)] = groups.get((field_, department_), Counts()) + Counts.cells(received, outcome, count)
    handlers = dict(conn.execute(_OVERDUE_HANDLERS.replace("{filters}", filters), params).fetchall())
    return Tally(period, groups, handlers)


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
