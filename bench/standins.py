"""The harness shared by bench/broadcast.py and bench/soak.py: a served motcua against the Telegram and Zalo stand-ins.

What it gives them (everything on 127.0.0.1):

- :func:`deployment`: a fresh database (``motcua load`` of data/: catalogue, ward, sample dossiers) in a folder.
- :func:`add_subscribers`, :func:`add_member`, :func:`add_official`: the people, written with the project's own
  functions (``users.seen``, ``subscriptions.follow``/``choose_area``/``stop``, ``users.set_role``), so consent, areas
  and the consent log are what a citizen's taps would leave.
- :class:`Served`: the server under test in its own process: ``bot.cli._serve`` itself (the web chat, the kiosk,
  Telegram in webhook mode, the Zalo webhook, and the scheduler with the outbox's sender beside them, as
  ``motcua serve``), over the trained model (``--model``) or, without one, :class:`PayloadAssistant`.
- :class:`PayloadAssistant`: the model-free citizen path: the desk (bot/people/desk.py), then the real custom action
  of a payload message (``/check_dossier{"dossier_code": ...}``, ``/area_broadcast{...}``, ``/ask_report``) with the
  deployment's services, as Rasa runs it after its payload parsing; no NLU, no dialogue policy. Free text gets one
  fixed sentence.
- :class:`ZaloFaults`: the Zalo stand-in with a fault rate (HTTP 500, error -200, HTTP 429, slow answers) and a
  receive time on each call.
- :class:`Traffic`: messages from simulated users over the web chat (``POST /api/chat``), Telegram (the stand-in
  POSTs updates to the bot's webhook) and Zalo (signed events POSTed to ``/zalo/webhook``); the latency of a message
  is from its sending to the first reply received (the HTTP answer, or the first send to that chat at the stand-in).
- :func:`tally`: what reached the stand-ins against the outbox: every delivered row seen once, nothing else.

Run as ``python bench/standins.py --serve --port P [--model M]`` it is the server process (internal).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import dataclasses
import inspect
import json
import os
import random
import re
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.channels import Server, free_port, machine, percentile, prepared_databases, wait_http  # noqa: E402
from tests.standins.telegram_api import TelegramStandIn  # noqa: E402
from tests.standins.zalo_api import Fault, ZaloStandIn  # noqa: E402

__all__ = ["Served", "PayloadAssistant", "ZaloFaults", "Traffic", "TelegramStandIn", "deployment", "add_subscribers",
           "add_member", "add_official", "tally", "rss_mb", "machine", "percentile", "free_port", "summary"]

SECRET = "bench_secret_0123456789"
TEAM_CHAT = 900_000_001
OFFICIAL_CHAT = 900_000_002
AREA_ID, AREA_NAME = "khu-3", "Khu 3"
DEPARTMENT = "Tư pháp - Hộ tịch"
SEND_METHODS = {"sendmessage", "senddocument", "sendphoto"}
ZALO_CS = "/v3.0/oa/message/cs"
NOT_A_PAYLOAD = "Dạ, em đã nhận câu hỏi (chế độ đo không có mô hình: em chỉ trả lời các nút)."


# the deployment ---------------------------------------------------------------------------------------------------------
def deployment(folder: Path) -> Dict[str, str]:
    """A fresh database and tracker in ``folder``, data/ loaded; their ``MOTCUA_*`` environment."""
    folder.mkdir(parents=True, exist_ok=True)
    return prepared_databases(folder)


def dossier_codes(db: Path) -> List[str]:
    """The dossier codes of the loaded sample dossiers."""
    conn = sqlite3.connect(str(db))
    try:
        return [r[0] for r in conn.execute("select code from dossiers order by code")]
    finally:
        conn.close()


@dataclasses.dataclass
class Population:
    """Who a broadcast of the team member's area and topic must reach, and who it must not."""

    telegram: List[int]                 # consenting subscribers of the area and topic on Telegram
    zalo: List[str]                     # ... on Zalo (wrote within Zalo's 48 hours)
    blocked: List[int]                  # subscribers who blocked the bot (block them at the stand-in)
    unsubscribed: List[int]             # followed, then "hủy": nothing
    decoys: List[int]                   # consenting subscribers of another area or another topic: nothing

    def expected(self) -> set:
        """(channel, address) of every account the broadcast must reach once."""
        return {("telegram", str(c)) for c in self.telegram} | {("zalo", u) for u in self.zalo}

    def as_dict(self) -> Dict[str, int]:
        return {k: len(v) for k, v in dataclasses.asdict(self).items()}


def add_subscribers(db: Path, count: int, *, topic: str = "announcements", zalo_share: float = 0.2, blocked: int = 10,
                    unsubscribed: int = 10, decoys: int = 100, first_chat: int = 500_000_000, seed: int = 13) -> Population:
    """``count`` consenting subscribers of ``topic`` in the team member's area (a ``zalo_share`` on Zalo, the rest on
    Telegram, ``blocked`` of those having blocked the bot), plus ``unsubscribed`` who stopped and ``decoys`` who follow
    another topic or chose another area."""
    from bot.people.subscriptions import choose_area, follow, stop
    from bot.services import Services

    rng = random.Random(seed)
    store = Services.open(db)
    users, subs = store.users, store.subscriptions
    other_areas = [a for a in ("khu-1", "khu-2", "khu-4", "khu-5", "khu-6")]
    population = Population([], [], [], [], [])

    def one(channel: str, address: str, follow_topic: str, area: str) -> Any:
        account = users.seen(channel, address, f"Dân {address[-5:]}")
        follow(users, subs, account.conversation_id, topic=follow_topic)
        choose_area(users, subs, account.conversation_id, area)
        return account

    zalo_count = round(count * zalo_share)
    for i in range(count):
        if i < zalo_count:
            uid = str(7_000_000_000_000_000_000 + i)
            one("zalo", uid, topic, AREA_ID)
            population.zalo.append(uid)
        else:
            chat = first_chat + i
            one("telegram", str(chat), topic, AREA_ID)
            population.telegram.append(chat)
    for chat in rng.sample(population.telegram, min(blocked, len(population.telegram))):
        population.telegram.remove(chat)
        population.blocked.append(chat)
    for j in range(unsubscribed):
        chat = first_chat + count + j
        account = one("telegram", str(chat), topic, AREA_ID)
        stop(users, subs, account.conversation_id)
        population.unsubscribed.append(chat)
    other_topic = "tips" if topic != "tips" else "announcements"
    for j in range(decoys):
        chat = first_chat + count + unsubscribed + j
        if j % 2:
            one("telegram", str(chat), other_topic, AREA_ID)      # the area, another topic
        else:
            one("telegram", str(chat), topic, rng.choice(other_areas))  # the topic, another area
        population.decoys.append(chat)
    store.db.conn.close()
    return population


def _account(db: Path, chat: int, name: str, role: str, **where: str) -> None:
    from bot.services import Services

    store = Services.open(db)
    account = store.users.seen("telegram", str(chat), name)
    store.users.set_role(account.id, role, **where)
    store.users.set_consent(account.id, True)
    store.db.conn.close()


def add_member(db: Path, chat: int = TEAM_CHAT) -> int:
    """A community team member of the area (on Telegram, consenting: the delivery report reaches them)."""
    _account(db, chat, "Tổ viên Khu 3", "team", area=AREA_NAME)
    return chat


def add_official(db: Path, chat: int = OFFICIAL_CHAT) -> int:
    """An official of a department (on Telegram): /baocao and /chiso are theirs."""
    _account(db, chat, "Cán bộ Hộ tịch", "official", department=DEPARTMENT)
    return chat


QUESTIONS = [  # citizens' wording (not the held-out sets)
    "đăng ký khai sinh cần giấy tờ gì", "lệ phí chứng thực bản sao bao nhiêu", "lam giay ket hon o dau",
    "đăng ký thường trú mất bao lâu", "xin giấy xác nhận tình trạng hôn nhân", "cấp lại giấy khai sinh bị mất",
    "trích lục hộ tịch cần gì", "nộp hồ sơ đất đai ở quầy nào", "chứng thực chữ ký mất phí không",
    "đăng ký khai tử cho bố", "giờ làm việc của bộ phận một cửa",
]


def citizen_texts(codes: List[str], with_model: bool) -> List[str]:
    """What the chatting citizens send."""
    lookups = [f"/check_dossier{json.dumps({'dossier_code': c})}" for c in codes]
    if not with_model:
        return lookups
    return QUESTIONS + [f"hồ sơ {c} đến đâu rồi" for c in codes] + lookups



# the model-free assistant ---------------------------------------------------------------------------------------------------
INTENT_ACTIONS = {"check_dossier": "action_check_dossier", "area_broadcast": "action_area_broadcast",
                  "ask_report": "action_report", "ask_indicators": "action_indicators", "ask_counter": "action_counter_info"}
PAYLOAD = re.compile(r"^/(\w+)(\{.*\})?$", re.S)


class PayloadAssistant:
    """The desk, then the custom action of a payload message, with the deployment's services (see the module doc)."""

    def __init__(self, services: Any) -> None:
        import actions

        self.services = services
        self.actions = {a.name(): a for a in actions.build(services)}

    async def handle(self, user_id: str, text: str, metadata: Optional[dict] = None) -> list:
        from rasa_sdk import Tracker
        from rasa_sdk.executor import CollectingDispatcher

        from bot.delivery.reply import Reply
        from bot.phrases import EMPTY_MESSAGE_REPLY
        from bot.timeutil import now_vn

        text = (text or "").strip()
        if not text:
            return [Reply(EMPTY_MESSAGE_REPLY)]
        now = now_vn()
        taken = self.services.desk.handle(str(user_id), text, now)
        if taken is not None:
            return taken
        match = PAYLOAD.match(text)
        if not match or match[1] not in INTENT_ACTIONS:
            return [Reply(NOT_A_PAYLOAD)]
        try:
            entities = json.loads(match[2]) if match[2] else {}
        except ValueError:
            entities = {}
        if not isinstance(entities, dict):
            entities = {}
        message = {"text": text, "intent": {"name": match[1], "confidence": 1.0},
                   "entities": [{"entity": k, "value": v} for k, v in entities.items()], "metadata": metadata or {}}
        events = [{"event": "user", "text": text, "timestamp": now.timestamp(), "parse_data": message}]
        tracker = Tracker(str(user_id), dict(entities), message, events, False, None, {}, "action_listen")
        dispatcher = CollectingDispatcher()
        result = self.actions[INTENT_ACTIONS[match[1]]].run(dispatcher, tracker, {})
        if inspect.isawaitable(result):
            await result
        return [Reply(m.get("text") or "", [{"title": b["title"], "payload": b["payload"]} for b in m.get("buttons") or []])
                for m in dispatcher.messages if m.get("text") or m.get("buttons")] or [Reply(NOT_A_PAYLOAD)]


# the Zalo stand-in with faults -----------------------------------------------------------------------------------------------
class ZaloFaults(ZaloStandIn):
    """:class:`ZaloStandIn` whose message calls fail at ``fault_rate`` (a kind drawn from ``fault_kinds`` by a seeded
    random: ``"http500"``, ``"error"`` = -200 "send message failed", ``"http429"``, ``"slow"`` answers after
    ``slow_delay`` s), and whose calls carry ``at`` (``time.monotonic()`` when the request arrived)."""

    def __init__(self, *, fault_rate: float = 0.0, fault_kinds: Iterable[str] = ("http500", "error", "http429", "slow"),
                 slow_delay: float = 5.0, seed: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fault_rate, self.fault_kinds, self.slow_delay = fault_rate, tuple(fault_kinds), slow_delay
        self.rng = random.Random(seed)
        self.injected: collections.Counter = collections.Counter()

    def _record(self, request: Any, **kwargs: Any) -> Any:
        call = super()._record(request, **kwargs)
        call.at = time.monotonic()
        return call

    async def _fault(self, endpoint: str, call: Any) -> Any:
        from aiohttp import web

        if endpoint == "api" and call.path == ZALO_CS and self.fault_rate and self.rng.random() < self.fault_rate:
            kind = self.rng.choice(self.fault_kinds)
            self.injected[kind] += 1
            if kind == "http429":
                answer = web.Response(status=429, text="Too Many Requests", headers={"Retry-After": "1"})
                call.status, call.response = 429, "Too Many Requests"
                return answer
            self._faults.insert(0, Fault("error" if kind == "error" else kind, -200, self.slow_delay, "api"))
        return await super()._fault(endpoint, call)


# the server under test ----------------------------------------------------------------------------------------------------------
def server_env(base: Dict[str, str], port: int, telegram: TelegramStandIn, zalo: ZaloStandIn, **extra: str) -> Dict[str, str]:
    """The ``MOTCUA_*`` environment of a server on ``port`` whose Telegram and Zalo are the stand-ins."""
    access, refresh = zalo.issue_pair()
    env = dict(base)
    env.update({
        "MOTCUA_TELEGRAM_TOKEN": telegram.token, "MOTCUA_TELEGRAM_MODE": "webhook", "MOTCUA_TELEGRAM_API_URL": telegram.base_url,
        "MOTCUA_TELEGRAM_SECRET": SECRET, "MOTCUA_TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
        "MOTCUA_ZALO_APP_ID": zalo.app_id, "MOTCUA_ZALO_OA_SECRET": zalo.oa_secret, "MOTCUA_ZALO_APP_SECRET": zalo.app_secret,
        "MOTCUA_ZALO_ACCESS_TOKEN": access, "MOTCUA_ZALO_REFRESH_TOKEN": refresh, "MOTCUA_ZALO_API_URL": zalo.url,
        "MOTCUA_ZALO_OAUTH_URL": zalo.url,
        "MOTCUA_SCHEDULER_DB": str(Path(base["MOTCUA_DB"]).with_name("scheduler.db")),
    })
    env.update(extra)
    return env


class Served:
    """``bot.cli._serve`` in a child process (see :func:`serve_main`), with its output in ``folder/server.log``."""

    def __init__(self, folder: Path, env: Dict[str, str], port: int, model: Optional[Path]) -> None:
        argv = [sys.executable, str(Path(__file__).resolve()), "--serve", "--port", str(port)]
        if model:
            argv += ["--model", str(Path(model).resolve())]
        for key in [k for k in os.environ if k.startswith("MOTCUA_")]:
            del os.environ[key]  # the child inherits this environment: it sees only the bench's MOTCUA_* settings
        self.server = Server("motcua", argv, env, folder / "server.log")
        self.port, self.url = port, f"http://127.0.0.1:{port}"

    @property
    def pid(self) -> int:
        return self.server.process.pid

    async def ready(self, telegram: TelegramStandIn, timeout: float = 600) -> None:
        """Wait for the web chat to answer and the Telegram webhook to be set."""
        await wait_http(f"{self.url}/healthz", timeout)
        await telegram.wait_for(lambda: telegram.webhook["url"], timeout=120, what="the bot's setWebhook")

    def stop(self) -> None:
        self.server.stop()


def serve_main(port: int, model: Optional[str]) -> int:
    """The server process: ``motcua serve`` (bot.cli._serve) over the model, or the :class:`PayloadAssistant`."""
    import bot.cli as cli
    from bot.settings import Settings

    settings = Settings.from_env()
    if model:
        async def assistant(s: Any) -> Any:
            from bot.conversation.engine import Assistant

            return await Assistant.load(s, Path(model))
    else:
        async def assistant(s: Any) -> Any:
            from bot.services import shared_services

            return PayloadAssistant(shared_services(str(s.db_path)))
    cli._assistant = assistant  # the one thing that differs from `motcua serve`
    return asyncio.run(cli._serve(settings, "127.0.0.1", port, workers=1, scheduler=True))


def run_and_report(script: str, parser: argparse.ArgumentParser, run: Any, table: Any) -> int:
    """Parse the bench's arguments (``--model`` must exist when given), run it (``run(args, folder)`` in a temporary
    folder), write its JSON to ``args.out``, print it and the table: what bench/broadcast.py and bench/soak.py share."""
    import datetime as dt
    import tempfile

    args = parser.parse_args()
    if args.model and not args.model.exists():
        parser.error(f"no model at {args.model}")
    info = {"command": " ".join([".venv/bin/python", script, *sys.argv[1:]]), "machine": machine(),
            "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    with tempfile.TemporaryDirectory(prefix=f"motcua-{Path(script).stem}-") as folder:
        result = {**info, **asyncio.run(run(args, Path(folder)))}
    result["machine"]["loadavg_end"] = os.getloadavg()
    text = json.dumps(result, ensure_ascii=False, indent=2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    print(table(result), file=sys.stderr)
    return 0


def rss_mb(pid: int) -> Optional[float]:
    """Resident memory of ``pid`` and its children, in MB (psutil when installed, else /proc)."""
    try:
        import psutil  # type: ignore

        process = psutil.Process(pid)
        return round(sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 1e6, 1)
    except ImportError:
        pass
    except Exception:
        return None
    total, todo, seen = 0, [pid], set()
    parents: Dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
        todo += [p for p, parent in parents.items() if parent == current]
    return round(total / 1e6, 1) if total else None


# traffic -----------------------------------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Message:
    """One message of the load: its channel, who, when it left, when its first reply arrived."""

    channel: str
    user: str
    text: str
    t0: float
    kind: str = "citizen"
    t1: Optional[float] = None
    replies: int = 0
    error: Optional[str] = None


class Traffic:
    """Sends messages as users of the web chat, Telegram and Zalo, and matches the replies to them."""

    def __init__(self, served: Served, telegram: TelegramStandIn, zalo: ZaloStandIn) -> None:
        self.served, self.telegram, self.zalo = served, telegram, zalo
        self.records: List[Message] = []
        self.waiting: Dict[Tuple[str, str], List[Message]] = collections.defaultdict(list)
        self._seen_telegram = self._seen_zalo = 0
        self._tasks: set = set()
        self.session: Any = None

    async def __aenter__(self) -> "Traffic":
        import aiohttp

        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=500),
                                             timeout=aiohttp.ClientTimeout(total=120))
        return self

    async def __aexit__(self, *exc: Any) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.session.close()

    def send(self, channel: str, user: str, text: str, kind: str = "citizen") -> Message:
        """``user`` (a web id, a Telegram chat id, a Zalo user id) writes ``text`` on ``channel``."""
        message = Message(channel, str(user), text, time.monotonic(), kind)
        self.records.append(message)
        if channel == "web":
            self._spawn(self._web(message))
        elif channel == "telegram":
            self.waiting[("telegram", str(user))].append(message)
            self.telegram.push_message(int(user), text, first_name=f"Dân {str(user)[-4:]}")
        elif channel == "zalo":
            self.waiting[("zalo", str(user))].append(message)
            self._spawn(self._zalo(message))
        else:
            raise ValueError(channel)
        return message

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _web(self, message: Message) -> None:
        try:
            async with self.session.post(f"{self.served.url}/api/chat", json={"user": message.user, "text": message.text}) as response:
                body = await response.json(content_type=None)
                if response.status != 200:
                    message.error = f"web HTTP {response.status}"
                    return
            message.t1 = time.monotonic()
            message.replies = len(body.get("replies") or [])
        except Exception as error:  # noqa: BLE001 - counted, not raised
            message.error = f"web {type(error).__name__}"

    async def _zalo(self, message: Message) -> None:
        event = self.zalo.text_event(message.user, message.text)
        body, headers = self.zalo.signed(event)
        try:
            async with self.session.post(f"{self.served.url}/zalo/webhook", data=body, headers=headers) as response:
                if response.status != 200:
                    message.error = f"zalo webhook HTTP {response.status}"
        except Exception as error:  # noqa: BLE001
            message.error = f"zalo webhook {type(error).__name__}"

    def settle(self) -> None:
        """Match the sends that reached the stand-ins since last time to the oldest unanswered message of that chat."""
        calls = self.telegram.calls
        while self._seen_telegram < len(calls):
            call = calls[self._seen_telegram]
            if call.status == 0:
                break
            self._seen_telegram += 1
            if call.method.lower() in SEND_METHODS and call.status == 200:
                self._match(("telegram", str(call.params.get("chat_id"))), call.at)
        zcalls = self.zalo.calls
        while self._seen_zalo < len(zcalls):
            call = zcalls[self._seen_zalo]
            if call.status == 0:
                break
            self._seen_zalo += 1
            if call.path == ZALO_CS and call.status == 200 and isinstance(call.response, dict) and call.response.get("error") == 0:
                self._match(("zalo", str((call.json or {}).get("recipient", {}).get("user_id"))), getattr(call, "at", time.monotonic()))

    def _match(self, key: Tuple[str, str], at: float) -> None:
        pending = self.waiting.get(key)
        if not pending:
            return
        for message in pending:
            if message.t0 <= at:
                if message.t1 is None:
                    message.t1 = at
                    message.replies += 1
                    return
        pending[-1].replies += 1

    async def settled(self, records: List[Message], timeout: float) -> None:
        """Wait until every message of ``records`` has its reply or error (or ``timeout`` passes)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.settle()
            if all(m.t1 is not None or m.error for m in records):
                break
            await asyncio.sleep(0.05)
        self.settle()


def summary(records: List[Message]) -> Dict[str, Any]:
    """Messages, answered, errors and the latency percentiles (ms) of ``records``."""
    answered = [m for m in records if m.t1 is not None]
    latencies = [m.t1 - m.t0 for m in answered]

    def ms(value: Optional[float]) -> Optional[float]:
        return None if value is None else round(value * 1000, 1)

    errors = collections.Counter(m.error for m in records if m.error)
    return {"messages": len(records), "answered": len(answered),
            "unanswered": sum(1 for m in records if m.t1 is None and not m.error), "errors": sum(errors.values()),
            "errors_by_kind": dict(errors), "p50_ms": ms(percentile(latencies, 50)), "p95_ms": ms(percentile(latencies, 95)),
            "p99_ms": ms(percentile(latencies, 99)), "max_ms": ms(max(latencies, default=None))}


async def poisson(rate: float, duration: float, fire: Any, rng: random.Random, stop: Optional[asyncio.Event] = None) -> int:
    """Call ``fire(i)`` at Poisson arrivals of ``rate`` a second for ``duration`` s (or until ``stop``); returns how many."""
    loop = asyncio.get_running_loop()
    start, n, at = loop.time(), 0, rng.expovariate(rate)
    while at < duration and not (stop is not None and stop.is_set()):
        delay = start + at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        fire(n)
        n += 1
        at += rng.expovariate(rate)
    return n


# what reached the stand-ins against the outbox ---------------------------------------------------------------------------------
def received(telegram: TelegramStandIn, zalo: ZaloStandIn) -> collections.Counter:
    """Every accepted message at the stand-ins, counted by (channel, address, text)."""
    seen: collections.Counter = collections.Counter()
    for m in telegram.sent_messages():
        seen[("telegram", str(m["chat"]["id"]), (m.get("text") or m.get("caption") or "").strip())] += 1
    for m in zalo.messages:
        text = (m.get("message") or {}).get("text")
        if text is not None:
            seen[("zalo", str(m["recipient"].get("user_id")), text.strip())] += 1
    return seen


def tally(db: Path, telegram: TelegramStandIn, zalo: ZaloStandIn, event_prefix: str = "") -> Dict[str, Any]:
    """Outbox rows (of events starting with ``event_prefix``) against the stand-ins: a delivered row not received is
    lost, a second copy is a duplicate (``in_doubt`` says whether the sender knew it might be: an attempt whose outcome
    it never learnt); a row failed for a reason other than a block or a withdrawal, or still open, is counted too."""
    from bot.delivery.outbox import Outbox

    seen = received(telegram, zalo)
    outbox = Outbox(db)
    try:
        rows = [dict(r) for r in outbox.conn.execute("select * from outbox where event like ? order by id", [event_prefix + "%"])]
    finally:
        outbox.close()
    states = collections.Counter(r["state"] for r in rows)
    lost = duplicated = duplicated_in_doubt = 0
    failed_reasons: collections.Counter = collections.Counter()
    replies = [r for r in rows if r["event"].startswith("reply:")]  # late answers (bot/channels/late_replies.py)
    for row in rows:
        copies = seen.get((row["channel"], str(row["address"]), (row["text"] or "").strip()), 0)
        if row["state"] == "delivered":
            lost += copies == 0
        elif row["state"] == "failed":
            failed_reasons[(row["last_error"] or "?")[:60]] += 1
        # a late answer has the words of the citizen's other answers to the same question, sent directly: its copies
        # cannot be told apart by text, so only notices (alerts, broadcasts, tips) are counted for duplicates
        if copies > 1 and not row["event"].startswith("reply:"):
            duplicated += copies - 1
            duplicated_in_doubt += (copies - 1) if row["in_doubt"] else 0
    return {"outbox_rows": len(rows), "states": dict(states), "lost": lost, "duplicated": duplicated,
            "duplicated_in_doubt": duplicated_in_doubt, "duplicated_unexplained": duplicated - duplicated_in_doubt,
            "in_doubt_rows": sum(1 for r in rows if r["in_doubt"]), "failed_reasons": dict(failed_reasons),
            "late_replies": {"rows": len(replies), "delivered": sum(1 for r in replies if r["state"] == "delivered"),
                             "in_doubt": sum(1 for r in replies if r["in_doubt"])}}


def open_rows(db: Path, event_prefix: str = "") -> int:
    """Outbox rows (of ``event_prefix``) still pending or being sent."""
    conn = sqlite3.connect(str(db), timeout=30)
    try:
        return conn.execute("select count(*) from outbox where state in ('pending', 'sending') and event like ?",
                            [event_prefix + "%"]).fetchone()[0]
    finally:
        conn.close()


def queued_rows(db: Path, marker: str) -> int:
    """Outbox rows of the broadcast whose text has ``marker``."""
    conn = sqlite3.connect(str(db), timeout=30)
    try:
        return conn.execute("select count(*) from outbox where event like 'broadcast:%' and instr(text, ?) > 0",
                            [marker]).fetchone()[0]
    finally:
        conn.close()


# team members' broadcasts through the Telegram channel ---------------------------------------------------------------------------
def buttons_of(message: dict) -> List[dict]:
    """The inline buttons of a message the bot sent."""
    markup = message.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    return [b for row in markup.get("inline_keyboard") or [] for b in row]


async def broadcast_from_telegram(telegram: TelegramStandIn, chat: int, text: str, timeout: float = 300,
                                  read_for: float = 1.5) -> Tuple[int, float]:
    """The team member writes ``/bantin <text>``, reads the preview (``read_for`` seconds: a person reads before tapping,
    and Telegram wants a second between two messages to one chat), taps "Gửi cho N người"; returns (N as the bot's
    confirmation says, -1 when no confirmation came; when the tap was made)."""
    before = len(telegram.sent_messages(chat))
    telegram.push_message(chat, f"/bantin {text}")
    preview = (await telegram.wait_for_messages(chat, before + 1, timeout=timeout))[-1]
    send = next((b for b in buttons_of(preview) if b["text"].startswith("Gửi cho")), None)
    if send is None:
        raise RuntimeError(f"no send button in the preview: {preview.get('text')!r}")
    await asyncio.sleep(read_for)
    telegram.push_callback(chat, send["callback_data"], message_id=preview["message_id"])
    tapped = time.monotonic()

    def confirmation() -> Optional[str]:
        return next((m["text"] for m in telegram.sent_messages(chat) if "Đang gửi bản tin" in (m.get("text") or "")), None)

    try:
        await telegram.wait_for(confirmation, timeout=timeout, what="the broadcast's confirmation")
    except AssertionError:
        return -1, tapped
    found = re.search(r"tới ([\d.,]+) người", confirmation() or "")
    return (int(re.sub(r"\D", "", found.group(1))) if found else -1), tapped


def broadcast_copies(telegram: TelegramStandIn, zalo: ZaloStandIn, marker: str) -> collections.Counter:
    """How many copies of the broadcast whose text has ``marker`` each (channel, address) received."""
    def ours(text: Optional[str]) -> bool:
        return bool(text) and text.startswith("📢") and marker in text

    copies = collections.Counter(("telegram", str(m["chat"]["id"])) for m in telegram.sent_messages() if ours(m.get("text")))
    copies.update(("zalo", str(m["recipient"].get("user_id"))) for m in zalo.messages if ours((m.get("message") or {}).get("text")))
    return copies


def main() -> int:
    parser = argparse.ArgumentParser(description="internal: the server process of bench/broadcast.py and bench/soak.py")
    parser.add_argument("--serve", action="store_true")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model")
    args = parser.parse_args()
    return serve_main(args.port, args.model)


if __name__ == "__main__":
    sys.exit(main())
