"""The scheduler: APScheduler 3.9's ``AsyncIOScheduler`` running the notification jobs of one deployment.

Jobs (fixed ids, added with ``replace_existing=True`` so a restart updates rather than duplicates them):

=================  =============================================  ==============================================
id                 when                                           what
=================  =============================================  ==============================================
``daily-digest``   ``MOTCUA_DIGEST_TIME`` (07:30) every day       :func:`bot.notifications.daily_digests`
``overdue-scan``   every ``MOTCUA_OVERDUE_EVERY_MINUTES`` (5)     :func:`bot.notifications.overdue_alerts`
``status-notices`` every ``MOTCUA_STATUS_EVERY_SECONDS`` (30)     :func:`bot.notifications.status_notices`, then
                                                                 :func:`bot.notifications.jobs.rating_requests`
``eid-tips``       ``MOTCUA_TIPS_TIME`` (09:00) every day         :func:`bot.notifications.eid_tips`
                   (``MOTCUA_TIPS_EVERY_DAYS``: 7 between tips)
``leader-weekly``  ``MOTCUA_LEADER_TIME`` (08:00) every Monday      :func:`bot.notifications.leader_weekly`
``legal-review``   ``MOTCUA_LEADER_TIME`` (08:00) every Monday    :func:`bot.notifications.legal_review_weekly`
``task-warnings``  ``MOTCUA_TASKS_WARN_TIME`` (08:00) every day   :func:`bot.notifications.task_warnings`
``daily-backup``   ``MOTCUA_BACKUP_TIME`` (02:30) every day       :func:`bot.backup.backup` into ``MOTCUA_BACKUP_DIR``
                   (``MOTCUA_BACKUP_KEEP`` days kept, a copy       (nothing when ``MOTCUA_BACKUP_TIME=off``)
                   to ``MOTCUA_BACKUP_COPY_TO`` if set)
``retention``      ``MOTCUA_RETENTION_TIME`` (02:30) every day    :meth:`bot.people.privacy.Privacy.purge`: conversations and
                                                                 review messages older than ``MOTCUA_RETENTION_DAYS`` (180)
``sender``         every 5 s                                      keeps this process's :class:`bot.delivery.sender.Sender`
                                                                  loop running and wakes it
=================  =============================================  ==============================================

Times are Asia/Ho_Chi_Minh (``MOTCUA_TIMEZONE``). Rules that keep the jobs safe:

- The job store is persistent (``SQLAlchemyJobStore`` on SQLite: ``MOTCUA_SCHEDULER_DB``, default the store's
  own file, table ``apscheduler_jobs``). Jobs are module-level functions of this file whose arguments are the
  database path and numbers: a bot, a store or a connection is never pickled into it; each run opens what it
  needs and closes it.
- ``coalesce=True`` and a ``misfire_grace_time`` per job: after downtime, the runs missed are collapsed into
  one run (if the latest missed time is within the grace time), not replayed one by one. See "Missed job
  executions and coalescing", https://apscheduler.readthedocs.io/en/3.x/userguide.html. Every notice a job
  writes is keyed in the outbox, so even a repeated run sends nothing twice.
- One scheduler per deployment: :class:`DeploymentLock` takes an exclusive ``flock`` on
  ``<database>.scheduler.lock`` (the kernel frees it when the process dies, even on ``kill -9``). A second
  ``motcua scheduler`` waits as a standby and takes over when the first one stops.
- Each run is recorded in ``job_runs`` (job id, start, end, result or error) for whoever operates the ward's bot.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Mapping, Optional

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.delivery.outbox import Outbox
from bot.delivery.sender import Sender
from bot.services import Services
from bot.timeutil import now_vn, utc_iso

log = logging.getLogger(__name__)



class SchedulerConfigError(ValueError):
    """A scheduler setting that cannot work."""


def _clock_time(value: str, key: str) -> dt.time:
    """``"07:30"`` as a time; a clear error otherwise."""
    try:
        hours, minutes = value.strip().split(":")
        return dt.time(int(hours), int(minutes))
    except ValueError:
        raise SchedulerConfigError(f"{key} phải có dạng GIỜ:PHÚT, ví dụ 07:30 (đang là {value!r}).") from None


@dataclass(frozen=True)
class SchedulerConfig:
    """What the scheduler runs, when, and where its state lives."""

    db_path: str
    jobstore_path: str
    timezone: str = "Asia/Ho_Chi_Minh"
    digest_time: dt.time = dt.time(7, 30)
    tips_time: dt.time = dt.time(9, 0)
    tips_every_days: float = 7.0
    overdue_every_minutes: float = 5.0
    status_every_seconds: float = 30.0
    sender_every_seconds: float = 5.0
    leader_time: dt.time = dt.time(8, 0)
    task_warn_time: dt.time = dt.time(8, 0)
    backup_time: Optional[dt.time] = dt.time(2, 30)  # None: no daily backup job
    backup_dir: str = ""                              # default: <database's folder>/backups
    backup_keep: int = 14
    backup_copy_to: Optional[str] = None
    tracker_path: Optional[str] = None  # Rasa's tracker store file (None: tracker.db beside the database)
    retention_days: int = 180
    retention_time: dt.time = dt.time(2, 30)

    @classmethod
    def from_settings(cls, settings: Any) -> "SchedulerConfig":
        """The scheduler settings of ``settings`` (``db_path`` and the ``MOTCUA_*`` keys of ``settings.env``)."""
        env: Mapping[str, str] = settings.env or {}
        db_path = str(settings.db_path)
        backup_time = (env.get("MOTCUA_BACKUP_TIME") or "02:30").strip()
        jobstore = (env.get("MOTCUA_SCHEDULER_DB") or "").strip()
        if jobstore and not Path(jobstore).is_absolute():
            jobstore = str(Path(settings.root) / jobstore)
        return cls(
            db_path=db_path,
            jobstore_path=jobstore or db_path,
            timezone=(env.get("MOTCUA_TIMEZONE") or "Asia/Ho_Chi_Minh").strip(),
            digest_time=_clock_time(env.get("MOTCUA_DIGEST_TIME") or "07:30", "MOTCUA_DIGEST_TIME"),
            tips_time=_clock_time(env.get("MOTCUA_TIPS_TIME") or "09:00", "MOTCUA_TIPS_TIME"),
            tips_every_days=float(env.get("MOTCUA_TIPS_EVERY_DAYS") or 7),
            overdue_every_minutes=float(env.get("MOTCUA_OVERDUE_EVERY_MINUTES") or 5),
            status_every_seconds=float(env.get("MOTCUA_STATUS_EVERY_SECONDS") or 30),
            leader_time=_clock_time(env.get("MOTCUA_LEADER_TIME") or "08:00", "MOTCUA_LEADER_TIME"),
            task_warn_time=_clock_time(env.get("MOTCUA_TASKS_WARN_TIME") or "08:00", "MOTCUA_TASKS_WARN_TIME"),
            backup_time=None if backup_time.lower() in ("off", "tat", "tắt", "0") else _clock_time(backup_time, "MOTCUA_BACKUP_TIME"),
            backup_dir=str(getattr(settings, "backup_dir", None) or Path(db_path).parent / "backups"),
            backup_keep=int(getattr(settings, "backup_keep", 14)),
            backup_copy_to=str(settings.backup_copy_to) if getattr(settings, "backup_copy_to", None) else None,
            tracker_path=str(settings.tracker_db_path) if getattr(settings, "tracker_db_path", None) else None,
            retention_days=int(getattr(settings, "retention_days", 180)),
            retention_time=_clock_time(env.get("MOTCUA_RETENTION_TIME") or "02:30", "MOTCUA_RETENTION_TIME"),
        )


class SchedulerLocked(RuntimeError):
    """Another process runs this deployment's scheduler."""


class DeploymentLock:
    """An exclusive ``flock`` on ``<database>.scheduler.lock``: at most one scheduler per deployment."""

    def __init__(self, db_path: str) -> None:
        self.path = Path(f"{db_path}.scheduler.lock")
        self._fd: Optional[int] = None

    def acquire(self) -> bool:
        """Take the lock if it is free; True when this process holds it."""
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    async def wait(self, every: float = 5.0) -> None:
        """Wait (as a standby) until the lock is ours."""
        while not self.acquire():
            await asyncio.sleep(every)

    def release(self) -> None:
        """Let another process become the scheduler."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


# the process's live objects, looked up by database path (never stored in the job store) ----------------------------
@dataclass
class Runtime:
    """What the ``sender`` job needs in this process: the channel senders and the loop's sender task."""

    senders: Dict[str, Any]
    sender_config: Any = None
    sender: Any = None
    task: Optional[asyncio.Task] = None
    loop: Optional[asyncio.AbstractEventLoop] = None
    outbox: Any = None
    stop: Optional[asyncio.Event] = None


_RUNTIMES: Dict[str, Runtime] = {}


def register_runtime(db_path: str, runtime: Runtime) -> None:
    """Make ``runtime`` the one the jobs for ``db_path`` use in this process."""
    _RUNTIMES[str(db_path)] = runtime


def _wake_sender(db_path: str) -> None:
    """Tell this process's sender (if any) that new notices are waiting."""
    runtime = _RUNTIMES.get(str(db_path))
    if runtime and runtime.sender is not None and runtime.loop is not None:
        runtime.loop.call_soon_threadsafe(runtime.sender.wake)


def _now() -> dt.datetime:
    return now_vn()


def _record(db_path: str, job: str, work: Callable[[Any, Any], int]) -> int:
    """Run ``work(store, outbox)`` on fresh connections, log it in ``job_runs``, wake the sender when it queued."""
    started = utc_iso()
    store, outbox = Services.open(db_path), Outbox(db_path)
    try:
        run_id = outbox.conn.execute("insert into job_runs (job, started_at) values (?, ?)", [job, started]).lastrowid
        try:
            result = work(store, outbox)
        except Exception as error:
            outbox.conn.execute("update job_runs set finished_at = ?, error = ? where id = ?",
                                [utc_iso(), repr(error), run_id])
            log.exception("scheduler: job %s failed", job)
            raise
        outbox.conn.execute("update job_runs set finished_at = ?, result = ? where id = ?",
                            [utc_iso(), str(result), run_id])
        if result:
            _wake_sender(db_path)
        return result
    finally:
        outbox.close()
        store.db.conn.close()


# jobs: module-level, primitive arguments ---------------------------------------------------------------------------------
def digest_job(db_path: str) -> int:
    """Queue today's digests."""
    from bot.notifications.jobs import daily_digests

    return _record(db_path, "daily-digest", lambda store, outbox: daily_digests(store, outbox, _now()))


def overdue_job(db_path: str) -> int:
    """Queue alerts for dossiers that became overdue."""
    from bot.notifications.jobs import overdue_alerts

    return _record(db_path, "overdue-scan", lambda store, outbox: overdue_alerts(store, outbox, _now()))


def status_job(db_path: str) -> int:
    """Queue status-change notices."""
    from bot.notifications.jobs import rating_requests, status_notices

    return _record(db_path, "status-notices", lambda store, outbox: status_notices(store, outbox) + rating_requests(store, outbox))


def tips_job(db_path: str, every_days: float = 7.0) -> int:
    """Queue the next e-ID tip for subscribers."""
    from bot.notifications.jobs import eid_tips

    return _record(db_path, "eid-tips", lambda store, outbox: eid_tips(store, outbox, _now(), every_days=every_days))


def leader_weekly_job(db_path: str) -> int:
    """Queue the leaders' Monday summary (indicators, report summary, tasks)."""
    from bot.notifications.jobs import leader_weekly

    return _record(db_path, "leader-weekly", lambda store, outbox: leader_weekly(store, outbox, _now()))


def legal_review_job(db_path: str) -> int:
    """Queue the weekly legal-basis review for the officials whose procedures' documents changed or will change."""
    from bot.notifications.jobs import legal_review_weekly

    return _record(db_path, "legal-review", lambda store, outbox: legal_review_weekly(store, outbox, _now()))


def task_warnings_job(db_path: str) -> int:
    """Queue the Resolution-57 task deadline warnings due today."""
    from bot.notifications.jobs import task_warnings

    return _record(db_path, "task-warnings", lambda store, outbox: task_warnings(store, outbox, _now()))


def broadcast_reports_job(db_path: str) -> int:
    """Close finished broadcasts and queue their delivery reports to their authors (bot/community/broadcasts.py)."""
    from bot.notifications.jobs import broadcast_reports

    return _record(db_path, "broadcast-reports", lambda store, outbox: broadcast_reports(store, outbox, _now()))


def backup_job(db_path: str, directory: str, keep: int = 14, copy_to: str = "") -> str:
    """Back up the database (SQLite's online backup, while everything keeps running) and keep ``keep`` days;
    nothing when ``directory`` is empty (``MOTCUA_BACKUP_TIME=off``)."""
    from bot.backup import backup

    if not directory:
        return "off"

    def work(store: Any, outbox: Any) -> str:
        made = backup(db_path, directory, keep=keep, copy_to=copy_to or None, now=_now())
        log.info("scheduler: backup %s (%d bytes)%s", made.path, made.size, f", copy {made.copies[0]}" if made.copies else "")
        return str(made.path)

    return _record(db_path, "daily-backup", work)
def retention_job(db_path: str, tracker_path: Optional[str] = None, days: int = 180) -> int:
    """Delete conversations and review messages older than ``days`` (bot/people/privacy.py); how many rows went."""
    from bot.people.privacy import Privacy, PrivacyPolicy, retention_summary

    def work(store: Any, outbox: Any) -> int:
        privacy = Privacy(store.db, store.users, db_path, PrivacyPolicy(int(days), tracker_path or None))
        return retention_summary(privacy.purge(_now()))

    return _record(db_path, "retention", work)


async def sender_job(db_path: str) -> None:
    """Keep this process's sender loop running (start it, or restart it after a crash) and wake it."""
    runtime = _RUNTIMES.get(str(db_path))
    if runtime is None or not runtime.senders:
        return
    if runtime.task is not None and not runtime.task.done():
        runtime.sender.wake()
        return
    if runtime.task is not None and runtime.task.exception() is not None:
        log.error("scheduler: the sender loop stopped: %r; starting it again", runtime.task.exception())
    runtime.outbox = runtime.outbox or Outbox(db_path)
    runtime.sender = Sender(runtime.outbox, runtime.senders, runtime.sender_config,
                            directory=Services.open(db_path).users)
    runtime.loop = asyncio.get_running_loop()
    runtime.stop = runtime.stop or asyncio.Event()
    runtime.task = asyncio.ensure_future(runtime.sender.run(runtime.stop))


# building ---------------------------------------------------------------------------------------------------------------------
def build_scheduler(config: SchedulerConfig) -> AsyncIOScheduler:
    """An ``AsyncIOScheduler`` over the persistent job store, coalescing missed runs."""
    return AsyncIOScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{config.jobstore_path}", tablename="apscheduler_jobs")},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        timezone=config.timezone,
    )


def install_jobs(scheduler: AsyncIOScheduler, config: SchedulerConfig) -> None:
    """Add (or update) the jobs under their fixed ids."""
    db = str(config.db_path)
    common = {"replace_existing": True, "coalesce": True, "max_instances": 1}
    scheduler.add_job(digest_job, CronTrigger(hour=config.digest_time.hour, minute=config.digest_time.minute,
                                              timezone=config.timezone),
                      id="daily-digest", name="Tổng hợp hồ sơ hằng ngày", args=[db], misfire_grace_time=6 * 3600, **common)
    scheduler.add_job(overdue_job, IntervalTrigger(minutes=config.overdue_every_minutes, timezone=config.timezone),
                      id="overdue-scan", name="Quét hồ sơ quá hạn", args=[db],
                      misfire_grace_time=int(config.overdue_every_minutes * 60), **common)
    scheduler.add_job(status_job, IntervalTrigger(seconds=config.status_every_seconds, timezone=config.timezone),
                      id="status-notices", name="Báo thay đổi trạng thái", args=[db],
                      misfire_grace_time=int(max(config.status_every_seconds, 30)), **common)
    scheduler.add_job(tips_job, CronTrigger(hour=config.tips_time.hour, minute=config.tips_time.minute, timezone=config.timezone),
                      id="eid-tips", name="Mẹo định danh điện tử", args=[db, config.tips_every_days],
                      misfire_grace_time=12 * 3600, **common)
    scheduler.add_job(leader_weekly_job, CronTrigger(day_of_week="mon", hour=config.leader_time.hour,
                                                     minute=config.leader_time.minute, timezone=config.timezone),
                      id="leader-weekly", name="Chỉ số và báo cáo cho lãnh đạo", args=[db], misfire_grace_time=12 * 3600, **common)
    scheduler.add_job(legal_review_job, CronTrigger(day_of_week="mon", hour=config.leader_time.hour,
                                                    minute=config.leader_time.minute, timezone=config.timezone),
                      id="legal-review", name="Rà soát căn cứ pháp lý", args=[db], misfire_grace_time=12 * 3600, **common)
    scheduler.add_job(task_warnings_job, CronTrigger(hour=config.task_warn_time.hour, minute=config.task_warn_time.minute,
                                                     timezone=config.timezone),
                      id="task-warnings", name="Nhắc hạn nhiệm vụ NQ 57", args=[db], misfire_grace_time=12 * 3600, **common)
    scheduler.add_job(broadcast_reports_job, IntervalTrigger(seconds=30, timezone=config.timezone),
                      id="broadcast-reports", name="Báo kết quả gửi bản tin", args=[db], misfire_grace_time=30, **common)
    # always under its id, so a job stored by an earlier start is replaced; turned off, it backs up nothing
    at = config.backup_time or dt.time(2, 30)
    scheduler.add_job(backup_job, CronTrigger(hour=at.hour, minute=at.minute, timezone=config.timezone),
                      id="daily-backup", name="Sao lưu cơ sở dữ liệu", misfire_grace_time=12 * 3600,
                      args=[db, config.backup_dir if config.backup_time else "", config.backup_keep, config.backup_copy_to or ""],
                      **common)
    scheduler.add_job(retention_job, CronTrigger(hour=config.retention_time.hour, minute=config.retention_time.minute,
                                                 timezone=config.timezone),
                      id="retention", name="Xóa dữ liệu hết hạn lưu", args=[db, config.tracker_path or "", config.retention_days],
                      misfire_grace_time=12 * 3600, **common)
    scheduler.add_job(sender_job, IntervalTrigger(seconds=config.sender_every_seconds, timezone=config.timezone),
                      id="sender", name="Gửi thông báo", args=[db], misfire_grace_time=int(max(config.sender_every_seconds, 5)),
                      next_run_time=dt.datetime.now(dt.timezone.utc), **common)


def job_runs(db_path: str, job: Optional[str] = None) -> list:
    """Recorded runs (all, or of one job), oldest first."""
    import sqlite3

    conn = sqlite3.connect(db_path)
    try:
        sql, params = "select job, started_at, finished_at, result, error from job_runs", []
        if job:
            sql, params = sql + " where job = ?", [job]
        return [dict(zip(("job", "started_at", "finished_at", "result", "error"), row)) for row in conn.execute(sql + " order by id", params)]
    finally:
        conn.close()


async def run_scheduler(config: SchedulerConfig, senders: Mapping[str, Any], stop: asyncio.Event, *, sender_config: Any = None,
                        standby_every: float = 5.0) -> None:
    """Be this deployment's scheduler until ``stop`` is set: wait for the lock, start the jobs, stop cleanly."""
    lock = DeploymentLock(config.db_path)
    if not lock.acquire():
        log.warning("scheduler: another process holds %s; waiting as a standby", lock.path)
        waiting = asyncio.ensure_future(lock.wait(standby_every))
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait([waiting, stopping], return_when=asyncio.FIRST_COMPLETED)
        if not waiting.done():
            waiting.cancel()
            return
        stopping.cancel()
    runtime = Runtime(senders=dict(senders), sender_config=sender_config, loop=asyncio.get_running_loop())
    register_runtime(config.db_path, runtime)
    scheduler = build_scheduler(config)
    try:
        install_jobs(scheduler, config)
        scheduler.start()
        log.info("scheduler: started (%s)", ", ".join(job.id for job in scheduler.get_jobs()))
        await stop.wait()
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        if runtime.task is not None and not runtime.task.done():
            runtime.stop.set()  # stop claiming; the sends under way finish and are recorded
            try:
                await asyncio.wait_for(asyncio.shield(runtime.task), timeout=45)
            except asyncio.TimeoutError:
                runtime.task.cancel()
        if runtime.outbox is not None:
            runtime.outbox.close()
        _RUNTIMES.pop(str(config.db_path), None)
        lock.release()
