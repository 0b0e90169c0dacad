"""Catalogue answers a phone can hold: the first message fits one screen, the details stay one tap away.

Rendered from the real catalogue (data/procedures/) for every entry and every aspect, on a day when the
dated fee rules (citizen-digital exemptions) are in force and on one after they end.
"""

import dataclasses
import datetime as dt
import json
import re

import pytest

from bot.catalogue.answers import ASPECT_TITLES, PHONE_CHARS, PHONE_LINES, answer, details, phone_lines
from bot.catalogue.procedures import load_catalogue
from bot.settings import Settings
from tests.conftest import say

CATALOGUE = load_catalogue(Settings.from_env(env={}).catalogue_dir)
DAYS = [dt.date(2026, 11, 24), dt.date(2027, 3, 1)]
CASES = [(pid, aspect, day) for pid in sorted(CATALOGUE) for aspect in ASPECT_TITLES for day in DAYS]
EMPTY_BULLET = re.compile(r"^\s*(?:•|-|–|↳|\d+\.)\s*$")


def test_phone_lines_wrap_at_38_characters():
    assert phone_lines("x" * 38) == 1
    assert phone_lines("x" * 80) == 3
    assert phone_lines("một\n\nhai") == 3
    assert phone_lines(" ".join(["chứng"] * 20)) == 4  # 119 characters of short words wrap at word ends


@pytest.mark.parametrize("pid, aspect, day", CASES)
def test_first_message_fits_one_phone_screen(pid, aspect, day):
    text = answer(CATALOGUE[pid], aspect, day)
    assert len(text) <= PHONE_CHARS, (len(text), text)
    assert phone_lines(text) <= PHONE_LINES, (phone_lines(text), text)
    assert "Nguồn:" in text
    assert ("chờ cán bộ xác nhận" in text) == (not CATALOGUE[pid].verified)


def empty_fields(text: str):
    """Lines that show a label, a bullet or brackets with nothing in them."""
    return [
        line for line in text.split("\n")
        if line.rstrip().endswith(":") or "()" in line or EMPTY_BULLET.match(line) or line.rstrip().endswith((" –", " -"))
    ]


@pytest.mark.parametrize("pid, aspect, day", CASES)
def test_no_answer_shows_an_empty_field(pid, aspect, day):
    procedure = CATALOGUE[pid]
    assert empty_fields(answer(procedure, aspect, day)) == []
    assert empty_fields(details(procedure, aspect, day)) == []


@pytest.mark.parametrize("online", ["   ", "", "(Luật Căn cước Điều 23 khoản 2 điểm a)"])
def test_an_online_field_with_nothing_to_say_is_left_out(online):
    """"làm cccd ở đâu" once printed "• Trực tuyến: " with nothing after it."""
    procedure = CATALOGUE["cap-the-can-cuoc"]
    blank = dataclasses.replace(procedure, submission={**procedure.submission, "online": online})
    for text in (answer(blank, "where", DAYS[0]), details(blank, "where", DAYS[0])):
        assert empty_fields(text) == [], text
        assert "Nơi nộp" in text


@pytest.mark.parametrize("pid", sorted(CATALOGUE))
def test_details_keep_every_document_and_its_note(pid):
    procedure = CATALOGUE[pid]
    full = details(procedure, "documents", DAYS[0])
    for doc in procedure.documents:
        assert doc["name"] in full
        if doc.get("note"):
            assert doc["note"].strip() in full, doc["note"]
        if doc.get("copies"):
            assert doc["copies"] in full


@pytest.mark.parametrize("pid", sorted(CATALOGUE))
def test_details_keep_the_legal_notes(pid):
    procedure = CATALOGUE[pid]
    legal = details(procedure, "legal", DAYS[0])
    for basis in procedure.legal_basis:
        assert basis["document"] in legal
        if basis.get("articles"):
            assert basis["articles"] in legal
    fees = details(procedure, "fee", DAYS[0])
    for fee in procedure.fees:
        if fee.in_force(DAYS[0]) and fee.source:
            assert fee.source in fees


def test_the_first_document_list_names_every_document_when_it_fits():
    procedure = CATALOGUE["dang-ky-tam-tru"]
    text = answer(procedure, "documents", DAYS[0])
    assert "1. Tờ khai thay đổi thông tin cư trú" in text and "2. Giấy tờ, tài liệu chứng minh chỗ ở hợp pháp" in text
    assert "01 bản chính" in text


def test_dated_fees_say_until_when_in_the_first_message():
    text = answer(CATALOGUE["dang-ky-thuong-tru"], "fee", DAYS[0])
    assert "28/02/2027" in text and "20.000 đồng" in text


FEE_EXEMPT = {  # entry -> the article that exempts listed groups from its fee
    "dang-ky-thuong-tru": "Thông tư 75/2022/TT-BTC Điều 4",
    "dang-ky-tam-tru": "Thông tư 75/2022/TT-BTC Điều 4",
    "gia-han-tam-tru": "Thông tư 75/2022/TT-BTC Điều 4",
    "tach-ho": "Thông tư 75/2022/TT-BTC Điều 4",
    "cap-doi-the-can-cuoc": "Thông tư 73/2024/TT-BTC Điều 5",
    "cap-lai-the-can-cuoc": "Thông tư 73/2024/TT-BTC Điều 5",
}


@pytest.mark.parametrize("pid", sorted(FEE_EXEMPT))
@pytest.mark.parametrize("day", DAYS)
def test_the_fee_answer_says_some_groups_are_exempt(pid, day):
    """A poor household's member asking the fee was told to pay: the first answer says that some groups pay
    nothing, on one screen, and the details list every group with the article."""
    procedure = CATALOGUE[pid]
    first = answer(procedure, "fee", day)
    assert "Miễn phí cho một số nhóm" in first, first
    assert len(first) <= PHONE_CHARS and phone_lines(first) <= PHONE_LINES, first
    full = details(procedure, "fee", day)
    assert FEE_EXEMPT[pid] in full
    listed = [line.strip()[2:] for line in full.split("\n") if line.strip().startswith("◦ ")]
    for group in ("Trẻ em (người dưới 16 tuổi", "Người cao tuổi (từ đủ 60 tuổi", "Người khuyết tật",
                  "Người có công với cách mạng", "Công dân thuộc hộ nghèo", "xã biên giới"):
        assert any(group in line for line in listed), (group, full)


def test_a_paid_amount_still_shows_next_to_the_exemption():
    text = answer(CATALOGUE["dang-ky-thuong-tru"], "fee", DAYS[1])
    assert "20.000 đồng" in text and "10.000 đồng" in text and "Miễn phí cho một số nhóm" in text


def test_the_exemption_stays_when_the_screen_is_short():
    """Cấp đổi thẻ căn cước has five rules on 24/11/2026: the exempt groups are not the ones cut."""
    text = answer(CATALOGUE["cap-doi-the-can-cuoc"], "fee", DAYS[0])
    assert "Miễn phí cho một số nhóm" in text and "25.000 đồng" in text


def test_an_authorisation_letter_must_be_certified_unless_for_a_relative():
    text = details(CATALOGUE["dang-ky-khai-sinh"], "documents", DAYS[0])
    line = next(line for line in text.split("\n") if line.startswith(tuple("0123456789")) and "Văn bản ủy quyền" in line)
    assert "có chứng thực" in line
    assert "ông, bà, cha, mẹ, con, vợ, chồng, anh, chị, em ruột" in text
    first = answer(CATALOGUE["dang-ky-khai-sinh"], "documents", DAYS[0])
    assert "01 bản có chứng thực" in first or "… và" in first, first


@pytest.mark.asyncio(loop_scope="session")
async def test_the_details_button_brings_the_full_list(assistant, user):
    replies = await assistant.handle(user, "đăng ký thường trú cần gì", {"as_of": "2026-11-24"})
    first = replies[0]
    assert len(first.text) <= PHONE_CHARS and phone_lines(first.text) <= PHONE_LINES, first.text
    button = next(b for b in first.buttons if b["title"] == "Chi tiết từng giấy tờ")
    payload = button["payload"]
    assert payload.startswith("/ask_documents{")
    assert json.loads(payload[payload.index("{"):]) == {"procedure": "dang-ky-thuong-tru", "detail": "full"}
    assert any(b["title"] == ASPECT_TITLES["legal"] for b in first.buttons)

    full = await say(assistant, user, button["payload"], as_of="2026-11-24")
    procedure = CATALOGUE["dang-ky-thuong-tru"]
    for doc in procedure.documents:
        assert doc["name"] in full and doc["note"].strip() in full
