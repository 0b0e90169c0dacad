"""Delivery benchmark: the outbox sender against the Telegram stand-in in real-limits mode, and the overdue scan at scale.

A script, not a test. It prints JSON and writes ``bench/results/delivery.json``::

    .venv/bin/python bench/delivery.py                          # 10,000 notices to 2,000 chats, twice; 1,000,000 dossiers
    .venv/bin/python bench/delivery.py --count 600 --chats 200 --dossiers 100000   # a quick look

Delivery (``motcua send`` in its own process, the stand-in in this one, ``TelegramStandIn(enforce_limits=True)``:
429 above 30 sends in any second or a second send to one chat within 1 s):

1. ``clean``: one sender drains the outbox.
2. ``kill``: a sender is killed with SIGKILL when half the notices were accepted; a new one drains the rest.

For each: the delivered rate (accepted sends / time between the first and the last), lost (notices never
accepted), duplicates (extra copies of a notice), the stand-in's limit refusals and peak rates, and how many
notices the outbox marked ``in_doubt`` (attempts in flight at the kill: the only ones that could be duplicated).
Target: rate ≥ 95 % of 30/s, zero lost, zero duplicates.

Overdue scan: 1,000,000 dossiers written with ``executemany`` into a temporary database that has the schema of
bot/dossiers.py (its partial index included), then measured in a separate process (time, and the peak resident
memory of that process from ``getrusage``): ``store.dossiers.overdue(now)`` and the scheduler's overdue scan
(:func:`bot.notifications.overdue_alerts`, steady state). Target: ≤ 1 s and ≤ 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import json
import os
import platform
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.delivery.outbox import Outbox  # noqa: E402
from bot.services import Services  # noqa: E402
from tests.standins.telegram_api import TelegramStandIn  # noqa: E402

LIMIT = 30.0  # Bot FAQ: bulk notifications "not more than 30 messages per second or so"


def machine() -> dict:
    """What the numbers were measured on."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "load_average_1_5_15_at_start": os.getloadavg()}


# delivery ------------------------------------------------------------------------------------------------------------
def prepare(folder: Path, count: int, chats: int) -> Path:
    """A database with ``chats`` consenting Telegram accounts and ``count`` notices spread over them."""
    db = folder / "motcua.db"
    store = Services.open(db)
    with store.db.conn:
        store.db.conn.executemany(
            "insert into users (channel, channel_user_id, display_name, role, language, consent, created_at)"
            " values ('telegram', ?, ?, 'citizen', 'vi', 1, '2026-01-01T00:00:00+00:00')",
            [(str(100000 + i), f"Dân {i}") for i in range(chats)])
        store.db.conn.execute("update users set person_id = id")
    ids = [r[0] for r in store.db.conn.execute("select id from users order by id")]
    outbox = Outbox(db)
    outbox.conn.execute("begin")
    for n in range(count):
        outbox.enqueue(ids[n % chats], f"bench:{n}", f"Thông báo thử số {n}: hồ sơ của anh/chị đã được cập nhật.")
    outbox.conn.execute("commit")
    outbox.close()
    return db


async def spawn(db: Path, api: TelegramStandIn, *args: str) -> asyncio.subprocess.Process:
    """``motcua send`` in its own process against the stand-in, default pacing and leases."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    env.update({"MOTCUA_DB": str(db), "MOTCUA_TELEGRAM_TOKEN": api.token, "MOTCUA_TELEGRAM_API_URL": api.base_url,
                "PYTHONPATH": str(ROOT)})
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "send", *args, cwd=str(ROOT), env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)


async def delivery_run(count: int, chats: int, kill: bool) -> dict:
    """One run; the figures of what reached the stand-in."""
    with tempfile.TemporaryDirectory() as folder:
        db = prepare(Path(folder), count, chats)
        async with TelegramStandIn(enforce_limits=True) as api:
            started = time.monotonic()
            killed_at = None
            if kill:
                first = await spawn(db, api, "--forever")
                await api.wait_for(lambda: len(api.sent_messages()) >= count // 2, timeout=count)
                first.send_signal(signal.SIGKILL)
                await first.wait()
                killed_at = len(api.sent_messages())
            last = await spawn(db, api)
            await asyncio.wait_for(last.communicate(), timeout=count + 600)
            wall = time.monotonic() - started
            accepted = sorted(c.at for c in api.calls_to("sendMessage") if c.status == 200)
            refused = api.limit_violations
            refused_by = dict(collections.Counter(v.limit for v in api.violations))
            peak, peak_chat = api.peak_rate(), api.peak_chat_rate()
            copies = collections.Counter((m["chat"]["id"], m["text"]) for m in api.sent_messages())
        outbox = Outbox(db)
        counts, in_doubt = outbox.counts(), outbox.conn.execute("select count(*) from outbox where in_doubt > 0").fetchone()[0]
        expected = {(100000 + (n % chats), f"Thông báo thử số {n}: hồ sơ của anh/chị đã được cập nhật.") for n in range(count)}
        outbox.close()
    span = accepted[-1] - accepted[0] if len(accepted) > 1 else 0.0
    rate = (len(accepted) - 1) / span if span else 0.0
    return {
        "run": "kill" if kill else "clean", "notices": count, "chats": chats, "killed_after_accepted": killed_at,
        "accepted_sends": len(accepted), "seconds_first_to_last": round(span, 2), "wall_seconds": round(wall, 2),
        "delivered_rate_per_s": round(rate, 2), "rate_vs_30_per_s": round(rate / LIMIT, 4),
        "lost": len(expected - set(copies)), "duplicates": sum(n - 1 for n in copies.values() if n > 1),
        "unexpected": len(set(copies) - expected), "outbox": counts, "in_doubt_notices": in_doubt,
        "limit_refusals_429": refused, "limit_refusals_by_kind": refused_by, "peak_sends_in_1s": peak,
        "peak_sends_to_one_chat_in_1s": peak_chat,
    }


# overdue scan ---------------------------------------------------------------------------------------------------------------
def generate(path: Path, total: int, open_share: float, overdue_share: float, seed: int = 1) -> dict:
    """``total`` dossiers with the schema of bot/dossiers.py; returns what was made."""
    import sqlite_utils

    from bot.dossiers.records import CLOSED_STATUSES, COLUMNS, OPEN_STATUSES, Dossiers, iso
    from bot.workdays import VN_TZ

    rng = random.Random(seed)
    conn = sqlite3.connect(str(path))
    conn.execute("pragma journal_mode=wal")
    Dossiers(sqlite_utils.Database(conn))
    now = dt.datetime.now(VN_TZ).replace(microsecond=0)
    departments = ["Tư pháp – Hộ tịch", "Địa chính – Xây dựng", "Văn hóa – Xã hội", "Kinh tế", "Công an", "Lao động",
                   "Y tế", "Giáo dục"]
    handlers = [f"Cán bộ {i:02d}" for i in range(40)]
    columns = list(COLUMNS)
    sql = f"insert into dossiers ({', '.join(columns)}) values ({', '.join('?' for _ in columns)})"
    made = collections.Counter()

    def row(i: int) -> tuple:
        is_open = rng.random() < open_share
        if is_open:
            overdue = rng.random() < overdue_share
            due = now - dt.timedelta(minutes=rng.randint(1, 60 * 24 * 30)) if overdue else now + dt.timedelta(minutes=rng.randint(1, 60 * 24 * 30))
            status = rng.choice(OPEN_STATUSES)
            made["overdue" if overdue else "open_not_due"] += 1
        else:
            due = now - dt.timedelta(days=rng.randint(1, 1500))
            status = rng.choice(CLOSED_STATUSES)
            made["closed"] += 1
        received = due - dt.timedelta(days=rng.randint(1, 20))
        values = {"code": f"000.00.12.H49-{i:07d}", "procedure_code": "1.001193", "procedure_id": None,
                  "procedure_name": "Đăng ký khai sinh", "applicant_name": "Nguyễn Văn An", "applicant_phone": "0912345678",
                  "applicant_id_number": None, "received_at": iso(received), "due_at": iso(due),
                  "finished_at": None if is_open else iso(due), "status": status, "additions_note": None,
                  "department": rng.choice(departments), "handler": rng.choice(handlers), "submission_channel": "in_person",
                  "paid_online": 0, "result_digitised": 0, "updated_at": iso(received), "source": "demo"}
        return tuple(values[c] for c in columns)

    started = time.perf_counter()
    with conn:
        for start in range(0, total, 50_000):
            conn.executemany(sql, (row(i) for i in range(start, min(total, start + 50_000))))
    conn.execute("analyze")
    conn.close()
    return {"dossiers": total, **made, "generate_seconds": round(time.perf_counter() - started, 1)}


def measure(path: Path) -> dict:
    """In this (fresh) process: time the overdue queries, report the process's peak memory."""
    from bot.notifications.jobs import overdue_alerts
    from bot.workdays import VN_TZ

    baseline_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    store, outbox = Services.open(path), Outbox(path)
    now = dt.datetime.now(VN_TZ)
    # warm the page cache once (a running deployment has its database hot), then measure
    store.dossiers.overdue(now, limit=1)
    timings = {}
    started = time.perf_counter()
    rows = store.dossiers.overdue(now)
    timings["dossiers_overdue_all_seconds"] = round(time.perf_counter() - started, 3)
    timings["overdue_rows"] = len(rows)
    del rows
    started = time.perf_counter()
    overdue_alerts(store, outbox, now)  # the first scan records what is already overdue (no alerts)
    timings["first_scan_baseline_seconds"] = round(time.perf_counter() - started, 3)
    later = now + dt.timedelta(minutes=5)
    started = time.perf_counter()
    queued = overdue_alerts(store, outbox, later)  # a scheduled scan five minutes later
    timings["scan_seconds"] = round(time.perf_counter() - started, 3)
    timings["alerts_queued_by_scan"] = queued
    explain = [r[3] for r in store.db.conn.execute(
        "explain query plan select * from dossiers where status in ('new', 'received', 'in_progress', 'additions_requested',"
        " 'financial_obligation') and due_at < ? order by due_at", ["2026"])]
    timings["query_plan"] = explain
    timings["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    timings["interpreter_and_imports_rss_mb"] = round(baseline_rss / 1024, 1)
    return timings


def overdue_bench(total: int, open_share: float, overdue_share: float) -> dict:
    """Generate in one child process, measure in another."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dossiers.db"
        made = json.loads(subprocess.run([sys.executable, __file__, "--generate", str(path), "--dossiers", str(total),
                                          "--open-share", str(open_share), "--overdue-share", str(overdue_share)],
                                         check=True, capture_output=True, text=True).stdout)
        made["db_mb"] = round(path.stat().st_size / 1e6, 1)
        timings = json.loads(subprocess.run([sys.executable, __file__, "--measure", str(path)],
                                            check=True, capture_output=True, text=True).stdout)
    return {**made, **timings}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="notices per delivery run")
    parser.add_argument("--chats", type=int, default=2_000, help="distinct Telegram chats")
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--open-share", type=float, default=0.05, help="share of dossiers still open")
    parser.add_argument("--overdue-share", type=float, default=0.2, help="share of the open ones past due")
    parser.add_argument("--skip-delivery", action="store_true")
    parser.add_argument("--skip-overdue", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "delivery.json"))
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        print(json.dumps(generate(Path(args.generate), args.dossiers, args.open_share, args.overdue_share)))
        return 0
    if args.measure:
        print(json.dumps(measure(Path(args.measure)), ensure_ascii=False))
        return 0
    result = {"command": " ".join([".venv/bin/python", "bench/delivery.py", *sys.argv[1:]]), "machine": machine(),
              "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    if not args.skip_delivery:
        result["delivery"] = [asyncio.run(delivery_run(args.count, args.chats, kill=False)),
                              asyncio.run(delivery_run(args.count, args.chats, kill=True))]
    if not args.skip_overdue:
        result["overdue_scan"] = overdue_bench(args.dossiers, args.open_share, args.overdue_share)
    result["machine"]["load_average_1_5_15_at_end"] = os.getloadavg()  # other work on the machine skews the rates
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
