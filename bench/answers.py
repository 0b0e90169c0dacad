"""Answer length benchmark: how much of a phone screen the first reply to a common question takes.

    .venv/bin/python bench/answers.py [--model models/motcua.tar.gz] [--as-of 2026-11-24]

Runs a fixed list of common questions (written as citizens type them, with and without diacritics)
through the conversation engine (``Assistant.handle``, what `motcua ask`, the terminal chat and every
channel use), each in a fresh conversation, and measures the first reply's text: characters and phone
lines (38 characters a line, words wrap; see ``bot.catalogue.answers.phone_lines``). Prints one row per
question, the median and the longest, and writes bench/results/answers.json. Target: the longest first
reply ≤ 600 characters and ≤ 16 phone lines (one phone screen).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import statistics
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.catalogue.answers import PHONE_CHARS, PHONE_LINES, PHONE_WIDTH, phone_lines  # noqa: E402
from bot.conversation.engine import Assistant, latest_model  # noqa: E402
from bot.loader import load_all  # noqa: E402
from bot.settings import Settings  # noqa: E402

QUESTIONS: List[str] = [
    "đăng ký thường trú cần gì",
    "dang ky khai sinh can giay to gi",
    "làm cccd ở đâu",
    "le phi dang ky ket hon bao nhieu",
    "đăng ký khai tử mất mấy ngày",
    "thủ tục đăng ký kết hôn thế nào",
    "dang ky tam tru nop o dau",
    "xin mẫu tờ khai đăng ký tạm trú",
    "ket hon voi nguoi nuoc ngoai can giay to gi",
    "cấp đổi căn cước lệ phí bao nhiêu",
    "đăng ký thường trú theo luật nào",
    "lam ho kinh doanh can nhung gi",
    "xac nhan tinh trang hon nhan can giay to gi",
    "gia hạn tạm trú phí bao nhiêu",
    "đăng ký lại khai sinh cần giấy tờ gì",
    "chung thuc ban sao mat bao lau",
]


async def measure(assistant: Assistant, as_of: str) -> List[Dict[str, Any]]:
    """The first reply to every question, each asked in a fresh conversation on ``as_of``."""
    rows = []
    for question in QUESTIONS:
        replies = await assistant.handle(f"bench-{uuid.uuid4().hex[:8]}", question, {"as_of": as_of})
        first = replies[0].text if replies else ""
        rows.append({
            "question": question,
            "chars": len(first),
            "phone_lines": phone_lines(first),
            "buttons": [b["title"] for b in replies[0].buttons] if replies else [],
            "first_line": first.split("\n")[0],
        })
    return rows


def summary(rows: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Median and longest, in characters and phone lines, and whether the target holds."""
    chars = [r["chars"] for r in rows]
    lines = [r["phone_lines"] for r in rows]
    longest = max(rows, key=lambda r: (r["chars"], r["phone_lines"]))
    return {
        "questions": len(rows),
        "median_chars": statistics.median(chars),
        "median_phone_lines": statistics.median(lines),
        "longest_chars": max(chars),
        "longest_phone_lines": max(lines),
        "longest_question": longest["question"],
        "target": {"chars": PHONE_CHARS, "phone_lines": PHONE_LINES, "width": PHONE_WIDTH},
        "target_met": max(chars) <= PHONE_CHARS and max(lines) <= PHONE_LINES,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="model archive (default: the newest in models/)")
    parser.add_argument("--as-of", default="2026-11-24", help="the day the questions are asked (fees in force)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "answers.json")
    args = parser.parse_args()

    base = Settings.from_env()
    with tempfile.TemporaryDirectory() as folder:
        settings = dataclasses.replace(base, db_path=Path(folder) / "motcua.db", tracker_db_path=Path(folder) / "tracker.db")
        load_all(settings)
        model = args.model or latest_model(settings.models_dir)
        assistant = await Assistant.load(settings, model)
        rows = await measure(assistant, args.as_of)

    result = {"model": str(model), "as_of": args.as_of, **summary(rows), "rows": rows}
    width = max(len(r["question"]) for r in rows)
    print(f"{'question':<{width}}  chars  lines  first line")
    for r in rows:
        print(f"{r['question']:<{width}}  {r['chars']:>5}  {r['phone_lines']:>5}  {r['first_line'][:50]}")
    print(f"median {result['median_chars']} chars, {result['median_phone_lines']} lines; "
          f"longest {result['longest_chars']} chars, {result['longest_phone_lines']} lines "
          f"(target ≤ {PHONE_CHARS} chars, ≤ {PHONE_LINES} lines: {'met' if result['target_met'] else 'NOT met'})")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    asyncio.run(main())
