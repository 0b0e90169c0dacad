"""``motcua send``, ``motcua digest`` and ``motcua scheduler``: the notification jobs and the sender from the command line."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
from typing import Any

from bot.channels.senders import channel_senders
from bot.delivery.outbox import Outbox
from bot.delivery.sender import Sender, SenderConfig
from bot.notifications.scheduler import SchedulerConfig, digest_job, run_scheduler
from bot.services import Services

log = logging.getLogger(__name__)


def _stop_on_signals(stop: asyncio.Event) -> None:
    """SIGTERM and Ctrl+C set ``stop`` (a clean stop: sends under way are recorded)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


async def _send(settings: Any, forever: bool) -> int:
    """``motcua send``: drain the outbox (or keep sending), print what happened as JSON."""
    config = SenderConfig.from_settings(settings)
    store, outbox = Services.open(settings.db_path), Outbox(settings.db_path)
    stop = asyncio.Event()
    _stop_on_signals(stop)
    async with channel_senders(settings, store, config) as senders:
        if not senders:
            print("Chưa cấu hình kênh gửi nào: đặt MOTCUA_TELEGRAM_TOKEN và/hoặc MOTCUA_ZALO_APP_ID.", file=sys.stderr)
            return 2
        stats = await Sender(outbox, senders, config, directory=store.users).run(stop, until_drained=not forever)
    print(json.dumps({"sender": stats.as_dict(), "outbox": outbox.counts()}, ensure_ascii=False), flush=True)
    return 0


async def _scheduler(settings: Any) -> int:
    """``motcua scheduler``: the jobs and the sender of this deployment until stopped."""
    config, sender_config = SchedulerConfig.from_settings(settings), SenderConfig.from_settings(settings)
    store = Services.open(settings.db_path)
    stop = asyncio.Event()
    _stop_on_signals(stop)
    port = (settings.env.get("MOTCUA_SCHEDULER_METRICS_PORT") or "").strip()
    if port:  # this process's deliveries and broadcasts (bot/metrics.py); the outbox gauges are in serve's /metrics
        from prometheus_client import start_http_server

        start_http_server(int(port), addr="127.0.0.1")
    async with channel_senders(settings, store, sender_config) as senders:
        if not senders:
            log.warning("scheduler: no channel configured; notices are queued in the outbox but not sent")
        print(f"Lịch gửi thông báo đang chạy (tổng hợp lúc {config.digest_time:%H:%M}); Ctrl+C để dừng.", flush=True)
        await run_scheduler(config, senders, stop, sender_config=sender_config)
    return 0


def run_command(args: Any, settings: Any) -> int:
    """Run ``motcua send|digest|scheduler``."""
    if args.command == "send":
        return asyncio.run(_send(settings, args.forever))
    if args.command == "digest":
        queued = digest_job(str(settings.db_path))
        print(f"Đã xếp {queued} bản tổng hợp vào hàng đợi gửi.", flush=True)
        return asyncio.run(_send(settings, False)) if args.send else 0
    return asyncio.run(_scheduler(settings))
