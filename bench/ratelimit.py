"""Rate-limit benchmark: does a flood from one user slow the others? (issue 14: the quiet user's p95 during a
10-thread flood within 25 % of an idle machine's).

    .venv/bin/python bench/ratelimit.py [--duration 30] [--threads 10] [--no-model --cost-ms 80] [--no-limit]

A server process (``--serve``, the web chat of ``motcua serve`` with the deployment's rate limiter,
bot/channels/ratelimit.py, default settings unless ``MOTCUA_RATE_*`` are set) answers ``POST /api/chat`` on 127.0.0.1.
A quiet user asks one question every ``--quiet-interval`` seconds (within its limit), first on an idle server, then
while ``--threads`` OS threads flood the same server as fast as they can, all as one user (closed loop, keep-alive).
Latency of each quiet question = request to response. Reported: p50/p95 idle and during the flood, the ratio of the
p95s (target ≤ 1.25), and what the flood got (answered, refused with 429, failed).

Behind the chat: the trained model (default; run ``make run`` or ``motcua train`` first), or with ``--no-model`` the
real engine (input cleaning, the desk, replies) over a stand-in agent that holds the CPU ``--cost-ms`` per message
like the model's NLU and policies do, so the limiter's effect can be measured without a model. ``--no-limit`` turns
the limits off (``MOTCUA_RATE_PER_MINUTE=0``) for the contrast. Prints JSON and writes
``bench/results/ratelimit[-no-model][-no-limit].json``. The questions are written here (not the held-out sets).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.channels import free_port, percentile  # noqa: E402

QUESTIONS = ["đăng ký khai sinh cần giấy tờ gì", "lệ phí chứng thực bản sao bao nhiêu", "giờ làm việc của bộ phận một cửa",
             "đăng ký kết hôn mất bao lâu", "xin giấy xác nhận tình trạng hôn nhân ở đâu", "làm lại căn cước cần gì",
             "dang ky thuong tru can gi", "tra cứu hồ sơ"]




# the server ----------------------------------------------------------------------------------------------------------
class CostlyAgent:
    """Stands in for Rasa's agent (``--no-model``): holds the CPU ``cost`` seconds, then echoes the message."""

    def __init__(self, cost: float) -> None:
        self.cost = cost

    async def handle_message(self, message: Any) -> None:
        end = time.process_time() + self.cost
        while time.process_time() < end:
            pass
        await message.output_channel.send_response(message.sender_id, {"text": f"Trả lời: {message.text[:100]}"})


async def serve(port: int, no_model: bool, cost_ms: float) -> None:
    from bot.channels import webchat
    from bot.channels.ratelimit import RateConfig, RateLimiter
    from bot.conversation.engine import Assistant
    from bot.loader import load_all
    from bot.services import Services
    from bot.settings import Settings

    folder = Path(tempfile.mkdtemp(prefix="motcua-bench-ratelimit-"))
    settings = dataclasses.replace(Settings.from_env(), db_path=folder / "motcua.db", tracker_db_path=folder / "tracker.db")
    load_all(settings)
    if no_model:
        assistant: Any = Assistant(CostlyAgent(cost_ms / 1000), settings, Services.open(settings.db_path))
    else:
        assistant = await Assistant.load(settings)
    limiter = RateLimiter(RateConfig.from_settings(settings))
    app = webchat.create_app(assistant, limiter=limiter)
    runner = await webchat.serve(app, "127.0.0.1", port)
    print("ready", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await webchat.stop(runner)


# the load --------------------------------------------------------------------------------------------------------------
def wait_ready(url: str, timeout: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the server did not answer within {timeout} s")


def quiet_user(url: str, user: str, duration: float, interval: float) -> Dict[str, Any]:
    """One question every ``interval`` seconds for ``duration``; latencies of the answered ones (seconds)."""
    import httpx

    latencies: List[float] = []
    statuses: Dict[int, int] = {}
    start = time.monotonic()
    with httpx.Client(base_url=url, timeout=60) as client:
        n = 0
        while time.monotonic() - start < duration:
            due = start + n * interval
            time.sleep(max(0.0, due - time.monotonic()))
            sent = time.monotonic()
            response = client.post("/api/chat", json={"user": user, "text": QUESTIONS[n % len(QUESTIONS)]})
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code == 200:
                latencies.append(time.monotonic() - sent)
            n += 1
    return {"latencies": latencies, "statuses": statuses}


def flood(url: str, threads: int, stop: threading.Event) -> Dict[str, int]:
    """``threads`` threads posting as one user, as fast as the server answers, until ``stop``."""
    import httpx

    counts: Dict[str, int] = {"answered": 0, "refused_429": 0, "other": 0, "failed": 0}
    lock = threading.Lock()

    def run(index: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            n = 0
            while not stop.is_set():
                try:
                    status = client.post("/api/chat", json={"user": "flood", "text": f"{QUESTIONS[n % len(QUESTIONS)]} {index}-{n}"}).status_code
                    key = "answered" if status == 200 else "refused_429" if status == 429 else "other"
                except httpx.HTTPError:
                    key = "failed"
                with lock:
                    counts[key] += 1
                n += 1

    workers = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(threads)]
    for worker in workers:
        worker.start()
    stop.wait()
    for worker in workers:
        worker.join(60)
    return counts


def summary(latencies: List[float]) -> Dict[str, Any]:
    return {"n": len(latencies), "p50_ms": round(1000 * percentile(latencies, 50), 1) if latencies else None,
            "p95_ms": round(1000 * percentile(latencies, 95), 1) if latencies else None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of each phase (idle, flood)")
    parser.add_argument("--threads", type=int, default=10)
    parser.add_argument("--quiet-interval", type=float, default=2.5, help="seconds between the quiet user's questions")
    parser.add_argument("--no-model", action="store_true", help="the real engine over a CPU-holding stand-in agent")
    parser.add_argument("--cost-ms", type=float, default=80.0, help="CPU per message of the stand-in agent (--no-model)")
    parser.add_argument("--no-limit", action="store_true", help="rate limits off, for the contrast")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve, args.no_model, args.cost_ms))
        return 0

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, **({"MOTCUA_RATE_PER_MINUTE": "0", "MOTCUA_RATE_IP_PER_MINUTE": "0"} if args.no_limit else {})}
    argv = [sys.executable, str(Path(__file__).resolve()), "--serve", str(port), "--cost-ms", str(args.cost_ms)]
    server = subprocess.Popen(argv + (["--no-model"] if args.no_model else []), env=env, cwd=ROOT)
    try:
        wait_ready(url, 600)
        for i, question in enumerate(QUESTIONS):  # warm-up, from other users
            quiet_user(url, f"warm-{i}", 0.01, 1.0)
        idle = quiet_user(url, "quiet-idle", args.duration, args.quiet_interval)
        stop = threading.Event()
        flooded: Dict[str, Any] = {}
        flooder = threading.Thread(target=lambda: flooded.update(flood(url, args.threads, stop)), daemon=True)
        flooder.start()
        time.sleep(1.0)  # the flood is under way (its burst spent) before the quiet user starts
        during = quiet_user(url, "quiet-flood", args.duration, args.quiet_interval)
        stop.set()
        flooder.join(120)
    finally:
        server.terminate()
        server.wait(30)
    result = {
        "bench": "ratelimit", "model": not args.no_model, "cost_ms": args.cost_ms if args.no_model else None,
        "limits": "off" if args.no_limit else "default (MOTCUA_RATE_* or 30/min, burst 10)", "threads": args.threads,
        "duration_s": args.duration, "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                                 "load_avg": os.getloadavg()},
        "idle": {**summary(idle["latencies"]), "statuses": idle["statuses"]},
        "flood": {**summary(during["latencies"]), "statuses": during["statuses"], "flood_requests": flooded},
    }
    p95_idle, p95_flood = result["idle"]["p95_ms"], result["flood"]["p95_ms"]
    result["p95_ratio"] = round(p95_flood / p95_idle, 3) if p95_idle and p95_flood else None
    result["target_met"] = bool(result["p95_ratio"] is not None and result["p95_ratio"] <= 1.25
                                and during["statuses"].get(200, 0) == sum(during["statuses"].values()))
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    name = "ratelimit" + ("-no-model" if args.no_model else "") + ("-no-limit" if args.no_limit else "")
    out = ROOT / "bench" / "results" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
