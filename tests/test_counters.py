"""The counters (data/counters.yml, bot/catalogue/counters.py) and ``ask_counter`` (actions/counters.py).

The action runs as Rasa would run it, with rasa-sdk's CollectingDispatcher and a Tracker built here, over a
real SQLite file loaded from data/ (as in tests/test_dossiers.py). The moment of the question is the message's
own time, so the opening hours are checked against the ward's calendar without touching the clock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.counters import ActionCounterInfo
from bot.catalogue.answers import fits_phone
from bot.catalogue.counters import Counter, load_counters, opening, opening_text, procedure_answer, slip
from bot.catalogue.procedures import CatalogueError, load_catalogue
from bot.loader import load_all
from bot.services import Services
from bot.settings import ROOT, Settings
from bot.workdays import VN_TZ, default_calendar
from nlu.counter_words import counter_named
from tests.conftest import say

DATA = ROOT / "data"
MOTCUA = Path(sys.executable).parent / "motcua"


def vn(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=VN_TZ)


WEDNESDAY = vn(2026, 11, 25)  # an ordinary working day
SATURDAY = vn(2026, 11, 28)
HOLIDAY = vn(2026, 11, 24)  # Ngày Văn hóa Việt Nam, a day off from 2026 (data/calendar/vn_days_off.yml)


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(DATA / "procedures")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> Path:
    """data/ loaded once into a database file."""
    settings = dataclasses.replace(Settings.from_env(env={}), db_path=tmp_path_factory.mktemp("loaded") / "motcua.db")
    assert load_all(settings)["counters"] == 7
    return settings.db_path


@pytest.fixture
def store(loaded, tmp_path) -> Services:
    """A fresh copy of the loaded database."""
    path = tmp_path / "motcua.db"
    with sqlite3.connect(loaded) as source, sqlite3.connect(path) as target:
        source.backup(target)
    return Services.open(path)


def tracker(text: str, at: dt.datetime = WEDNESDAY, entities: list = None, slots: dict = None, metadata: dict = None) -> Tracker:
    message = {"text": text, "intent": {"name": "ask_counter", "confidence": 0.9}, "entities": entities or [],
               "metadata": metadata or {}}
    events = [{"event": "user", "text": text, "timestamp": at.timestamp(), "parse_data": message}]
    return Tracker("web:test", slots or {}, message, events, False, None, {}, "action_listen")


def procedure_entity(pid: str) -> list:
    return [{"entity": "procedure", "value": pid}]


def ask(store: Services, tr: Tracker):
    """Run ``action_counter_info``; returns (the first message's text, its buttons, the events)."""
    dispatcher = CollectingDispatcher()
    events = ActionCounterInfo(store).run(dispatcher, tr, {})
    assert len(dispatcher.messages) == 1
    message = dispatcher.messages[0]
    return message["text"], message.get("buttons") or [], events


# -- the answer a citizen reads ---------------------------------------------------------------------------


def test_birth_registration_names_its_counter_place_hours_and_documents(store):
    text, buttons, events = ask(store, tracker("đăng ký khai sinh ở quầy số mấy", entities=procedure_entity("dang-ky-khai-sinh")))
    assert text.startswith("🪟 Quầy 1 – Tư pháp – Hộ tịch")
    assert "📍 Tầng 1" in text
    assert "07:30–11:30, 13:30–17:00" in text and "Đang mở cửa, đến 11:30." in text
    assert "Đăng ký khai sinh – mang theo" in text and "1. Tờ khai đăng ký khai sinh" in text
    assert "chờ cán bộ xác nhận" in text  # the layout is a plausible one until the ward confirms it
    assert fits_phone(text) and len(text) <= 600
    assert any(b["payload"].startswith('/ask_documents{"procedure": "dang-ky-khai-sinh", "detail"') for b in buttons)
    assert {"event": "slot", "timestamp": None, "name": "procedure", "value": "dang-ky-khai-sinh"} in events


@pytest.mark.parametrize("at, expected", [
    (vn(2026, 11, 25, 12, 10), "Đang nghỉ trưa; mở lại lúc 13:30 hôm nay."),
    (vn(2026, 11, 25, 6, 50), "Chưa đến giờ làm việc; mở cửa lúc 07:30 hôm nay."),
    (vn(2026, 11, 25, 17, 30), "Đã hết giờ làm việc; mở lại lúc 07:30 ngày mai (thứ Năm 26/11)."),
    (vn(2026, 11, 27, 18, 0), "Đã hết giờ làm việc; mở lại lúc 07:30 thứ Hai 30/11."),
    (SATURDAY, "Hôm nay nghỉ (Thứ Bảy); mở lại lúc 07:30 thứ Hai 30/11."),
    (HOLIDAY, "Hôm nay nghỉ (Ngày Văn hóa Việt Nam); mở lại lúc 07:30 ngày mai (thứ Tư 25/11)."),
])
def test_the_answer_says_when_the_counter_opens_from_the_moment_of_the_question(store, at, expected):
    text, _, _ = ask(store, tracker("khai sinh quầy nào", at=at, entities=procedure_entity("dang-ky-khai-sinh")))
    assert expected in text


def test_a_date_given_in_the_metadata_is_the_moment_of_the_question(store):
    tr = tracker("khai sinh quầy nào", at=WEDNESDAY, entities=procedure_entity("dang-ky-khai-sinh"),
                 metadata={"as_of": "2026-11-28"})
    assert "Hôm nay nghỉ (Thứ Bảy)" in ask(store, tr)[0]


@pytest.mark.parametrize("text", ["nộp hồ sơ đất đai ở quầy nào", "nop ho so dat dai o quay nao", "NỘP SỔ ĐỎ Ở QUẦY NÀO"])
def test_a_field_named_in_words_gets_its_counter_and_the_procedures_to_choose(store, text):
    answer, buttons, _ = ask(store, tracker(text))
    assert answer.startswith("🪟 Quầy 3 – Đất đai")
    assert "Đang mở cửa" in answer and "nói tên thủ tục" in answer and "Cấp sổ đỏ lần đầu" in answer
    assert fits_phone(answer)
    assert buttons == [{"title": "Cấp sổ đỏ lần đầu",
                        "payload": '/ask_counter{"procedure": "dang-ky-dat-dai-cap-giay-chung-nhan-lan-dau"}'}]


@pytest.mark.parametrize("text, number", [("làm cccd ở quầy mấy", 6), ("đăng ký hộ kinh doanh quầy nào", 5),
                                          ("quầy ưu tiên người cao tuổi ở đâu", 7), ("chứng thực ở quầy nào", 2)])
def test_other_counters_are_found_by_what_people_call_them(store, text, number):
    assert ask(store, tracker(text))[0].startswith(f"🪟 Quầy {number} –")


def test_a_procedure_named_wins_over_a_field_word(store):
    # "đất đai" is a field word, but the message names one procedure: its documents are what the citizen needs
    tr = tracker("đăng ký đất đai lần đầu ở quầy nào", entities=procedure_entity("dang-ky-dat-dai-cap-giay-chung-nhan-lan-dau"))
    text = ask(store, tr)[0]
    assert text.startswith("🪟 Quầy 3") and "mang theo 6 loại" in text


def test_after_a_procedure_quay_nao_answers_for_it(store):
    text, _, _ = ask(store, tracker("thế nộp ở quầy nào", slots={"procedure": "dang-ky-khai-tu"}))
    assert text.startswith("🪟 Quầy 1") and "Đăng ký khai tử – mang theo" in text


def test_ambiguous_names_on_one_counter_say_it_and_offer_the_choice(store):
    candidates = ["chung-thuc-ban-sao-tu-ban-chinh", "chung-thuc-chu-ky"]
    text, buttons, events = ask(store, tracker("chứng thực quầy mấy", entities=[{"entity": "procedure", "value": None,
                                                                                   "candidates": candidates}]))
    assert text.startswith("🪟 Quầy 2")
    assert [json.loads(b["payload"][len("/ask_counter"):])["procedure"] for b in buttons] == candidates
    assert {"event": "slot", "timestamp": None, "name": "procedure_candidates", "value": candidates} in events


def test_ambiguous_names_on_different_counters_ask_which(store):
    candidates = ["dang-ky-khai-sinh", "cap-the-can-cuoc"]
    text, buttons, _ = ask(store, tracker("làm giấy tờ quầy nào", entities=[{"entity": "procedure", "value": None,
                                                                               "candidates": candidates}]))
    assert "Quầy" not in text and "Chọn một số" in text
    assert [b["title"] for b in buttons] == ["1. Đăng ký khai sinh", "2. Cấp thẻ căn cước"]


@pytest.mark.parametrize("at, expected", [(WEDNESDAY, "✅ Bây giờ: đang mở cửa, đến 11:30."),
                                          (SATURDAY, "⛔ Bây giờ: hôm nay nghỉ (Thứ Bảy); mở lại lúc 07:30 thứ Hai 30/11.")])
def test_opening_hours_questions_get_the_office_and_whether_it_is_open(store, at, expected):
    text, buttons, _ = ask(store, tracker("thứ 7 phường có làm không", at=at))
    assert text.startswith("🏛️ Bộ phận Một cửa")
    assert expected in text and "quầy nào" in text
    assert fits_phone(text)


def test_without_a_counters_layout_the_office_answer_still_comes(store):
    store.db.execute("delete from ward where key = 'counters'")
    text, _, _ = ask(store, tracker("nộp hồ sơ đất đai ở quầy nào", entities=procedure_entity("dang-ky-khai-sinh")))
    assert text.startswith("🏛️ Bộ phận Một cửa") and "Bây giờ: đang mở cửa" in text


def test_every_procedure_has_a_counter_and_its_answer_fits_a_phone(store, catalogue):
    layout = store.catalogue.counters()
    for at in (WEDNESDAY, vn(2026, 11, 25, 12, 10), vn(2026, 11, 27, 18, 0), HOLIDAY):
        for procedure in catalogue.values():
            text = procedure_answer(layout, procedure, at, default_calendar())
            assert fits_phone(text), (procedure.id, text)
            assert f"Quầy {layout.for_procedure(procedure).number}" in text
    police = {p.id for p in catalogue.values() if layout.for_procedure(p).number == 6}
    assert {"cap-the-can-cuoc", "dang-ky-thuong-tru", "dinh-danh-dien-tu-muc-2"} <= police


def test_the_slip_says_where_to_go_and_what_to_bring(store):
    layout = store.catalogue.counters()
    data = slip(layout, store.catalogue.procedure("dang-ky-ket-hon"), vn(2026, 11, 25, 12, 10), default_calendar())
    assert data["counter"] == {"number": 1, "name": "Tư pháp – Hộ tịch", "where": "Tầng 1, dãy bên trái cửa vào"}
    assert data["open"] is False and data["status"].startswith("Đang nghỉ trưa")
    assert data["documents"] and all(line[0].isdigit() and len(line) <= 130 for line in data["documents"])
    assert data["issued"] == "12:10 25/11/2026"


def test_a_counter_with_its_own_sessions_keeps_them():
    saturday_desk = Counter(9, "Một cửa sáng thứ Bảy", 1, sessions=((dt.time(8, 0), dt.time(11, 0)),))
    state = opening(saturday_desk, vn(2026, 11, 25, 11, 30), default_calendar())
    assert opening_text(state) == "Đã hết giờ làm việc; mở lại lúc 08:00 ngày mai (thứ Năm 26/11)."


def test_field_words_match_whole_words_and_prefer_the_longest(store):
    layout = store.catalogue.counters()
    assert counter_named("xin giấy phép xây dựng ở quầy nào", layout)[1] == "giấy phép xây dựng"
    assert counter_named("bà con ở đâu", layout) is None  # "con" is not "con nuôi"
    assert counter_named("", layout) is None


# -- validation by `motcua load` ----------------------------------------------------------------------------


def broken(tmp_path: Path, change) -> Path:
    """A copy of data/counters.yml with ``change(data)`` applied."""
    data = yaml.safe_load((DATA / "counters.yml").read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "counters.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("change, field, words", [
    (lambda d: d["counters"][0]["procedures"].append("khong-co") if "procedures" in d["counters"][0]
     else d["counters"][0].update(procedures=["khong-co"]), "counters[0].procedures[0]", "no procedure 'khong-co'"),
    (lambda d: d["counters"][2]["fields"].append("Đất Đai Mới"), "counters[2].fields[5]", "is not a field of the catalogue"),
    (lambda d: d["counters"][1].update(number=1), "counters[1].number", "another counter"),
    (lambda d: d["counters"][1]["fields"].append("Hộ tịch"), "counters[1].fields[3]", "already given to counter 1"),
    (lambda d: d["counters"][3]["keywords"].append("SỔ ĐỎ"), "counters[3].keywords[7]", "already given to counter 3"),
    (lambda d: d["counters"][0].update(sessions=[["07:30", "11:30"], [810, 1020]]), "counters[0].sessions[1]", "quoted times"),
    (lambda d: d["counters"][0].update(sessions=[["13:30", "17:00"], ["07:30", "11:30"]]), "counters[0].sessions", "in order"),
    (lambda d: d["counters"][0].update(default=True), "counters", "exactly one counter"),
    (lambda d: d["kiosk"]["tiles"].append({"procedure": "khong-co"}), "kiosk.tiles[8].procedure", "no procedure"),
    (lambda d: d.update(verified="chưa"), "verified", "true or false"),
    (lambda d: d.pop("notes"), "notes", "is required"),
    (lambda d: d["counters"][0].pop("name"), "counters[0].name", "is required"),
])
def test_a_broken_layout_is_refused_naming_file_and_field(tmp_path, catalogue, change, field, words):
    path = broken(tmp_path, change)
    with pytest.raises(CatalogueError) as error:
        load_counters(path, catalogue)
    assert error.value.field == field and str(path) in str(error.value) and words in str(error.value)


def test_motcua_load_stops_on_a_broken_layout_with_a_clear_message(tmp_path):
    shutil.copy(DATA / "ward.yml", tmp_path / "ward.yml")
    broken(tmp_path, lambda d: d["counters"][0].update(procedures=["khai-sinh-cho-meo"]))
    env = {**os.environ, "MOTCUA_WARD": str(tmp_path / "ward.yml"), "MOTCUA_DB": str(tmp_path / "x.db")}
    result = subprocess.run([str(MOTCUA), "load"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert result.returncode == 2
    assert "Lỗi dữ liệu" in result.stderr and "counters.yml" in result.stderr
    assert "counters[0].procedures[0]" in result.stderr and "khai-sinh-cho-meo" in result.stderr
    assert "Traceback" not in result.stderr


# -- through the trained assistant (needs_model: run by `make test`) ------------------------------------------


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("text, expected", [
    ("nộp hồ sơ đất đai ở quầy nào", "Quầy 3"),
    ("nop ho so dat dai o quay nao", "Quầy 3"),
    ("đăng ký khai sinh ở quầy số mấy", "Quầy 1"),
    ("làm cccd đến quầy nào", "Quầy 6"),
])
async def test_the_assistant_sends_each_question_to_its_counter(assistant, user, text, expected):
    answer = await say(assistant, user, text, as_of="2026-11-25")
    assert answer.startswith("🪟 " + expected), answer


@pytest.mark.asyncio(loop_scope="session")
async def test_quay_nao_after_a_procedure_answers_for_it(assistant, user):
    await say(assistant, user, "đăng ký kết hôn cần giấy tờ gì")
    answer = await say(assistant, user, "thế nộp ở quầy nào")
    assert "🪟 Quầy 1" in answer and "Đăng ký kết hôn – mang theo" in answer
