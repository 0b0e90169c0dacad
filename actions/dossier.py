"""Dossier tracking: the form that asks for a code, its format check, the lookup and its protected details.

Anyone with a code sees the status, the step, the due date and a masked name. The details (full name,
what is missing, who handles it) need the last four digits of the applicant's phone or ID number. The
digits are never put in a slot: ``action_extract_dossier_answer`` (a custom slot mapping that runs after
every message) only notes *that* the message is a four-digit answer to a pending lookup, and
``action_dossier_details`` reads the digits from that message once. Wrong tries are counted in SQLite per
dossier per day (``bot.dossiers``), so a restart or another channel does not reset them.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import latest_text, store
from bot.dossiers import MAX_FAILED_ATTEMPTS, OPEN_STATUSES, is_overdue, last_four_match, verifiable
from bot.workdays import VN_TZ, default_calendar
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
STEPS = ("Nộp hồ sơ", "Tiếp nhận", "Giải quyết", "Có kết quả", "Trả kết quả")
STEP_OF_STATUS = {
    "new": 1, "received": 2, "in_progress": 3, "additions_requested": 3, "financial_obligation": 3, "done": 4, "returned": 5,
}
PENDING = "dossier_pending"  # the code whose details wait for the last four digits (no digits in slots)
ANSWERED = "dossier_last4_given"  # "yes" for the one turn after the citizen sent four digits
COUNTER = "Bộ phận Một cửa"


def mask_name(name: str) -> str:
    """"Nguyễn Văn An" -> "N*** V** An": enough to recognise, not enough to expose."""
    parts = (name or "").split()
    if not parts:
        return "(không rõ)"
    return " ".join([p[0] + "*" * (len(p) - 1) for p in parts[:-1]] + [parts[-1]])


def four_digit_answer(text: str) -> bool:
    """True when ``text`` is a short reply carrying one group of exactly four digits ("5678", "số cuối 5678 ạ")."""
    text = (text or "").strip()
    if not text or len(text) > 40:
        return False
    groups = re.findall(r"\d+", text)
    fours = [g for g in groups if len(g) == 4]
    return len(fours) == 1 and all(len(g) == 4 or g == "4" for g in groups)


def moment_of(tracker: Tracker, trusted: bool = False) -> dt.datetime:
    """When the citizen asked: ``metadata.as_of`` (YYYY-MM-DD, noon) or the message's time, in Vietnam.

    ``trusted``: the message's own time only (what counts wrong tries must not move with metadata)."""
    metadata = tracker.latest_message.get("metadata") or {}
    if metadata.get("as_of") and not trusted:
        try:
            return dt.datetime.combine(dt.date.fromisoformat(str(metadata["as_of"])), dt.time(12, 0), tzinfo=VN_TZ)
        except ValueError:
            pass
    for event in reversed(tracker.events):
        if event.get("event") == "user" and event.get("timestamp"):
            return dt.datetime.fromtimestamp(event["timestamp"], VN_TZ)
    return dt.datetime.now(VN_TZ)


def _day(value: Optional[str]) -> str:
    return dt.datetime.fromisoformat(value).strftime("%d/%m/%Y") if value else ""


def where_to_collect(dossier: Dict[str, Any]) -> str:
    """Where the result is collected: the ward's one-stop desk (its address and hours from ward.yml)."""
    ward = store().ward()
    place = f"{COUNTER} – {ward.get('name')}" if ward.get("name") else COUNTER
    if ward.get("address"):
        place += f", {ward['address']}"
    if dossier.get("status") != "done":
        return f"• Khi có kết quả, nhận tại: {place}"
    line = f"• Nhận kết quả tại: {place}"
    if ward.get("hours"):
        line += f"\n• Giờ làm việc: {ward['hours']}"
    if dossier.get("result_digitised"):
        line += "\n• Kết quả đã được số hóa: nếu nộp trực tuyến, anh/chị xem bản điện tử trong tài khoản Cổng Dịch vụ công."
    return line


def summary_lines(dossier: Dict[str, Any], now: dt.datetime) -> List[str]:
    """What anyone holding the code may see: status, step, due date, masked name, where to collect."""
    status = dossier.get("status") or ""
    name = dossier.get("procedure_name") or dossier.get("procedure_code") or "(không rõ)"
    procedure = store().procedure(dossier.get("procedure_id") or "") if dossier.get("procedure_id") else None
    lines = [
        f"🔎 Hồ sơ {dossier['code']}",
        f"• Thủ tục: {procedure.short_name if procedure else name}",
        f"• Người nộp: {mask_name(dossier.get('applicant_name') or '')}",
        f"• Tình trạng: {STATUS_NAMES.get(status, status or '(không rõ)')}",
    ]
    if status in STEP_OF_STATUS:
        step = STEP_OF_STATUS[status]
        lines.append(f"• Đang ở bước {step}/{len(STEPS)}: {STEPS[step - 1]}")
    if dossier.get("received_at"):
        lines.append(f"• Ngày tiếp nhận: {_day(dossier['received_at'])}")
    if dossier.get("due_at") and status not in ("withdrawn", "not_received", "stopped"):
        due = f"• Hẹn trả kết quả: {_day(dossier['due_at'])}"
        if is_overdue(dossier, now):
            late = default_calendar().working_days_between(dt.datetime.fromisoformat(dossier["due_at"]).date(), now.date())
            due += f" – ⚠️ đã quá hạn{f' {late} ngày làm việc' if late > 0 else ''}"
        lines.append(due)
    if dossier.get("finished_at") and status in ("done", "returned"):
        lines.append(f"• {'Ngày trả kết quả' if status == 'returned' else 'Ngày có kết quả'}: {_day(dossier['finished_at'])}")
    if status == "additions_requested":
        lines.append("• Hồ sơ cần bổ sung giấy tờ trước khi được giải quyết tiếp.")
    if status == "financial_obligation":
        lines.append("• Anh/chị cần hoàn thành nghĩa vụ tài chính (phí, lệ phí, thuế) để hồ sơ được giải quyết tiếp.")
    if status == "done" or status in OPEN_STATUSES:
        lines.append(where_to_collect(dossier))
    return lines


def detail_lines(dossier: Dict[str, Any]) -> List[str]:
    """What only the applicant sees: full name, what is missing, who handles it."""
    lines = [f"🔓 Chi tiết hồ sơ {dossier['code']}", f"• Người nộp: {dossier.get('applicant_name') or '(không rõ)'}"]
    if dossier.get("status") == "additions_requested":
        lines.append(f"• Cần bổ sung: {dossier.get('additions_note') or 'cán bộ chưa ghi cụ thể, anh/chị liên hệ Bộ phận Một cửa.'}")
    if dossier.get("department"):
        lines.append(f"• Bộ phận xử lý: {dossier['department']}")
    if dossier.get("handler"):
        lines.append(f"• Cán bộ xử lý: {dossier['handler']}")
    if dossier.get("paid_online"):
        lines.append("• Phí, lệ phí: đã thanh toán trực tuyến")
    return lines


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
    """Looks the dossier up and tells its status; personal data stays masked until the last four digits."""

    def name(self) -> Text:
        return "action_check_dossier"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        code = tracker.get_slot("dossier_code") or ""
        dossier = store().dossiers.get(code) if code else None
        if dossier is None:
            dispatcher.utter_message(
                text=f"Em không tìm thấy hồ sơ mã {code}. Anh/chị kiểm tra lại mã trên Giấy tiếp nhận "
                "hoặc liên hệ Bộ phận Một cửa. Hồ sơ nộp trực tuyến có thể tra trên Cổng Dịch vụ công quốc gia."
            )
            return [SlotSet("dossier_code", None), SlotSet(PENDING, None)]
        now = moment_of(tracker)
        lines = summary_lines(dossier, now)
        pending = None
        if not verifiable(dossier):
            lines.append("Muốn xem chi tiết (họ tên, giấy tờ cần bổ sung), anh/chị liên hệ Bộ phận Một cửa.")
        elif store().dossiers.attempts_left(dossier["code"], moment_of(tracker, trusted=True)) == 0:
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


class ActionDossierDetails(Action):
    """Checks the four digits just sent against the pending dossier; details, or a counted wrong try."""

    def name(self) -> Text:
        return "action_dossier_details"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        code = tracker.get_slot(PENDING)
        dossier = store().dossiers.get(code) if code else None
        done = [SlotSet(ANSWERED, None), SlotSet(PENDING, None)]
        if dossier is None:
            dispatcher.utter_message(text="Anh/chị gửi lại mã hồ sơ cần tra cứu giúp em nhé.")
            return done
        now = moment_of(tracker, trusted=True)
        dossiers = store().dossiers
        if dossiers.attempts_left(dossier["code"], now) == 0:
            dispatcher.utter_message(text=self._locked())
            return done
        if last_four_match(dossier, latest_text(tracker)):
            dispatcher.utter_message(text="\n".join(detail_lines(dossier)))
            return done
        failures = dossiers.record_failed_attempt(dossier["code"], now)
        left = MAX_FAILED_ATTEMPTS - failures
        if left <= 0:
            dispatcher.utter_message(text=self._locked())
            return done
        dispatcher.utter_message(text=f"4 số chưa khớp với số điện thoại hoặc CCCD của người nộp. Anh/chị còn {left} lần thử hôm nay.")
        return [SlotSet(ANSWERED, None)]

    @staticmethod
    def _locked() -> str:
        return (f"Hôm nay đã nhập sai quá {MAX_FAILED_ATTEMPTS} lần nên em tạm khóa xem chi tiết hồ sơ này. Anh/chị vui lòng "
                "mang Giấy tiếp nhận hồ sơ và giấy tờ tùy thân đến Bộ phận Một cửa để được hỗ trợ.")
