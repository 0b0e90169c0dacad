"""No citation for questions the register cannot answer (issue 11): a named passage a later text repealed, a kind of
document or a year the register does not hold, an amount of money no article states, a topic outside the register."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.catalogue.procedures import load_catalogue
from bot.legal.answers import answer_question, passage_asked
from bot.legal.library import Law
from bot.settings import Settings

SETTINGS = Settings.from_env(env={})
LAW = Law(SETTINGS.legal_dir)
PROCEDURES = load_catalogue(SETTINGS.catalogue_dir)
DAY = dt.date(2026, 11, 28)


def ask(question: str, day: dt.date = DAY):
    return answer_question(LAW, question, day, procedures=PROCEDURES)


@pytest.mark.parametrize("text, passage", [
    ("theo điểm b khoản 5 Điều 5 Nghị định 20/2021", (5, "b")),
    ("diem c khoan 5 dieu 5 nd 20/2021", (5, "c")),   # "c" is a point, not "chị"
    ("khoản 2 Điều 4 NĐ 20/2021", (2, None)),
    ("Điều 5 Nghị định 20/2021", None),
])
def test_the_passage_a_question_names_is_read(text, passage):
    assert passage_asked(text) == passage


@pytest.mark.parametrize("question", [
    "Theo điểm b khoản 5 Điều 5 Nghị định 20/2021/NĐ-CP thì người cao tuổi nào được trợ cấp?",
    "diem c khoan 5 dieu 5 nd 20/2021 quy dinh nguoi cao tuoi nao duoc huong tro cap",
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
