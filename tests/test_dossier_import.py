"""``motcua import``: the fictional sample exports in data/samples/ (CSV UTF-8 with BOM, CSV Windows-1258, XLSX)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.catalogue.procedures import load_catalogue
from bot.cli import main
from bot.intake.spreadsheet_import import ImportFailure, import_file
from bot.services import Services
from bot.settings import ROOT

SAMPLES = ROOT / "data" / "samples"
BAD_ROWS = [
    (11, "Mã hồ sơ: thiếu mã hồ sơ"),
    (12, "Ngày tiếp nhận: ngày giờ không đọc được: '31/11/2026 09:00' (dạng dd/mm/yyyy HH:MM)"),
    (13, "Trạng thái: trạng thái không nhận ra: 'Đang chờ lãnh đạo ký'"),
]


@pytest.fixture(scope="module")
def catalogue_db(tmp_path_factory) -> Path:
    """A database with the catalogue only (procedure codes and processing times)."""
    path = tmp_path_factory.mktemp("catalogue") / "motcua.db"
    Services.open(path).catalogue.replace(load_catalogue(ROOT / "data" / "procedures"))
    return path


@pytest.fixture
def store(catalogue_db, tmp_path) -> Services:
    path = tmp_path / "motcua.db"
    with sqlite3.connect(catalogue_db) as source, sqlite3.connect(path) as target:
        source.backup(target)
    return Services.open(path)


def test_utf8_csv_loads_good_rows_and_reports_bad_ones_by_row_number(store):
    report = import_file(store, SAMPLES / "ho_so_mau_utf8.csv")
    assert (report.encoding, report.rows, report.counts.inserted) == ("utf-8-sig", 10, 7)
    assert report.errors == BAD_ROWS
    lan = store.dossiers.get("000.00.12.H49-261102-0101")
    assert (lan["applicant_name"], lan["status"], lan["procedure_id"]) == ("Nguyễn Thị Lan", "returned", "dang-ky-khai-sinh")
    assert (lan["received_at"], lan["finished_at"]) == ("2026-11-02T08:05:00+07:00", "2026-11-02T10:30:00+07:00")
    assert lan["source"] == "import:ho_so_mau_utf8.csv" and lan["submission_channel"] == "in_person"
    bao = store.dossiers.get("000.00.12.H49-261102-0102")
    assert bao["status"] == "additions_requested" and bao["additions_note"].startswith("Bản sao hợp đồng thuê nhà")
    # no "Ngày hẹn trả": 7 working days of đăng ký thường trú from Monday 02/11/2026 09:40
    assert bao["due_at"] == "2026-11-11T17:00:00+07:00" and bao["submission_channel"] == "online"
    khoa = store.dossiers.get("000.00.12.H49-261103-0104")
    assert khoa["due_at"] == "2026-11-04T17:00:00+07:00"  # a day alone: the end of office hours
    statuses = {store.dossiers.get(f"000.00.12.H49-2611{d}")["status"] for d in ("03-0103", "04-0105", "04-0106", "05-0107")}
    assert statuses == {"in_progress", "financial_obligation", "withdrawn", "received"}
    assert store.dossiers.get("000.00.12.H49-261105-0109") is None


def test_importing_the_same_file_again_changes_nothing(store):
    import_file(store, SAMPLES / "ho_so_mau_utf8.csv")
    history = store.db["dossier_history"].count
    again = import_file(store, SAMPLES / "ho_so_mau_utf8.csv")
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 7)
    assert store.db["dossier_history"].count == history


def test_windows_1258_export_reads_with_its_vietnamese_letters(store):
    report = import_file(store, SAMPLES / "ho_so_mau_windows1258.csv")
    assert (report.encoding, report.counts.inserted, report.errors) == ("windows-1258", 4, [])
    assert store.dossiers.get("000.00.12.H49-261102-0101")["applicant_name"] == "Nguyễn Thị Lan"
    assert store.dossiers.get("000.00.12.H49-261103-0103")["procedure_name"] == "Cấp Giấy xác nhận tình trạng hôn nhân"


def test_xlsx_with_excel_dates_text_dates_and_a_phone_typed_as_a_number(store):
    report = import_file(store, SAMPLES / "ho_so_mau.xlsx")
    assert (report.encoding, report.counts.inserted) == ("xlsx", 7)
    assert report.errors == BAD_ROWS  # the row numbers Excel shows
    assert store.dossiers.get("000.00.12.H49-261102-0101")["received_at"] == "2026-11-02T08:05:00+07:00"  # an Excel date cell
    assert store.dossiers.get("000.00.12.H49-261102-0102")["received_at"] == "2026-11-02T09:40:00+07:00"  # a text cell
    assert store.dossiers.get("000.00.12.H49-261103-0103")["applicant_phone"] == "1200000103"  # still ends in the same 4 digits


def test_a_file_without_the_header_row_is_refused_with_advice(store, tmp_path):
    path = tmp_path / "tcvn3.csv"
    path.write_bytes("M\xb7 hå s¬,Tr¹ng th¸i\n1,2\n".encode("latin-1"))  # TCVN3 (ABC) bytes, not guessed
    with pytest.raises(ImportFailure, match="CSV UTF-8"):
        import_file(store, path)


def test_semicolons_and_plain_status_keys_work_too(store, tmp_path):
    path = tmp_path / "xuat.csv"
    path.write_text("Mã hồ sơ;Trạng thái;Ngày hẹn trả\nX-2026-000111;in_progress;30/11/2026 10:00\nX-2026-000112;Chờ bổ sung;\n", encoding="utf-8")
    report = import_file(store, path)
    assert report.counts.inserted == 2 and report.errors == []
    assert store.dossiers.get("X-2026-000111")["due_at"] == "2026-11-30T10:00:00+07:00"
    assert store.dossiers.get("X-2026-000112")["status"] == "additions_requested"


def test_motcua_import_prints_the_bad_rows(store, monkeypatch, capsys):
    monkeypatch.setenv("MOTCUA_DB", str(store.path))
    assert main(["import", str(SAMPLES / "ho_so_mau_utf8.csv")]) == 1
    out = capsys.readouterr().out
    assert "7 mới" in out and "Dòng 12: Ngày tiếp nhận" in out


def test_how_submitted_field_digitised_and_supplements_are_read(store, tmp_path):
    path = tmp_path / "bieu07a.csv"
    path.write_text(
        "Mã hồ sơ,Trạng thái,Lĩnh vực,Hình thức nộp,Mức độ trực tuyến,Số hóa hồ sơ,Thanh toán trực tuyến,Số lần yêu cầu bổ sung\n"
        "K-01,Đang xử lý,Hộ tịch,Trực tuyến toàn trình,,Có,Có,0\n"
        "K-02,Đang xử lý,Chứng thực,Trực tuyến một phần,,Không,Không,2\n"
        "K-03,Đang xử lý,Hộ tịch,Bưu chính,,,,\n"
        "K-04,Đang xử lý,Hộ tịch,Trực tiếp,,Có,,1\n"
        "K-05,Đang xử lý,Hộ tịch,Trực tuyến,Một phần,,,\n"
        "K-06,Đang xử lý,Hộ tịch,Chim bồ câu,,,,\n"
        "K-07,Đang xử lý,Hộ tịch,Trực tiếp,,Có lẽ,,\n"
        "K-08,Đang xử lý,Hộ tịch,Trực tiếp,,,,hai\n", encoding="utf-8")
    report = import_file(store, path)
    assert report.counts.inserted == 5 and [row for row, _ in report.errors] == [7, 8, 9]
    assert report.errors[0][1].startswith("Hình thức nộp: phải là online, in_person hoặc post")
    assert report.errors[1][1].startswith("Số hóa hồ sơ: phải là có/không")
    assert report.errors[2][1].startswith("Số lần yêu cầu bổ sung: phải là một số")

    def read(code):
        d = store.dossiers.get(code)
        return d["field"], d["submission_channel"], d["online_level"], d["dossier_digitised"], d["paid_online"], d["supplement_requests"]

    assert read("K-01") == ("Hộ tịch", "online", "full", 1, 1, 0)
    assert read("K-02") == ("Chứng thực", "online", "partial", 0, 0, 2)
    assert read("K-03") == ("Hộ tịch", "post", None, None, None, None)
    assert read("K-04") == ("Hộ tịch", "in_person", None, 1, None, 1)
    assert read("K-05")[1:3] == ("online", "partial")


def test_xlsx_counts_and_flags_typed_as_numbers_and_booleans(store, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Mã hồ sơ", "Trạng thái", "Lĩnh vực", "Hình thức nộp", "Số hóa hồ sơ", "Số lần yêu cầu bổ sung"])
    book.active.append(["X-1", "Đang xử lý", "Đất đai", "Qua dịch vụ bưu chính", True, 3.0])
    book.save(tmp_path / "x.xlsx")
    assert import_file(store, tmp_path / "x.xlsx").errors == []
    x = store.dossiers.get("X-1")
    assert (x["field"], x["submission_channel"], x["dossier_digitised"], x["supplement_requests"]) == ("Đất đai", "post", 1, 3)
