"""``motcua import FILE``: load dossiers from a CSV or Excel (XLSX) export with Vietnamese column headers.

Officials export lists from the one-stop software with headers such as "Mã hồ sơ", "Tên thủ tục",
"Người nộp", "Ngày tiếp nhận", "Ngày hẹn trả", "Trạng thái"; dates like ``20/11/2025 09:15``; a title or
two above the header row. Headers are matched without regard to case, accents or spacing (:data:`HEADERS`).

Encodings: UTF-8 with or without BOM; otherwise Windows-1258 (the Vietnamese ANSI code page Excel uses on
Vietnamese Windows; its bytes for the letters shared with Windows-1252 are the same, so a cp1252 export
reads right too). Python's cp1258 codec gives base letters plus combining tone marks, which are composed
(NFC). A legacy font encoding (TCVN3/ABC, VNI) is not guessed: the header is then not recognised and the
error says to save the file as "CSV UTF-8".

A bad row is reported with its row number (as Excel shows it) and the reason; the good rows still load.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from bot.dossiers.records import DossierError, UpsertCounts, normalise
from bot.intake.vocabulary import flag, fold, online_level, submission
from bot.services import Services
from bot.settings import Settings
from bot.workdays import VN_TZ

# column -> header spellings (compared after :func:`fold`)
HEADERS: Dict[str, Tuple[str, ...]] = {
    "code": ("Mã hồ sơ", "Số hồ sơ", "Mã số hồ sơ", "Mã HS", "Số biên nhận", "Mã biên nhận"),
    "procedure_code": ("Mã thủ tục", "Mã TTHC", "Mã thủ tục hành chính"),
    "procedure_name": ("Tên thủ tục", "Thủ tục", "Tên TTHC", "Tên thủ tục hành chính", "Thủ tục hành chính"),
    "applicant_name": ("Người nộp", "Tên người nộp", "Họ tên người nộp", "Người đứng tên", "Chủ hồ sơ", "Họ và tên", "Tổ chức/Cá nhân"),
    "applicant_phone": ("Số điện thoại", "Điện thoại", "SĐT", "Số ĐT", "Điện thoại liên hệ"),
    "applicant_id_number": ("Số CCCD", "CCCD", "Số giấy tờ", "Số định danh", "Số CMND/CCCD", "CMND/CCCD", "Số định danh cá nhân"),
    "received_at": ("Ngày tiếp nhận", "Ngày nhận", "Thời gian tiếp nhận", "Ngày nộp"),
    "due_at": ("Ngày hẹn trả", "Hẹn trả", "Ngày hẹn trả kết quả", "Hạn xử lý", "Hạn giải quyết"),
    "finished_at": ("Ngày trả kết quả", "Ngày có kết quả", "Ngày hoàn thành", "Ngày kết thúc", "Ngày trả"),
    "status": ("Trạng thái", "Tình trạng", "Trạng thái hồ sơ", "Tình trạng hồ sơ"),
    "additions_note": ("Nội dung bổ sung", "Yêu cầu bổ sung", "Nội dung yêu cầu bổ sung", "Giấy tờ cần bổ sung", "Lý do bổ sung"),
    "department": ("Đơn vị xử lý", "Bộ phận xử lý", "Phòng ban", "Cơ quan giải quyết", "Đơn vị"),
    "handler": ("Cán bộ xử lý", "Người xử lý", "Cán bộ thụ lý", "Cán bộ"),
    "submission_channel": ("Hình thức nộp", "Kênh nộp", "Nguồn hồ sơ", "Hình thức tiếp nhận", "Kênh tiếp nhận"),
    "online_level": ("Mức độ trực tuyến", "Mức độ dịch vụ công", "Mức độ DVC"),
    "field": ("Lĩnh vực", "Lĩnh vực giải quyết", "Lĩnh vực TTHC", "Lĩnh vực thủ tục"),
    "paid_online": ("Thanh toán trực tuyến", "Đã thanh toán trực tuyến", "Thanh toán online"),
    "result_digitised": ("Số hóa kết quả", "Kết quả đã số hóa", "Đã số hóa kết quả"),
    "dossier_digitised": ("Số hóa hồ sơ", "Hồ sơ đã số hóa", "Đã số hóa hồ sơ", "Số hóa thành phần hồ sơ"),
    "supplement_requests": ("Số lần yêu cầu bổ sung", "Số lần bổ sung", "Số lần yêu cầu bổ sung hồ sơ"),
    "updated_at": ("Ngày cập nhật", "Cập nhật lúc", "Thời gian cập nhật"),
}
# status texts officials see (folded) -> our keys; the keys themselves are accepted too
STATUS_TEXTS: Dict[str, str] = {
    "moi": "new", "moi nop": "new", "cho tiep nhan": "new", "moi tiep nhan": "received", "da tiep nhan": "received",
    "khong tiep nhan": "not_received", "tu choi tiep nhan": "not_received", "tu choi": "not_received",
    "dang xu ly": "in_progress", "dang giai quyet": "in_progress", "dang thu ly": "in_progress",
    "yeu cau bo sung": "additions_requested", "cho bo sung": "additions_requested", "bo sung ho so": "additions_requested",
    "yeu cau bo sung ho so": "additions_requested",
    "cho thuc hien nghia vu tai chinh": "financial_obligation", "nghia vu tai chinh": "financial_obligation",
    "cho nop phi": "financial_obligation", "cho thanh toan": "financial_obligation",
    "rut ho so": "withdrawn", "da rut": "withdrawn", "cong dan rut ho so": "withdrawn", "cong dan da rut ho so": "withdrawn",
    "dung xu ly": "stopped", "dung giai quyet": "stopped", "tam dung": "stopped",
    "da co ket qua": "done", "cho tra ket qua": "done", "hoan thanh": "done", "da giai quyet": "done", "da xu ly xong": "done",
    "da tra ket qua": "returned", "da tra": "returned", "da tra kq": "returned",
}
DATE_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y %H:%M", "%d-%m-%Y",
                "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%H:%M %d/%m/%Y", "%H:%M:%S %d/%m/%Y")
HEADER_SEARCH_ROWS = 15


class ImportFailure(ValueError):
    """The file as a whole cannot be read (format, encoding, no header row)."""


@dataclass
class ImportReport:
    """What one import did: counts, and each bad row with its number and reason."""

    file: str
    encoding: str
    rows: int = 0
    counts: UpsertCounts = field(default_factory=UpsertCounts)
    errors: List[Tuple[int, str]] = field(default_factory=list)
    unknown_columns: List[str] = field(default_factory=list)

    def summary(self) -> str:
        """Vietnamese lines for the command line."""
        c = self.counts
        lines = [f"{self.file} ({self.encoding}): {self.rows} dòng dữ liệu – {c.inserted} mới, {c.updated} cập nhật "
                 f"({c.status_changes} đổi trạng thái), {c.unchanged} không đổi, {len(self.errors)} lỗi."]
        lines += [f"  Dòng {row}: {reason}" for row, reason in self.errors]
        if self.unknown_columns:
            lines.append("  Cột không dùng: " + ", ".join(self.unknown_columns))
        return "\n".join(lines)


_HEADER_INDEX = {fold(name): column for column, names in HEADERS.items() for name in names}


def decode(data: bytes) -> Tuple[str, str]:
    """The text of a CSV export and the encoding used ("utf-8", "utf-8-sig", "utf-16" or "windows-1258")."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode Text" export
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    return unicodedata.normalize("NFC", data.decode("cp1258", errors="replace")), "windows-1258"


def read_rows(path: Path) -> Tuple[List[Tuple[int, List[Any]]], str]:
    """Every row of the file as (row number as Excel shows it, cell values) and the encoding."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_rows(path), "xlsx"
    if suffix == ".xls":
        raise ImportFailure("Tệp .xls (Excel 97-2003) chưa đọc được: mở bằng Excel và lưu lại dạng .xlsx hoặc CSV UTF-8.")
    text, encoding = decode(path.read_bytes())
    text = text.replace("\x00", "")  # NUL bytes (a damaged or mis-saved file) stop the csv module: no cell needs one
    lines = text.splitlines()
    sample = "\n".join(lines[:HEADER_SEARCH_ROWS])
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows: List[Tuple[int, List[Any]]] = []
    try:
        for number, row in enumerate(reader, 1):
            rows.append((number, row))
    except csv.Error as error:  # e.g. a cell over the csv module's 128 KiB limit: say where, not a traceback
        raise ImportFailure(f"{path.name}: dòng {len(rows) + 1} không đọc được dạng CSV ({error}). Hãy mở tệp bằng Excel "
                            "và lưu lại dạng \"CSV UTF-8\" hoặc .xlsx.") from None
    return rows, encoding


def _xlsx_rows(path: Path) -> List[Tuple[int, List[Any]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several kinds for a damaged or foreign file
        raise ImportFailure(f"Không mở được tệp Excel: {error}") from None
    try:
        for sheet in book.worksheets:
            rows = [(number, list(values)) for number, values in enumerate(sheet.iter_rows(values_only=True), 1)]
            if _find_header(rows) is not None:
                return rows
        return [(number, list(values)) for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True), 1)] if book.worksheets else []
    finally:
        book.close()


def _find_header(rows: Sequence[Tuple[int, List[Any]]]) -> Optional[Tuple[int, Dict[int, str], List[str]]]:
    """(index of the header row, {cell index: column}, unknown header texts), or None."""
    for index, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns = {i: _HEADER_INDEX[fold(c)] for i, c in enumerate(cells) if fold(c) in _HEADER_INDEX}
        if "code" in columns.values() and len(columns) >= 2:
            unknown = [str(c).strip() for c in cells if str(c or "").strip() and fold(c) not in _HEADER_INDEX and fold(c) not in ("stt", "tt", "so tt")]
            return index, columns, unknown
    return None


def parse_date(value: Any) -> Optional[dt.datetime]:
    """A cell as a Vietnam-time datetime: Excel dates, "20/11/2025 09:15", ISO; None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=VN_TZ)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0, 0), tzinfo=VN_TZ)
    text = " ".join(str(value).split())
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=VN_TZ)
        except ValueError:
            continue
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"ngày giờ không đọc được: {text!r} (dạng dd/mm/yyyy HH:MM)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=VN_TZ)


def _date_only(value: Any) -> bool:
    """True when the cell gives a day without a time (a due day then means the end of office hours)."""
    if isinstance(value, dt.datetime):
        return value.time() == dt.time(0, 0)
    if isinstance(value, dt.date):
        return True
    return bool(re.fullmatch(r"\s*\d{1,4}[/-]\d{1,2}[/-]\d{1,4}\s*", str(value)))


def _status(value: Any) -> str:
    key = fold(value)
    if key.replace(" ", "_") in STATUS_TEXTS.values():
        return key.replace(" ", "_")
    if key in STATUS_TEXTS:
        return STATUS_TEXTS[key]
    raise DossierError("status", f"trạng thái không nhận ra: {str(value).strip()!r}")


def _row(cells: List[Any], columns: Dict[int, str], names: Dict[str, str]) -> Dict[str, Any]:
    """One spreadsheet row as an upsert row (raises DossierError/ValueError naming the column)."""
    row: Dict[str, Any] = {}
    implied_level: Optional[str] = None
    for index, column in columns.items():
        value = cells[index] if index < len(cells) else None
        if isinstance(value, str):
            value = value.strip()
        if value in ("", None):
            continue
        if column in ("received_at", "due_at", "finished_at", "updated_at"):
            try:
                moment = parse_date(value)
            except ValueError as error:
                raise DossierError(column, str(error)) from None
            row[column] = moment.date() if column == "due_at" and _date_only(value) else moment
        elif column == "status":
            row[column] = _status(value)
        elif column == "submission_channel":  # "Trực tuyến toàn trình" also says how far online
            row[column], level = submission(value)
            if level:
                implied_level = level
        elif column == "online_level":
            row[column] = online_level(value)
        elif column in ("paid_online", "result_digitised", "dossier_digitised"):
            row[column] = flag(value)
        elif column in ("code", "procedure_code", "applicant_phone", "applicant_id_number") and isinstance(value, float) and value.is_integer():
            row[column] = str(int(value))  # Excel stored a number
        elif column == "supplement_requests" and isinstance(value, float) and value.is_integer():
            row[column] = int(value)
        else:
            row[column] = value
    if implied_level and not row.get("online_level"):
        row["online_level"] = implied_level
    if "procedure_name" in row and "procedure_code" not in row and fold(row["procedure_name"]) in names:
        row["procedure_id"] = names[fold(row["procedure_name"])]
    return normalise(row)


def import_file(store: Services, path: Path, now: Optional[dt.datetime] = None) -> ImportReport:
    """Read ``path`` (CSV or XLSX), load its good rows (source ``import:<file name>``) and report the bad ones."""
    path = Path(path)
    if not path.exists():
        raise ImportFailure(f"Không thấy tệp {path}.")
    rows, encoding = read_rows(path)
    found = _find_header(rows)
    if found is None:
        raise ImportFailure(
            f"{path.name}: không thấy dòng tiêu đề có cột \"Mã hồ sơ\" trong {HEADER_SEARCH_ROWS} dòng đầu. Nếu chữ tiếng Việt bị lỗi "
            "phông, hãy mở tệp bằng Excel và lưu lại dạng \"CSV UTF-8\" hoặc .xlsx."
        )
    header, columns, unknown = found
    report = ImportReport(file=path.name, encoding=encoding, unknown_columns=unknown)
    names = {fold(r["name"]): r["id"] for r in store.db.query("select id, name from procedures")}
    good: List[Dict[str, Any]] = []
    for number, cells in rows[header + 1:]:
        if not any(str(c or "").strip() for c in cells):
            continue
        report.rows += 1
        try:
            good.append(_row(cells, columns, names))
        except DossierError as error:
            report.errors.append((number, f"{_header_of(columns, error.field)}: {error.problem}"))
    report.counts = store.dossiers.upsert(good, f"import:{path.name}", now=now)
    return report


def _header_of(columns: Dict[int, str], column: str) -> str:
    """The Vietnamese header an official knows for ``column``."""
    return HEADERS.get(column, (column,))[0]


def run_command(settings: Settings, file: str) -> int:
    """``motcua import FILE``: load, print the summary and each bad row; exit code 0, 1 (bad rows) or 2."""
    import sys

    try:
        report = import_file(Services.open(settings.db_path), Path(file))
    except ImportFailure as error:
        print(f"Lỗi nhập tệp: {error}", file=sys.stderr)
        return 2
    print(report.summary())
    return 1 if report.errors else 0
