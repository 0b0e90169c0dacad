"""Execution-report benchmark: Biểu 07a (counts, summary, chart, Excel) over 100,000 dossiers.

A script, not a test. It prints JSON and writes ``bench/results/officials.json``::

    .venv/bin/python bench/officials.py                     # 100,000 dossiers, seed 7
    .venv/bin/python bench/officials.py --dossiers 20000    # a quick look

The dossiers are written with ``executemany`` into a temporary database opened through bot.db (so it has the
schema and the indexes of the migrations): received from 1 Jan 2025 to 31 Oct 2026 (≈ 4,500 a month), 10 fields,
6 departments, 30 handlers, every channel and online level, 93 % closed (a tenth of those late, 2 % withdrawn or
stopped, 1 % without finished_at), 5 % open, 2 % not received. Then, in this warm process (imports done, as in the
running bot), each case is timed as the chat runs it (:func:`bot.officials.report_command.leader_report` with the
Excel: the period and the period before counted, the summary, the chart and the Excel made), best of
``--repeat``:

- ``month``: October 2026 (the monthly report); ``quarter``: Q3 2026; ``year``: 2026 to 31 October;
- ``everything``: 1 Jan 2025 – 31 Oct 2026, where every dossier counts (the worst case for the counting).

Each case also gives its parts (counting both periods, summary, chart, Excel) and the process's CPU time for the
whole (the wall time on a busy machine includes waiting for the CPU). Target: ≤ 0.5 s for each case.
The one-off imports (matplotlib, openpyxl) are timed apart: the bot pays them once per process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

started = time.perf_counter()
from bot.db import connect  # noqa: E402
from bot.officials.periods import between, month, quarter  # noqa: E402
from bot.officials.report import tally  # noqa: E402
from bot.officials.report_command import leader_report  # noqa: E402
from bot.officials.report_render import chart_png, excel_bytes, summary_text  # noqa: E402
from bot.timeutil import VN_TZ, iso  # noqa: E402

base_imports = time.perf_counter() - started

FIELDS = ["Hộ tịch", "Chứng thực", "Đăng ký, quản lý cư trú", "Đất đai", "Bảo trợ xã hội", "Hoạt động xây dựng",
          "Thành lập và hoạt động của hộ kinh doanh", "Nuôi con nuôi", "Cấp, quản lý căn cước", "Người có công"]
DEPARTMENTS = ["Tư pháp - Hộ tịch", "Công an phường", "Địa chính - Xây dựng", "Văn hóa - Xã hội", "Kinh tế", "Bộ phận Một cửa"]
FIRST_DAY, LAST_DAY = dt.date(2025, 1, 1), dt.date(2026, 10, 31)
NOW = dt.datetime(2026, 10, 31, 17, 30, tzinfo=VN_TZ)


def generate(path: Path, count: int, seed: int) -> None:
    """``count`` dossiers with a fixed seed (see the module docstring)."""
    rng = random.Random(seed)
    handlers = [f"Cán bộ {i:02d}" for i in range(30)]
    span = (LAST_DAY - FIRST_DAY).days + 1
    rows = []
    for i in range(count):
        day = FIRST_DAY + dt.timedelta(days=rng.randrange(span))
        received = dt.datetime.combine(day, dt.time(7 + rng.randrange(10), rng.randrange(60)), tzinfo=VN_TZ)
        due = received + dt.timedelta(days=rng.choice((0, 1, 3, 5, 7, 10, 15)), hours=rng.randrange(9))
        channel = rng.choices(("online", "in_person", "post"), (55, 40, 5))[0]
        level = rng.choice(("full", "partial", None)) if channel == "online" else None
        draw, finished = rng.random(), None
        if draw < 0.02:
            status = "not_received"
        elif draw < 0.07 and received > NOW - dt.timedelta(days=40):
            status = rng.choice(("received", "in_progress", "additions_requested", "financial_obligation"))
        else:
            status = rng.choices(("returned", "done", "withdrawn", "stopped"), (80, 16, 2, 2))[0]
            late = rng.random() < 0.1
            finished = (due + dt.timedelta(hours=rng.randrange(1, 72))) if late else received + (due - received) * rng.random()
            finished = min(finished, NOW)
        rows.append((
            f"000.00.12.H49-{day:%y%m%d}-{i:06d}", rng.choice(FIELDS), rng.choice(DEPARTMENTS), rng.choice(handlers), channel, level,
            iso(received), iso(due), iso(finished) if finished and rng.random() > 0.01 else None,
            iso(finished or NOW), status, "import:bench.csv",
        ))
    conn = connect(path)
    with conn:
        conn.execute("begin")
        conn.executemany(
            "insert into dossiers (code, field, department, handler, submission_channel, online_level, received_at, due_at,"
            " finished_at, updated_at, status, source) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("commit")
    conn.close()


def best(repeat: int, run, clock=time.perf_counter) -> float:
    """The best time of ``repeat`` runs by ``clock`` (wall by default), in milliseconds."""
    times = []
    for _ in range(repeat):
        start = clock()
        run()
        times.append((clock() - start) * 1000)
    return round(min(times), 1)


def measure(db, period, repeat: int) -> dict:
    """The whole report as the chat makes it, and its parts."""
    previous = period.previous()
    now_tally, before_tally = tally(db, period), tally(db, previous)
    report, before = now_tally.json(), before_tally.json()
    levels = now_tally.online_levels()
    parts = {
        "count_both_periods_ms": best(repeat, lambda: (tally(db, period).json(), tally(db, previous).json())),
        "summary_ms": best(repeat, lambda: summary_text(report, before, label=period.label)),
        "chart_ms": best(repeat, lambda: chart_png(report, before, label=period.label)),
        "excel_ms": best(repeat, lambda: excel_bytes(report, levels, label=period.label)),
    }
    total = best(repeat, lambda: leader_report(db, period, excel=True))
    cpu = best(repeat, lambda: leader_report(db, period, excel=True), time.process_time)
    return {"period": period.label, "counted": report["total"]["received"]["total"], "total_ms": total, "total_cpu_ms": cpu,
            **parts, "target_ms": 500, "share_of_target": round(total / 500, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "motcua.db"
        start = time.perf_counter()
        generate(path, args.dossiers, args.seed)
        generated = time.perf_counter() - start
        start = time.perf_counter()
        import matplotlib.backends.backend_agg  # noqa: F401  (the chart's imports, once per process)
        import matplotlib.figure  # noqa: F401
        import openpyxl  # noqa: F401
        heavy_imports = time.perf_counter() - start
        conn = connect(path)
        cases = {
            "month": month(2026, 10), "quarter": quarter(2026, 3), "year": between(dt.date(2026, 1, 1), LAST_DAY),
            "everything": between(FIRST_DAY, LAST_DAY),
        }
        results = {name: measure(conn, period, args.repeat) for name, period in cases.items()}
        conn.close()
    out = {
        "dossiers": args.dossiers, "seed": args.seed, "repeat": args.repeat, "generate_s": round(generated, 2),
        "imports_once_ms": {"bot": round(base_imports * 1000), "matplotlib_openpyxl": round(heavy_imports * 1000)},
        "cases": results, "machine": f"{platform.machine()} {platform.python_version()}",
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(out, ensure_ascii=False, indent=2))
    folder = ROOT / "bench" / "results"
    folder.mkdir(exist_ok=True)
    (folder / "officials.json").write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
