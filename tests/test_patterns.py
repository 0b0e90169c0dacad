"""Dossier codes and numbered choices read from free text."""

import pytest

from nlu.dossier_code import find_codes, looks_like_code
from nlu.ordinal import read_ordinal


@pytest.mark.parametrize(
    "text, code",
    [
        ("tra cứu hồ sơ 000.00.12.H49-251120-0031 giúp em", "000.00.12.H49-251120-0031"),
        ("H22.36-251103-0012.", "H22.36-251103-0012"),
        ("mã 000.00.31.h26-251118-0105 ạ", "000.00.31.h26-251118-0105"),
    ],
)
def test_codes_are_extracted_exactly(text, code):
    assert [found for found, _, _ in find_codes(text)] == [code]


@pytest.mark.parametrize(
    "text",
    ["nộp ngày 24/11/2026", "phí 50.000 đồng", "mã thủ tục 1.001193", "sdt 0912-345-678", "HS abc", "'; DROP TABLE x;--"],
)
def test_dates_prices_phones_and_words_are_not_codes(text):
    assert find_codes(text) == []


def test_code_shape_limits():
    assert looks_like_code("000.00.12.H49-251120-0031")
    assert not looks_like_code("12-34")
    assert not looks_like_code("1" * 20 + "-" + "2" * 30)


@pytest.mark.parametrize(
    "text, number",
    [("cái thứ hai, phí bao nhiêu?", 2), ("số 1", 1), ("chon cai dau tien", 1), ("cái cuối", -1), ("3", 3), ("cai thu ba", 3)],
)
def test_ordinals(text, number):
    assert read_ordinal(text) == number


def test_no_ordinal_in_a_plain_question():
    assert read_ordinal("đăng ký khai sinh cần gì") is None
