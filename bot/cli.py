"""``motcua``: the command line of the assistant (parse, ask, chat, train, load, validate)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from typing import List, Optional

from bot.settings import Settings


def _assistant(settings: Settings):
    from bot.assistant import Assistant

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


async def _serve(settings: Settings, host: str, port: int) -> int:
    from bot.channels import webchat

    assistant = await _assistant(settings)
    runner = await webchat.serve(assistant, host, port)
    print(f"Web chat: http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await webchat.stop(runner)
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
    p_train = sub.add_parser("train", help="train the Rasa model if its inputs changed")
    p_train.add_argument("--force", action="store_true")
    sub.add_parser("load", help="validate data/ and load it into the database")
    args = parser.parse_args(argv)
    settings = Settings.from_env()

    if args.command == "train":
        from bot.training import train

        print("Model trained." if train(settings, force=args.force) else "Model is up to date.")
        return 0
    if args.command == "load":
        from bot.catalogue import CatalogueError
        from bot.loader import load_all

        try:
            counts = load_all(settings)
        except CatalogueError as error:
            print(f"Lỗi dữ liệu: {error}", file=sys.stderr)
            return 2
        print("Loaded " + ", ".join(f"{v} {k}" for k, v in counts.items()) + f" into {settings.db_path}")
        return 0
    if args.command == "parse":
        return asyncio.run(_parse(settings, sys.stdin, sys.stdout))
    if args.command == "ask":
        return asyncio.run(_ask(settings, args.text, args.user, args.as_of, sys.stdout))
    if args.command == "serve":
        try:
            return asyncio.run(_serve(settings, args.host or settings.web_host, args.port or settings.web_port))
        except KeyboardInterrupt:
            return 0
    return asyncio.run(_chat(settings, args.user or f"chat-{uuid.uuid4().hex[:8]}"))


if __name__ == "__main__":
    sys.exit(main())
