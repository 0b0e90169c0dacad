"""``motcua``: the command line of the assistant (parse, ask, chat, train, load, validate, sync, import, role, invite,
audit, report, indicators, tasks, backup, restore)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
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
    from bot.conversation.engine import clean_input
    from bot.phrases import EMPTY_MESSAGE_REPLY

    if as_of is not None:  # checked before the model loads: a wrong date is said, never answered as of today
        try:
            dt.date.fromisoformat(as_of.strip())
        except ValueError:
            print(f"Ngày không hợp lệ: {as_of[:40]!r}. Ghi theo dạng YYYY-MM-DD, ví dụ 2027-03-01.", file=sys.stderr)
            return 2
        as_of = as_of.strip()
    if not clean_input(text):  # nothing to understand: answered at once, without loading the model
        out.write(EMPTY_MESSAGE_REPLY + "\n")
        return 0
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
    from bot.services import deployment_services

    try:
        sender_config = SenderConfig.from_settings(settings)
        async with channel_senders(settings, deployment_services(settings), sender_config) as senders:
            await run_scheduler(SchedulerConfig.from_settings(settings), senders, stop, sender_config=sender_config)
    except Exception as error:  # noqa: BLE001 - the chat keeps serving; the operator sees why in the log
        print(f"Lịch gửi thông báo không chạy được: {error!r}", file=sys.stderr, flush=True)


def _metrics_across_processes() -> Optional[str]:
    """A fresh directory for prometheus_client's multiprocess mode (the workers' counters in /metrics, bot/metrics.py);
    None when prometheus_client was imported already (then /metrics covers this process only)."""
    import tempfile

    if "prometheus_client" in sys.modules:
        print("Cảnh báo: /metrics chỉ tính tiến trình chính (prometheus_client đã được nạp trước).", file=sys.stderr)
        return None
    directory = tempfile.mkdtemp(prefix="motcua-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory  # read when prometheus_client is imported, here and in the workers
    return directory


def _on_stop_signals() -> asyncio.Event:
    """An event set by SIGTERM (systemd, docker stop) or Ctrl+C: ``serve`` then stops taking messages and finishes the
    ones under way."""
    import signal

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    return stopping


async def _serve(settings: Settings, host: str, port: int, workers: int = 1, scheduler: bool = True) -> int:
    import shutil
    import time

    started = time.time()
    metrics_dir = _metrics_across_processes() if workers > 1 else None
    try:
        return await _serve_until_stopped(settings, host, port, workers, scheduler, started)
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


async def _serve_until_stopped(settings: Settings, host: str, port: int, workers: int, scheduler: bool, started: float) -> int:
    """``motcua serve`` until SIGTERM or Ctrl+C; then a graceful stop (README, "Vận hành"): the sender stops claiming and
    its sends under way are recorded, Telegram and the web server stop taking messages and answer the ones under way
    (aiohttp waits for running handlers, Zalo's accepted events are drained), and only then the workers stop."""
    from bot.channels import operations, webchat
    from bot.channels.ratelimit import RateConfig, RateLimiter
    from bot.health import HealthConfig

    try:
        limiter = RateLimiter(RateConfig.from_settings(settings))  # one per process, for every channel
    except ValueError as error:
        print(f"Lỗi cấu hình giới hạn tin nhắn: {error}", file=sys.stderr)
        return 2
    if workers > 1:  # one process per core, each conversation pinned to one of them (bot/workers.py)
        from bot.conversation.workers import WorkerPool

        assistant = await WorkerPool(settings, workers=workers).start()
    else:
        assistant = await _assistant(settings)

    from bot.channels import kiosk, telegram
    from bot.services import deployment_services

    app = webchat.create_app(assistant, limiter=limiter)
    kiosk.mount(app, assistant, deployment_services(settings))  # the entrance's touch screen: /kiosk
    operations.mount(app, assistant, HealthConfig.from_settings(settings), started=started)  # /healthz, /metrics
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
            bot = await telegram.start_telegram(assistant, deployment_services(settings), telegram_config, web_app=app,
                                               limiter=limiter)
            print(f"Telegram: @{bot.application.bot.username} ({telegram_config.mode})", flush=True)
        except Exception as error:  # Telegram unreachable: the web chat still serves
            print(f"Telegram chưa khởi động được: {error!r}", file=sys.stderr, flush=True)
    from bot.channels.zalo import start_zalo

    if start_zalo(settings, assistant, deployment_services(settings), app) is not None:  # None without MOTCUA_ZALO_APP_ID
        print(f"Zalo OA: webhook http://{host}:{port}/zalo/webhook", flush=True)
    runner = await webchat.serve(app, host, port)
    stopping = _on_stop_signals()
    print(f"Web chat: http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    print(f"Kiosk: http://{host}:{port}/kiosk", flush=True)
    stop = asyncio.Event()
    notices = asyncio.ensure_future(_notifications(settings, stop)) if scheduler else None
    try:
        await stopping.wait()
        print("Đang dừng: trả lời nốt các tin nhắn đang xử lý…", file=sys.stderr, flush=True)
    finally:
        stop.set()  # the sender stops claiming; what it claimed is sent and recorded (bot/delivery/sender.py)
        await telegram.stop_telegram(bot)
        await webchat.stop(runner)  # waits for the answers under way (and drains Zalo's accepted events)
        if notices is not None:
            await asyncio.gather(notices, return_exceptions=True)
        if workers > 1:
            await assistant.close()  # each worker finishes what it was given, then exits
    print("Đã dừng.", file=sys.stderr, flush=True)
    return 0


def _operator() -> str:
    """``cli:<login>``: who ran a ``motcua`` command on the server, for the audit trail."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "cli:?"


def _role(settings: Settings, args: argparse.Namespace) -> int:
    """``motcua role``: give a channel account a role (official of a department, team member of an area, leader,
    admin) or make it a citizen again; the first admin is made this way."""
    from bot.people.roles import checked_assignment, describe
    from bot.services import Services

    try:
        role, department, area = checked_assignment(args.role, args.department, args.area)
    except ValueError as error:
        print(f"{error} (--department cho cán bộ, --area cho tổ công nghệ số cộng đồng)", file=sys.stderr)
        return 2
    services = Services.open(settings.db_path)
    users = services.users
    account = users.find(args.channel, args.channel_user_id) or users.seen(args.channel, args.channel_user_id, args.name)
    users.set_role(account.id, role, department, area)
    account = users.get(account.id)
    services.audit.write(None, _operator(), "set_role", "ok", f"{account.conversation_id} → {account.role} "
                         f"({account.department or account.area or ''})", role="admin")
    consent = "đã" if account.consent else "CHƯA (người dùng gửi /dangky để nhận thông báo)"
    print(f"{account.channel}:{account.channel_user_id} → {describe(account.role, account.department, account.area)}"
          f"; đồng ý nhận thông báo: {consent}")
    return 0


def _invite(settings: Settings, args: argparse.Namespace) -> int:
    """``motcua invite``: print a one-time code that gives whoever sends it the role."""
    from bot.people.invites import expiry_text, parse_duration
    from bot.people.roles import describe
    from bot.services import Services
    from bot.timeutil import now_vn

    services = Services.open(settings.db_path)
    try:
        ttl = parse_duration(args.expires)
        invite = services.invites.create(args.role, args.department, args.area, created_by=_operator(), now=now_vn(), ttl=ttl)
    except ValueError as error:
        print(f"{error} (--department cho cán bộ, --area cho tổ công nghệ số cộng đồng)", file=sys.stderr)
        return 2
    who = describe(invite.role, invite.department, invite.area)
    services.audit.write(None, _operator(), "create_invite", "ok", f"{who}, hết hạn {expiry_text(invite.expires_at)}",
                         role="admin")
    print(invite.code)
    print(f"Mã mời {who}, dùng một lần, hết hạn lúc {expiry_text(invite.expires_at)}. Người được mời nhắn cho trợ lý "
          f"(Telegram, Zalo hoặc web): \"mã mời {invite.code}\" (Telegram: /moi {invite.code}).", file=sys.stderr)
    return 0


def _audit(settings: Settings, args: argparse.Namespace) -> int:
    """``motcua audit``: the officials' commands, newest first."""
    from bot.people.audit import format_row, parse_since
    from bot.services import Services
    from bot.timeutil import now_vn

    try:
        since = parse_since(args.since, now_vn()) if args.since else None
    except ValueError as error:
        print(str(error), file=sys.stderr)
        return 2
    rows = Services.open(settings.db_path).audit.read(since, args.user, args.command_name, args.outcome, args.limit)
    for row in rows:
        print(format_row(row))
    if not rows:
        print("Chưa có dòng nhật ký nào khớp.", file=sys.stderr)
    return 0


def _backup(settings: Settings, args: argparse.Namespace) -> int:
    """``motcua backup``: a consistent copy of the database while it serves (bot/backup.py), N daily copies kept."""
    from bot.backup import BackupError, backup

    try:
        made = backup(settings.db_path, args.dir or settings.backup_dir, keep=args.keep or settings.backup_keep,
                      copy_to=args.copy_to or settings.backup_copy_to)
    except BackupError as error:
        print(str(error), file=sys.stderr)
        return 1
    size = f"{made.size:,}".replace(",", ".")
    print(f"Đã sao lưu: {made.path} ({size} byte, lược đồ {made.schema_version})")
    for copy in made.copies:
        print(f"Bản chép thứ hai: {copy}")
    if made.removed:
        print(f"Đã xoá {len(made.removed)} bản cũ (giữ {args.keep or settings.backup_keep} ngày).")
    return 0


def _restore(settings: Settings, args: argparse.Namespace) -> int:
    """``motcua restore FILE``: put a backup back, after checking it (bot/backup.py)."""
    from pathlib import Path

    from bot.backup import BackupError, restore

    target = Path(args.db) if args.db else settings.db_path
    try:
        kept = restore(args.file, target, force=args.force)
    except BackupError as error:
        print(str(error), file=sys.stderr)
        return 1
    print(f"Đã khôi phục {args.file} vào {target}.")
    if kept is not None:
        print(f"Cơ sở dữ liệu cũ được giữ ở {kept}.")
    return 0


def _date_arg(value: str) -> dt.date:
    """``--from 2026-10-01`` (or 01/10/2026) as a date; argparse reports anything else in Vietnamese."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"ngày không hợp lệ: {value[:40]!r} (dạng 2026-10-31)")


def _indicators(settings: Settings, args: argparse.Namespace) -> int:
    """``motcua indicators``: Decision 766's indicators for a period (text or JSON), optionally the 12-month chart."""
    from bot.officials.indicators import compute, indicators_text, monthly_trend, trend_png
    from bot.officials.satisfaction import ratings_for
    from bot.services import Services

    if args.end < args.start:
        print("--to phải sau hoặc bằng --from.", file=sys.stderr)
        return 2
    store = Services.open(settings.db_path)
    report = compute(store.db, store.catalogue, args.start, args.end, ratings=ratings_for(store.db, args.start, args.end))
    print(json.dumps(report.as_dict(), ensure_ascii=False, indent=1) if args.json else indicators_text(report))
    if args.chart:
        with open(args.chart, "wb") as out:
            out.write(trend_png(monthly_trend(store.db, store.catalogue, args.end)))
        print(f"Biểu đồ 12 tháng: {args.chart}", file=sys.stderr)
    return 0


def _tasks(settings: Settings, args: argparse.Namespace) -> int:
    """``motcua tasks import FILE | list [--unit U] [--overdue] | summary``: the Resolution-57 task register."""
    from bot.officials.tasks import TaskImportError, Tasks, list_text, summary_text
    from bot.services import Services
    from bot.timeutil import now_vn

    tasks, today = Tasks(Services.open(settings.db_path).db), now_vn().date()
    if args.action == "import":
        try:
            print(tasks.import_file(args.file).summary())
        except TaskImportError as error:
            print(f"Lỗi nhập tệp: {error}", file=sys.stderr)
            return 1 if error.rows else 2
        return 0
    if args.action == "list":
        print(list_text(tasks.list(args.unit, today if args.overdue else None), today))
        return 0
    print(summary_text(tasks.summary(today)))
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
    p_backup = sub.add_parser("backup", help="back up the database while it serves (SQLite online backup), keep N daily copies")
    p_backup.add_argument("--dir", help="where the copies go (default MOTCUA_BACKUP_DIR, or backups/ beside the database)")
    p_backup.add_argument("--keep", type=int, help="daily copies kept (default MOTCUA_BACKUP_KEEP, 14)")
    p_backup.add_argument("--copy-to", dest="copy_to", help="also copy to this directory (another disk); default MOTCUA_BACKUP_COPY_TO")
    p_restore = sub.add_parser("restore", help="put a backup back in place of the database (checked first)")
    p_restore.add_argument("file", help="a backup made by `motcua backup` (motcua-YYYY-MM-DD.db)")
    p_restore.add_argument("--db", help="the database to restore into (default MOTCUA_DB)")
    p_restore.add_argument("--force", action="store_true", help="replace a database that holds data (it is kept beside)")
    p_sync = sub.add_parser("sync", help="pull changed dossiers from the province's one-stop platform (MOTCUA_PLATFORM_*)")
    p_sync.add_argument("--mapping", default=None, help="field mapping file (default MOTCUA_PLATFORM_MAPPING or data/platform_mapping.yml)")
    p_sync.add_argument("--quiet", action="store_true", help="no progress bar")
    p_import = sub.add_parser("import", help="load dossiers from a CSV or XLSX export (Vietnamese column headers)")
    p_import.add_argument("file")
    from bot.people.roles import ROLES

    p_role = sub.add_parser("role", help="give a channel account a role: official (of a department), team (of an area), "
                                         "leader, admin, or citizen again")
    p_role.add_argument("channel", choices=["telegram", "zalo", "web"])
    p_role.add_argument("channel_user_id", help="the account's id on that channel (Telegram chat id, Zalo user id)")
    p_role.add_argument("role", choices=ROLES)
    p_role.add_argument("--department", help="the department whose dossiers the official follows (as in the dossiers)")
    p_role.add_argument("--area", help="a community team member's area (e.g. \"Tổ dân phố 3\")")
    p_role.add_argument("--name", help="display name for an account that has not written yet")
    p_invite = sub.add_parser("invite", help="print a one-time code that gives its sender a role (any channel)")
    p_invite.add_argument("--role", required=True, choices=[r for r in ROLES if r != "citizen"])
    p_invite.add_argument("--department", help="an official's department (as in the dossiers)")
    p_invite.add_argument("--area", help="a community team member's area")
    p_invite.add_argument("--expires", default="7d", help="how long the code works: 7d (default), 48h, 30m; at most 30d")
    p_audit = sub.add_parser("audit", help="the officials' commands (who, role, channel, what, when), newest first")
    p_audit.add_argument("--since", help="from this day (YYYY-MM-DD) or this long ago (7d, 24h)")
    p_audit.add_argument("--user", help="one account: telegram:12345, zalo:…, web:…, or its row id")
    p_audit.add_argument("--command", dest="command_name", help="one command (report, create_invite, redeem_invite, …)")
    p_audit.add_argument("--outcome", help="one outcome (ok, refused, error, wrong, …)")
    p_audit.add_argument("--limit", type=int, default=50, help="at most this many rows (default 50)")
    p_ind = sub.add_parser("indicators", help="Decision 766 service indicators of a period (on time, online, payment, digitised)")
    p_ind.add_argument("--from", dest="start", type=_date_arg, required=True, help="first day, e.g. 2026-10-01")
    p_ind.add_argument("--to", dest="end", type=_date_arg, required=True, help="last day, e.g. 2026-10-31")
    p_ind.add_argument("--json", action="store_true", help="print JSON (formulas, counts, points, gaps)")
    p_ind.add_argument("--chart", help="also write the 12-month trend up to --to as a PNG file")
    p_tasks = sub.add_parser("tasks", help="Resolution-57 tasks: import the register, list, summary")
    tasks_sub = p_tasks.add_subparsers(dest="action", required=True)
    tasks_sub.add_parser("import", help="load tasks from an XLSX sheet or a YAML file (idempotent)").add_argument("file")
    p_tlist = tasks_sub.add_parser("list", help="list tasks (of one unit, only overdue)")
    p_tlist.add_argument("--unit", help="a lead or partner unit")
    p_tlist.add_argument("--overdue", action="store_true", help="only tasks past their deadline")
    tasks_sub.add_parser("summary", help="done of all, time-bound done, overdue by lead unit")
    p_report = sub.add_parser("report", help="the execution report (Biểu 07a) of a period: summary, --json or --xlsx FILE")
    p_report.add_argument("--from", dest="start", help="first day (YYYY-MM-DD)")
    p_report.add_argument("--to", dest="end", help="last day (YYYY-MM-DD)")
    p_report.add_argument("--period", help='the period in words instead: "tháng trước", "quý 3", "từ 1/10 đến 31/10"')
    p_report.add_argument("--department", help="only this department's dossiers (as in the dossiers; accents optional)")
    p_report.add_argument("--json", action="store_true", help="print the counts as JSON")
    p_report.add_argument("--xlsx", metavar="FILE", help="write the Biểu 07a table as an Excel file")
    p_report.add_argument("--chart", metavar="FILE", help="also write the chart as a PNG")
    p_cat = sub.add_parser("catalogue", help="the procedure catalogue: import portal records, the light list, the review")
    cat_sub = p_cat.add_subparsers(dest="action", required=True)
    p_cimp = cat_sub.add_parser("import", help="turn national portal records (JSON files or folders) into catalogue entries")
    p_cimp.add_argument("records", nargs="+")
    p_cimp.add_argument("--date", help="the day the records were read from the portal (YYYY-MM-DD), when they do not say")
    p_cimp.add_argument("--dry-run", action="store_true", help="only show what would change")
    p_cimp.add_argument("--only", metavar="FIELDS", help="read just these fields again into existing entries, e.g. legal_basis")
    p_clist = cat_sub.add_parser("list", help="write the light list (code, name, field, level, who handles it) of commune-level records")
    p_clist.add_argument("records", nargs="+")
    p_clist.add_argument("--out", required=True, help="the list file, e.g. data/procedure_list/bo-tu-phap.yml")
    p_clist.add_argument("--date", help="the day the records were read (YYYY-MM-DD)")
    p_clist.add_argument("--title", default="Cổng Dịch vụ công quốc gia (bản ghi thủ tục)", help="the list's source")
    p_clist.add_argument("--level", default="xã", help='the records\' level to list: "xã" (default) or "tỉnh" (handled outside the ward)')
    p_clist.add_argument("--fields", help='only these fields, separated by ";" (names hold commas), as the records name them')
    cat_sub.add_parser("report", help="entries by verification state and age of their source")
    p_legal = sub.add_parser("legal", help="the legal register: review the catalogue's legal bases on a date")
    legal_sub = p_legal.add_subparsers(dest="action", required=True)
    p_review = legal_sub.add_parser("review", help="each procedure's cited documents: amended, replaced, changing within 120 days, unknown")
    p_review.add_argument("--date", help="the day to review (YYYY-MM-DD, default today)")
    p_review.add_argument("--json", action="store_true", help='print {"date", "procedures": [{"id", "code", "name", "findings"}]}')
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ValueError as error:
        print(f"Lỗi cấu hình: {error}", file=sys.stderr)
        return 2
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
    if args.command == "catalogue":
        from bot.catalogue.commands import run_command as run_catalogue

        return run_catalogue(settings, args, sys.stdout)
    if args.command == "sync":
        from bot.intake.platform_sync import run_command as run_sync

        return run_sync(settings, args.mapping, progress=not args.quiet)
    if args.command == "import":
        from bot.intake.spreadsheet_import import run_command as run_import

        return run_import(settings, args.file)
    if args.command == "role":
        return _role(settings, args)
    if args.command == "backup":
        return _backup(settings, args)
    if args.command == "restore":
        return _restore(settings, args)
    if args.command == "invite":
        return _invite(settings, args)
    if args.command == "audit":
        return _audit(settings, args)
    if args.command == "indicators":
        return _indicators(settings, args)
    if args.command == "tasks":
        return _tasks(settings, args)
    if args.command == "legal":
        from bot.legal.review import run_command as run_legal_review

        return run_legal_review(settings, args.date, args.json)
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
