"""The legal-basis review: for each catalogue procedure, what each cited document is on a date.

``status``: in_force | amended | replaced | changing_soon | unknown. changing_soon: replaced, amended or expiring
within :data:`SOON_DAYS` days after the date (``by``/``from`` say which document and when); replaced also covers a
document whose end date has passed (``by`` null); unknown: not in the register, or its dates are not confirmed.
Only procedures with something other than in_force are listed (``motcua legal review``, ``/ratsoat``, the weekly
notice to the officials of the department concerned).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Dict, Iterable, List, Optional

from bot.legal.register import AMENDED, EXPIRED, IN_FORCE, NOT_YET, REPLACED, UNKNOWN, Register
from nlu.normalize import normalize

SOON_DAYS = 120
CHANGING_SOON = "changing_soon"
STATUS_WORDS = {
    AMENDED: "đã được sửa đổi", REPLACED: "đã hết hiệu lực", CHANGING_SOON: "sắp thay đổi", UNKNOWN: "chưa xác minh được hiệu lực",
}
# catalogue field -> words of the department names that handle it (officials' departments are written as in the dossiers)
FIELD_DEPARTMENTS = {
    "Hộ tịch": ("tu phap", "ho tich"), "Chứng thực": ("tu phap", "ho tich"), "Nuôi con nuôi": ("tu phap", "ho tich"),
    "Đăng ký, quản lý cư trú": ("cong an",), "Cấp, quản lý căn cước": ("cong an",), "Định danh và xác thực điện tử": ("cong an",),
    "Bảo trợ xã hội": ("van hoa", "xa hoi", "lao dong"), "Đất đai": ("dia chinh", "dat dai", "kinh te", "xay dung"),
    "Hoạt động xây dựng": ("xay dung", "kinh te", "dia chinh"),
    "Thành lập và hoạt động của hộ kinh doanh": ("kinh te", "tai chinh", "ke hoach"),
}


def finding(register: Register, number: str, day: dt.date) -> Optional[Dict[str, Any]]:
    """What to say about one cited document on ``day``; None when it is simply in force."""
    status = register.status_on(number, day)
    if status.status in (REPLACED, EXPIRED):
        return {"document": number, "status": REPLACED, "by": status.by, "from": status.start.isoformat()}
    coming = register.next_change(number, day)
    if coming and (coming[2] - day).days <= SOON_DAYS and coming[0] in (REPLACED, EXPIRED, AMENDED):
        return {"document": number, "status": CHANGING_SOON, "by": coming[1], "from": coming[2].isoformat()}
    if status.status == NOT_YET:
        return {"document": number, "status": CHANGING_SOON if (status.start - day).days <= SOON_DAYS else UNKNOWN,
                "by": None, "from": status.start.isoformat()}
    if status.status == AMENDED:
        return {"document": number, "status": AMENDED, "by": status.by, "from": status.start.isoformat()}
    if status.status == UNKNOWN:
        return {"document": number, "status": UNKNOWN, "by": None, "from": None}
    return None if status.status == IN_FORCE else {"document": number, "status": UNKNOWN, "by": None, "from": None}


def review(register: Register, procedures: Iterable[Any], day: dt.date) -> Dict[str, Any]:
    """``{"date", "procedures": [{"id", "code", "name", "findings": [{"document", "status", "by", "from"}]}]}``."""
    listed: List[Dict[str, Any]] = []
    for procedure in sorted(procedures, key=lambda p: p.id):
        numbers = list(dict.fromkeys(str(b.get("document") or "").strip() for b in procedure.legal_basis))
        findings = [f for f in (finding(register, n, day) for n in numbers if n) if f]
        if findings:
            listed.append({"id": procedure.id, "code": procedure.code, "name": procedure.name, "findings": findings})
    return {"date": day.isoformat(), "procedures": listed}


def _field(procedure: Any) -> str:
    return normalize(getattr(procedure, "field", "") or "")


def concerns(department: Optional[str], procedure: Any) -> bool:
    """True when an official of ``department`` handles ``procedure``'s field (no department: every field)."""
    if not department:
        return True
    words = next((w for f, w in FIELD_DEPARTMENTS.items() if normalize(f) == _field(procedure)), ())
    folded = normalize(department)
    return any(word in folded for word in words)


def for_department(result: Dict[str, Any], procedures: Dict[str, Any], department: Optional[str]) -> Dict[str, Any]:
    """The review narrowed to the procedures the department handles."""
    kept = [p for p in result["procedures"] if p["id"] in procedures and concerns(department, procedures[p["id"]])]
    return {"date": result["date"], "procedures": kept}


def digest_key(result: Dict[str, Any]) -> str:
    """A short fingerprint of a set of findings (the same findings give the same key whatever the date)."""
    body = sorted((p["id"], f["document"], f["status"], f["by"] or "", f["from"] or "")
                  for p in result["procedures"] for f in p["findings"])
    return hashlib.sha1(json.dumps(body, ensure_ascii=False).encode("utf-8")).hexdigest()[:12]


def _date_vn(value: Optional[str]) -> str:
    if not value:
        return ""
    day = dt.date.fromisoformat(value)
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def finding_line(item: Dict[str, Any], register: Register) -> str:
    """"60/2014/QH13 sắp thay đổi: thay bằng 03/2026/QH16 từ 01/03/2027"."""
    status, by, start = item["status"], item["by"], _date_vn(item["from"])
    if status == REPLACED:
        tail = f"thay bằng {by} từ {start}" if by else f"hết hiệu lực từ {start}"
    elif status == AMENDED:
        tail = f"sửa đổi bởi {by} (từ {start}); kiểm tra điều được dẫn"
    elif status == CHANGING_SOON:
        document = register.get(item["document"])
        if by and document and document.replaced_by and document.replaced_by.document == by:
            tail = f"thay bằng {by} từ {start}"
        elif by:
            tail = f"sửa đổi bởi {by} từ {start}"
        elif document and document.expires:
            tail = f"hết hiệu lực từ {start}"
        else:
            tail = f"có hiệu lực từ {start}"
    else:
        tail = "chưa có trong sổ văn bản" if register.get(item["document"]) is None else "chưa đối chiếu được ngày hiệu lực"
    return f"{item['document']} {STATUS_WORDS.get(status, status)}: {tail}"


def review_text(result: Dict[str, Any], register: Register, limit: int = 12, only: Iterable[str] = (CHANGING_SOON, REPLACED, UNKNOWN, AMENDED)) -> str:
    """The review for a phone: the procedures with changes coming or past first, one line per document."""
    order = {CHANGING_SOON: 0, REPLACED: 1, UNKNOWN: 2, AMENDED: 3}
    wanted = set(only)
    rows = []
    for procedure in result["procedures"]:
        findings = sorted((f for f in procedure["findings"] if f["status"] in wanted), key=lambda f: order.get(f["status"], 9))
        if findings:
            rows.append((order.get(findings[0]["status"], 9), procedure, findings))
    if not rows:
        return f"Rà soát căn cứ pháp lý ngày {_date_vn(result['date'])}: các văn bản được dẫn đều đang có hiệu lực."
    rows.sort(key=lambda r: (r[0], r[1]["name"]))
    counts: Dict[str, int] = {}
    for _, _, findings in rows:
        for f in findings:
            counts[f["status"]] = counts.get(f["status"], 0) + 1
    summary = ", ".join(f"{n} {STATUS_WORDS[s]}" for s, n in sorted(counts.items(), key=lambda kv: order.get(kv[0], 9)))
    lines = [f"⚖️ Rà soát căn cứ pháp lý ngày {_date_vn(result['date'])}: {len(rows)} thủ tục cần xem ({summary})."]
    for _, procedure, findings in rows[:limit]:
        lines.append(f"• {procedure['name']}")
        lines.extend(f"   – {finding_line(f, register)}" for f in findings[:3])
    if len(rows) > limit:
        lines.append(f"… và {len(rows) - limit} thủ tục khác (motcua legal review --json).")
    return "\n".join(lines)


def run_command(settings: Any, day: Optional[str], as_json: bool, out: Any = None) -> int:
    """``motcua legal review [--date D] [--json]``: the review of the catalogue files on ``day`` (default today)."""
    import sys

    from bot.catalogue.procedures import CatalogueError, load_catalogue
    from bot.legal.register import load_register
    from bot.timeutil import now_vn

    out = out or sys.stdout
    try:
        when = dt.date.fromisoformat(day) if day else now_vn().date()
    except ValueError:
        print(f"Ngày không hợp lệ: {day!r} (dạng YYYY-MM-DD, ví dụ 2026-11-28).", file=sys.stderr)
        return 2
    try:
        register = load_register(settings.legal_dir / "register.yml")
        procedures = load_catalogue(settings.catalogue_dir)
    except CatalogueError as error:
        print(f"Lỗi dữ liệu: {error}", file=sys.stderr)
        return 2
    result = review(register, procedures.values(), when)
    print(json.dumps(result, ensure_ascii=False, indent=1) if as_json else review_text(result, register, limit=100), file=out)
    return 0
