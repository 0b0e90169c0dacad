"""What the ward's operator reads: ``/healthz`` (200, or 503 naming the failing part) and ``/metrics`` (Prometheus text),
on a real web server over a real database, with the stand-in assistant (no model needed)."""

from __future__ import annotations

import os
import sqlite3
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.channels import operations, webchat
from bot.delivery.outbox import Outbox
from bot.health import HealthConfig
from bot.metrics import DELIVERIES, channel_of
from bot.services import Services
from bot.timeutil import utc_iso
from tests.standins.assistant import StandInAssistant


class Loaded(StandInAssistant):
    """The stand-in, saying whether its model is loaded as the real ones do (``health()``)."""

    def __init__(self) -> None:
        super().__init__()
        self.ready = True

    def health(self) -> dict:
        return {"ok": self.ready}


def scheduler_ran(db, seconds_ago: float = 0.0, job: str = "status-notices") -> None:
    """A run in job_runs, as the scheduler records one."""
    with sqlite3.connect(db) as conn:
        conn.execute("insert into job_runs (job, started_at, finished_at, result) values (?, ?, ?, '0')",
                     [job, utc_iso(time.time() - seconds_ago), utc_iso(time.time() - seconds_ago)])


@pytest.fixture
async def ops(tmp_path):
    """The web chat with /healthz and /metrics over a fresh database; the process 'started' an hour ago."""
    db = tmp_path / "motcua.db"
    store = Services.open(db)
    assistant = Loaded()
    app = webchat.create_app(assistant)
    operations.mount(app, assistant, HealthConfig(db_path=db, scheduler_stale=300, outbox_max_wait=900),
                     started=time.time() - 3600)
    runner = await webchat.serve(app, "127.0.0.1", 0)
    host, port = runner.addresses[0][:2]
    async with httpx.AsyncClient(base_url=f"http://{host}:{port}", timeout=30) as client:
        yield client, store, assistant, db
    await webchat.stop(runner)


async def test_healthz_is_200_when_every_part_is_healthy(ops):
    client, store, _, db = ops
    scheduler_ran(db, seconds_ago=20)
    response = await client.get("/healthz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok" and body["failing"] == []
    assert set(body["checks"]) == {"model", "database", "scheduler", "outbox"}
    assert body["checks"]["scheduler"]["last_job"] == "status-notices"
    assert 15 <= body["checks"]["scheduler"]["age_seconds"] < 300
    with sqlite3.connect(db) as conn:  # the probe really wrote
        assert conn.execute("select count(*) from heartbeats where name like 'healthz:%'").fetchone()[0] == 1


async def test_a_model_not_loaded_is_named(ops):
    client, _, assistant, db = ops
    scheduler_ran(db)
    assistant.ready = False
    response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["model"]


async def test_a_silent_scheduler_is_named(ops):
    client, _, _, db = ops
    scheduler_ran(db, seconds_ago=3600)  # its last run an hour ago: it stopped
    response = await client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["scheduler"] and body["checks"]["scheduler"]["age_seconds"] >= 3600


async def test_a_scheduler_that_never_ran_fails_once_the_process_is_old_enough(ops):
    client, _, _, _ = ops  # started an hour ago, job_runs empty
    body = (await client.get("/healthz")).json()
    assert body["failing"] == ["scheduler"] and body["checks"]["scheduler"]["last_run"] is None


async def test_a_notice_waiting_past_its_time_is_named_with_its_wait(ops):
    client, store, _, db = ops
    scheduler_ran(db)
    lan = store.users.seen("telegram", "42", "Lan")
    outbox = Outbox(db, clock=lambda: time.time() - 2000)  # written (and due) 2,000 s ago, never sent
    outbox.enqueue(lan, "tip:eid:1", "Mẹo 1")
    later = Outbox(db, clock=lambda: time.time() + 3600)  # due in an hour (office hours): not late
    later.enqueue(lan, "tip:eid:2", "Mẹo 2", not_before=time.time() + 3600)
    response = await client.get("/healthz")
    assert response.status_code == 503
    part = response.json()["checks"]["outbox"]
    assert response.json()["failing"] == ["outbox"]
    assert part["open"] == 2 and part["oldest_due_wait_seconds"] >= 2000 and part["oldest_pending_age_seconds"] >= 2000


async def test_a_database_that_cannot_be_written_is_named(ops, tmp_path):
    client, _, _, db = ops
    scheduler_ran(db)
    if os.geteuid() == 0:  # root writes through permissions: hold the write lock instead (the probe waits 2 s)
        blocker = sqlite3.connect(db, isolation_level=None)
        blocker.execute("begin immediate")
        try:
            response = await client.get("/healthz")
        finally:
            blocker.execute("rollback")
            blocker.close()
    else:
        os.chmod(db, 0o444)
        try:
            response = await client.get("/healthz")
        finally:
            os.chmod(db, 0o644)
    assert response.status_code == 503
    body = response.json()
    assert "database" in body["failing"] and body["checks"]["database"]["error"]


async def test_metrics_are_prometheus_text_with_the_outbox_from_the_database(ops):
    client, store, _, db = ops
    lan = store.users.seen("telegram", "42", "Lan")
    Outbox(db).enqueue(lan, "tip:eid:1", "Mẹo 1")
    await client.post("/api/chat", json={"user": "u1", "text": "khai sinh"})
    DELIVERIES.labels("telegram", "delivered").inc()
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    for name in ("motcua_messages", "motcua_fallbacks", "motcua_reply_seconds", "motcua_deliveries", "motcua_broadcasts",
                 "motcua_report_seconds", "motcua_legal_query_seconds", "motcua_outbox_depth", "motcua_outbox_notices",
                 "motcua_outbox_oldest_pending_seconds", "motcua_outbox_oldest_due_wait_seconds"):
        assert name in families, name
    assert families["motcua_outbox_depth"].samples[0].value == 1
    assert [s.labels for s in families["motcua_outbox_notices"].samples] == [{"state": "pending", "channel": "telegram"}]
    delivered = [s for s in families["motcua_deliveries"].samples
                 if s.name == "motcua_deliveries_total" and s.labels == {"channel": "telegram", "outcome": "delivered"}]
    assert delivered and delivered[0].value >= 1
    assert "Lan" not in response.text and "Mẹo" not in response.text  # counts only, never a person or a text


def test_channel_labels_are_a_small_fixed_set():
    assert [channel_of(c) for c in ("web:abc", "kiosk:s1", "telegram:42", "zalo:9", "cli", "../../x:1")] == \
        ["web", "kiosk", "telegram", "zalo", "other", "other"]


async def test_the_web_chat_alone_still_answers_healthz(tmp_path):
    runner = await webchat.serve(StandInAssistant(), "127.0.0.1", 0)
    host, port = runner.addresses[0][:2]
    try:
        async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as client:
            response = await client.get("/healthz")
    finally:
        await webchat.stop(runner)
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_the_grafana_dashboard_asks_only_for_metrics_the_server_exposes(ops):
    import json
    import re
    from pathlib import Path

    client, _, _, _ = ops
    exposed = set(re.findall(r"^# TYPE (\w+) (\w+)", (await client.get("/metrics")).text, flags=re.M))
    names = {name for name, _ in exposed}
    names |= {f"{name}_{suffix}" for name, kind in exposed for suffix in ("total", "bucket", "sum", "count")
              if kind in ("counter", "histogram")}
    dashboard = json.loads((Path(__file__).resolve().parent.parent / "docs" / "grafana-motcua.json").read_text(encoding="utf-8"))
    asked = {name for panel in dashboard["panels"] for target in panel["targets"] for name in re.findall(r"motcua_\w+", target["expr"])}
    assert asked and asked <= names, asked - names


SCRIPT = '''
import multiprocessing, sys


def answer_in_a_worker():
    from bot.metrics import IN_PROGRESS, MESSAGES
    MESSAGES.labels("web", "ask_fee").inc(3)
    IN_PROGRESS.inc()  # a worker that dies mid-answer: livesum drops it with the process


if __name__ == "__main__":
    from bot.cli import _metrics_across_processes
    directory = _metrics_across_processes()  # as `motcua serve --workers N` does, before prometheus_client is imported
    from bot.metrics import MESSAGES, exposition
    MESSAGES.labels("telegram", "greet").inc()
    from bot.metrics import process_gone
    for _ in range(2):  # two workers, started and reaped the way the pool does
        worker = multiprocessing.get_context("spawn").Process(target=answer_in_a_worker)
        worker.start()
        worker.join()
        process_gone(worker.pid)
    sys.stdout.write(exposition().decode())
'''


def test_with_several_workers_metrics_add_up_every_process(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "pool.py"
    script.write_text(SCRIPT, encoding="utf-8")
    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    result = subprocess.run([sys.executable, str(script)], cwd=root, env={**env, "PYTHONPATH": str(root)},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(result.stdout) for s in family.samples}
    assert samples[("motcua_messages_total", (("channel", "web"), ("intent", "ask_fee")))] == 6  # both workers
    assert samples[("motcua_messages_total", (("channel", "telegram"), ("intent", "greet")))] == 1  # the main process
    assert samples.get(("motcua_messages_in_progress", ()), 0) == 0  # the dead workers answer nothing any more
