"""Answering questions about a procedure: overview, documents, fee, time, where, forms, law.

The procedure comes from the message (the resolver's entity), from a numbered choice the
assistant offered, or from the conversation so far ("thế lệ phí bao nhiêu?").
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import ServiceAction, latest_entities, latest_intent, question_date
from bot.catalogue.answers import ASPECT_TITLES, answer
from bot.catalogue.procedures import EID_PROCEDURE

ASPECT_OF_INTENT = {
    "ask_procedure": "overview",
    "ask_documents": "documents",
    "ask_fee": "fee",
    "ask_processing_time": "time",
    "ask_where": "where",
    "ask_form": "form",
    "ask_legal": "legal",
    "ask_eid": "overview",
}
POPULAR = ["dang-ky-khai-sinh", "dang-ky-ket-hon", "dang-ky-khai-tu", "chung-thuc-ban-sao-tu-ban-chinh", "dang-ky-thuong-tru", "cap-the-can-cuoc"]
ASPECT_BUTTONS = [("documents", "ask_documents"), ("fee", "ask_fee"), ("time", "ask_processing_time"), ("where", "ask_where")]


def intent_of_aspect(aspect: str) -> str:
    """The intent that asks about ``aspect`` (the first one, for "overview")."""
    return next((intent for intent, a in ASPECT_OF_INTENT.items() if a == aspect), "ask_procedure")


def payload(intent: str, procedure_id: str) -> str:
    """A Rasa button payload that asks ``intent`` about ``procedure_id``."""
    return f"/{intent}{json.dumps({'procedure': procedure_id})}"


def choice_buttons(ids: List[str], intent: str, names: Dict[str, str]) -> List[Dict[str, str]]:
    """Numbered buttons, one per candidate procedure."""
    return [{"title": f"{i}. {names[pid]}", "payload": payload(intent, pid)} for i, pid in enumerate(ids, 1)]


def aspect_buttons(procedure_id: str, skip: str) -> List[Dict[str, str]]:
    """Follow-up buttons for the other aspects of the same procedure."""
    return [
        {"title": ASPECT_TITLES[aspect], "payload": payload(intent, procedure_id)}
        for aspect, intent in ASPECT_BUTTONS
        if aspect != skip
    ]


class ActionAnswerProcedure(ServiceAction):
    """Answers ``ask_*`` intents and ``choose_option`` from the catalogue."""

    def name(self) -> Text:
        return "action_answer_procedure"

    def _pick(self, tracker: Tracker) -> Dict[str, Any]:
        """Which procedure the message is about: ``{"id"}``, ``{"candidates"}`` or ``{}``."""
        entities = latest_entities(tracker, "procedure")
        if entities:
            entity = entities[0]
            if entity.get("candidates"):
                return {"candidates": list(entity["candidates"])}
            return {"id": entity["value"]}
        candidates = tracker.get_slot("procedure_candidates") or []
        ordinals = latest_entities(tracker, "ordinal")
        if candidates and ordinals:
            number = int(ordinals[0]["value"])
            index = len(candidates) - 1 if number == -1 else number - 1
            if 0 <= index < len(candidates):
                return {"id": candidates[index]}
            return {"candidates": candidates, "bad_choice": number}
        if latest_intent(tracker) == "ask_eid":
            return {"id": EID_PROCEDURE}
        if tracker.get_slot("procedure"):
            return {"id": tracker.get_slot("procedure")}
        return {}

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        intent = latest_intent(tracker)
        if intent in ASPECT_OF_INTENT:
            aspect = ASPECT_OF_INTENT[intent]
        else:  # choose_option, or a fallback that found a procedure
            aspect = tracker.get_slot("pending_aspect") or "overview"
        data = self.services.catalogue
        pick = self._pick(tracker)

        if "candidates" in pick:
            names = {pid: (data.procedure(pid).short_name if data.procedure(pid) else pid) for pid in pick["candidates"]}
            lead = (
                f"Không có lựa chọn số {pick['bad_choice']}. " if pick.get("bad_choice") else ""
            ) + "Anh/chị muốn hỏi thủ tục nào ạ? Chọn một số:"
            lines = [f"{i}. {names[pid]}" for i, pid in enumerate(pick["candidates"], 1)]
            dispatcher.utter_message(
                text="\n".join([lead, *lines]),
                buttons=choice_buttons(pick["candidates"], intent_of_aspect(aspect), names),
            )
            return [SlotSet("procedure_candidates", pick["candidates"]), SlotSet("pending_aspect", aspect)]

        procedure = data.procedure(pick["id"]) if "id" in pick else None
        if procedure is None:
            names = {pid: data.procedure(pid).short_name for pid in POPULAR if data.procedure(pid)}
            dispatcher.utter_message(
                text=(
                    f"Anh/chị muốn hỏi {ASPECT_TITLES[aspect].lower()} của thủ tục nào ạ? "
                    "Anh/chị gõ tên thủ tục (ví dụ: đăng ký khai sinh, chứng thực bản sao, làm căn cước) "
                    "hoặc chọn một thủ tục hay gặp:"
                ),
                buttons=choice_buttons(list(names), intent_of_aspect(aspect), names),
            )
            return [SlotSet("procedure_candidates", list(names)), SlotSet("pending_aspect", aspect)]

        dispatcher.utter_message(
            text=answer(procedure, aspect, question_date(tracker)),
            buttons=aspect_buttons(procedure.id, aspect),
        )
        if aspect == "form":  # the channel sends the printable guide as a file (bot.conversation.engine.Attachment)
            dispatcher.utter_message(
                json_message={"document": {"procedure": procedure.id, "date": question_date(tracker).isoformat()}}
            )
        return [SlotSet("procedure", procedure.id), SlotSet("procedure_candidates", None), SlotSet("pending_aspect", None)]


def procedure_from_message(tracker: Tracker) -> Optional[str]:
    """The unambiguous procedure id named in the latest message, if any."""
    for entity in latest_entities(tracker, "procedure"):
        if not entity.get("candidates"):
            return entity["value"]
    return None
