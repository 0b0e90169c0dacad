"""Answers to legal questions (bot/legal/answers.py): the right article per field, quoted verbatim from the register's
text, checked before it is sent; an invented document number is refused; a change coming within 120 days is said."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.legal.answers import check_citation
from tests.legal_asking import DAY, LAW, ask

PER_FIELD = [  # (question as a citizen types it, document, article)
    ("sinh con bao lâu thì phải đi làm giấy khai sinh", "60/2014/QH13", 15),                # civil status (a duty)
    ("bao nhieu tuoi thi duoc ket hon", "52/2014/QH13", 8),                                  # marriage and family
    ("ở trọ bao lâu thì phải đăng ký tạm trú", "68/2020/QH14", 27),                         # residence
    ("may tuoi thi phai lam the can cuoc", "26/2023/QH15", 19),                              # identity
    ("chứng thực bản sao có cần mang bản chính không", "01/2020/TT-BTP", 9),                # certification: Điều 9 khoản 1 (xuất trình bản chính)
    ("tranh chấp đất đai có bắt buộc hòa giải ở phường không", "31/2024/QH15", 235),        # land
    ("khieu nai quyet dinh hanh chinh trong thoi han bao lau", "02/2011/QH13", 9),           # complaints
    ("tố cáo nặc danh có được giải quyết không", "25/2018/QH14", 25),                       # denunciations
    ("chủ tịch phường tiếp công dân mấy ngày một tháng", "42/2013/QH13", 15),              # citizen reception
    ("to hoa giai co bao nhieu nguoi", "35/2013/QH13", 12),                                  # grassroots mediation
    ("ai được hưởng trợ cấp xã hội hằng tháng", "20/2021/NĐ-CP", 5),                       # social protection
    ("nghị định nào quy định về cơ chế một cửa", "118/2025/NĐ-CP", 1),                      # the one-stop mechanism
]


@pytest.mark.parametrize("question,document,article", PER_FIELD)
def test_a_question_per_field_is_answered_with_the_right_article(question, document, article):
    answer = ask(question)
    assert answer.citation and (answer.citation["document"], answer.citation["article"]) == (document, article), answer.text
    assert f"Điều {article} " in answer.text and LAW.register.get(document).name in answer.text


@pytest.mark.parametrize("question,document,article", PER_FIELD)
def test_the_quoted_sentence_is_verbatim_in_the_stored_text(question, document, article):
    answer = ask(question)
    stored = LAW.articles.get(document, article).text.replace("\n", " ")
    assert answer.citation["sentence"] in stored
    assert f"“{answer.citation['sentence']}”" in answer.text


def test_a_citizens_duty_is_not_the_offices_processing_time():
    answer = ask("sinh con bao lâu phải đi khai sinh")
    assert "60 ngày" in answer.text and "không phải thời gian cơ quan giải quyết" in answer.text
    assert answer.procedure_id == "dang-ky-khai-sinh" and any("dang-ky-khai-sinh" in b["payload"] for b in answer.buttons)


def test_an_invented_document_number_is_refused_never_explained():
    answer = ask("Nghị định 999/2025/NĐ-CP quy định gì về khai sinh")
    assert "không tìm thấy văn bản số 999/2025" in answer.text and answer.citation is None
    assert "Điều" not in answer.text


def test_a_question_no_article_answers_gets_no_citation_and_the_counter():
    answer = ask("giá xăng hôm nay bao nhiêu")
    assert answer.citation is None and "chưa chắc" in answer.text and "Bộ phận Một cửa" in answer.text


def test_a_coming_change_is_said_and_only_in_force_text_is_quoted():
    before = ask("sinh con bao lâu phải đi khai sinh")
    assert "Từ 01/3/2027 áp dụng Luật Hộ tịch 2026" in before.text
    after = ask("sinh con bao lâu phải đi khai sinh", dt.date(2027, 3, 5))
    assert after.citation["document"] == "03/2026/QH16" and "60/2014/QH13" not in after.text
    early = ask("sinh con bao lâu phải đi khai sinh", dt.date(2026, 9, 1))
    assert "2027" not in early.text  # more than 120 days before the change: not yet said


def test_the_citation_check():
    hits = LAW.index.search("sinh con bao lâu phải đi khai sinh", DAY)
    assert check_citation(LAW.register, "60/2014/QH13", 15, DAY, hits)
    assert not check_citation(LAW.register, "60/2014/QH13", 15, dt.date(2027, 3, 5), hits)   # replaced by then
    assert not check_citation(LAW.register, "60/2014/QH13", 64, DAY, hits)                   # not retrieved
    assert not check_citation(LAW.register, "999/2025/NĐ-CP", 1, DAY, hits)                  # not in the register
