"""No citation for questions the register cannot answer (issue 11): a named passage a later text repealed, a kind of
document or a year the register does not hold, an amount of money no article states, a topic outside the register."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.legal.answers import passage_asked
from tests.legal_asking import COUNTER, LAW, SETTINGS, ask, refused


@pytest.mark.parametrize("text, passage", [
    ("theo điểm b khoản 5 Điều 5 Nghị định 20/2021", (5, "b")),
    ("diem c khoan 5 dieu 5 nd 20/2021", (5, "c")),   # "c" is a point, not "chị"
    ("khoản 2 Điều 4 NĐ 20/2021", (2, None)),
    ("theo dieu 5 khoan 5 diem c nghi dinh 20/2021", (5, "c")),   # written the other way round
    ("Điều 4 khoản 2 NĐ 20/2021", (2, None)),
    ("Điều 5 Nghị định 20/2021", None),
])
def test_the_passage_a_question_names_is_read(text, passage):
    assert passage_asked(text) == passage


@pytest.mark.parametrize("question", [
    "Theo điểm b khoản 5 Điều 5 Nghị định 20/2021/NĐ-CP thì người cao tuổi nào được trợ cấp?",
    "diem c khoan 5 dieu 5 nd 20/2021 quy dinh nguoi cao tuoi nao duoc huong tro cap",
    "theo dieu 5 khoan 5 diem c nghi dinh 20/2021 thi ba toi 81 tuoi duoc tro cap hang thang dung ko",
])
def test_a_named_passage_repealed_on_the_day_is_said_so_and_not_quoted(question):
    answer = ask(question)
    assert answer.citation is None
    assert "đã bị bãi bỏ từ 01/7/2025" in answer.text and "Bộ phận Một cửa" in answer.text and "“" not in answer.text


def test_the_same_passage_is_quoted_before_its_repeal_and_another_clause_still_is():
    assert ask("theo điểm b khoản 5 Điều 5 Nghị định 20/2021 người cao tuổi nào được trợ cấp",
               dt.date(2025, 6, 1)).citation is not None
    answer = ask("khoản 1 Điều 5 Nghị định 20/2021 quy định trẻ em nào được trợ cấp")
    assert answer.citation and (answer.citation["document"], answer.citation["article"]) == ("20/2021/NĐ-CP", 5)


@pytest.mark.parametrize("question, said", [
    ("Pháp lệnh dân số quy định mỗi cặp vợ chồng được sinh mấy con?", "Em không có pháp lệnh"),
    ("theo phap lenh ve cong chung nam 2006 thi hop dong mua ban nha phai cong chung khong", "Em không có pháp lệnh năm 2006"),
    ("Luật Nhà ở năm 2019 quy định sổ đỏ của hộ gia đình đứng tên ai?", "Em không có luật năm 2019"),
])
def test_a_kind_or_year_of_document_the_register_does_not_hold_is_not_quoted(question, said):
    answer = ask(question)
    assert refused(answer, said, COUNTER)


@pytest.mark.parametrize("question", [
    "nghị định năm 2015 về hộ tịch quy định đăng ký khai sinh cần giấy tờ gì",
    "theo thông tư năm 2020 về chứng thực thì chứng thực chữ ký giấy ủy quyền thế nào",
])
def test_a_kind_and_year_the_register_holds_is_still_answered(question):
    assert ask(question).citation is not None


@pytest.mark.parametrize("question", [
    "lệ phí đăng ký khai tử ở phường hết bao nhiêu tiền",
    "dang ky ket hon muon thi bi phat bao nhieu tien",
    "không khai báo tạm trú bị phạt bao nhiêu tiền",
    "Mức xử phạt hành vi tảo hôn hiện nay là bao nhiêu?",              # the question word far from "phạt"
    "đổi thẻ căn cước khi hết hạn thì lệ phí là bao nhiêu tiền",      # the article says a fee is due, not its sum
    "giá đất bồi thường khi nhà nước thu hồi ở phường năm nay bao nhiêu 1 m2",
])
def test_a_sum_of_money_no_article_states_is_not_answered_with_a_citation(question):
    answer = ask(question)
    assert refused(answer, "Số tiền cụ thể", COUNTER)


@pytest.mark.parametrize("question, document, article", [
    ("trợ cấp hưu trí xã hội mỗi tháng được bao nhiêu tiền", "176/2025/NĐ-CP", 3),   # the article states the sum
    ("tiền cấp dưỡng nuôi con mỗi tháng bao nhiêu", "52/2014/QH13", 116),             # people ask it money questions
    ("đăng ký biến động đất đai trong thời hạn bao nhiêu ngày", "31/2024/QH15", 133),  # "biến động ... bao nhiêu ngày"
])
def test_an_article_that_answers_how_much_is_still_cited(question, document, article):
    answer = ask(question)
    assert answer.citation and (answer.citation["document"], answer.citation["article"]) == (document, article)


@pytest.mark.parametrize("question", [
    "muốn sửa nhà lên 4 tầng thì xin giấy phép xây dựng ở đâu",
    "nghia vu quan su nam nay goi may tuoi",
    "di lam tu do thi dong bhxh tu nguyen o dau",
    "mua xe cũ muốn sang tên xe thì làm ở phường được không",
    "làm hộ chiếu phổ thông lần đầu mất bao lâu",
    "bán nhà phải nộp thuế bao nhiêu phần trăm",
    "xin phiếu lý lịch tư pháp để đi xin việc ở đâu",
    "bo me mat khong de lai di chuc thi chia thua ke the nao",
    "tiêm phòng cho trẻ sơ sinh ở trạm y tế phường lịch thế nào",
    "bị thổi nồng độ cồn đi xe máy phạt thế nào",
])
def test_a_topic_no_registered_document_covers_gets_no_citation(question):
    answer = ask(question)
    assert refused(answer, "nằm ngoài các văn bản", COUNTER)


def test_no_outside_phrase_is_a_topic_people_are_answered_on():
    from bot.legal.search import syllables

    said = [" " + " ".join(syllables(q)) + " " for g in LAW.index.guides.values() for q in g.questions + g.keywords]
    said += [" " + " ".join(syllables(a.heading)) + " " for a in LAW.index.articles]
    assert LAW.outside, "outside.yml is read"
    assert [p for p in LAW.outside if any(f" {p} " in s for s in said)] == []


@pytest.mark.parametrize("question, said", [
    ("chuyển mục đích sử dụng đất phải nộp mấy % tiền sử dụng đất", "Tỷ lệ phần trăm"),
    ("diện tích tối thiểu để tách thửa đất ở tại phường là bao nhiêu m2", "Diện tích cụ thể"),
    ("mức chuẩn trợ giúp xã hội hiện nay là bao nhiêu đồng một tháng", "76/2024/NĐ-CP"),
])
def test_a_figure_the_article_does_not_state_or_a_later_text_may_have_changed_is_not_quoted(question, said):
    answer = ask(question)
    assert refused(answer, said, COUNTER)


def test_a_percentage_the_article_states_is_still_quoted():
    answer = ask("bầu hòa giải viên ở tổ dân phố cần bao nhiêu phần trăm hộ gia đình đồng ý")
    assert answer.citation is not None and answer.citation["document"] == "35/2013/QH13"


def test_a_provincial_decision_number_not_in_the_register_is_said_unknown():
    answer = ask("Quyết định 999/QĐ-UBND của tỉnh về thù lao hòa giải viên quy định bao nhiêu?")
    assert refused(answer, "999/QĐ-UBND")


def test_a_sum_confirmed_from_a_named_article_of_an_outdated_text_is_not_quoted():
    answer = ask("Mức chuẩn trợ giúp xã hội vẫn là 360.000 đồng/tháng theo khoản 2 Điều 4 NĐ 20/2021 đúng không?")
    assert refused(answer, "76/2024/NĐ-CP")


@pytest.mark.parametrize("question", [
    "gia đình tôi có bao nhiêu người thì được tách hộ",   # "gia đình", not a price
    "làm căn cước lần đầu có mất tiền không",              # yes/no: the article answers it
])
def test_questions_that_ask_no_sum_are_still_answered(question):
    assert ask(question).citation is not None


def test_a_sum_asked_to_be_confirmed_from_an_outdated_text_is_not_quoted():
    answer = ask("mức chuẩn trợ giúp xã hội 360 nghìn, mẹ em hệ số 2 thì được 720 nghìn đúng không")
    assert refused(answer, "76/2024/NĐ-CP")


@pytest.mark.parametrize("question", [
    "Quyết định của UBND tỉnh Quảng Ninh quy định mức chuẩn trợ giúp xã hội trên địa bàn tỉnh năm 2026 là bao nhiêu?",
    "Quảng Ninh có hỗ trợ thêm tiền cho người hưởng trợ cấp hưu trí xã hội không, thêm bao nhiêu một tháng?",
    "Đơn giá bồi thường cây keo khi thu hồi đất rừng ở Quảng Ninh năm nay là bao nhiêu một cây?",
])
def test_the_provinces_own_texts_and_amounts_are_not_quoted_from_national_ones(question):
    answer = ask(question)
    assert refused(answer, "của tỉnh", COUNTER)


def test_a_sum_asked_at_the_end_needs_an_article_that_states_one():
    answer = ask("luong cong chuc tu phap ho tich phuong bac 1 hien nay la bao nhieu")
    assert refused(answer, "Số tiền cụ thể")


def test_the_article_that_states_the_sum_is_quoted_over_the_decrees_scope():
    answer = ask("Mức trợ cấp hưu trí xã hội hằng tháng hiện nay theo Nghị định 176/2025 là bao nhiêu?")
    assert answer.citation and (answer.citation["document"], answer.citation["article"]) == ("176/2025/NĐ-CP", 3)
    assert "500.000 đồng" in answer.text


@pytest.mark.parametrize("question", [
    "người khuyết tật nặng được hưởng hệ số trợ cấp bao nhiêu",   # a coefficient, not a sum
    "hộ thiếu đói dịp tết thì được hỗ trợ gạo bao nhiêu",          # kilograms of rice
])
def test_a_figure_that_is_not_money_is_still_answered(question):
    assert ask(question).citation is not None


@pytest.mark.parametrize("question", [
    "ho so xin tro cap cua me toi nop o phuong thang 8 da duoc duyet chua",
    "so quyen so trang dang ky ket hon cua vo chong toi nam 2010, tra giup duoc khong",
    "Đơn khiếu nại của tôi gửi phường tuần trước đã được thụ lý chưa?",
    "don khieu nai cua toi nop hom 10/11 ve viec boi thuong dat da duoc chu tich phuong thu ly chua",
])
def test_one_persons_dossier_or_record_is_not_answered_from_the_law(question):
    answer = ask(question)
    assert refused(answer, COUNTER)


def test_when_ones_own_complaint_must_be_taken_up_is_still_answered_from_the_law():
    answer = ask("đơn khiếu nại của tôi nộp ở phường thì trong bao lâu phải được thụ lý")
    assert answer.citation is not None and answer.citation["document"] == "02/2011/QH13"


@pytest.mark.parametrize("question, quoted", [
    ("con tôi sinh năm 2020, đăng ký vào lớp 1 trường tiểu học ở phường cần hồ sơ gì", False),  # no disability named
    ("con em bị khiếm thính, 8 tuổi mới vào lớp 1 thì trường có được từ chối không", True),
])
def test_the_law_on_people_with_disabilities_answers_only_questions_about_them(question, quoted):
    answer = ask(question)
    cited = answer.citation is not None and answer.citation["document"] == "51/2010/QH12"
    assert cited == quoted


def test_a_register_entry_with_a_malformed_group_is_refused(tmp_path):
    import shutil

    from bot.legal.register import RegisterError, load_register

    source = Path(__file__).resolve().parent.parent / "data" / "legal" / "register.yml"
    target = tmp_path / "register.yml"
    shutil.copy(source, target)
    target.write_text(target.read_text(encoding="utf-8").replace("  about: [khuyết tật,", "  about: khuyết tật\n  x: [", 1),
                      encoding="utf-8")
    with pytest.raises(RegisterError, match="about"):
        load_register(target)


@pytest.mark.parametrize("question, topic", [
    # none of the topic's phrases is named: its people's questions outrank every article
    ("bị lừa mất tiền qua mạng thì trình báo ở đâu", "lừa đảo"),
    ("chơi họ bị vỡ họ, chủ họ bỏ trốn thì kiện ở đâu", "hụi"),
    ("dang ky ket hon xong thi dc nghi lam may ngay huong nguyen luong", "lao động"),
])
def test_a_question_that_reads_like_a_topic_outside_the_register_is_not_quoted(question, topic):
    answer = ask(question)
    assert refused(answer, "nằm ngoài các văn bản", topic, COUNTER)


def test_a_topic_phrase_does_not_silence_an_article_that_answers_far_better():
    # "xuất khẩu lao động" is a topic outside the register, but the question is the residence law's
    answer = ask("tôi đi xuất khẩu lao động 2 năm thì có bị xóa đăng ký thường trú không")
    assert answer.citation is not None
    assert (answer.citation["document"], answer.citation["article"]) == ("68/2020/QH14", 24)


def test_a_lookup_phrase_is_never_answered_with_an_article():
    # the office's own records: however well an article scores, only the office can look it up
    answer = ask("số quyển, số trang đăng ký kết hôn của bố mẹ tôi năm 1995 là bao nhiêu, tra giúp được không")
    assert refused(answer, COUNTER)


def test_no_outside_phrase_shrinks_to_one_syllable_without_its_stop_words():
    # phrases are compared without stop words: "chó cắn" would shrink to "can" and silence "căn cước"; a one-word
    # phrase ("visa") stays one word
    import yaml

    from bot.legal.search import syllables

    written = [p for t in yaml.safe_load((SETTINGS.legal_dir / "outside.yml").read_text(encoding="utf-8"))["topics"]
               for p in t.get("phrases") or []]
    assert written, "outside.yml has phrases"
    assert [p for p in written if len(syllables(p)) < min(2, len(p.split()))] == []


def test_a_refusal_about_a_named_procedure_offers_that_procedure():
    """"gia đình được hưởng chế độ gì" about a catalogue procedure: the law gives no citation, and the citizen is shown
    the ward's procedure with its buttons (how to, papers, fee) instead of the counter alone."""
    from bot.legal.answers import pointing_to
    from tests.legal_asking import PROCEDURES

    security = next(p for p in PROCEDURES.values() if p.code == "1.012538")
    answer = ask("Bố em là tổ viên tổ bảo vệ an ninh trật tự ở cơ sở, chưa đóng bảo hiểm xã hội, đi tuần đêm bị tai nạn "
                 "mất, gia đình được hưởng chế độ gì")
    pointed = pointing_to(answer, security)
    assert refused(pointed, COUNTER, security.name)
    assert pointed.procedure_id == security.id
    assert [b["payload"].split("{")[0] for b in pointed.buttons] == ["/ask_procedure", "/ask_documents", "/ask_fee"]
    assert all(security.id in b["payload"] for b in pointed.buttons)


def test_a_cited_answer_is_not_given_a_procedure_it_did_not_link():
    from bot.legal.answers import pointing_to
    from tests.legal_asking import PROCEDURES

    cited = ask("sinh con bao lâu thì phải đi làm giấy khai sinh")
    assert cited.citation is not None
    other = next(p for p in PROCEDURES.values() if p.code == "1.012538")
    assert pointing_to(cited, other) == cited
