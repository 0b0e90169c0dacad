"""Personal data: the masking rule (property-based), no personal data in logs or review tables, the notice at first
contact, retention, /xoadulieu, and staff access written to the audit log.

Real SQLite files in tmp_path; the tracker file has Rasa's ``events`` table as Rasa's SQLTrackerStore creates it
(bot/people/privacy.py reads and deletes it with plain SQL); stand-in servers for the web chat's HTTP and a channel
sender that fails. No model needed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sqlite3
import unicodedata
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.petition import ActionPetition
from bot import logs
from bot.channels import webchat
from bot.community.help import ask_help
from bot.delivery.outbox import Outbox
from bot.delivery.sender import Sender, SenderConfig
from bot.intake.spreadsheet_import import import_file
from bot.notifications import scheduler
from bot.people.privacy import KEPT, PrivacyPolicy
from bot.people.waiting import HANDOFF_CONSENT
from bot.privacy import CCCD, CMND, NAME, PHONE, mask
from bot.services import Services
from bot.timeutil import VN_TZ, utc_iso

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=VN_TZ)
WORDS = ["tôi", "cần", "hỏi", "về", "hồ", "sơ", "khai", "sinh", "cho", "con", "số", "điện", "thoại", "là", "nhé", "ạ",
         "gọi", "giúp", "em", "căn", "cước", "CCCD", "SĐT", "liên", "hệ", "phường", "lệ", "phí", "ngày"]
# the fixtures' personal data: names, phones as people write them, ID numbers
NAMES = ["Nguyễn Thị Lan Anh", "Trần Văn Bình", "Lê Hoàng Minh Châu"]
PHONES = ["0912 345 678", "0987.654.321", "+84 903 111 222", "0283 829 1234", "0976543210"]
IDS = ["001190012345", "079 285 001 234", "123456789"]


def strip_digits(text: str) -> str:
    return re.sub(r"\D", "", text)


# the masking rule ------------------------------------------------------------------------------------------------------
filler = st.lists(st.sampled_from(WORDS), min_size=0, max_size=6).map(" ".join)
mobile = st.tuples(st.sampled_from(["03", "05", "07", "08", "09"]), st.text("0123456789", min_size=8, max_size=8))


@st.composite
def phones(draw) -> str:
    """A Vietnamese mobile number in one of the ways people type it."""
    prefix, rest = draw(mobile)
    digits = prefix + rest  # 10 digits, 0 first
    style = draw(st.sampled_from(["plain", "4-3-3 space", "4-3-3 dot", "3-3-4 dash", "+84", "+84 grouped", "84", "(+84)"]))
    if style == "plain":
        return digits
    if style.startswith("4-3-3"):
        sep = " " if "space" in style else "."
        return sep.join([digits[:4], digits[4:7], digits[7:]])
    if style == "3-3-4 dash":
        return "-".join([digits[:3], digits[3:6], digits[6:]])
    if style == "+84":
        return "+84" + digits[1:]
    if style == "+84 grouped":
        return f"+84 {digits[1:4]} {digits[4:7]} {digits[7:]}"
    if style == "84":
        return "84" + digits[1:]
    return "(+84)" + digits[1:]


@st.composite
def cccds(draw) -> str:
    digits = "0" + draw(st.text("0123456789", min_size=11, max_size=11))
    style = draw(st.sampled_from(["plain", "3-3-3-3 space", "3-3-3-3 dot", "4-4-4 space"]))
    if style == "plain":
        return digits
    if style.startswith("3"):
        sep = " " if "space" in style else "."
        return sep.join(digits[i:i + 3] for i in range(0, 12, 3))
    return " ".join(digits[i:i + 4] for i in range(0, 12, 4))


cmnds = st.text("0123456789", min_size=9, max_size=9)


@settings(max_examples=300, deadline=None)
@given(before=filler, after=filler, number=st.one_of(phones(), cccds(), cmnds))
def test_phones_and_id_numbers_in_any_text_are_always_masked(before, after, number):
    text = f"{before} {number} {after}".strip()
    masked = mask(text, names=())
    assert number not in masked
    assert strip_digits(number) not in strip_digits(masked)  # no run of its digits is left, whichever token took it
    assert any(token in masked for token in (PHONE, CCCD, CMND))
    assert mask(masked, names=()) == masked  # masking twice changes nothing more


fees = st.integers(min_value=1, max_value=99_999).map(lambda n: f"{n * 1000:,}".replace(",", ".") + " đồng")
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2035, 12, 31)).flatmap(
    lambda d: st.sampled_from([f"{d:%d/%m/%Y}", f"{d:%d.%m.%Y}", d.isoformat(), f"{d:%d-%m-%Y}"]))
codes = st.tuples(st.integers(10, 99), st.sampled_from(["H49", "H48", "G22"]), st.dates(dt.date(2024, 1, 1), dt.date(2030, 12, 31)),
                  st.integers(1, 9999)).map(lambda t: f"000.00.{t[0]}.{t[1]}-{t[2]:%y%m%d}-{t[3]:04d}")
times = st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda t: f"{t[0]:02d}:{t[1]:02d}")
counts = st.integers(0, 99_999).map(str)
petition_refs = st.tuples(st.integers(2025, 2030), st.integers(1, 999_999)).map(lambda t: f"PA-{t[0]}-{t[1]:06d}")


@settings(max_examples=300, deadline=None)
@given(before=filler, after=filler, ordinary=st.one_of(fees, dates, codes, times, counts, petition_refs))
def test_fees_dates_codes_and_counts_are_left_as_they_are(before, after, ordinary):
    text = f"{before} {ordinary} {after}".strip()
    assert mask(text, names=()) == text


@settings(max_examples=100, deadline=None)
@given(before=filler, after=filler, name=st.sampled_from(NAMES), folded=st.booleans(), upper=st.booleans())
def test_known_names_are_masked_with_or_without_diacritics(before, after, name, folded, upper):
    written = name
    if folded:
        written = "".join(c for c in unicodedata.normalize("NFD", written)
                          if not unicodedata.combining(c)).replace("Đ", "D").replace("đ", "d")
    written = written.upper() if upper else written
    masked = mask(f"{before} {written} {after}", names=NAMES)
    assert NAME in masked and written not in masked


def test_a_single_word_name_is_not_masked_alone():
    assert mask("Hoa sen nở", names=["Hoa"]) == "Hoa sen nở"


# logs: a realistic flow with personal data, then grep --------------------------------------------------------------------
@pytest.fixture
def logged(tmp_path, caplog):
    """Logging as ``motcua`` sets it (a file, DEBUG) with the test's capture kept; restored afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    path = tmp_path / "motcua.log"
    logs.configure({"MOTCUA_LOG_LEVEL": "DEBUG", "MOTCUA_LOG_FILE": str(path)})
    root.addHandler(caplog.handler)
    caplog.set_level(logging.DEBUG)
    yield path
    for handler in list(root.handlers):
        root.removeHandler(handler)
        if handler is not caplog.handler:
            handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


class FailingAssistant:
    """A web chat assistant that fails the way a bug would: quoting the message in its error."""

    async def handle(self, user_id: str, text: str):
        raise RuntimeError(f"không xử lý được tin của {user_id}: {text}")


class FailingChannel:
    """A channel sender whose library raises with the message in its error text."""

    async def send(self, address: str, reply) -> None:
        raise ValueError(f"cannot render message for {address}: {reply.text}")


async def test_no_personal_data_reaches_the_logs_or_the_review_table(tmp_path, logged, caplog):
    store = Services.open(tmp_path / "motcua.db")
    # platform import: an officials' export with applicants' names, phones and ID numbers
    sheet = tmp_path / "hoso.csv"
    sheet.write_text("Mã hồ sơ,Thủ tục,Người nộp,Số điện thoại,Số giấy tờ,Ngày tiếp nhận,Hạn trả,Trạng thái\n"
                     + "".join(f"000.00.12.H49-251120-00{i},Đăng ký khai sinh,{name},{PHONES[i]},{IDS[i]},"
                               "20/11/2025 08:00,25/11/2025 17:00,Đang giải quyết\n" for i, name in enumerate(NAMES)),
                     encoding="utf-8")
    report = import_file(store, sheet)
    assert store.dossiers.get("000.00.12.H49-251120-000")["applicant_name"] == NAMES[0], report
    # a citizen on Telegram, with the name the channel gives
    citizen = store.users.seen("telegram", "4242", NAMES[1])
    store.users.set_consent(citizen.id, True)
    personal = " ".join([NAMES[0], PHONES[0], "căn cước", IDS[0], NAMES[1], PHONES[2], IDS[2]])

    # the web chat: an assistant that fails on the message (the server logs the failure, with its traceback)
    runner = await webchat.serve(FailingAssistant(), "127.0.0.1", 0)
    try:
        port = runner.addresses[0][1]
        async with httpx.AsyncClient() as client:
            answer = await client.post(f"http://127.0.0.1:{port}/api/chat", json={"user": PHONES[1], "text": personal})
        assert answer.status_code == 500
    finally:
        await webchat.stop(runner)

    # the sender: a notice whose channel fails with the text in its error
    outbox = Outbox(store.path)
    outbox.enqueue(citizen, "test:1", f"Hồ sơ của {NAMES[0]} ({PHONES[3]}, {IDS[1]}) đã có kết quả")
    await Sender(outbox, {"telegram": FailingChannel()}, SenderConfig(backoff=0.05, max_backoff=0.1, poll=0.05, max_attempts=1),
                 directory=store.users).run(until_drained=True)

    # Telegram: an update that made a handler fail is logged with the update (the citizen's name and text)
    from telegram import Update

    from bot.channels.telegram import on_error

    update = Update.de_json({"update_id": 1, "message": {
        "message_id": 7, "date": int(NOW.timestamp()), "text": personal,
        "chat": {"id": 4242, "type": "private", "first_name": NAMES[1]},
        "from": {"id": 4242, "is_bot": False, "first_name": NAMES[1]}}}, None)
    await on_error(update, SimpleNamespace(error=RuntimeError(f"lỗi với {PHONES[4]}")))

    # notifications and a library logging a citizen's data at debug level
    scheduler.retention_job(str(store.path), str(tmp_path / "tracker.db"), 180)
    logging.getLogger("bot.test").debug("khách %s, sđt %s, CCCD %s", NAMES[2], PHONES[4], IDS[1])

    # the review table: what the assistant could not place
    store.reviews.record("unknown_messages", citizen.conversation_id, personal)

    written = logged.read_text(encoding="utf-8")
    captured = caplog.text
    reviews = " ".join(r["text"] for r in store.db.query("select text from unknown_messages"))
    assert "web chat: the assistant failed" in written and "sender:" in written and "telegram: error" in written
    assert PHONE in written and NAME in written and CCCD in written and PHONE in reviews and NAME in reviews
    for where, text in (("log file", written), ("captured log", captured), ("unknown_messages", reviews)):
        for value in NAMES + PHONES + IDS:
            assert value not in text, f"{value!r} in the {where}"
            if len(strip_digits(value)) >= 9:
                assert strip_digits(value) not in strip_digits(text), f"the digits of {value!r} in the {where}"


# the notice ------------------------------------------------------------------------------------------------------------
def test_a_citizen_reads_the_notice_once_and_again_on_request(tmp_path):
    store = Services.open(tmp_path / "motcua.db", policy=PrivacyPolicy(retention_days=90))
    first = store.desk.first_contact("web:khach-1", NOW)
    assert first and "90 ngày" in first and "/xoadulieu" in first and "/quyenriengtu" in first
    assert store.desk.first_contact("web:khach-1", NOW) is None  # once per account
    assert store.users.find("web", "khach-1") is not None
    official = store.users.seen("telegram", "800", "Cán bộ")
    store.users.set_role(official.id, "official", "Tư pháp - Hộ tịch")
    assert store.desk.first_contact("telegram:800", NOW) is None  # staff are not told the citizens' notice
    assert store.desk.first_contact("kiosk:abc", NOW) is None  # a kiosk session is nobody's account
    for asked in ("/quyenriengtu", "quyền riêng tư"):
        (full,) = store.desk.handle("web:khach-2", asked, NOW)
        assert "90 ngày" in full.text and "Điều 4" in full.text and "/xoadulieu" in full.text
        assert any(b["payload"] == "/xoadulieu" for b in full.buttons)
    assert store.desk.first_contact("web:khach-2", NOW) is None  # having asked counts as having been told


def test_the_notice_is_the_last_paragraph_of_the_first_answer():
    from bot.conversation.engine import with_notice
    from bot.delivery.reply import Reply

    replies = with_notice([Reply("Lệ phí: miễn."), Reply("Anh/chị cần gì nữa?", [{"title": "A", "payload": "a"}])], "🔒 N")
    assert [r.text for r in replies] == ["Lệ phí: miễn.", "Anh/chị cần gì nữa?\n\n🔒 N"] and replies[1].buttons
    assert [r.text for r in with_notice([Reply("x")], None)] == ["x"]


# retention ---------------------------------------------------------------------------------------------------------------
def tracker_file(path: Path, rows) -> Path:
    """A tracker store file with Rasa's ``events`` table (rasa/core/tracker_store.py, SQLTrackerStore.SQLEvent)."""
    conn = sqlite3.connect(str(path))
    conn.execute("create table if not exists events (id integer primary key, sender_id varchar(255) not null,"
                 " type_name varchar(255) not null, timestamp float, intent_name varchar(255), action_name varchar(255), data text)")
    conn.executemany("insert into events (sender_id, type_name, timestamp, data) values (?, ?, ?, ?)", rows)
    conn.commit()
    conn.close()
    return path


def count(path: Path, sql: str, params=()) -> int:
    conn = sqlite3.connect(str(path))
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


def test_conversations_and_reviews_older_than_the_retention_are_deleted_daily(tmp_path, monkeypatch):
    tracker = tracker_file(tmp_path / "tracker.db", [
        ("web:old", "user", (NOW - dt.timedelta(days=200)).timestamp(), "{}"),
        ("web:old", "bot", (NOW - dt.timedelta(days=199)).timestamp(), "{}"),
        ("web:new", "user", (NOW - dt.timedelta(days=2)).timestamp(), "{}")])
    store = Services.open(tmp_path / "motcua.db")
    store.reviews.record("unknown_messages", "web:old", "câu cũ", at=utc_iso((NOW - dt.timedelta(days=181)).timestamp()))
    store.reviews.record("feedback", "web:old", "góp ý cũ", at=utc_iso((NOW - dt.timedelta(days=300)).timestamp()))
    store.reviews.record("unknown_messages", "web:new", "câu mới", at=utc_iso((NOW - dt.timedelta(days=179)).timestamp()))
    monkeypatch.setattr(scheduler, "_now", lambda: NOW)  # the scheduler's clock, a fake day
    deleted = scheduler.retention_job(str(store.path), str(tracker), 180)
    assert deleted == 4  # two events, two review messages
    assert count(tracker, "select count(*) from events") == 1 and count(tracker, "select sender_id from events") == "web:new"
    assert [r["text"] for r in store.db.query("select text from unknown_messages")] == ["câu mới"]
    assert store.reviews.count("feedback") == 0
    (run,) = scheduler.job_runs(str(store.path), "retention")
    assert run["result"] == "4" and run["error"] is None
    assert scheduler.retention_job(str(store.path), str(tracker), 180) == 0  # nothing more the next day
    config = scheduler.SchedulerConfig.from_settings(SimpleNamespace(db_path=store.path, tracker_db_path=tracker, root=tmp_path,
                                                                     retention_days=30, env={"MOTCUA_RETENTION_TIME": "03:15"}))
    assert (config.retention_days, config.tracker_path, config.retention_time) == (30, str(tracker), dt.time(3, 15))


def test_retention_days_are_read_and_checked():
    from bot.settings import Settings, retention_days

    assert Settings.from_env(env={}).retention_days == 180
    assert Settings.from_env(env={"MOTCUA_RETENTION_DAYS": "90"}).retention_days == 90
    for bad in ("0", "-5", "nửa năm", "99999"):
        with pytest.raises(ValueError, match="MOTCUA_RETENTION_DAYS"):
            retention_days(bad)


# /xoadulieu --------------------------------------------------------------------------------------------------------------
def citizen_with_data(store: Services, tmp_path: Path):
    """Lan on Telegram: following a dossier and an area, a rating with a comment, a pending notice, review messages, a
    request for help, a petition, a conversation in the tracker store."""
    from bot.people.subscriptions import choose_area, follow

    lan = store.users.seen("telegram", "5151", NAMES[0])
    follow(store.users, store.subscriptions, lan.conversation_id, {"code": "KS-100"})
    choose_area(store.users, store.subscriptions, lan.conversation_id, "to-dan-pho-3")
    outbox = Outbox(store.path)
    outbox.enqueue(lan, "rating:KS-100", "Đánh giá?")
    store.ratings.rate(lan, "KS-100", 2, NOW)
    store.ratings.comment(lan, "KS-100", f"Chị gọi lại {PHONES[0]} giúp em")
    outbox.enqueue(lan, "tip:eid:1", "Mẹo 1")
    store.reviews.record("unknown_messages", lan.conversation_id, "câu hỏi lạ")
    store.db.execute("insert into help_requests (at, conversation, account_id, area, text) values (?, ?, ?, ?, ?)",
                     [NOW.isoformat(), lan.conversation_id, lan.id, "to-dan-pho-3", f"gọi {PHONES[0]}"])
    petition = store.petitions.file(lan, "kiến nghị phường bỏ bớt giấy tờ xác nhận cư trú khi làm khai sinh", NOW)
    tracker = tracker_file(tmp_path / "tracker.db", [(lan.conversation_id, "user", NOW.timestamp(), "{}"),
                                                     (lan.conversation_id, "bot", NOW.timestamp(), "{}"),
                                                     ("telegram:777", "user", NOW.timestamp(), "{}")])
    return store.users.get(lan.id), petition, tracker


def test_a_citizen_sees_what_is_held_confirms_and_has_it_erased_except_what_the_ward_keeps(tmp_path):
    store = Services.open(tmp_path / "motcua.db")
    lan, petition, tracker = citizen_with_data(store, tmp_path)
    conversation = lan.conversation_id

    (shown,) = store.desk.handle(conversation, "/xoadulieu", NOW)
    assert NAMES[0] in shown.text and "KS-100" in shown.text and "to-dan-pho-3" in shown.text and petition.ref in shown.text
    assert "Tin nhắn trò chuyện: 1" in shown.text and "Góp ý kèm đánh giá: 1" in shown.text
    confirm = next(b["payload"] for b in shown.buttons if b["title"] == "Xóa dữ liệu")
    assert store.subscriptions.topics(conversation)  # nothing deleted yet

    # the same payload from another account, and a wrong token from Lan: nothing happens
    other = store.users.seen("telegram", "6262", "Người khác")
    (forged,) = store.desk.handle(other.conversation_id, confirm, NOW)
    (wrong,) = store.desk.handle(conversation, "/xoadulieu abcdef12", NOW)
    for refused in (forged, wrong):
        assert "không còn hiệu lực" in refused.text
    assert store.subscriptions.topics(conversation) and count(tracker, "select count(*) from events") == 3

    (erased,) = store.desk.handle(conversation, confirm, NOW + dt.timedelta(minutes=2))
    for kept in KEPT:
        assert kept in erased.text
    assert "Điều 19" in erased.text
    after = store.users.get(lan.id)
    assert after.display_name == "" and not after.consent
    assert store.subscriptions.topics(conversation) == [] and store.subscriptions.area(conversation) is None
    assert store.db.execute("select count(*) from consent_log where conversation = ?", [conversation]).fetchone()[0] == 0
    (rating,) = store.ratings.of("KS-100")
    assert rating["score"] == 2 and rating["comment"] is None  # the score stays for indicator 5.4
    assert store.db.execute("select count(*) from outbox where state = 'pending' and account_id = ?", [lan.id]).fetchone()[0] == 0
    assert store.reviews.count("unknown_messages") == 0
    assert store.db.execute("select count(*) from help_requests").fetchone()[0] == 0
    assert count(tracker, "select count(*) from events where sender_id = ?", [conversation]) == 0
    assert count(tracker, "select count(*) from events") == 1  # another conversation is untouched
    assert store.petitions.get(petition.ref) is not None  # kept: the ward's record

    (record,) = store.privacy.erasures()
    assert record["account_hash"] == store.privacy.account_hash(conversation) and "5151" not in json.dumps(record)
    assert json.loads(record["deleted"])["messages"] == 1

    (again,) = store.desk.handle(conversation, confirm, NOW + dt.timedelta(minutes=3))
    assert "không còn hiệu lực" in again.text and len(store.privacy.erasures()) == 1  # a second tap erases nothing


def test_the_citizen_can_change_their_mind_and_a_web_visitor_can_ask_first(tmp_path):
    store = Services.open(tmp_path / "motcua.db")
    lan, _, _ = citizen_with_data(store, tmp_path)
    (shown,) = store.desk.handle(lan.conversation_id, "xóa dữ liệu của tôi", NOW)
    cancel = next(b["payload"] for b in shown.buttons if b["title"] == "Không xóa")
    (kept,) = store.desk.handle(lan.conversation_id, cancel, NOW)
    assert "không xóa" in kept.text and store.subscriptions.topics(lan.conversation_id)
    (web,) = store.desk.handle("web:moi-vao", "/xoadulieu", NOW)
    assert "Tin nhắn trò chuyện: 0" in web.text


# staff shown personal data: the audit log ----------------------------------------------------------------------------
def staff(store: Services, chat: str, role: str = "official", **scope):
    account = store.users.seen("telegram", chat, f"Cán bộ {chat}")
    store.users.set_role(account.id, role, **scope)
    store.users.set_consent(account.id, True)
    return store.users.get(account.id)


def test_a_handoff_opened_to_an_official_is_written_to_the_audit_log(tmp_path):
    store = Services.open(tmp_path / "motcua.db")
    official = staff(store, "8001", department="Tư pháp - Hộ tịch")
    lan = store.users.seen("telegram", "5151", NAMES[0])
    store.waiting.set(lan.id, HANDOFF_CONSENT, {"department": "Tư pháp - Hộ tịch"}, NOW)
    store.desk.handle(lan.conversation_id, "đồng ý", NOW)
    (row,) = store.audit.read(command="handoff")
    assert row["account"] == official.conversation_id and row["role"] == "official" and NAMES[0] not in row["detail"]


def test_staff_opening_a_citizens_petition_or_help_request_is_written_to_the_audit_log(tmp_path):
    store = Services.open(tmp_path / "motcua.db")
    lan = store.users.seen("telegram", "5151", NAMES[0])
    petition = store.petitions.file(lan, "kiến nghị phường bỏ bớt giấy tờ xác nhận cư trú khi làm khai sinh", NOW)
    official = staff(store, "8001", department=petition.department)
    text = f"phản ánh {petition.ref} đến đâu rồi"
    message = {"text": text, "intent": {"name": "petition", "confidence": 0.9}, "entities": [], "metadata": {}}
    events = [{"event": "user", "text": text, "timestamp": NOW.timestamp(), "parse_data": message}]
    for sender in (lan.conversation_id, official.conversation_id):
        ActionPetition(store).run(CollectingDispatcher(), Tracker(sender, {}, message, events, False, None, {}, "action_listen"), {})
    (row,) = store.audit.read(command="petition_view")  # the petitioner reading their own is not staff access
    assert row["account"] == official.conversation_id and row["detail"] == petition.ref

    from bot.community.areas import area_ids, load_areas

    areas = load_areas()
    area = area_ids(areas)[0]
    member = staff(store, "9001", role="team", area=area)
    ask_help(store, Outbox(store.path), lan.conversation_id, area, f"nhờ tổ hỗ trợ, số {PHONES[0]}", NOW, areas)
    (help_row,) = store.audit.read(command="help_request")
    assert help_row["account"] == member.conversation_id and PHONES[0] not in help_row["detail"]


# through the assistant (needs the trained model: the main session runs it) ------------------------------------------------
async def test_the_first_answer_ends_with_the_notice_and_xoadulieu_erases_the_conversation(assistant, settings):
    import uuid

    from bot.people.privacy import first_notice

    user = f"web:privacy-{uuid.uuid4().hex[:8]}"
    first = await assistant.handle(user, "đăng ký khai sinh cần giấy tờ gì")
    assert first[-1].text.endswith(first_notice(settings.retention_days)) and "Đăng ký khai sinh" in first[0].text
    second = await assistant.handle(user, "lệ phí bao nhiêu")
    assert all(first_notice(settings.retention_days) not in r.text for r in second)  # once per account
    (shown,) = await assistant.handle(user, "/xoadulieu")
    assert "Tin nhắn trò chuyện: 2" in shown.text
    confirm = next(b["payload"] for b in shown.buttons if b["title"] == "Xóa dữ liệu")
    (done,) = await assistant.handle(user, confirm)
    assert "2 tin nhắn trò chuyện" in done.text
    assert count(settings.tracker_db_path, "select count(*) from events where sender_id = ?", [user]) == 0
