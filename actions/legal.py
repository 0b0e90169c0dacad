"""The law in the chat: the legal-basis review for officials (/ratsoat, ``ask_legal_review``) and answers to
citizens' legal questions (``ask_law``). Thin: the register, the review, the search and the wording live in bot/legal."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import ServiceAction, latest_entities, latest_text, question_date
from actions.officials import OfficialAction, Outcome
from bot.legal.review import for_department, review, review_text
from bot.people.roles import Scope
from bot.people.users import User

DATE = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b|\b(\d{4})-(\d{2})-(\d{2})\b")


def asked_date(text: str, default: dt.date) -> dt.date:
    """A date written in the request ("/ratsoat 02/03/2027", "2027-03-02"), else ``default``."""
    match = DATE.search(text or "")
    if not match:
        return default
    try:
        if match.group(1):
            return dt.date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        return dt.date(int(match.group(4)), int(match.group(5)), int(match.group(6)))
    except ValueError:
        return default


def _procedures(services: Any) -> Dict[str, Any]:
    found = {pid: services.catalogue.procedure(pid) for pid in services.catalogue.ids()}
    return {pid: p for pid, p in found.items() if p is not None}


class ActionLegalReview(OfficialAction):
    """/ratsoat, "rà soát căn cứ pháp lý": each procedure's cited documents on the day (an official: their department's)."""

    command = "legal_review"

    def name(self) -> Text:
        return "action_legal_review"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        from bot.legal.answers import WHICH_DOCUMENT, in_force_asked

        text = latest_text(tracker)
        if self.account(tracker) is None and not text.lstrip().startswith("/") and in_force_asked(text):
            # a citizen asking in words whether a law is still in force ("Luật Hộ tịch 60/2014 còn hiệu lực không"): the
            # register's answer, or which document they mean; anything else asked of the officials' review is refused
            if not answer_in_force(self.services, dispatcher, tracker):
                dispatcher.utter_message(text=WHICH_DOCUMENT)
            return []
        return super().run(dispatcher, tracker, domain)

    def run_official(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any],
                     user: User, scope: Scope) -> Outcome:
        given = [str(e.get("value") or "") for e in latest_entities(tracker, "officials_request")]
        text = given[0][:300] if given else latest_text(tracker)
        day = asked_date(text, question_date(tracker))
        procedures = _procedures(self.services)
        register = self.services.legal.register
        result = for_department(review(register, procedures.values(), day), procedures, scope.department)
        dispatcher.utter_message(text=review_text(result, register, limit=10))
        return Outcome(detail=f"{day.isoformat()}: {len(result['procedures'])} thủ tục")


class ActionAnswerLaw(ServiceAction):
    """A question about the law ("khai sinh trễ hạn có bị phạt không", "khiếu nại trong bao lâu"): the article that
    answers it, quoted and checked (bot/legal/answers.py), or "em chưa chắc" and the counter."""

    def name(self) -> Text:
        return "action_answer_law"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        return answer_law(self.services, dispatcher, tracker)


def answer_in_force(services: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Whether the latest message asked if a registered document is in force, and was answered (bot/legal/answers.py
    :func:`in_force_answer`): "Luật Hộ tịch 2014 còn hiệu lực không", whatever intent it was taken for."""
    from bot.legal.answers import in_force_answer

    status = in_force_answer(services.legal, latest_text(tracker), question_date(tracker), services.catalogue.ward())
    if status is not None:
        dispatcher.utter_message(text=status.text)
    return status is not None


def answer_law(services: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
    """The law's answer to the latest message (bot/legal/answers.py), with the ward procedure it names when the law gives
    no citation."""
    from bot.legal.answers import answer_question, pointing_to

    procedure: Optional[str] = tracker.get_slot("procedure")
    catalogue = services.catalogue
    answer = answer_question(services.legal, latest_text(tracker), question_date(tracker),
                             procedure=catalogue.procedure(procedure) if procedure else None,
                             procedures=_procedures(services), ward=catalogue.ward())
    named = [str(e.get("value")) for e in latest_entities(tracker, "procedure") if e.get("value")]
    if named:  # a procedure this very message names, not one left over from an earlier message
        answer = pointing_to(answer, catalogue.procedure(named[0]))
    dispatcher.utter_message(text=answer.text, buttons=answer.buttons)
    return [SlotSet("procedure", answer.procedure_id)] if answer.procedure_id else []
