"""The aspect a procedure question asks (nlu/aspect.py): read from the question, not from the story before it.

These are the answers a citizen notices: asked "giờ sửa thế nào" after a story that mentions the ward, they get the
steps, not the ward's address; asked where to get a form, they get the form.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu.aspect import ASPECTS, aspect
from nlu.normalize import strip_diacritics

STORY_QUESTIONS = [
    # the story names the ward, papers or money; the question asks something else
    ("Con tôi làm khai sinh ở phường năm ngoái, giấy ghi sai tên đệm, giờ sửa thế nào?", "ask_procedure"),
    ("Nhà tôi nợ tiền sử dụng đất, nay trả xong rồi, muốn xóa nợ trên sổ thì phải làm gì?", "ask_procedure"),
    ("Bố tôi mất tuần trước ở bệnh viện tỉnh, giấy báo tử có rồi, khai tử ở đâu ạ?", "ask_where"),
    ("mẹ e ốm nằm 1 chỗ, muốn làm giấy ủy quyền cho e, chứng thực mất bao lâu", "ask_processing_time"),
    ("Em mở tiệm may nhỏ ở nhà, đăng ký hộ kinh doanh cần giấy tờ gì, có cần hợp đồng thuê nhà không?", "ask_documents"),
    ("Cho hỏi làm lại cà vẹt xe bị mất thì tốn bao nhiêu tiền", "ask_fee"),
    ("Tờ khai đăng ký thường trú lấy ở đâu, tải trên mạng được không?", "ask_form"),
    ("Thủ tục nhận con nuôi trong nước căn cứ luật nào vậy ad", "ask_legal"),
    ("Con đi học xa, đăng ký tạm trú làm online trên VNeID được không?", "ask_where"),
    ("Nhà em ở đầu ngõ, đất chưa có sổ, giờ muốn làm sổ thì làm thế nào?", "ask_procedure"),
    ("Ông tôi hưởng trợ cấp, mất rồi, gia đình có được hỗ trợ chi phí mai táng không?", "ask_procedure"),
    ("Nhà chưa có giấy tờ gì về đất, ông bà để lại từ xưa, giờ làm sao?", "ask_procedure"),
    ("Tôi già yếu rồi, muốn thôi làm tổ trưởng tổ hòa giải", "ask_procedure"),  # a want, no question
    ("Cháu ở quê lên chơi, ngủ lại mấy hôm thì có phải báo công an không?", "ask_procedure"),  # the story's days
    ("Sao y bằng đại học thì lấy luôn được không?", "ask_processing_time"),
    ("Luật nào quy định đăng ký tạm trú vậy ad?", "ask_legal"),
    # session 9: papers asked as "có phải nộp … không" / "gồm những gì"; a place as "ở ubnd phường được không"
    ("Nhận cha cho con thì có phải nộp kết quả xét nghiệm ADN không?", "ask_documents"),
    ("Hòa giải viên bị thương khi đi hòa giải, hồ sơ xin hỗ trợ gồm những gì?", "ask_documents"),
    ("Giấy từ chối nhận di sản chứng thực ở ubnd phường được không hay phải ra công chứng?", "ask_where"),
    # the form named in the clause before the question ("…, tải ở đâu"), or "theo mẫu", "điền phiếu nào"
    ("Giấy đề nghị đăng ký hộ kinh doanh có mẫu sẵn không, tải ở đâu?", "ask_form"),
    ("Thôi làm hòa giải viên có phải viết đơn theo mẫu không?", "ask_form"),
    ("Muốn thêm thông tin bảo hiểm vào thẻ căn cước thì phải điền phiếu nào?", "ask_form"),
    ("Sinh con ở bệnh viện huyện, làm giấy khai sinh ở phường hay ở bệnh viện?", "ask_where"),
    ("Nộp hồ sơ rồi mà đổi ý, rút hồ sơ lại được không?", "ask_procedure"),
    ("Ghi chú ly hôn thì có cần bản án đã hợp pháp hóa lãnh sự không?", "ask_documents"),
    # "chưa bao giờ" (never) asks no time; "văn bản" asked as a paper to bring is a document, not a law (session 10)
    ("Bà tôi chưa bao giờ có giấy khai sinh, giờ muốn làm thì làm thế nào?", "ask_procedure"),
    ("Xin điều chỉnh quyết định giao đất thì cần có văn bản gì?", "ask_documents"),
    ("Nhận cha cho con có cần văn bản đồng ý của mẹ cháu không?", "ask_documents"),
    # "tiền viện phí" is a benefit asked for, not a fee; legalisation is a paper to bring
    ("Tổ viên an ninh bị thương khi đi tuần, chưa có bảo hiểm y tế, có được hỗ trợ tiền viện phí không?", "ask_procedure"),
    ("Ghi chú ly hôn ở nước ngoài có cần hợp pháp hóa lãnh sự bản án không?", "ask_documents"),
    # "giấy khai sinh … lấy được" is the result, not the declaration form ("giấy khai"); "có phải trả tiền" a fee
    ("Con tôi sinh được 20 ngày, làm giấy khai sinh bao lâu thì lấy được?", "ask_processing_time"),
    ("Cập nhật thông tin ADN vào căn cước thì có phải trả tiền không?", "ask_fee"),
    ("Ông tôi không có giấy tờ quốc tịch gì, có làm được giấy chứng nhận căn cước không?", "ask_procedure"),
    ("Nhận cha cho con thì cần chứng cứ gì?", "ask_documents"),
    ("Muốn nhờ tổ hòa giải giải quyết chuyện lối đi chung thì viết đơn thế nào?", "ask_form"),
    ("Chứng thực chữ ký người dịch quy định tại văn bản nào?", "ask_legal"),
    # retired v19 (session 10): a request form got where, a price per page, an app, "phường có cấp không", a benefit
    ("Giấy đề nghị hỗ trợ mai táng lấy ở đâu ạ?", "ask_form"),
    ("Chứng thực bản sao bằng đại học hết bao nhiêu 1 trang?", "ask_fee"),
    ("Khách đến ở thì thông báo lưu trú qua ứng dụng nào?", "ask_where"),
    ("Em cần giấy xác nhận cư trú, phường có cấp không?", "ask_where"),
    ("Hòa giải viên bị thương khi đi hòa giải thì được hỗ trợ gì?", "ask_procedure"),
    ("Giấy khai sinh bỏ trống quê quán, giờ bổ sung vào được không?", "ask_procedure"),
    # session 12: in person or online; "căn cứ quy định nào"; what to write in a request; the sums to pay; papers to
    # show; an obligation ("có bắt buộc … không"), and papers one must have ("bắt buộc phải có kết quả ADN")
    ("Sửa quê quán thì phải ra công an phường hay làm online được?", "ask_where"),
    ("Thông báo lưu trú làm qua app được không hay phải lên công an?", "ask_where"),
    ("Giấy xác nhận khuyết tật nộp ở phường phải không ạ?", "ask_where"),
    ("Công an phường có cấp lại cà vẹt xe không?", "ask_where"),
    ("Xác định lại dân tộc thì căn cứ quy định nào?", "ask_legal"),
    ("Văn bản đề nghị cung cấp thông tin cần ghi những gì?", "ask_form"),
    ("Khai tử lưu động thì tờ khai có phải điền sẵn trước không?", "ask_form"),
    ("Làm sổ đỏ lần đầu phải nộp những khoản tiền gì?", "ask_fee"),
    ("Chứng thực chữ ký người dịch thì phải xuất trình bằng cấp gì?", "ask_documents"),
    ("Chuyển hộ khẩu đi tỉnh khác thì có bắt buộc đổi đăng ký xe không?", "ask_procedure"),
    ("Nhận cha con có bắt buộc phải có kết quả xét nghiệm ADN không?", "ask_documents"),
]


@pytest.mark.parametrize("text, expected", STORY_QUESTIONS)
def test_the_question_decides_the_aspect(text: str, expected: str) -> None:
    assert aspect(text) == expected


@pytest.mark.parametrize("text, expected", STORY_QUESTIONS)
def test_typed_without_diacritics_the_aspect_is_the_same(text: str, expected: str) -> None:
    assert aspect(strip_diacritics(text)) == expected


@pytest.mark.parametrize("text", [
    "",
    "chào em",
    "Làm ở đâu, mất bao nhiêu tiền?",  # two aspects: the classifier decides
    "😀😀😀",
    "làm cccd đến quầy nào",  # the service centre's counter: ask_counter, not a place of the procedure
    "<script>alert(1)</script>",
    "'; DROP TABLE procedures; --",
])
def test_no_cue_or_two_aspects_leave_it_to_the_classifier(text: str) -> None:
    assert aspect(text) is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gets_an_aspect_or_none(text: str) -> None:
    assert aspect(text) in ASPECTS + (None,)


@settings(max_examples=100, deadline=None)
@given(story=st.sampled_from([
    "Nhà tôi ở phường Mông Dương, có sổ hộ khẩu cũ và tiền tiết kiệm.",
    "Tôi có đủ giấy tờ rồi, cán bộ phường bảo mẫu mới.",
    "",
]), question=st.sampled_from(STORY_QUESTIONS))
def test_a_story_before_the_question_changes_nothing(story: str, question: tuple) -> None:
    text, expected = question
    assert aspect(f"{story} {text}".strip()) == expected


@pytest.mark.parametrize("text", [
    "sinh con trong bao lâu phải đi khai sinh",
    "bố mất thì trong bao lâu phải đi khai tử",
    "nguoi nha mat bao lau thi phai bao tu",
])
def test_a_citizens_deadline_is_never_the_offices_processing_time(text: str) -> None:
    assert aspect(text) != "ask_processing_time"
