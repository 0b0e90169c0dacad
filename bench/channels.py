"""Channel benchmark: latency under an open-loop load and the highest sustained throughput, motcua vs bare Rasa.

    .venv/bin/python bench/channels.py [--workers 1 2] [--rate 40] [--users 200] [--duration 30]

What is measured, on this machine, everything on 127.0.0.1:

- **motcua over Telegram**: a server process (the web app with the Telegram channel of
  ``bot/channels/telegram.py`` in webhook mode, python-telegram-bot's real Application path) over the
  in-process assistant (``--workers 1``) or a :class:`bot.conversation.workers.WorkerPool` (``--workers 2``). The
  Telegram stand-in (``tests/standins/telegram_api.py``) plays Telegram: it POSTs each update to
  ``/telegram/webhook`` with the secret header and records when each ``sendMessage``/``sendDocument``
  arrives. Latency = from the update's POST starting to the first reply to that chat arriving.
- **motcua web chat** (``POST /api/chat`` of the same server), latency at the offered rate only: the
  same server without Telegram's two extra HTTP calls per message.
- **bare Rasa**: ``rasa run -m models/motcua.tar.gz --enable-api`` (REST channel,
  ``POST /webhooks/rest/webhook``; default in-memory tracker store) with ``rasa run actions --actions actions``
  on another port, same model, same messages. Latency = request to response.

For each, after a warm-up (every question once, from other users, at ``--warmup-rate``): (a) p50/p95
at an open-loop offered load (``--rate`` messages/s, Poisson arrivals, from ``--users`` users in turn, so
a user's messages are ``users/rate`` seconds apart on average), and (b) the offered rate stepped up
(``--step-duration`` seconds a step) until p95 passes ``--p95-limit`` or fewer than 99 % of messages are
answered: the highest step that held is the sustained throughput, the delivered rate of the step that
broke is the saturation throughput. A reply later than 20 s after the last send is not counted; before
the next phase the server may finish what it was sent. CPU: user+system seconds of the server's
processes (and of this process, the load generator and Telegram stand-in) per answered message during
(a); ``cpu_bound_capacity_estimate`` = cores / that, the rate the machine could carry if nothing else ran. Messages: the held-out
questions of ``bench/data`` (real Vietnamese wording, with and without diacritics), drawn with a fixed
seed, so every target gets the same sequence. The machine is shared (other sessions may run tests):
the load average before each phase is in the results; compare ratios within one run.

Prints JSON and writes ``bench/results/channels.json``. ``--serve`` is the internal server mode.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "bench_secret_0123456789"
SEND_METHODS = {"sendmessage", "senddocument", "sendphoto"}
QUESTION_SETS = [ROOT / "bench" / "data" / "nlu_heldout.yml", ROOT / "bench" / "data" / "nlu_heldout_v2.yml"]


# helpers --------------------------------------------------------------------------------------
def questions() -> List[str]:
    """Every held-out question (realistic citizen wording), without duplicates, in file order."""
    seen: Dict[str, None] = {}
    for path in QUESTION_SETS:
        for message in yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]:
            seen.setdefault(message["text"], None)
    return list(seen)


def percentile(values: List[float], q: float) -> Optional[float]:
    """The q-th percentile (nearest rank) of ``values``, or None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def machine() -> Dict[str, Any]:
    """nproc, CPU model, memory, Python."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), "0")
    return {"nproc": os.cpu_count(), "cpu": model, "memory_gib": round(int(mem) / 2**20, 1),
            "python": platform.python_version(), "loadavg_start": os.getloadavg()}


def cpu_seconds(root_pid: int, descendants: bool = True) -> float:
    """User+system CPU seconds of a process and (by default) all its descendants (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: Dict[int, tuple] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))  # ppid, utime+stime
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += stats.get(pid, (0, 0))[1]
        todo += [p for p, (ppid, _) in stats.items() if ppid == pid] if descendants else []
    return total / tick


async def wait_http(url: str, timeout: float, ok=lambda status: status == 200) -> None:
    """Poll ``url`` until it answers ``ok`` or ``timeout`` seconds pass."""
    import aiohttp

    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as response:
                    if ok(response.status):
                        return
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not come up within {timeout} s")
            await asyncio.sleep(0.5)


# one message in flight -------------------------------------------------------------------------
@dataclasses.dataclass
class Sent:
    """One message of the load: who, when it left, when its first reply arrived, how many replies."""

    user: int
    t0: float
    t1: Optional[float] = None
    replies: int = 0
    failed: bool = False


class RestTarget:
    """A JSON-over-HTTP channel: bare Rasa's REST channel or motcua's web chat."""

    def __init__(self, name: str, url: str, body) -> None:
        self.name, self.url, self.body = name, url, body
        self.session = None
        self.tasks: set = set()

    async def start(self) -> None:
        import aiohttp

        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=2000),
                                             timeout=aiohttp.ClientTimeout(total=120))

    def fire(self, user: int, text: str) -> Sent:
        sent = Sent(user, time.monotonic())
        task = asyncio.ensure_future(self._post(sent, text))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return sent

    async def _post(self, sent: Sent, text: str) -> None:
        try:
            async with self.session.post(self.url, json=self.body(sent.user, text)) as response:
                payload = await response.json(content_type=None)
                if response.status != 200:
                    raise RuntimeError(response.status)
            sent.t1 = time.monotonic()
            sent.replies = len(payload.get("replies", []) if isinstance(payload, dict) else payload)
        except Exception:
            sent.failed = True

    def settle(self) -> None:
        """REST answers are recorded as they come."""

    def reset(self) -> None:
        """Nothing is kept between steps."""

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await self.session.close()


class TelegramTarget:
    """Updates pushed by the Telegram stand-in to the bot's webhook; replies recorded as the stand-in receives them."""

    name = "motcua_telegram"

    def __init__(self, api: Any, chat_base: int = 7_000_000_000) -> None:
        self.api = api
        self.chat_base = chat_base
        self.by_chat: Dict[int, List[Sent]] = {}
        self.seen_calls = 0

    async def start(self) -> None:
        """The stand-in runs already."""

    def fire(self, user: int, text: str) -> Sent:
        chat = self.chat_base + user
        sent = Sent(user, time.monotonic())
        self.by_chat.setdefault(chat, []).append(sent)
        self.api.push_message(chat, text, first_name=f"Dân {user}")
        return sent

    def settle(self) -> None:
        """Match the sends that arrived since last time to the messages they answer (the oldest unanswered one)."""
        calls = self.api.calls
        while self.seen_calls < len(calls):
            call = calls[self.seen_calls]
            if call.status == 0:  # still being read: look again later
                break
            self.seen_calls += 1
            if call.method.lower() not in SEND_METHODS or call.status != 200:
                continue
            waiting = [s for s in self.by_chat.get(int(call.params.get("chat_id") or 0), []) if s.t0 <= call.at]
            if not waiting:
                continue
            unanswered = [s for s in waiting if s.t1 is None]
            target = unanswered[0] if unanswered else waiting[-1]
            if target.t1 is None:
                target.t1 = call.at
            target.replies += 1

    def reset(self) -> None:
        """Forget the stand-in's records between steps (they hold every request)."""
        self.settle()
        self.api.clear()
        self.seen_calls = 0
        self.by_chat.clear()

    async def stop(self) -> None:
        """The stand-in is closed by its owner."""


# load ---------------------------------------------------------------------------------------------
async def offer(target: Any, rate: float, duration: float, users: int, texts: List[str], seed: int, *,
                grace: float = 20.0, drain: float = 180.0, user_base: int = 0, in_order: bool = False) -> Dict[str, Any]:
    """Send ``rate`` messages/s (Poisson) for ``duration`` s, users in turn; wait for the replies; summarise.

    Replies that come later than ``grace`` seconds after the last send are not counted; the server is then
    given up to ``drain`` seconds to finish what it was sent, so the next phase starts on an idle server.
    """
    rng = random.Random(seed)
    offsets, t = [], rng.expovariate(rate)
    while t < duration and (not in_order or len(offsets) < len(texts)):
        offsets.append(t)
        t += rng.expovariate(rate)
    loop = asyncio.get_running_loop()
    records: List[Sent] = []
    start = loop.time()
    for i, offset in enumerate(offsets):
        delay = start + offset - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        records.append(target.fire(user_base + i % users, texts[i % len(texts)] if in_order else rng.choice(texts)))
    send_end = loop.time()

    def settled() -> bool:
        target.settle()
        return all(r.t1 is not None or r.failed for r in records)

    while loop.time() < send_end + grace and not settled():
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # late extra replies (documents) of the last messages
    target.settle()
    answered = [r for r in records if r.t1 is not None and r.t1 <= send_end + grace]
    latencies = [r.t1 - r.t0 for r in answered]
    first, last = min(r.t0 for r in records), max((r.t1 for r in answered), default=send_end)
    summary = {
        "offered_rate": rate, "duration_s": duration, "sent": len(records), "answered": len(answered),
        "failed": sum(r.failed for r in records), "achieved_send_rate": round(len(records) / max(send_end - start, 1e-9), 1),
        "delivered_rate": round(len(answered) / max(last - first, 1e-9), 1),
        "p50_ms": _ms(percentile(latencies, 50)), "p95_ms": _ms(percentile(latencies, 95)),
        "p99_ms": _ms(percentile(latencies, 99)), "max_ms": _ms(max(latencies, default=None)),
        "replies_per_message": round(sum(r.replies for r in answered) / max(len(answered), 1), 2),
    }
    drain_end = loop.time() + drain
    while loop.time() < drain_end and not settled():
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.3)
    summary["unanswered_after_drain"] = sum(r.t1 is None and not r.failed for r in records)
    target.reset()
    return summary


def _ms(seconds: Optional[float]) -> Optional[float]:
    return None if seconds is None else round(seconds * 1000, 1)


async def measure(target: Any, args: argparse.Namespace, texts: List[str], pids: List[int], *, steps: bool = True,
                  warm_up: bool = True) -> Dict[str, Any]:
    """Warm up, then (a) latency at the offered rate, then (b) the throughput steps."""
    result: Dict[str, Any] = {}
    if warm_up:  # every question once, from other users (TensorFlow traces each new input shape once)
        warm = await offer(target, args.warmup_rate, 10_000, 50, texts, seed=1, user_base=100_000, in_order=True)
        result["warmup"] = {k: warm[k] for k in ("sent", "answered", "p50_ms", "p95_ms")}
    result["loadavg_before"] = os.getloadavg()
    cpu0, own0, main0 = sum(cpu_seconds(pid) for pid in pids), time.process_time(), cpu_seconds(pids[0], False)
    result["at_rate"] = await offer(target, args.rate, args.duration, args.users, texts, seed=args.seed)
    answered = max(result["at_rate"]["answered"], 1)
    result["at_rate"]["server_cpu_ms_per_message"] = round(1000 * (sum(cpu_seconds(pid) for pid in pids) - cpu0) / answered, 1)
    result["at_rate"]["server_main_process_cpu_ms_per_message"] = round(1000 * (cpu_seconds(pids[0], False) - main0) / answered, 1)
    result["at_rate"]["load_generator_cpu_ms_per_message"] = round(1000 * (time.process_time() - own0) / answered, 1)
    per_message = result["at_rate"]["server_cpu_ms_per_message"] + result["at_rate"]["load_generator_cpu_ms_per_message"]
    result["at_rate"]["cpu_bound_capacity_estimate"] = round(1000 * (os.cpu_count() or 1) / max(per_message, 1e-9), 1)
    print(f"  {target.name}: at {args.rate}/s {json.dumps(result['at_rate'])}", file=sys.stderr, flush=True)
    if not steps:
        return result
    result["steps"], rate, sustained = [], args.step_start, None
    while rate <= args.step_max:
        step = await offer(target, rate, args.step_duration, args.users, texts, seed=args.seed + int(rate))
        held = step["answered"] >= 0.99 * step["sent"] and step["p95_ms"] is not None and step["p95_ms"] <= args.p95_limit * 1000
        step["held"] = held
        result["steps"].append(step)
        print(f"  {target.name}: step {json.dumps(step)}", file=sys.stderr, flush=True)
        if not held:
            break
        sustained = step
        rate += args.step
        await asyncio.sleep(1)
    result["sustained_throughput"] = sustained["delivered_rate"] if sustained else None
    result["sustained_offered_rate"] = sustained["offered_rate"] if sustained else None
    result["saturation_throughput"] = result["steps"][-1]["delivered_rate"] if result["steps"] else None
    return result


# servers --------------------------------------------------------------------------------------------
def prepared_databases(folder: Path) -> Dict[str, str]:
    """A fresh motcua database (catalogue, ward, sample dossiers) and tracker path in ``folder``; their env."""
    from bot.loader import load_all
    from bot.settings import Settings

    env = {"MOTCUA_DB": str(folder / "motcua.db"), "MOTCUA_TRACKER_DB": str(folder / "tracker.db")}
    load_all(Settings.from_env(env=env))
    return env


class Server:
    """A child process, its output in a log file, stopped with SIGTERM (SIGKILL after 30 s)."""

    def __init__(self, name: str, argv: List[str], env: Dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        self.process = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **env},
                                        stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


async def bare_rasa(args: argparse.Namespace, texts: List[str], folder: Path) -> Dict[str, Any]:
    """Bare ``rasa run`` (REST) with ``rasa run actions`` on the same model and the same messages."""
    folder.mkdir(parents=True, exist_ok=True)
    env = prepared_databases(folder)
    action_port, rasa_port = free_port(), free_port()
    (folder / "endpoints.yml").write_text(f"action_endpoint:\n  url: \"http://127.0.0.1:{action_port}/webhook\"\n")
    rasa = str(ROOT / ".venv" / "bin" / "rasa")
    servers = [Server("actions", [rasa, "run", "actions", "--actions", "actions", "-p", str(action_port)], env,
                      folder / "actions.log")]
    try:
        await wait_http(f"http://127.0.0.1:{action_port}/health", 120)
        servers.append(Server("rasa", [rasa, "run", "-m", str(args.model), "--enable-api", "-i", "127.0.0.1",
                                       "-p", str(rasa_port), "--endpoints", str(folder / "endpoints.yml")],
                              env, folder / "rasa.log"))
        await wait_http(f"http://127.0.0.1:{rasa_port}/status", 300)
        target = RestTarget("bare_rasa_rest", f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook",
                            lambda user, text: {"sender": f"bench-{user}", "message": text})
        await target.start()
        try:
            # the action server is a second process: count both
            result = await measure(target, args, texts, [s.process.pid for s in reversed(servers)])  # rasa first
            result["note"] = "rasa run (1 Sanic worker, in-memory tracker store) + rasa run actions, 2 processes"
            return result
        finally:
            await target.stop()
    finally:
        for server in reversed(servers):
            server.stop()


async def motcua(args: argparse.Namespace, texts: List[str], folder: Path, workers: int) -> Dict[str, Any]:
    """motcua's server (``--serve``) with ``workers``: Telegram through the stand-in, then the web chat."""
    from tests.standins.telegram_api import TelegramStandIn

    folder.mkdir(parents=True, exist_ok=True)
    env = prepared_databases(folder)
    port = free_port()
    async with TelegramStandIn() as api:
        env.update({"MOTCUA_TELEGRAM_TOKEN": api.token, "MOTCUA_TELEGRAM_MODE": "webhook",
                    "MOTCUA_TELEGRAM_API_URL": api.base_url, "MOTCUA_TELEGRAM_SECRET": SECRET,
                    "MOTCUA_TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook"})
        argv = [sys.executable, str(Path(__file__).resolve()), "--serve", "--port", str(port), "--workers", str(workers)]
        if args.profile:
            argv += ["--profile-file", str(folder / "server.prof")]
        if args.telegram_concurrency:
            argv += ["--telegram-concurrency", str(args.telegram_concurrency)]
        if args.worker_niceness is not None:
            argv += ["--worker-niceness", str(args.worker_niceness)]
        server = Server(f"motcua-{workers}", argv, env, folder / "server.log")
        try:
            await wait_http(f"http://127.0.0.1:{port}/healthz", 300)
            await api.wait_for(lambda: api.webhook["url"], timeout=60)
            result: Dict[str, Any] = {"workers": workers}
            result["telegram"] = await measure(TelegramTarget(api), args, texts, [server.process.pid])
            web = RestTarget("motcua_webchat", f"http://127.0.0.1:{port}/api/chat",
                             lambda user, text: {"user": f"bench-{user}", "text": text})
            await web.start()
            try:
                result["webchat"] = await measure(web, args, texts, [server.process.pid], steps=args.webchat_steps,
                                                  warm_up=False)  # the same server, warm already
            finally:
                await web.stop()
            return result
        finally:
            server.stop()


# the server mode ------------------------------------------------------------------------------------------
async def serve(port: int, workers: int, concurrent_updates: Optional[int] = None, niceness: Optional[int] = None) -> None:
    """Web chat + Telegram (webhook) over the assistant or a worker pool, until SIGTERM."""
    from aiohttp import web

    from bot.channels import webchat
    from bot.channels.telegram import TelegramConfig, start_telegram, stop_telegram
    from bot.conversation.engine import Assistant
    from bot.conversation.workers import WorkerPool
    from bot.services import shared_services
    from bot.settings import Settings

    settings = Settings.from_env()
    pool_options = {} if niceness is None else {"niceness": niceness}
    assistant: Any = await WorkerPool(settings, workers=workers, **pool_options).start() if workers > 1 else await Assistant.load(settings)
    app = webchat.create_app(assistant)
    config = TelegramConfig.from_settings(settings)
    if concurrent_updates:  # the channel's default otherwise
        config = dataclasses.replace(config, concurrent_updates=concurrent_updates)
    handle = await start_telegram(assistant, shared_services(str(settings.db_path)), config, web_app=app)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print(f"serving on 127.0.0.1:{port} with {workers} worker(s)", flush=True)
    await stop.wait()
    await stop_telegram(handle)
    await runner.cleanup()
    if workers > 1:
        await assistant.close()


def main() -> int:
    """Run the benchmark (or, with ``--serve``, the server under test)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="motcua runs to make (1 = in-process; none = bare Rasa only)")
    parser.add_argument("--rate", type=float, default=40.0, help="offered load for the latency measure, messages/s")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load for the latency measure")
    parser.add_argument("--step-start", type=float, default=10.0)
    parser.add_argument("--step", type=float, default=10.0)
    parser.add_argument("--step-max", type=float, default=200.0)
    parser.add_argument("--step-duration", type=float, default=12.0)
    parser.add_argument("--p95-limit", type=float, default=1.0, help="seconds: a step whose p95 passes this did not hold")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--warmup-rate", type=float, default=12.0, help="messages/s of the warm-up (every question once)")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "motcua.tar.gz")
    parser.add_argument("--skip-rasa", action="store_true")
    parser.add_argument("--webchat-steps", action="store_true", help="also step the web chat's load up")
    parser.add_argument("--telegram-concurrency", type=int, help="PTB's concurrent_updates (default: the channel's)")
    parser.add_argument("--worker-niceness", type=int, help="the pool's worker niceness (default: the pool's)")
    parser.add_argument("--profile", action="store_true", help="cProfile the server's main process (server.prof)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "channels.json")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--profile-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return _serve_main(args)
    return asyncio.run(_bench(args))


def _serve_main(args: argparse.Namespace) -> int:
    """The server process: optionally under cProfile."""
    workers = args.workers[0]
    if args.profile_file:
        import cProfile

        profiler = cProfile.Profile(time.process_time)  # CPU time: the machine is shared
        profiler.enable()
        try:
            asyncio.run(serve(args.port, workers, args.telegram_concurrency, args.worker_niceness))
        finally:
            profiler.disable()
            profiler.dump_stats(args.profile_file)
        return 0
    asyncio.run(serve(args.port, workers, args.telegram_concurrency, args.worker_niceness))
    return 0


async def _bench(args: argparse.Namespace) -> int:
    texts = questions()
    results: Dict[str, Any] = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]), "machine": machine(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"), "questions": len(texts),
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k not in ("serve", "port")},
        "note": "shared 2-core machine: other sessions may run tests at the same time; compare ratios within one run",
    }
    with tempfile.TemporaryDirectory(prefix="motcua-bench-") as tmp:
        if not args.skip_rasa:
            print("bare rasa …", file=sys.stderr, flush=True)
            results["bare_rasa"] = await bare_rasa(args, texts, Path(tmp) / "rasa")
        for workers in args.workers:
            print(f"motcua, {workers} worker(s) …", file=sys.stderr, flush=True)
            results[f"motcua_{workers}"] = await motcua(args, texts, Path(tmp) / f"motcua{workers}", workers)
            if args.profile:
                (args.out.parent / f"channels_server_{workers}.prof").write_bytes((Path(tmp) / f"motcua{workers}" / "server.prof").read_bytes())
    results["ratios"] = ratios(results, args.workers)
    results["machine"]["loadavg_end"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


def ratios(results: Dict[str, Any], workers: List[int]) -> Dict[str, Any]:
    """motcua over bare Rasa: p95 at the offered rate (lower is better) and throughput (higher is better)."""
    bare = results.get("bare_rasa")
    out: Dict[str, Any] = {}
    for n in workers:
        ours = results.get(f"motcua_{n}", {}).get("telegram")
        if not bare or not ours:
            continue

        def ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
            return round(a / b, 2) if a and b else None

        out[f"motcua_{n}_vs_bare_rasa"] = {
            "p95_at_rate": ratio(ours["at_rate"]["p95_ms"], bare["at_rate"]["p95_ms"]),
            "sustained_throughput": ratio(ours.get("sustained_throughput"), bare.get("sustained_throughput")),
            "saturation_throughput": ratio(ours.get("saturation_throughput"), bare.get("saturation_throughput")),
        }
    return out


if __name__ == "__main__":
    sys.exit(main())
