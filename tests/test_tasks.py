"""Resolution-57 tasks: import from YAML and from the office's Excel sheet, the leaders' summary, progress updates by the
lead unit only, and deadline warnings 7/3/1 days before and when missed, each once across a restart."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook

from bot.cli import main
from bot.delivery.outbox import Outbox
from bot.notifications.jobs import task_warnings
from bot.officials.tasks import TaskImportError, TaskPermissionError, Tasks, list_text, parse_deadline, summary_text
from bot.services import Services
from bot.workdays import VN_TZ

TODAY = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 8, 0, tzinfo=VN_TZ)

YAML = """\
tasks:
  - task: Số hóa 100% hồ sơ hộ tịch còn lưu giấy
    lead_unit: Tư pháp - Hộ tịch
    partners: [Văn phòng HĐND-UBND, Công an phường]
    deadline: 2026-12-31
    progress: 40
    status: Đang thực hiện
  - task: Triển khai thanh toán không dùng tiền mặt tại Bộ phận Một cửa
    lead_unit: Văn phòng HĐND-UBND
    deadline: 2026-10-31
    progress: "60%"
  - task: Tuyên truyền dịch vụ công trực tuyến toàn trình
    lead_unit: Văn hóa - Xã hội
    deadline: Thường xuyên
    status: Đang thực hiện
  - task: Cập nhật dữ liệu dân cư
    lead_unit: Công an phường
    deadline: Quý III/2026
    status: Đã hoàn thành
  - task: Lắp đặt ki-ốt tra cứu hồ sơ
    lead_unit: Văn phòng HĐND-UBND
    deadline: Tháng 9/2026
    progress: 100
"""


@pytest.fixture
def store(tmp_path) -> Services:
    return Services.open(tmp_path / "motcua.db")


@pytest.fixture
def register(store, tmp_path) -> Tasks:
    path = tmp_path / "nhiem_vu.yml"
    path.write_text(YAML, encoding="utf-8")
    tasks = Tasks(store.db)
    tasks.import_file(path, now=NOW)
    return tasks


def table(store: Services) -> list:
    return list(store.db.query("select * from tasks order by id"))


def test_yaml_import_reads_every_field_and_a_second_import_changes_nothing(store, tmp_path):
    path = tmp_path / "nhiem_vu.yml"
    path.write_text(YAML, encoding="utf-8")
    tasks = Tasks(store.db)
    first = tasks.import_file(path, now=NOW)
    assert (first.inserted, first.updated, first.unchanged) == (5, 0, 0)
    before, updates = table(store), store.db["task_updates"].count
    again = tasks.import_file(path, now=NOW + dt.timedelta(days=1))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 5)
    assert table(store) == before and store.db["task_updates"].count == updates
    by_title = {t.title: t for t in tasks.all()}
    digitise = by_title["Số hóa 100% hồ sơ hộ tịch còn lưu giấy"]
    assert digitise.partners == ["Văn phòng HĐND-UBND", "Công an phường"]
    assert (digitise.deadline, digitise.progress, digitise.status) == (dt.date(2026, 12, 31), 40, "in_progress")
    assert by_title["Tuyên truyền dịch vụ công trực tuyến toàn trình"].deadline is None
    assert by_title["Cập nhật dữ liệu dân cư"].deadline == dt.date(2026, 9, 30)
    assert (by_title["Cập nhật dữ liệu dân cư"].status, by_title["Cập nhật dữ liệu dân cư"].progress) == ("done", 100)
    assert by_title["Lắp đặt ki-ốt tra cứu hồ sơ"].status == "done"          # 100 % without a status is done
    assert by_title["Triển khai thanh toán không dùng tiền mặt tại Bộ phận Một cửa"].progress == 60


def test_a_changed_row_updates_its_task_and_keeps_the_id(store, tmp_path, register):
    old = {t.title: t.id for t in register.all()}
    path = tmp_path / "nhiem_vu.yml"
    path.write_text(YAML.replace("progress: 40", "progress: 70"), encoding="utf-8")
    result = register.import_file(path, now=NOW)
    assert (result.updated, result.unchanged) == (1, 4)
    task = register.get(old["Số hóa 100% hồ sơ hộ tịch còn lưu giấy"])
    assert task.progress == 70 and {t.title: t.id for t in register.all()} == old


def office_sheet(path, rows, title_rows=True) -> None:
    """The sheet as the office keeps it: a title, the Vietnamese header row, one task a row."""
    book = Workbook()
    sheet = book.active
    if title_rows:
        sheet.append(["DANH MỤC NHIỆM VỤ THỰC HIỆN NGHỊ QUYẾT 57-NQ/TW"])
        sheet.append([])
    sheet.append(["STT", "Nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời hạn", "Tiến độ", "Trạng thái"])
    for row in rows:
        sheet.append(row)
    for cells in sheet.iter_rows(min_row=4 if title_rows else 2, min_col=6, max_col=6):
        for cell in cells:
            if isinstance(cell.value, float):
                cell.number_format = "0%"
    book.save(path)


SHEET_ROWS = [
    [1, "Rà soát, chuẩn hóa dữ liệu hộ tịch", "Tư pháp - Hộ tịch", "Văn phòng; Công an phường", dt.datetime(2026, 12, 15), 0.45, "Đang thực hiện"],
    [2, "Vận hành ki-ốt tra cứu", "Văn phòng HĐND-UBND", None, "Quý IV/2026", None, "Chưa thực hiện"],
    [3, "Tập huấn kỹ năng số cho tổ công nghệ số cộng đồng", "Văn hóa - Xã hội", "Đoàn Thanh niên", "Thường xuyên", "Đã mở 3 lớp", "Đang thực hiện"],
    [4, "Báo cáo sơ kết 1 năm", "Văn phòng HĐND-UBND", None, "30/11/2026", 1.0, "Đã hoàn thành"],
]


def test_excel_sheet_with_vietnamese_headings_imports_and_reimports_unchanged(store, tmp_path):
    path = tmp_path / "nhiem_vu_nq57.xlsx"
    office_sheet(path, SHEET_ROWS)
    tasks = Tasks(store.db)
    assert tasks.import_file(path, now=NOW).inserted == 4
    assert tasks.import_file(path, now=NOW).unchanged == 4
    by_title = {t.title: t for t in tasks.all()}
    first = by_title["Rà soát, chuẩn hóa dữ liệu hộ tịch"]
    assert (first.deadline, first.progress, first.partners) == (dt.date(2026, 12, 15), 45, ["Văn phòng", "Công an phường"])
    kiosk = by_title["Vận hành ki-ốt tra cứu"]
    assert (kiosk.deadline, kiosk.deadline_text, kiosk.status) == (dt.date(2026, 12, 31), "Quý IV/2026", "not_started")
    training = by_title["Tập huấn kỹ năng số cho tổ công nghệ số cộng đồng"]
    assert (training.deadline, training.progress, training.progress_note) == (None, None, "Đã mở 3 lớp")
    assert by_title["Báo cáo sơ kết 1 năm"].progress == 100


def test_bad_rows_are_named_by_row_number_and_nothing_is_written(store, tmp_path, capsys, monkeypatch):
    path = tmp_path / "loi.xlsx"
    office_sheet(path, SHEET_ROWS[:1] + [
        [2, "Nhiệm vụ thiếu đơn vị", None, None, "31/12/2026", None, None],
        [3, "Nhiệm vụ hạn lạ", "Văn phòng HĐND-UBND", None, "sớm nhất có thể", None, None],
        [4, "Nhiệm vụ tiến độ lạ", "Văn phòng HĐND-UBND", None, "31/02/2026", 250, None],
    ])
    with pytest.raises(TaskImportError) as caught:
        Tasks(store.db).import_file(path, now=NOW)
    assert [n for n, _ in caught.value.rows] == [5, 6, 7]            # Excel's row numbers (title, blank, header above)
    assert "Dòng 5: Đơn vị chủ trì: thiếu đơn vị chủ trì" in str(caught.value)
    assert "Dòng 6: Thời hạn" in str(caught.value)
    assert table(store) == []
    monkeypatch.setenv("MOTCUA_DB", str(store.path))
    assert main(["tasks", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "chưa nhập nhiệm vụ nào" in err and "Traceback" not in err
    assert table(store) == []


@pytest.mark.parametrize("content, name, message", [
    (b"not a zip", "hong.xlsx", "không mở được tệp Excel"),
    ("tasks: [1, 2]".encode(), "x.yml", "không phải một nhiệm vụ"),
    ("a: [".encode(), "x.yml", "YAML không đọc được"),
    (b"Ma,Ten", "x.csv", "chỉ nhận tệp .xlsx hoặc .yml"),
])
def test_unreadable_files_get_a_clear_message(store, tmp_path, content, name, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(TaskImportError, match=message):
        Tasks(store.db).import_file(path)


def test_deadline_wordings():
    assert parse_deadline("Tháng 2/2028") == (dt.date(2028, 2, 29), "Tháng 2/2028")
    assert parse_deadline("Quý I năm 2027")[0] == dt.date(2027, 3, 31)
    assert parse_deadline("Năm 2026")[0] == dt.date(2026, 12, 31)
    assert parse_deadline("Hằng năm")[0] is None
    assert parse_deadline(None) == (None, None)


def test_the_summary_leaders_quote(register):
    summary = register.summary(TODAY)
    assert (summary.done, summary.total) == (2, 5)
    assert (summary.time_bound_done, summary.time_bound) == (2, 4)
    assert summary.overdue_by_unit == {"Văn phòng HĐND-UBND": 1}      # the payment task, due 31/10, at 60 %
    text = summary_text(summary)
    assert "Hoàn thành: 2/5 nhiệm vụ" in text and "Có thời hạn: hoàn thành 2/4" in text
    assert "Quá hạn: 1 – Văn phòng HĐND-UBND: 1" in text


def test_list_by_unit_and_overdue(register, store, monkeypatch, capsys):
    mine = register.list("cong an phuong")                            # without accents or case
    assert [(t.title, role) for t, role in mine] == [("Cập nhật dữ liệu dân cư", "chủ trì"),
                                                     ("Số hóa 100% hồ sơ hộ tịch còn lưu giấy", "phối hợp")]
    assert [t.title for t, _ in register.list(overdue_on=TODAY)] == ["Triển khai thanh toán không dùng tiền mặt tại Bộ phận Một cửa"]
    assert "⚠️ quá hạn" in list_text(register.list(overdue_on=TODAY), TODAY)
    monkeypatch.setenv("MOTCUA_DB", str(store.path))
    assert main(["tasks", "list", "--unit", "Văn hóa - Xã hội"]) == 0
    out = capsys.readouterr().out
    assert "Tuyên truyền dịch vụ công" in out and "Thường xuyên" in out and "Lắp đặt ki-ốt" not in out


def test_only_the_lead_units_officials_update_progress(register):
    task = next(t for t in register.all() if t.lead_unit == "Tư pháp - Hộ tịch")
    with pytest.raises(TaskPermissionError, match="Tư pháp - Hộ tịch"):
        register.update_progress(task.id, "Công an phường", progress=90)     # a partner unit
    with pytest.raises(TaskPermissionError):
        register.update_progress(task.id, None, progress=90)
    updated = register.update_progress(task.id, "tư pháp - hộ tịch", progress=80, note="Đã số hóa 8/10 quyển sổ",
                                       user_id=7, now=NOW)
    assert (updated.progress, updated.status, updated.progress_note) == (80, "in_progress", "Đã số hóa 8/10 quyển sổ")
    assert updated.updated_at == "2026-11-25T08:00:00+07:00"
    done = register.update_progress(task.id, "Tư pháp - Hộ tịch", progress="100%", now=NOW)
    assert done.status == "done"
    assert [(h["by_unit"], h["by_user"], h["progress"]) for h in register.history(task.id)][-2:] == \
        [("tư pháp - hộ tịch", 7, 80), ("Tư pháp - Hộ tịch", None, 100)]
    assert register.get(task.id).progress == 100 and register.get(task.id).status == "done"


# deadline warnings -------------------------------------------------------------------------------------------------------
def official(store: Services, chat: int, department: str):
    account = store.users.seen("telegram", str(chat), f"Cán bộ {chat}")
    store.users.set_role(account.id, "official", department)
    store.users.set_consent(account.id, True)
    return account


def test_warnings_7_3_1_days_before_and_when_missed_each_once_across_a_restart(store, tmp_path):
    path = tmp_path / "mot.yml"
    path.write_text("tasks:\n  - task: Hoàn thành kho dữ liệu số\n    lead_unit: Văn phòng HĐND-UBND\n"
                    "    partners: Tư pháp - Hộ tịch\n    deadline: 2026-12-10\n    progress: 30\n"
                    "  - task: Việc đã xong\n    lead_unit: Văn phòng HĐND-UBND\n    deadline: 2026-12-09\n"
                    "    status: Đã hoàn thành\n", encoding="utf-8")
    Tasks(store.db).import_file(path, now=NOW)
    lead = official(store, 501, "Văn phòng HĐND-UBND")
    partner = official(store, 502, "Tư pháp - Hộ tịch")
    deadline = dt.datetime(2026, 12, 10, 8, 0, tzinfo=VN_TZ)
    queued = {}
    for days_before in (8, 7, 7, 6, 3, 2, 1, 0, -1, -2):
        services = Services.open(store.path)          # every run reopens the file, as after a restart
        outbox = Outbox(store.path)
        moment = deadline - dt.timedelta(days=days_before)
        queued[days_before] = queued.get(days_before, 0) + task_warnings(services, outbox, moment)
        outbox.close()
    assert queued == {8: 0, 7: 1, 6: 0, 3: 1, 2: 0, 1: 1, 0: 0, -1: 1, -2: 0}
    rows = Outbox(store.path).rows()
    assert {r["recipient_id"] for r in rows} == {lead.id} and partner.id not in {r["recipient_id"] for r in rows}
    stages = [r["event"].split(":")[2] for r in rows]
    assert stages == ["7d", "3d", "1d", "missed"]
    texts = [r["text"] for r in rows]
    assert "còn 7 ngày đến hạn" in texts[0] and "Hoàn thành kho dữ liệu số" in texts[0] and "thứ Năm 10/12/2026" in texts[0]
    assert "đã quá hạn 1 ngày" in texts[3]


def test_a_new_deadline_warns_again(store, tmp_path):
    path = tmp_path / "mot.yml"
    body = "tasks:\n  - task: Hoàn thành kho dữ liệu số\n    lead_unit: Văn phòng HĐND-UBND\n    deadline: {}\n"
    path.write_text(body.format("2026-11-26"), encoding="utf-8")
    tasks = Tasks(store.db)
    tasks.import_file(path, now=NOW)
    official(store, 501, "Văn phòng HĐND-UBND")
    outbox = Outbox(store.path)
    assert task_warnings(store, outbox, NOW) == 1                        # 1 day left
    path.write_text(body.format("2026-11-30"), encoding="utf-8")         # the deadline was extended
    tasks.import_file(path, now=NOW)
    assert task_warnings(store, outbox, NOW) == 1                        # 5 days left: the 7-day warning of the new date
    assert task_warnings(store, outbox, NOW) == 0


@pytest.mark.parametrize("text, expected", [
    ("12 80% Đã trình dự thảo", (12, 80, "Đã trình dự thảo")),
    ("12 xong", (12, 100, None)),
    ("3 Chờ ý kiến phối hợp", (3, None, "Chờ ý kiến phối hợp")),
])
def test_the_chat_update_command_is_read(text, expected):
    from bot.officials.tasks import parse_update_command

    assert parse_update_command(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "12", "12 250%", "x" * 5000])
def test_a_bad_chat_update_command_gets_a_vietnamese_message(text):
    from bot.officials.tasks import TaskError, parse_update_command

    with pytest.raises(TaskError) as caught:
        parse_update_command(text)
    assert "phần trăm" in caught.value.problem or "cú pháp" in caught.value.problem or "cần tiến độ" in caught.value.problem
