"""The conversation engine, channel-neutral: a user id and a text in, the replies out.

Every channel (terminal, web chat, Telegram, Zalo) calls :meth:`Assistant.handle`. The Rasa
agent runs the custom actions in-process and keeps conversations in a SQL tracker store (SQLite
by default), so a conversation survives a restart.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from bot.settings import Settings  # noqa: E402

MAX_CHARS = 2000  # longer messages are cut for understanding; the reply says so
EMPTY_REPLY = "Em chưa nhận được nội dung. Anh/chị gõ câu hỏi giúp em nhé, ví dụ: \"đăng ký khai sinh cần gì\"."
TOO_LONG = "(Tin nhắn dài quá {limit} ký tự, em chỉ đọc phần đầu.)"


@dataclass(frozen=True)
class Attachment:
    """A file that goes with a reply: a ``document`` (form guide) or a ``photo`` (chart)."""

    kind: str
    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"
    caption: str = ""


@dataclass
class Reply:
    """One message from the assistant: text, buttons as (title, payload), and files."""

    text: str
    buttons: List[Dict[str, str]] = field(default_factory=list)
    attachments: List[Attachment] = field(default_factory=list)

    def as_text(self) -> str:
        """The reply as plain text, buttons numbered under it, files named."""
        lines = [self.text] if self.text else []
        lines += [f"  [{b['title']}]" for b in self.buttons]
        lines += [f"  (tệp đính kèm: {a.filename})" for a in self.attachments]
        return "\n".join(lines)


def quiet_logs() -> None:
    """Keep Rasa's and TensorFlow's chatter off the terminal (and off stdout, which carries JSON)."""
    import structlog

    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
    for name in ("rasa", "tensorflow", "absl", "sanic", "apscheduler", "urllib3", "asyncio"):
        logging.getLogger(name).setLevel(logging.ERROR)


def latest_model(models_dir: Path) -> Path:
    """The newest trained model in ``models_dir``."""
    models = sorted(Path(models_dir).glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise FileNotFoundError(f"No trained model in {models_dir}: run `motcua train` (or `make run`).")
    return models[-1]


def clean_input(text: Optional[str]) -> str:
    """NFC, no control characters, no surrounding whitespace."""
    text = unicodedata.normalize("NFC", text or "")
    return "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text).strip()


def sqlite_tracker_store(store_class: Any, path: Path) -> Any:
    """Rasa's SQL tracker store on a SQLite file that several worker processes can write at once.

    WAL: readers never wait for a writer, and a commit appends to the log (one fsync, about 2 ms here,
    instead of 13 ms with the default rollback journal). ``synchronous=NORMAL``: no fsync per commit in
    WAL mode, the database stays consistent, a power cut may lose the last turns of conversations
    (https://www.sqlite.org/pragma.html#pragma_synchronous). ``timeout``: a writer waits up to 30 s for
    another process's write instead of failing (Rasa would then keep the turn in memory only).
    """
    import sqlite3

    import sqlalchemy

    db = sqlite3.connect(str(path), timeout=30)
    try:
        db.execute("PRAGMA journal_mode=WAL")
    finally:
        db.close()
    store = store_class(dialect="sqlite", db=str(path), query={"timeout": "30"})
    sqlalchemy.event.listen(store.engine, "connect", lambda conn, _: conn.execute("PRAGMA synchronous=NORMAL"))
    return store


class Assistant:
    """A loaded Rasa agent with motcua's tracker store and in-process actions."""

    def __init__(self, agent: Any, settings: Settings) -> None:
        self.agent = agent
        self.settings = settings

    @classmethod
    async def load(cls, settings: Settings, model_path: Optional[Path] = None, tracker_store_class: Any = None) -> "Assistant":
        """Load the newest model (or ``model_path``) with the deployment's stores.

        ``tracker_store_class``: a subclass of Rasa's ``SQLTrackerStore`` (the worker pool's caching one).
        """
        quiet_logs()
        policy = asyncio.get_event_loop_policy()
        from rasa.core.agent import Agent
        from rasa.core.tracker_store import SQLTrackerStore

        # Importing Rasa imports sanic, which installs uvloop's event-loop policy: that policy cannot watch
        # child processes and has no implicit loop, which breaks subprocesses and schedulers started later.
        # The process keeps the policy it started with.
        asyncio.set_event_loop_policy(policy)

        from bot.inprocess_actions import InProcessActionEndpoint, validate_action_results_with_a_compiled_schema

        validate_action_results_with_a_compiled_schema()

        os.environ["MOTCUA_DB"] = str(settings.db_path)  # actions read it when they run
        settings.tracker_db_path.parent.mkdir(parents=True, exist_ok=True)
        tracker_store = sqlite_tracker_store(tracker_store_class or SQLTrackerStore, settings.tracker_db_path)
        agent = Agent.load(
            model_path=str(model_path or latest_model(settings.models_dir)),
            tracker_store=tracker_store,
            action_endpoint=InProcessActionEndpoint(),
        )
        quiet_logs()
        return cls(agent, settings)

    async def parse(self, text: str) -> Dict[str, Any]:
        """NLU only: intent, confidence, entities and the catalogue procedure."""
        text = clean_input(text)[:MAX_CHARS]
        result = await self.agent.parse_message(text)
        intent = result.get("intent") or {}
        entities = [
            {k: v for k, v in e.items() if k not in ("extractor", "processors")}
            for e in result.get("entities", [])
        ]
        procedure = next((e for e in entities if e["entity"] == "procedure"), None)
        return {
            "text": text,
            "intent": intent.get("name"),
            "confidence": round(float(intent.get("confidence") or 0.0), 4),
            "entities": entities,
            "procedure": (
                {"id": procedure["value"], "code": procedure.get("code"), "name": procedure.get("name"),
                 **({"candidates": procedure["candidates"]} if procedure.get("candidates") else {})}
                if procedure else None
            ),
        }

    async def handle(self, user_id: str, text: str, metadata: Optional[Dict[str, Any]] = None) -> List[Reply]:
        """Run one user message through the dialogue and return the replies."""
        from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

        text = clean_input(text)
        if not text:
            return [Reply(EMPTY_REPLY)]
        notes = []
        if len(text) > MAX_CHARS:
            text = text[:MAX_CHARS]
            notes.append(Reply(TOO_LONG.format(limit=MAX_CHARS)))
        output = CollectingOutputChannel()
        message = UserMessage(text, output, sender_id=str(user_id), metadata=metadata or {})
        await self.agent.handle_message(message)
        replies = []
        for m in output.messages:
            document = (m.get("custom") or {}).get("document") if isinstance(m.get("custom"), dict) else None
            if document:
                attachment = self._guide(document.get("procedure"), document.get("date"))
                if attachment and replies:
                    replies[-1].attachments.append(attachment)
                elif attachment:
                    replies.append(Reply("", attachments=[attachment]))
                continue
            buttons = [{"title": b["title"], "payload": b["payload"]} for b in m.get("buttons") or []]
            replies.append(Reply(m.get("text") or "", buttons))
        return notes + (replies or [Reply("Em chưa có câu trả lời cho câu này; em đã ghi lại để cán bộ xem xét.")])

    def _guide(self, procedure_id: Optional[str], day_iso: Optional[str]) -> Optional[Attachment]:
        """The printable guide of a procedure as a text file, dated as the question is."""
        import datetime as dt

        from actions.render import guide_document
        from bot.documents import DOCX_MIME, docx
        from bot.store import open_store

        procedure = open_store(str(self.settings.db_path)).procedure(procedure_id or "")
        if procedure is None:
            return None
        try:
            day = dt.date.fromisoformat(str(day_iso))
        except ValueError:
            day = dt.date.today()
        return Attachment(
            kind="document",
            filename=f"huong-dan-{procedure.id}.docx",
            content=docx(guide_document(procedure, day).splitlines()),
            mime_type=DOCX_MIME,
            caption=f"Hướng dẫn hồ sơ: {procedure.short_name}",
        )
