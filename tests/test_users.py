"""The one user table across channels, on a real SQLite file."""

from __future__ import annotations

import pytest

from bot.people.users import conversation_id, split_conversation_id
from bot.services import Services


@pytest.fixture
def users(tmp_path):
    return Services.open(tmp_path / "users.db").users


def test_first_message_creates_the_account_and_later_ones_keep_it(users):
    first = users.seen("zalo", "8412345678901234567", "Lan", at="2026-11-24T08:00:00+00:00")
    again = users.seen("zalo", "8412345678901234567", at="2026-11-24T09:30:00+00:00")
    assert first.id == again.id and again.display_name == "Lan"
    assert again.last_message_at == "2026-11-24T09:30:00+00:00"
    assert again.channel_user_id == "8412345678901234567"  # kept exact, as a string
    assert again.conversation_id == "zalo:8412345678901234567"
    assert not again.consent and again.role == "citizen"


def test_consent_role_and_linked_accounts_of_one_person(users):
    zalo = users.seen("zalo", "1001", "Bác Hùng", at="2026-11-20T01:00:00+00:00")
    telegram = users.seen("telegram", "-42", "Hùng", at="2026-11-24T01:00:00+00:00")
    assert zalo.person_id != telegram.person_id
    users.link(zalo.id, telegram.id)
    accounts = users.accounts_of(users.get(zalo.id).person_id)
    assert [a.channel for a in accounts] == ["telegram", "zalo"]  # most recently active first
    users.set_consent(telegram.id, True)
    assert users.get(telegram.id).consent
    users.set_role(zalo.id, "official", department="Tư pháp - Hộ tịch")
    assert [u.id for u in users.officials("Tư pháp - Hộ tịch")] == [zalo.id]
    with pytest.raises(ValueError):
        users.set_role(zalo.id, "sếp")


def test_the_table_survives_reopening_the_file(tmp_path):
    Services.open(tmp_path / "a.db").users.seen("telegram", "7", "An")
    assert Services.open(tmp_path / "a.db").users.find("telegram", "7").display_name == "An"


def test_conversation_ids_round_trip_and_reject_strangers():
    assert split_conversation_id(conversation_id("web", "abc:1")) == ("web", "abc:1")
    assert split_conversation_id("test-123") is None
    assert split_conversation_id("fax:1") is None
