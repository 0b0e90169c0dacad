"""End to end through the conversation engine that `motcua ask` and every channel use:
the trained model, the custom actions and a real SQLite database."""

import json
import re
from pathlib import Path

import pytest
import yaml

from bot.conversation.engine import MAX_CHARS, TOO_LONG
from bot.phrases import EMPTY_MESSAGE_REPLY
from tests.conftest import say

pytestmark = pytest.mark.asyncio(loop_scope="session")

ROOT = Path(__file__).resolve().parent.parent
RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
ASK_AGAIN = RESPONSES["utter_default"][0]["text"]          # "Em chưa hiểu rõ ý anh/chị. ... hỏi lại ...?"
OUT_OF_SCOPE = RESPONSES["utter_out_of_scope"][0]["text"]
NO_ANSWER = "Em chưa có câu trả lời cho câu này; em đã ghi lại để cán bộ xem xét."  # the engine's reply to silence
CLEAR_FALLBACKS = {ASK_AGAIN, OUT_OF_SCOPE, NO_ANSWER}
CUT_NOTE = TOO_LONG.format(limit=MAX_CHARS)
KNOWN_PROCEDURES = ("dang-ky-khai-sinh", "dang-ky-ket-hon", "dang-ky-khai-tu", "dang-ky-thuong-tru", "dang-ky-tam-tru",
                    "chung-thuc-ban-sao-tu-ban-chinh")


def asks_back(reply, catalogue_ids) -> bool:
    """A reply a citizen can act on after a message the assistant could not place: one of the replies that say
    so, or a question offering procedures of the catalogue to choose from. Never a guessed procedure answer
    (those cite their "Nguồn:") and never anything else (a greeting, an error, an echo of the input)."""
    if "Nguồn:" in reply.as_text():
        return False
    if reply.text in CLEAR_FALLBACKS:
        return True
    choices = [re.fullmatch(r"/ask_procedure(\{.*\})", button["payload"]) for button in reply.buttons]
    return "?" in reply.text and bool(choices) and all(c and json.loads(c.group(1)).get("procedure") in catalogue_ids
                                                        for c in choices)


def name_in_file(procedure_id: str) -> str:
    """The procedure's name as written in data/procedures/<id>.yml."""
    return yaml.safe_load((ROOT / "data" / "procedures" / f"{procedure_id}.yml").read_text(encoding="utf-8"))["name"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("chào ad", "trợ lý ảo"),
        ("xin chào", "trợ lý ảo"),
        ("tạm biệt nhé", "Khi cần"),
        ("cảm ơn ạ", "không có gì"),
        ("bạn là người hay máy vậy", "trợ lý ảo (chatbot)"),
        ("bạn giúp được gì", "Hướng dẫn thủ tục"),
        ("bộ phận một cửa mở cửa mấy giờ", "Bộ phận Một cửa"),
        ("thời tiết hôm nay thế nào", "chỉ hỗ trợ các thủ tục hành chính"),
    ],
)
async def test_small_talk_and_office_questions(assistant, user, text, expected):
    assert expected in await say(assistant, user, text)


@pytest.mark.parametrize(
    "text, heading",
    [
        ("thủ tục đăng ký kết hôn thế nào", "Đăng ký kết hôn"),
        ("đăng ký khai sinh cần giấy tờ gì", "Giấy tờ cần chuẩn bị"),
        ("dang ky khai sinh can giay to gi", "Giấy tờ cần chuẩn bị"),
        ("lệ phí đăng ký kết hôn bao nhiêu", "Lệ phí"),
        ("đăng ký thường trú mất bao lâu", "Thời hạn giải quyết"),
        ("dang ky tam tru nop o dau", "Nơi nộp"),
        ("xin mẫu tờ khai đăng ký khai tử", "Mẫu đơn"),
        ("đăng ký kết hôn theo luật nào", "Căn cứ pháp lý"),
    ],
)
async def test_procedure_questions_are_answered_from_the_catalogue(assistant, user, text, heading):
    reply = await say(assistant, user, text)
    assert heading in reply
    assert "Nguồn:" in reply


async def test_eid_question_answers_about_level_2_identity(assistant, user):
    reply = await say(assistant, user, "làm định danh điện tử mức 2 như thế nào")
    assert "định danh điện tử" in reply.lower()


async def test_context_carries_over_to_the_next_question(assistant, user):
    first = await say(assistant, user, "đăng ký khai sinh cần gì")
    assert "Đăng ký khai sinh" in first
    follow_up = await say(assistant, user, "thế lệ phí bao nhiêu?")
    assert "Lệ phí" in follow_up and "Đăng ký khai sinh" in follow_up


async def test_ambiguous_procedure_offers_numbered_choices_then_second_one(assistant, user, store):
    reply = await say(assistant, user, "phí chứng thực bao nhiêu")
    assert "1." in reply and "2." in reply
    replies = await assistant.handle(user, "cái thứ hai, phí bao nhiêu?")
    second = replies[0].text
    assert "Lệ phí" in second
    offered = [line for line in reply.splitlines() if line.startswith("2. ")][0][3:]
    assert offered in second


async def test_button_payload_chooses_the_procedure(assistant, user):
    replies = await assistant.handle(user, "chứng thực")
    payloads = [b["payload"] for r in replies for b in r.buttons]
    assert payloads, "choices come with buttons"
    chosen = await say(assistant, user, payloads[0])
    assert "📋" in chosen


async def test_life_event_maps_to_the_procedure(assistant, user):
    reply = await say(assistant, user, "bố tôi vừa mất thì gia đình phải làm thủ tục gì")
    assert "khai tử" in reply.lower()


async def test_fee_answer_depends_on_the_date_of_the_question(assistant, user):
    during = await say(assistant, user, "lệ phí đăng ký thường trú bao nhiêu", as_of="2026-11-24")
    after = await say(assistant, user, "lệ phí đăng ký thường trú bao nhiêu", as_of="2027-03-01")
    assert "28/02/2027" in during
    assert "28/02/2027" not in after


async def test_check_dossier_asks_for_the_code_then_validates_it(assistant, user):
    asked = await say(assistant, user, "tra cứu hồ sơ")
    assert "mã hồ sơ" in asked
    wrong = await say(assistant, user, "mã là 12")
    assert "000.00.12.H49-251120-0031" in wrong  # explains what a code looks like
    found = await say(assistant, user, "000.00.12.H49-251120-0031")
    assert "Hồ sơ 000.00.12.H49-251120-0031" in found
    assert "Nguyễn Văn An" not in found and "An" in found  # the applicant's name is masked


async def test_check_dossier_with_code_in_one_message(assistant, user):
    reply = await say(assistant, user, "kiểm tra hồ sơ 000.00.12.H49-251121-0007 giúp em")
    assert "Đã trả kết quả" in reply


async def test_unknown_dossier_code_is_reported(assistant, user):
    reply = await say(assistant, user, "tra cứu hồ sơ 000.00.99.H99-990101-9999")
    assert "không tìm thấy" in reply


async def test_last_four_digits_unlock_the_details_of_a_dossier(assistant, user):
    masked = await say(assistant, user, "tra cứu hồ sơ 000.00.12.H49-261118-0012", as_of="2026-11-24")
    assert "Yêu cầu bổ sung hồ sơ" in masked and "4 số cuối" in masked and "Phạm Minh Châu" not in masked
    details = await say(assistant, user, "0012")
    assert "Phạm Minh Châu" in details and "Cần bổ sung: Giấy tờ chứng minh chỗ ở hợp pháp" in details


async def test_wrong_digits_are_counted_and_another_question_ends_the_wait(assistant, user):
    await say(assistant, user, "kiểm tra hồ sơ 000.00.12.H49-261120-0045")
    wrong = await say(assistant, user, "1234")
    assert "chưa khớp" in wrong and "Hoàng Thị Duyên" not in wrong
    assert "Đăng ký khai sinh" in await say(assistant, user, "đăng ký khai sinh cần gì")
    assert "Hoàng Thị Duyên" not in await say(assistant, user, "0045")  # no lookup is waiting any more


async def test_subscribe_and_unsubscribe_change_the_database(assistant, user, store):
    assert "đăng ký" in (await say(assistant, user, "đăng ký nhận thông báo")).lower()
    assert store.subscriptions.topics(user) == ["tips"]
    await say(assistant, user, "hủy nhận tin")
    assert store.subscriptions.topics(user) == []


async def test_feedback_and_handoff_are_recorded_for_officials(assistant, user, store):
    before = store.reviews.count("feedback"), store.reviews.count("handoff_requests")
    await say(assistant, user, "tôi muốn góp ý cán bộ làm việc chậm quá")
    await say(assistant, user, "cho tôi nói chuyện với cán bộ")
    assert (store.reviews.count("feedback"), store.reviews.count("handoff_requests")) == (before[0] + 1, before[1] + 1)


async def test_gibberish_gets_a_question_back_and_is_logged(assistant, user, store):
    before = store.reviews.count("unknown_messages")
    reply = await say(assistant, user, "qwzx plm brrt")
    assert reply == ASK_AGAIN  # asks to rephrase, with examples, and says it was noted; no guess at a procedure
    assert store.reviews.count("unknown_messages") == before + 1
    logged = store.db.execute("select text from unknown_messages where user_id = ?", [user]).fetchall()
    assert [row[0] for row in logged] == ["qwzx plm brrt"]


@pytest.mark.parametrize(
    "text, kind",
    [("", "empty"), ("   ", "empty"), ("\x00\x01\x02", "empty"), ("😀😀😀", "not understood"),
     ("<script>alert('x')</script>", "not understood"), ("'; DROP TABLE procedures; --", "not understood"),
     ("a" * 10000, "too long"), ("khai sinh " * 1000, "too long"), ("000.00.12.H49-251120-0031" * 3, "not understood")],
    ids=["empty", "spaces", "control", "emoji", "script", "sql", "10000 a", "khai sinh x1000", "code x3"],
)
async def test_bad_input_gets_a_clear_reply_and_breaks_nothing(assistant, user, store, text, kind):
    replies = await assistant.handle(user, text)
    ids = store.catalogue.ids()
    if kind == "empty":  # nothing readable: asked to type a question, with an example
        assert [r.as_text() for r in replies] == [EMPTY_MESSAGE_REPLY]
    elif kind == "too long":  # told it was cut, then answered (or asked back) on the part that was read
        assert len(replies) == 2 and replies[0].as_text() == CUT_NOTE
        assert asks_back(replies[1], ids) or "Đăng ký khai sinh" in replies[1].text, replies[1].as_text()[:300]
    else:  # not understood: says so and shows how to go on
        assert len(replies) == 1 and asks_back(replies[0], ids), [r.as_text() for r in replies]
    # nothing broke: every procedure file is still in the catalogue, the known ones as they were, and answered
    assert ids == store.catalogue.ids() == sorted(path.stem for path in (ROOT / "data" / "procedures").glob("*.yml"))
    assert [store.catalogue.procedure(pid).name for pid in KNOWN_PROCEDURES] == [name_in_file(p) for p in KNOWN_PROCEDURES]
    assert "Đăng ký khai sinh" in await say(assistant, user, "đăng ký khai sinh cần gì")


async def test_form_question_comes_with_a_word_guide_of_that_procedure(assistant, user):
    from bot.catalogue.documents import DOCX_MIME, docx_text

    replies = await assistant.handle(user, "cho xin mẫu tờ khai đăng ký kết hôn", {"as_of": "2026-11-24"})
    files = [a for r in replies for a in r.attachments]
    assert len(files) == 1 and files[0].mime_type == DOCX_MIME and files[0].filename.endswith(".docx")
    text = docx_text(files[0].content)
    assert "ĐĂNG KÝ KẾT HÔN" in text and "Tờ khai đăng ký kết hôn" in text
    assert "24/11/2026" in text
    no_files = await assistant.handle(user, "lệ phí bao nhiêu")
    assert not [a for r in no_files for a in r.attachments]
