"""Files an action made for the reply it is writing (a report's chart, its Excel), handed to the engine by token.

Custom actions run in the assistant's process (bot/conversation/inprocess_actions.py), so an action keeps the bytes
here and sends only ``json_message={"file": token}``; the engine takes them back and attaches them to the reply.
Nothing large goes through the tracker store, and a forged payload cannot name a file (tokens are random, taken once).
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from typing import Optional

from bot.delivery.reply import Attachment

KEPT = 64  # files not taken (a reply that failed) are forgotten, oldest first


class OutgoingFiles:
    """A small in-memory handover of :class:`Attachment` objects from the actions to the engine."""

    def __init__(self, kept: int = KEPT) -> None:
        self._files: "OrderedDict[str, Attachment]" = OrderedDict()
        self._kept = kept
        self._lock = threading.Lock()

    def put(self, attachment: Attachment) -> str:
        """Keep ``attachment``; returns the token the engine takes it back with."""
        token = secrets.token_urlsafe(12)
        with self._lock:
            self._files[token] = attachment
            while len(self._files) > self._kept:
                self._files.popitem(last=False)
        return token

    def take(self, token: object) -> Optional[Attachment]:
        """The attachment kept under ``token``, once; None for an unknown or already taken token."""
        if not isinstance(token, str):
            return None
        with self._lock:
            return self._files.pop(token, None)
