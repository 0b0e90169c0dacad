"""The rest of the conversation: feedback, subscriptions, fallback (the counters: actions/counters.py; the hand-off:
actions/handoff.py)."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.community import panel, subscribe_choices, unsubscribe_topic
from actions.context import ServiceAction, latest_entities, latest_intent, latest_text
from actions.legal import answer_in_force
from actions.listed import answer_listed
from actions.procedure_info import answer_correction, aspect_buttons, payload, procedure_from_message
from bot.community.areas import load_areas
from bot.metrics import FALLBACKS, channel_of
from bot.people.subscriptions import follow, stop
from bot.phrases import EMPTY_MESSAGE_REPLY, REFUSAL
from nlu.dossier_code import EXAMPLE_CODE, explain_invalid, looks_like_code


class ActionFeedback(ServiceAction):
    """Records a citizen's feedback for the ward's officials."""

    def name(self) -> Text:
        return "action_feedback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        self.services.reviews.record("feedback", tracker.sender_id, latest_text(tracker), latest_intent(tracker) or "")
        dispatcher.utter_message(
            text="Em đã ghi nhận ý kiến của anh/chị và chuyển tới cán bộ phụ trách. Cảm ơn anh/chị đã góp ý ạ. "
            "Nếu cần phản ánh, kiến nghị chính thức (có số theo dõi và hạn trả lời), anh/chị bấm nút bên dưới, hoặc gửi "
            "qua Cổng Dịch vụ công quốc gia (mục Phản ánh, kiến nghị).",
            buttons=[{"title": "Gửi phản ánh chính thức", "payload": "/petition"}],
        )
        return []


class ActionSubscribe(ServiceAction):
    """Subscribes the citizen to notifications (a dossier's status, or the ward's tips)."""

    def name(self) -> Text:
        return "action_subscribe"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        codes = [str(e.get("value") or "").strip() for e in latest_entities(tracker, "dossier_code")]
        if not codes:  # a topic or an area (buttons, "nhận thông báo của phường khu 3"): bot/people/subscriptions.py
            chosen = subscribe_choices(dispatcher, tracker, self.services)
            if chosen is not None:
                return chosen
        dossier = None
        if codes:
            if not looks_like_code(codes[0]):
                dispatcher.utter_message(text=f"{explain_invalid(codes[0])} Mã hồ sơ có dạng như {EXAMPLE_CODE}.")
                return []
            dossier = self.services.dossiers.get(codes[0])
            if dossier is None:
                dispatcher.utter_message(text=f"Em chưa tìm thấy hồ sơ mã {codes[0]}. Anh/chị kiểm tra lại mã in trên "
                                         "Giấy tiếp nhận hồ sơ giúp em.")
                return []
        followed = follow(self.services.users, self.services.subscriptions, tracker.sender_id, dossier)
        what = f"thay đổi của hồ sơ {followed.code}" if followed.code else "thông báo và hướng dẫn của phường"
        lead = "Em đã đăng ký" if followed.new else "Anh/chị đã đăng ký từ trước"
        dispatcher.utter_message(text=f"{lead} để anh/chị nhận {what}. Gõ \"hủy nhận tin\" (hoặc /huy) bất cứ lúc nào để dừng.")
        if not followed.code:  # the panel: topics and area, to see and change
            text, buttons = panel(self.services, tracker.sender_id, load_areas())
            dispatcher.utter_message(text=text, buttons=buttons)
        return []


class ActionUnsubscribe(ServiceAction):
    """Stops every notification to the citizen."""

    def name(self) -> Text:
        return "action_unsubscribe"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        one = unsubscribe_topic(dispatcher, tracker, self.services)  # a button stopping one topic
        if one is not None:
            return one
        removed = stop(self.services.users, self.services.subscriptions, tracker.sender_id, source="chat")
        text = "Em đã dừng gửi thông báo cho anh/chị." if removed else "Anh/chị hiện không đăng ký nhận thông báo nào."
        dispatcher.utter_message(text=text)
        return []


class ActionOutOfScope(ServiceAction):
    """Politely declines what the ward does not handle, and logs it for review."""

    def name(self) -> Text:
        return "action_out_of_scope"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        corrected = answer_correction(dispatcher, tracker, self.services)  # "không phải, khai tử cơ"
        if corrected is not None:
            return corrected
        intent = tracker.latest_message.get("intent") or {}
        self.services.reviews.record("unknown_messages", tracker.sender_id, latest_text(tracker), intent.get("name", ""), intent.get("confidence") or 0.0)
        listed = answer_listed(dispatcher, tracker, self.services)  # "thành lập công ty": who handles it
        if listed is not None:
            return listed
        dispatcher.utter_message(response="utter_out_of_scope")
        return []


class ActionFallback(ServiceAction):
    """Low confidence: ask instead of guessing, offer what fits, and log the message for review."""

    def name(self) -> Text:
        return "action_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        text = latest_text(tracker)
        intent = tracker.latest_message.get("intent") or {}
        self.services.reviews.record("unknown_messages", tracker.sender_id, text, intent.get("name", ""), intent.get("confidence") or 0.0)
        FALLBACKS.labels(channel_of(tracker.sender_id)).inc()
        if not text.strip():
            dispatcher.utter_message(text=EMPTY_MESSAGE_REPLY)
            return []
        if text.strip().startswith("/"):  # a command the assistant does not have: the words a refused one gets
            dispatcher.utter_message(text=REFUSAL)
            return []
        corrected = answer_correction(dispatcher, tracker, self.services)  # "ý tôi là đăng ký khai tử"
        if corrected is not None:
            return corrected
        procedure_id = procedure_from_message(tracker)
        procedure = self.services.catalogue.procedure(procedure_id) if procedure_id else None
        if procedure:
            dispatcher.utter_message(
                text=f"Anh/chị muốn hỏi gì về thủ tục {procedure.short_name} ạ? Chọn một mục bên dưới:",
                buttons=[{"title": "Tổng quan", "payload": payload("ask_procedure", procedure.id)}]
                + aspect_buttons(procedure.id, ""),
            )
            return [SlotSet("procedure", procedure.id)]
        listed = answer_listed(dispatcher, tracker, self.services)  # "xin lý lịch tư pháp": who handles it
        if listed is not None:
            return listed
        if answer_in_force(self.services, dispatcher, tracker):  # "nghi dinh 20/2021 con ap dung ko": the register knows
            return []
        dispatcher.utter_message(response="utter_default")
        return []
