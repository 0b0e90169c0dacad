"""Community teams in the chat: a citizen's topics and area (the panel shown by ``subscribe``), e-ID help step by step
(``ask_eid``), help in person (``ask_help_in_person``), and a team member's broadcasts and area numbers
(``area_broadcast``, Telegram ``/bantin``). The rules live in bot/community and bot/people/subscriptions.py.

Buttons carry payloads: ``/subscribe{"topic": "tips"}``, ``/subscribe{"area": "khu-3"}``, ``/unsubscribe{"topic":
"tips"}``, ``/ask_eid{"guide_step": "vneid-muc-2:2"}``, ``/ask_help_in_person{"area": "khu-3"}`` and
``/area_broadcast{"officials_request": "gui 12"}`` (the member's request in words, like the officials' commands).
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any, Dict, Iterator, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import ServiceAction, latest_entities, latest_text, question_moment
from actions.officials import OfficialAction, Outcome
from bot.community.areas import Areas, fold, load_areas
from bot.community.broadcasts import UPLOAD_KINDS, Broadcast, Broadcasts, NotAllowed, upload_path
from bot.community.guides import Guide, guide, library
from bot.community.help import area_numbers, ask_help, member_area, numbers_text
from bot.delivery.outbox import Outbox
from bot.people.roles import ADMIN, LEADER, Scope
from bot.people.subscriptions import ANNOUNCEMENTS, BROADCAST_TOPICS, TIPS, choose_area, follow, unfollow
from bot.people.users import User
from bot.services import Services

Events = List[Dict[Text, Any]]
EID_GUIDE = "vneid-muc-2"
AREA_WORDS = re.compile(r"\b(?:khu(?: pho)?|kp|k)\s*(\d{1,2})\b")
TOPIC_WORDS = {TIPS: ("meo", "dinh danh", "vneid", "ky nang so"), ANNOUNCEMENTS: ("thong bao cua phuong", "thong bao phuong",
                                                                                  "tin phuong", "thong bao cua to")}


def entity(tracker: Tracker, name: str) -> Optional[str]:
    """The first value of entity ``name`` in the latest message (payloads), None when absent."""
    values = [str(e.get("value") or "").strip() for e in latest_entities(tracker, name)]
    return next((v for v in values if v), None)


def payload(intent: str, **entities: str) -> str:
    """``/intent{"key": "value"}``: a button's payload."""
    return f"/{intent}" + (json.dumps(entities, ensure_ascii=False) if entities else "")


def area_in(areas: Areas, text: str) -> Optional[str]:
    """The area a message names ("khu 3", "khu phố 12", "kp5"), as an id."""
    found = AREA_WORDS.search(fold(text))
    area = areas.find(f"khu {int(found.group(1))}") if found else None
    return area.id if area else None


def topics_in(text: str) -> List[str]:
    """The broadcast topics a message names."""
    folded = f" {fold(text)} "
    return [topic for topic, words in TOPIC_WORDS.items() if any(f" {w} " in folded for w in words)]


@contextlib.contextmanager
def open_outbox(services: Services) -> Iterator[Outbox]:
    """The deployment's outbox for one action."""
    outbox = Outbox(services.path)
    try:
        yield outbox
    finally:
        outbox.close()


# a citizen's topics and area ---------------------------------------------------------------------------------------
def panel(services: Services, conversation: str, areas: Areas) -> tuple:
    """``(text, buttons)``: what the person follows now and buttons to change it."""
    topics = services.subscriptions.topics(conversation)
    area = services.subscriptions.area(conversation)
    dossiers = [t.split(":", 1)[1] for t in topics if t.startswith("dossier:")]
    lines = ["Anh/chị đang nhận:"]
    buttons = []
    for topic in BROADCAST_TOPICS:
        on = topic in topics
        lines.append(f"• {areas.topic_name(topic)}: {'có' if on else 'không'}")
        buttons.append({"title": f"{'Bỏ' if on else 'Nhận'}: {areas.topic_name(topic)}"[:60],
                        "payload": payload("unsubscribe" if on else "subscribe", topic=topic)})
    lines.append(f"• {areas.topic_name('dossier')}: {', '.join(dossiers) if dossiers else 'chưa theo dõi hồ sơ nào'}")
    lines.append(f"• Khu phố: {areas.name(area) if area else 'chưa chọn (chọn để nhận tin của tổ công nghệ số khu mình)'}")
    lines.append("Gõ \"hủy\" hoặc \"dừng\" (Telegram: /huy) bất cứ lúc nào để dừng tất cả.")
    buttons.append({"title": "Chọn khu phố" if not area else "Đổi khu phố", "payload": payload("subscribe", area="?")})
    buttons.append({"title": "Dừng tất cả", "payload": payload("unsubscribe")})
    return "\n".join(lines), buttons


def area_buttons(areas: Areas, intent: str) -> List[dict]:
    """One button per area."""
    return [{"title": a.name, "payload": payload(intent, area=a.id)} for a in areas.areas]


def subscribe_choices(dispatcher: CollectingDispatcher, tracker: Tracker, services: Services) -> Optional[Events]:
    """Handle a topic or area the message names (buttons, "nhận thông báo của phường khu 3"); None when it names none."""
    areas = load_areas()
    conversation, text = tracker.sender_id, latest_text(tracker)
    topic, area = entity(tracker, "topic"), entity(tracker, "area")
    if area == "?":
        dispatcher.utter_message(text="Anh/chị ở khu phố nào? Chọn một khu:", buttons=area_buttons(areas, "subscribe"))
        return []
    if area is None and not text.startswith("/"):
        area = area_in(areas, text)
    topics = [topic] if topic else ([] if text.startswith("/") else topics_in(text))
    if not topics and area is None:
        return None
    said = []
    for chosen in topics:
        if chosen not in BROADCAST_TOPICS:
            dispatcher.utter_message(text="Chủ đề này không có. Anh/chị chọn lại bằng các nút bên dưới.")
            break
        follow(services.users, services.subscriptions, conversation, topic=chosen, source="chat")
        said.append(f"Em đã đăng ký cho anh/chị nhận \"{areas.topic_name(chosen)}\".")
    if area is not None:
        if areas.get(area) is None:
            dispatcher.utter_message(text="Khu phố này không có trong danh sách của phường.",
                                     buttons=area_buttons(areas, "subscribe"))
            return []
        choose_area(services.users, services.subscriptions, conversation, area, source="chat")
        said.append(f"Khu phố của anh/chị: {areas.name(area)}.")
    text_, buttons = panel(services, conversation, areas)
    dispatcher.utter_message(text="\n".join(said + ["", text_]), buttons=buttons)
    return []


def unsubscribe_topic(dispatcher: CollectingDispatcher, tracker: Tracker, services: Services) -> Optional[Events]:
    """A button that stops one topic (the others go on); None when the message names no topic."""
    topic = entity(tracker, "topic")
    if topic is None:
        return None
    areas = load_areas()
    unfollow(services.users, services.subscriptions, tracker.sender_id, topic, source="chat")
    text, buttons = panel(services, tracker.sender_id, areas)
    dispatcher.utter_message(text=f"Em đã dừng gửi \"{areas.topic_name(topic)}\".\n\n{text}", buttons=buttons)
    return []


# e-ID help step by step -----------------------------------------------------------------------------------------
def _step_buttons(item: Guide, number: int) -> List[dict]:
    buttons = []
    if number < len(item.steps):
        buttons.append({"title": "Bước tiếp ▶", "payload": payload("ask_eid", guide_step=f"{item.id}:{number + 1}")})
    if item.errors:
        buttons.append({"title": "Gặp lỗi", "payload": payload("ask_eid", guide_step=f"{item.id}:loi")})
    if item.where:
        buttons.append({"title": "Cần mang gì, đi đâu", "payload": payload("ask_eid", guide_step=f"{item.id}:mang")})
    buttons.append({"title": "Nhờ tổ công nghệ số", "payload": payload("ask_help_in_person")})
    return buttons


class ActionEidHelp(ServiceAction):
    """``ask_eid``: VNeID level-2 activation and its common errors step by step, what to bring and where to go, the
    area's team; the same walk-through for every guide of the library (``guide_step`` = ``<guide>:<n>``)."""

    def name(self) -> Text:
        return "action_eid_help"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> Events:
        step = entity(tracker, "guide_step") or ""
        guide_id, _, rest = step.partition(":")
        item = guide(guide_id or EID_GUIDE)
        if item is None:
            item, rest = guide(EID_GUIDE), ""
        if rest.isdigit() and 1 <= int(rest) <= len(item.steps):
            number = int(rest)
            text = item.step_text(number)
            if number == len(item.steps):
                text += "\n✅ Xong các bước. Cần người giúp trực tiếp thì bấm \"Nhờ tổ công nghệ số\"."
            dispatcher.utter_message(text=text, buttons=_step_buttons(item, number))
            return []
        if rest == "loi" and item.errors:
            dispatcher.utter_message(text="Anh/chị gặp lỗi nào?", buttons=[
                {"title": p.title, "payload": payload("ask_eid", guide_step=f"{item.id}:loi:{p.id}")} for p in item.errors]
                + [{"title": "Lỗi khác: đi trực tiếp", "payload": payload("ask_eid", guide_step=f"{item.id}:mang")}])
            return []
        problem = item.problem(rest[4:]) if rest.startswith("loi:") else None
        if problem is None and not step:
            problem = item.problem_for(latest_text(tracker))
        if problem is not None:
            mark = "" if problem.verified else " (chưa được xác nhận)"
            dispatcher.utter_message(text=f"⚠️ {problem.title}\n{problem.text}{mark}", buttons=[
                {"title": "Kích hoạt lại từ đầu", "payload": payload("ask_eid", guide_step=f"{item.id}:1")},
                {"title": "Cần mang gì, đi đâu", "payload": payload("ask_eid", guide_step=f"{item.id}:mang")},
                {"title": "Nhờ tổ công nghệ số", "payload": payload("ask_help_in_person")}])
            return []
        if rest == "mang" and item.where:
            dispatcher.utter_message(text=item.in_person_text(), buttons=[
                {"title": "Nhờ tổ công nghệ số", "payload": payload("ask_help_in_person")}])
            return []
        lines = [f"🪪 {item.title}", item.intro]
        if item.where:
            lines.append(f"Chưa đăng ký mức 2: đến {item.where.split(' (')[0]}, mang căn cước và điện thoại chính chủ.")
        lines.append("Em hướng dẫn từng bước, anh/chị chọn:")
        dispatcher.utter_message(text="\n".join(lines), buttons=[
            {"title": "Kích hoạt từng bước", "payload": payload("ask_eid", guide_step=f"{item.id}:1")}]
            + _step_buttons(item, len(item.steps)))
        return []


# help in person ------------------------------------------------------------------------------------------------------
class ActionHelpInPerson(ServiceAction):
    """``ask_help_in_person`` ("cần hỗ trợ"): the request reaches the community team of the citizen's area."""

    def name(self) -> Text:
        return "action_help_in_person"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> Events:
        areas, text = load_areas(), latest_text(tracker)
        typed = "" if text.startswith("/") else text
        area = entity(tracker, "area") or area_in(areas, typed) or self.services.subscriptions.area(tracker.sender_id)
        if area is None or areas.get(area) is None:
            dispatcher.utter_message(text="Anh/chị ở khu phố nào? Em báo tổ công nghệ số của khu đó:",
                                     buttons=area_buttons(areas, "ask_help_in_person"))
            return []
        with open_outbox(self.services) as outbox:
            done = ask_help(self.services, outbox, tracker.sender_id, area, typed, question_moment(tracker, trusted=True), areas)
        if done.team:
            lines = [f"Em đã báo tổ công nghệ số cộng đồng {areas.name(area)}; tổ sẽ liên hệ anh/chị."]
        else:
            hotline = self.services.catalogue.ward().get("hotline")
            lines = [f"{areas.name(area)} chưa có thành viên tổ công nghệ số trên hệ thống. Em đã ghi lại yêu cầu; anh/chị có thể "
                     "đến Bộ phận Một cửa của phường trong giờ làm việc" + (f" hoặc gọi {hotline}." if hotline else ".")]
        if not done.phone:
            lines.append("Để tổ gọi lại, anh/chị nhắn thêm số điện thoại, ví dụ: cần hỗ trợ 0912 345 678.")
        dispatcher.utter_message(text="\n".join(lines))
        return []


# a team member's broadcasts ----------------------------------------------------------------------------------------
def _ask(request: str) -> str:
    return payload("area_broadcast", officials_request=request)


BODY = re.compile(r"^\s*(?:/bantin(?:@\w+)?\s+|b[aả]n tin\s*:\s*)", re.IGNORECASE)  # "/bantin …", "bản tin: …"
ASKS = (("solieu", ("so lieu", "bao nhieu", "thong ke")), ("thuvien", ("thu vien", "huong dan co san")),
        ("cuatoi", ("cua toi", "den dau", "tien do")))


def typed_request(text: str) -> str:
    """What a member typed, as a request: the body after "/bantin" or "bản tin:", else the menu item its words name."""
    if BODY.match(text):
        return BODY.sub("", text, count=1)
    if text.startswith("/"):
        return ""
    folded = f" {fold(text)} "
    return next((ask for ask, words in ASKS if any(f" {w} " in folded for w in words)), "menu")


class ActionAreaBroadcast(OfficialAction):
    """``area_broadcast`` (Telegram ``/bantin``): a team member writes or picks a guide, chooses topic and areas, sees
    the preview and the number of recipients, confirms, follows or cancels it, and sees the area's numbers."""

    command = "area_broadcast"

    def name(self) -> Text:
        return "action_area_broadcast"

    def run_official(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any],
                     user: User, scope: Scope) -> Outcome:
        request = entity(tracker, "officials_request")
        token = entity(tracker, "broadcast_file")  # Telegram: a photo or file captioned /bantin
        if request is None:
            request = typed_request(latest_text(tracker))
        with open_outbox(self.services) as outbox:
            broadcasts = Broadcasts(self.services, outbox)
            try:
                return self._handle(dispatcher, broadcasts, user, scope, request.strip(), question_moment(tracker, trusted=True),
                                    token)
            except (NotAllowed, ValueError) as error:
                dispatcher.utter_message(text=str(error))
                return Outcome(result="invalid")

    def _handle(self, dispatcher: CollectingDispatcher, broadcasts: Broadcasts, user: User, scope: Scope, request: str,
                now, token: Optional[str] = None) -> Outcome:
        word, _, rest = request.partition(" ")
        word, rest = fold(word), rest.strip()
        number = int(rest.split()[0]) if rest.split() and rest.split()[0].isdigit() else None
        if word in ("", "menu"):
            dispatcher.utter_message(text=(
                "Bản tin cho khu phố: gõ \"/bantin <nội dung>\" (Zalo, web: \"bản tin: <nội dung>\") để soạn, hoặc chọn:"),
                buttons=[{"title": "Thư viện hướng dẫn", "payload": _ask("thuvien")},
                         {"title": "Số liệu khu phố", "payload": _ask("solieu")},
                         {"title": "Bản tin của tôi", "payload": _ask("cuatoi")}])
            return Outcome(detail="menu")
        if word == "thuvien" and not rest:
            dispatcher.utter_message(text="Chọn hướng dẫn để gửi:", buttons=[
                {"title": g.title[:60], "payload": _ask(f"thuvien {g.id}")} for g in library()])
            return Outcome(detail="thuvien")
        if word == "thuvien":
            draft = broadcasts.draft(user, scope, guide_id=rest.split()[0], now=now)
            self._preview(dispatcher, broadcasts, draft, scope)
            return Outcome(detail=f"draft {draft.id} guide {draft.guide}")
        if word == "solieu":
            return self._numbers(dispatcher, broadcasts, user, scope, rest, now)
        if word == "cuatoi":
            mine = broadcasts.of_author(user.id, ("draft", "sending", "done", "cancelled"))
            if not mine:
                dispatcher.utter_message(text="Anh/chị chưa có bản tin nào.")
            else:
                dispatcher.utter_message(text="Bản tin gần đây của anh/chị:", buttons=[
                    {"title": f"#{b.id} {b.state}: {b.text.splitlines()[0][:30]}", "payload": _ask(f"xem {b.id}")} for b in mine])
            return Outcome(detail="cuatoi")
        if word in ("chude", "khu", "chonkhu", "gui", "huy", "xem") and number is not None:
            item = broadcasts.own(number, user, scope)
            return self._act(dispatcher, broadcasts, item, word, rest.split()[1:], scope, now)
        attachment = upload_path(self.services, token) if token else None
        if token and attachment is None:
            raise ValueError("Tệp đính kèm không còn trên máy chủ; anh/chị gửi lại ảnh hoặc tệp kèm chú thích /bantin <nội dung>.")
        kind = UPLOAD_KINDS.get(attachment.suffix.lower(), "document") if attachment else "photo"
        draft = broadcasts.draft(user, scope, text=request, attachment=attachment, kind=kind, now=now)
        self._preview(dispatcher, broadcasts, draft, scope)
        return Outcome(detail=f"draft {draft.id}" + (" + tệp" if attachment else ""))

    def _act(self, dispatcher: CollectingDispatcher, broadcasts: Broadcasts, item: Broadcast, word: str, args: List[str],
             scope: Scope, now) -> Outcome:
        areas = broadcasts.areas
        if word == "chude":
            item = broadcasts.set_topic(item, args[0] if args else "")
        elif word == "chonkhu":
            choices = areas.areas if scope.role in (LEADER, ADMIN) else [areas.get(a) for a in broadcasts.home_areas(scope)]
            buttons = [{"title": a.name, "payload": _ask(f"khu {item.id} {a.id}")} for a in choices]
            if scope.role in (LEADER, ADMIN):
                buttons.insert(0, {"title": "Tất cả các khu", "payload": _ask(f"khu {item.id} tatca")})
            dispatcher.utter_message(text="Gửi cho khu phố nào?", buttons=buttons)
            return Outcome(detail=f"chonkhu {item.id}")
        elif word == "khu":
            chosen = [a.id for a in areas.areas] if args[:1] == ["tatca"] else args
            item = broadcasts.set_areas(item, chosen, scope)
        elif word == "gui":
            queued = broadcasts.confirm(item, now)
            if queued is None:
                dispatcher.utter_message(text="Bản tin này đã được gửi trước đó.", buttons=[{"title": "Xem tiến độ",
                                                                                         "payload": _ask(f"xem {item.id}")}])
                return Outcome(result="repeat", detail=f"gui {item.id}")
            dispatcher.utter_message(
                text=f"Đang gửi bản tin #{item.id} tới {queued} người. Em sẽ báo kết quả khi gửi xong.",
                buttons=[{"title": "Xem tiến độ", "payload": _ask(f"xem {item.id}")},
                         {"title": "Hủy gửi", "payload": _ask(f"huy {item.id}")}])
            return Outcome(detail=f"gui {item.id}: {queued}")
        elif word == "huy":
            if item.state == "draft":
                broadcasts.discard(item)
                dispatcher.utter_message(text=f"Đã bỏ bản nháp #{item.id}.")
                return Outcome(detail=f"bo {item.id}")
            stopped = broadcasts.cancel(item, now)
            dispatcher.utter_message(text=f"Đã hủy bản tin #{item.id}: {stopped} tin chưa gửi sẽ không gửi.\n"
                                     + broadcasts.report_text(broadcasts.get(item.id)))
            return Outcome(detail=f"huy {item.id}: {stopped}")
        elif word == "xem":
            buttons = [{"title": "Hủy gửi", "payload": _ask(f"huy {item.id}")}] if item.state == "sending" else []
            if item.state == "draft":
                self._preview(dispatcher, broadcasts, item, scope)
            else:
                dispatcher.utter_message(text=broadcasts.report_text(item), buttons=buttons)
            return Outcome(detail=f"xem {item.id}")
        self._preview(dispatcher, broadcasts, item, scope)
        return Outcome(detail=f"{word} {item.id}")

    def _preview(self, dispatcher: CollectingDispatcher, broadcasts: Broadcasts, draft: Broadcast, scope: Scope) -> None:
        message, count = broadcasts.preview(draft)
        areas = broadcasts.areas
        other = next(t for t in ("announcements", "tips") if t != draft.topic)
        buttons = [{"title": f"Gửi cho {count} người", "payload": _ask(f"gui {draft.id}")},
                   {"title": f"Đổi chủ đề: {areas.topic_name(other)}"[:60], "payload": _ask(f"chude {draft.id} {other}")}]
        if scope.role in (LEADER, ADMIN):
            buttons.append({"title": "Chọn khu phố", "payload": _ask(f"chonkhu {draft.id}")})
        buttons.append({"title": "Bỏ bản nháp", "payload": _ask(f"huy {draft.id}")})
        file_note = "\n(kèm một tệp/ảnh)" if draft.attachment else ""
        dispatcher.utter_message(text=f"Xem trước bản tin #{draft.id} – gửi tới {count} người đã đồng ý nhận:{file_note}\n\n"
                                 f"{message}", buttons=buttons)

    def _numbers(self, dispatcher: CollectingDispatcher, broadcasts: Broadcasts, user: User, scope: Scope, rest: str,
                 now) -> Outcome:
        areas = broadcasts.areas
        if scope.role in (LEADER, ADMIN):
            area = areas.find(rest) or areas.get(rest)
            if area is None:
                dispatcher.utter_message(text="Xem số liệu khu nào?", buttons=[
                    {"title": a.name, "payload": _ask(f"solieu {a.id}")} for a in areas.areas])
                return Outcome(detail="solieu")
            area_id = area.id
        else:
            area_id = member_area(areas, user)
            if area_id is None:
                raise NotAllowed(f"Địa bàn \"{user.area}\" chưa có trong danh sách khu phố của phường.")
        numbers = area_numbers(self.services, broadcasts.outbox, area_id, now, areas=areas)
        dispatcher.utter_message(text=numbers_text(numbers, areas))
        return Outcome(detail=f"solieu {area_id}")
