"""The register as the legal tests ask it: the shipped law texts (data/legal), the catalogue, and the day the questions
are asked. Read once per test process and shared by the legal test modules."""

from __future__ import annotations

import datetime as dt

from bot.catalogue.procedures import load_catalogue
from bot.legal.answers import Answer, answer_question
from bot.legal.library import Law
from bot.settings import Settings

SETTINGS = Settings.from_env(env={})
LAW = Law(SETTINGS.legal_dir)
PROCEDURES = load_catalogue(SETTINGS.catalogue_dir)
DAY = dt.date(2026, 11, 28)
COUNTER = "Bộ phận Một cửa"  # every refusal sends the citizen to the counter


def ask(question: str, day: dt.date = DAY) -> Answer:
    """The assistant's answer to ``question`` on ``day``, as a citizen gets it."""
    return answer_question(LAW, question, day, procedures=PROCEDURES)


def refused(answer: Answer, *said: str) -> bool:
    """No citation, and the reply says each of ``said``."""
    return answer.citation is None and all(words in answer.text for words in said)
