"""The timing-sensitive tests, many runs in a row with both cores loaded by other processes (issue 9).

The tests that wait for something (a scheduler run, a sender's retry, a stand-in server's answer, a subprocess's
signal, a rate limit's window) are run ``--runs`` times in a row, each run a fresh pytest process, while ``--burners``
processes spin at normal priority so that the tests get at most a share of the cores, as on a busy CI machine. A test
that passes only when the machine is idle (a fixed sleep, a tight margin) fails here.

    .venv/bin/python bench/flaky.py [--runs 20] [--burners 2] [--workers 4] [FILE ...]

Prints one line a run and a summary; writes bench/results/flaky.json; exits 1 when any run failed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# the model-free tests that wait on time, events, threads, subprocesses or servers
TIMING_FILES = [
    "tests/test_scheduler.py", "tests/test_sender.py", "tests/test_telegram.py", "tests/test_zalo.py",
    "tests/test_webchat.py", "tests/test_late_replies.py", "tests/test_broadcasts.py", "tests/test_ratelimit.py",
    "tests/test_shutdown.py", "tests/test_backup.py", "tests/test_handoff.py", "tests/test_kiosk.py",
    "tests/test_webhook_auth.py", "tests/test_officials_channels.py", "tests/test_attachments.py",
    "tests/test_operations.py",
]


def burn(stop) -> None:  # pragma: no cover - runs in a child process
    """Spin until ``stop`` is set: one core's worth of load at normal priority."""
    n = 0
    while not stop.is_set():
        for _ in range(200_000):
            n += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", default=TIMING_FILES)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--burners", type=int, default=os.cpu_count() or 2, help="busy processes beside the tests")
    parser.add_argument("--workers", type=int, default=4, help="pytest-xdist workers, as `make test` runs them (0: none)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "flaky.json")
    args = parser.parse_args()
    if args.runs < 1 or args.burners < 0:
        parser.error("--runs must be ≥ 1 and --burners ≥ 0")
    stop = multiprocessing.Event()
    burners = [multiprocessing.Process(target=burn, args=(stop,), daemon=True) for _ in range(args.burners)]
    for process in burners:
        process.start()
    runs = []
    try:
        for number in range(1, args.runs + 1):
            start = time.monotonic()
            workers = ["-n", str(args.workers)] if args.workers else []
            result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not needs_model",
                                     *workers, *args.files], cwd=ROOT, capture_output=True, text=True)
            seconds = time.monotonic() - start
            summary = (result.stdout.strip().splitlines() or [""])[-1]
            runs.append({"run": number, "passed": result.returncode == 0, "seconds": round(seconds, 1), "summary": summary})
            print(f"run {number:2d}: {'passed' if result.returncode == 0 else 'FAILED'} in {seconds:.0f} s — {summary}", flush=True)
            if result.returncode != 0:
                failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
                runs[-1]["failed"] = failed
                print("\n".join(failed), flush=True)
    finally:
        stop.set()
        for process in burners:
            process.join(5)
    load = os.getloadavg()
    report = {"machine": platform.platform(), "cores": os.cpu_count(), "burners": args.burners, "workers": args.workers,
              "files": args.files,
              "runs": runs, "passed": sum(r["passed"] for r in runs), "load_average_at_end": load}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{report['passed']} of {len(runs)} runs passed with {args.burners} busy processes beside them "
          f"(load average at the end {load[0]:.1f}).")
    return 0 if report["passed"] == len(runs) else 1


if __name__ == "__main__":
    sys.exit(main())
