"""What every action needs: the deployment's services (injected) and the moment of the question."""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker

from bot.services import Services
from bot.timeutil import moment_of_question


class ServiceAction(Action):
    """A custom action that answers from the deployment's services, handed in when the executor registers it.

    Rasa-sdk's own ``register_package`` would build actions with no arguments; the in-process executor
    (bot/conversation/inprocess_actions.py) builds them with the services instead (:func:`actions.build`)."""

    def __init__(self, services: Services) -> None:
        self.services = services


def question_moment(tracker: Tracker, trusted: bool = False) -> dt.datetime:
    """When the citizen asked, in Vietnam: ``metadata.as_of`` (YYYY-MM-DD, noon) or the message's own time.

    ``trusted``: the message's own time only (what counts wrong tries must not move with metadata)."""
    metadata = tracker.latest_message.get("metadata") or {}
    sent_at = next((e.get("timestamp") for e in reversed(tracker.events) if e.get("event") == "user" and e.get("timestamp")), None)
    return moment_of_question(None if trusted else metadata.get("as_of"), sent_at)


def question_date(tracker: Tracker) -> dt.date:
    """The day the citizen asked (see :func:`question_moment`): fees and laws are those in force that day."""
    return question_moment(tracker).date()


def latest_entities(tracker: Tracker, name: str) -> List[Dict[str, Any]]:
    """Entities called ``name`` in the latest user message."""
    return [e for e in tracker.latest_message.get("entities", []) if e.get("entity") == name]


def latest_intent(tracker: Tracker) -> Optional[str]:
    """The latest user message's intent name."""
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_text(tracker: Tracker) -> str:
    """The latest user message's text."""
    return tracker.latest_message.get("text") or ""
