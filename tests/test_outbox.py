"""The outbox: one row per (recipient, event), claims with leases, pacing slots, and outcomes recorded by attempt."""

from __future__ import annotations

import pytest

from bot.delivery.outbox import Outbox, Pace
from bot.services import Services


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db(tmp_path):
    store = Services.open(tmp_path / "motcua.db")
    return store


def account(store: Services, chat: int, consent: bool = True):
    user = store.users.seen("telegram", str(chat), "Lan")
    store.users.set_consent(user.id, consent)
    return user


def test_the_same_event_twice_is_one_row(db):
    outbox = Outbox(db.path)
    lan = account(db, 42)
    assert outbox.enqueue(lan, "overdue:ABC-1", "Hồ sơ ABC-1 quá hạn") is True
    assert outbox.enqueue(lan, "overdue:ABC-1", "Hồ sơ ABC-1 quá hạn (lần 2)") is False
    assert outbox.counts()["pending"] == 1
    assert outbox.get(lan.id, "overdue:ABC-1")["text"] == "Hồ sơ ABC-1 quá hạn"
    # another recipient of the same event is another notice
    assert outbox.enqueue(account(db, 43), "overdue:ABC-1", "Hồ sơ ABC-1 quá hạn") is True


def test_a_notice_must_fit_one_message_and_have_a_text(db):
    outbox = Outbox(db.path)
    lan = account(db, 42)
    with pytest.raises(ValueError):
        outbox.enqueue(lan, "tip:eid:1", "x" * 5000)
    with pytest.raises(ValueError):
        outbox.enqueue(lan, "tip:eid:1", "   ")
    assert outbox.rows() == []


def test_a_claimed_notice_is_not_claimed_again_until_its_lease_runs_out(db):
    clock = Clock()
    first, second = Outbox(db.path, clock), Outbox(db.path, clock)
    lan, binh = account(db, 42), account(db, 43)
    first.enqueue(lan, "tip:eid:1", "Mẹo 1")
    first.enqueue(binh, "tip:eid:1", "Mẹo 1")
    mine = {c.address: c for c in first.claim("sender-a", 10, lease=30)}
    assert sorted(mine) == ["42", "43"]
    assert second.claim("sender-b", 10, lease=30) == []
    assert first.calling(mine["42"])  # sender-a called the API for Lan, then died before hearing back
    clock.now += 31                    # its lease ran out
    theirs = {c.address: c for c in second.claim("sender-b", 10, lease=30)}
    assert sorted(theirs) == ["42", "43"] and theirs["42"].attempt_id != mine["42"].attempt_id
    lan_row, binh_row = second.get(lan.id, "tip:eid:1"), second.get(binh.id, "tip:eid:1")
    assert lan_row["in_doubt"] == 1 and lan_row["claimed_by"] == "sender-b"
    assert binh_row["in_doubt"] == 0  # never sent: resending it cannot make a duplicate
    assert [a["outcome"] for a in second.attempts(lan_row["id"])] == ["in_doubt", None]
    assert [a["outcome"] for a in second.attempts(binh_row["id"])] == ["abandoned", None]
    # the first attempt answering late can neither send nor mark: only the attempt holding the row can
    assert first.calling(mine["43"]) is False
    assert first.mark_delivered(mine["42"]) is False
    assert second.mark_delivered(theirs["42"]) is True
    assert second.get(lan.id, "tip:eid:1")["state"] == "delivered"


def test_leases_of_a_crashed_worker_end_at_once(db):
    clock = Clock()
    outbox = Outbox(db.path, clock)
    outbox.enqueue(account(db, 42), "tip:eid:1", "Mẹo 1")
    outbox.claim("host:111", 10, lease=60)
    assert outbox.claim("host:222", 10) == []
    assert outbox.expire_leases_of(lambda worker: worker == "host:333") == 0
    assert outbox.expire_leases_of(lambda worker: worker == "host:111") == 1
    assert [c.event for c in outbox.claim("host:222", 10)] == ["tip:eid:1"]


def test_one_chat_gets_its_notices_in_order_one_at_a_time(db):
    clock = Clock()
    outbox = Outbox(db.path, clock)
    lan, binh = account(db, 42), account(db, 43)
    for n in (1, 2, 3):
        outbox.enqueue(lan, f"tip:eid:{n}", f"Mẹo {n}")
    outbox.enqueue(binh, "tip:eid:1", "Mẹo 1")
    claimed = outbox.claim("a", 10)
    assert sorted((c.address, c.event) for c in claimed) == [("42", "tip:eid:1"), ("43", "tip:eid:1")]
    first = next(c for c in claimed if c.address == "42")
    outbox.mark_delivered(next(c for c in claimed if c.address == "43"))
    outbox.retry_at(first, clock.now + 60, "telegram: Internal Server Error")
    clock.now += 5
    assert all(c.address != "42" for c in outbox.claim("a", 10))  # tip 2 waits behind tip 1's retry
    clock.now += 60
    assert [c.event for c in outbox.claim("a", 10)] == ["tip:eid:1"]


def test_claims_hand_out_slots_within_the_platform_limits(db):
    clock = Clock()
    outbox = Outbox(db.path, clock)
    chats = [account(db, 100 + i) for i in range(40)]
    for user in chats:
        outbox.enqueue(user, "tip:eid:1", "Mẹo 1")
        outbox.enqueue(user, "tip:eid:2", "Mẹo 2")
    pace = {"telegram": Pace(per_second=10, chat_interval=1.0)}
    slots = []
    for _ in range(12):
        for item in outbox.claim("a", 100, pace, horizon=2.0, lease=60):
            slots.append((item.send_at, item.address))
            outbox.mark_delivered(item)
        clock.now += 1.0
    times = sorted(t for t, _ in slots)
    assert len(times) == 80
    assert all(b - a >= 0.1 - 1e-9 for a, b in zip(times, times[1:]))  # 10 a second overall
    by_chat = {}
    for t, chat in sorted(slots):
        assert t - by_chat.get(chat, -10) >= 1.0 - 1e-9  # one a second per chat
        by_chat[chat] = t


def test_two_outboxes_share_the_pace(db):
    clock = Clock()
    a, b = Outbox(db.path, clock), Outbox(db.path, clock)
    for i in range(20):
        a.enqueue(account(db, 200 + i), "tip:eid:1", "Mẹo 1")
    pace = {"telegram": Pace(per_second=5, chat_interval=1.0)}
    slots = [c.send_at for c in a.claim("a", 100, pace, horizon=1.0)] + [c.send_at for c in b.claim("b", 100, pace, horizon=1.0)]
    assert len(slots) == len(set(slots)) <= 6
    assert all(y - x >= 0.2 - 1e-9 for x, y in zip(sorted(slots), sorted(slots)[1:]))


def test_failed_and_rerouted_notices_keep_their_reason(db):
    clock = Clock()
    outbox = Outbox(db.path, clock)
    lan = account(db, 42)
    zalo = db.users.seen("zalo", "8412345", "Lan")
    outbox.enqueue(zalo, "dossier:X-1:status:7", "Hồ sơ X-1 có cập nhật")
    item = outbox.claim("a", 1)[0]
    assert outbox.reroute(item, lan.id, "telegram", "42", "zalo: window closed")
    row = outbox.get(zalo.id, "dossier:X-1:status:7")
    assert (row["state"], row["channel"], row["address"]) == ("pending", "telegram", "42")
    assert "zalo:8412345 -> telegram:42: zalo: window closed" in row["route"]
    item = outbox.claim("a", 1)[0]
    assert item.tried == sorted([zalo.id, lan.id])
    outbox.fail(item, "telegram: Forbidden: bot was blocked by the user")
    row = outbox.get(zalo.id, "dossier:X-1:status:7")
    assert row["state"] == "failed" and "blocked" in row["last_error"]
    assert outbox.counts() == {"pending": 0, "sending": 0, "delivered": 0, "failed": 1}
