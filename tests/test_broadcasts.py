"""Community broadcasts end to end on a real SQLite file: consent and areas, a team member's broadcast through the
outbox and the sender into the Telegram and Zalo stand-ins (each consenting subscriber of the areas and topic once;
nobody else), a kill -9 of the sender and a restart, a cancellation, the delivery report, priorities (a reply queued
after a 1,000-row broadcast is claimed first), help in person, and the actions as Rasa runs them (no model)."""

from __future__ import annotations

import collections
import datetime as dt
import json
import signal

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.community import ActionAreaBroadcast, ActionEidHelp, ActionHelpInPerson
from actions.service import ActionSubscribe, ActionUnsubscribe
from bot.channels.telegram import TelegramConfig, build_bot
from bot.channels.telegram_send import TelegramSender
from bot.channels.zalo_send import ZaloSender
from bot.community.broadcasts import Broadcasts, NotAllowed, finish_broadcasts
from bot.community.guides import library
from bot.community.help import area_numbers, ask_help
from bot.delivery.outbox import ALERT, BULK, REPLY, Outbox, Pace
from bot.delivery.sender import Sender, SenderConfig
from bot.people.roles import require
from bot.people.subscriptions import choose_area, consent_history, follow, stop
from bot.phrases import REFUSAL
from bot.services import Services
from bot.timeutil import VN_TZ
from tests.standins.telegram_api import TelegramStandIn
from tests.standins.zalo_api import ZaloStandIn
from tests.test_sender import finish, start_sender

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=VN_TZ)
FAST = SenderConfig(backoff=0.2, max_backoff=1.0, poll=0.2)
ZALO_UID = "2468458835296197922"


@pytest.fixture
def store(tmp_path) -> Services:
    return Services.open(tmp_path / "motcua.db")


def citizen(store: Services, chat: str, topic: str = "tips", area: str = "khu-3", channel: str = "telegram"):
    """A consenting citizen following ``topic`` in ``area`` (as the subscribe buttons do)."""
    account = store.users.seen(channel, chat, f"Dân {chat}")
    follow(store.users, store.subscriptions, account.conversation_id, topic=topic)
    if area:
        choose_area(store.users, store.subscriptions, account.conversation_id, area)
    return store.users.get(account.id)


def member(store: Services, chat: str, role: str = "team", area: str = "Khu 3"):
    account = store.users.seen("telegram", chat, f"Tổ viên {chat}")
    store.users.set_role(account.id, role, area=area if role == "team" else None)
    store.users.set_consent(account.id, True)
    return store.users.get(account.id)


async def drain(store: Services, outbox: Outbox, api: TelegramStandIn, zalo: ZaloStandIn = None) -> None:
    """Run the sender into the stand-ins until nothing is left."""
    async with build_bot(TelegramConfig(token=api.token, api_url=api.base_url)) as bot:
        senders = {"telegram": TelegramSender(bot)}
        zalo_sender = ZaloSender(zalo.config(), store) if zalo else None
        if zalo_sender:
            senders["zalo"] = zalo_sender
        await Sender(outbox, senders, FAST, directory=store.users).run(until_drained=True)
        if zalo_sender:
            await zalo_sender.close()


# consent ---------------------------------------------------------------------------------------------------------------
def test_consent_topics_and_area_are_recorded_with_their_time_and_one_word_stops_them_all(store):
    lan = citizen(store, "501", "tips", "khu-3")
    follow(store.users, store.subscriptions, lan.conversation_id, topic="announcements")
    assert sorted(store.subscriptions.topics(lan.conversation_id)) == ["announcements", "area:khu-3", "tips"]
    assert store.subscriptions.in_areas("tips", ["khu-3"]) == [lan.conversation_id]
    assert stop(store.users, store.subscriptions, lan.conversation_id) == 3
    assert store.subscriptions.topics(lan.conversation_id) == [] and not store.users.get(lan.id).consent
    history = consent_history(store.subscriptions, lan.conversation_id)
    assert [h["action"] for h in history] == ["topic+ tips", "area khu-3", "topic+ announcements", "withdraw"]
    assert all(h["at"].endswith("+07:00") for h in history)
    assert history[-1]["topics"] == "[]" and history[2]["area"] == "khu-3"


# a broadcast through the stand-ins ---------------------------------------------------------------------------------------
async def test_a_broadcast_reaches_exactly_the_consenting_subscribers_of_its_areas_and_topic_once(store):
    outbox = Outbox(store.path)
    a = citizen(store, "601", "tips", "khu-3")
    citizen(store, "602", "tips", "khu-4")              # another area
    citizen(store, "603", "announcements", "khu-3")     # another topic
    gone = citizen(store, "604", "tips", "khu-3")       # stops before the broadcast
    late = citizen(store, "605", "tips", "khu-3")       # stops after it was queued, before it was sent
    citizen(store, "web-visitor", "tips", "khu-3", channel="web")  # cannot receive pushes
    citizen(store, "606", "tips", "")                   # chose no area
    zalo = store.users.seen("zalo", ZALO_UID, "Lan")    # wrote just now: inside Zalo's window
    follow(store.users, store.subscriptions, zalo.conversation_id, topic="tips")
    choose_area(store.users, store.subscriptions, zalo.conversation_id, "khu-3")
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=3)).isoformat(timespec="seconds")
    away = store.users.seen("zalo", "1111222233334444555", "Hoa", at=old)  # Zalo's 48 hours are over ...
    away_telegram = store.users.seen("telegram", "608", "Hoa", at=old)      # ... but Hoa also has Telegram
    store.users.link(away.id, away_telegram.id)
    store.users.set_consent(away_telegram.id, True)
    follow(store.users, store.subscriptions, away.conversation_id, topic="tips")
    choose_area(store.users, store.subscriptions, away.conversation_id, "khu-3")
    blocker = citizen(store, "609", "tips", "khu-3")                        # blocked the bot
    stop(store.users, store.subscriptions, gone.conversation_id)
    team = member(store, "700")
    broadcasts = Broadcasts(store, outbox)
    scope = require(team, "area_broadcast")

    draft = broadcasts.draft(team, scope, text="Chiều thứ Bảy tổ hỗ trợ cài VNeID tại nhà văn hóa Khu 3.", now=NOW)
    assert draft.areas == ["khu-3"] and draft.topic == "announcements"
    with pytest.raises(NotAllowed):
        broadcasts.set_areas(draft, ["khu-4"], scope)  # a team member broadcasts to their own area only
    draft = broadcasts.set_topic(draft, "tips")
    message, count = broadcasts.preview(draft)
    assert count == 5 and "Khu 3" in message and "hủy" in message
    assert broadcasts.confirm(draft, NOW) == 5
    assert broadcasts.confirm(draft, NOW) is None  # a second tap writes nothing
    stop(store.users, store.subscriptions, late.conversation_id)

    async with TelegramStandIn() as api, ZaloStandIn() as zalo_api:
        api.block(609)
        await drain(store, outbox, api, zalo_api)
        received = collections.Counter(m["chat"]["id"] for m in api.sent_messages() if "nhà văn hóa Khu 3" in m["text"])
        assert received == {int(a.channel_user_id): 1, 608: 1}
        assert ["nhà văn hóa Khu 3" in t for t in zalo_api.texts_to(ZALO_UID)] == [True]
        assert finish_broadcasts(store, outbox, NOW) == 1
        assert finish_broadcasts(store, outbox, NOW) == 0  # one report
        api.clear()
        await drain(store, outbox, api)
        report = api.sent_texts(700)
    assert len(report) == 1 and "Đã gửi: 2/5" in report[0] and "đã hủy nhận tin trước khi gửi: 1" in report[0]
    assert "Ngoài thời hạn 48 giờ của Zalo, đã gửi qua kênh khác: 1" in report[0]
    assert "Người nhận đã chặn hoặc bỏ quan tâm: 1" in report[0] and blocker.id
    assert broadcasts.get(draft.id).state == "done"


async def test_a_broadcast_survives_a_sender_killed_mid_run_and_each_recipient_gets_it_once(tmp_path):
    db = tmp_path / "motcua.db"
    store, outbox = Services.open(db), Outbox(db)
    chats = [str(8000 + i) for i in range(60)]
    for chat in chats:
        citizen(store, chat, "announcements", "khu-5")
    leader = member(store, "799", role="leader")
    broadcasts = Broadcasts(store, outbox)
    draft = broadcasts.draft(leader, require(leader, "area_broadcast"), text="Lịch tiếp dân tháng 12 của phường.", now=NOW)
    assert len(draft.areas) == 13  # a leader: every area by default
    assert broadcasts.confirm(draft, NOW) == 60
    async with TelegramStandIn(enforce_limits=True, fault_rate=0.1, fault_kinds=(429, 500, "slow"), seed=11) as api:
        first = await start_sender(db, api, "--forever")
        await api.wait_for(lambda: len(api.sent_messages()) >= 15, timeout=60)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        assert outbox.counts()["delivered"] < 60
        await finish(await start_sender(db, api))
        await api.settled()
    sent = collections.Counter(m["chat"]["id"] for m in api.sent_messages() if "Lịch tiếp dân" in m["text"])
    assert set(sent) == {int(c) for c in chats}
    doubtful = {int(r["address"]) for r in outbox.rows(["delivered"]) if r["in_doubt"]}
    assert all(n == 1 or chat in doubtful for chat, n in sent.items())  # a repeat only where the kill left a doubt
    # within the platform's limits: the only 429 allowed is the resend of a message the kill left in doubt
    assert all(v.limit == "chat" and int(v.chat_id) in doubtful for v in api.violations), api.violations


async def test_a_cancelled_broadcast_sends_nothing_more_and_reports_what_was_stopped(store):
    outbox = Outbox(store.path)
    for i in range(20):
        citizen(store, str(9000 + i), "tips", "khu-3")
    team = member(store, "701")
    broadcasts = Broadcasts(store, outbox)
    draft = broadcasts.draft(team, require(team, "area_broadcast"), guide_id="vneid-muc-2", now=NOW)
    assert draft.guide == "vneid-muc-2" and draft.topic == "tips"
    assert broadcasts.confirm(draft, NOW) == 20
    claimed = outbox.claim("other-sender", 3)      # another sender holds three rows
    assert outbox.calling(claimed[0])              # ... and is calling the API for the first
    assert broadcasts.cancel(broadcasts.get(draft.id), NOW) == 19
    assert not outbox.calling(claimed[1])          # the second was not yet called: it never will be
    assert outbox.mark_delivered(claimed[0])       # the one under way finishes
    async with TelegramStandIn() as api:
        await drain(store, outbox, api)
        assert api.sent_messages() == []           # nothing else went out
        assert finish_broadcasts(store, outbox, NOW) == 1
        await drain(store, outbox, api)
        report = api.sent_texts(701)
    assert "Đã gửi: 1/20" in report[0] and "Chưa gửi vì bản tin đã bị hủy: 19" in report[0]
    assert broadcasts.get(draft.id).state == "cancelled"


async def test_an_unsubscribed_citizen_gets_no_broadcast(store):
    outbox = Outbox(store.path)
    lan = citizen(store, "610", "tips", "khu-3")
    stop(store.users, store.subscriptions, lan.conversation_id)
    team = member(store, "702")
    broadcasts = Broadcasts(store, outbox)
    draft = broadcasts.draft(team, require(team, "area_broadcast"), text="Tin thử", now=NOW)
    draft = broadcasts.set_topic(draft, "tips")
    assert broadcasts.preview(draft)[1] == 0 and broadcasts.confirm(draft, NOW) == 0
    async with TelegramStandIn() as api:
        await drain(store, outbox, api)
        assert api.sent_messages() == []


# priorities ----------------------------------------------------------------------------------------------------------------
def test_a_reply_queued_after_a_1000_row_broadcast_is_claimed_first(store):
    clock = [2_000_000.0]
    outbox = Outbox(store.path, clock=lambda: clock[0])
    accounts = []
    for i in range(1001):
        account = store.users.seen("telegram", str(100000 + i), f"Dân {i}")
        store.users.set_consent(account.id, True)
        accounts.append(account)
    for account in accounts[:1000]:
        outbox.enqueue(account, "broadcast:1:msg", "Bản tin", priority=BULK)
    clock[0] += 5  # the reply and the alert come later
    outbox.enqueue(accounts[1000], "relay:1", "Cán bộ trả lời anh/chị", priority=REPLY)
    outbox.enqueue(accounts[3], "overdue:X", "Hồ sơ X quá hạn", priority=ALERT)  # same chat as a broadcast row
    first = outbox.claim("w", 2, {"telegram": Pace(29.0, 1.05)})
    assert [c.event for c in first] == ["relay:1", "broadcast:1:msg"]  # the reply first; then one chat's rows in order
    assert first[0].send_at <= first[1].send_at
    later = outbox.claim("w", 1000, {"telegram": Pace(29.0, 1.05)}, horizon=1000)
    assert len(later) == 999 and "overdue:X" not in [c.event for c in later]  # its chat's broadcast row is still open


# help in person and area numbers -------------------------------------------------------------------------------------
def test_help_in_person_reaches_the_team_of_the_area_and_shows_in_its_numbers(store):
    outbox = Outbox(store.path)
    lan = citizen(store, "620", "tips", "khu-3")
    team = member(store, "703")
    member(store, "704", area="Khu 4")
    done = ask_help(store, outbox, lan.conversation_id, "khu-3", "cần hỗ trợ cài VNeID, gọi 0912 345 678", NOW)
    assert done.team == 1 and done.phone == "0912345678"
    rows = outbox.rows()
    assert [(r["recipient_id"], r["event"], r["priority"]) for r in rows] == [(team.id, f"help:{done.id}", ALERT)]
    assert "0912345678" in rows[0]["text"] and "Khu 3" in rows[0]["text"]
    numbers = area_numbers(store, outbox, "khu-3", NOW)
    assert numbers["subscribers"] == {"tips": 1, "announcements": 0} and len(numbers["help_requests"]) == 1


# the actions, as Rasa runs them (no model) ---------------------------------------------------------------------------------
def run(action, account, text: str, intent: str, **entities) -> CollectingDispatcher:
    ents = [{"entity": k, "value": v} for k, v in entities.items()]
    message = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": ents, "metadata": {}}
    events = [{"event": "user", "text": text, "timestamp": NOW.timestamp(), "parse_data": message}]
    tracker = Tracker(account.conversation_id, {}, message, events, False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    action.run(dispatcher, tracker, {})
    return dispatcher


def said(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def buttons(dispatcher: CollectingDispatcher) -> list:
    return [b for m in dispatcher.messages for b in m.get("buttons") or []]


def test_a_citizen_sees_changes_and_stops_topics_and_area_with_buttons(store):
    lan = store.users.seen("telegram", "630", "Lan")
    panel = run(ActionSubscribe(store), lan, "/subscribe", "subscribe")
    assert "Mẹo định danh điện tử và kỹ năng số: có" in said(panel) and "Khu phố: chưa chọn" in said(panel)
    choose = next(b for b in buttons(panel) if b["title"] == "Chọn khu phố")
    assert choose["payload"] == '/subscribe{"area": "?"}'
    chosen = run(ActionSubscribe(store), lan, '/subscribe{"area": "khu-3"}', "subscribe", area="khu-3")
    assert "Khu phố của anh/chị: Khu 3" in said(chosen)
    words = run(ActionSubscribe(store), lan, "nhận thông báo của phường", "subscribe")
    assert "Thông báo của phường: có" in said(words)
    one = run(ActionUnsubscribe(store), lan, '/unsubscribe{"topic": "tips"}', "unsubscribe", topic="tips")
    assert "Mẹo định danh điện tử và kỹ năng số: không" in said(one)
    assert sorted(store.subscriptions.topics(lan.conversation_id)) == ["announcements", "area:khu-3"]
    everything = run(ActionUnsubscribe(store), lan, "dừng", "unsubscribe")
    assert "dừng gửi thông báo" in said(everything) and store.subscriptions.topics(lan.conversation_id) == []


def test_ask_eid_walks_through_activation_and_errors_and_offers_the_team(store):
    lan = store.users.seen("telegram", "640", "Lan")
    intro = run(ActionEidHelp(store), lan, "làm định danh điện tử mức 2 như thế nào", "ask_eid")
    assert "định danh điện tử" in said(intro).lower() and "Công an" in said(intro)
    titles = [b["title"] for b in buttons(intro)]
    assert titles == ["Kích hoạt từng bước", "Gặp lỗi", "Cần mang gì, đi đâu", "Nhờ tổ công nghệ số"]
    step2 = run(ActionEidHelp(store), lan, "", "ask_eid", guide_step="vneid-muc-2:2")
    assert "Bước 2/6" in said(step2) and "Nguồn:" in said(step2)
    assert buttons(step2)[0]["payload"] == '/ask_eid{"guide_step": "vneid-muc-2:3"}'
    otp = run(ActionEidHelp(store), lan, "vneid ko nhan otp", "ask_eid")
    assert "Không nhận được mã OTP" in said(otp) and "(chưa được xác nhận)" in said(otp)
    bring = run(ActionEidHelp(store), lan, "", "ask_eid", guide_step="vneid-muc-2:mang")
    assert "căn cước" in said(bring).lower() and "Công an phường" in said(bring)
    bad = run(ActionEidHelp(store), lan, "", "ask_eid", guide_step="không-có:99")  # a forged payload: the intro
    assert "Kích hoạt từng bước" in [b["title"] for b in buttons(bad)]


def test_help_in_person_asks_the_area_when_unknown_then_tells_the_team(store):
    lan = store.users.seen("telegram", "650", "Lan")
    member(store, "705")
    asked = run(ActionHelpInPerson(store), lan, "cần hỗ trợ", "ask_help_in_person")
    assert "khu phố nào" in said(asked) and len(buttons(asked)) == 13
    told = run(ActionHelpInPerson(store), lan, '/ask_help_in_person{"area": "khu-3"}', "ask_help_in_person", area="khu-3")
    assert "tổ công nghệ số cộng đồng Khu 3" in said(told) and "số điện thoại" in said(told)


def test_area_broadcast_from_the_chat_and_refused_to_citizens(store):
    citizen(store, "660", "tips", "khu-3")
    citizen(store, "661", "announcements", "khu-3")
    team = member(store, "706")
    lan = store.users.seen("telegram", "662", "Lan")
    refused = run(ActionAreaBroadcast(store), lan, "/bantin Tin giả mạo", "area_broadcast", officials_request="Tin giả mạo")
    assert said(refused) == REFUSAL
    preview = run(ActionAreaBroadcast(store), team, "/bantin", "area_broadcast",
                  officials_request="Sáng Chủ nhật tổ hướng dẫn nộp hồ sơ trực tuyến.")
    assert "gửi tới 1 người" in said(preview)
    send = next(b for b in buttons(preview) if b["title"].startswith("Gửi cho"))
    request = json.loads(send["payload"][len("/area_broadcast"):])["officials_request"]
    sent = run(ActionAreaBroadcast(store), team, send["payload"], "area_broadcast", officials_request=request)
    assert "Đang gửi bản tin" in said(sent) and "tới 1 người" in said(sent)
    again = run(ActionAreaBroadcast(store), team, send["payload"], "area_broadcast", officials_request=request)
    assert "đã được gửi trước đó" in said(again)
    assert Outbox(store.path).counts()["pending"] == 1
    library_menu = run(ActionAreaBroadcast(store), team, "/bantin", "area_broadcast", officials_request="thuvien")
    assert len(buttons(library_menu)) == len(library())
    too_long = run(ActionAreaBroadcast(store), team, "/bantin", "area_broadcast", officials_request="x" * 1600)
    assert "tối đa 1500 ký tự" in said(too_long)
    numbers = run(ActionAreaBroadcast(store), team, "/bantin", "area_broadcast", officials_request="solieu")
    assert "Khu 3" in said(numbers) and "Bản tin đã gửi: 1" in said(numbers)


# a photo captioned /bantin through the Telegram channel -------------------------------------------------------------------
class PayloadAssistant:
    """The conversation for payload messages only ("/intent{json}", what buttons and commands send), running the
    community actions as Rasa would after its payload parsing; the trained model is not needed for these."""

    def __init__(self, store: Services) -> None:
        self.actions = {"area_broadcast": ActionAreaBroadcast(store)}

    async def handle(self, conversation: str, text: str):
        from bot.delivery.reply import Reply

        intent, _, body = text.lstrip("/").partition("{")
        entities = json.loads("{" + body) if body else {}
        account = type("Account", (), {"conversation_id": conversation})()
        dispatcher = run(self.actions[intent], account, text, intent, **entities)
        return [Reply(m.get("text") or "", list(m.get("buttons") or [])) for m in dispatcher.messages]


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


async def test_a_team_members_photo_captioned_bantin_is_broadcast_with_the_photo(store):
    from bot.channels.telegram import start_telegram, stop_telegram
    from bot.community.broadcasts import upload_dir
    from tests.test_telegram import buttons_of, config_for

    outbox = Outbox(store.path)
    citizen(store, "670", "announcements", "khu-3")
    member(store, "707")
    async with TelegramStandIn() as api:
        handle = await start_telegram(PayloadAssistant(store), store, config_for(api))
        try:
            api.push_file(671, PNG, caption="/bantin Ảnh: tin giả")  # a citizen: refused, nothing kept
            refused = await api.wait_for_messages(671, 1)
            assert refused[0]["text"] == REFUSAL and not upload_dir(store).exists()
            api.push_file(707, PNG, caption="/bantin Lịch hỗ trợ VNeID tại nhà văn hóa Khu 3")
            preview = (await api.wait_for_messages(707, 1))[0]
            assert "kèm một tệp/ảnh" in preview["text"] and "gửi tới 1 người" in preview["text"]
            send = next(b for b in buttons_of(preview) if b["text"].startswith("Gửi cho"))
            api.push_callback(707, send["callback_data"])
            await api.wait_for_messages(707, 2)
        finally:
            await stop_telegram(handle)
        api.clear()
        await drain(store, outbox, api)
        photos = api.sent_photos(670)
        assert [p.content for p in photos] == [PNG]
        assert any("Lịch hỗ trợ VNeID" in t for t in api.sent_texts(670))


def test_a_members_words_become_a_body_only_after_bantin_or_ban_tin_colon():
    from actions.community import typed_request

    assert typed_request("bản tin: Chiều nay tổ hỗ trợ tại nhà văn hóa") == "Chiều nay tổ hỗ trợ tại nhà văn hóa"
    assert typed_request("/bantin Sáng mai họp khu") == "Sáng mai họp khu"
    assert typed_request("bản tin của tôi gửi đến đâu rồi") == "cuatoi"
    assert typed_request("khu mình có bao nhiêu người đăng ký nhận tin") == "solieu"
    assert typed_request("soạn bản tin") == "menu" and typed_request("/area_broadcast") == ""
