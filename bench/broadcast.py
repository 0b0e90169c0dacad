"""Broadcast benchmark (issue 13): a team member's broadcast to 10,000 subscribers while citizens chat.

    .venv/bin/python bench/broadcast.py --model models/motcua.tar.gz      # citizens' questions to the trained model
    .venv/bin/python bench/broadcast.py                                    # no model: the model-free reply path
    .venv/bin/python bench/broadcast.py --subscribers 300 --phase 20       # a smoke run

The server is ``motcua serve`` itself (bot.cli._serve in its own process, see bench/standins.py): the web chat, the
Telegram channel in webhook mode against the Telegram stand-in with the real limits enforced
(``TelegramStandIn(enforce_limits=True)``: 429 above 30 sends in any second or two sends to one chat within a second),
the Zalo webhook and sender against the Zalo stand-in, and the scheduler with the outbox's sender.

People: ``--subscribers`` consenting subscribers of the topic "ward announcements" in the team member's area (Khu 3),
``--zalo-share`` of them on Zalo (written within Zalo's 48 hours), the rest on Telegram, ``--blocked`` of the Telegram
ones having blocked the bot; ``--unsubscribed`` who followed and then stopped, and ``--decoys`` who follow another
topic or chose another area (none of these may get it).

The broadcast goes through the channel as a team member sends one: ``/bantin <text>`` on Telegram, the preview, a tap
on "Gửi cho N người" (the real action, the real outbox and sender). Citizens chat at ``--rate`` messages a second
through the web chat (``POST /api/chat``) from ``--users`` users, in three phases of the same load: ``before`` (no
broadcast, ``--phase`` seconds), ``during`` (from the confirmation until the last Telegram subscriber got it) and
``after`` (no broadcast, ``--phase`` seconds). With ``--model`` they ask questions and dossier codes in words (the
trained assistant); without it they tap "tra cứu hồ sơ" buttons (``/check_dossier{"dossier_code": ...}``): the desk
and the dossier action over the same database, the web chat and the event loop that also run the sender, without
the NLU.

Counted at the stand-ins: the delivered rate on Telegram (accepted broadcast sends, first to last) against Telegram's
30 messages a second, lost (an expected subscriber who got nothing), duplicated (a second copy), unexpected (someone
who should not have got it), the stand-in's limit refusals, and the outbox against the stand-ins
(:func:`bench.standins.tally`). Targets: rate ≥ 95 % of 30/s, 0 lost, 0 duplicated, citizens' p95 during the
broadcast ≤ 120 % of before.

Prints a short table and the JSON, and writes ``bench/results/broadcast.json`` (``--out``).
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
from typing import Any, Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import standins as h  # noqa: E402

LIMIT = 30.0  # Bot FAQ: bulk notifications "not more than 30 messages per second or so"

async def chat_phase(traffic: "h.Traffic", rate: float, duration: float, users: int, texts: List[str], seed: int,
                     until: Optional[asyncio.Event] = None, name: str = "") -> List[Any]:
    """Citizens chat through the web chat for ``duration`` s (or until ``until``); their messages."""
    rng = random.Random(seed)
    first = len(traffic.records)
    sent = await h.poisson(rate, duration, lambda i: traffic.send("web", f"bench-{name}-{i % users}", rng.choice(texts)), rng,
                         stop=until)
    records = traffic.records[first:first + sent]
    await traffic.settled(records, timeout=60)
    return records


async def run(args: argparse.Namespace, folder: Path) -> Dict[str, Any]:
    base = h.deployment(folder)
    db = Path(base["MOTCUA_DB"])
    started = time.monotonic()
    population = h.add_subscribers(db, args.subscribers, zalo_share=args.zalo_share, blocked=args.blocked,
                                 unsubscribed=args.unsubscribed, decoys=args.decoys)
    team = h.add_member(db)
    setup_s = round(time.monotonic() - started, 1)
    texts = h.citizen_texts(h.dossier_codes(db), bool(args.model))
    port = h.free_port()
    marker = f"Lịch hỗ trợ cài VNeID mức 2 tại nhà văn hóa Khu 3 (bản tin thử {dt.datetime.now():%H%M%S})"
    async with h.TelegramStandIn(enforce_limits=True) as api, h.ZaloFaults() as zalo:
        for chat in population.blocked:
            api.block(chat)
        served = h.Served(folder, h.server_env(base, port, api, zalo), port, args.model)
        try:
            await served.ready(api)
            async with h.Traffic(served, api, zalo) as traffic:
                warm = await chat_phase(traffic, args.rate, min(10.0, args.phase), args.users, texts, 1, name="warm")
                rss_start = h.rss_mb(served.pid)
                before = await chat_phase(traffic, args.rate, args.phase, args.users, texts, 2, name="before")
                # the broadcast, while the citizens go on chatting
                done = asyncio.Event()
                expected_telegram = {str(c) for c in population.telegram}

                def telegram_done() -> bool:
                    return expected_telegram <= {address for (channel, address) in h.broadcast_copies(api, zalo, marker)
                                                 if channel == "telegram"}

                during_task = asyncio.ensure_future(chat_phase(traffic, args.rate, 10 ** 6, args.users, texts, 3,
                                                               until=done, name="during"))
                t_request = time.monotonic()
                recipients, t_tap = await h.broadcast_from_telegram(api, team, marker)
                deadline = t_tap + args.timeout
                while time.monotonic() < deadline and not (telegram_done() and h.open_rows(db, "broadcast:") == 0):
                    await asyncio.sleep(0.5)
                done.set()
                during = await during_task
                after = await chat_phase(traffic, args.rate, args.phase, args.users, texts, 4, name="after")
                rss_end = h.rss_mb(served.pid)
            await api.settled()
        finally:
            served.stop()
        accepted = sorted(c.at for c in api.calls_to("sendMessage")
                          if c.status == 200 and str(c.params.get("text") or "").startswith("📢") and marker in c.params["text"])
        copies = h.broadcast_copies(api, zalo, marker)
        violations = collections.Counter(v.limit for v in api.violations)
        peak, peak_chat = api.peak_rate(), api.peak_chat_rate()
    expected = population.expected()
    span = accepted[-1] - accepted[0] if len(accepted) > 1 else 0.0
    rate = (len(accepted) - 1) / span if span else 0.0
    outbox = h.tally(db, api, zalo, "broadcast:")
    b, d = h.summary(before), h.summary(during)
    ratio = round(d["p95_ms"] / b["p95_ms"], 3) if b["p95_ms"] and d["p95_ms"] else None
    return {
        "assistant": f"trained model {args.model}" if args.model else
        "model-free: web chat -> desk -> action_check_dossier (payload /check_dossier{...}, no NLU)",
        "people": {**population.as_dict(), "expected_recipients": len(expected), "setup_seconds": setup_s},
        "broadcast": {
            "recipients_said_by_the_bot": recipients, "seconds_request_to_tap": round(t_tap - t_request, 2),
            "telegram_accepted": len(accepted), "telegram_seconds_first_to_last": round(span, 2),
            "telegram_delivered_rate_per_s": round(rate, 2), "rate_vs_30_per_s": round(rate / LIMIT, 4),
            "seconds_tap_to_last_telegram": round(accepted[-1] - t_tap, 2) if accepted else None,
            "zalo_received": sum(n for (ch, _), n in copies.items() if ch == "zalo"),
            "lost": len(expected - set(copies)), "duplicated": sum(n - 1 for n in copies.values() if n > 1),
            "unexpected": len(set(copies) - expected),
            "limit_refusals_429": sum(violations.values()), "limit_refusals_by_kind": dict(violations),
            "peak_sends_in_1s": peak, "peak_sends_to_one_chat_in_1s": peak_chat,
            "outbox_against_standins": outbox,
        },
        "citizens": {"rate_per_s": args.rate, "users": args.users, "warm_up": h.summary(warm), "before": b, "during": d,
                     "after": h.summary(after), "p95_during_over_before": ratio},
        "server_rss_mb": {"start": rss_start, "end": rss_end},
        "targets": {"rate_ge_95pct_of_30": rate >= 0.95 * LIMIT, "lost_0": len(expected - set(copies)) == 0,
                    "duplicated_0": all(n == 1 for n in copies.values()), "p95_le_120pct": ratio is not None and ratio <= 1.2},
    }


def table(result: Dict[str, Any]) -> str:
    """The short table of the run."""
    b, c = result["broadcast"], result["citizens"]
    rows = [
        ("assistant", result["assistant"]),
        ("recipients (expected / bot said)", f"{result['people']['expected_recipients']} / {b['recipients_said_by_the_bot']}"),
        ("Telegram delivered rate", f"{b['telegram_delivered_rate_per_s']}/s = {100 * b['rate_vs_30_per_s']:.1f} % of 30/s (≥ 95 %)"),
        ("lost / duplicated / unexpected", f"{b['lost']} / {b['duplicated']} / {b['unexpected']} (0 / 0 / 0)"),
        ("Telegram limit refusals (429)", str(b["limit_refusals_429"])),
        ("citizens' p95 before / during / after", f"{c['before']['p95_ms']} / {c['during']['p95_ms']} / {c['after']['p95_ms']} ms"),
        ("p95 during / before", f"{c['p95_during_over_before']} (≤ 1.20)"),
        ("citizens' messages (errors) during", f"{c['during']['messages']} ({c['during']['errors']})"),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--zalo-share", type=float, default=0.1)
    parser.add_argument("--blocked", type=int, default=20)
    parser.add_argument("--unsubscribed", type=int, default=20)
    parser.add_argument("--decoys", type=int, default=200)
    parser.add_argument("--model", type=Path, help="the trained model (models/motcua.tar.gz); without it, the model-free path")
    parser.add_argument("--rate", type=float, default=4.0, help="citizens' messages a second (web chat)")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--phase", type=float, default=60.0, help="seconds of chat before and after the broadcast")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait for the broadcast to finish")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "broadcast.json")
    return h.run_and_report("bench/broadcast.py", parser, run, table)


if __name__ == "__main__":
    sys.exit(main())
