"""How the deployment is: the checks behind ``GET /healthz`` and the outbox gauges of ``GET /metrics``.

:func:`check` looks at four parts and names each that fails:

``model``
    the assistant has loaded its model (every worker, with ``--workers N``); the caller says so.
``database``
    a real commit reaches the file: the probe writes its row in ``heartbeats`` (migration 12) on its own connection
    with a short busy time-out, so a full disk, a read-only mount or a lock held too long fail it.
``scheduler``
    the last run the notification scheduler recorded in ``job_runs`` (``bot/notifications/scheduler.py`` writes one
    for every job; the status notices run every 30 s) is younger than ``scheduler_stale`` seconds. Just after a
    start, before the first run, it passes while the process is younger than that.
``outbox``
    the oldest notice that is due and still unsent (``pending`` past its ``next_attempt_at``, or claimed by a sender
    whose lease ran out) has waited less than ``outbox_max_wait`` seconds. A notice held for office hours or backing
    off is not late; its age since it was written is reported too.

Thresholds: ``MOTCUA_HEALTH_SCHEDULER_STALE`` (300 s) and ``MOTCUA_HEALTH_OUTBOX_MAX_WAIT`` (900 s).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Union

from bot.timeutil import utc_iso

PROBE_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class HealthConfig:
    """Where the database is and when a part counts as failing."""

    db_path: Path
    scheduler_stale: float = 300.0
    outbox_max_wait: float = 900.0
    scheduler_expected: bool = True  # False: this deployment runs no scheduler (the check then only reports)

    @classmethod
    def from_settings(cls, settings: Any, scheduler_expected: bool = True) -> "HealthConfig":
        """The thresholds of ``settings.env`` (``MOTCUA_HEALTH_*``)."""
        env: Mapping[str, str] = settings.env or {}
        return cls(db_path=Path(settings.db_path),
                   scheduler_stale=float(env.get("MOTCUA_HEALTH_SCHEDULER_STALE") or 300),
                   outbox_max_wait=float(env.get("MOTCUA_HEALTH_OUTBOX_MAX_WAIT") or 900),
                   scheduler_expected=scheduler_expected)


def _probe_connection(path: Path) -> sqlite3.Connection:
    """A connection that never creates the file and waits at most :data:`PROBE_TIMEOUT_S` for a lock."""
    if not path.exists():
        raise FileNotFoundError(f"không có tệp cơ sở dữ liệu {path}")
    return sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=PROBE_TIMEOUT_S, isolation_level=None)


def database_part(path: Path) -> Dict[str, Any]:
    """Write and commit this probe's heartbeat row; ``ok`` False with the error when it cannot."""
    try:
        conn = _probe_connection(path)
        try:
            conn.execute("insert into heartbeats (name, at, pid) values (?, ?, ?) on conflict (name) do update"
                         " set at = excluded.at, pid = excluded.pid", [f"healthz:{socket.gethostname()}", utc_iso(), os.getpid()])
        finally:
            conn.close()
    except (sqlite3.Error, OSError) as error:
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}
    return {"ok": True}


def _age(iso: Optional[str], now: float) -> Optional[float]:
    if not iso:
        return None
    try:
        return round(now - dt.datetime.fromisoformat(iso).timestamp(), 1)
    except ValueError:
        return None


def scheduler_part(path: Path, now: float, started: float, stale: float, expected: bool = True) -> Dict[str, Any]:
    """The newest run in ``job_runs``: which job, when, and its error if it failed."""
    try:
        conn = _probe_connection(path)
        try:
            row = conn.execute("select job, started_at, finished_at, error from job_runs order by id desc limit 1").fetchone()
        finally:
            conn.close()
    except (sqlite3.Error, OSError) as error:
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}
    if row is None:
        young = now - started < stale
        return {"ok": young or not expected, "last_run": None,
                "detail": "chưa chạy lần nào" + (" (vừa khởi động)" if young else "")}
    job, started_at, finished_at, error = row
    age = _age(started_at, now)
    part = {"ok": (age is not None and age < stale) or not expected, "last_run": started_at, "last_job": job,
            "age_seconds": age}
    if error:
        part["last_error"] = error[:300]
    if finished_at is None:
        part["running"] = True
    return part


def outbox_part(path: Path, now: float, max_wait: float) -> Dict[str, Any]:
    """Open notices, and how long the oldest due one has waited."""
    try:
        conn = _probe_connection(path)
        try:
            pending, oldest_created = conn.execute(
                "select count(*), min(created_at) from outbox where state in ('pending', 'sending')").fetchone()
            due = conn.execute(
                "select min(case when state = 'pending' then next_attempt_at else claimed_until end) from outbox"
                " where (state = 'pending' and next_attempt_at <= :now) or (state = 'sending' and claimed_until < :now)",
                {"now": now}).fetchone()[0]
        finally:
            conn.close()
    except (sqlite3.Error, OSError) as error:
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}
    waited = round(now - due, 1) if due is not None else 0.0
    return {"ok": waited < max_wait, "open": pending, "oldest_pending_age_seconds": _age(oldest_created, now) or 0.0,
            "oldest_due_wait_seconds": waited}


PARTS = ("model", "database", "scheduler", "outbox")


def check(config: HealthConfig, model: Dict[str, Any], *, started: float, now: Optional[float] = None) -> Dict[str, Any]:
    """Every part's state and the names of those failing: ``{"status": "ok"|"fail", "failing": [...], "checks": {...}}``.

    ``model``: ``{"ok": bool, ...}`` from the assistant; ``started``: when this process started (Unix seconds)."""
    now = time.time() if now is None else now
    checks = {
        "model": model,
        "database": database_part(config.db_path),
        "scheduler": scheduler_part(config.db_path, now, started, config.scheduler_stale, config.scheduler_expected),
        "outbox": outbox_part(config.db_path, now, config.outbox_max_wait),
    }
    failing = [name for name in PARTS if not checks[name].get("ok")]
    return {"status": "fail" if failing else "ok", "failing": failing, "checks": checks}


def model_state(assistant: Any) -> Dict[str, Any]:
    """Whether ``assistant`` (an ``Assistant``, a ``WorkerPool`` or a stand-in) can answer: its ``health()`` if it has one."""
    report: Optional[Callable[[], Dict[str, Any]]] = getattr(assistant, "health", None)
    if callable(report):
        try:
            return dict(report())
        except Exception as error:  # noqa: BLE001 - a broken report is a failing part, not a crash of /healthz
            return {"ok": False, "error": f"{type(error).__name__}: {error}"}
    return {"ok": assistant is not None}


# /metrics: the outbox as the database holds it (every process of the deployment) -----------------------------------
def outbox_families(path: Union[str, Path], now: Optional[float] = None) -> Iterator[Any]:
    """Gauge families for the outbox: notices by state and channel, open notices, the oldest due one's wait."""
    from prometheus_client.core import GaugeMetricFamily

    now = time.time() if now is None else now
    by_state = GaugeMetricFamily("motcua_outbox_notices", "Outbox notices by state and channel (from the database)",
                                 labels=["state", "channel"])
    depth = GaugeMetricFamily("motcua_outbox_depth", "Notices not yet delivered or failed (pending or being sent)")
    oldest = GaugeMetricFamily("motcua_outbox_oldest_pending_seconds",
                               "Age of the oldest open notice since it was written")
    waiting = GaugeMetricFamily("motcua_outbox_oldest_due_wait_seconds",
                                "How long the oldest due, unsent notice has waited past its time")
    conn = _probe_connection(Path(path))
    try:
        rows: List[tuple] = conn.execute("select state, channel, count(*) from outbox group by state, channel").fetchall()
    finally:
        conn.close()
    for state, channel, count in rows:
        by_state.add_metric([state, channel], count)
    part = outbox_part(Path(path), now, float("inf"))
    depth.add_metric([], part.get("open") or 0)
    oldest.add_metric([], part.get("oldest_pending_age_seconds") or 0.0)
    waiting.add_metric([], part.get("oldest_due_wait_seconds") or 0.0)
    yield from (by_state, depth, oldest, waiting)


def outbox_exposition(path: Union[str, Path], now: Optional[float] = None) -> bytes:
    """:func:`outbox_families` in Prometheus' text format."""
    from prometheus_client import CollectorRegistry, generate_latest

    class _Outbox:
        def collect(self) -> Iterator[Any]:
            return outbox_families(path, now)

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Outbox())
    return generate_latest(registry)
