"""The kiosk's page and API (bot/channels/kiosk.py) over HTTP, on the web chat's server, with a stand-in assistant
(tests/standins/assistant.py) and the real database loaded from data/: no model needed."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import sqlite3

import httpx
import pytest

from bot.channels import kiosk, webchat
from bot.services import Services
from bot.workdays import VN_TZ
from tests.standins.assistant import StandInAssistant

pytestmark = pytest.mark.asyncio(loop_scope="session")

MOMENT = dt.datetime(2026, 11, 25, 9, 15, tzinfo=VN_TZ)  # a Wednesday morning: the counters are open


async def start(services: Services, assistant=None):
    assistant = assistant or StandInAssistant()
    app = webchat.create_app(assistant)
    kiosk.mount(app, assistant, services, clock=lambda: MOMENT)
    runner = await webchat.serve(app, "127.0.0.1", 0)
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}", assistant


@pytest.fixture
async def server(store):
    runner, url, assistant = await start(store)
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        yield client, assistant
    await webchat.stop(runner)


async def test_the_page_shows_a_tile_per_common_procedure_with_its_counter(server, store):
    client, _ = server
    response = await client.get("/kiosk")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    tiles = re.findall(r'data-procedure="([^"]+)"><span class="tile-label">([^<]+)</span><span class="tile-counter">Quầy (\d)', page)
    layout = store.catalogue.counters()
    assert [t[0] for t in tiles] == [t.procedure for t in layout.tiles]
    assert ("dang-ky-khai-sinh", "Khai sinh", "1") in tiles and ("cap-the-can-cuoc", "Làm thẻ căn cước", "6") in tiles
    assert "<h1>Bộ phận Một cửa UBND phường Mông Dương</h1>" in page and "Tôi cần làm…" in page
    assert "{{" not in page


async def test_the_page_is_locked_down_like_the_web_chat(server):
    client, _ = server
    response = await client.get("/kiosk")
    page, csp = response.text, response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp and "unsafe-inline" not in csp
    for tag in ("script", "style"):
        body = re.search(rf"<{tag}>(.*?)</{tag}>", page, flags=re.S).group(1)
        assert f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'" in csp
    assert response.headers["x-content-type-options"] == "nosniff" and response.headers["referrer-policy"] == "no-referrer"
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "localStorage",
                 "sessionStorage", "document.cookie", "indexedDB"):
        assert sink not in page
    assert not re.search(r"<(img|iframe|object|embed)\b|\bsrc=|@import|url\(|(href|src)=\"?(https?:)?//", page)


async def test_tile_labels_are_written_as_text(store, tmp_path):
    with sqlite3.connect(store.path) as source, sqlite3.connect(tmp_path / "copy.db") as target:
        source.backup(target)
    services = Services.open(tmp_path / "copy.db")
    stored = services.db.execute("select data from ward where key = 'counters'").fetchone()[0]
    services.db.execute("update ward set data = ? where key = 'counters'",
                        [stored.replace('"Khai sinh"', '"<img src=x onerror=alert(1)>Khai sinh"')])
    runner, url, _ = await start(services)
    try:
        async with httpx.AsyncClient(base_url=url) as client:
            page = (await client.get("/kiosk")).text
        assert "&lt;img src=x onerror=alert(1)&gt;Khai sinh" in page and "<img" not in page
    finally:
        await webchat.stop(runner)


async def test_a_slip_names_the_counter_its_hours_and_the_documents(server):
    client, assistant = server
    response = await client.get("/api/kiosk/slip/dang-ky-khai-sinh")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    slip = response.json()["slip"]
    assert slip["counter"]["number"] == 1 and slip["counter"]["where"].startswith("Tầng 1")
    assert slip["status"] == "Đang mở cửa, đến 11:30." and slip["open"] is True
    assert slip["documents"][0].startswith("1. Tờ khai đăng ký khai sinh")
    assert slip["issued"] == "09:15 25/11/2026"
    assert assistant.calls == []  # a tile is answered from the catalogue alone


@pytest.mark.parametrize("procedure", ["khong-co-thu-tuc-nay", "..%2F..%2Fetc", "A" * 200, "%3Cscript%3E"])
async def test_an_unknown_procedure_gets_a_clear_message(server, procedure):
    client, _ = server
    response = await client.get(f"/api/kiosk/slip/{procedure}")
    assert response.status_code == 404
    assert response.json() == {"error": kiosk.ERR_PROCEDURE}


async def test_without_a_counters_layout_the_slip_says_so(tmp_path):
    runner, url, _ = await start(Services.open(tmp_path / "empty.db"))
    try:
        async with httpx.AsyncClient(base_url=url) as client:
            response = await client.get("/api/kiosk/slip/dang-ky-khai-sinh")
            page = (await client.get("/kiosk")).text
        assert response.status_code == 404 and response.json() == {"error": kiosk.ERR_NO_LAYOUT}
        assert "Tôi cần làm…" in page and 'class="tile"' not in page
    finally:
        await webchat.stop(runner)


async def test_free_text_goes_to_the_assistant_under_the_kiosk_session_and_brings_the_slip(server):
    client, assistant = server
    response = await client.post("/api/kiosk/ask", json={"session": "k1", "text": "tôi cần làm giấy khai sinh cho con"})
    assert response.status_code == 200
    body = response.json()
    assert assistant.calls == [("kiosk:k1", "tôi cần làm giấy khai sinh cho con")]
    assert body["replies"][0]["text"].startswith("📋 Đăng ký khai sinh")
    assert body["slip"]["counter"]["number"] == 1 and body["slip"]["procedure"]["id"] == "dang-ky-khai-sinh"


@pytest.mark.parametrize("text", ["chứng thực", "hôm nay trời đẹp"])
async def test_no_slip_when_the_answer_is_a_choice_or_names_no_procedure(server, text):
    client, _ = server
    body = (await client.post("/api/kiosk/ask", json={"session": "k2", "text": text})).json()
    assert body["slip"] is None and body["replies"]


@pytest.mark.parametrize("payload, status, message", [
    (b"{not json", 400, webchat.ERR_JSON),
    (b"[1, 2]", 400, kiosk.ERR_OBJECT),
    (b'{"text": "khai sinh"}', 400, kiosk.ERR_SESSION),
    (b'{"session": "", "text": "khai sinh"}', 400, kiosk.ERR_SESSION),
    (b'{"session": "' + b"x" * 65 + b'", "text": "khai sinh"}', 400, kiosk.ERR_SESSION),
    (b'{"session": "a\\nb", "text": "khai sinh"}', 400, kiosk.ERR_SESSION),
    (b'{"session": "k3", "text": 42}', 400, webchat.ERR_TEXT),
    (b'{"session": "k3", "text": "' + b"a" * 20_000 + b'"}', 413, webchat.ERR_TOO_LARGE),
    (b"\xff\xfe", 400, webchat.ERR_JSON),
])
async def test_bad_requests_get_a_clear_vietnamese_error(server, payload, status, message):
    client, assistant = server
    response = await client.post("/api/kiosk/ask", content=payload, headers={"Content-Type": "application/json"})
    assert response.status_code == status and response.json() == {"error": message}
    assert assistant.calls == []


async def test_an_assistant_failure_is_a_polite_error_not_a_traceback(server):
    client, _ = server
    response = await client.post("/api/kiosk/ask", json={"session": "k4", "text": "lỗi"})
    assert response.status_code == 500 and response.json() == {"error": webchat.ERR_INTERNAL}


async def test_the_web_chat_still_answers_on_the_same_server(server):
    client, assistant = server
    assert (await client.get("/")).status_code == 200
    response = await client.post("/api/chat", json={"user": "w1", "text": "khai sinh"})
    assert response.status_code == 200 and assistant.calls == [("web:w1", "khai sinh")]
