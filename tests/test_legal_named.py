"""A question that names a law (by number or by title, with or without a year) or an article of it: no citation for a
law not in force on the day or an article the law does not have, and the citizen is told why and sent to the counter;
a named article that exists is the one quoted."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.legal.answers import answer_question
from bot.legal.library import Law
from tests.legal_asking import COUNTER, DAY, ask, refused


@pytest.mark.parametrize("question, said", [
    ("Luật Căn cước công dân 2014 quy định khi nào phải đổi thẻ", "đã được thay bằng Luật Căn cước 26/2023/QH15"),
    ("luat can cuoc cong dan quy dinh gi ve the cccd", "đã được thay bằng Luật Căn cước 26/2023/QH15"),
    ("Luật Đất đai 2013 quy định hạn mức đất ở thế nào", "Văn bản đang áp dụng là Luật Đất đai 31/2024/QH15"),
    ("nghi dinh 61/2018/ND-CP ve mot cua quy dinh gi", "đã được thay bằng"),
])
def test_a_law_no_longer_in_force_is_said_so_and_not_quoted(question, said):
    answer = ask(question)
    assert refused(answer, said, COUNTER) and "“" not in answer.text


@pytest.mark.parametrize("question, said", [
    ("Điều 99 Luật Căn cước quy định gì", "Em không thấy Điều 99 trong Luật Căn cước 26/2023/QH15"),
    ("dieu 150 luat cu tru noi ve tam tru the nao", "Em không thấy Điều 150 trong Luật Cư trú 68/2020/QH14"),
    ("Điều 60 Nghị định 123/2015/NĐ-CP quy định gì", "Em không thấy Điều 60 trong Nghị định 123/2015/NĐ-CP"),
])
def test_an_article_the_law_does_not_have_gets_no_citation(question, said):
    answer = ask(question)
    assert refused(answer, said, COUNTER)


def test_an_unproofread_article_of_an_ocr_copy_is_not_said_to_be_missing():
    answer = ask("Điều 70 Luật Hộ tịch quy định gì")
    assert answer.citation is None and "chưa có nội dung đã đối chiếu của Điều 70" in answer.text
    assert "không thấy" not in answer.text


@pytest.mark.parametrize("question, document, article", [
    ("Điều 28a Nghị định 123/2015/NĐ-CP nói gì", "123/2015/NĐ-CP", "28a"),
    ("dieu 8 luat hon nhan va gia dinh quy dinh gi", "52/2014/QH13", 8),
])
def test_a_named_article_that_exists_is_the_one_quoted(question, document, article):
    answer = ask(question)
    assert answer.citation and (answer.citation["document"], answer.citation["article"]) == (document, article)
    assert answer.text.startswith("Theo ") and f"Điều {article} " in answer.text


def test_points_a_later_decree_repealed_are_never_quoted():
    """Điểm b, c khoản 5 Điều 5 Nghị định 20/2021 (người cao tuổi không lương hưu) ended on 01/7/2025 (Điều 8 khoản 2
    Nghị định 176/2025): asked by the article itself, the answer quotes another passage of it, never those points."""
    law = Law()
    question = "Điều 5 Nghị định 20/2021/NĐ-CP: người từ đủ 80 tuổi trở lên không có lương hưu, trợ cấp bảo hiểm xã hội hằng tháng"
    before = answer_question(law, question, dt.date(2025, 6, 30)).citation
    after = answer_question(law, question, dt.date(2026, 11, 28)).citation
    assert before["passage"] == "điểm c khoản 5"  # in force then: the point that answers it
    assert after is None or after["passage"] not in ("điểm b khoản 5", "điểm c khoản 5")


def test_a_chapter_a_later_law_repealed_is_never_retrieved_or_quoted():
    """Chương V (tiếp công dân, Điều 59–62) of Luật Khiếu nại 02/2011 ended when Luật Tiếp công dân 42/2013 took effect
    on 01/7/2014 (its Điều 35): a question about the rights of a visitor at the reception office is answered from the
    law in force, never from those articles; before that day they could still be found."""
    law = Law()
    question = "đến trụ sở tiếp công dân để khiếu nại thì người dân có quyền và nghĩa vụ gì"
    hits = law.index.search(question, DAY, k=10)
    assert hits and all(not (h.article.document == "02/2011/QH13" and h.article.number in (59, 60, 61, 62)) for h in hits)
    cited = answer_question(law, question, DAY).citation
    assert cited is None or cited["document"] != "02/2011/QH13" or cited["article"] not in (59, 60, 61, 62)
    earlier = law.index.search(question, dt.date(2014, 6, 30), k=10)
    assert any(h.article.document == "02/2011/QH13" and h.article.number in (59, 60, 61, 62) for h in earlier)


@pytest.mark.parametrize("question", [
    "luật hộ tịch mới quy định đăng ký khai sinh thế nào",
    "luat ho tich moi 2026 co bat buoc di khai sinh ko",
])
def test_the_new_law_not_yet_in_force_is_not_quoted_and_the_current_one_is_named(question):
    answer = ask(question)
    assert answer.citation is None
    assert "chưa có hiệu lực (từ 01/3/2027)" in answer.text and "Hiện nay áp dụng Luật Hộ tịch 60/2014/QH13" in answer.text
