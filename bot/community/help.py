"""People who ask for help in person ("cần hỗ trợ") reach the community team of their area; a team member sees their
area's numbers.

:func:`ask_help` records the request (``help_requests``) and writes one outbox notice (event ``help:<id>``, priority
:data:`bot.delivery.outbox.ALERT`) to each consenting team member of the area (``users.role = 'team'``, ``users.area``
naming the area in data/areas.yml). The citizen's area is the one they chose when subscribing, or the one they pick
then (buttons). A phone number in the message is passed on so the team can call back; nothing else about the citizen
(their display name and the channel they wrote from).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Dict, List, Optional

from bot.community.areas import Areas, load_areas
from bot.community.broadcasts import delivery_counts
from bot.delivery.outbox import ALERT, Outbox
from bot.delivery.text import shorten
from bot.people.subscriptions import BROADCAST_TOPICS
from bot.people.users import User, split_conversation_id
from bot.services import Services
from bot.timeutil import iso, local, now_vn

PHONE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.\-]?\d){9}(?!\d)")
CHANNEL_NAMES = {"telegram": "Telegram", "zalo": "Zalo", "web": "trang web", "cli": "máy trạm"}
MAX_TEXT = 500


@dataclass(frozen=True)
class HelpRequest:
    """What :func:`ask_help` did."""

    id: int
    area: str
    phone: Optional[str]
    team: int  # team members told


def phone_in(text: str) -> Optional[str]:
    """The first Vietnamese phone number in ``text``, digits only (``0912345678``)."""
    found = PHONE.search(text or "")
    if not found:
        return None
    digits = re.sub(r"\D", "", found.group(0))
    return "0" + digits[2:] if digits.startswith("84") else digits


def member_area(areas: Areas, user: Optional[User]) -> Optional[str]:
    """The area id a team member's ``users.area`` names (None when it names none of data/areas.yml)."""
    area = areas.find(getattr(user, "area", None)) or areas.get(getattr(user, "area", None))
    return area.id if area else None


def team_of(services: Services, area_id: str, areas: Optional[Areas] = None) -> List[User]:
    """The team members of ``area_id`` (their ``users.area`` names it)."""
    areas = areas or load_areas()
    members = [services.users.get(r["id"]) for r in services.db.query("select id from users where role = 'team' order by id")]
    return [m for m in members if m is not None and member_area(areas, m) == area_id]


def ask_help(services: Services, outbox: Outbox, conversation: str, area_id: str, text: str,
             now: Optional[dt.datetime] = None, areas: Optional[Areas] = None) -> HelpRequest:
    """Record a request for help in person and tell the area's team; ``ValueError`` for an unknown area."""
    areas = areas or load_areas()
    if areas.get(area_id) is None:
        raise ValueError("Khu phố không có trong danh sách của phường.")
    now = now or now_vn()
    text = " ".join((text or "").split())[:MAX_TEXT]
    parts = split_conversation_id(conversation)
    account = services.users.find(*parts) if parts else None
    phone = phone_in(text)
    cursor = services.db.execute(
        "insert into help_requests (at, conversation, account_id, area, text) values (?, ?, ?, ?, ?)",
        [iso(now), conversation, account.id if account else None, area_id, text])
    request_id = cursor.lastrowid
    lines = [f"🙋 Người dân cần hỗ trợ trực tiếp – {areas.name(area_id)}",
             f"• Người hỏi: {(account.display_name if account else '') or 'không rõ tên'}"
             f" (nhắn qua {CHANNEL_NAMES.get(parts[0], parts[0]) if parts else 'không rõ'})",
             f"• Số điện thoại: {phone or 'chưa để lại'}",
             f"• Lời nhắn: {text or '(không có)'}",
             f"• Lúc: {local(now):%H:%M %d/%m/%Y}"]
    notice = shorten("\n".join(lines), 2000)
    told = 0
    for member in team_of(services, area_id, areas):
        target = services.users.push_account(member)
        if target is not None:
            told += outbox.enqueue(target, f"help:{request_id}", notice, priority=ALERT)
            # the member is sent the citizen's name and phone: written to the audit log
            services.audit.write(member, member.conversation_id, "help_request", "ok", f"#{request_id}", now)
    services.db.execute("update help_requests set notified = ? where id = ?", [told, request_id])
    return HelpRequest(request_id, area_id, phone, told)


def area_numbers(services: Services, outbox: Outbox, area_id: str, now: Optional[dt.datetime] = None,
                 days: int = 30, areas: Optional[Areas] = None) -> Dict:
    """An area's numbers for its team: consenting subscribers by topic, broadcasts sent to it, help requests."""
    areas = areas or load_areas()
    now = now or now_vn()
    since = iso(now - dt.timedelta(days=days))
    subscribers: Dict[str, int] = {}
    for topic in BROADCAST_TOPICS:
        reachable = set()
        for conversation in services.subscriptions.in_areas(topic, [area_id]):
            parts = split_conversation_id(conversation)
            account = services.users.push_account(services.users.find(*parts) if parts else None)
            if account is not None:
                reachable.add(account.person_id)
        subscribers[topic] = len(reachable)
    everyone = {r["user_id"] for r in services.db.query("select user_id from subscriptions where topic = ?", ["area:" + area_id])}
    sent, delivered = 0, 0
    for row in outbox.conn.execute("select id, areas from broadcasts where state in ('sending', 'done', 'cancelled')"
                                   " and started_at >= ?", [since]).fetchall():
        if area_id in (row["areas"] or ""):
            sent += 1
            delivered += delivery_counts(outbox, f"broadcast:{row['id']}:msg").sent
    requests = list(services.db.query("select * from help_requests where area = ? and at >= ? order by id desc",
                                      [area_id, since]))
    return {"area": area_id, "name": areas.name(area_id), "people": len(everyone), "subscribers": subscribers,
            "broadcasts": sent, "delivered": delivered, "help_requests": requests, "days": days}


def numbers_text(numbers: Dict, areas: Optional[Areas] = None, latest: int = 5) -> str:
    """The area's numbers as a team member reads them."""
    areas = areas or load_areas()
    lines = [f"📍 {numbers['name']} – {numbers['days']} ngày qua",
             f"• Người đăng ký khu này: {numbers['people']}"]
    lines += [f"• Nhận \"{areas.topic_name(t)}\": {n}" for t, n in numbers["subscribers"].items()]
    lines.append(f"• Bản tin đã gửi: {numbers['broadcasts']} (tới {numbers['delivered']} lượt người nhận)")
    requests = numbers["help_requests"]
    lines.append(f"• Người cần hỗ trợ trực tiếp: {len(requests)}")
    for request in requests[:latest]:
        phone = phone_in(request["text"]) or "chưa có số"
        lines.append(f"   – {local(dt.datetime.fromisoformat(request['at'])):%d/%m %H:%M}: {phone}; {request['text'][:60]}")
    return shorten("\n".join(lines), 2000)
