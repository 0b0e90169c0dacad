"""Before the NLU: messages that are not questions for the assistant, on every channel alike.

The conversation engine (bot/conversation/engine.py) gives every message to :meth:`Desk.handle` first; a list of
replies means the desk took it, None that the assistant's NLU should answer it. The desk takes:

- a tap on a rating button (``/danhgia <code> <score>``, bot/people/ratings.py) and ``/boqua``;
- the messages of an open hand-off (bot/people/handoff.py): a citizen's go to the official, an official's to the
  citizen, ``/ketthuc`` (or "kết thúc") ends it; other commands (``/…``) still go to the assistant;
- the answer the conversation waits for (bot/people/waiting.py): consent to a hand-off, a petition's text, a
  rating's comment. Any other message drops the wait and goes to the assistant;
- personal data (bot/people/privacy.py): ``/quyenriengtu`` (the notice again), ``/xoadulieu`` (what is held, then a
  confirmation button whose token belongs to this account's own request: a payload forged elsewhere, or late, erases
  nothing) and their plain words ("quyền riêng tư", "xóa dữ liệu của tôi"). :meth:`Desk.first_contact` is the short
  notice an account reads once, added by the engine to its first answer.

An official who is shown a citizen's name and messages (a hand-off opened to them, the list of their open hand-offs)
gets a row in the audit log (bot/people/audit.py).
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import List, Optional

from bot.delivery.reply import Reply
from bot.people import privacy as privacy_rules
from bot.people import ratings as rating_rules
from bot.people.audit import Audit
from bot.people.handoff import END_COMMAND, TARGET, Handoff, Handoffs, closed_note, who
from bot.people.petitions import Petitions, acknowledgement
from bot.people.privacy import Privacy
from bot.people.ratings import DossierRatings
from bot.people.users import User, Users, split_conversation_id
from bot.people.waiting import ERASE_CONFIRM, HANDOFF_CONSENT, PETITION_TEXT, RATING_COMMENT, Waiting
from nlu.normalize import normalize

YES = {"dong y", "co", "ok", "oke", "okay", "u", "uh", "um", "vang", "da", "da vang", "yes", "duoc", "dong y a", "co a",
       "dong y gap can bo", "co gap can bo", "chuyen giup", "chuyen di"}
NO = {"khong", "khong a", "thoi", "thoi khong", "khong can", "khong can a", "no", "khong dong y", "khong can gap can bo",
      "huy", "de sau"}
END = {"ketthuc", "ket thuc", "ket thuc tro chuyen", "ket thuc ho tro", "dung ho tro"}
RELAYED = "✓ Đã chuyển cho cán bộ."
NOTHING_TO_END = "Hiện anh/chị không có cuộc trò chuyện nào với cán bộ để kết thúc."


class Desk:
    """What a message is, before the NLU, and what to do with it."""

    def __init__(self, users: Users, waiting: Waiting, handoffs: Handoffs, petitions: Petitions,
                 ratings: DossierRatings, privacy: Privacy, audit: Audit) -> None:
        self.users, self.waiting, self.handoffs, self.petitions, self.ratings = users, waiting, handoffs, petitions, ratings
        self.privacy, self.audit = privacy, audit

    def first_contact(self, conversation: str, now: dt.datetime) -> Optional[str]:
        """The short privacy notice when this account has not had it yet (recorded: once per account), else None."""
        return self.privacy.first_contact(conversation, now)

    def handle(self, conversation: str, text: str, now: dt.datetime) -> Optional[List[Reply]]:
        """The replies when the desk takes the message ``text`` of ``conversation``; None for the assistant."""
        parts = split_conversation_id(conversation)
        raw = (text or "").strip()
        folded = normalize(raw)
        privacy = self._privacy_request(raw, folded)
        account = self.users.find(*parts) if parts else None
        if account is None and privacy and parts:  # a web visitor's first message may be this
            account = self.users.seen(*parts)
        if account is None:
            return None
        if privacy:
            return self._privacy(account, privacy, raw, now)
        command = raw.startswith("/")
        ending = folded in END or raw.lower().startswith(END_COMMAND)
        rated = rating_rules.parse(raw)
        if rated is not None:
            return self._rate(account, *rated, now)
        if raw.lower() == rating_rules.SKIP:
            self.waiting.clear(account.id)
            return [Reply("Dạ, cảm ơn anh/chị.")]
        if ending or not command:
            as_official = self.handoffs.open_for_official(account)
            if as_official:
                return self._official(account, as_official, raw, ending, now)
            as_citizen = self.handoffs.open_for_citizen(account)
            if as_citizen is not None:
                return self._citizen(account, as_citizen, raw, ending, now)
        if ending:
            self.waiting.clear(account.id)
            return [Reply(NOTHING_TO_END)]
        wait = self.waiting.get(account.id, now)
        if wait is None:
            return None
        self.waiting.clear(account.id)
        if command:
            return None
        if wait.kind == HANDOFF_CONSENT:
            return self._consent(account, wait.data, folded, now)
        if wait.kind == PETITION_TEXT:
            return self._petition(account, wait.data, raw, folded, now)
        if wait.kind == RATING_COMMENT:
            self.ratings.comment(account, str(wait.data.get("code") or ""), raw)
            return [Reply("Em đã ghi lại ý kiến của anh/chị. Cảm ơn anh/chị!")]
        return None

    # personal data -----------------------------------------------------------------------------------------------
    @staticmethod
    def _privacy_request(raw: str, folded: str) -> Optional[str]:
        """``notice`` or ``erase`` when the message asks for one (command or plain words), else None."""
        word = raw.split(maxsplit=1)[0].lower() if raw else ""
        if word == privacy_rules.NOTICE_COMMAND or folded in privacy_rules.NOTICE_WORDS:
            return "notice"
        if word == privacy_rules.ERASE_COMMAND or folded in privacy_rules.ERASE_WORDS:
            return "erase"
        return None

    def _privacy(self, account: User, request: str, raw: str, now: dt.datetime) -> List[Reply]:
        self.privacy.first_contact(account.conversation_id, now)  # reading about it counts as having been told
        if request == "notice":
            return [Reply(self.privacy.notice(), [{"title": "Xem, xóa dữ liệu", "payload": privacy_rules.ERASE_COMMAND}])]
        given = raw.split()[1] if raw.startswith("/") and len(raw.split()) > 1 else ""
        if not given:  # show what is held, and ask for the confirmation
            token = privacy_rules.new_token()
            self.waiting.set(account.id, ERASE_CONFIRM, {"token": token}, now)
            text = privacy_rules.held_text(self.privacy.held(account))
            return [Reply(text, [{"title": "Xóa dữ liệu", "payload": f"{privacy_rules.ERASE_COMMAND} {token}"},
                                 {"title": "Không xóa", "payload": f"{privacy_rules.ERASE_COMMAND} {privacy_rules.CANCEL_WORD}"}])]
        wait = self.waiting.get(account.id, now)
        mine = wait is not None and wait.kind == ERASE_CONFIRM
        if normalize(given) == privacy_rules.CANCEL_WORD:
            if mine:
                self.waiting.clear(account.id)
            return [Reply("Dạ, em giữ nguyên, không xóa gì.")]
        if not mine or not hmac.compare_digest(given.encode("utf-8"), str(wait.data.get("token") or "").encode("utf-8")):
            return [Reply(f"Yêu cầu xóa này không còn hiệu lực. Anh/chị gõ {privacy_rules.ERASE_COMMAND} để xem dữ liệu "
                          "và xác nhận lại.")]
        self.waiting.clear(account.id)
        current = self.handoffs.open_for_citizen(account)
        if current is not None:  # the official is told the conversation ended before its messages go
            self.handoffs.close(current, "citizen", now)
        return [Reply(privacy_rules.erased_text(self.privacy.erase(account, now)))]

    # hand-off ----------------------------------------------------------------------------------------------------
    def _consent(self, account: User, data: dict, folded: str, now: dt.datetime) -> Optional[List[Reply]]:
        if folded in NO:
            return [Reply("Dạ, em không chuyển. Anh/chị cần hỏi gì cứ nhắn em.")]
        if folded not in YES:
            return None
        department = str(data.get("department") or self.handoffs.department_for(None))
        procedure = (data["procedure_id"], data.get("procedure_name") or "") if data.get("procedure_id") else None
        started = self.handoffs.start(account, department, now, procedure)
        if started.handoff is None:
            contact = data.get("contact") or "Anh/chị vui lòng liên hệ trực tiếp Bộ phận Một cửa của phường."
            return [Reply(f"Hiện chưa có cán bộ {department} nhận tin qua trợ lý. {contact}")]
        self.users.set_consent(account.id, True)  # asked and given: the official's answers may reach this account
        official = started.official
        if official is not None:  # the official now reads the citizen's name and messages
            self.audit.write(official, official.conversation_id, "handoff", "ok",
                             f"#{started.handoff.id}: tên và tin nhắn của người dân", now)
        lines = [f"Em đã kết nối anh/chị với cán bộ {started.handoff.department} (cuộc hỗ trợ #{started.handoff.id}). "
                 "Anh/chị cứ nhắn nội dung cần hỗ trợ, em chuyển nguyên văn; trả lời của cán bộ sẽ đến ngay tại đây. "
                 f"Gõ {END_COMMAND} để kết thúc."]
        if started.opening is not None:
            lines.append(closed_note(started.opening, now))
        return [Reply("\n".join(lines))]

    def _citizen(self, account: User, handoff: Handoff, raw: str, ending: bool, now: dt.datetime) -> List[Reply]:
        if ending:
            self.handoffs.close(handoff, "citizen", now)
            return [Reply("Em đã kết thúc cuộc trò chuyện với cán bộ. Em (trợ lý ảo) tiếp tục hỗ trợ anh/chị.")]
        opening = self.handoffs.relay(handoff, "citizen", raw, now)
        return [Reply(RELAYED if opening is None else f"{RELAYED} {closed_note(opening, now)}")]

    def _official(self, account: User, mine: List[Handoff], raw: str, ending: bool, now: dt.datetime) -> List[Reply]:
        target, body = None, raw
        aimed = TARGET.match(raw[len(END_COMMAND):] if raw.lower().startswith(END_COMMAND) else raw)
        if aimed:
            target = next((h for h in mine if h.id == int(aimed.group(1))), None)
            body = aimed.group(2).strip()
            if target is None:
                return [Reply(f"Không có cuộc hỗ trợ #{aimed.group(1)} đang mở của anh/chị. {self._listing(mine, account, now)}")]
        elif len(mine) == 1:
            target = mine[0]
        if target is None:
            what = f"{END_COMMAND} #<số>" if ending else "#<số> <nội dung>"
            return [Reply(f"Anh/chị đang mở {len(mine)} cuộc hỗ trợ; gõ {what} để chọn. {self._listing(mine, account, now)}")]
        if ending:
            self.handoffs.close(target, "official", now)
            return [Reply(f"Đã kết thúc cuộc hỗ trợ #{target.id}; người dân đã được báo.")]
        if not body:
            return [Reply(f"Anh/chị gõ nội dung sau #{target.id} giúp em.")]
        self.handoffs.relay(target, "official", body, now)
        return [Reply(f"✓ Đã chuyển cho người dân (#{target.id}).")]

    def _listing(self, mine: List[Handoff], official: Optional[User] = None, now: Optional[dt.datetime] = None) -> str:
        if official is not None:  # the official reads the names of the citizens in their open hand-offs
            self.audit.write(official, official.conversation_id, "handoff_list", "ok",
                             "tên người dân: " + ", ".join(f"#{h.id}" for h in mine), now)
        names = []
        for handoff in mine:
            citizen = self.users.get(handoff.citizen_id)
            names.append(f"#{handoff.id} {who(citizen) if citizen else ''}".strip())
        return "Đang mở: " + ", ".join(names) + "."

    # petitions and ratings ---------------------------------------------------------------------------------------
    def _petition(self, account: User, data: dict, raw: str, folded: str, now: dt.datetime) -> List[Reply]:
        if folded in NO:
            return [Reply("Dạ, em chưa ghi phản ánh nào. Anh/chị cần hỏi gì cứ nhắn em.")]
        if len(folded.split()) < 3:
            self.waiting.set(account.id, PETITION_TEXT, data, now)
            return [Reply("Anh/chị viết rõ hơn giúp em: việc gì, ở đâu, khi nào (trong một tin nhắn).")]
        petition = self.petitions.file(account, raw, now, field=data.get("field"), procedure_id=data.get("procedure_id"),
                                       dossier_code=data.get("dossier_code"))
        return [Reply(acknowledgement(petition))]

    def _rate(self, account: User, code: str, score: int, now: dt.datetime) -> List[Reply]:
        outcome = self.ratings.rate(account, code, score, now)
        if outcome == rating_rules.NOT_ASKED:
            return [Reply(f"Em không thấy lời mời đánh giá hồ sơ {code} cho tài khoản này.")]
        if outcome == rating_rules.AGAIN:
            return [Reply(f"Anh/chị đã đánh giá hồ sơ {code} rồi. Cảm ơn anh/chị!")]
        self.waiting.set(account.id, RATING_COMMENT, {"code": code}, now)
        return [Reply(f"Cảm ơn anh/chị đã đánh giá {score}/5 ({rating_rules.SCORES[score].lower()}). "
                      "Anh/chị muốn góp thêm ý kiến? Gõ ý kiến trong một tin nhắn, hoặc bấm \"Bỏ qua\".",
                      [{"title": "Bỏ qua", "payload": rating_rules.SKIP}])]
