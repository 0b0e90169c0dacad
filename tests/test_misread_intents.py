"""Questions about a procedure that the classifier takes for something else get that procedure's answer (session 9).

The aspect rule (``nlu.components.AspectClassifier``) reads the question's own words when the classifier guessed a
dossier's progress, the level-2 e-ID walk-through, or nothing at all, while the message names a procedure: the citizen
sees the procedure's answer, not a request for a dossier code or the wrong walk-through. These need the trained model.
"""

from __future__ import annotations

import pytest

from tests.conftest import say


@pytest.mark.parametrize("text, said", [
    ("giấy phép xây dựng sắp hết hạn mà chưa khởi công thì gia hạn thế nào", "Gia hạn giấy phép xây dựng"),
    ("giay phep xay dung sap het han ma chua khoi cong thi gia han the nao", "Gia hạn giấy phép xây dựng"),
])
async def test_a_how_question_about_a_procedure_is_not_taken_for_a_dossier_lookup(assistant, user, text, said):
    reply = await say(assistant, user, text)
    assert said in reply and "mã hồ sơ" not in reply


async def test_a_dossiers_progress_is_still_looked_up(assistant, user):
    reply = await say(assistant, user, "hồ sơ xin phép xây dựng của em đến đâu rồi")
    assert "mã hồ sơ" in reply


async def test_locking_the_e_id_is_answered_as_its_own_procedure_not_the_level_2_walk_through(assistant, user):
    reply = await say(assistant, user, "dien thoai bi mat, so lo vneid, muon khoa can cuoc dien tu thi lam sao")
    assert "Kích hoạt từng bước" not in reply and "khóa" in reply.lower()


async def test_a_procedure_handled_elsewhere_is_named_with_who_handles_it_even_when_the_classifier_was_unsure(assistant, user):
    reply = await say(assistant, user, "hộ chiếu đã báo mất rồi nhưng tìm lại được, khôi phục thế nào")
    assert "hộ chiếu" in reply.lower() and "Công an tỉnh" in reply


async def test_where_to_do_a_named_procedure_is_its_place_not_the_office_hours(assistant, user):
    # the classifier may take "… xin phép ở đâu" for the service centre's own question (ask_counter); without "quầy"
    # the question asks where the named procedure is done (retired set v17, session 10)
    reply = await say(assistant, user, "Tôi có 500m2 đất vườn, muốn chuyển một phần sang đất ở để xây nhà thì xin phép ở đâu?")
    assert "chuyển mục đích" in reply.lower() and "Nơi nộp" in reply and "Quầy" not in reply


async def test_a_procedure_question_taken_for_a_complaint_gets_the_procedure(assistant, user):
    # the classifier may take a story with a wish ("rễ làm nứt nền nhà, muốn chặt") for a complaint (feedback); the
    # message names a catalogue procedure and asks whether one may: its how-to answers (read sets v4-v17, session 10)
    reply = await say(assistant, user, "Cây bàng ngoài vỉa hè trước cửa nhà tôi to quá, rễ làm nứt nền nhà, muốn chặt đi có được không?")
    assert "cây xanh" in reply.lower() and "góp ý" not in reply.lower() and "phản ánh" not in reply.lower()


async def test_a_birth_question_naming_an_unregistered_marriage_is_not_a_dossier_lookup(assistant, user):
    # "chưa đăng ký kết hôn" read as "kẹt" (stuck), a dossier's progress word, once diacritics are gone (retired v19)
    reply = await say(assistant, user, "bọn em chưa đăng ký kết hôn mà có con rồi, giờ làm giấy khai sinh cho con có tên bố luôn được không")
    assert "mã hồ sơ" not in reply and "khai sinh" in reply.lower()


async def test_a_law_question_the_law_cannot_answer_offers_the_procedure_it_names(assistant, user):
    """Taken for a law question and the register holds no text on it: the citizen still gets the ward's procedure,
    with its buttons, not only "ask at the counter" (session 12)."""
    reply = await say(assistant, user, "chong toi o to bao ve an ninh trat tu co so, di tuan dem bi tai nan mat, chua "
                                       "dong bao hiem xa hoi, gia dinh duoc huong che do gi")
    assert "Giải quyết chế độ, chính sách cho người tham gia lực lượng" in reply
    assert "Giấy tờ cần nộp" in reply


@pytest.mark.parametrize("text, said", [
    ("Luật Hộ tịch 60/2014 còn hiệu lực không", "có hiệu lực từ 01/1/2016"),  # taken for the officials' review
    ("nghi dinh 20/2021 con ap dung ko", "Nghị định 20/2021/NĐ-CP có hiệu lực từ 01/7/2021"),  # no intent at all
    ("luat dat dai 2013 con hieu luc khong", "không có Luật Đất đai năm 2013"),  # taken for a procedure's legal basis
])
async def test_a_citizen_asking_whether_a_law_is_in_force_gets_the_registers_answer(assistant, user, text, said):
    reply = await say(assistant, user, text)
    assert said in reply and "Em chưa làm được việc này" not in reply


async def test_a_citizen_asking_whether_it_is_in_force_without_naming_a_law_is_asked_which(assistant, user):
    reply = await say(assistant, user, "còn hiệu lực không")
    assert "văn bản nào" in reply and "Em chưa làm được việc này" not in reply


async def test_a_citizen_asking_for_the_officials_review_is_still_refused(assistant, user):
    reply = await say(assistant, user, "rà soát căn cứ pháp lý các thủ tục")
    assert "Em chưa làm được việc này" in reply


@pytest.mark.parametrize("text, said", [
    ("muon mo doanh nghiep tu nhan thi dang ky o dau, phuong co nhan khong", "Cơ quan đăng ký kinh doanh"),
    ("Em mới đi làm, công ty bảo tự đăng ký mã số thuế cá nhân, phường có làm không ạ?", "Cơ quan thuế"),
])
async def test_asking_whether_the_ward_does_something_it_does_not_names_who_does(assistant, user, text, said):
    """"… phường có làm không" about a procedure handled elsewhere asks where, not the ward's opening hours."""
    reply = await say(assistant, user, text)
    assert said in reply and "không nộp tại phường" in reply


async def test_the_wards_address_is_not_taken_for_a_sick_leave_benefit(assistant, user):
    """"phường ở đâu" once matched "hưởng ốm đau" as a typo (session 12)."""
    reply = await say(assistant, user, "Địa chỉ UBND phường ở đâu ạ?")
    assert "ốm đau" not in reply and "Bảo hiểm xã hội" not in reply
