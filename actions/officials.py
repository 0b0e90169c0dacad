"""The officials' desk in the chat: the one role check and audit row around every official command, and invites.

:class:`OfficialAction` is the base of every action that runs an official command, on every channel: its ``run``
finds the account behind the conversation (``"<channel>:<id>"``), asks :func:`bot.people.roles.require` whether
its role may run ``command``, writes the audit row, and only then calls :meth:`OfficialAction.run_official` with
the account and its scope (an official's department, a team member's area). Anyone else gets
:data:`bot.phrases.REFUSAL` and nothing more: the same words whether the command exists or not, no figure, no name.
A new official command is a subclass with ``command = "<a key of bot.people.roles.COMMANDS>"``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Text, Union

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import ServiceAction, latest_entities, latest_text, question_moment
from bot.people import invites as invite_rules
from bot.people.roles import Refused, Scope, describe, require
from bot.people.users import User, split_conversation_id
from bot.phrases import REFUSAL
from nlu.invite_code import EXAMPLE, canonical, find_invite_codes

log = logging.getLogger(__name__)

FAILED = "Xin lỗi, em chưa thực hiện được yêu cầu này. Anh/chị thử lại sau ít phút giúp em."

Events = List[Dict[Text, Any]]


@dataclass
class Outcome:
    """What an official command did: its events, and what the audit row says (``result``, ``detail``)."""

    events: Events = field(default_factory=list)
    result: str = "ok"
    detail: Optional[str] = None  # None: the message as typed (codes blanked by the audit)


class OfficialAction(ServiceAction):
    """An action that runs an official command: role check, audit row, then :meth:`run_official`."""

    command: str = ""  # a key of bot.people.roles.COMMANDS; an empty or unknown one is refused to everyone

    def account(self, tracker: Tracker) -> Optional[User]:
        """The account behind the conversation, None when it has none (then it is a citizen)."""
        parts = split_conversation_id(tracker.sender_id)
        return self.services.users.find(*parts) if parts else None

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> Events:
        user, now = self.account(tracker), question_moment(tracker, trusted=True)
        audit = self.services.audit
        try:
            scope = require(user, self.command)
        except Refused:
            audit.write(user, tracker.sender_id, self.command or "?", "refused", latest_text(tracker), now)
            dispatcher.utter_message(text=REFUSAL)
            return []
        try:
            done = self.run_official(dispatcher, tracker, domain, user, scope)
        except Exception:  # noqa: BLE001 - the official gets a polite message, the log and the audit the failure
            log.exception("official command %s failed for %s", self.command, tracker.sender_id)
            audit.write(user, tracker.sender_id, self.command, "error", latest_text(tracker), now)
            dispatcher.utter_message(text=FAILED)
            return []
        outcome = done if isinstance(done, Outcome) else Outcome(list(done or []))
        detail = latest_text(tracker) if outcome.detail is None else outcome.detail
        audit.write(user, tracker.sender_id, self.command, outcome.result, detail, now)
        return outcome.events

    def run_official(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any],
                     user: User, scope: Scope) -> Union[Outcome, Events]:
        """The command itself, for an account whose role may run it; ``scope`` limits what it shows."""
        raise NotImplementedError


class ActionCreateInvite(OfficialAction):
    """An admin makes an invite in the chat: "/taomoi cán bộ Tư pháp - Hộ tịch" (Telegram's /taomoi is a payload)."""

    command = "create_invite"

    def name(self) -> Text:
        return "action_create_invite"

    def run_official(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any],
                     user: User, scope: Scope) -> Outcome:
        asked = [str(e.get("value") or "") for e in latest_entities(tracker, "invite_request")]
        text = ("/taomoi " + asked[0]) if asked else latest_text(tracker)
        try:
            request = invite_rules.parse_request(text)
            invite = self.services.invites.create(request.role, request.department, request.area,
                                                  created_by=tracker.sender_id, now=question_moment(tracker, trusted=True),
                                                  ttl=request.ttl)
        except ValueError as error:
            dispatcher.utter_message(text=str(error))
            return Outcome(result="invalid")
        who = describe(invite.role, invite.department, invite.area)
        dispatcher.utter_message(text=(
            f"Mã mời {who}: {invite.code}\n"
            f"Dùng một lần, hết hạn lúc {invite_rules.expiry_text(invite.expires_at)}.\n"
            f"Người được mời nhắn cho trợ lý (Telegram, Zalo hoặc web): mã mời {invite.code}\n"
            f"(trên Telegram có thể gõ /moi {invite.code}). Chỉ gửi mã cho đúng người."))
        return Outcome(detail=f"{who}, hết hạn {invite_rules.expiry_text(invite.expires_at)}")


class ActionRedeemInvite(OfficialAction):
    """Anyone sends an invite code ("mã mời KMRT-VXAB-QHNC", Telegram ``/moi …``): their account gets its role."""

    command = "redeem_invite"

    def name(self) -> Text:
        return "action_redeem_invite"

    def account(self, tracker: Tracker) -> Optional[User]:
        """The account behind the conversation, created on first contact (a web visitor has no row yet)."""
        parts = split_conversation_id(tracker.sender_id)
        if parts is None:
            return None
        return self.services.users.find(*parts) or self.services.users.seen(*parts)

    def run_official(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any],
                     user: Optional[User], scope: Scope) -> Outcome:
        given = [str(e.get("value") or "") for e in latest_entities(tracker, "invite_code")]
        codes = [c for c in (canonical(g) for g in given) if c] or [c for c, _, _ in find_invite_codes(latest_text(tracker))]
        if not codes:
            dispatcher.utter_message(text=f"Anh/chị gửi mã mời theo dạng: mã mời {EXAMPLE} (mã do quản trị viên cấp).")
            return Outcome(result="no_code", detail="")
        if user is None:  # not a channel account (a terminal conversation): nothing to give the role to
            dispatcher.utter_message(text="Mã mời dùng trong Telegram, Zalo hoặc trang web của phường.")
            return Outcome(result="no_account", detail="")
        done = self.services.invites.redeem(user, codes[0], question_moment(tracker, trusted=True))
        who = describe(done.role, done.department, done.area) if done.role else ""
        dispatcher.utter_message(text=_redeemed_text(done, who))
        return Outcome(result=done.outcome, detail=who)


def _redeemed_text(done: invite_rules.Redemption, who: str) -> str:
    """What the person reads after sending a code."""
    if done.outcome == invite_rules.OK:
        return (f"Xác nhận xong: tài khoản này đã là {who}. Các lệnh dành cho cán bộ dùng được ngay trong cuộc trò "
                "chuyện này. Gõ \"đăng ký nhận tin\" (Telegram: /dangky) để nhận thông báo hồ sơ đến hạn.")
    if done.outcome == invite_rules.WRONG:
        return f"Mã mời chưa đúng. Anh/chị kiểm tra lại mã (dạng {EXAMPLE}); còn {done.tries_left} lần thử hôm nay."
    if done.outcome == invite_rules.LOCKED:
        return (f"Hôm nay đã nhập sai mã mời quá {invite_rules.MAX_FAILURES_PER_DAY} lần nên em tạm khóa. "
                "Anh/chị thử lại vào ngày mai hoặc nhờ quản trị viên cấp mã mới.")
    if done.outcome == invite_rules.EXPIRED:
        return "Mã mời này đã hết hạn. Anh/chị nhờ quản trị viên cấp mã mới giúp em."
    if done.outcome == invite_rules.USED:
        return ("Mã mời này đã được dùng. Nếu không phải anh/chị dùng, hãy báo ngay cho quản trị viên; "
                "cần mã mới thì nhờ quản trị viên cấp.")
    if done.outcome == invite_rules.GROUP:
        return ("Mã mời chỉ dùng khi nhắn riêng với trợ lý, không dùng trong nhóm. Nếu mã đã lộ cho người khác, "
                "anh/chị nhờ quản trị viên cấp mã mới.")
    return "Tài khoản này đang là quản trị viên nên em giữ nguyên vai trò; mã mời chưa được dùng."
