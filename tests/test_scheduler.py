"""The scheduler: a persistent job store, a missed run fired once, one scheduler per deployment, jobs end to end."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import sqlite3
from contextlib import closing

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED

from bot.channels.telegram import TelegramConfig, build_bot
from bot.channels.telegram_send import TelegramSender
from bot.delivery.sender import SenderConfig
from bot.notifications.scheduler import DeploymentLock, SchedulerConfig, build_scheduler, install_jobs, job_runs, run_scheduler
from bot.services import Services
from bot.settings import Settings
from bot.workdays import VN_TZ
from tests.standins.telegram_api import TelegramStandIn
from tests.waiting import wait_for_event, wait_until, within


def config_for(tmp_path, **changes) -> SchedulerConfig:
    db = tmp_path / "motcua.db"
    Services.open(db)
    return dataclasses.replace(SchedulerConfig(db_path=str(db), jobstore_path=str(db)), **changes)


def installed_jobs(db_path: str) -> list:
    """The job ids in the persistent job store (none when no scheduler ever started on it)."""
    with closing(sqlite3.connect(db_path)) as db:
        if not db.execute("select 1 from sqlite_master where name = 'apscheduler_jobs'").fetchone():
            return []
        return sorted(row[0] for row in db.execute("select id from apscheduler_jobs"))


async def test_a_run_missed_during_downtime_fires_once(tmp_path):
    config = config_for(tmp_path, overdue_every_minutes=1)
    before = build_scheduler(config)
    installed_at = dt.datetime.now(VN_TZ)
    install_jobs(before, config)
    before.start(paused=True)
    # the deployment was down for an hour: sixty one-minute overdue scans were missed
    before.modify_job("overdue-scan", next_run_time=dt.datetime.now(VN_TZ) - dt.timedelta(hours=1))
    before.shutdown(wait=False)

    after = build_scheduler(config)  # a new process, the same persistent job store
    outcomes, finished = [], asyncio.Event()

    def on_run(event) -> None:
        # The executor reports every run time it was given (run or missed) together, once all of them are done:
        # the first report of the catch-up is the moment every (wrong) extra run would already be recorded.
        if event.job_id == "overdue-scan":
            outcomes.append(event.code)
            finished.set()

    after.add_listener(on_run, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    after.start()
    try:
        await wait_for_event(finished, 30, "the catch-up run of the overdue scan")
        runs = job_runs(config.db_path, "overdue-scan")
        next_run = after.get_job("overdue-scan").next_run_time
    finally:
        after.shutdown(wait=False)
    assert outcomes == [EVENT_JOB_EXECUTED]  # one run; the missed ones were collapsed into it, not replayed or skipped
    assert len(runs) == 1 and runs[0]["error"] is None and runs[0]["finished_at"]
    assert next_run >= installed_at + dt.timedelta(minutes=1)  # the schedule goes on: nothing else is due before it


async def test_jobs_have_fixed_ids_primitive_arguments_and_the_configured_digest_time(tmp_path):  # an asyncio scheduler runs in a loop
    db = tmp_path / "motcua.db"
    Services.open(db)
    settings = Settings.from_env(env={"MOTCUA_DB": str(db), "MOTCUA_DIGEST_TIME": "06:45"})
    config = SchedulerConfig.from_settings(settings)
    scheduler = build_scheduler(config)
    install_jobs(scheduler, config)
    scheduler.start(paused=True)
    try:
        install_jobs(scheduler, config)  # a restart installs again: replaced, not doubled
        jobs = {job.id: job for job in scheduler.get_jobs()}
        digest = jobs["daily-digest"].next_run_time.astimezone(VN_TZ)
    finally:
        scheduler.shutdown(wait=False)
    assert sorted(jobs) == ["broadcast-reports", "daily-backup", "daily-digest", "eid-tips", "leader-weekly", "legal-review",
                            "overdue-scan", "retention", "sender", "status-notices", "task-warnings"]
    assert all(isinstance(arg, (str, int, float)) for job in jobs.values() for arg in job.args)
    assert all(job.coalesce for job in jobs.values())
    assert (digest.hour, digest.minute) == (6, 45)


def test_only_one_scheduler_per_deployment(tmp_path):
    first, second = DeploymentLock(str(tmp_path / "motcua.db")), DeploymentLock(str(tmp_path / "motcua.db"))
    assert first.acquire() is True
    assert second.acquire() is False
    first.release()
    assert second.acquire() is True
    second.release()


async def test_a_standby_scheduler_runs_nothing_while_the_first_holds_the_lock(tmp_path, monkeypatch):
    config = config_for(tmp_path, status_every_seconds=1)
    holder = DeploymentLock(config.db_path)
    assert holder.acquire()
    refusals = []
    real_acquire = DeploymentLock.acquire

    def acquire(lock: DeploymentLock) -> bool:  # the real lock, watched: every time the standby found it taken
        taken = real_acquire(lock)
        if not taken:
            refusals.append(lock)
        return taken

    monkeypatch.setattr(DeploymentLock, "acquire", acquire)
    stop = asyncio.Event()
    standby = asyncio.ensure_future(run_scheduler(config, {}, stop, standby_every=0.05))
    try:
        await wait_until(lambda: len(refusals) >= 3, 30, "the standby to find the lock taken three times")
        # It is waiting, not working: no job was installed in the job store (a started scheduler installs its eight
        # before anything else) and none ran.
        assert not standby.done()
        assert installed_jobs(config.db_path) == [] and job_runs(config.db_path) == []
        holder.release()  # the first scheduler stopped: the standby takes over
        await wait_until(lambda: job_runs(config.db_path, "status-notices"), 30, "the standby's first status run")
        assert installed_jobs(config.db_path) == ["broadcast-reports", "daily-backup", "daily-digest", "eid-tips", "leader-weekly",
                                                  "legal-review", "overdue-scan", "retention", "sender", "status-notices", "task-warnings"]
    finally:
        stop.set()
        await within(standby, 30, "the scheduler to stop")


async def test_the_scheduler_tells_a_subscriber_of_a_status_change(tmp_path):
    config = config_for(tmp_path, status_every_seconds=1, sender_every_seconds=1)
    store = Services.open(config.db_path)
    citizen = store.users.seen("telegram", "555", "Lan")
    store.users.set_consent(citizen.id, True)
    now = dt.datetime.now(VN_TZ)
    store.dossiers.upsert([{"code": "HS-9", "status": "received", "received_at": now, "due_at": now + dt.timedelta(days=3)}],
                          source="demo", now=now)
    store.subscriptions.add("telegram:555", "dossier:HS-9")
    stop = asyncio.Event()
    async with TelegramStandIn() as api:
        bot = build_bot(TelegramConfig(token=api.token, api_url=api.base_url))
        async with bot:
            running = asyncio.ensure_future(run_scheduler(config, {"telegram": TelegramSender(bot)}, stop,
                                                          sender_config=SenderConfig(poll=0.2)))
            await wait_until(lambda: job_runs(config.db_path, "status-notices"), 30,
                             "the first status run (it sets the cursor)")
            store.dossiers.upsert([{"code": "HS-9", "status": "additions_requested", "additions_note": "Thiếu tờ khai"}],
                                  source="demo")
            (message,) = await api.wait_for_messages(555, 1, timeout=20)
            stop.set()
            await within(running, 30, "the scheduler to stop")
    assert "HS-9" in message["text"] and "Yêu cầu bổ sung hồ sơ" in message["text"]
