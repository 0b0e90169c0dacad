"""Dossier tracking: the form that asks for a code, its format check, and the lookup."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import latest_text, store
from nlu.dossier_code import explain_invalid, looks_like_code

EXAMPLE = "000.00.12.H49-251120-0031"
STATUS_NAMES = {
    "new": "Mới nộp, chờ tiếp nhận",
    "received": "Đã tiếp nhận",
    "not_received": "Không tiếp nhận",
    "in_progress": "Đang giải quyết",
    "additions_requested": "Yêu cầu bổ sung hồ sơ",
    "financial_obligation": "Chờ thực hiện nghĩa vụ tài chính",
    "withdrawn": "Công dân đã rút hồ sơ",
    "stopped": "Dừng xử lý",
    "done": "Đã có kết quả",
    "returned": "Đã trả kết quả",
}


def mask_name(name: str) -> str:
    """"Nguyễn Văn An" -> "N*** V** An": enough to recognise, not enough to expose."""
    parts = (name or "").split()
    if not parts:
        return "(không rõ)"
    return " ".join([p[0] + "*" * (len(p) - 1) for p in parts[:-1]] + [parts[-1]])


class ValidateDossierForm(FormValidationAction):
    """Checks the dossier code's format before a lookup."""

    def name(self) -> Text:
        return "validate_dossier_form"

    def validate_dossier_code(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Accept a code of the right shape; otherwise say why and ask again."""
        value = str(slot_value or "").strip()
        if looks_like_code(value):
            return {"dossier_code": value}
        dispatcher.utter_message(text=f"{explain_invalid(value)} Mã hồ sơ có dạng như {EXAMPLE} (in trên giấy tiếp nhận).")
        return {"dossier_code": None}


class ActionExplainDossierCode(Action):
    """Inside the form, a message without a code: say what a code looks like."""

    def name(self) -> Text:
        return "action_explain_dossier_code"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        reason = explain_invalid(latest_text(tracker)) if latest_text(tracker).strip() else "Em chưa thấy mã hồ sơ."
        dispatcher.utter_message(
            text=f"{reason} Mã hồ sơ in trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả, có dạng như {EXAMPLE}. "
            "Nếu không muốn tra cứu nữa, anh/chị gõ \"thôi\"."
        )
        return []


class ActionCheckDossier(Action):
    """Looks the dossier up and tells its status; personal data stays masked."""

    def name(self) -> Text:
        return "action_check_dossier"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        code = tracker.get_slot("dossier_code") or ""
        dossier = store().dossier(code) if code else None
        if dossier is None:
            dispatcher.utter_message(
                text=f"Em không tìm thấy hồ sơ mã {code}. Anh/chị kiểm tra lại mã trên Giấy tiếp nhận "
                "hoặc liên hệ Bộ phận Một cửa. Hồ sơ nộp trực tuyến có thể tra trên Cổng Dịch vụ công quốc gia."
            )
            return [SlotSet("dossier_code", None)]
        procedure = store().procedure(dossier.get("procedure_id") or "")
        lines = [
            f"🔎 Hồ sơ {dossier['code']}",
            f"• Thủ tục: {procedure.name if procedure else dossier.get('procedure_id') or '(không rõ)'}",
            f"• Người nộp: {mask_name(dossier.get('applicant_name') or '')}",
            f"• Tình trạng: {STATUS_NAMES.get(dossier.get('status') or '', dossier.get('status') or '(không rõ)')}",
        ]
        if dossier.get("due_at"):
            lines.append(f"• Hẹn trả: {dossier['due_at']}")
        if dossier.get("note"):
            lines.append(f"• Ghi chú: {dossier['note']}")
        dispatcher.utter_message(text="\n".join(lines))
        return [SlotSet("dossier_code", None)]
