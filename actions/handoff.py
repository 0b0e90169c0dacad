"""The citizen asks for a person ("gặp cán bộ"): name the department and ask for consent (bot/people/handoff.py).

The consent itself, and every message while the hand-off is open, is taken by the desk before the NLU
(bot/people/desk.py), so it works alike on every channel. A channel that cannot carry an official's answer back
(the web chat, the terminal) gets the request recorded and the ward's contacts instead.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import ServiceAction, latest_intent, latest_text, question_moment
from actions.procedure_info import procedure_from_message
from bot.people.handoff import closed_note, next_opening
from bot.people.users import PUSH_CHANNELS, split_conversation_id
from bot.people.waiting import HANDOFF_CONSENT


def conversation_procedure(tracker: Tracker, services: Any) -> Optional[Tuple[str, str, str]]:
    """``(id, short name, field)`` of the procedure this message or the conversation is about, if any."""
    procedure_id = procedure_from_message(tracker) or tracker.get_slot("procedure")
    procedure = services.catalogue.procedure(procedure_id) if procedure_id else None
    return (procedure.id, procedure.short_name, procedure.field) if procedure else None


class ActionHandoff(ServiceAction):
    """Offers the on-duty official of the right department, asking the citizen's consent first."""

    def name(self) -> Text:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        services, now = self.services, question_moment(tracker, trusted=True)
        services.reviews.record("handoff_requests", tracker.sender_id, latest_text(tracker), latest_intent(tracker) or "")
        hotline = services.catalogue.ward().get("hotline")
        contact = f"Anh/chị cũng có thể gọi {hotline} trong giờ làm việc." if hotline else \
            "Anh/chị cũng có thể đến Bộ phận Một cửa của phường trong giờ làm việc."
        parts = split_conversation_id(tracker.sender_id)
        account = services.users.find(*parts) if parts else None
        if account is None or account.channel not in PUSH_CHANNELS:
            dispatcher.utter_message(text="Em đã ghi lại yêu cầu gặp cán bộ. Trò chuyện trực tiếp với cán bộ qua trợ lý dùng "
                                          f"được trên Telegram hoặc Zalo của phường. {contact}")
            return []
        current = services.handoffs.open_for_citizen(account)
        if current is not None:
            dispatcher.utter_message(text=f"Anh/chị đang trò chuyện với cán bộ {current.department} (#{current.id}): "
                                          "cứ nhắn, em chuyển ngay. Gõ /ketthuc để kết thúc.")
            return []
        procedure = conversation_procedure(tracker, services)
        department = services.handoffs.department_for(procedure[2] if procedure else None)
        services.waiting.set(account.id, HANDOFF_CONSENT, {
            "department": department, "procedure_id": procedure[0] if procedure else None,
            "procedure_name": procedure[1] if procedure else None, "contact": contact}, now)
        about = f" về thủ tục {procedure[1]}" if procedure else ""
        lines = [f"Em có thể chuyển cuộc trò chuyện{about} cho cán bộ {department} đang trực. Khi đó tin nhắn của "
                 "anh/chị (kèm tên hiển thị) được chuyển tới cán bộ qua trợ lý, và trả lời của cán bộ sẽ gửi về đây, "
                 "đến khi một bên gõ /ketthuc. Anh/chị đồng ý không?"]
        opening = next_opening(now)
        if opening is not None:
            lines.append(closed_note(opening, now))
        dispatcher.utter_message(text="\n".join(lines), buttons=[{"title": "Đồng ý", "payload": "đồng ý"},
                                                                  {"title": "Không, cảm ơn", "payload": "không cần"}])
        return []
