"""The worker pool: two real worker processes with the trained model over one pair of SQLite files.

A conversation keeps its context through the pool, conversations on different workers are answered
side by side, attachments come back with their bytes, and a killed worker is replaced while its
unanswered message gets an apology instead of hanging.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import sqlite3
import uuid
from contextlib import closing

import pytest

from bot.conversation.tracker_store import sqlite_tracker_store
from bot.conversation.workers import ERR_WORKER, WorkerPool, pinned_tracker_store_class, worker_index
from tests.waiting import wait_until, within

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture(scope="module")
async def pool(settings, tmp_path_factory):
    """Two workers over the test catalogue and a tracker database of their own."""
    folder = tmp_path_factory.mktemp("pool")
    async with WorkerPool(dataclasses.replace(settings, tracker_db_path=folder / "tracker.db"), workers=2) as started:
        yield started


def on_worker(index: int, prefix: str = "telegram:") -> str:
    """A fresh conversation id that the pool pins to worker ``index`` of 2."""
    while True:
        conversation = f"{prefix}{uuid.uuid4().int % 10**9}"
        if worker_index(conversation, 2) == index:
            return conversation


async def said(pool: WorkerPool, conversation: str, text: str, **metadata) -> str:
    """Every reply to one message, joined."""
    return "\n".join(r.as_text() for r in await pool.handle(conversation, text, metadata or None))


def test_pinning_is_stable_and_spreads_conversations():
    ids = [f"zalo:{n}" for n in range(1000)]
    assert [worker_index(i, 2) for i in ids] == [worker_index(i, 2) for i in ids]
    assert worker_index("telegram:42", 2) == 1 and worker_index("telegram:1", 2) == 0  # CRC-32, not salted hash()
    assert 400 < sum(worker_index(i, 2) for i in ids) < 600


async def test_the_workers_tracker_store_writes_the_rows_rasas_own_store_writes(tmp_path):
    """A conversation saved turn by turn through the workers' store and through Rasa's SQLTrackerStore
    leaves the same rows, and a restarted worker (a new store) reads the same conversation back."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load("domain.yml")
    events = [
        ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
        UserUttered("lệ phí khai sinh", {"name": "ask_fee", "confidence": 0.93}),
        SlotSet("procedure", "dang-ky-khai-sinh"), ActionExecuted("action_answer"), BotUttered("Lệ phí: miễn."),
        ActionExecuted("action_listen"), UserUttered("cảm ơn", {"name": "thanks", "confidence": 0.99}),
    ]
    stores = {name: sqlite_tracker_store(cls, tmp_path / f"{name}.db")
              for name, cls in (("workers", pinned_tracker_store_class()), ("rasa", SQLTrackerStore))}
    for store in stores.values():
        store.domain = domain
        for turn in (events[:4], events[4:8], events[8:]):  # as Rasa's processor does: fetch, update, save
            tracker = await store.retrieve("telegram:7") or DialogueStateTracker("telegram:7", domain.slots)
            for event in turn:
                tracker.update(event)
            await store.save(tracker)

    def rows(name: str) -> list:
        with closing(sqlite3.connect(tmp_path / f"{name}.db")) as db:
            return db.execute("select sender_id, type_name, timestamp, intent_name, action_name, data from events order by id").fetchall()

    assert rows("workers") == rows("rasa") and len(rows("rasa")) == len(events)
    restarted = sqlite_tracker_store(pinned_tracker_store_class(), tmp_path / "workers.db")
    restarted.domain = domain
    back = await restarted.retrieve("telegram:7")
    assert [e.as_dict() for e in back.events] == [e.as_dict() for e in events[1:]]  # the latest session
    assert back.get_slot("procedure") == "dang-ky-khai-sinh" and back.latest_message.text == "cảm ơn"


async def test_a_conversation_keeps_its_context_through_the_pool(pool):
    conversation = on_worker(1)
    assert "Đăng ký khai sinh" in await said(pool, conversation, "đăng ký khai sinh cần gì")
    follow_up = await said(pool, conversation, "thế lệ phí bao nhiêu?")
    assert "Lệ phí" in follow_up and "Đăng ký khai sinh" in follow_up
    assert "Thời hạn" in await said(pool, conversation, "mất bao lâu thì xong?")  # the worker's kept tracker
    with closing(sqlite3.connect(pool.settings.tracker_db_path)) as db:  # and every turn is in the database
        said_by_user = [row[0] for row in db.execute(
            "select json_extract(data, '$.text') from events where sender_id = ? and type_name = 'user' order by id", [conversation])]
    assert said_by_user == ["đăng ký khai sinh cần gì", "thế lệ phí bao nhiêu?", "mất bao lâu thì xong?"]


async def test_conversations_on_two_workers_are_answered_side_by_side(pool):
    birth, marriage = on_worker(0), on_worker(1)
    busy = pool.pids[0]
    os.kill(busy, signal.SIGSTOP)  # worker 0 is as slow as can be: it cannot answer until it is continued
    try:
        first = asyncio.ensure_future(said(pool, birth, "đăng ký khai sinh cần gì"))
        second = await within(said(pool, marriage, "đăng ký kết hôn cần gì"), 60, "worker 1's answer while worker 0 is stopped")
        assert not first.done()  # the second conversation was answered while the first one's answer was still owed
    finally:
        os.kill(busy, signal.SIGCONT)
    first_answer = await within(first, 60, "worker 0's answer once it is continued")
    assert "Đăng ký kết hôn" in second.splitlines()[0] and "Đăng ký khai sinh" in first_answer.splitlines()[0]  # headings
    fees = await asyncio.gather(*(said(pool, c, "thế lệ phí bao nhiêu?") for c in (birth, marriage)))
    assert "Đăng ký khai sinh" in fees[0] and "kết hôn" not in fees[0].lower()  # each kept its own context
    assert "Đăng ký kết hôn" in fees[1] and "khai sinh" not in fees[1].lower()
    assert pool.pids[0] == busy  # stopped for a while is not dead: the same worker answered


async def test_messages_of_one_conversation_are_answered_in_order(pool):
    conversation = on_worker(0)
    first, second = await asyncio.gather(said(pool, conversation, "đăng ký kết hôn cần gì"),
                                         said(pool, conversation, "thế lệ phí bao nhiêu?"))
    assert "Đăng ký kết hôn" in first and "Lệ phí" in second and "Đăng ký kết hôn" in second


async def test_an_attachment_comes_back_with_its_bytes(pool):
    from bot.catalogue.documents import DOCX_MIME, docx_text

    replies = await pool.handle(on_worker(1), "cho xin mẫu tờ khai đăng ký kết hôn", {"as_of": "2026-11-24"})
    files = [a for r in replies for a in r.attachments]
    assert len(files) == 1 and files[0].mime_type == DOCX_MIME and files[0].filename.endswith(".docx")
    assert "ĐĂNG KÝ KẾT HÔN" in docx_text(files[0].content) and "24/11/2026" in docx_text(files[0].content)


async def test_a_killed_worker_is_replaced_and_its_message_gets_an_apology(pool):
    survivor, victim = on_worker(0), on_worker(1)
    assert "Đăng ký khai sinh" in await said(pool, victim, "đăng ký khai sinh cần gì")
    pids = pool.pids
    in_flight = asyncio.ensure_future(pool.handle(victim, "thế lệ phí bao nhiêu?"))
    await asyncio.sleep(0)  # only yields: the request task runs its first step, which writes to the worker's pipe
    os.kill(pids[1], signal.SIGKILL)
    assert [r.text for r in await within(in_flight, 30, "the apology for the killed worker's message")] == [ERR_WORKER]
    assert "Đăng ký kết hôn" in await said(pool, survivor, "đăng ký kết hôn cần gì")  # the other worker carries on
    await wait_until(lambda: pool.pids[1] not in (None, pids[1]), 60, "a new worker process in place of the killed one")
    # It loads the model before it answers, as the first ones did (the fixture waits for them without a deadline): on a
    # loaded machine, at its lower CPU priority, that took over 3 minutes. The deadline only stops a worker that never comes.
    follow_up = await within(said(pool, victim, "thế lệ phí bao nhiêu?"), 900, "an answer from the new worker")
    assert "Lệ phí" in follow_up and "Đăng ký khai sinh" in follow_up  # its context was in the shared tracker DB
    assert pool.pids[0] == pids[0] and pool.pids[1] not in (None, pids[1]) and pool.restarts == 1


async def test_a_closed_pool_refuses_messages(settings, tmp_path):
    pool = WorkerPool(dataclasses.replace(settings, tracker_db_path=tmp_path / "tracker.db"), workers=1)
    with pytest.raises(RuntimeError):
        await pool.handle("telegram:1", "xin chào")


async def test_a_pool_whose_worker_cannot_load_the_model_says_so(settings, tmp_path):
    pool = WorkerPool(dataclasses.replace(settings, tracker_db_path=tmp_path / "tracker.db"), workers=1,
                      model_path=tmp_path / "missing.tar.gz")
    with pytest.raises(RuntimeError, match="could not load"):
        await asyncio.wait_for(pool.start(), 120)
    assert pool.pids == [None]
