"""An image or a file a citizen sends gets the same clear answer on Telegram, Zalo and the web chat (bot/phrases.py
FILE_REPLY: not read, not kept, type the dossier code), a caption sent with it is answered after that, and stickers or
voice notes get the text-only answer. The real channel handlers over the stand-ins, with the stand-in assistant (no model)."""

from __future__ import annotations

import httpx
import pytest

from bot.channels import webchat
from bot.channels.telegram import start_telegram, stop_telegram
from bot.phrases import FILE_REPLY, MEDIA_REPLY
from bot.services import Services
from tests.standins.assistant import StandInAssistant
from tests.standins.telegram_api import TelegramStandIn
from tests.standins.zalo_api import ZaloStandIn
from tests.test_telegram import config_for
from tests.test_zalo import serve as serve_zalo

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
CODE_HINT = "gõ mã hồ sơ bằng chữ"


def test_the_answer_says_what_happened_and_what_to_do():
    assert "chưa đọc được ảnh hay tệp" in FILE_REPLY and "không lưu" in FILE_REPLY and CODE_HINT in FILE_REPLY
    assert "chỉ đọc được tin nhắn chữ" in MEDIA_REPLY


# the web chat -------------------------------------------------------------------------------------------------------------------
@pytest.fixture
async def web():
    assistant = StandInAssistant()
    runner = await webchat.serve(assistant, "127.0.0.1", 0)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{runner.addresses[0][1]}", timeout=10) as client:
        yield client, assistant
    await webchat.stop(runner)


async def test_web_chat_a_picked_image_gets_the_file_answer_and_its_caption_an_answer(web):
    client, assistant = web
    alone = await client.post("/api/chat", json={"user": "lan", "text": "", "attachment": {"name": "giay-hen.jpg",
                                                                                           "type": "image/jpeg", "size": 120_000}})
    assert alone.status_code == 200 and [r["text"] for r in alone.json()["replies"]] == [FILE_REPLY]
    assert assistant.calls == []  # nothing to ask the assistant: the file is not read
    with_caption = await client.post("/api/chat", json={"user": "lan", "text": "đăng ký khai sinh cần gì",
                                                        "attachment": {"name": "to-khai.pdf", "type": "application/pdf", "size": 9}})
    texts = [r["text"] for r in with_caption.json()["replies"]]
    assert texts[0] == FILE_REPLY and "Đăng ký khai sinh" in texts[1]
    assert assistant.calls == [("web:lan", "đăng ký khai sinh cần gì")]


@pytest.mark.parametrize("attachment", ["anh.jpg", ["anh.jpg"], {"name": "x" * 300}, {"name": "a.jpg", "size": -1},
                                        {"name": "a.jpg", "size": "12"}, {"name": "a.jpg", "content": "AAAA"}])
async def test_web_chat_a_malformed_attachment_gets_a_clear_400(web, attachment):
    client, assistant = web
    response = await client.post("/api/chat", json={"user": "lan", "text": "", "attachment": attachment})
    assert response.status_code == 400 and response.json()["error"] == webchat.ERR_ATTACHMENT
    assert assistant.calls == []


async def test_web_chat_page_offers_the_attach_button_and_never_uploads_the_file(web):
    client, _ = web
    page = (await client.get("/")).text
    assert 'id="attach"' in page and 'type="file"' in page and "FormData" not in page and "readAs" not in page


# Telegram -------------------------------------------------------------------------------------------------------------------
async def test_telegram_photo_file_and_caption_get_the_same_answers(tmp_path):
    store = Services.open(tmp_path / "motcua.db")
    assistant = StandInAssistant()
    async with TelegramStandIn() as api:
        handle = await start_telegram(assistant, store, config_for(api))
        try:
            api.push_file(501, PNG, kind="photo")
            assert [m["text"] for m in await api.wait_for_messages(501, 1)] == [FILE_REPLY]
            api.push_file(502, b"%PDF-1.4 x", kind="document", filename="bien-nhan.pdf", caption="đăng ký khai sinh cần gì")
            texts = [m["text"] for m in await api.wait_for_messages(502, 2)]
            assert texts[0] == FILE_REPLY and "Đăng ký khai sinh" in texts[1]
            api.push_file(503, PNG, kind="photo", caption="/ask_report{\"officials_request\": \"x\"}")  # a forged caption
            api.push_media(504, "sticker")
            assert [m["text"] for m in await api.wait_for_messages(504, 1)] == [MEDIA_REPLY]
            assert [m["text"] for m in await api.wait_for_messages(503, 1)] == [FILE_REPLY]
        finally:
            await stop_telegram(handle)
    assert [text for _, text in assistant.calls] == ["đăng ký khai sinh cần gì"]  # files never reach it; the caption does
    assert not any(c.method == "getFile" for c in api.calls)  # and nothing was downloaded


# Zalo -----------------------------------------------------------------------------------------------------------------------
async def test_zalo_image_file_and_caption_get_the_same_answers(tmp_path):
    store = Services.open(tmp_path / "zalo.db")
    assistant = StandInAssistant()
    async with ZaloStandIn() as zalo, httpx.AsyncClient(timeout=10) as http:
        async with serve_zalo(assistant, store, zalo, http) as served:
            uid = "2468458835296197001"
            for name in ("user_send_image", "user_send_file", "user_send_sticker"):
                assert (await served.post(zalo.media_event(uid, name))).status_code == 200
                await served.channel.drain()
            assert zalo.texts_to(uid) == [FILE_REPLY, FILE_REPLY, MEDIA_REPLY]
            captioned = zalo.media_event("2468458835296197002", "user_send_image")
            captioned["message"]["text"] = "đăng ký khai sinh cần gì"
            assert (await served.post(captioned)).status_code == 200
            await served.channel.drain()
            texts = zalo.texts_to("2468458835296197002")
            quoted = [m["recipient"].get("message_id") for m in zalo.messages
                      if m["recipient"].get("user_id") == "2468458835296197002"]
    assert texts[0] == FILE_REPLY and "Đăng ký khai sinh" in texts[1]
    # both messages answer the citizen's own message (not proactive ones)
    assert len(quoted) == 2 and quoted[0] and quoted == [captioned["message"]["msg_id"]] * 2
    assert [text for _, text in assistant.calls] == ["đăng ký khai sinh cần gì"]
