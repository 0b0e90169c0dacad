"""Writes the sample export files of this folder (FICTIONAL data) the way officials' software exports them.

Run ``.venv/bin/python data/samples/make_samples.py`` to rebuild them. Every person, phone number (012x
prefixes are not allocated since the 2018 renumbering) and ID number (province code 000 does not exist) is
made up. Each file has rows an import must refuse (reported with the row number) next to good ones.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below
TITLE = ["UBND PHƯỜNG MẪU – BỘ PHẬN MỘT CỬA"]
SUBTITLE = ["DANH SÁCH HỒ SƠ (DỮ LIỆU MẪU, HƯ CẤU – KHÔNG PHẢI HỒ SƠ THẬT)"]
HEADER = ["STT", "Mã hồ sơ", "Mã thủ tục", "Tên thủ tục", "Người nộp", "Số điện thoại", "Số CCCD", "Ngày tiếp nhận",
          "Ngày hẹn trả", "Ngày trả kết quả", "Trạng thái", "Nội dung bổ sung", "Đơn vị xử lý", "Cán bộ xử lý", "Hình thức nộp"]
ROWS = [
    ["000.00.12.H49-261102-0101", "1.001193", "Đăng ký khai sinh", "Nguyễn Thị Lan", "0120 000 0101", "000190000101",
     "02/11/2026 08:05", "02/11/2026 17:00", "02/11/2026 10:30", "Đã trả kết quả", "", "Tư pháp – Hộ tịch", "Lê Thị Hoa", "Trực tiếp"],
    ["000.00.12.H49-261102-0102", "1.004222", "Đăng ký thường trú", "Trần Văn Bảo", "0120 000 0102", "000090000102",
     "02/11/2026 09:40", "", "", "Yêu cầu bổ sung", "Bản sao hợp đồng thuê nhà có công chứng; xác nhận của chủ hộ",
     "Công an phường", "Đỗ Văn Dũng", "Trực tuyến"],
    ["000.00.12.H49-261103-0103", "1.004873", "Cấp Giấy xác nhận tình trạng hôn nhân", "Phạm Thị Thu", "0120 000 0103", "",
     "03/11/2026 14:20", "06/11/2026 17:00", "", "Đang giải quyết", "", "Tư pháp – Hộ tịch", "Lê Thị Hoa", "Trực tiếp"],
    ["000.00.12.H49-261103-0104", "", "Chứng thực chữ ký", "Vũ Minh Khoa", "0120 000 0104", "", "03/11/2026 15:30", "04/11/2026",
     "", "Đã có kết quả", "", "Tư pháp – Hộ tịch", "", "Trực tiếp"],
    ["000.00.12.H49-261104-0105", "1.004194", "Đăng ký tạm trú", "Hoàng Văn Long", "0120 000 0105", "000190000105",
     "04/11/2026 10:00", "", "", "Chờ thực hiện nghĩa vụ tài chính", "", "Công an phường", "", "Trực tuyến"],
    ["000.00.12.H49-261104-0106", "1.000894", "Đăng ký kết hôn", "Đặng Thị Mai", "0120 000 0106", "", "04/11/2026 16:10",
     "05/11/2026 17:00", "", "Công dân rút hồ sơ", "", "Tư pháp – Hộ tịch", "", "Trực tiếp"],
    ["000.00.12.H49-261105-0107", "1.001193", "Đăng ký khai sinh", "Bùi Văn Nam", "0120 000 0107", "", "05/11/2026 08:30",
     "05/11/2026 17:00", "", "Đã tiếp nhận", "", "Tư pháp – Hộ tịch", "", "Trực tiếp"],
    # rows an import must refuse
    ["", "1.001193", "Đăng ký khai sinh", "Ngô Thị Oanh", "0120 000 0108", "", "05/11/2026 09:00", "", "", "Đã tiếp nhận", "",
     "", "", "Trực tiếp"],
    ["000.00.12.H49-261105-0109", "1.004222", "Đăng ký thường trú", "Lý Văn Phúc", "0120 000 0109", "", "31/11/2026 09:00",
     "", "", "Đang giải quyết", "", "Công an phường", "", "Trực tiếp"],
    ["000.00.12.H49-261105-0110", "1.004873", "Cấp Giấy xác nhận tình trạng hôn nhân", "Mai Thị Quỳnh", "0120 000 0110", "",
     "05/11/2026 11:00", "10/11/2026 17:00", "", "Đang chờ lãnh đạo ký", "", "Tư pháp – Hộ tịch", "", "Trực tiếp"],
]


def to_cp1258(text: str) -> bytes:
    """Windows-1258 bytes of ``text``: letters it lacks precomposed become base letter + combining tone mark."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        tones = "".join(m for m in parts if m in TONE_MARKS)
        base = unicodedata.normalize("NFC", "".join(m for m in parts if m not in TONE_MARKS))
        out += base.encode("cp1258") + tones.encode("cp1258")
    return bytes(out)


def csv_line(cells: list, sep: str) -> str:
    """One CSV line, quoting cells that hold the separator."""
    return sep.join(f'"{c}"' if sep in str(c) or '"' in str(c) else str(c) for c in cells)


def numbered(rows: list) -> list:
    return [[i, *row] for i, row in enumerate(rows, 1)]


def write_csv_utf8() -> None:
    lines = [csv_line(TITLE, ","), csv_line(SUBTITLE, ","), csv_line(HEADER, ",")] + [csv_line(r, ",") for r in numbered(ROWS)]
    (HERE / "ho_so_mau_utf8.csv").write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8"))


def write_csv_cp1258() -> None:
    rows = numbered(ROWS[:4])
    lines = [csv_line(SUBTITLE, ";"), csv_line(HEADER, ";")] + [csv_line(r, ";") for r in rows]
    (HERE / "ho_so_mau_windows1258.csv").write_bytes(to_cp1258("\r\n".join(lines) + "\r\n"))


def write_xlsx() -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Danh sách hồ sơ"
    sheet.append(TITLE)
    sheet.append(SUBTITLE)
    sheet.append(HEADER)
    for i, row in enumerate(numbered(ROWS), 1):
        cells = list(row)
        for j in (7, 8, 9):  # dates as real Excel dates where the export has them (text stays text)
            text = cells[j]
            if text and i % 2 == 1:
                try:
                    cells[j] = dt.datetime.strptime(text, "%d/%m/%Y %H:%M")
                except ValueError:
                    pass
        if i == 3:
            cells[5] = 1200000103  # a phone typed as a number: Excel drops the leading 0
        sheet.append(cells)
    for cell in sheet["H"] + sheet["I"] + sheet["J"]:
        if isinstance(cell.value, dt.datetime):
            cell.number_format = "dd/mm/yyyy hh:mm"
    book.properties.title = "Dữ liệu mẫu hư cấu"
    book.save(HERE / "ho_so_mau.xlsx")


if __name__ == "__main__":
    write_csv_utf8()
    write_csv_cp1258()
    write_xlsx()
    print("wrote", ", ".join(p.name for p in sorted(HERE.glob("ho_so_mau*"))))
