"""Petitions (phản ánh, kiến nghị): a number, a department, a due date in working days, the status for the petitioner
only, an official's answer back through the outbox, the officials' digest, and Biểu 06a's counts. Real SQLite, the
actions run as Rasa runs them (no trained model needed)."""

from __future__ import annotations

import datetime as dt

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.petition import ActionPetition
from bot.catalogue.procedures import load_catalogue
from bot.notifications.jobs import daily_digests
from bot.officials.petitions_report import NO_FIELD, petition_counts
from bot.people.petitions import parse_ref
from bot.services import Services
from bot.settings import Settings
from bot.workdays import VN_TZ

WEDNESDAY = dt.datetime(2026, 11, 25, 10, 0, tzinfo=VN_TZ)
CONTENT = "kiến nghị phường bỏ bớt giấy tờ xác nhận cư trú khi làm khai sinh cho con"


@pytest.fixture
def services(tmp_path) -> Services:
    store = Services.open(tmp_path / "motcua.db")
    store.catalogue.replace(load_catalogue(Settings.from_env(env={}).catalogue_dir))
    return store


def citizen(services: Services, chat: str = "7001", name: str = "Lê Văn Nam"):
    account = services.users.seen("telegram", chat, name)
    services.users.set_consent(account.id, True)
    return account


def official(services: Services, chat: str = "8001", department: str = "Tư pháp - Hộ tịch"):
    account = services.users.seen("telegram", chat, "Cán bộ")
    services.users.set_role(account.id, "official", department)
    services.users.set_consent(account.id, True)
    return account


def say(services: Services, sender: str, text: str, at: dt.datetime = WEDNESDAY, slots: dict = None,
        entities: list = None) -> str:
    """The ``petition`` action on ``text`` from ``sender``; what it answered."""
    message = {"text": text, "intent": {"name": "petition", "confidence": 0.95}, "entities": entities or [], "metadata": {}}
    events = [{"event": "user", "text": text, "timestamp": at.timestamp(), "parse_data": message}]
    dispatcher = CollectingDispatcher()
    ActionPetition(services).run(dispatcher, Tracker(sender, slots or {}, message, events, False, None, {}, "action_listen"), {})
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def test_a_petition_gets_a_number_a_department_and_a_due_date(services):
    citizen(services)
    ack = say(services, "telegram:7001", CONTENT, slots={"procedure": "dang-ky-khai-sinh"})
    assert "Số theo dõi: PA-2026-000001" in ack
    assert "Chuyển tới: Tư pháp - Hộ tịch" in ack and "quy định hành chính" in ack
    # 10 working days after Wed 25/11 (the day of receipt not counted): Wed 09/12/2026 at closing time
    assert "Hạn trả lời: 17:00 thứ Tư 09/12/2026 (10 ngày làm việc, Luật Tiếp công dân 42/2013/QH13" in ack
    assert "Điều 28 khoản 1" in ack and "chưa được đối chiếu" in ack  # Decree 20/2008 as amended: marked unverified
    petition = services.petitions.get("PA-2026-000001")
    assert (petition.field, petition.kind, petition.due_at) == ("Hộ tịch", "rules", "2026-12-09T17:00:00+07:00")
    # a double tap files nothing twice; another petition gets the next number
    assert "PA-2026-000001" in say(services, "telegram:7001", CONTENT, WEDNESDAY + dt.timedelta(minutes=2))
    second = say(services, "telegram:7001", "phản ánh cán bộ tiếp nhận đòi thêm tiền ngoài lệ phí khi chứng thực bản sao")
    assert "PA-2026-000002" in second and "hành vi hành chính" in second and "Trung tâm Phục vụ hành chính công" in second


def test_the_next_message_is_the_petition_when_the_first_only_asks(services):
    citizen(services)
    asks = say(services, "telegram:7001", "tôi muốn gửi phản ánh kiến nghị")
    assert "viết nội dung phản ánh" in asks
    (ack,) = services.desk.handle("telegram:7001", CONTENT, WEDNESDAY)
    assert "PA-2026-000001" in ack.text


def test_the_status_is_told_to_the_petitioner_only(services):
    citizen(services)
    official(services)
    say(services, "telegram:7001", CONTENT, slots={"procedure": "dang-ky-khai-sinh"})
    status = say(services, "telegram:7001", "phản ánh pa 2026 1 đến đâu rồi")
    assert "PA-2026-000001" in status and "đang xử lý" in status and "Hạn trả lời: 17:00 thứ Tư 09/12/2026" in status
    citizen(services, "7002", "Người khác")
    assert "không tìm thấy phản ánh PA-2026-000001" in say(services, "telegram:7002", "phản ánh PA-2026-000001 đến đâu rồi")
    late = say(services, "telegram:7001", "phản ánh của tôi đã được trả lời chưa", at=dt.datetime(2026, 12, 11, 9, tzinfo=VN_TZ))
    assert "Đã quá hạn 2 ngày làm việc" in late


def test_an_official_answers_and_the_citizen_hears_it_once(services):
    nam = citizen(services)
    official(services)
    say(services, "telegram:7001", CONTENT, slots={"procedure": "dang-ky-khai-sinh"})
    other = official(services, "8002", "Công an phường")
    refused = say(services, "telegram:8002", "phản ánh PA-2026-000001 đã xử lý: không phải việc của tôi")
    assert "không tìm thấy" in refused and services.petitions.get("PA-2026-000001").state == "received"  # not their department
    assert services.db.execute("select outcome, account from audit_log where command = 'petitions'").fetchall() == [
        ("not_found", f"telegram:{other.channel_user_id}")]  # audited like every official command
    answered = say(services, "telegram:8001", "phản ánh PA-2026-000001 đã xử lý: Từ 01/12 phường không yêu cầu giấy xác nhận cư trú.")
    assert "Đã ghi trả lời phản ánh PA-2026-000001" in answered
    row = services.outbox.get(nam.id, "petition:PA-2026-000001:answer")
    assert "Từ 01/12 phường không yêu cầu giấy xác nhận cư trú." in row["text"]
    status = say(services, "telegram:7001", "phản ánh PA-2026-000001 đến đâu rồi")
    assert "đã xử lý" in status and "không yêu cầu giấy xác nhận cư trú" in status
    # a citizen's "đã xử lý" answers nothing
    say(services, "telegram:7001", "phản ánh PA-2026-000001 đã xử lý: xong")
    assert services.petitions.get("PA-2026-000001").answer.startswith("Từ 01/12")


def test_officials_get_their_departments_petitions_in_the_digest(services):
    citizen(services)
    tu_phap, cong_an = official(services), official(services, "8002", "Công an phường")
    say(services, "telegram:7001", CONTENT, slots={"procedure": "dang-ky-khai-sinh"})
    assert daily_digests(services, services.outbox, dt.datetime(2026, 11, 26, 7, 30, tzinfo=VN_TZ)) == 2
    mine = services.outbox.get(tu_phap.id, f"digest:2026-11-26:{tu_phap.id}")["text"]
    theirs = services.outbox.get(cong_an.id, f"digest:2026-11-26:{cong_an.id}")["text"]
    assert "Phản ánh, kiến nghị chờ xử lý (1; mới: 1; quá hạn: 0)" in mine and "PA-2026-000001 – hạn 09/12" in mine
    assert "PA-2026-" not in theirs
    assert "PA-2026-000001" in say(services, "telegram:8001", "/petition")  # the official's own list


def test_biểu_06a_counts_by_field_content_and_time(services):
    nam = citizen(services)
    boss = official(services)
    at = lambda month, day: dt.datetime(2026, month, day, 9, tzinfo=VN_TZ)  # noqa: E731
    old = services.petitions.file(nam, "phường bắt nộp bản sao sổ hộ khẩu dù đã bỏ từ lâu rồi", at(9, 20), field="Hộ tịch")
    services.petitions.answer(old.ref, boss, "Đã chấn chỉnh.", at(10, 5))        # carried over, handled in October
    services.petitions.file(nam, "cán bộ thái độ hách dịch khi tôi nộp hồ sơ đăng ký cư trú", at(9, 28),
                            field="Đăng ký, quản lý cư trú")                        # carried over, still pending
    new = services.petitions.file(nam, "cán bộ hẹn lần hẹn lượt không trả kết quả chứng thực", at(10, 10), field="Chứng thực")
    services.petitions.answer(new.ref, boss, "Đã xin lỗi.", at(10, 20))          # received and handled in October
    services.petitions.file(nam, "đề nghị cho nộp hồ sơ khai sinh trực tuyến không cần bản giấy", at(10, 30))  # no field
    services.petitions.file(nam, "đề nghị thêm quầy nhận hồ sơ đất đai vào buổi sáng thứ bảy", at(11, 2), field="Đất đai")
    settled = services.petitions.file(nam, "đề nghị bỏ yêu cầu photo căn cước khi đã có dữ liệu dân cư", at(9, 1), field="Hộ tịch")
    services.petitions.answer(settled.ref, boss, "Đã bỏ.", at(9, 10))              # all before October: not counted
    rows = {r.field: r for r in petition_counts(services.db, dt.date(2026, 10, 1), dt.date(2026, 10, 31))}
    total = rows["TỔNG CỘNG"]
    assert (total.received, total.carried_over, total.received_in_period) == (4, 2, 2)
    assert (total.received_conduct, total.received_rules) == (2, 2)
    assert (total.handled, total.handled_carried_over, total.handled_in_period) == (2, 1, 1)
    assert (total.pending, total.pending_conduct, total.pending_rules) == (2, 1, 1)
    assert total.published == 0 and "Đất đai" not in rows
    assert (rows["Hộ tịch"].received, rows["Hộ tịch"].handled) == (1, 1)
    assert (rows["Đăng ký, quản lý cư trú"].pending_conduct, rows[NO_FIELD].pending_rules) == (1, 1)
    assert [r.field for r in petition_counts(services.db, dt.date(2026, 10, 1), dt.date(2026, 10, 31),
                                             department="Công an phường")] == ["Đăng ký, quản lý cư trú", "TỔNG CỘNG"]


def test_reference_numbers_are_read_however_they_are_typed():
    assert parse_ref("pa-2026-000123") == parse_ref("PA 2026 123") == parse_ref("phản ánh PA_2026_123 sao rồi") == "PA-2026-000123"
    assert parse_ref("PA-26-1") is None and parse_ref("") is None
