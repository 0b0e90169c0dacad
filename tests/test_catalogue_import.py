"""`motcua catalogue import`: real portal records become catalogue drafts an official can trust or review."""

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml

from bot.catalogue.commands import report
from bot.catalogue.importer import draft, import_records, parse_channels, parse_legal_basis, read_records, report_changes
from bot.catalogue.procedure_list import load_procedure_list, where_handled
from bot.catalogue.procedures import CatalogueError, fees_on, load_catalogue
from bot.cli import main
from bot.legal.register import load_register
from bot.settings import Settings

RECORDS = Path(__file__).parent / "fixtures" / "portal_records"
DAY = dt.date(2026, 7, 17)
REAL = Settings.from_env(env={}).catalogue_dir


def record(name):
    return json.loads((RECORDS / name).read_text(encoding="utf-8"))


@pytest.fixture
def catalogue(tmp_path):
    """A catalogue folder holding one hand-written entry (the real "đăng ký kết hôn")."""
    folder = tmp_path / "procedures"
    folder.mkdir()
    shutil.copy(REAL / "dang-ky-ket-hon.yml", folder)
    return folder


def test_a_record_becomes_a_valid_unverified_entry_traced_to_its_record(catalogue):
    changes, problems = import_records([RECORDS / "bo-tu-phap__1.000593.json"], catalogue, DAY)
    assert [c.status for c in changes] == ["mới"] and not problems
    entries = load_catalogue(catalogue)
    entry = next(p for p in entries.values() if p.code == "1.000593")
    assert entry.name == "Đăng ký kết hôn lưu động" and entry.field == "Hộ tịch"
    assert entry.working_days == 5 and not entry.verified
    assert "chưa được cán bộ kiểm tra" in entry.notes
    assert "1.000593" in entry.sources[0]["title"] and "2026-07-17" in entry.sources[0]["title"]
    assert entry.sources[0]["url"].startswith("https://dichvucong.gov.vn/")
    assert entry.raw["imported"]["decision"] == "163/QĐ-BTP"
    assert entry.documents and all(doc["name"] for doc in entry.documents)


def test_zero_with_no_reason_is_not_free(catalogue):
    """The portal shows "Miễn phí" (0) for mobile marriage registration without saying why: not "free"."""
    import_records([RECORDS / "bo-tu-phap__1.000593.json"], catalogue, DAY)
    entry = next(p for p in load_catalogue(catalogue).values() if p.code == "1.000593")
    assert [fee.amount for fee in entry.fees] == [None]
    assert "chưa xác định là miễn phí" in entry.fees[0].text
    assert "HĐND" in entry.notes


def test_a_fee_set_by_the_province_keeps_its_exemptions():
    item = draft(record("bo-tu-phap__2.000528.json"), "bo-tu-phap/2.000528.json", DAY)
    fees = item.data["fees"]
    assert fees[0]["amount"] is None and "Hội đồng nhân dân tỉnh" in fees[0]["text"]
    exempt = [fee for fee in fees if fee["amount"] == 0]
    assert exempt and "hộ nghèo" in exempt[0]["condition"]
    assert any("HĐND tỉnh" in flag for flag in item.flags)


def test_free_only_when_the_record_says_so_and_a_lost_unit_is_not_a_number():
    item = draft(record("bo-tu-phap__1.000894.json"), "bo-tu-phap/1.000894.json", DAY)
    assert item.data["fees"][0]["amount"] == 0 and "Miễn lệ phí" in item.data["fees"][0]["text"]
    assert item.data["processing_time"]["working_days"] is None
    assert any("không có đơn vị" in flag for flag in item.flags)
    assert any("xã, phường, thị trấn" in flag for flag in item.flags)
    assert item.data["agency"] == "Ủy ban Nhân dân xã, phường, thị trấn."  # old wording kept as written


def test_plain_days_are_not_working_days():
    cell = ("Hình thức nộpThời gianPhí, lệ phíMô tảTrực tuyến20 NgàyMiễn phí(Theo quy định của Hội đồng nhân dân cấp tỉnh.)"
            "Trực tiếp15 NgàyMiễn phí(Theo quy định của Hội đồng nhân dân cấp tỉnh.)")  # 1.013232, building relocation
    rows = parse_channels(cell)
    assert [r["time"].get("days") for r in rows] == [20, 15]
    assert all("working_days" not in r["time"] for r in rows)
    assert all(r["fee"]["kind"] == "province" for r in rows)


def test_a_record_holding_another_procedures_page_is_refused(catalogue):
    changes, problems = import_records([RECORDS / "bo-cong-an__3.000283.json"], catalogue, DAY)
    assert not changes and "3.000579" in problems[0] and "thủ tục khác" in problems[0]


def test_tax_tagged_commune_level_is_handled_elsewhere(catalogue):
    item = draft(record("bo-tai-chinh__1.010701.json"), "bo-tai-chinh/1.010701.json", DAY)
    assert not item.ward and "thuế" in item.handled_by.lower()
    changes, problems = import_records([RECORDS / "bo-tai-chinh__1.010701.json"], catalogue, DAY)
    assert not changes and "không nhập" in problems[0]


def test_legal_bases_are_split_from_the_run_together_table():
    numbers = [b["document"] for b in parse_legal_basis(record("bo-tu-phap__1.000894.json")["can_cu_phap_ly"])]
    assert {"60/2014/QH13", "52/2014/QH13", "123/2015/NĐ-CP", "04/2020/TT-BTP", "120/2025/NĐ-CP"} <= set(numbers)
    assert all(not n.endswith(("-C", "-BT", "/Q")) for n in numbers)


def _bases(name):
    return parse_legal_basis(record(name)["can_cu_phap_ly"])


def test_a_number_glued_to_the_number_in_its_title_keeps_its_serial():
    """2.000942: "…bởi Nghị định số 07/2025/NĐ-CP" + "280/2025/NĐ-CP", "Thông tư 01/2020/TT-BTP" + "01/2020/TT-BTP"; the
    old parser read "2025/NĐ-CP", "2020/TT-BTP", "2016/TT-BTC" and cut "Nghị quyết" to "ị quyết"."""
    bases = _bases("bo-tu-phap__2.000942.json")
    assert [b["document"] for b in bases] == ["18/2026/NĐ-CP", "23/2015/NĐ-CP", "66.7/2025/NQ-CP", "280/2025/NĐ-CP",
                                              "01/2020/TT-BTP", "226/2016/TT-BTC"]
    by = {b["document"]: b for b in bases}
    assert by["66.7/2025/NQ-CP"]["title"].startswith("Nghị quyết số 66.7/2025/NQ-CP của Chính phủ")
    assert by["280/2025/NĐ-CP"]["title"].startswith("Nghị định số 280/2025/NĐ-CP sửa đổi")
    assert by["280/2025/NĐ-CP"]["title"].endswith("Nghị định số 07/2025/NĐ-CP")  # the mention stays in its title
    # a cell followed by a space still ends its row: the next title is not glued onto 18/2026
    assert by["23/2015/NĐ-CP"]["title"].startswith("Về cấp bản sao từ sổ gốc") and "18/2026" not in by["23/2015/NĐ-CP"]["title"]
    assert [by[n]["kind"] for n in ("18/2026/NĐ-CP", "66.7/2025/NQ-CP", "226/2016/TT-BTC")] == ["Nghị định", "Nghị quyết", "Thông tư"]


def test_a_serial_glued_to_the_year_ending_a_title_starts_after_the_year():
    """1.010039: "Luật Cư trú 2020" + "68/2020/QH14"; "Thông tư 55/2021/TT-BCA" + "55/2021/TT-BCA"."""
    by = {b["document"]: b for b in _bases("bo-cong-an__1.010039.json")}
    assert by["68/2020/QH14"]["title"] == "Luật Cư trú 2020" and by["68/2020/QH14"]["kind"] == "Luật"
    assert {"55/2021/TT-BCA", "56/2021/TT-BCA", "57/2021/TT-BCA", "66/2023/TT-BCA", "54/2025/TT-BCA"} <= set(by)
    assert not any(n.startswith(("2020/", "2021/")) for n in by)


def test_a_number_the_record_misprints_is_read_as_the_document_prints_it_and_said():
    """1.012753 prints "118/2025/NĐ-C" (the issuer cut) before the next title; 1.014067 prints "190/2025/NQ-QH15"."""
    bases = _bases("bo-nong-nghiep-mt__1.012753.json")
    by = {b["document"]: b for b in bases}
    assert "118/2025/NĐ-CP" in by and "hồ sơ trên Cổng ghi “118/2025/NĐ-C”" == by["118/2025/NĐ-CP"]["note"]
    assert by["118/2025/NĐ-CP"]["title"].startswith("Thực hiện thủ tục hành chính theo cơ chế một cửa")
    assert [b["document"] for b in bases].count("101/2024/NĐ-CP") == 1 and "31/2024/QH15" in by
    item = draft(record("bo-nong-nghiep-mt__1.012753.json"), "bo-nong-nghiep-mt/1.012753.json", DAY)
    assert any("118/2025/NĐ-C”, đọc là 118/2025/NĐ-CP" in flag for flag in item.flags)
    by = {b["document"]: b for b in _bases("bo-cong-an__1.014067.json")}
    assert "190/2025/QH15" in by and by["190/2025/QH15"]["kind"] == "Nghị quyết"
    # "Thông tư số 53/2025/TT-BCAngày 01/7/2025…": a mention missing its space, not a cell
    assert by["53/2025/TT-BCA"]["title"].startswith("Thông tư số 53/2025/TT-BCAngày 01/7/2025 của Bộ Công an sửa đổi")
    assert set(by) == {"53/2025/TT-BCA", "26/2023/QH15", "16/2024/TT-BCA", "17/2024/TT-BCA", "190/2025/QH15",
                       "18/2024/TT-BCA", "70/2024/NĐ-CP"}


def test_a_title_whose_first_letter_the_record_lost_gets_its_kind_back():
    """1.013076 prints "79/2024/TT-BCAhông tư số 06/2025/TT-BTC…"."""
    by = {b["document"]: b for b in _bases("bo-cong-an__1.013076.json")}
    assert by["06/2025/TT-BTC"]["title"].startswith("Thông tư số 06/2025/TT-BTC của Bộ Tài chính")
    assert by["36/2024/QH15"] == {"document": "36/2024/QH15", "kind": "Luật", "title": "Luật Trật tự, an toàn giao thông đường bộ",
                                  "articles": None}


def test_every_basis_of_the_imported_records_is_a_register_entry():
    """A re-import of these records never breaks `motcua load` (every cited number is in the legal register)."""
    register = load_register(REAL.parent / "legal" / "register.yml")
    for name in ("bo-tu-phap__1.000593.json", "bo-tu-phap__1.000894.json", "bo-tu-phap__2.000528.json", "bo-tu-phap__2.000942.json",
                 "bo-cong-an__1.010039.json", "bo-cong-an__1.013076.json", "bo-cong-an__1.014067.json",
                 "bo-nong-nghiep-mt__1.012753.json"):
        missing = [b["document"] for b in _bases(name) if b["document"] not in register]
        assert not missing, (name, missing)


def test_reading_only_the_legal_bases_again_leaves_every_other_line_alone(catalogue, tmp_path):
    import_records([RECORDS / "bo-tu-phap__2.000942.json"], catalogue, DAY)
    path = next(catalogue.glob("cap-ban-sao-co-chung-thuc-tu-ban-chinh*.yml"))
    entry = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry["documents"][0]["copies"] = "01 bản chính (cán bộ sửa tay)"  # an official's correction of a record-owned field
    entry["aliases"] = ["bản sao hợp đồng"]
    entry["legal_basis"] = [{"document": "2025/NĐ-CP", "title": "ị định số 280/2025/NĐ-CP…", "articles": None}]  # the old parse
    text = "# viết tay\n" + yaml.safe_dump(entry, allow_unicode=True, sort_keys=False, width=100).replace("summary: null", "summary:")
    path.write_text(text, encoding="utf-8")

    changes, problems = import_records([RECORDS / "bo-tu-phap__2.000942.json", RECORDS / "bo-tu-phap__1.000593.json"], catalogue,
                                       dt.date(2026, 8, 1), only=["legal_basis"])
    assert [c.status for c in changes] == ["đổi"] and "chưa có trong danh mục" in problems[0]
    assert any("bỏ “2025/NĐ-CP”" in line for line in changes[0].lines)
    assert not list(catalogue.glob("dang-ky-ket-hon-luu-dong*.yml"))  # no new entry when only re-reading
    after = path.read_text(encoding="utf-8")
    head, tail = text.split("legal_basis:")[0], text.split("legal_basis:")[1].split("\nsources:")[1]
    assert after.startswith(head) and after.endswith(tail)  # byte for byte outside the legal bases
    entry = load_catalogue(catalogue)[path.stem]
    assert entry.documents[0]["copies"] == "01 bản chính (cán bộ sửa tay)" and entry.aliases == ["bản sao hợp đồng"]
    assert "280/2025/NĐ-CP" in [b["document"] for b in entry.legal_basis]
    assert "2026-07-17" in entry.sources[0]["title"]  # the record's date of the first import, not re-read

    _, problems = import_records([RECORDS / "bo-tu-phap__2.000942.json"], catalogue, DAY, only=["aliases"])
    assert "không có trường aliases" in problems[0]


def test_a_hand_written_entry_is_never_overwritten(catalogue):
    before = (catalogue / "dang-ky-ket-hon.yml").read_text(encoding="utf-8")
    changes, _ = import_records([RECORDS / "bo-tu-phap__1.000894.json"], catalogue, DAY)
    assert changes[0].status == "viết tay" and changes[0].lines
    assert (catalogue / "dang-ky-ket-hon.yml").read_text(encoding="utf-8") == before
    assert "không ghi đè" in report_changes(changes, [])


def test_a_re_import_keeps_hand_written_facts_and_shows_only_what_changed(catalogue, tmp_path):
    import_records([RECORDS / "bo-tu-phap__1.000593.json"], catalogue, DAY)
    path = next(catalogue.glob("dang-ky-ket-hon-luu-dong*.yml"))
    entry = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry["aliases"] = ["kết hôn lưu động", "ket hon luu dong"]
    entry["cues"] = ["lưu động"]
    entry["fees"].append({"amount": 0, "text": "Quảng Ninh: không thu lệ phí đăng ký kết hôn lưu động", "condition": None,
                          "source": "Nghị quyết HĐND tỉnh Quảng Ninh (ví dụ viết tay)"})
    entry["submission"]["where"] = "Quầy số 2, Bộ phận Một cửa phường"
    path.write_text(yaml.safe_dump(entry, allow_unicode=True, sort_keys=False), encoding="utf-8")

    same, _ = import_records([RECORDS / "bo-tu-phap__1.000593.json"], catalogue, DAY)
    assert same[0].status == "không đổi"

    changed = json.loads((RECORDS / "bo-tu-phap__1.000593.json").read_text(encoding="utf-8"))
    changed["cach_thuc_thuc_hien"] = changed["cach_thuc_thuc_hien"].replace("5 Ngày làm việc", "3 Ngày làm việc")
    newer = tmp_path / "new" / "1.000593.json"
    newer.parent.mkdir()
    newer.write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
    changes, _ = import_records([newer], catalogue, dt.date(2026, 10, 1))
    assert changes[0].status == "đổi"
    assert any("processing_time" in line and "5 ngày làm việc" in line and "3 ngày làm việc" in line for line in changes[0].lines)
    assert len(changes[0].lines) == 1  # a diff, not a dump

    after = load_catalogue(catalogue)[path.stem]
    assert after.aliases == ["kết hôn lưu động", "ket hon luu dong"] and after.cues == ["lưu động"]
    assert after.submission["where"] == "Quầy số 2, Bộ phận Một cửa phường"
    assert any(fee.text.startswith("Quảng Ninh") for fee in fees_on(after, dt.date(2026, 10, 2)))
    assert after.working_days == 3 and not after.verified and "2026-10-01" in after.sources[0]["title"]


def test_bad_files_get_a_message(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    settings_env = {"MOTCUA_CATALOGUE": str(tmp_path / "procedures"), "MOTCUA_DB": str(tmp_path / "x.db")}
    (tmp_path / "procedures").mkdir()
    import os

    old = dict(os.environ)
    os.environ.update(settings_env)
    try:
        assert main(["catalogue", "import", str(bad), "--date", "2026-07-17"]) == 1
        assert main(["catalogue", "import", str(RECORDS / "bo-tu-phap__1.000593.json"), "--date", "17/7/2026"]) == 2
    finally:
        os.environ.clear()
        os.environ.update(old)
    captured = capsys.readouterr()
    assert "không đọc được JSON" in captured.out and "YYYY-MM-DD" in captured.err
    assert "Traceback" not in captured.out + captured.err


def test_the_light_list_names_who_handles_each_procedure(tmp_path):
    folder = tmp_path / "procedure_list"
    folder.mkdir()
    (folder / "a.yml").write_text(yaml.safe_dump({
        "source": {"title": "Cổng DVC quốc gia", "date": "2026-07-17"},
        "items": [
            {"code": "1.010701", "name": "Thông báo sử dụng dịch vụ của Đại lý thuế", "field": "Thuế", "level": "Cấp xã",
             "handled_by": "Cơ quan thuế (Thuế cơ sở)", "ward": False},
            {"code": "3.000283", "name": "Khóa tài khoản định danh điện tử (thực hiện tại cấp xã)", "field": "Định danh và xác thực điện tử",
             "level": "Cấp xã", "handled_by": "Công an cấp xã", "ward": True},
        ]}, allow_unicode=True), encoding="utf-8")
    items = load_procedure_list(folder, [])
    assert "không nộp tại phường" in where_handled(items["1.010701"]) and "Cơ quan thuế" in where_handled(items["1.010701"])
    assert "Công an phường" in where_handled(items["3.000283"])
    (folder / "b.yml").write_text(yaml.safe_dump({"source": {"title": "x"}, "items": [{"code": "1.010701", "name": "x", "field": "x",
                                                  "level": "x", "handled_by": "x", "ward": True}]}), encoding="utf-8")
    with pytest.raises(CatalogueError, match="listed twice"):
        load_procedure_list(folder, [])


def test_the_real_light_list_loads_with_the_catalogue():
    catalogue = load_catalogue(REAL)
    items = load_procedure_list(REAL.parent / "procedure_list", catalogue)
    assert all(item.entry is None or item.entry in catalogue for item in items.values())


def test_report_counts_entries_by_state_and_source_age(catalogue):
    import_records([RECORDS / "bo-tu-phap__1.000593.json"], catalogue, DAY)
    text = report(catalogue, dt.date(2026, 12, 1))
    assert "Danh mục: 2 thủ tục" in text
    assert "nhập tự động, chưa kiểm tra: 1 (nguồn 91–180 ngày: 1)" in text
    assert "viết tay, chưa kiểm tra: 1" in text


def test_read_records_reads_a_folder():
    assert len(read_records([RECORDS])) == 11  # every record file of the folder


def test_the_province_list_names_procedures_handled_outside_the_ward_and_the_communes_list_leaves_them(tmp_path):
    import dataclasses
    import io

    from bot.catalogue.commands import run_list

    settings = dataclasses.replace(Settings.from_env(env={}), catalogue_dir=tmp_path / "procedures")
    settings.catalogue_dir.mkdir()
    folder = tmp_path / "procedure_list"
    records = [str(RECORDS / "bo-cong-an__1.001456.json"), str(RECORDS / "bo-tu-phap__1.000593.json")]
    out = io.StringIO()
    assert run_list(settings, records, "2026-06-10", str(folder / "cap-tinh.yml"), "Cổng", out, level="tỉnh") == 0
    assert run_list(settings, records, "2026-06-10", str(folder / "cap-xa.yml"), "Cổng", out) == 0
    items = load_procedure_list(folder, [])
    passport = items["1.001456"]
    assert not passport.ward and "Công an" in where_handled(passport) and "không nộp tại phường" in where_handled(passport)
    assert items["1.000593"].ward  # the commune's procedure, in the commune's list only
    assert "1.001456" not in yaml.safe_load((folder / "cap-xa.yml").read_text(encoding="utf-8"))["items"].__repr__()
    # only the fields asked for; and a code another list of the folder holds is left to it (no "listed twice")
    assert run_list(settings, records, None, str(folder / "cap-tinh.yml"), "Cổng", out, level="tỉnh", fields="Hộ tịch") == 0
    assert yaml.safe_load((folder / "cap-tinh.yml").read_text(encoding="utf-8"))["items"] == []
    (folder / "tay.yml").write_text((folder / "cap-xa.yml").read_text(encoding="utf-8").replace("1.000593", "1.001456"),
                                    encoding="utf-8")
    (folder / "cap-xa.yml").unlink()
    assert run_list(settings, records, None, str(folder / "cap-tinh.yml"), "Cổng", out, level="tỉnh") == 0
    assert yaml.safe_load((folder / "cap-tinh.yml").read_text(encoding="utf-8"))["items"] == []
    load_procedure_list(folder, [])
