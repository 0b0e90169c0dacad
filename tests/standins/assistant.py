"""A stand-in for the assistant (``async handle(user_id, text) -> [Reply]``) for channel tests that need no model.

It answers like the real one in shape: a procedure's answer carries buttons whose payloads name the procedure
(``/ask_documents{"procedure": "dang-ky-khai-sinh"}``), an ambiguous name offers one button per candidate, anything
else gets a plain sentence. ``calls`` records every (user id, text) it was given; ``"lỗi"`` makes it fail.
"""

from __future__ import annotations

import asyncio
import json
from typing import List, Optional, Tuple

from bot.delivery.reply import Reply

PROCEDURES = {"khai sinh": ("dang-ky-khai-sinh", "Đăng ký khai sinh"), "sổ đỏ": ("dang-ky-dat-dai-cap-giay-chung-nhan-lan-dau",
                                                                               "Đăng ký đất đai lần đầu")}
CHOICES = ["chung-thuc-ban-sao-tu-ban-chinh", "chung-thuc-chu-ky"]
NOT_UNDERSTOOD = "Em chưa hiểu ý anh/chị. Anh/chị nói tên thủ tục giúp em nhé."


def _buttons(pid: str) -> List[dict]:
    return [{"title": title, "payload": f"/{intent}" + json.dumps({"procedure": pid})}
            for title, intent in (("Giấy tờ cần chuẩn bị", "ask_documents"), ("Lệ phí", "ask_fee"))]


class StandInAssistant:
    """Canned replies by the words of the message; no model, no state besides ``calls``."""

    def __init__(self) -> None:
        self.calls: List[Tuple[str, str]] = []
        self.gate: Optional[asyncio.Event] = None  # when set, each answer waits for it (to test a reset meanwhile)
        self.held = asyncio.Event()  # set once a call is waiting at the gate: the request reached the server

    async def handle(self, user_id: str, text: str, metadata: Optional[dict] = None) -> List[Reply]:
        self.calls.append((user_id, text))
        if self.gate is not None:
            self.held.set()
            await self.gate.wait()
        if "lỗi" in text:
            raise RuntimeError("the stand-in fails on purpose")
        if text.startswith("/"):  # a button's payload: answer about the procedure it names
            pid = json.loads(text[text.index("{"):])["procedure"]
            return [Reply(f"Thông tin về {pid}.", _buttons(pid))]
        for words, (pid, name) in PROCEDURES.items():
            if words in text.lower():
                return [Reply(f"📋 {name}\n• Thời hạn: trong ngày làm việc", _buttons(pid))]
        if "chứng thực" in text.lower():
            return [Reply("Anh/chị muốn hỏi thủ tục nào ạ? Chọn một số:",
                          [{"title": f"{i}. {pid}", "payload": "/ask_counter" + json.dumps({"procedure": pid})}
                           for i, pid in enumerate(CHOICES, 1)])]
        return [Reply(NOT_UNDERSTOOD)]

    def users(self) -> List[str]:
        """The conversation ids it was called with, in order."""
        return [user for user, _ in self.calls]
