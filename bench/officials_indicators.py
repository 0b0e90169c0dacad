"""Service-indicator benchmark: Decision 766's indicators over 1,000,000 dossiers (target ≤ 2 s).

A script, not a test. It prints JSON::

    .venv/bin/python bench/officials_indicators.py                       # 1,000,000 dossiers, seed 766
    .venv/bin/python bench/officials_indicators.py --dossiers 100000     # a quick look

A temporary database gets the schema of bot/db.py (every migration), the catalogue of data/procedures, and
``--dossiers`` dossiers spread over Jan 2022 – Oct 2026 from a fixed seed, written with one ``executemany`` in one
transaction, in the order they were received (as the platform sync and the imports write them; written in a random
order instead, the row lookups behind the year and the trend took about twice as long: 0.7–1.2 s and 1.6–2.0 s).
Then, on a fresh connection (cold statement caches, warm OS cache), it times
:func:`bot.officials.indicators.compute` for October 2026 (the month the CLI example asks for), for the whole
year 2026 to date, for March 2023 (an old month: the most dossiers finished after it), and
:func:`~bot.officials.indicators.monthly_trend` (12 months, what the chart draws), each the best of three runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.catalogue.procedures import load_catalogue  # noqa: E402
from bot.catalogue.repository import Catalogue  # noqa: E402
from bot.db import DOSSIER_COLUMNS, REPORT_COLUMNS, open_database  # noqa: E402
from bot.officials.indicators import compute, monthly_trend  # noqa: E402

START = dt.datetime(2022, 1, 1, 7, 30)
END = dt.datetime(2026, 10, 31, 17, 0)
NOW = dt.datetime(2026, 11, 2, 8, 0)
OPEN = ("received", "in_progress", "additions_requested", "financial_obligation")


def stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+07:00")


def generate(path: Path, total: int, seed: int) -> dict:
    """``total`` dossiers (fixed ``seed``) and the catalogue into a fresh database at ``path``."""
    started = time.perf_counter()
    db = open_database(path)
    Catalogue(db).replace(load_catalogue(ROOT / "data" / "procedures"))
    ids = [r["id"] for r in db.query("select id from procedures")]
    rng = random.Random(seed)
    columns = list({**DOSSIER_COLUMNS, **REPORT_COLUMNS})
    span = (END - START).total_seconds()

    offsets = sorted(rng.random() for _ in range(total))  # rows arrive in the order dossiers are received, as in a sync

    def row(i: int) -> tuple:
        received = START + dt.timedelta(seconds=offsets[i] * span)
        due = received + dt.timedelta(days=rng.choice((0, 1, 3, 5, 7, 10, 15)), hours=2)
        took = dt.timedelta(days=rng.random() * 18)
        finished = received + took
        online = rng.random() < 0.55
        if finished > NOW:
            status, finished_at = rng.choice(OPEN), None
        else:
            status, finished_at = rng.choices(("done", "returned", "stopped", "withdrawn", "not_received"),
                                              (55, 38, 3, 2, 2))[0], stamp(finished)
        values = {
            "code": f"H49-{received:%y%m%d}-{i:07d}", "procedure_id": rng.choice(ids), "status": status,
            "submission_channel": "online" if online else rng.choice(("in_person", "in_person", "post")),
            "online_level": rng.choice(("full", "partial")) if online else None,
            "received_at": stamp(received), "due_at": stamp(due), "finished_at": finished_at, "updated_at": stamp(received),
            "paid_online": int(online and rng.random() < 0.6), "result_digitised": int(rng.random() < 0.85),
            "dossier_digitised": int(rng.random() < 0.8), "supplement_requests": rng.choices((0, 1, 2), (85, 12, 3))[0],
            "department": rng.choice(("Tư pháp - Hộ tịch", "Địa chính - Xây dựng", "Văn hóa - Xã hội")), "source": "demo",
        }
        return tuple(values.get(c) for c in columns)

    conn = db.conn
    sql = f"insert into dossiers ({', '.join(columns)}) values ({', '.join('?' for _ in columns)})"
    conn.execute("begin")
    conn.executemany(sql, (row(i) for i in range(total)))
    conn.execute("commit")
    conn.close()
    return {"dossiers": total, "generate_seconds": round(time.perf_counter() - started, 1)}


def best_of(runs: int, work) -> tuple:
    """(best seconds, the last result) of ``runs`` runs of ``work()``."""
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return round(best, 3), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=766)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "motcua.db"
        made = generate(path, args.dossiers, args.seed)
        db = open_database(path)
        catalogue = Catalogue(db)
        results = {}
        for name, start, end in (("october_2026", dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
                                 ("year_2026", dt.date(2026, 1, 1), dt.date(2026, 10, 31)),
                                 ("march_2023", dt.date(2023, 3, 1), dt.date(2023, 3, 31))):
            seconds, report = best_of(3, lambda s=start, e=end: compute(db, catalogue, s, e))
            results[name] = {"seconds": seconds, "judged_2_1": report.counts["judged"], "received": report.counts["received"],
                             "rates": {i.spec.code: None if i.rate is None else round(i.rate, 4) for i in report.indicators}}
        seconds, trend = best_of(3, lambda: monthly_trend(db, catalogue, dt.date(2026, 10, 31)))
        results["trend_12_months"] = {"seconds": seconds, "months": len(trend)}
    print(json.dumps({"machine": platform.platform(), "python": platform.python_version(), **made, **results,
                      "target_seconds": 2.0}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
