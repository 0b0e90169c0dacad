"""How a leader sees the execution report: a short Vietnamese summary, a PNG chart, the Biểu 07a table as Excel.

    summary_text(report, previous=None, *, label=None, previous_label=None, scope=None, top_overdue=None) -> str
    chart_png(report, previous=None, *, label=None) -> bytes             # matplotlib, Agg canvas, no pyplot state
    excel_bytes(report, levels=None, *, label=None, unit=None) -> bytes   # openpyxl; one row per field + TỔNG CỘNG

``report`` and ``previous`` are :func:`bot.officials.report.report` dicts; ``levels`` is
``Tally.online_levels()`` (the form splits online dossiers into fully and partly online, the JSON does not).
Labels default to the period the report's dates make ("tháng 10/2026").
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any, Dict, List, Optional, Sequence, Tuple

from bot.officials.periods import between

FORM = "Biểu số 07a/BTP/KSTT"
FORM_TITLE = "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH TẠI CƠ QUAN, ĐƠN VỊ TRỰC TIẾP GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
# the form's columns (3)..(15), as the circular's annex prints them
COLUMNS = ("Tổng số", "Trực tuyến toàn trình", "Trực tuyến một phần", "Qua dịch vụ bưu chính", "Trực tiếp", "Từ kỳ trước",
           "Tổng số", "Trước hạn", "Đúng hạn", "Quá hạn", "Tổng số", "Trong hạn", "Quá hạn")
NUMBERS = ("(1)", "(2)", "(3)=(4)+(5)+(6)+(7)+(8)", "(4)", "(5)", "(6)", "(7)", "(8)", "(9)=(10)+(11)+(12)", "(10)", "(11)",
           "(12)", "(13)=(14)+(15)", "(14)", "(15)")
NOTES = (
    "Ghi chú (cách đếm của motcua, xem docs/indicators.md, mục \"Biểu 07a: counting rules\"):",
    "- Ngày theo giờ Việt Nam. Tiếp nhận trong kỳ: ngày tiếp nhận trong kỳ; từ kỳ trước: tiếp nhận trước kỳ, chưa kết thúc "
    "trước ngày đầu kỳ. Hồ sơ \"không tiếp nhận\" (từ chối tại quầy) không tính.",
    "- Đã giải quyết: kết thúc trong kỳ (kể cả rút hồ sơ, dừng xử lý); quá hạn nếu kết thúc sau thời điểm hẹn trả, trước hạn nếu "
    "kết thúc trước ngày hẹn trả, còn lại đúng hạn. Hồ sơ không có ngày hẹn trả tính là đúng hạn / trong hạn.",
    "- Đang giải quyết: tiếp nhận đến hết ngày cuối kỳ mà chưa kết thúc; quá hạn nếu thời điểm hẹn trả trước hết ngày cuối kỳ.",
    "- Hồ sơ trực tuyến không ghi mức độ được tính là trực tuyến một phần; hồ sơ không ghi hình thức nộp được tính là trực tiếp.",
)
ON_TIME_COLOUR, LATE_COLOUR, WITHIN_COLOUR, OVERDUE_COLOUR = "#2e7d32", "#ef6c00", "#90caf9", "#c62828"


# numbers as Vietnamese read them -----------------------------------------------------------------------------
def number(value: int) -> str:
    """1234 -> "1.234"."""
    return f"{value:,}".replace(",", ".")


def percent(value: Optional[float]) -> str:
    """95.2 -> "95,2%"; None -> "–"."""
    return "–" if value is None else f"{value:.1f}".replace(".", ",") + "%"


def change(now: int, before: int) -> str:
    """The change of a count: "+54", "−3", "=" ."""
    diff = now - before
    return "=" if diff == 0 else (f"+{number(diff)}" if diff > 0 else f"−{number(-diff)}")


def change_points(now: Optional[float], before: Optional[float]) -> str:
    """The change of a rate in percentage points: "+4,1 điểm", "−0,8 điểm", "=" (empty when either is missing)."""
    if now is None or before is None:
        return ""
    diff = round(now - before, 1)
    if diff == 0:
        return "="
    return ("+" if diff > 0 else "−") + f"{abs(diff):.1f}".replace(".", ",") + " điểm"


def period_label(report: Dict[str, Any]) -> str:
    """The name of the report's period ("tháng 10/2026", "từ 01/10/2026 đến 15/10/2026")."""
    return between(dt.date.fromisoformat(report["from"]), dt.date.fromisoformat(report["to"])).label


# the summary ---------------------------------------------------------------------------------------------------
def summary_text(report: Dict[str, Any], previous: Optional[Dict[str, Any]] = None, *, label: Optional[str] = None,
                 previous_label: Optional[str] = None, scope: Optional[str] = None,
                 top_overdue: Optional[Sequence[Tuple[str, int]]] = None) -> str:
    """6–7 lines a leader reads on a phone: received, resolved (on time / late), pending and overdue, the on-time
    rate, the online share, each with its change against ``previous``, and who has the most overdue dossiers.

    ``scope``: the department the report is limited to (named in the heading). ``top_overdue``: (name, count)
    pairs to name (e.g. a department's handlers, ``Tally.overdue_by("handler")``); by default the departments
    of ``report`` with the most overdue dossiers."""
    label = label or period_label(report)
    now = report["total"]
    before = previous["total"] if previous else None
    heading = f"📊 {label[:1].upper()}{label[1:]}" + (f" – {scope}" if scope else "")
    if previous:
        heading += f" (so với {previous_label or period_label(previous)})"

    def count(section: str, key: str) -> str:
        value = number(now[section][key])
        return f"{value} ({change(now[section][key], before[section][key])})" if before else value

    def rate(key: str) -> str:
        value = percent(now["rates"][key])
        delta = change_points(now["rates"][key], before["rates"][key]) if before else ""
        return f"{value} ({delta})" if delta else value

    received = now["received"]
    new = received["online"] + received["in_person"] + received["post"]
    new_text = f"{number(new)} hồ sơ"
    if before:
        b = before["received"]
        new_text += f" ({change(new, b['online'] + b['in_person'] + b['post'])})"
    on_time = now["resolved"]["early"] + now["resolved"]["on_time"]
    lines = [
        heading,
        f"• Tiếp nhận mới: {new_text}; kỳ trước chuyển sang: {number(received['carried_over'])}",
        f"• Đã giải quyết: {count('resolved', 'total')} – đúng hạn {number(on_time)}, trễ hạn {count('resolved', 'late')}",
        f"• Đang giải quyết: {count('pending', 'total')}, trong đó quá hạn {count('pending', 'overdue')}",
        f"• Tỉ lệ đúng hạn: {rate('on_time_rate')}",
        f"• Nộp trực tuyến: {rate('online_rate')}",
    ]
    if top_overdue is None:
        ranked = [(name, d["pending"]["overdue"]) for name, d in report["departments"].items() if d["pending"]["overdue"]]
        top_overdue = sorted(ranked, key=lambda kv: -kv[1])[:3]
    if top_overdue:
        lines.append("• Quá hạn nhiều nhất: " + ", ".join(f"{name} {number(n)}" for name, n in top_overdue))
    elif now["pending"]["overdue"] == 0:
        lines.append("• Không có hồ sơ quá hạn. 👍")
    return "\n".join(lines)


# the chart -----------------------------------------------------------------------------------------------------
def chart_png(report: Dict[str, Any], previous: Optional[Dict[str, Any]] = None, *, label: Optional[str] = None,
              top: int = 7) -> bytes:
    """A phone-sized PNG: one stacked bar per field (the ``top`` largest, the rest as "Khác") and the total, split
    into resolved on time / late and pending within the deadline / overdue; the previous period's total beside."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows: List[Tuple[str, Dict[str, Any]]] = list(report["fields"].items())
    rows.sort(key=lambda kv: -kv[1]["received"]["total"])
    if len(rows) > top:
        rest = rows[top:]
        rows = rows[:top] + [("Khác", _merge([r for _, r in rest]))]
    rows = [(name, data) for name, data in rows if data["received"]["total"]]
    bars = [("Tổng", report["total"])] + ([("Kỳ trước", previous["total"])] if previous else []) + rows
    names = [_short(name) for name, _ in bars][::-1]
    parts = [
        ("Đã giải quyết đúng hạn", ON_TIME_COLOUR, lambda d: d["resolved"]["early"] + d["resolved"]["on_time"]),
        ("Đã giải quyết trễ hạn", LATE_COLOUR, lambda d: d["resolved"]["late"]),
        ("Đang giải quyết, trong hạn", WITHIN_COLOUR, lambda d: d["pending"]["within_deadline"]),
        ("Đang giải quyết, quá hạn", OVERDUE_COLOUR, lambda d: d["pending"]["overdue"]),
    ]
    height = 1.7 + 0.42 * len(bars)
    figure = Figure(figsize=(6.4, height), dpi=150)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    left = [0] * len(bars)
    for title, colour, value in parts:
        widths = [value(data) for _, data in bars][::-1]
        axes.barh(names, widths, left=left, color=colour, label=title, height=0.62)
        left = [a + b for a, b in zip(left, widths)]
    for y, total in enumerate(left):
        axes.text(total, y, f" {number(total)}", va="center", fontsize=8)
    rate = percent(report["total"]["rates"]["on_time_rate"])
    axes.set_title(f"Hồ sơ {label or period_label(report)} – đúng hạn {rate}", fontsize=10)
    axes.set_xlabel("Số hồ sơ", fontsize=8)
    axes.tick_params(labelsize=8)
    axes.set_xlim(0, max(left + [1]) * 1.15)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.legend(*axes.get_legend_handles_labels(), fontsize=7, loc="lower center", ncol=2, frameon=False)
    figure.tight_layout(rect=(0, 0.45 / height, 1, 1))
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def _short(name: str, width: int = 26) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def _merge(items: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    merged: Dict[str, Dict[str, Any]] = {}
    for item in items:
        for section in ("received", "resolved", "pending"):
            for key, value in item[section].items():
                merged.setdefault(section, {}).setdefault(key, 0)
                merged[section][key] += value
    return merged


# the Excel -----------------------------------------------------------------------------------------------------
def table_row(data: Dict[str, Any], split: Optional[Dict[str, int]] = None) -> List[int]:
    """Columns (3)..(15) of the form for one row of the report; ``split`` = {"full", "partial"} of its online count."""
    received, resolved, pending = data["received"], data["resolved"], data["pending"]
    full = (split or {}).get("full", 0)
    partial = received["online"] - full
    return [received["total"], full, partial, received["post"], received["in_person"], received["carried_over"],
            resolved["total"], resolved["early"], resolved["on_time"], resolved["late"],
            pending["total"], pending["within_deadline"], pending["overdue"]]


def excel_bytes(report: Dict[str, Any], levels: Optional[Dict[str, Any]] = None, *, label: Optional[str] = None,
                unit: Optional[str] = None, departments: bool = True) -> bytes:
    """The Biểu 07a table as an .xlsx: the form's headings, one row per field and TỔNG CỘNG, the counting notes;
    a second sheet has the same columns per department (for the ward's own use, not part of the form)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Biểu 07a"
    field_levels = (levels or {}).get("fields", {})
    rows = [(name, table_row(data, field_levels.get(name))) for name, data in report["fields"].items()]
    _sheet(sheet, report, rows, table_row(report["total"], (levels or {}).get("total")), "Lĩnh vực giải quyết", label, unit)
    if departments:
        department_levels = (levels or {}).get("departments", {})
        rows = [(name, table_row(data, department_levels.get(name))) for name, data in report["departments"].items()]
        _sheet(book.create_sheet("Theo bộ phận"), report, rows, table_row(report["total"], (levels or {}).get("total")),
               "Bộ phận giải quyết", label, unit, note="Bảng tham khảo theo bộ phận giải quyết (không thuộc biểu mẫu).")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet(sheet: Any, report: Dict[str, Any], rows: List[Tuple[str, List[int]]], total: List[int], name_heading: str,
           label: Optional[str], unit: Optional[str], note: Optional[str] = None) -> None:
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    start, end = dt.date.fromisoformat(report["from"]), dt.date.fromisoformat(report["to"])
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, horizontal="center", vertical="center")
    sheet["A1"], sheet["A1"].font = FORM, bold
    sheet["A2"], sheet["A2"].font, sheet["A2"].alignment = FORM_TITLE, bold, wrap
    sheet.merge_cells("A2:O2")
    sheet.row_dimensions[2].height = 32
    sheet["A3"] = f"Kỳ báo cáo: {label or period_label(report)} (Từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y})"
    sheet["A4"] = f"Đơn vị báo cáo: {unit}" if unit else "Đơn vị báo cáo: UBND cấp xã"
    sheet["A5"] = "Đơn vị tính: Số hồ sơ TTHC."
    header = [
        ("A6:A8", "STT"), ("B6:B8", name_heading), ("C6:H6", "Số lượng hồ sơ tiếp nhận"),
        ("I6:L6", "Số lượng hồ sơ đã giải quyết"), ("M6:O6", "Số lượng hồ sơ đang giải quyết"),
        ("C7:C8", COLUMNS[0]), ("D7:G7", "Trong kỳ"), ("H7:H8", COLUMNS[5]), ("I7:I8", COLUMNS[6]), ("J7:J8", COLUMNS[7]),
        ("K7:K8", COLUMNS[8]), ("L7:L8", COLUMNS[9]), ("M7:M8", COLUMNS[10]), ("N7:N8", COLUMNS[11]), ("O7:O8", COLUMNS[12]),
        ("D8", COLUMNS[1]), ("E8", COLUMNS[2]), ("F8", COLUMNS[3]), ("G8", COLUMNS[4]),
    ]
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    for cells, text in header:
        first = cells.split(":")[0]
        sheet[first] = text
        if ":" in cells:
            sheet.merge_cells(cells)
        for row in sheet[cells] if ":" in cells else ((sheet[cells],),):
            for cell in row:
                cell.font, cell.alignment, cell.border = bold, wrap, box
    for index, text in enumerate(NUMBERS, 1):
        cell = sheet.cell(row=9, column=index, value=text)
        cell.alignment, cell.border = wrap, box
    line = 10
    for stt, (name, values) in enumerate(rows, 1):
        for column, value in enumerate([stt, name] + values, 1):
            sheet.cell(row=line, column=column, value=value).border = box
        line += 1
    sheet.cell(row=line, column=1, value="TỔNG CỘNG")
    sheet.merge_cells(start_row=line, start_column=1, end_row=line, end_column=2)
    for column, value in enumerate(["TỔNG CỘNG", None] + total, 1):
        cell = sheet.cell(row=line, column=column)
        if column > 2:
            cell.value = value
        cell.font, cell.border = bold, box
    line += 2
    for text in ((note,) if note else ()) + NOTES:
        sheet.cell(row=line, column=1, value=text)
        line += 1
    sheet.column_dimensions["A"].width = 6
    sheet.column_dimensions["B"].width = 34
    for column in range(3, 16):
        sheet.column_dimensions[get_column_letter(column)].width = 11
    sheet.row_dimensions[8].height = 45
    sheet.freeze_panes = "C10"
