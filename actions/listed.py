"""A procedure the catalogue has no entry for but the light list names: who handles it, instead of a guess.

One function, :func:`answer_listed`, used by every action that would otherwise ask "which procedure?", decline or
say it did not understand (actions/procedure_info.py, actions/service.py). It speaks only when the message named no
catalogue entry (the NLU's resolver added no ``procedure`` entity), so an answer from the catalogue never changes.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import latest_entities, latest_text
from bot.catalogue.procedure_list import listed_reply
from bot.services import Services
from nlu.listed import listed_resolver


def answer_listed(dispatcher: CollectingDispatcher, tracker: Tracker, services: Services) -> Optional[List[Dict[Text, Any]]]:
    """Name the listed procedures the latest message is about, with who handles them (and, for one the ward handles,
    that there is no detailed guide yet and where to ask); None when the message named a catalogue entry or no
    listed procedure. The last procedure is forgotten: a follow-up must not inherit it."""
    if latest_entities(tracker, "procedure"):
        return None
    found = listed_resolver(services.catalogue.listed()).resolve(latest_text(tracker))
    if not found:
        return None
    dispatcher.utter_message(text=listed_reply(found, services.catalogue.ward()))
    return [SlotSet("procedure", None), SlotSet("procedure_candidates", None), SlotSet("pending_aspect", None)]
