"""The rest of the conversation: the one-stop office, feedback, hand-off, subscriptions, fallback."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import latest_entities, latest_intent, latest_text, store
from actions.procedure_info import aspect_buttons, payload, procedure_from_message

UNVERIFIED_WARD = "⚠️ Thông tin của phường đang chờ cán bộ cập nhật; vui lòng gọi đường dây nóng để chắc chắn."


class ActionCounterInfo(Action):
    """Opening hours, address and hotline of the ward's one-stop office."""

    def name(self) -> Text:
        return "action_counter_info"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        ward = store().ward()
        if not ward:
            dispatcher.utter_message(text="Em chưa có thông tin về Bộ phận Một cửa của phường. Anh/chị vui lòng liên hệ UBND phường.")
            return []
        lines = [f"🏛️ Bộ phận Một cửa – {ward['name']}"]
        for key, label in (("address", "Địa chỉ"), ("hours", "Giờ làm việc"), ("hotline", "Đường dây nóng"), ("online", "Nộp trực tuyến")):
            if ward.get(key):
                lines.append(f"• {label}: {ward[key]}")
        if not ward.get("verified", False):
            lines.append(UNVERIFIED_WARD)
        dispatcher.utter_message(text="\n".join(lines))
        return []


class ActionFeedback(Action):
    """Records a citizen's feedback for the ward's officials."""

    def name(self) -> Text:
        return "action_feedback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        store().record("feedback", tracker.sender_id, latest_text(tracker), latest_intent(tracker) or "")
        dispatcher.utter_message(
            text="Em đã ghi nhận ý kiến của anh/chị và chuyển tới cán bộ phụ trách. Cảm ơn anh/chị đã góp ý ạ. "
            "Nếu cần phản ánh chính thức, anh/chị có thể gửi qua Cổng Dịch vụ công quốc gia (mục Phản ánh, kiến nghị)."
        )
        return []


class ActionHandoff(Action):
    """Records that the citizen wants a person and says how to reach one."""

    def name(self) -> Text:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        store().record("handoff_requests", tracker.sender_id, latest_text(tracker), latest_intent(tracker) or "")
        hotline = store().ward().get("hotline")
        contact = f" Anh/chị cũng có thể gọi {hotline} trong giờ làm việc." if hotline else ""
        dispatcher.utter_message(
            text="Em đã chuyển yêu cầu tới cán bộ Bộ phận Một cửa; cán bộ sẽ trả lời anh/chị sớm nhất trong giờ làm việc." + contact
        )
        return []


class ActionSubscribe(Action):
    """Subscribes the citizen to notifications (a dossier's status, or the ward's tips)."""

    def name(self) -> Text:
        return "action_subscribe"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        codes = latest_entities(tracker, "dossier_code")
        topic = f"dossier:{codes[0]['value']}" if codes else "tips"
        new = store().subscribe(tracker.sender_id, topic)
        what = f"thay đổi của hồ sơ {codes[0]['value']}" if codes else "thông báo và hướng dẫn của phường"
        lead = "Em đã đăng ký" if new else "Anh/chị đã đăng ký từ trước"
        dispatcher.utter_message(text=f"{lead} để anh/chị nhận {what}. Gõ \"hủy nhận tin\" bất cứ lúc nào để dừng.")
        return []


class ActionUnsubscribe(Action):
    """Stops every notification to the citizen."""

    def name(self) -> Text:
        return "action_unsubscribe"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        removed = store().unsubscribe(tracker.sender_id)
        text = "Em đã dừng gửi thông báo cho anh/chị." if removed else "Anh/chị hiện không đăng ký nhận thông báo nào."
        dispatcher.utter_message(text=text)
        return []


class ActionOutOfScope(Action):
    """Politely declines what the ward does not handle, and logs it for review."""

    def name(self) -> Text:
        return "action_out_of_scope"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        intent = tracker.latest_message.get("intent") or {}
        store().record("unknown_messages", tracker.sender_id, latest_text(tracker), intent.get("name", ""), intent.get("confidence") or 0.0)
        dispatcher.utter_message(response="utter_out_of_scope")
        return []


class ActionFallback(Action):
    """Low confidence: ask instead of guessing, offer what fits, and log the message for review."""

    def name(self) -> Text:
        return "action_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        text = latest_text(tracker)
        intent = tracker.latest_message.get("intent") or {}
        store().record("unknown_messages", tracker.sender_id, text, intent.get("name", ""), intent.get("confidence") or 0.0)
        if not text.strip():
            dispatcher.utter_message(text="Em chưa nhận được nội dung. Anh/chị gõ câu hỏi giúp em nhé, ví dụ: \"đăng ký khai sinh cần gì\".")
            return []
        procedure_id = procedure_from_message(tracker)
        procedure = store().procedure(procedure_id) if procedure_id else None
        if procedure:
            dispatcher.utter_message(
                text=f"Anh/chị muốn hỏi gì về thủ tục {procedure.short_name} ạ? Chọn một mục bên dưới:",
                buttons=[{"title": "Tổng quan", "payload": payload("ask_procedure", procedure.id)}]
                + aspect_buttons(procedure.id, ""),
            )
            return [SlotSet("procedure", procedure.id)]
        dispatcher.utter_message(response="utter_default")
        return []
