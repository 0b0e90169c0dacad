"""Serve on every core: a pool of worker processes, each with its own loaded assistant.

One ``Assistant.handle`` is CPU-bound Python (Rasa NLU, policies, in-process actions, the SQLite
tracker store), so one process uses one core. :class:`WorkerPool` starts ``N`` processes (``spawn``:
no TensorFlow state is forked), each loading the model once, and offers the same call as
:class:`bot.conversation.engine.Assistant`::

    pool = WorkerPool(settings, workers=2)
    await pool.start()                      # waits until every worker has loaded the model
    replies = await pool.handle("telegram:42", "đăng ký khai sinh cần gì", {})
    await pool.close()

so a channel can be given the pool instead of an ``Assistant``. Guarantees:

- a conversation id always goes to the same worker (CRC-32 of the id, stable across runs and
  processes, unlike Python's salted ``hash``), and each worker handles its messages one at a time in
  arrival order, so the messages of one conversation are answered in order;
- replies come back whole (text, buttons, attachments with their bytes: pickled over a pipe);
- a worker that dies is started again; the messages it had not answered get :data:`ERR_WORKER`
  as their reply instead of waiting forever; messages sent while it restarts wait for it;
- an exception inside ``handle`` in a worker is raised in the caller as :class:`WorkerError`.

Workers are started with ``spawn``, which imports the parent's ``__main__`` module in each worker: a script
that starts a pool must keep its top level behind ``if __name__ == "__main__":`` (console scripts, pytest
and ``bench/channels.py`` do).

The workers run at a lower CPU priority (``niceness``, default 5) than the parent: the parent's work
per message is short (receive the update, send the reply) and every message waits for it, while the
workers are busy with the CPU-heavy part; with more busy processes than cores the parent then runs as
soon as it has something to do. Throughput is the same (the workers use whatever CPU is left).

Transport: one duplex ``multiprocessing`` pipe per worker, read in the parent's event loop with
``add_reader`` (no thread, no HTTP). The worker reads its pipe in a thread and answers from its event
loop. Both workers write the same SQLite files: the tracker store runs in WAL mode with a busy timeout
(see ``Assistant.load``), the motcua database is in WAL mode already (``bot/store.py``).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import logging
import multiprocessing
import os
import signal
import sys
import threading
import traceback
import zlib
from collections import OrderedDict
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from bot.db import enable_wal
from bot.delivery.reply import Reply
from bot.metrics import process_gone
from bot.services import Services
from bot.settings import Settings

log = logging.getLogger(__name__)

ERR_WORKER = "Xin lỗi, hệ thống vừa gặp sự cố nên chưa trả lời được tin này. Anh/chị vui lòng gửi lại sau ít phút."


class WorkerError(RuntimeError):
    """The assistant failed on a message inside a worker (the worker's exception, as text)."""


def worker_index(conversation_id: str, workers: int) -> int:
    """The worker a conversation is pinned to: CRC-32 of its id modulo the number of workers."""
    return zlib.crc32(str(conversation_id).encode("utf-8")) % workers


# the worker process ---------------------------------------------------------------------------
def _event_row(sender_id: str, event: Any) -> Dict[str, Any]:
    """The ``events`` row of one Rasa event, column for column as ``SQLTrackerStore.save`` fills it."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


@functools.lru_cache(maxsize=None)
def pinned_tracker_store_class() -> type:
    """Rasa's SQL tracker store that also keeps, in this worker's memory, the trackers it last saved.

    Safe only because a conversation is pinned to one worker, so no other process writes its events
    (a restarted worker starts with an empty cache and reads the database). Each message otherwise
    reads and replays the whole conversation session from SQLite and counts its stored events before
    writing the new ones: 3-12 ms a message on this machine, growing with the conversation. Writes
    still go to SQLite at every save (a worker that dies loses nothing). A tracker is kept only while
    it holds a single session, so a session that expired is read back from the database as Rasa would.
    """
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import SessionStarted

    class PinnedSQLTrackerStore(SQLTrackerStore):
        """A write-through cache of the trackers of the conversations pinned to this process (LRU)."""

        cache_size = 2000

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._kept: "OrderedDict[str, Tuple[Any, int]]" = OrderedDict()  # sender -> (tracker, events stored)

        async def retrieve(self, sender_id: str) -> Any:
            """The kept tracker, or the latest session read from the database."""
            kept = self._kept.get(sender_id)
            if kept is not None:
                self._kept.move_to_end(sender_id)
                return kept[0]
            return await super().retrieve(sender_id)

        async def save(self, tracker: Any) -> None:
            """Write the new events in one multi-row insert, then keep the tracker (if it holds one session).

            The rows are the ones Rasa's ``SQLTrackerStore.save`` writes, without its ORM objects (a
            third of a turn's time went to building and flushing them one by one).
            """
            sender = tracker.sender_id
            kept = self._kept.pop(sender, None)  # trusted again only once this save is committed
            await self.stream_events(tracker)
            with self.session_scope() as session:
                if kept is not None and kept[0] is tracker and kept[1] <= len(tracker.events):
                    new_events = itertools.islice(tracker.events, kept[1], len(tracker.events))
                else:  # Rasa's way: count what the database holds of the latest session
                    new_events = self._additional_events(session, tracker)
                rows = [_event_row(sender, event) for event in new_events]
                if rows:
                    session.execute(self.SQLEvent.__table__.insert(), rows)
                session.commit()
            if sum(isinstance(e, SessionStarted) for e in tracker.events) <= 1:  # as the database would give it back
                self._kept[sender] = (tracker, len(tracker.events))
                while len(self._kept) > self.cache_size:
                    self._kept.popitem(last=False)

        def forget(self, sender_id: str) -> None:
            """Read this conversation from the database next time (after a failed turn)."""
            self._kept.pop(sender_id, None)

    return PinnedSQLTrackerStore


def _worker_main(conn: Connection, settings: Settings, model_path: str, niceness: int = 0) -> None:
    """Entry point of a worker process: load the assistant, then answer requests until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the whole group: the parent decides
    if niceness:
        os.nice(niceness)
    asyncio.run(_serve(conn, settings, model_path))
    conn.close()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # every answer is sent and committed; skip TensorFlow's slow teardown at interpreter exit


async def _serve(conn: Connection, settings: Settings, model_path: str) -> None:
    """Read requests in a thread (so the parent never blocks on a full pipe), answer them one by one."""
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue = asyncio.Queue()

    def read() -> None:
        """Move every request from the pipe to the event loop's queue; ``None`` on EOF."""
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                message = None
            loop.call_soon_threadsafe(inbox.put_nowait, message)
            if message is None or message[0] == "stop":
                return

    threading.Thread(target=read, name="motcua-worker-pipe", daemon=True).start()
    conn.send(("hello", None, os.getpid()))
    from bot.conversation.engine import Assistant

    try:
        assistant = await Assistant.load(settings, Path(model_path), tracker_store_class=pinned_tracker_store_class())
    except BaseException:
        conn.send(("failed", None, traceback.format_exc()))
        return
    conn.send(("ready", None, os.getpid()))
    while True:
        message = await inbox.get()
        if message is None or message[0] == "stop":
            return
        op, request_id, args = message
        try:
            if op == "handle":
                result: Any = await assistant.handle(*args)
            elif op == "parse":
                result = await assistant.parse(*args)
            else:
                raise ValueError(f"unknown request {op!r}")
            conn.send(("ok", request_id, result))
        except Exception as error:  # the caller gets it as WorkerError
            log.exception("worker %s: %s failed", os.getpid(), op)
            if op == "handle":
                getattr(getattr(assistant.agent.tracker_store, "_tracker_store", None), "forget", lambda _: None)(args[0])
            conn.send(("error", request_id, f"{type(error).__name__}: {error}"))


# the parent side --------------------------------------------------------------------------------
class _Worker:
    """The parent's handle on one worker process: its pipe, its unanswered requests, its state."""

    def __init__(self, index: int, process: Any, conn: Connection) -> None:
        self.index = index
        self.process = process
        self.conn = conn
        self.pid: Optional[int] = None
        self.hello = False                          # its pipe reader runs: sends no longer block
        self.backlog: List[Tuple[str, int, tuple]] = []  # requests sent before hello
        self.pending: Dict[int, Tuple[str, asyncio.Future]] = {}
        self.ready: asyncio.Future = asyncio.get_running_loop().create_future()
        self.exited = asyncio.Event()


class WorkerPool:
    """``workers`` processes behind one ``handle(conversation_id, text, metadata)``."""

    def __init__(self, settings: Settings, workers: Optional[int] = None, model_path: Optional[Path] = None, *,
                 restart_delay: float = 1.0, stop_timeout: float = 30.0, niceness: int = 5) -> None:
        self.settings = settings
        self.niceness = niceness
        self.size = max(1, int(workers or os.cpu_count() or 1))
        self.model_path = model_path
        self.restart_delay = restart_delay
        self.stop_timeout = stop_timeout
        self.restarts = 0
        self._workers: List[Optional[_Worker]] = [None] * self.size
        self._ids = itertools.count(1)
        self._context = multiprocessing.get_context("spawn")
        self._closing = False
        self._started = False
        self._restart_tasks: set = set()

    # lifecycle ------------------------------------------------------------------------------
    async def start(self) -> "WorkerPool":
        """Start every worker and wait until each has loaded the model; raises if one cannot."""
        from bot.conversation.engine import latest_model

        if self._started:
            return self
        self.model_path = Path(self.model_path or latest_model(self.settings.models_dir))
        self._prepare_databases()
        self._closing = False
        for index in range(self.size):
            self._workers[index] = self._spawn(index)
        try:
            outcomes = await asyncio.gather(*(w.ready for w in self._workers if w), return_exceptions=True)
        except BaseException:  # cancelled
            await self.close()
            raise
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        if failures:
            await self.close()
            raise failures[0]
        self._started = True
        log.info("worker pool: %d workers ready (pids %s)", self.size, self.pids)
        return self

    async def close(self) -> None:
        """Let every worker finish what it was given, then stop it (terminate after ``stop_timeout``)."""
        self._closing = True
        for task in list(self._restart_tasks):
            task.cancel()
        workers = [w for w in self._workers if w is not None]
        for worker in workers:
            self._send(worker, ("stop", 0, ()))
        if workers:
            try:
                await asyncio.wait_for(asyncio.gather(*(w.exited.wait() for w in workers)), self.stop_timeout)
            except asyncio.TimeoutError:
                log.warning("worker pool: workers did not stop within %s s; terminating them", self.stop_timeout)
        for worker in workers:
            await self._reap(worker)
        self._workers = [None] * self.size
        self._started = False

    async def __aenter__(self) -> "WorkerPool":
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    # the assistant's interface ----------------------------------------------------------------
    async def handle(self, conversation_id: str, text: str, metadata: Optional[Dict[str, Any]] = None) -> List[Reply]:
        """The replies to one message, from the worker its conversation is pinned to."""
        return await self._request(worker_index(conversation_id, self.size), "handle",
                                   (str(conversation_id), text, metadata))

    async def parse(self, text: str) -> Dict[str, Any]:
        """NLU only (see ``Assistant.parse``), on the worker the text hashes to."""
        return await self._request(worker_index(text, self.size), "parse", (text,))

    def worker_for(self, conversation_id: str) -> int:
        """The index of the worker that handles ``conversation_id``."""
        return worker_index(conversation_id, self.size)

    def health(self) -> Dict[str, Any]:
        """``/healthz``'s model part: every worker has loaded the model (one being restarted has not)."""
        ready = sum(1 for w in self._workers if w is not None and w.ready.done() and not w.ready.cancelled()
                    and w.ready.exception() is None and not w.exited.is_set())
        return {"ok": self._started and not self._closing and ready == self.size, "workers": self.size, "ready": ready,
                "restarts": self.restarts}

    @property
    def pids(self) -> List[Optional[int]]:
        """The process id of each worker (None while one is being started)."""
        return [w.pid if w else None for w in self._workers]

    # internals ----------------------------------------------------------------------------------
    def _prepare_databases(self) -> None:
        """Put the tracker database in WAL mode before several processes open it (the motcua DB already is)."""
        enable_wal(self.settings.tracker_db_path)
        Services.open(self.settings.db_path).db.conn.close()  # creates the schema once, before the workers race to

    def _spawn(self, index: int) -> _Worker:
        """Start worker ``index`` and watch its pipe."""
        parent_conn, child_conn = self._context.Pipe(duplex=True)
        process = self._context.Process(target=_worker_main, args=(child_conn, self.settings, str(self.model_path), self.niceness),
                                        name=f"motcua-worker-{index}", daemon=True)
        process.start()
        child_conn.close()  # so the worker's death reads as EOF here
        worker = _Worker(index, process, parent_conn)
        asyncio.get_running_loop().add_reader(parent_conn.fileno(), self._on_readable, worker)
        return worker

    async def _request(self, index: int, op: str, args: tuple) -> Any:
        """Send one request to worker ``index`` and wait for its answer."""
        if not self._started or self._closing:
            raise RuntimeError("the worker pool is not running: call `await pool.start()` first")
        worker = self._workers[index]
        if worker is None:  # being replaced right now: wait for its successor
            await self._wait_for_worker(index)
            worker = self._workers[index]
            assert worker is not None
        request_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        worker.pending[request_id] = (op, future)
        self._send(worker, (op, request_id, args))
        status, payload = await future
        if status == "error":
            raise WorkerError(payload)
        return payload

    async def _wait_for_worker(self, index: int) -> None:
        while self._workers[index] is None:
            if self._closing:
                raise RuntimeError("the worker pool is closing")
            await asyncio.sleep(0.01)

    def _send(self, worker: _Worker, message: Tuple[str, int, tuple]) -> None:
        """Write to the worker's pipe, or keep it until the worker's pipe reader runs."""
        if worker.exited.is_set():
            self._answer_failed(worker, [message[1]])
            return
        if not worker.hello:
            worker.backlog.append(message)
            return
        try:
            worker.conn.send(message)
        except (OSError, ValueError):  # the worker died under us: its EOF handler answers the rest
            self._answer_failed(worker, [message[1]])

    def _on_readable(self, worker: _Worker) -> None:
        """Read every answer waiting in ``worker``'s pipe; on EOF the worker is dead."""
        try:
            while worker.conn.poll():
                kind, request_id, payload = worker.conn.recv()
                self._on_message(worker, kind, request_id, payload)
        except (EOFError, OSError):
            self._on_exit(worker)

    def _on_message(self, worker: _Worker, kind: str, request_id: Optional[int], payload: Any) -> None:
        if kind == "hello":
            worker.pid, worker.hello = payload, True
            backlog, worker.backlog = worker.backlog, []
            for message in backlog:
                self._send(worker, message)
        elif kind == "ready":
            if not worker.ready.done():
                worker.ready.set_result(True)
        elif kind == "failed":
            log.error("worker %s could not load the assistant:\n%s", worker.index, payload)
            if not worker.ready.done():
                worker.ready.set_exception(RuntimeError(f"worker {worker.index} could not load the assistant:\n{payload}"))
        else:
            entry = worker.pending.pop(request_id, None)
            if entry and not entry[1].done():
                entry[1].set_result((kind, payload))

    def _on_exit(self, worker: _Worker) -> None:
        """The worker's pipe closed: answer what it owed, and start another one unless the pool is closing."""
        if worker.exited.is_set():
            return
        worker.exited.set()
        loop = asyncio.get_running_loop()
        loop.remove_reader(worker.conn.fileno())
        worker.conn.close()
        self._answer_failed(worker, list(worker.pending) + [m[1] for m in worker.backlog])
        if not worker.ready.done():
            worker.ready.set_exception(RuntimeError(f"worker {worker.index} exited before it was ready"))
        was_ready = not worker.ready.cancelled() and worker.ready.exception() is None
        if self._closing or not was_ready or self._workers[worker.index] is not worker:
            return  # closing, or it never loaded: start() or _replace() deals with that
        log.error("worker %s (pid %s) died; starting another", worker.index, worker.pid)
        self._workers[worker.index] = None
        task = asyncio.ensure_future(self._replace(worker))
        self._restart_tasks.add(task)
        task.add_done_callback(self._restart_tasks.discard)

    def _answer_failed(self, worker: _Worker, request_ids: List[int]) -> None:
        """Give each request an error: a ``handle`` gets the apology as its reply."""
        for request_id in request_ids:
            op, future = worker.pending.pop(request_id, (None, None))
            if future is None or future.done():
                continue
            if op == "handle":
                future.set_result(("ok", [Reply(ERR_WORKER)]))
            else:
                future.set_result(("error", f"worker {worker.index} died"))

    async def _replace(self, dead: _Worker) -> None:
        """Reap a dead worker and start its successor (again after a growing pause if that one fails too)."""
        await self._reap(dead)
        log.info("worker %s had exit code %s", dead.index, dead.process.exitcode)
        delay = self.restart_delay
        while not self._closing:
            await asyncio.sleep(delay)
            worker = self._spawn(dead.index)
            self._workers[dead.index] = worker
            self.restarts += 1
            try:
                await worker.ready
                log.info("worker %s replaced (pid %s)", dead.index, worker.pid)
                return
            except RuntimeError:
                if self._workers[dead.index] is not worker:
                    return  # its death already scheduled the next replacement
                await self._reap(worker)
                delay = min(delay * 2, 60.0)

    async def _reap(self, worker: _Worker) -> None:
        """Make sure a worker process is gone (terminate, then kill) and its pipe closed."""
        process = worker.process
        for stop in (None, process.terminate, process.kill):
            if stop is not None and process.is_alive():
                stop()
            for _ in range(100):
                if not process.is_alive():
                    break
                await asyncio.sleep(0.05)
            if not process.is_alive():
                break
        process.join(timeout=1)
        process_gone(process.pid)
        if not worker.exited.is_set():
            self._on_exit(worker)
