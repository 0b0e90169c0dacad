"""The web chat channel end to end: the real trained assistant and database behind an aiohttp server
started by ``serve()`` on a free loopback port, talked to over HTTP with httpx."""

import json
import logging
import re
import uuid

import httpx
import pytest

from bot.channels import webchat
from bot.conversation.engine import Assistant
from bot.services import Services

pytestmark = pytest.mark.asyncio(loop_scope="session")


def base_url(runner) -> str:
    host, port = runner.addresses[0][:2]
    return f"http://{host}:{port}"


@pytest.fixture(scope="module")
async def server(assistant):
    """The web chat over the real assistant on 127.0.0.1, port chosen by the OS."""
    runner = await webchat.serve(assistant, "127.0.0.1", 0)
    yield runner
    await webchat.stop(runner)


@pytest.fixture
async def client(server):
    async with httpx.AsyncClient(base_url=base_url(server), timeout=120) as http:
        yield http


@pytest.fixture
def web_user() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


async def chat(client, user: str, text: str) -> list:
    response = await client.post("/api/chat", json={"user": user, "text": text})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()["replies"]


def joined(replies: list) -> str:
    return "\n".join(r["text"] for r in replies)


async def test_page_is_served_with_the_chat_elements(client):
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for element in ('id="messages"', 'id="input"', 'id="send"', '<label for="input"', 'lang="vi"', "Trợ lý Bộ phận Một cửa"):
        assert element in page
    assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_page_never_writes_markup_from_text_and_loads_nothing_external(client):
    page = (await client.get("/")).text
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in page
    assert "textContent" in page
    assert not re.search(r"<(img|iframe|object|embed)\b|\bsrc=|@import|url\(|(href|src)=\"?(https?:)?//", page), "the page is self-contained"


async def test_healthz(client):
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_question_gets_the_procedure_answer_with_buttons(client, web_user):
    replies = await chat(client, web_user, "đăng ký khai sinh cần gì")
    assert "Đăng ký khai sinh" in joined(replies)
    buttons = [b for r in replies for b in r["buttons"]]
    assert buttons and all(set(b) == {"title", "payload"} and isinstance(b["payload"], str) for b in buttons)


async def test_button_payload_works_as_a_message(client, web_user):
    replies = await chat(client, web_user, "đăng ký khai sinh cần gì")
    fee = next(b for r in replies for b in r["buttons"] if b["title"] == "Lệ phí")
    answer = joined(await chat(client, web_user, fee["payload"]))
    assert "Lệ phí" in answer and "Đăng ký khai sinh" in answer


async def test_ambiguous_choice_button_picks_a_procedure(client, web_user):
    replies = await chat(client, web_user, "chứng thực")
    button = next(b for r in replies for b in r["buttons"])
    assert "📋" in joined(await chat(client, web_user, button["payload"]))


async def test_web_conversations_are_kept_under_their_own_prefix(client, assistant, web_user):
    await chat(client, web_user, "xin chào")
    tracker = await assistant.agent.tracker_store.retrieve(f"web:{web_user}")
    assert tracker is not None and "user" in [event.type_name for event in tracker.events]
    assert await assistant.agent.tracker_store.retrieve(web_user) is None


async def test_empty_text_gets_the_assistants_prompt(client, web_user):
    assert "gõ câu hỏi" in joined(await chat(client, web_user, "   "))


async def test_html_and_script_come_back_as_plain_json_text(client, web_user):
    text = '<script>alert("x")</script><img src=x onerror=alert(1)> thủ tục khai sinh'
    response = await client.post("/api/chat", json={"user": web_user, "text": text})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    replies = response.json()["replies"]
    assert replies and all(isinstance(r["text"], str) for r in replies)


@pytest.mark.parametrize(
    "body, message",
    [
        (b'{"user": "a", "text": ', webchat.ERR_JSON),
        (b"\xff\xfe not utf-8", webchat.ERR_JSON),
        (b'["a", "b"]', webchat.ERR_OBJECT),
        (b'{"user": "a"}', webchat.ERR_TEXT),
        (b'{"user": "a", "text": 42}', webchat.ERR_TEXT),
        (b'{"user": "a", "text": null}', webchat.ERR_TEXT),
        (b'{"text": "hello"}', webchat.ERR_USER),
        (b'{"user": 42, "text": "hello"}', webchat.ERR_USER),
        (b'{"user": "", "text": "hello"}', webchat.ERR_USER),
        (b'{"user": "   ", "text": "hello"}', webchat.ERR_USER),
        (b'{"user": "a\\nb", "text": "hello"}', webchat.ERR_USER),
        (json.dumps({"user": "u" * 65, "text": "xin chào"}).encode(), webchat.ERR_USER),
    ],
)
async def test_bad_requests_get_a_vietnamese_json_error(client, body, message):
    response = await client.post("/api/chat", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"error": message}


async def test_longest_user_id_is_accepted(client):
    assert await chat(client, "u" * 64, "xin chào")


async def test_body_over_the_limit_is_refused(client):
    body = json.dumps({"user": "a", "text": "x" * 100_000}).encode()
    response = await client.post("/api/chat", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json() == {"error": webchat.ERR_TOO_LARGE}


async def test_chunked_body_over_the_limit_is_refused(client):
    async def chunks():
        yield b'{"user": "a", "text": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    response = await client.post("/api/chat", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json() == {"error": webchat.ERR_TOO_LARGE}


async def test_unknown_api_path_and_wrong_method_answer_in_json(client):
    missing = await client.get("/api/nothing")
    assert missing.status_code == 404 and missing.json() == {"error": webchat.ERR_NOT_FOUND}
    wrong = await client.get("/api/chat")
    assert wrong.status_code == 405 and wrong.json() == {"error": webchat.ERR_METHOD}


async def test_assistant_failure_is_a_polite_500_and_is_logged(settings, caplog):
    broken = Assistant(agent=None, settings=settings, services=Services.open(settings.db_path))  # the real engine with no Rasa agent: handle() raises
    runner = await webchat.serve(broken, "127.0.0.1", 0)
    try:
        async with httpx.AsyncClient(base_url=base_url(runner), timeout=30) as http:
            with caplog.at_level(logging.ERROR, logger=webchat.__name__):
                response = await http.post("/api/chat", json={"user": "a", "text": "xin chào"})
    finally:
        await webchat.stop(runner)
    assert response.status_code == 500 and response.json() == {"error": webchat.ERR_INTERNAL}
    assert "Traceback" not in response.text and "AttributeError" not in response.text
    assert any(r.exc_info and "assistant failed" in r.getMessage() for r in caplog.records)
