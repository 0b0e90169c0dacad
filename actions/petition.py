"""Petitions (phản ánh, kiến nghị): a citizen files one or asks where it stands; an official answers it.

The rules (numbers, routing, due dates, who may read one) are in bot/people/petitions.py; a petition's text that
comes in the next message is taken by the desk (bot/people/desk.py).
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import ServiceAction, latest_entities, latest_text, question_moment
from actions.handoff import conversation_procedure
from bot.people.departments import departments
from bot.people.petitions import acknowledgement, asks_status, digest_section, has_content, parse_ref, status_text
from bot.people.roles import Refused, allowed, require
from bot.people.users import User, split_conversation_id
from bot.people.waiting import PETITION_TEXT

ANSWER = re.compile(r"(?:đã\s+xử\s+lý|da\s+xu\s+ly|trả\s+lời|tra\s+loi)\s*[:\-–]?\s*(.+)$", re.I | re.S)
NOT_FOUND = "Em không tìm thấy phản ánh {ref} trong các phản ánh của anh/chị. Anh/chị kiểm tra lại số theo dõi giúp em."


class ActionPetition(ServiceAction):
    """``petition``: file a petition (now, or from the next message), tell its status, or (staff) answer one."""

    def name(self) -> Text:
        return "action_petition"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        services, now = self.services, question_moment(tracker, trusted=True)
        asked = [str(e.get("value") or "") for e in latest_entities(tracker, "officials_request")]  # /phananh …
        text = asked[0] if asked else latest_text(tracker)
        parts = split_conversation_id(tracker.sender_id)
        account = (services.users.find(*parts) or services.users.seen(*parts)) if parts else None
        if account is None:
            dispatcher.utter_message(text="Phản ánh, kiến nghị gửi được qua Telegram, Zalo hoặc trang web của phường.")
            return []
        ref = parse_ref(text)
        if ref and allowed(account, "petitions") and ANSWER.search(text):
            self._answer(dispatcher, tracker, account, ref, ANSWER.search(text).group(1), now)
            return []
        if ref:
            petition = services.petitions.get(ref)
            if petition is None or not services.petitions.readable_by(petition, account):
                dispatcher.utter_message(text=NOT_FOUND.format(ref=ref))
            else:
                if petition.person_id != account.person_id:  # staff open a citizen's petition: written to the audit log
                    services.audit.write(account, tracker.sender_id, "petition_view", "ok", ref, now)
                dispatcher.utter_message(text=status_text(petition, now))
            return []
        if allowed(account, "petitions") and not has_content(text):  # an official asks for their list
            self._listing(dispatcher, tracker, account, now)
            return []
        if asks_status(text):
            mine = services.petitions.of_person(account)
            dispatcher.utter_message(text="\n\n".join(status_text(p, now) for p in mine) if mine else
                                     "Em chưa thấy phản ánh nào anh/chị gửi qua trợ lý. Có số theo dõi (PA-…), anh/chị gửi kèm giúp em.")
            return []
        procedure = conversation_procedure(tracker, services)
        codes = [str(e.get("value") or "") for e in latest_entities(tracker, "dossier_code")]
        dossier = services.dossiers.get(codes[0]) if codes else None
        field = procedure[2] if procedure else (dossier or {}).get("field")
        about = {"field": field, "procedure_id": procedure[0] if procedure else None,
                 "dossier_code": dossier["code"] if dossier else None}
        if has_content(text):
            petition = services.petitions.file(account, text, now, **about)
            dispatcher.utter_message(text=acknowledgement(petition))
            return []
        services.waiting.set(account.id, PETITION_TEXT, about, now)
        dispatcher.utter_message(text="Anh/chị viết nội dung phản ánh, kiến nghị trong một tin nhắn: việc gì, ở đâu, khi nào "
                                      "(có mã hồ sơ thì ghi kèm). Em sẽ ghi nhận, cấp số theo dõi và chuyển tới bộ phận phụ trách.")
        return []

    def _answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, account: User, ref: str, answer: str, now) -> None:
        """An official answers a petition; the role check and the audit row as every official command has them."""
        try:
            scope = require(account, "petitions")
        except Refused:  # allowed() said yes a moment ago; keep the one refusal anyway
            return
        petition = self.services.petitions.get(ref)
        if petition is not None and scope.department and not departments().same(petition.department, scope.department):
            petition = None  # another department's petition: as if it did not exist
        done = self.services.petitions.answer(ref, account, answer, now) if petition is not None else None
        self.services.audit.write(account, tracker.sender_id, "petitions", "ok" if done else "not_found",
                                  f"{ref}: đã xử lý" if done else ref, now)
        dispatcher.utter_message(text=f"Đã ghi trả lời phản ánh {ref} và gửi cho người phản ánh." if done
                                 else NOT_FOUND.format(ref=ref))

    def _listing(self, dispatcher: CollectingDispatcher, tracker: Tracker, account: User, now) -> None:
        """An official's department's petitions waiting for an answer (a leader's: every department's)."""
        scope = require(account, "petitions")
        pending = self.services.petitions.pending(scope.department)
        self.services.audit.write(account, tracker.sender_id, "petitions", "ok", latest_text(tracker), now)
        lines = digest_section(pending, now, limit=10)
        dispatcher.utter_message(text="\n".join(lines) if lines else "Không có phản ánh, kiến nghị nào đang chờ xử lý.")
