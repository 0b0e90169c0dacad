"""Answering questions about a procedure: overview, documents, fee, time, where, forms, law.

The procedure comes from the message (the resolver's entity), from a numbered choice the
assistant offered, or from the conversation so far when the message is a follow-up
("thế lệ phí bao nhiêu?", see :func:`is_follow_up`). A correction that names the procedure
meant ("ý tôi là đăng ký khai tử") answers what was asked before about that one.

The first answer fits one phone screen (:func:`bot.catalogue.answers.answer`); a button whose
payload carries ``"detail": "full"`` brings everything the catalogue says
(:func:`bot.catalogue.answers.details`).
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import ServiceAction, latest_entities, latest_intent, latest_text, question_date
from actions.legal import answer_in_force
from actions.listed import answer_listed
from bot.catalogue.answers import ASPECT_TITLES, answer, details
from bot.catalogue.procedures import EID_PROCEDURE, Procedure
from bot.services import Services
from nlu.corrections import is_correction
from nlu.dossier_code import find_codes
from nlu.normalize import normalize

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
DETAIL = "full"  # the ``detail`` entity of a button payload that asks for everything
DETAIL_TITLES = {
    "overview": "Tóm tắt đầy đủ",
    "documents": "Chi tiết từng giấy tờ",
    "fee": "Chi tiết lệ phí",
    "time": "Chi tiết thời hạn",
    "where": "Chi tiết nơi nộp",
    "form": "Chi tiết mẫu đơn",
    "legal": "Chi tiết từng văn bản",
}

# What makes a message name another subject than the last procedure (compared without diacritics).
LEGAL_NUMBER = re.compile(r"\b\d+(?:\.\d+)?/\d{2,4}\b|\b(?:nghi dinh|thong tu|nghi quyet|quyet dinh|cong van|chi thi|luat|nd|tt|nq|qd)\s*(?:so\s*)?\d")
REPORT_WORDS = re.compile(r"\b(?:bao cao|thong ke|tom tat|tinh hinh|so lieu|tong hop|ty le|chi tieu|ke hoach)\b")
# The words of a follow-up question: the aspects asked about and the small words around them (without
# diacritics). Words that also name things ("hồ" of "hồ sơ" / "hộ chiếu", "khai" of "tờ khai" / "khai tử")
# only count inside their phrase.
FOLLOW_UP_PHRASES = re.compile(r"\b(?:" + "|".join("""
ho so|giay to|le phi|bao nhieu|bao lau|thoi gian|thoi han|o dau|noi nop|to khai|mau don|can cu|phap ly|quy dinh
|van ban|truc tuyen|buu dien|buu chinh|huong dan|giai quyet|ket qua|chuan bi|thu tuc|nhu the nao|the nao|ban sao
|ban chinh|mat tien|tra tien|dong tien|mien phi|ngay lam viec|lay ket qua|mot cua|bo phan|uy ban nhan dan|truc tiep""".replace("\n", "").split("|")) + r")\b")
FOLLOW_UP_WORDS = set("""
the thi vay sao con nua a ah oi em anh chi minh toi tui ban ad admin cho hoi xin voi va neu nhe nha ha hay
do nay cai la co khong duoc phai lam gio luc nhu nao ra di den ve cua de trong bi lai tren qua kia ay roi ok
vang da dang se can muon nhung cac moi mot hai ba nhieu it phi tien het ton mien dong nop tra gia mat may ngay
lau khi xong lay han tuan thang mang theo gom gi dau noi online mau don file phile word quord in tai luat dieu
cach buoc phuong xa
""".split())
MAX_FOLLOW_UP_WORDS = 14


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


def answer_buttons(procedure_id: str, aspect: str) -> List[Dict[str, str]]:
    """Under a first answer: the details of this aspect, the other aspects, the legal basis."""
    more = {"title": DETAIL_TITLES[aspect], "payload": f"/{intent_of_aspect(aspect)}"
            + json.dumps({"procedure": procedure_id, "detail": DETAIL})}
    legal = [] if aspect == "legal" else [{"title": ASPECT_TITLES["legal"], "payload": payload("ask_legal", procedure_id)}]
    return [more, *aspect_buttons(procedure_id, aspect), *legal]


def other_subject(text: str) -> Optional[str]:
    """What else than a procedure the message is about: "legal" (a law, decree or circular by its number),
    "report" (a summary or statistics), "dossier" (a dossier code), or None."""
    norm = normalize(text)
    if LEGAL_NUMBER.search(norm) or re.search(r"\d+/\d{2,4}", text or ""):
        return "legal"
    if REPORT_WORDS.search(norm):
        return "report"
    if find_codes(text or ""):
        return "dossier"
    return None


def is_follow_up(text: str) -> bool:
    """Whether a message that names no procedure continues the conversation's last one.

    A follow-up asks about an aspect in a few words ("thế hết bao nhiêu tiền?", "mất mấy ngày?", "cần giấy
    tờ gì"): it names no other subject (:func:`other_subject`), has at most MAX_FOLLOW_UP_WORDS words, and
    at most one of its words is outside FOLLOW_UP_PHRASES and FOLLOW_UP_WORDS (so "làm hộ chiếu mất bao lâu"
    is not one: "hộ chiếu" is a subject the catalogue does not hold). Anything else does not inherit the last
    procedure."""
    if other_subject(text):
        return False
    norm = normalize(text)
    words = [w for w in norm.split() if not w.isdigit()]
    if not words or len(words) > MAX_FOLLOW_UP_WORDS:
        return False
    rest = [w for w in FOLLOW_UP_PHRASES.sub(" ", norm).split() if not w.isdigit()]
    return sum(1 for w in rest if w not in FOLLOW_UP_WORDS) <= 1


def aspect_asked_before(tracker: Tracker) -> str:
    """The aspect of the latest earlier question about a procedure (overview when there was none)."""
    users = [e for e in tracker.events if e.get("event") == "user"]
    for event in reversed(users[:-1]):
        if is_correction(event.get("text") or ""):  # its intent says nothing about the aspect
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent in ASPECT_OF_INTENT:
            return ASPECT_OF_INTENT[intent]
    return "overview"


def corrected_procedure(tracker: Tracker) -> Optional[str]:
    """The procedure a correction names ("ý tôi là đăng ký khai tử"), or None when the message is none."""
    if not is_correction(latest_text(tracker)):
        return None
    return procedure_from_message(tracker)


def meant_elsewhere(procedure: Procedure, text: str) -> Optional[str]:
    """What to say first when the message names what people mean instead of ``procedure``, done elsewhere ("công chứng
    hợp đồng ở văn phòng công chứng" asked about the ward's chứng thực): the entry's ``elsewhere`` note with its
    source, or None. Words count whole, with or without diacritics."""
    said = f" {normalize(text)} "
    for item in procedure.elsewhere:
        if any(f" {normalize(words)} " in said for words in item.words):
            return f"ℹ️ {item.says} (Nguồn: {item.source})"
    return None


def send_answer(dispatcher: CollectingDispatcher, tracker: Tracker, procedure: Procedure, aspect: str,
                full: bool = False) -> List[Dict[Text, Any]]:
    """The first answer about ``aspect`` of ``procedure`` with its buttons (or, ``full``, the details), after what
    the message meant instead of it, when it names something done elsewhere (:func:`meant_elsewhere`)."""
    day = question_date(tracker)
    note = meant_elsewhere(procedure, latest_text(tracker))
    lead = f"{note}\n\n" if note else ""
    if full:
        dispatcher.utter_message(text=lead + details(procedure, aspect, day), buttons=aspect_buttons(procedure.id, aspect))
    else:
        dispatcher.utter_message(text=lead + answer(procedure, aspect, day), buttons=answer_buttons(procedure.id, aspect))
    if aspect == "form" and not full:  # the channel sends the printable guide as a file (bot.conversation.engine.Attachment)
        dispatcher.utter_message(json_message={"document": {"procedure": procedure.id, "date": day.isoformat()}})
    return [SlotSet("procedure", procedure.id), SlotSet("procedure_candidates", None), SlotSet("pending_aspect", None)]


def answer_correction(dispatcher: CollectingDispatcher, tracker: Tracker, services: Services) -> Optional[List[Dict[Text, Any]]]:
    """When the message corrects the procedure ("không phải, khai tử cơ"), answer what was asked before about
    the one it names; None when it is no such correction (any intent: the fallback and out-of-scope actions ask too)."""
    procedure_id = corrected_procedure(tracker)
    procedure = services.catalogue.procedure(procedure_id) if procedure_id else None
    if procedure is None:
        return None
    return send_answer(dispatcher, tracker, procedure, aspect_asked_before(tracker))


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
        if tracker.get_slot("procedure") and (detail_asked(tracker) or is_follow_up(latest_text(tracker))):
            return {"id": tracker.get_slot("procedure")}
        subject = other_subject(latest_text(tracker))
        return {"other": subject} if subject else {}

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        intent = latest_intent(tracker)
        if is_correction(latest_text(tracker)) and latest_entities(tracker, "procedure"):
            aspect = aspect_asked_before(tracker)  # "không phải, khai tử cơ": what was asked, about this one
        elif intent in ASPECT_OF_INTENT:
            aspect = ASPECT_OF_INTENT[intent]
        else:  # choose_option, or a fallback that found a procedure
            aspect = tracker.get_slot("pending_aspect") or "overview"
        data = self.services.catalogue
        pick = self._pick(tracker)

        if "other" in pick:  # a law by its number, a report, a dossier code: not the last procedure
            intent_data = tracker.latest_message.get("intent") or {}
            self.services.reviews.record("unknown_messages", tracker.sender_id, latest_text(tracker),
                                         intent_data.get("name", ""), intent_data.get("confidence") or 0.0)
            dispatcher.utter_message(response="utter_out_of_scope")
            return [SlotSet("procedure_candidates", None), SlotSet("pending_aspect", None)]

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
            if answer_in_force(self.services, dispatcher, tracker):  # "luật đất đai 2013 còn hiệu lực không"
                return [SlotSet("procedure_candidates", None), SlotSet("pending_aspect", None)]
            listed = answer_listed(dispatcher, tracker, self.services)  # "làm hộ chiếu ở đâu": who handles it
            if listed is not None:
                return listed
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

        return send_answer(dispatcher, tracker, procedure, aspect, full=detail_asked(tracker))


def detail_asked(tracker: Tracker) -> bool:
    """True when the message is a details button (payload entity ``detail`` = "full")."""
    return any(e.get("value") == DETAIL for e in latest_entities(tracker, "detail"))


def procedure_from_message(tracker: Tracker) -> Optional[str]:
    """The unambiguous procedure id named in the latest message, if any."""
    for entity in latest_entities(tracker, "procedure"):
        if not entity.get("candidates"):
            return entity["value"]
    return None
