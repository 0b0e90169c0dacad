"""The officials' desk through the channels: a citizen is refused every official command on the web chat, Telegram
and Zalo (the same words as a command that does not exist), and an invited person takes their role by typing the
code in any channel. The channels' own fixtures and stand-ins are reused (tests/test_webchat.py, test_telegram.py,
test_zalo.py); tests that use the trained assistant are marked ``needs_model`` by tests/conftest.py."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from bot.channels.telegram import start_telegram, stop_telegram
from bot.delivery.reply import Reply
from bot.phrases import REFUSAL
from bot.timeutil import now_vn
from nlu.invite_code import find_invite_codes
from tests.conftest import without_notice
from tests.standins.telegram_api import TelegramStandIn
from tests.test_telegram import api, ask, channel, config_for, new_chat, watch_finished  # noqa: F401 - fixtures
from tests.test_webchat import chat, client, joined, server  # noqa: F401 - fixtures
from tests.test_zalo import http, new_uid, served, zalo, zstore  # noqa: F401 - fixtures

pytestmark = pytest.mark.asyncio(loop_scope="session")

DEPARTMENT = "Tư pháp - Hộ tịch"
# what a citizen may try: typed commands, the words, and the payloads a button or Telegram would send
OFFICIAL_ASKS = ["/taomoi cán bộ Tư pháp - Hộ tịch", "tạo mã mời lãnh đạo", "/taomoi quản trị",
                 '/create_invite{"invite_request": "quản trị"}', "/create_invite"]


def invite(store, role: str = "official", department: str = DEPARTMENT) -> str:
    """A fresh code, as `motcua invite` makes it."""
    return store.invites.create(role, department if role == "official" else None, created_by="cli:test", now=now_vn()).code


def refusals_of(store, account: str) -> list:
    return [r["command"] for r in store.audit.read(account=account, outcome="refused", limit=100)]


# Telegram's commands reach the assistant as payloads (no model needed) ---------------------------------
class Recorder:
    """Stands in for the assistant: remembers what the channel handed it."""

    def __init__(self) -> None:
        self.texts: list = []

    async def handle(self, conversation_id: str, text: str, metadata=None) -> list:
        self.texts.append((conversation_id, text))
        return [Reply("ok")]


async def test_telegram_moi_and_taomoi_are_payloads_and_unknown_commands_get_the_refusal(store):
    recorder, chat_id = Recorder(), new_chat()
    async with TelegramStandIn() as stand_in:
        handle = await start_telegram(recorder, store, config_for(stand_in))
        watch_finished(stand_in, handle)
        try:
            await ask(stand_in, chat_id, "/moi kmrt-vxab-qhnc")
            await ask(stand_in, chat_id, "/moi")
            await ask(stand_in, chat_id, "/taomoi cán bộ Tư pháp - Hộ tịch")
            await ask(stand_in, chat_id, "/baocao quý 3 excel")
            await ask(stand_in, chat_id, "/chiso")
            await ask(stand_in, chat_id, "/nhiemvu 12 80% Đã trình")
            unknown = await ask(stand_in, chat_id, "/khongcolenhnay")
        finally:
            await stop_telegram(handle)
    assert [text for _, text in recorder.texts] == [
        '/redeem_invite{"invite_code": "kmrt-vxab-qhnc"}', "/redeem_invite",
        "/create_invite" + json.dumps({"invite_request": "cán bộ Tư pháp - Hộ tịch"}, ensure_ascii=False),
        '/ask_report{"officials_request": "quý 3 excel"}', "/ask_indicators",
        '/ask_tasks{"officials_request": "12 80% Đã trình"}']
    assert {conversation for conversation, _ in recorder.texts} == {f"telegram:{chat_id}"}
    assert without_notice(unknown[0]["text"]) == REFUSAL  # the channel's unknown command: the words a refused official command gets


# web chat ---------------------------------------------------------------------------------------------
async def test_web_citizen_is_refused_and_an_invited_official_takes_the_role(client, store):  # noqa: F811
    citizen = f"c-{uuid.uuid4().hex[:10]}"
    for text in OFFICIAL_ASKS + ["/khongcolenhnay"]:
        assert without_notice(joined(await chat(client, citizen, text))) == REFUSAL, text
    assert len(refusals_of(store, f"web:{citizen}")) == len(OFFICIAL_ASKS)
    assert not [r for r in store.audit.read(account=f"web:{citizen}", limit=100) if r["outcome"] == "ok"]

    admin = f"a-{uuid.uuid4().hex[:10]}"
    store.users.set_role(store.users.seen("web", admin).id, "admin")
    made = joined(await chat(client, admin, "/taomoi cán bộ Tư pháp - Hộ tịch"))
    (code,) = {c for c, _, _ in find_invite_codes(made)}
    person = f"p-{uuid.uuid4().hex[:10]}"
    took = joined(await chat(client, person, f"mã mời {code.lower()}"))
    assert "đã là cán bộ (Tư pháp - Hộ tịch)" in took
    assert (store.users.find("web", person).role, store.users.find("web", person).department) == ("official", DEPARTMENT)
    assert "đã được dùng" in joined(await chat(client, citizen, f"ma moi {code}"))
    assert store.users.find("web", citizen).role == "citizen"


# Telegram ---------------------------------------------------------------------------------------------
async def test_telegram_citizen_is_refused_and_moi_gives_the_role(api, channel, store):  # noqa: F811
    citizen = new_chat()
    for text in ["/taomoi cán bộ Tư pháp - Hộ tịch", "/taomoi", "/khongcolenhnay", "tạo mã mời lãnh đạo"]:
        assert without_notice((await ask(api, citizen, text))[0]["text"]) == REFUSAL, text
    assert refusals_of(store, f"telegram:{citizen}") == ["create_invite"] * 3

    code = invite(store)
    took = (await ask(api, citizen, f"/moi {code}"))[0]["text"]
    assert "đã là cán bộ (Tư pháp - Hộ tịch)" in took
    user = store.users.find("telegram", str(citizen))
    assert (user.role, user.department) == ("official", DEPARTMENT)
    (row,) = store.audit.read(account=f"telegram:{citizen}", command="redeem_invite")
    assert (row["channel"], row["role"], row["outcome"]) == ("telegram", "citizen", "ok") and code not in row["detail"]
    assert (await ask(api, citizen, "/taomoi lãnh đạo"))[0]["text"] == REFUSAL  # an official may not invite

    wrong = (await ask(api, new_chat(), "/moi ABCD-EFGH-JKMN"))[0]["text"]
    assert "còn 4 lần thử" in wrong


# Zalo ---------------------------------------------------------------------------------------------------
async def test_zalo_citizen_is_refused_and_a_typed_code_gives_the_role(served, store):  # noqa: F811
    uid = new_uid()
    for text in OFFICIAL_ASKS + ["/khongcolenhnay"]:
        assert without_notice("\n".join(await served.say(uid, text))) == REFUSAL, text
    assert len(refusals_of(store, f"zalo:{uid}")) == len(OFFICIAL_ASKS)

    code = invite(store, "leader")
    took = "\n".join(await served.say(uid, f"ma moi {code.lower().replace('-', ' ')}"))
    assert "đã là lãnh đạo phường" in took
    assert store.users.find("zalo", uid).role == "leader"
    assert store.invites.redeem(store.users.find("zalo", uid), code, now_vn() + dt.timedelta(seconds=1)).outcome == "used"
