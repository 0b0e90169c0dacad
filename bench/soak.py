"""Soak benchmark (issue 14): N minutes of mixed traffic on every channel, officials' reports, broadcasts and faults.

    .venv/bin/python bench/soak.py --model models/motcua.tar.gz                 # 30 minutes, 1,000 users
    .venv/bin/python bench/soak.py --minutes 1 --users 50                       # a smoke run (no model: payloads only)

The server is ``motcua serve`` itself (bot.cli._serve in its own process, see bench/standins.py) over the trained
model (``--model``; without it the model-free :class:`bench.standins.PayloadAssistant`, which answers dossier-status
buttons and officials' commands but no free text: a smoke run of the harness, not the soak). Around it, in this
process, the Telegram stand-in (the channel in webhook mode: the stand-in POSTs each update to ``/telegram/webhook``)
and the Zalo stand-in (signed events POSTed to ``/zalo/webhook``; replies and broadcasts through the OA message API).

Traffic, for ``--minutes``: ``--users`` simulated citizens (40 % web chat, 30 % Telegram, 30 % Zalo) send ``--rate``
messages a second in all (Poisson arrivals, a random user each): questions in words and dossier codes (with the model)
or dossier-status buttons (without). An official (Telegram) asks ``/baocao`` or ``/chiso`` every ``--report-every``
seconds. A community team member (Telegram) broadcasts to ``--subscribers`` subscribers of their area (10 % on Zalo, a
few blocked the bot) at the start and every ``--broadcast-every`` minutes, through ``/bantin`` and the "Gửi" button.

Faults: each send to the stand-ins fails with probability ``--fault-rate`` (5 %): Telegram 429 with ``retry_after``
1-3 s, 500, 502 and slow answers (5 s; the message is delivered late), Zalo HTTP 500, error -200, HTTP 429 and slow
answers. They hit citizens' replies as well as the outbox's sends. ``--sender-timeout`` (4 s) is the outbox sender's
time-out, so a slow answer is a time-out for it: the notice is retried and, as the platform took it, arrives twice; the
sender marks such attempts ``in_doubt`` (bot/delivery/sender.py) and the duplicates are counted apart.

Reported: messages, answered, unanswered (no reply reached the stand-in or the browser), errors (HTTP errors of the web
chat and the webhooks), p50/p95/p99 latency (overall and by channel; from sending to the first reply), the officials'
reports, the server's resident memory after the warm-up and at the end (growth ≤ 10 %), and the outbox against the
stand-ins after the load (:func:`bench.standins.tally`: lost 0, duplicated 0 — apart from those in doubt), each
broadcast's lost and duplicated recipients, and the server log's ERROR lines.

Prints the JSON and a short table; writes ``bench/results/soak.json`` (``--out``).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import random
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import standins as h  # noqa: E402

CHANNEL_SHARES = (("web", 0.4), ("telegram", 0.3), ("zalo", 0.3))
REPORTS = ("/baocao tháng này", "/chiso tháng này")


def users_of(count: int) -> List[tuple]:
    """(channel, address) of each simulated citizen."""
    out, start = [], 0
    for channel, share in CHANNEL_SHARES:
        n = round(count * share) if channel != CHANNEL_SHARES[-1][0] else count - start
        for i in range(start, start + n):
            out.append((channel, {"web": f"soak-{i}", "telegram": str(600_000_000 + i),
                                  "zalo": str(8_100_000_000_000_000_000 + i)}[channel]))
        start += n
    return out


async def officials(traffic: h.Traffic, every: float, stop: asyncio.Event, chat: int) -> None:
    """The official asks a report every ``every`` seconds."""
    n = 0
    while not stop.is_set():
        traffic.send("telegram", str(chat), REPORTS[n % len(REPORTS)], kind="official")
        n += 1
        try:
            await asyncio.wait_for(stop.wait(), timeout=every)
        except asyncio.TimeoutError:
            pass


async def broadcasts(api: Any, team: int, every: float, stop: asyncio.Event, log: List[Dict[str, Any]], run_id: str) -> None:
    """The team member broadcasts now and every ``every`` seconds."""
    n = 0
    while not stop.is_set():
        n += 1
        marker = f"Bản tin thử {run_id}-{n}: lịch hỗ trợ cài VNeID tại nhà văn hóa Khu 3"
        entry: Dict[str, Any] = {"n": n, "marker": marker, "recipients": None}
        try:
            entry["recipients"], _ = await h.broadcast_from_telegram(api, team, marker, timeout=60)
        except Exception as error:  # noqa: BLE001 - a preview lost to an injected fault: try again next time
            entry["error"] = f"{type(error).__name__}: {str(error)[:120]}"
        log.append(entry)
        try:
            await asyncio.wait_for(stop.wait(), timeout=every)
        except asyncio.TimeoutError:
            pass


def by_channel(records: List[h.Message]) -> Dict[str, Any]:
    groups = collections.defaultdict(list)
    for m in records:
        groups[m.channel if m.kind == "citizen" else m.kind].append(m)
    return {k: h.summary(v) for k, v in sorted(groups.items())}


def log_errors(path: Path) -> Dict[str, Any]:
    """The server log's ERROR lines and tracebacks, counted by (the line before, the exception it ended with)."""
    if not path.exists():
        return {}
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    found: collections.Counter = collections.Counter()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("Traceback"):
            before = lines[i - 1] if i else ""
            j = i + 1
            while j < len(lines) and (lines[j].startswith((" ", "\t", "Traceback", "During handling", "The above")) or not lines[j]):
                j += 1
            found[f"{before[:120]} -> {lines[j][:160] if j < len(lines) else '?'}"] += 1
            i = j + 1
            continue
        if " ERROR " in line or line.startswith("ERROR"):
            found[line[:200]] += 1
        i += 1
    return {"count": sum(found.values()), "kinds": dict(found.most_common(15))}


async def run(args: argparse.Namespace, folder: Path) -> Dict[str, Any]:
    base = h.deployment(folder)
    db = Path(base["MOTCUA_DB"])
    population = h.add_subscribers(db, args.subscribers, zalo_share=0.1, blocked=max(1, args.subscribers // 200),
                                   unsubscribed=max(1, args.subscribers // 200), decoys=max(2, args.subscribers // 50))
    team, official = h.add_member(db), h.add_official(db)
    texts = h.citizen_texts(h.dossier_codes(db), bool(args.model))
    citizens = users_of(args.users)
    port = h.free_port()
    run_id = f"{dt.datetime.now():%H%M%S}"
    rng = random.Random(args.seed)
    telegram_faults = (429, 500, 502, "slow")
    async with h.TelegramStandIn(fault_rate=args.fault_rate, fault_kinds=telegram_faults, seed=args.seed) as api, \
            h.ZaloFaults(fault_rate=args.fault_rate, seed=args.seed) as zalo:
        for chat in population.blocked:
            api.block(chat)
        env = h.server_env(base, port, api, zalo, MOTCUA_SENDER_TIMEOUT=str(args.sender_timeout))
        served = h.Served(folder, env, port, args.model)
        memory: List[tuple] = []
        try:
            await served.ready(api)
            async with h.Traffic(served, api, zalo) as traffic:
                duration = args.minutes * 60
                warm_s = min(60.0, duration / 6)
                # warm-up: the same traffic, not counted; then the memory at the start
                await h.poisson(args.rate, warm_s, lambda i: traffic.send(*rng.choice(citizens), rng.choice(texts)), rng)
                warm_report = traffic.send("telegram", str(official), REPORTS[0], kind="official")  # loads the charts
                await traffic.settled(traffic.records, timeout=60)
                first = len(traffic.records)
                warm_up = {"messages": first, "report_answered": warm_report.t1 is not None}
                rss_start = h.rss_mb(served.pid)
                memory.append((0, rss_start))
                stop = asyncio.Event()
                sent_broadcasts: List[Dict[str, Any]] = []
                side = [asyncio.ensure_future(officials(traffic, args.report_every, stop, official)),
                        asyncio.ensure_future(broadcasts(api, team, args.broadcast_every * 60, stop, sent_broadcasts, run_id))]
                started = time.monotonic()

                async def sample_memory() -> None:
                    while not stop.is_set():
                        await asyncio.sleep(30)
                        memory.append((round(time.monotonic() - started), h.rss_mb(served.pid)))

                side.append(asyncio.ensure_future(sample_memory()))
                await h.poisson(args.rate, duration, lambda i: traffic.send(*rng.choice(citizens), rng.choice(texts)), rng)
                stop.set()
                await asyncio.gather(*side, return_exceptions=True)
                records = traffic.records[first:]
                await traffic.settled(records, timeout=60)
                rss_end = h.rss_mb(served.pid)
                memory.append((round(time.monotonic() - started), rss_end))
                # let the outbox finish (retries back off), then count
                deadline = time.monotonic() + args.drain
                while time.monotonic() < deadline and h.open_rows(db) > 0:
                    await asyncio.sleep(1)
                still_open = h.open_rows(db)
            await api.settled()
        finally:
            served.stop()
        outbox = h.tally(db, api, zalo)
        expected = population.expected()
        per_broadcast = []
        for entry in sent_broadcasts:
            copies = h.broadcast_copies(api, zalo, entry["marker"])
            queued = h.queued_rows(db, entry["marker"])  # the confirmation may be lost to a fault; the outbox knows
            per_broadcast.append({**{k: v for k, v in entry.items() if k != "marker"}, "queued": queued, "received": len(copies),
                                  "lost": len(expected - set(copies)) if queued else None,
                                  "duplicated": sum(n - 1 for n in copies.values() if n > 1),
                                  "unexpected": len(set(copies) - expected)})
        injected = {"telegram": collections.Counter(), "zalo": dict(zalo.injected)}
        for call in api.calls:
            if call.method.lower() in h.SEND_METHODS and call.status not in (0, 200):
                injected["telegram"][str(call.status)] += 1
        injected["telegram"] = dict(injected["telegram"])
    citizens_only = [m for m in records if m.kind == "citizen"]
    overall = h.summary(citizens_only)
    growth = round(rss_end / rss_start - 1, 4) if rss_start and rss_end else None
    return {
        "assistant": f"trained model {args.model}" if args.model else
        "model-free PayloadAssistant (dossier-status buttons and officials' commands; a smoke run of the harness)",
        "settings": {"minutes": args.minutes, "users": args.users, "rate_per_s": args.rate, "subscribers": args.subscribers,
                     "fault_rate": args.fault_rate, "sender_timeout_s": args.sender_timeout,
                     "report_every_s": args.report_every, "broadcast_every_min": args.broadcast_every},
        "warm_up": {**warm_up, "seconds": warm_s}, "citizens": overall, "by_channel": by_channel(records),
        "memory_mb": {"start": rss_start, "end": rss_end, "growth": growth, "samples": memory},
        "faults_seen_at_standins": injected,
        "broadcasts": per_broadcast,
        "outbox_against_standins": {**outbox, "open_after_drain": still_open},
        "server_log_errors": log_errors(folder / "server.log"),
        "targets": {"memory_growth_le_10pct": growth is not None and growth <= 0.10,
                    "notifications_lost_0": outbox["lost"] == 0 and all(b["lost"] in (0, None) for b in per_broadcast),
                    "notifications_duplicated_0": outbox["duplicated"] == 0,
                    "duplicates_only_in_doubt": outbox["duplicated_unexplained"] == 0},
    }


def table(result: Dict[str, Any]) -> str:
    c, m, o = result["citizens"], result["memory_mb"], result["outbox_against_standins"]
    rows = [("assistant", result["assistant"]),
            ("citizens' messages / answered / unanswered / errors", f"{c['messages']} / {c['answered']} / {c['unanswered']} / {c['errors']}"),
            ("latency p50 / p95 / p99", f"{c['p50_ms']} / {c['p95_ms']} / {c['p99_ms']} ms"),
            ("officials' reports answered", f"{result['by_channel'].get('official', {}).get('answered')} of "
                                            f"{result['by_channel'].get('official', {}).get('messages')}"),
            ("broadcasts queued / tried", f"{sum(1 for b in result['broadcasts'] if b['queued'])} / {len(result['broadcasts'])}"),
            ("server RSS start / end (growth)", f"{m['start']} / {m['end']} MB ({m['growth']}; ≤ 0.10)"),
            ("outbox rows / lost / duplicated (in doubt)", f"{o['outbox_rows']} / {o['lost']} / {o['duplicated']} ({o['duplicated_in_doubt']})"),
            ("still open after drain", str(o["open_after_drain"])),
            ("server log ERROR lines", str(result["server_log_errors"].get("count")))]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=3.0, help="citizens' messages a second, all channels together")
    parser.add_argument("--subscribers", type=int, default=1000, help="the team member's area's subscribers")
    parser.add_argument("--broadcast-every", type=float, default=10.0, help="minutes between broadcasts")
    parser.add_argument("--report-every", type=float, default=60.0, help="seconds between an official's reports")
    parser.add_argument("--fault-rate", type=float, default=0.05)
    parser.add_argument("--sender-timeout", type=float, default=4.0, help="MOTCUA_SENDER_TIMEOUT of the server (s)")
    parser.add_argument("--drain", type=float, default=300.0, help="seconds to let the outbox finish after the load")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--model", type=Path, help="the trained model (models/motcua.tar.gz)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "soak.json")
    return h.run_and_report("bench/soak.py", parser, run, table)


if __name__ == "__main__":
    sys.exit(main())
