"""The guides of data/legal/questions.yml as a citizen meets them: questions about complaints, land and residence
duties get the right article quoted verbatim with its plain explanation; questions the register cannot answer (traffic
fines, company tax, bank rates) get no citation; every guide links a procedure that exists. Model-free."""

from __future__ import annotations

import pytest

from bot import yamltext
from tests.legal_asking import LAW, PROCEDURES, SETTINGS, ask

GUIDED = [  # (question as typed, document, article, words the quoted sentence must hold, a citizen's own deadline)
    ("không đồng ý kết quả giải quyết khiếu nại lần đầu thì được khiếu nại lần hai trong bao lâu", "02/2011/QH13", 33,
     "Trong thời hạn 30 ngày", True),
    ("mua dat xong bao lau phai dang ky sang ten", "31/2024/QH15", 133, "trong thời hạn 30 ngày", True),
    ("tạm trú sắp hết hạn thì phải gia hạn trước mấy ngày", "68/2020/QH14", 28, "15 ngày", True),
    ("ly hôn rồi bố có được thăm con không", "52/2014/QH13", 82, "thăm nom con", False),
]


@pytest.mark.parametrize("question,document,article,words,duty", GUIDED)
def test_a_guided_question_gets_its_article_quoted_verbatim_with_the_plain_explanation(question, document, article,
                                                                                       words, duty):
    answer = ask(question)
    assert answer.citation and (answer.citation["document"], answer.citation["article"]) == (document, article), answer.text
    sentence = answer.citation["sentence"]
    assert words in sentence and sentence in LAW.articles.get(document, article).text.replace("\n", " ")
    assert f"Điều {article} {LAW.register.get(document).name}" in answer.text
    assert "Nói gọn: " + LAW.index.guides[(document, article)].explain in answer.text
    assert ("không phải thời gian cơ quan giải quyết" in answer.text) is duty


def test_a_residence_duty_links_its_procedure_with_buttons():
    answer = ask("tạm trú sắp hết hạn thì phải gia hạn trước mấy ngày")
    assert answer.procedure_id == "dang-ky-tam-tru" and "Thủ tục liên quan: Đăng ký tạm trú." in answer.text
    assert any("dang-ky-tam-tru" in button["payload"] for button in answer.buttons)


@pytest.mark.parametrize("question", [
    "phat nguoi xe may vuot den do bao nhieu tien",
    "thuế thu nhập doanh nghiệp năm nay bao nhiêu phần trăm",
    "lãi suất vay mua nhà ngân hàng nào thấp",
    "mở tài khoản chứng khoán cần giấy tờ gì",
    "đăng kiểm ô tô ở đâu",
])
def test_a_question_outside_the_register_gets_no_citation(question):
    answer = ask(question)
    assert answer.citation is None and ("chưa chắc" in answer.text or "nằm ngoài" in answer.text) and "Theo " not in answer.text


def test_every_guide_names_a_stored_article_and_a_procedure_that_exists():
    items = yamltext.load((SETTINGS.legal_dir / "questions.yml").read_text(encoding="utf-8"))["articles"]
    assert len({(i["document"], i["article"]) for i in items}) == len(items) >= 250
    for item in items:
        assert LAW.articles.get(item["document"], item["article"]) is not None, item
        assert item.get("procedure") is None or item["procedure"] in PROCEDURES, item
        assert len(item["questions"]) >= 2 and item["keywords"], item
