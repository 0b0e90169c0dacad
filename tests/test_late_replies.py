"""An answer the platform refuses for a while (flood control, 5xx) is not lost: it goes through the outbox and the
sender delivers it once (bot/channels/late_replies.py). Real python-telegram-bot and the Zalo client against the
stand-ins on 127.0.0.1, a real SQLite database."""

import pytest

from bot.channels.late_replies import queue_replies
from bot.channels.telegram import start_telegram, stop_telegram
from bot.channels.telegram_send import TelegramSender
from bot.delivery.reply import Attachment, Reply
from bot.delivery.sender import Sender, SenderConfig
from bot.services import Services
from tests.standins.telegram_api import TelegramStandIn
from tests.test_telegram import ScriptedAssistant, config_for, new_chat

pytestmark = pytest.mark.asyncio(loop_scope="session")

FAST = SenderConfig(backoff=0.2, max_backoff=1.0, poll=0.2)


def pending_replies(services: Services, chat: int) -> list:
    return list(services.db.query("select event, state, priority from outbox where address = ? and event like 'reply:%'",
                                  [str(chat)]))


@pytest.mark.parametrize("fault", ["429", "502"])
async def test_an_answer_telegram_refuses_for_a_while_arrives_once_through_the_outbox(tmp_path, fault):
    services = Services.open(tmp_path / "motcua.db")
    chat = new_chat()
    async with TelegramStandIn() as api:
        handle = await start_telegram(ScriptedAssistant(), services, config_for(api))
        try:
            api.fail_next(1, fault, retry_after=1, methods=["sendMessage"])
            api.push_message(chat, "lệ phí khai sinh")
            await api.wait_for(lambda: pending_replies(services, chat), 30, "the refused answer to reach the outbox")
            assert api.sent_texts(chat) == []  # refused: the citizen has nothing yet
            # a citizen who never agreed to notices still gets the answer to their own question
            assert not services.users.find("telegram", str(chat)).consent
            stats = await Sender(services.outbox, {"telegram": TelegramSender(handle.application.bot)}, FAST,
                                 directory=services.users).run(until_drained=True)
        finally:
            await stop_telegram(handle)
    assert api.sent_texts(chat) == ["Trả lời: lệ phí khai sinh"]
    assert stats.delivered == 1
    assert [r["state"] for r in pending_replies(services, chat)] == ["delivered"]


def test_queueing_the_same_answer_twice_keeps_one_and_a_file_is_kept_for_the_sender(tmp_path):
    """A platform that delivers the same update twice does not get its answer queued twice; a reply's file is
    written beside the database so the sender can send it after a restart."""
    services = Services.open(tmp_path / "motcua.db")
    replies = [Reply("Hướng dẫn khai sinh", [{"title": "Lệ phí", "payload": "/ask_fee"}]),
               Reply("Tờ khai", attachments=[Attachment("document", "to-khai.docx", b"PK-docx", caption="Tờ khai khai sinh")])]
    first = queue_replies(services, "telegram", "4242", replies, "telegram:7")
    again = queue_replies(services, "telegram", "4242", replies, "telegram:7")
    assert (first, again) == (2, 0)
    rows = list(services.db.query("select text, buttons, attachment, priority from outbox where address = '4242' order by id"))
    assert [r["text"] for r in rows] == ["Hướng dẫn khai sinh", "Tờ khai"]
    assert "/ask_fee" in rows[0]["buttons"] and rows[0]["priority"] == 0
    files = list((tmp_path / "outbox-files").iterdir())
    assert len(files) == 1 and files[0].read_bytes() == b"PK-docx"
