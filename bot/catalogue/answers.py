"""Turning catalogue entries into short Vietnamese answers readable on a phone."""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from dataclasses import dataclass
from typing import Dict, List, Optional

from bot.catalogue.procedures import Fee, Procedure, fees_on

ASPECT_TITLES: Dict[str, str] = {
    "overview": "Tổng quan",
    "documents": "Giấy tờ cần chuẩn bị",
    "fee": "Lệ phí",
    "time": "Thời hạn giải quyết",
    "where": "Nơi nộp, cách nộp",
    "form": "Mẫu đơn, tờ khai",
    "legal": "Căn cứ pháp lý",
}
CHANNEL_NAMES = {"truc_tiep": "trực tiếp", "buu_chinh": "qua bưu chính", "truc_tuyen": "trực tuyến"}
PHONE_WIDTH = 38  # characters on one line of a phone chat bubble
PHONE_LINES = 16  # lines on one phone screen
PHONE_CHARS = 600  # a first reply holds at most this many characters
UNVERIFIED = "⚠️ Thông tin chờ cán bộ xác nhận; hỏi lại Bộ phận Một cửa."  # short: every first answer carries it


def phone_lines(text: str, width: int = PHONE_WIDTH) -> int:
    """How many lines ``text`` takes in a chat bubble ``width`` characters wide (words wrap; an 80-character line is 3)."""
    return sum(
        max(1, len(textwrap.wrap(line, width=width, break_long_words=True, break_on_hyphens=False)))
        for line in (text or "").split("\n")
    )


def fits_phone(text: str) -> bool:
    """True when ``text`` fits one phone screen: at most PHONE_CHARS characters and PHONE_LINES lines."""
    return len(text) <= PHONE_CHARS and phone_lines(text) <= PHONE_LINES


def _date(day: Optional[dt.date]) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def money(amount: Optional[int]) -> str:
    """``50000`` -> ``50.000 đồng``; 0 -> ``miễn phí``."""
    if amount is None:
        return ""
    if amount == 0:
        return "miễn phí"
    return f"{amount:,}".replace(",", ".") + " đồng"


def fee_line(fee: Fee) -> str:
    """One fee rule as a sentence."""
    parts = []
    if fee.valid_from or fee.valid_to:
        span = " ".join(
            p for p in (f"từ {_date(fee.valid_from)}" if fee.valid_from else "",
                        f"đến hết {_date(fee.valid_to)}" if fee.valid_to else "") if p
        )
        parts.append(span[0].upper() + span[1:] + ":")
    if fee.amount is not None:
        parts.append(money(fee.amount).capitalize() + " –")
    parts.append(fee.text)
    if fee.condition:
        parts.append(f"(áp dụng cho: {fee.condition})")
    if fee.source:
        parts.append(f"[{fee.source}]")
    return "\n".join(["• " + " ".join(parts), *(f"   ◦ {group}" for group in fee.groups)])


def header(procedure: Procedure) -> str:
    """The procedure's name and national code."""
    code = f" (mã {procedure.code})" if procedure.code else ""
    return f"📋 {procedure.short_name}{code}"


def sources_line(procedure: Procedure) -> str:
    """Where the facts come from: the legal documents by number (details under "căn cứ pháp lý")."""
    basis = "; ".join(b["document"] for b in procedure.legal_basis[:4])
    return f"Nguồn: {basis}" if basis else f"Nguồn: {procedure.sources[0]['title']}"


def fees_text(procedure: Procedure, day: dt.date) -> str:
    """The fee rules in force on ``day``."""
    current = fees_on(procedure, day)
    if not current:
        return "• Chưa có thông tin lệ phí trong danh mục; anh/chị hỏi Bộ phận Một cửa giúp em."
    return "\n".join(fee_line(fee) for fee in current)


def first_sentence(text: str) -> str:
    """The first sentence of ``text``."""
    head = text.split(". ")[0].rstrip(".")
    return head + "."


def fee_summary(procedure: Procedure, day: dt.date) -> str:
    """The distinct amounts in force on ``day``, e.g. "miễn phí / 10.000 đồng / tùy trường hợp"."""
    amounts = []
    for fee in fees_on(procedure, day):
        label = money(fee.amount) if fee.amount is not None else "theo quy định của tỉnh hoặc tùy trường hợp"
        if label not in amounts:
            amounts.append(label)
    return " / ".join(amounts)


def time_text(procedure: Procedure) -> str:
    """The processing time."""
    days = procedure.working_days
    if days is None:
        return procedure.processing_text
    lead = "Trong ngày làm việc" if days == 0 else f"{days:g} ngày làm việc"
    return f"{lead}. {procedure.processing_text}" if procedure.processing_text else lead


def documents_text(procedure: Procedure) -> str:
    """The documents to bring, numbered."""
    if not procedure.documents:
        return "Danh mục chưa có thông tin giấy tờ cho thủ tục này."
    lines = []
    for i, doc in enumerate(procedure.documents, 1):
        extra = f" – {doc['copies']}" if doc.get("copies") else ""
        note = f" ({doc['note']})" if doc.get("note") else ""
        lines.append(f"{i}. {doc['name']}{extra}{note}")
    return "\n".join(lines)


def field(label: str, value: Optional[str]) -> Optional[str]:
    """``• label: value``, or None when there is nothing to say (no value, blank, or only brackets)."""
    value = plain(value or "", keep_notes=True)
    return f"• {label}: {value}" if value else None


def where_text(procedure: Procedure) -> str:
    """Where and how to submit."""
    sub = procedure.submission
    channels = ", ".join(CHANNEL_NAMES[c] for c in sub.get("channels") or [])
    lines = [
        field("Nơi nộp", sub.get("where")),
        field("Cách nộp", channels),
        field("Trực tuyến", sub.get("online")),
        field("Kết quả", procedure.result),
    ]
    return "\n".join(line for line in lines if line)


def forms_text(procedure: Procedure) -> str:
    """The official templates."""
    if not procedure.forms:
        return "Thủ tục này không có mẫu đơn, tờ khai riêng (hoặc danh mục chưa ghi)."
    return "\n".join(
        f"• {f['name']}" + (f" – {f['number']}" if f.get("number") else "") for f in procedure.forms
    )


def legal_text(procedure: Procedure) -> str:
    """The legal bases."""
    if not procedure.legal_basis:
        return "Danh mục chưa ghi căn cứ pháp lý."
    return "\n".join(
        "• " + " ".join(x for x in (b["document"], b.get("title"), f"({b['articles']})" if b.get("articles") else None) if x)
        for b in procedure.legal_basis
    )


# --- The first message: one phone screen ------------------------------------------------------------

_PAREN = re.compile(r"\s*\(([^()]*)\)")
_LEGAL_REF = re.compile(r"\b(?:Điều|khoản|điểm|Luật|NĐ|Nghị định|Thông tư|TT|NQ|Nghị quyết|Quyết định|QĐ|Phụ lục|Mẫu số)\b|\d+/\d{4}")
_CONDITION = re.compile(r"\b(?:[Kk]hông phải|[Kk]hông cần|[Nn]ếu|[Kk]hi|[Tt]rừ|[Cc]hỉ)\b")
SHORT_NOTE = 30  # a bracketed remark this short and without a legal reference stays in the first message
MAX_ITEM = 100  # an item of a first message says at most this much (characters after its lead), the rest is in the details
COPIES = 24  # a document's copies in a first message ("01 bản sao"), cut to this
MIN_ITEM = 26  # no item of a first message is cut shorter than this (characters after its lead)
KEEP_EXTRA_ABOVE = 60  # the "Lưu ý" line stays while no item has to be cut shorter than this


def plain(text: str, keep_notes: bool = False) -> str:
    """``text`` on one line, without its bracketed legal notes (all bracketed remarks unless ``keep_notes``:
    then only empty brackets go) and without dangling punctuation."""
    text = " ".join((text or "").split())
    while True:
        def drop(match: "re.Match[str]") -> str:
            inner = match.group(1).strip()
            if not inner:
                return ""
            if keep_notes or (len(inner) <= SHORT_NOTE and not _LEGAL_REF.search(inner)):
                return f" ⟨{inner}⟩"
            return ""
        cleaned = _PAREN.sub(drop, text)
        if cleaned == text:
            break
        text = cleaned
    text = text.replace("⟨", "(").replace("⟩", ")")
    return text.strip(" ,;:–-—").strip()


def clip(text: str, limit: Optional[int]) -> str:
    """``text`` cut at a word end to at most ``limit`` characters, with "…" when cut."""
    if limit is None or len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:–-—(") + "…"


def short_header(procedure: Procedure, aspect: str) -> List[str]:
    """The procedure's name and what this message is about (the national code in the overview and the details)."""
    if aspect == "overview":
        return [header(procedure)]
    return [f"📋 {procedure.short_name}", ASPECT_TITLES[aspect]]


def short_sources_line(procedure: Procedure) -> str:
    """The source line of a first message: the first legal document and how many more (all of them under
    "Căn cứ pháp lý")."""
    documents = [b["document"] for b in procedure.legal_basis]
    if not documents:
        return clip(f"Nguồn: {procedure.sources[0]['title']}", PHONE_WIDTH * 2)
    more = f" (+{len(documents) - 1} văn bản)" if len(documents) > 1 else ""
    return f"Nguồn: {documents[0]}{more}"


def footer(procedure: Procedure) -> List[str]:
    """The source line and, for an entry not yet confirmed, the warning."""
    return [short_sources_line(procedure)] + ([UNVERIFIED] if not procedure.verified else [])


@dataclass(frozen=True)
class Item:
    """One line of a first message: ``lead`` and ``tail`` stay whole, ``rest`` may be cut to fit the screen."""

    lead: str
    rest: str = ""
    tail: str = ""  # kept whole after ``rest`` (a document's copies)

    def render(self, limit: Optional[int]) -> str:
        rest = clip(self.rest, limit) + (f" – {self.tail}" if self.tail else "")
        if not self.lead or not rest or self.lead.endswith(" "):
            return f"{self.lead}{rest}"
        return f"{self.lead} – {rest}"

    def empty(self) -> bool:
        """A label with nothing after it ("• Trực tuyến: "), or nothing at all."""
        return not self.rest.strip() and (not self.lead.strip() or self.lead.rstrip().endswith(":"))


def _shrink(items: List[Item], limits: List[Optional[int]], floor: int) -> bool:
    """Cut the item that takes most phone lines by one line (not below ``floor`` characters); False when none can be."""
    order = sorted(range(len(items)), key=lambda i: (phone_lines(items[i].render(limits[i])), len(items[i].render(limits[i]))),
                   reverse=True)
    for i in order:
        text = items[i].render(limits[i])
        lines = phone_lines(text)
        length = min(len(items[i].rest), limits[i] or len(items[i].rest))
        for limit in range(length - 1, floor - 1, -1):
            shorter = items[i].render(limit)
            if phone_lines(shorter) < lines or (lines == 1 and len(shorter) < len(text)):
                limits[i] = limit
                return True
    return False


def fit(head: List[str], items: List[Optional[Item]], footer_lines: List[str], extra: Optional[str] = None,
        more: str = "mục", longest: int = MAX_ITEM) -> str:
    """The fullest version of ``head + items (+ extra) + footer`` that fits one phone screen.

    Each item says at most ``longest`` characters; the item taking most lines is then cut one line
    shorter until the message fits. The ``extra`` line (the one condition that matters most) is given up
    before items are cut below :data:`KEEP_EXTRA_ABOVE` characters; as a last resort the list stops early
    with "… và N <more> khác". Empty items are left out."""
    items = [item for item in items if item and not item.empty()]

    def shortest_fit(shown: List[Item], after: List[str], floor: int) -> Optional[str]:
        limits: List[Optional[int]] = [longest] * len(shown)
        while True:
            text = "\n".join([*head, *(item.render(limit) for item, limit in zip(shown, limits)), *after, *footer_lines])
            if fits_phone(text):
                return text
            if not _shrink(shown, limits, floor):
                return None

    # each item takes a line at least: a list longer than the screen's free lines cannot fit, however cut
    room = PHONE_LINES - phone_lines("\n".join([*head, *footer_lines])) if head or footer_lines else PHONE_LINES
    attempts = [([extra], KEEP_EXTRA_ABOVE), ([], MIN_ITEM)] if extra else [([], MIN_ITEM)]
    for after, floor in attempts:
        text = shortest_fit(items, after, floor) if len(items) + len(after) <= room else None
        if text:
            return text
    for keep in range(min(len(items) - 1, room - 1), 0, -1):  # room - 1: the "… và N khác" line
        text = shortest_fit(items[:keep], [f"… và {len(items) - keep} {more} khác"], MIN_ITEM)
        if text:
            return text
    return "\n".join([*head, *footer_lines])


def key_condition(procedure: Procedure) -> Optional[str]:
    """The condition that matters most about the documents: the first sentence of a document note that
    says when a paper is (not) needed, its legal references left for the details."""
    for doc in procedure.documents:
        for sentence in re.split(r"(?<=[.;])\s+", doc.get("note") or ""):
            text = plain(sentence).rstrip(".;")
            if len(text) > 15 and _CONDITION.search(text) and not _LEGAL_REF.match(text):
                return f"Lưu ý: {text}."
    return None


def document_items(procedure: Procedure) -> List[Item]:
    """The documents as short numbered lines: name and copies, legal notes left for the details."""
    items = []
    for i, doc in enumerate(procedure.documents, 1):
        copies = _PAREN.sub("", doc.get("copies") or "")
        items.append(Item(f"{i}. ", plain(doc["name"]), clip(plain(copies), COPIES)))
    return items


EXEMPT_LEAD = "• Miễn phí cho một số nhóm"  # the first answer always says it whole; the groups are in the details


def fee_item(fee: Fee) -> Item:
    """One fee rule in a line: the amount, until when, and who it is for (for an exemption of listed
    groups: that some groups are exempt, then as many of the groups as fit)."""
    if fee.exemption:
        return Item(EXEMPT_LEAD + ": ", "; ".join(plain(group[:1].lower() + group[1:]) for group in fee.groups))
    amount = money(fee.amount).capitalize() if fee.amount is not None else "Tùy trường hợp"
    when = f" đến hết {_date(fee.valid_to)}" if fee.valid_to else ""
    when = f" từ {_date(fee.valid_from)}{when}" if fee.valid_from and not fee.valid_to else when
    who = plain(fee.condition or "") or (plain(fee.text) if fee.amount is None or fee.valid_from or fee.valid_to else "")
    return Item(f"• {amount}{when}", who)


def answer(procedure: Procedure, aspect: str, day: dt.date) -> str:
    """The first answer about one ``aspect`` of ``procedure`` on ``day``: what fits one phone screen (the short
    list, the one condition that matters most); :func:`details` holds the rest, one tap away."""
    head, tail = short_header(procedure, aspect), footer(procedure)
    if aspect == "documents":
        if not procedure.documents:
            return "\n".join([*head, documents_text(procedure), *tail])
        head[-1] += f" – {len(procedure.documents)} loại"
        return fit(head, document_items(procedure), tail, extra=key_condition(procedure), more="giấy tờ")
    if aspect == "fee":
        current = fees_on(procedure, day)
        if not current:
            return "\n".join([*head, fees_text(procedure, day), *tail])
        # who is exempt comes before the rules that started on a date (campaigns such as the digital-citizen
        # waiver): when the screen is short, the list is cut from the end
        order = sorted(current, key=lambda fee: 1 if fee.exemption else (2 if fee.valid_from else 0))
        return fit(head, [fee_item(fee) for fee in order], tail, more="mức")
    if aspect == "time":
        days = procedure.working_days
        lead = "Trong ngày làm việc" if days == 0 else (f"{days:g} ngày làm việc" if days is not None else "")
        rest = plain(first_sentence(procedure.processing_text))
        return fit(head, [Item(f"⏱ {lead}") if lead else None, Item("", rest)], tail, longest=2 * MAX_ITEM)
    if aspect == "where":
        sub = procedure.submission
        channels = ", ".join(CHANNEL_NAMES[c] for c in sub.get("channels") or [])
        items = [Item(f"• {label}: ", value) for label, value in (
            ("Nơi nộp", plain(sub.get("where") or "")), ("Cách nộp", channels),
            ("Trực tuyến", plain(sub.get("online") or "")), ("Kết quả", plain(procedure.result)),
        ) if value]
        return fit(head, items, tail)
    if aspect == "form":
        if not procedure.forms:
            return "\n".join([*head, forms_text(procedure), *tail])
        items = [Item("• ", plain(f["name"]) + (f" – {re.split(r' — |; ', plain(f['number']))[0]}" if f.get("number") else ""))
                 for f in procedure.forms]
        return fit(head, items, tail, more="mẫu")
    if aspect == "legal":
        if not procedure.legal_basis:
            return "\n".join([*head, legal_text(procedure), *tail])
        items = [Item(f"• {b['document']}", plain(b.get("title") or "")) for b in procedure.legal_basis]
        return fit(head, items, tail, more="văn bản")
    # overview
    amounts = fee_summary(procedure, day)
    days = procedure.working_days
    items = [
        Item("", plain(first_sentence(procedure.summary))) if procedure.summary else None,
        Item("• Thời hạn: ", "trong ngày làm việc" if days == 0 else (f"{days:g} ngày làm việc" if days is not None
                                                                     else plain(first_sentence(procedure.processing_text)))),
        Item("• Lệ phí: ", amounts) if amounts else None,
        Item("• Nơi nộp: ", plain(procedure.submission.get("where") or "")),
        Item(f"• Giấy tờ: {len(procedure.documents)} loại") if procedure.documents else None,
    ]
    return fit(head, [item for item in items if item], tail)


def documents_detail(procedure: Procedure) -> str:
    """Every document with its copies and, under it, its full note."""
    if not procedure.documents:
        return "Danh mục chưa có thông tin giấy tờ cho thủ tục này."
    blocks = []
    for i, doc in enumerate(procedure.documents, 1):
        copies = (doc.get("copies") or "").strip()
        note = " ".join((doc.get("note") or "").split())
        lines = [f"{i}. {doc['name'].strip()}" + (f" – {copies}" if copies else "")]
        if note:
            lines.append(f"   ↳ {note}")
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def details(procedure: Procedure, aspect: str, day: dt.date) -> str:
    """Everything the catalogue says about ``aspect``, legal notes included (one tap from the first answer)."""
    body: List[str] = [header(procedure), f"{ASPECT_TITLES[aspect]} – chi tiết"]
    if aspect == "overview":
        if procedure.summary:
            body.append(" ".join(procedure.summary.split()))
        body += [line for line in (
            field("Thời hạn", time_text(procedure)),
            field("Lệ phí", fee_summary(procedure, day)),
            field("Nơi nộp", procedure.submission.get("where")),
            field("Kết quả", procedure.result),
            field("Giấy tờ", f"{len(procedure.documents)} loại" if procedure.documents else ""),
        ) if line]
    else:
        body.append({
            "documents": documents_detail,
            "time": time_text,
            "where": where_text,
            "form": forms_text,
            "legal": legal_text,
        }[aspect](procedure) if aspect != "fee" else fees_text(procedure, day))
    body.append(sources_line(procedure))
    if not procedure.verified:
        body.append(UNVERIFIED)
    return "\n".join(body)


def guide_document(procedure: Procedure, day: dt.date) -> str:
    """A printable guide to one procedure (forms, documents, fees, where): sent as a file with the form answer."""
    sections = [
        f"HƯỚNG DẪN HỒ SƠ: {procedure.name.upper()}",
        f"Mã thủ tục: {procedure.code or 'chưa xác minh'} – Lĩnh vực: {procedure.field}",
        f"(Lập ngày {_date(day)} từ danh mục thủ tục của Bộ phận Một cửa.)",
        "",
        ASPECT_TITLES["form"].upper(), forms_text(procedure),
        "Mẫu chính thức: tải tại Cổng Dịch vụ công quốc gia (dichvucong.gov.vn) hoặc nhận tại Bộ phận Một cửa.",
        "",
        ASPECT_TITLES["documents"].upper(), documents_text(procedure),
        "",
        ASPECT_TITLES["fee"].upper(), fees_text(procedure, day),
        "",
        ASPECT_TITLES["time"].upper(), time_text(procedure),
        "",
        ASPECT_TITLES["where"].upper(), where_text(procedure),
        "",
        sources_line(procedure),
    ]
    if not procedure.verified:
        sections.append(UNVERIFIED)
    return "\n".join(sections) + "\n"
