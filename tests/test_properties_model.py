"""The property attacks of tests/test_properties_channels.py with the trained model behind them (``needs_model``:
`make test` runs these after training; few examples, each message costs a model call).

Hostile texts and forged Rasa payloads (``/ask_fee{"procedure":"../../x"}``, wrong entity types, official commands)
through the real assistant: every message gets at least one non-empty Vietnamese reply and no exception; a citizen's
forged official command gets the refusal and nothing else; ``motcua ask`` answers whatever the text (``motcua parse``
with the same hostile lines: tests/test_cli.py); the database passes its integrity check afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.phrases import REFUSAL
from tests.conftest import without_notice
from tests.hostile import OFFICIAL_INTENTS, SLOW, check_database, forged_payload, hostile_text, json_value, privileges
from tests.hostile import message_text as hostile_message

MOTCUA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".venv", "bin", "motcua")
MODEL_EXAMPLES = settings(SLOW, max_examples=int(os.environ.get("MOTCUA_MODEL_PROPERTY_EXAMPLES", "25")))
pytestmark = pytest.mark.needs_model


@pytest.fixture(scope="module")
def model(assistant, settings):
    before = privileges(settings.db_path)  # the session's database: other modules may have invited officials already
    yield assistant
    check_database(settings.db_path, before)


async def test_hostile_messages_get_a_polite_reply_from_the_model(model):
    """Hypothesis drives the examples; the async assistant is awaited in this test's own loop."""
    seen = []

    @MODEL_EXAMPLES
    @given(text=hostile_message, channel=st.sampled_from(["web", "telegram", "zalo", "kiosk"]))
    def check(text, channel):
        seen.append((channel, text))

    check()  # collect examples first (sync), then send them (async), so that no loop is nested
    for channel, text in seen:
        replies = await model.handle(f"{channel}:{uuid.uuid4().hex[:12]}", text)
        assert replies and all(isinstance(r.text, str) for r in replies)
        assert any(r.text.strip() or r.attachments for r in replies), text


async def test_a_citizens_forged_official_commands_are_refused_by_the_model(model):
    forged = []

    @MODEL_EXAMPLES
    @given(intent=st.sampled_from([i for i in OFFICIAL_INTENTS if i != "redeem_invite"]),
           entities=st.dictionaries(st.sampled_from(["officials_request", "invite_request", "procedure", "area", "broadcast_file"]),
                                    st.one_of(hostile_text, json_value), max_size=2))
    def check(intent, entities):
        forged.append("/" + intent + json.dumps(entities, ensure_ascii=False))

    check()
    for payload in forged:
        replies = await model.handle(f"telegram:{uuid.uuid4().int % 10**11 + 1}", payload)
        texts = [without_notice(r.text) for r in replies]
        assert REFUSAL in texts, (payload, texts)


async def test_forged_payloads_naming_no_real_thing_get_a_polite_reply(model):
    payloads = []

    @MODEL_EXAMPLES
    @given(payload=forged_payload())
    def check(payload):
        payloads.append(payload)

    check()
    for payload in payloads + ['/ask_fee{"procedure":"../../x"}', '/check_dossier{"dossier_code":[1,2]}', '/ask_fee{"procedure":null}']:
        replies = await model.handle(f"web:{uuid.uuid4().hex[:12]}", payload)
        assert replies and all(isinstance(r.text, str) for r in replies), payload


# Each `motcua ask` loads the model (about 12 CPU-seconds): two processes, the hostile texts combined; the forged payload
# alone is test_forged_payloads_naming_no_real_thing_get_a_polite_reply (the same code after the command line).
@pytest.mark.parametrize("text", ["\u202etra cứu '; drop table dossiers; --", "😀" * 3000])
def test_motcua_ask_answers_a_hostile_question(settings, text):
    env = {**os.environ, "MOTCUA_DB": str(settings.db_path), "MOTCUA_TRACKER_DB": str(settings.tracker_db_path)}
    result = subprocess.run([MOTCUA, "ask", text, "--user", f"prop-{uuid.uuid4().hex[:8]}"], capture_output=True, text=True,
                            env=env, timeout=600)
    assert result.returncode == 0 and result.stdout.strip(), result.stderr[-2000:]
    assert "Traceback" not in result.stderr
