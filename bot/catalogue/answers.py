"""Turning catalogue entries into short Vietnamese answers readable on a phone."""

from __future__ import annotations

import datetime as dt
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
UNVERIFIED = "⚠️ Thông tin này đang chờ cán bộ xác nhận lại; anh/chị vui lòng kiểm tra tại Bộ phận Một cửa."


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
    return "• " + " ".join(parts)


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


def where_text(procedure: Procedure) -> str:
    """Where and how to submit."""
    sub = procedure.submission
    channels = ", ".join(CHANNEL_NAMES[c] for c in sub.get("channels") or [])
    lines = [f"• Nơi nộp: {sub['where']}"]
    if channels:
        lines.append(f"• Cách nộp: {channels}")
    if sub.get("online"):
        lines.append(f"• Trực tuyến: {sub['online']}")
    if procedure.result:
        lines.append(f"• Kết quả: {procedure.result}")
    return "\n".join(lines)


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


def answer(procedure: Procedure, aspect: str, day: dt.date) -> str:
    """The full answer about one ``aspect`` of ``procedure`` on ``day``."""
    body: List[str] = [header(procedure)]
    if aspect == "overview":
        if procedure.summary:
            body.append(procedure.summary)
        body.append(f"• Thời hạn: {first_sentence(time_text(procedure))}")
        amounts = fee_summary(procedure, day)
        if amounts:
            body.append(f"• Lệ phí: {amounts} – hỏi \"lệ phí\" để xem chi tiết.")
        body.append(f"• Nơi nộp: {procedure.submission['where']}")
        body.append(f"• Giấy tờ: {len(procedure.documents)} loại – hỏi \"cần giấy tờ gì\" để xem chi tiết.")
    else:
        body.append(ASPECT_TITLES[aspect] + ":")
        body.append({
            "documents": documents_text,
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
