"""How a dossier is shown to a citizen: status names, steps, the masked name, where to collect the result.

Used by the lookup (actions/dossier.py) and by the status notices (bot/notifications/jobs.py), so both say the same.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional

from bot.catalogue.repository import Catalogue
from bot.dossiers.records import OPEN_STATUSES, is_overdue
from bot.workdays import default_calendar

STATUS_NAMES = {
    "new": "Mới nộp, chờ tiếp nhận",
    "received": "Đã tiếp nhận",
    "not_received": "Không tiếp nhận",
    "in_progress": "Đang giải quyết",
    "additions_requested": "Yêu cầu bổ sung hồ sơ",
    "financial_obligation": "Chờ thực hiện nghĩa vụ tài chính",
    "withdrawn": "Công dân đã rút hồ sơ",
    "stopped": "Dừng xử lý",
    "done": "Đã có kết quả",
    "returned": "Đã trả kết quả",
}
STEPS = ("Nộp hồ sơ", "Tiếp nhận", "Giải quyết", "Có kết quả", "Trả kết quả")
STEP_OF_STATUS = {
    "new": 1, "received": 2, "in_progress": 3, "additions_requested": 3, "financial_obligation": 3, "done": 4, "returned": 5,
}
COUNTER = "Bộ phận Một cửa"


def mask_name(name: str) -> str:
    """"Nguyễn Văn An" -> "N*** V** An": enough to recognise, not enough to expose."""
    parts = (name or "").split()
    if not parts:
        return "(không rõ)"
    return " ".join([p[0] + "*" * (len(p) - 1) for p in parts[:-1]] + [parts[-1]])


def _day(value: Optional[str]) -> str:
    return dt.datetime.fromisoformat(value).strftime("%d/%m/%Y") if value else ""


def where_to_collect(dossier: Dict[str, Any], catalogue: Catalogue) -> str:
    """Where the result is collected: the ward's one-stop desk (its address and hours from ward.yml)."""
    ward = catalogue.ward()
    place = f"{COUNTER} – {ward.get('name')}" if ward.get("name") else COUNTER
    if ward.get("address"):
        place += f", {ward['address']}"
    if dossier.get("status") != "done":
        return f"• Khi có kết quả, nhận tại: {place}"
    line = f"• Nhận kết quả tại: {place}"
    if ward.get("hours"):
        line += f"\n• Giờ làm việc: {ward['hours']}"
    if dossier.get("result_digitised"):
        line += "\n• Kết quả đã được số hóa: nếu nộp trực tuyến, anh/chị xem bản điện tử trong tài khoản Cổng Dịch vụ công."
    return line


def summary_lines(dossier: Dict[str, Any], now: dt.datetime, catalogue: Catalogue) -> List[str]:
    """What anyone holding the code may see: status, step, due date, masked name, where to collect."""
    status = dossier.get("status") or ""
    name = dossier.get("procedure_name") or dossier.get("procedure_code") or "(không rõ)"
    procedure = catalogue.procedure(dossier.get("procedure_id") or "") if dossier.get("procedure_id") else None
    lines = [
        f"🔎 Hồ sơ {dossier['code']}",
        f"• Thủ tục: {procedure.short_name if procedure else name}",
        f"• Người nộp: {mask_name(dossier.get('applicant_name') or '')}",
        f"• Tình trạng: {STATUS_NAMES.get(status, status or '(không rõ)')}",
    ]
    if status in STEP_OF_STATUS:
        step = STEP_OF_STATUS[status]
        lines.append(f"• Đang ở bước {step}/{len(STEPS)}: {STEPS[step - 1]}")
    if dossier.get("received_at"):
        lines.append(f"• Ngày tiếp nhận: {_day(dossier['received_at'])}")
    if dossier.get("due_at") and status not in ("withdrawn", "not_received", "stopped"):
        due = f"• Hẹn trả kết quả: {_day(dossier['due_at'])}"
        if is_overdue(dossier, now):
            late = default_calendar().working_days_between(dt.datetime.fromisoformat(dossier["due_at"]).date(), now.date())
            due += f" – ⚠️ đã quá hạn{f' {late} ngày làm việc' if late > 0 else ''}"
        lines.append(due)
    if dossier.get("finished_at") and status in ("done", "returned"):
        lines.append(f"• {'Ngày trả kết quả' if status == 'returned' else 'Ngày có kết quả'}: {_day(dossier['finished_at'])}")
    if status == "additions_requested":
        lines.append("• Hồ sơ cần bổ sung giấy tờ trước khi được giải quyết tiếp.")
    if status == "financial_obligation":
        lines.append("• Anh/chị cần hoàn thành nghĩa vụ tài chính (phí, lệ phí, thuế) để hồ sơ được giải quyết tiếp.")
    if status == "done" or status in OPEN_STATUSES:
        lines.append(where_to_collect(dossier, catalogue))
    return lines


def detail_lines(dossier: Dict[str, Any]) -> List[str]:
    """What only the applicant sees: full name, what is missing, who handles it."""
    lines = [f"🔓 Chi tiết hồ sơ {dossier['code']}", f"• Người nộp: {dossier.get('applicant_name') or '(không rõ)'}"]
    if dossier.get("status") == "additions_requested":
        lines.append(f"• Cần bổ sung: {dossier.get('additions_note') or 'cán bộ chưa ghi cụ thể, anh/chị liên hệ Bộ phận Một cửa.'}")
    if dossier.get("department"):
        lines.append(f"• Bộ phận xử lý: {dossier['department']}")
    if dossier.get("handler"):
        lines.append(f"• Cán bộ xử lý: {dossier['handler']}")
    if dossier.get("paid_online"):
        lines.append("• Phí, lệ phí: đã thanh toán trực tuyến")
    return lines
