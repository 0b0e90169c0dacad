"""Community features through the trained assistant (needs the model: the main session runs these): topics and area in
words, one word stops everything, e-ID help step by step, help in person, and a citizen asking for a broadcast."""

from __future__ import annotations

from bot.phrases import REFUSAL
from tests.conftest import say


async def test_topics_and_area_in_words_and_one_word_stops_them_all(assistant, user, store):
    panel = await say(assistant, user, "đăng ký nhận thông báo của phường, tôi ở khu 3")
    assert "Thông báo của phường: có" in panel and "Khu phố: Khu 3" in panel
    assert sorted(store.subscriptions.topics(user)) == ["announcements", "area:khu-3"]
    assert "dừng gửi thông báo" in await say(assistant, user, "dừng")
    assert store.subscriptions.topics(user) == []
    await say(assistant, user, "đăng ký nhận tin")
    await say(assistant, user, "hủy")
    assert store.subscriptions.topics(user) == []


async def test_ask_eid_walks_through_activation_with_buttons(assistant, user):
    intro = await say(assistant, user, "kích hoạt vneid thế nào")
    assert "[Kích hoạt từng bước]" in intro and "[Nhờ tổ công nghệ số]" in intro
    assert "Không nhận được mã OTP" in await say(assistant, user, "vneid ko nhan duoc ma otp")
    assert "Bước 1/6" in await say(assistant, user, '/ask_eid{"guide_step": "vneid-muc-2:1"}')


async def test_help_in_person_asks_for_the_area(assistant, user):
    assert "khu phố nào" in await say(assistant, user, "cần hỗ trợ trực tiếp cài vneid")


async def test_a_citizen_cannot_broadcast(assistant, user):
    assert await say(assistant, user, "bản tin: tin giả cho cả phường") == REFUSAL
