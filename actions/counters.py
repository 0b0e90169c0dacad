"""``ask_counter``: which counter, where it is, whether it is open at the moment of the question, what to bring.

"Đăng ký khai sinh ở quầy số mấy" names a procedure (the resolver's entity): its counter, place, hours and the
catalogue's short list of documents. "Nộp hồ sơ đất đai ở quầy nào" names a field or a counter's keyword
(:mod:`nlu.counter_words`): the counter, and the citizen names the procedure for the documents. "Quầy nào?" after
a procedure answers for that procedure. Anything else ("mấy giờ mở cửa", "thứ 7 có làm không") gets the one-stop
office's address and hours with whether it is open at that moment. The answers live in
:mod:`bot.catalogue.counters`.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import ServiceAction, latest_entities, latest_text, question_moment
from actions.listed import answer_listed
from actions.procedure_info import answer_buttons, choice_buttons, payload, procedure_from_message
from bot.catalogue.counters import counter_answer, office_answer, procedure_answer
from bot.workdays import default_calendar
from nlu.counter_words import asks_for_counter, counter_named

NO_WARD = "Em chưa có thông tin về Bộ phận Một cửa của phường. Anh/chị vui lòng liên hệ UBND phường."
MAX_EXAMPLES = 3  # procedures shown as examples (and buttons) under a counter's answer


class ActionCounterInfo(ServiceAction):
    """The counter of a procedure or a field, or the one-stop office's address and hours."""

    def name(self) -> Text:
        return "action_counter_info"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        catalogue, layout = self.services.catalogue, self.services.catalogue.counters()
        now, calendar, text = question_moment(tracker), default_calendar(), latest_text(tracker)
        if layout is not None:
            procedure = self._procedure(tracker)
            if procedure is not None:
                dispatcher.utter_message(text=procedure_answer(layout, procedure, now, calendar),
                                         buttons=answer_buttons(procedure.id, "documents"))
                return [SlotSet("procedure", procedure.id), SlotSet("procedure_candidates", None), SlotSet("pending_aspect", None)]
            candidates = self._candidates(tracker)
            if candidates:
                names = {pid: catalogue.procedure(pid).short_name for pid in candidates}  # type: ignore[union-attr]
                counters = {layout.for_procedure(catalogue.procedure(pid)) for pid in candidates}  # type: ignore[arg-type]
                if len(counters) == 1:  # the same counter whichever it is: say it, and ask which for the documents
                    lead = counter_answer(layout, counters.pop(), now, calendar)
                else:
                    lead = "Mỗi thủ tục nộp ở một quầy khác nhau. Anh/chị hỏi thủ tục nào ạ? Chọn một số:"
                dispatcher.utter_message(text=lead, buttons=choice_buttons(candidates, "ask_counter", names))
                return [SlotSet("procedure_candidates", candidates), SlotSet("pending_aspect", "where")]
            listed = answer_listed(dispatcher, tracker, self.services)  # "xin lý lịch tư pháp ở đâu": who handles it
            if listed is not None:
                return listed
            named = counter_named(text, layout)
            if named is not None:
                tiles = [t for t in layout.tiles if catalogue.procedure(t.procedure)
                         and layout.for_procedure(catalogue.procedure(t.procedure)) == named[0]][:MAX_EXAMPLES]
                dispatcher.utter_message(text=counter_answer(layout, named[0], now, calendar, [t.label for t in tiles]),
                                         buttons=[{"title": t.label, "payload": payload("ask_counter", t.procedure)} for t in tiles])
                return []
        ward = catalogue.ward()
        if not ward:
            dispatcher.utter_message(text=NO_WARD)
            return []
        dispatcher.utter_message(text=office_answer(ward, layout, now, calendar))
        return []

    def _procedure(self, tracker: Tracker):
        """The procedure the message names, or the conversation's last one when the message asks "quầy nào?"
        and names no counter's matters itself."""
        pid = procedure_from_message(tracker)
        if pid is None and not latest_entities(tracker, "procedure") and asks_for_counter(latest_text(tracker)):
            layout = self.services.catalogue.counters()
            if layout is not None and counter_named(latest_text(tracker), layout) is None:
                pid = tracker.get_slot("procedure")
        return self.services.catalogue.procedure(pid) if pid else None

    def _candidates(self, tracker: Tracker) -> Optional[List[str]]:
        """The procedures an ambiguous name may mean ("chứng thực"), those the catalogue holds."""
        for entity in latest_entities(tracker, "procedure"):
            found = [pid for pid in entity.get("candidates") or [] if self.services.catalogue.procedure(pid)]
            if found:
                return found
        return None
