"""What every action needs: the store of this deployment and the date of the question."""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker

from bot.settings import Settings
from bot.store import Store, open_store

VIETNAM = dt.timezone(dt.timedelta(hours=7))


def store() -> Store:
    """The deployment's store (the path comes from the settings, read when an action runs)."""
    return open_store(str(Settings.from_env().db_path))


def question_date(tracker: Tracker) -> dt.date:
    """The date the citizen asked, in Vietnam; ``metadata.as_of`` (YYYY-MM-DD) overrides it."""
    metadata = tracker.latest_message.get("metadata") or {}
    as_of = metadata.get("as_of")
    if as_of:
        try:
            return dt.date.fromisoformat(str(as_of))
        except ValueError:
            pass
    for event in reversed(tracker.events):
        if event.get("event") == "user" and event.get("timestamp"):
            return dt.datetime.fromtimestamp(event["timestamp"], VIETNAM).date()
    return dt.datetime.now(VIETNAM).date()


def latest_entities(tracker: Tracker, name: str) -> List[Dict[str, Any]]:
    """Entities called ``name`` in the latest user message."""
    return [e for e in tracker.latest_message.get("entities", []) if e.get("entity") == name]


def latest_intent(tracker: Tracker) -> Optional[str]:
    """The latest user message's intent name."""
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_text(tracker: Tracker) -> str:
    """The latest user message's text."""
    return tracker.latest_message.get("text") or ""
