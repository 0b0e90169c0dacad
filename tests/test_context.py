"""What carries over from one message to the next: the last procedure for a follow-up only, and a correction
that names the procedure meant switches to it, answering what was asked before."""

import pytest
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.training_data.message import Message

from actions.procedure_info import is_follow_up, other_subject
from nlu.components import CorrectionClassifier, NamedProcedureClassifier
from nlu.corrections import is_correction
from tests.conftest import say

FOLLOW_UPS = ["thế hết bao nhiêu tiền?", "mất mấy ngày?", "cần giấy tờ gì", "thế nộp ở đâu", "theo luật nào",
              "the het bao nhieu tien", "mat may ngay", "can giay to gi a", "có mẫu tờ khai không"]
OTHER_SUBJECTS = [
    "tóm tắt tình hình giải quyết hồ sơ tháng này",
    "nghị định 118/2025 quy định gì về một cửa",
    "tom tat tinh hinh giai quyet ho so thang nay",
    "nghi dinh 118/2025 quy dinh gi ve mot cua",
    "thông tư 04/2020 nói gì",
    "làm hộ chiếu mất bao lâu",
    "hồ sơ 000.00.12.H49-251120-0031 mất mấy ngày",
    "báo cáo số hồ sơ trễ hạn tuần này",
]
CORRECTIONS = [
    ("ý tôi là đăng ký khai tử", "Đăng ký khai tử"),
    ("không phải, khai tử cơ", "Đăng ký khai tử"),
    ("ko phai, y toi la lam cccd", "Cấp thẻ căn cước"),
    ("y toi la dang ky khai tu", "Đăng ký khai tử"),
    ("nhầm, tôi hỏi đăng ký tạm trú", "Đăng ký tạm trú"),
]


@pytest.mark.parametrize("text", FOLLOW_UPS)
def test_a_short_question_about_an_aspect_is_a_follow_up(text):
    assert is_follow_up(text)


@pytest.mark.parametrize("text", OTHER_SUBJECTS)
def test_a_message_about_something_else_is_no_follow_up(text):
    assert not is_follow_up(text)


def test_other_subjects_are_named():
    assert other_subject("nghị định 118/2025 quy định gì về một cửa") == "legal"
    assert other_subject("tóm tắt tình hình giải quyết hồ sơ tháng này") == "report"
    assert other_subject("hồ sơ 000.00.12.H49-251120-0031 thế nào") == "dossier"
    assert other_subject("thế hết bao nhiêu tiền?") is None


@pytest.mark.parametrize("text", [text for text, _ in CORRECTIONS] + ["không phải", "nhầm rồi, ý tôi là khai sinh"])
def test_corrections_are_recognised(text):
    assert is_correction(text)


QUESTIONS = ["đăng ký khai tử cần gì", "có phải nộp lệ phí không", "thế hết bao nhiêu tiền?",
             "cho tôi hỏi đăng ký khai sinh cần gì", "cho em hoi lam cccd o dau a",
             "em khai nhầm tên trong giấy khai sinh thì sửa sao"]


@pytest.mark.parametrize("text", QUESTIONS)
def test_questions_are_no_corrections(text):
    assert not is_correction(text)


def _classified(text, intent, procedure=True):
    message = Message(data={"text": text, "intent": {"name": intent, "confidence": 0.97},
                            "intent_ranking": [{"name": intent, "confidence": 0.97}, {"name": "ask_procedure", "confidence": 0.02}],
                            "entities": [{"entity": "procedure", "value": "khai_tu"}] if procedure else []})
    CorrectionClassifier().process([message])
    FallbackClassifier({**FallbackClassifier.get_default_config(), "threshold": 0.45, "ambiguity_threshold": 0.05}).process([message])
    return message.get("intent")["name"], message.get("intent_ranking")[0]["name"]


@pytest.mark.parametrize("text", [text for text, _ in CORRECTIONS])
def test_a_correction_naming_a_procedure_asks_about_it_whatever_the_classifier_guessed(text):
    assert _classified(text, "bot_challenge") == ("ask_procedure", "ask_procedure")


def test_a_correction_naming_nothing_and_a_question_keep_their_intent():
    assert _classified("không phải", "deny", procedure=False) == ("deny", "deny")
    assert _classified("cho tôi hỏi đăng ký khai tử cần gì", "ask_documents") == ("ask_documents", "ask_documents")


def test_the_fallback_does_not_take_a_correction_for_an_ambiguous_guess():
    message = Message(data={"text": "ý tôi là đăng ký khai tử", "intent": {"name": "bot_challenge", "confidence": 0.98},
                            "intent_ranking": [{"name": "bot_challenge", "confidence": 0.98}],
                            "entities": [{"entity": "procedure", "value": "dang-ky-khai-tu"}]})
    CorrectionClassifier().process([message])
    FallbackClassifier({**FallbackClassifier.get_default_config(), "threshold": 0.45, "ambiguity_threshold": 0.05}).process([message])
    assert message.get("intent")["name"] == "ask_procedure"


def _unsure(ranking, procedure=True):
    """The pipeline's last two steps on a message the classifier is unsure of (``ranking``: its guesses)."""
    message = Message(data={"text": "lam giay chung tu cho me o dau", "intent": dict(ranking[0]), "intent_ranking": ranking,
                            "entities": [{"entity": "procedure", "value": "dang-ky-khai-tu"}] if procedure else []})
    FallbackClassifier({**FallbackClassifier.get_default_config(), "threshold": 0.45, "ambiguity_threshold": 0.05}).process([message])
    NamedProcedureClassifier().process([message])
    return message.get("intent")["name"]


def test_an_unsure_question_that_names_a_procedure_keeps_the_classifiers_guess():
    assert _unsure([{"name": "ask_where", "confidence": 0.31}, {"name": "ask_procedure", "confidence": 0.22}]) == "ask_where"
    # two close guesses (ambiguous) about the procedure: the first stands
    assert _unsure([{"name": "ask_documents", "confidence": 0.5}, {"name": "ask_procedure", "confidence": 0.48}]) == "ask_documents"


def test_an_unsure_message_about_something_else_or_naming_nothing_still_falls_back():
    assert _unsure([{"name": "check_dossier", "confidence": 0.3}, {"name": "ask_where", "confidence": 0.2}]) == "nlu_fallback"
    assert _unsure([{"name": "ask_where", "confidence": 0.3}], procedure=False) == "nlu_fallback"
    assert _unsure([{"name": "ask_where", "confidence": 0.9}]) == "ask_where"  # a sure guess is not touched


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("text", FOLLOW_UPS[:5])
async def test_a_follow_up_is_answered_about_the_last_procedure(assistant, user, text):
    assert "Đăng ký kết hôn" in await say(assistant, user, "đăng ký kết hôn cần giấy tờ gì")
    reply = await say(assistant, user, text)
    assert "📋 Đăng ký kết hôn" in reply, reply


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("text", OTHER_SUBJECTS)
async def test_another_subject_does_not_inherit_the_last_procedure(assistant, user, text):
    assert "Đăng ký kết hôn" in await say(assistant, user, "đăng ký kết hôn cần giấy tờ gì")
    replies = await assistant.handle(user, text)
    said = "\n".join(reply.text for reply in replies)  # the popular-choices buttons may offer kết hôn again
    assert "kết hôn" not in said.lower(), said
    assert "📋" not in said, said  # no catalogue answer about anything: it asks which procedure, or says it cannot


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("text, heading", CORRECTIONS)
async def test_a_correction_switches_to_the_procedure_meant_with_the_same_aspect(assistant, user, text, heading):
    first = await say(assistant, user, "lệ phí đăng ký kết hôn bao nhiêu")
    assert "📋 Đăng ký kết hôn" in first and "Lệ phí" in first
    reply = await say(assistant, user, text)
    assert f"📋 {heading}" in reply, reply
    assert "Lệ phí" in reply.split("\n")[1], reply  # the aspect asked before, not an overview
    assert "trợ lý ảo" not in reply


@pytest.mark.asyncio(loop_scope="session")
async def test_a_second_correction_keeps_the_aspect_of_the_question(assistant, user):
    await say(assistant, user, "đăng ký kết hôn mất mấy ngày")
    await say(assistant, user, "ý tôi là đăng ký khai sinh")
    reply = await say(assistant, user, "không phải, khai tử cơ")
    assert "📋 Đăng ký khai tử" in reply and "Thời hạn giải quyết" in reply.split("\n")[1], reply
