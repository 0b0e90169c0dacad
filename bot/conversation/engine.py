"""The conversation engine, channel-neutral: a user id and a text in, the replies out.

Every channel (terminal, web chat, Telegram, Zalo) calls :meth:`Assistant.handle`. The Rasa
agent runs the custom actions in-process and keeps conversations in a SQL tracker store (SQLite
by default), so a conversation survives a restart.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import time
import unicodedata
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from bot.catalogue.answers import guide_document
from bot.catalogue.documents import DOCX_MIME, docx
from bot.conversation.tracker_store import sqlite_tracker_store
from bot.delivery.reply import Attachment, Reply
from bot.logs import quiet_libraries
from bot.metrics import IN_PROGRESS, MESSAGES, REPLY_SECONDS, channel_of
from bot.phrases import EMPTY_MESSAGE_REPLY
from bot.services import Services, deployment_services
from bot.settings import Settings
from bot.timeutil import now_vn

MAX_CHARS = 2000  # longer messages are cut for understanding; the reply says so
TOO_LONG = "(Tin nhắn dài quá {limit} ký tự, em chỉ đọc phần đầu.)"
# the intent Rasa's NLU gave the message of the turn under way (a dict per turn, see _count_intents)
_TURN: contextvars.ContextVar = contextvars.ContextVar("motcua_turn", default=None)


def latest_model(models_dir: Path) -> Path:
    """The newest trained model in ``models_dir``."""
    models = sorted(Path(models_dir).glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise FileNotFoundError(f"No trained model in {models_dir}: run `motcua train` (or `make run`).")
    return models[-1]


def _count_intents(agent: Any) -> None:
    """Let the turn under way learn the intent its message got: the processor's ``parse_message`` (called once per
    message by ``handle_message``) writes it into the turn's dict, read by :meth:`Assistant.handle` for the metrics."""
    processor = getattr(agent, "processor", None)
    parse = getattr(processor, "parse_message", None)
    if parse is None:
        return
    # a forged button payload ("/anything{...}") names any intent: only the domain's intents become labels
    known = set(getattr(getattr(agent, "domain", None), "intents", None) or ()) | {"nlu_fallback"}

    async def parse_and_note(*args: Any, **kwargs: Any) -> Any:
        data = await parse(*args, **kwargs)
        turn = _TURN.get()
        if turn is not None and isinstance(data, dict):
            name = (data.get("intent") or {}).get("name")
            turn["intent"] = name if name in known else ("none" if not name else "other")
        return data

    processor.parse_message = parse_and_note
def with_notice(replies: List[Reply], notice: Optional[str]) -> List[Reply]:
    """``replies`` with the privacy notice as the last paragraph of the last reply (the answer comes first; the
    number of messages stays the same)."""
    if not notice or not replies:
        return replies
    last = replies[-1]
    replies[-1] = Reply(f"{last.text}\n\n{notice}" if last.text else notice, last.buttons, last.attachments)
    return replies


def clean_input(text: Optional[str]) -> str:
    """NFC, no control characters, no surrounding whitespace; anything but a text (a forged update's list or
    number) is no message at all."""
    text = unicodedata.normalize("NFC", text if isinstance(text, str) else "")
    return "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text).strip()



class Assistant:
    """A loaded Rasa agent with motcua's tracker store and in-process actions."""

    def __init__(self, agent: Any, settings: Settings, services: Services,
                 clock: Callable[[], dt.datetime] = now_vn) -> None:
        self.agent = agent
        self.settings = settings
        self.services = services
        self.clock = clock  # the moment a message arrives (the desk: hand-offs, office hours)

    @classmethod
    async def load(cls, settings: Settings, model_path: Optional[Path] = None, tracker_store_class: Any = None) -> "Assistant":
        """Load the newest model (or ``model_path``) with the deployment's stores.

        ``tracker_store_class``: a subclass of Rasa's ``SQLTrackerStore`` (the worker pool's caching one).
        """
        quiet_libraries()
        policy = asyncio.get_event_loop_policy()
        from rasa.core.agent import Agent
        from rasa.core.tracker_store import SQLTrackerStore

        # Importing Rasa imports sanic, which installs uvloop's event-loop policy: that policy cannot watch
        # child processes and has no implicit loop, which breaks subprocesses and schedulers started later.
        # The process keeps the policy it started with.
        asyncio.set_event_loop_policy(policy)

        from bot.conversation.inprocess_actions import InProcessActionEndpoint, validate_action_results_with_a_compiled_schema

        validate_action_results_with_a_compiled_schema()

        services = deployment_services(settings)
        tracker_store = sqlite_tracker_store(tracker_store_class or SQLTrackerStore, settings.tracker_db_path)
        agent = Agent.load(
            model_path=str(model_path or latest_model(settings.models_dir)),
            tracker_store=tracker_store,
            action_endpoint=InProcessActionEndpoint(services),
        )
        quiet_libraries()
        _count_intents(agent)
        return cls(agent, settings, services)

    def health(self) -> Dict[str, Any]:
        """``/healthz``'s model part: the agent has its model and its tracker store."""
        return {"ok": bool(self.agent is not None and self.agent.is_ready())}

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
        """Run one user message through the dialogue and return the replies.

        The desk (bot/people/desk.py) sees it first: a message of an open hand-off, a rating button, the answer the
        conversation waits for are taken there, on every channel, and never reach the NLU. Counted in
        ``motcua_messages`` (channel, intent) and ``motcua_reply_seconds`` (bot/metrics.py)."""
        turn = {"intent": "error"}
        token = _TURN.set(turn)
        started = time.perf_counter()
        IN_PROGRESS.inc()
        try:
            return await self._handle(user_id, text, metadata, turn)
        finally:
            IN_PROGRESS.dec()
            _TURN.reset(token)
            channel = channel_of(user_id)
            MESSAGES.labels(channel, turn["intent"]).inc()
            REPLY_SECONDS.labels(channel).observe(time.perf_counter() - started)

    async def _handle(self, user_id: str, text: str, metadata: Optional[Dict[str, Any]], turn: Dict[str, str]) -> List[Reply]:
        text = clean_input(text)
        if not text:
            turn["intent"] = "empty"
            return [Reply(EMPTY_MESSAGE_REPLY)]
        notes = []
        if len(text) > MAX_CHARS:
            text = text[:MAX_CHARS]
            notes.append(Reply(TOO_LONG.format(limit=MAX_CHARS)))
        now = self.clock()
        taken = self.services.desk.handle(str(user_id), text, now)
        notice = self.services.desk.first_contact(str(user_id), now)  # once per account: bot/people/privacy.py
        if taken is not None:
            turn["intent"] = "desk"
            self._forget(str(user_id))  # the desk may have erased the conversation: read it from the store next time
            return notes + with_notice(taken, notice)
        from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

        output = CollectingOutputChannel()
        message = UserMessage(text, output, sender_id=str(user_id), metadata=metadata or {})
        await self.agent.handle_message(message)
        replies = []
        for m in output.messages:
            custom = m.get("custom") if isinstance(m.get("custom"), dict) else {}
            if custom.get("document") or custom.get("file"):
                document = custom.get("document") or {}
                attachment = (self.services.files.take(custom["file"]) if custom.get("file")
                              else self._guide(document.get("procedure"), document.get("date")))
                if attachment and replies:
                    replies[-1].attachments.append(attachment)
                elif attachment:
                    replies.append(Reply("", attachments=[attachment]))
                continue
            buttons = [{"title": b["title"], "payload": b["payload"]} for b in m.get("buttons") or []]
            replies.append(Reply(m.get("text") or "", buttons))
        return notes + with_notice(replies or [Reply("Em chưa có câu trả lời cho câu này; em đã ghi lại để cán bộ xem xét.")],
                                   notice)

    def _forget(self, user_id: str) -> None:
        """Drop a conversation a worker's tracker store keeps in memory (bot/conversation/workers.py), if it keeps any."""
        store = getattr(self.agent, "tracker_store", None)
        forget = getattr(getattr(store, "_tracker_store", store), "forget", None)
        if callable(forget):
            forget(user_id)

    def _guide(self, procedure_id: Optional[str], day_iso: Optional[str]) -> Optional[Attachment]:
        """The printable guide of a procedure as a text file, dated as the question is."""
        procedure = self.services.catalogue.procedure(procedure_id or "")
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
