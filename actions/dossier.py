"""Dossier tracking: the form that asks for a code, its format check, the lookup and its protected details.

Anyone with a code sees the status, the step, the due date and a masked name. The details (full name,
what is missing, who handles it) need the last four digits of the applicant's phone or ID number. The
digits are never put in a slot: ``action_extract_dossier_answer`` (a custom slot mapping that runs after
every message) only notes *that* the message is a four-digit answer to a pending lookup, and
``action_dossier_details`` reads the digits from that message once. Wrong tries are counted in SQLite per
dossier per day (``bot.dossiers``), so a restart or another channel does not reset them.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import ServiceAction, latest_text, question_moment
from bot.dossiers.presentation import detail_lines, summary_lines
from bot.dossiers.records import MAX_FAILED_ATTEMPTS, last_four_match, verifiable
from bot.people.roles import CITIZEN, role_of
from bot.people.users import split_conversation_id
from nlu.dossier_code import EXAMPLE_CODE, explain_invalid, looks_like_code

PENDING = "dossier_pending"  # the code whose details wait for the last four digits (no digits in slots)
ANSWERED = "dossier_last4_given"  # "yes" for the one turn after the citizen sent four digits
COUNTER = "Bộ phận Một cửa"


def four_digit_answer(text: str) -> bool:
    """True when ``text`` is a short reply carrying one group of exactly four digits ("5678", "số cuối 5678 ạ")."""
    text = (text or "").strip()
    if not text or len(text) > 40:
        return False
    groups = re.findall(r"\d+", text)
    fours = [g for g in groups if len(g) == 4]
    return len(fours) == 1 and all(len(g) == 4 or g == "4" for g in groups)


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
        dispatcher.utter_message(text=f"{explain_invalid(value)} Mã hồ sơ có dạng như {EXAMPLE_CODE} (in trên giấy tiếp nhận).")
        return {"dossier_code": None}


class ActionExplainDossierCode(Action):
    """Inside the form, a message without a code: say what a code looks like."""

    def name(self) -> Text:
        return "action_explain_dossier_code"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        reason = explain_invalid(latest_text(tracker)) if latest_text(tracker).strip() else "Em chưa thấy mã hồ sơ."
        dispatcher.utter_message(
            text=f"{reason} Mã hồ sơ in trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả, có dạng như {EXAMPLE_CODE}. "
            "Nếu không muốn tra cứu nữa, anh/chị gõ \"thôi\"."
        )
        return []


class ActionCheckDossier(ServiceAction):
    """Looks the dossier up and tells its status; personal data stays masked until the last four digits."""

    def name(self) -> Text:
        return "action_check_dossier"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        code = tracker.get_slot("dossier_code") or ""
        dossier = self.services.dossiers.get(code) if code else None
        if dossier is None:
            dispatcher.utter_message(
                text=f"Em không tìm thấy hồ sơ mã {code}. Anh/chị kiểm tra lại mã trên Giấy tiếp nhận "
                "hoặc liên hệ Bộ phận Một cửa. Hồ sơ nộp trực tuyến có thể tra trên Cổng Dịch vụ công quốc gia."
            )
            return [SlotSet("dossier_code", None), SlotSet(PENDING, None)]
        now = question_moment(tracker)
        lines = summary_lines(dossier, now, self.services.catalogue)
        pending = None
        if not verifiable(dossier):
            lines.append("Muốn xem chi tiết (họ tên, giấy tờ cần bổ sung), anh/chị liên hệ Bộ phận Một cửa.")
        elif self.services.dossiers.attempts_left(dossier["code"], question_moment(tracker, trusted=True)) == 0:
            lines.append(f"Hôm nay đã nhập sai quá {MAX_FAILED_ATTEMPTS} lần. Để xem chi tiết, anh/chị mang giấy tờ tùy thân đến Bộ phận Một cửa.")
        else:
            lines.append("🔒 Để xem chi tiết (họ tên, giấy tờ cần bổ sung, cán bộ xử lý), anh/chị gửi 4 số cuối số điện thoại "
                         "hoặc số CCCD của người nộp.")
            pending = dossier["code"]
        dispatcher.utter_message(text="\n".join(lines))
        return [SlotSet("dossier_code", None), SlotSet(PENDING, pending), SlotSet(ANSWERED, None)]


class ActionExtractDossierAnswer(Action):
    """Custom slot mapping run after every message: is this the four-digit answer to a pending lookup?

    It never stores the digits: it sets ``dossier_last4_given`` to "yes" or drops the pending lookup when the
    citizen wrote something else."""

    def name(self) -> Text:
        return "action_extract_dossier_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        if not tracker.get_slot(PENDING):
            return []
        if four_digit_answer(latest_text(tracker)):
            return [SlotSet(ANSWERED, "yes")]
        return [SlotSet(PENDING, None), SlotSet(ANSWERED, None)]


class ActionDossierDetails(ServiceAction):
    """Checks the four digits just sent against the pending dossier; details, or a counted wrong try."""

    def name(self) -> Text:
        return "action_dossier_details"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        code = tracker.get_slot(PENDING)
        dossier = self.services.dossiers.get(code) if code else None
        done = [SlotSet(ANSWERED, None), SlotSet(PENDING, None)]
        if dossier is None:
            dispatcher.utter_message(text="Anh/chị gửi lại mã hồ sơ cần tra cứu giúp em nhé.")
            return done
        now = question_moment(tracker, trusted=True)
        dossiers = self.services.dossiers
        if dossiers.attempts_left(dossier["code"], now) == 0:
            dispatcher.utter_message(text=self._locked())
            return done
        if last_four_match(dossier, latest_text(tracker)):
            self._audit_staff(tracker, dossier["code"], now)
            dispatcher.utter_message(text="\n".join(detail_lines(dossier)))
            return done
        failures = dossiers.record_failed_attempt(dossier["code"], now)
        left = MAX_FAILED_ATTEMPTS - failures
        if left <= 0:
            dispatcher.utter_message(text=self._locked())
            return done
        dispatcher.utter_message(text=f"4 số chưa khớp với số điện thoại hoặc CCCD của người nộp. Anh/chị còn {left} lần thử hôm nay.")
        return [SlotSet(ANSWERED, None)]

    def _audit_staff(self, tracker: Tracker, code: str, now) -> None:
        """An official (or a team member) who opens a dossier's applicant details: a row in the audit log."""
        parts = split_conversation_id(tracker.sender_id)
        account = self.services.users.find(*parts) if parts else None
        if role_of(account) != CITIZEN:
            self.services.audit.write(account, tracker.sender_id, "dossier_details", "ok", code, now)

    @staticmethod
    def _locked() -> str:
        return (f"Hôm nay đã nhập sai quá {MAX_FAILED_ATTEMPTS} lần nên em tạm khóa xem chi tiết hồ sơ này. Anh/chị vui lòng "
                "mang Giấy tiếp nhận hồ sơ và giấy tờ tùy thân đến Bộ phận Một cửa để được hỗ trợ.")
