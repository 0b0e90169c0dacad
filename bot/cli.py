"""``motcua``: the command line of the assistant (parse, ask, chat, train, load, validate, sync, import, report)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import uuid
from typing import List, Optional

from bot.logs import configure as configure_logs
from bot.settings import Settings


def _assistant(settings: Settings):
    from bot.conversation.engine import Assistant

    return Assistant.load(settings)


async def _parse(settings: Settings, stream, out) -> int:
    assistant = await _assistant(settings)
    for line in stream:
        result = await assistant.parse(line.rstrip("\n"))
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
    return 0


async def _ask(settings: Settings, text: str, user: str, as_of: Optional[str], out) -> int:
    assistant = await _assistant(settings)
    metadata = {"as_of": as_of} if as_of else {}
    for reply in await assistant.handle(user, text, metadata):
        out.write(reply.as_text() + "\n")
    return 0


async def _chat(settings: Settings, user: str) -> int:
    assistant = await _assistant(settings)
    print("motcua – trợ lý Bộ phận Một cửa. Gõ câu hỏi; số thứ tự để chọn nút; \"/thoat\" để thoát.")
    buttons: List[dict] = []
    loop = asyncio.get_running_loop()
    while True:
        try:
            line = await loop.run_in_executor(None, input, "Bạn: ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if line.strip() in ("/thoat", "/quit", "/exit"):
            return 0
        if line.strip().isdigit() and 0 < int(line.strip()) <= len(buttons):
            line = buttons[int(line.strip()) - 1]["payload"]
        replies = await assistant.handle(user, line)
        buttons = [b for r in replies for b in r.buttons]
        for reply in replies:
            print("Trợ lý: " + reply.text)
        for i, button in enumerate(buttons, 1):
            print(f"   {i}) {button['title']}")


async def _notifications(settings: Settings, stop: asyncio.Event) -> None:
    """The deployment's notification jobs and sender (bot/notifications/scheduler.py) beside the chat, until ``stop``.

    Only one process of a deployment runs them (a file lock); another ``serve`` or ``motcua scheduler``
    waits as a standby. A failure here is logged and never stops the chat.
    """
    from bot.channels.senders import channel_senders
    from bot.delivery.sender import SenderConfig
    from bot.notifications.scheduler import SchedulerConfig, run_scheduler
    from bot.services import shared_services

    try:
        sender_config = SenderConfig.from_settings(settings)
        async with channel_senders(settings, shared_services(str(settings.db_path)), sender_config) as senders:
            await run_scheduler(SchedulerConfig.from_settings(settings), senders, stop, sender_config=sender_config)
    except Exception as error:  # noqa: BLE001 - the chat keeps serving; the operator sees why in the log
        print(f"Lịch gửi thông báo không chạy được: {error!r}", file=sys.stderr, flush=True)


async def _serve(settings: Settings, host: str, port: int, workers: int = 1, scheduler: bool = True) -> int:
    from bot.channels import webchat

    if workers > 1:  # one process per core, each conversation pinned to one of them (bot/workers.py)
        from bot.conversation.workers import WorkerPool

        assistant = await WorkerPool(settings, workers=workers).start()
    else:
        assistant = await _assistant(settings)

    from bot.channels import telegram
    from bot.services import shared_services

    app = webchat.create_app(assistant)
    try:
        telegram_config = telegram.TelegramConfig.from_settings(settings)  # None without MOTCUA_TELEGRAM_TOKEN
    except telegram.TelegramConfigError as error:
        print(f"Lỗi cấu hình Telegram: {error}", file=sys.stderr)
        if workers > 1:
            await assistant.close()
        return 2
    bot = None
    if telegram_config is not None:
        try:  # before the web app starts: webhook mode mounts /telegram/webhook on it
            bot = await telegram.start_telegram(assistant, shared_services(str(settings.db_path)), telegram_config, web_app=app)
            print(f"Telegram: @{bot.application.bot.username} ({telegram_config.mode})", flush=True)
        except Exception as error:  # Telegram unreachable: the web chat still serves
            print(f"Telegram chưa khởi động được: {error!r}", file=sys.stderr, flush=True)
    from bot.channels.zalo import start_zalo

    if start_zalo(settings, assistant, shared_services(str(settings.db_path)), app) is not None:  # None without MOTCUA_ZALO_APP_ID
        print(f"Zalo OA: webhook http://{host}:{port}/zalo/webhook", flush=True)
    runner = await webchat.serve(app, host, port)
    print(f"Web chat: http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    stop = asyncio.Event()
    notices = asyncio.ensure_future(_notifications(settings, stop)) if scheduler else None
    try:
        await asyncio.Event().wait()
    finally:
        if notices is not None:
            stop.set()
            await asyncio.gather(notices, return_exceptions=True)
        await telegram.stop_telegram(bot)
        await webchat.stop(runner)
        if workers > 1:
            await assistant.close()
    return 0


def _role(settings: Settings, args: argparse.Namespace) -> int:
    """``motcua role``: register an official (with department), a team member, or make an account a citizen again."""
    from bot.services import Services

    if args.role == "official" and not (args.department or "").strip():
        print("Cán bộ cần có --department (tên phòng/bộ phận như trong dữ liệu hồ sơ).", file=sys.stderr)
        return 2
    users = Services.open(settings.db_path).users
    account = users.find(args.channel, args.channel_user_id) or users.seen(args.channel, args.channel_user_id, args.name)
    users.set_role(account.id, args.role, args.department.strip() if args.department else None)
    account = users.get(account.id)
    consent = "đã" if account.consent else "CHƯA (người dùng gửi /dangky để nhận thông báo)"
    print(f"{account.channel}:{account.channel_user_id} → {account.role}"
          + (f" ({account.department})" if account.department else "") + f"; đồng ý nhận thông báo: {consent}")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of the ``motcua`` console script."""
    parser = argparse.ArgumentParser(prog="motcua", description="Trợ lý ảo Bộ phận Một cửa phường")
    sub = parser.add_subparsers(dest="command", required=True)
    p_parse = sub.add_parser("parse", help="NLU of messages read from stdin, one a line")
    p_parse.add_argument("--json", action="store_true", help="print one JSON object a line (the only format)")
    p_ask = sub.add_parser("ask", help="the assistant's full reply to TEXT")
    p_ask.add_argument("text")
    p_ask.add_argument("--user", default="cli", help="conversation id: the same id keeps its context")
    p_ask.add_argument("--date", dest="as_of", help="answer as on this date (YYYY-MM-DD), e.g. for fees")
    p_chat = sub.add_parser("chat", help="talk to the assistant in the terminal")
    p_chat.add_argument("--user", default=None)
    p_serve = sub.add_parser("serve", help="serve the web chat (the embedded default) on http://HOST:PORT/")
    p_serve.add_argument("--host", default=None)
    p_serve.add_argument("--port", type=int, default=None)
    p_serve.add_argument("--no-scheduler", dest="scheduler", action="store_false",
                         help="do not run the notification jobs here (run `motcua scheduler` elsewhere)")
    p_serve.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                         help="assistant processes, one per core by default; 1 = answer in this process")
    p_train = sub.add_parser("train", help="train the Rasa model if its inputs changed")
    p_train.add_argument("--force", action="store_true")
    sub.add_parser("load", help="validate data/ and load it into the database")
    p_send = sub.add_parser("send", help="send the outbox's notifications until it is drained (or --forever)")
    p_send.add_argument("--forever", action="store_true", help="keep sending new notifications until stopped")
    p_digest = sub.add_parser("digest", help="queue today's digest for officials now (then `motcua send`)")
    p_digest.add_argument("--send", action="store_true", help="also send the outbox until it is drained")
    sub.add_parser("scheduler", help="run the notification jobs and the sender (one per deployment)")
    p_sync = sub.add_parser("sync", help="pull changed dossiers from the province's one-stop platform (MOTCUA_PLATFORM_*)")
    p_sync.add_argument("--mapping", default=None, help="field mapping file (default MOTCUA_PLATFORM_MAPPING or data/platform_mapping.yml)")
    p_sync.add_argument("--quiet", action="store_true", help="no progress bar")
    p_import = sub.add_parser("import", help="load dossiers from a CSV or XLSX export (Vietnamese column headers)")
    p_import.add_argument("file")
    p_role = sub.add_parser("role", help="make a channel account an official of a department (digests, alerts), a team member, or a citizen")
    p_role.add_argument("channel", choices=["telegram", "zalo", "web"])
    p_role.add_argument("channel_user_id", help="the account's id on that channel (Telegram chat id, Zalo user id)")
    p_role.add_argument("role", choices=["official", "team", "citizen"])
    p_role.add_argument("--department", help="the department whose dossiers the official follows (as in the dossiers)")
    p_role.add_argument("--name", help="display name for an account that has not written yet")
    p_report = sub.add_parser("report", help="the execution report (Biểu 07a) of a period: summary, --json or --xlsx FILE")
    p_report.add_argument("--from", dest="start", help="first day (YYYY-MM-DD)")
    p_report.add_argument("--to", dest="end", help="last day (YYYY-MM-DD)")
    p_report.add_argument("--period", help='the period in words instead: "tháng trước", "quý 3", "từ 1/10 đến 31/10"')
    p_report.add_argument("--department", help="only this department's dossiers (as in the dossiers; accents optional)")
    p_report.add_argument("--json", action="store_true", help="print the counts as JSON")
    p_report.add_argument("--xlsx", metavar="FILE", help="write the Biểu 07a table as an Excel file")
    p_report.add_argument("--chart", metavar="FILE", help="also write the chart as a PNG")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    configure_logs(settings.env)

    if args.command == "train":
        from bot.conversation.training import TrainingError, train

        try:
            trained = train(settings, force=args.force)
        except TrainingError as error:
            print(str(error), file=sys.stderr)
            return 1
        if not trained:
            print("Model is up to date.")
        return 0
    if args.command == "load":
        from bot.catalogue.procedures import CatalogueError
        from bot.loader import load_all

        try:
            counts = load_all(settings)
        except CatalogueError as error:
            print(f"Lỗi dữ liệu: {error}", file=sys.stderr)
            return 2
        print("Loaded " + ", ".join(f"{v} {k}" for k, v in counts.items()) + f" into {settings.db_path}")
        return 0
    if args.command == "sync":
        from bot.intake.platform_sync import run_command as run_sync

        return run_sync(settings, args.mapping, progress=not args.quiet)
    if args.command == "import":
        from bot.intake.spreadsheet_import import run_command as run_import

        return run_import(settings, args.file)
    if args.command == "role":
        return _role(settings, args)
    if args.command == "report":
        from bot.officials.report_command import run_command as run_report

        return run_report(settings, args.start, args.end, args.department, args.json, args.xlsx, args.chart, args.period)
    if args.command in ("send", "digest", "scheduler"):
        from bot.notify_commands import run_command

        return run_command(args, settings)
    if args.command == "parse":
        return asyncio.run(_parse(settings, sys.stdin, sys.stdout))
    if args.command == "ask":
        return asyncio.run(_ask(settings, args.text, args.user, args.as_of, sys.stdout))
    if args.command == "serve":
        try:
            return asyncio.run(_serve(settings, args.host or settings.web_host, args.port or settings.web_port, args.workers,
                                      args.scheduler))
        except KeyboardInterrupt:
            return 0
    return asyncio.run(_chat(settings, args.user or f"chat-{uuid.uuid4().hex[:8]}"))


if __name__ == "__main__":
    sys.exit(main())
