"""Whether a law is in force (session 12): "Luật Hộ tịch 2014 còn hiệu lực không" is answered from the register's dates,
each read in the document's own entry-into-force article, with the next change it knows, instead of a search of the
articles (which quoted a transitional clause) or the officials' review refused."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.legal.answers import in_force_answer
from tests.legal_asking import COUNTER, DAY, LAW, ask, refused


@pytest.mark.parametrize("question", [
    "Luật Tiếp công dân còn hiệu lực không",
    "luat tiep cong dan co hieu luc tu khi nao",
    "Luật Tiếp công dân 42/2013 còn áp dụng không",
])
def test_a_law_in_force_is_said_with_its_date_and_cited_by_its_own_article(question):
    answer = ask(question)
    assert "Luật Tiếp công dân 42/2013/QH13 có hiệu lực từ 01/7/2014 và đang được áp dụng" in answer.text
    assert answer.citation is not None and (answer.citation["document"], answer.citation["article"]) == ("42/2013/QH13", 35)


def test_a_law_that_a_new_one_replaces_next_year_says_so_and_from_when():
    answer = ask("Luật Hộ tịch 60/2014 còn hiệu lực không")
    assert "có hiệu lực từ 01/1/2016" in answer.text
    assert "Từ 01/3/2027 áp dụng Luật Hộ tịch 2026 (03/2026/QH16) thay cho văn bản này" in answer.text
    assert ".md" not in answer.text  # the corpus file is not shown to a citizen


def test_after_the_replacement_the_old_law_is_no_longer_said_to_apply():
    answer = ask("Luật Hộ tịch 60/2014 còn hiệu lực không", dt.date(2027, 3, 2))
    assert "đang được áp dụng" not in answer.text
    assert refused(answer, "đã được thay bằng", COUNTER)


def test_a_law_not_yet_in_force_is_not_cited():
    assert refused(ask("Luật Hộ tịch mới có hiệu lực từ khi nào"), "chưa có hiệu lực (từ 01/3/2027)", COUNTER)


def test_a_year_the_register_does_not_hold_is_not_answered_for_and_the_current_law_is_named():
    answer = ask("luat dat dai 2013 con hieu luc khong")
    assert refused(answer, "không có Luật Đất đai năm 2013", "Luật Đất đai 31/2024/QH15", COUNTER)
    assert "2013" not in answer.text.split("không có Luật Đất đai năm 2013")[1]


def test_many_amendments_are_counted_and_the_latest_named():
    answer = ask("Luật Đất đai còn hiệu lực không")
    assert "Đã được sửa đổi, bổ sung bởi" in answer.text and "gần nhất là" in answer.text
    assert len(answer.text) < 500


@pytest.mark.parametrize("question", [
    "giấy xác nhận khuyết tật có hiệu lực tính từ ngày nào",  # a paper's validity: an article answers it
    "Luật Hộ tịch 2026 có hiệu lực rồi thì mình đăng ký khai sinh ở xã khác được không",  # asks something else
    "thủ tục khai sinh còn áp dụng không",  # no document named
])
def test_other_questions_are_left_to_the_articles(question):
    assert in_force_answer(LAW, question, DAY) is None


def test_a_number_the_register_does_not_hold_is_said_so():
    answer = ask("Luật 999/2099 còn hiệu lực không")
    assert refused(answer, "không tìm thấy văn bản số 999/2099")
