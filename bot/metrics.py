"""Every Prometheus metric of motcua, in one place (``GET /metrics`` on the web chat's server exposes them).

The code that sees an event counts it here: the conversation engine (messages by channel and intent, reply
time), the fallback action, the sender (deliveries and failures by channel), the broadcasts, the officials'
report and the legal answers (their timings). The outbox's depth and age are read from the database when
``/metrics`` is scraped (:func:`bot.health.outbox_families`), so they hold for every process of the deployment.

What one ``/metrics`` covers (docs/operations.md):

- ``motcua serve --workers 1``: this process, so everything above.
- ``motcua serve --workers N`` (the default, one per core): the assistant runs in worker processes, so the
  server runs prometheus_client's multiprocess mode (``motcua serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` to a fresh
  directory before this module is imported anywhere): each process writes its samples to a file under ``PROMETHEUS_MULTIPROC_DIR`` and
  ``/metrics`` adds them up. The per-process ``process_*`` and ``python_*`` metrics are then absent.
- ``motcua scheduler`` in a process of its own: its deliveries and broadcasts are counted there; set
  ``MOTCUA_SCHEDULER_METRICS_PORT`` to expose them on ``127.0.0.1:<port>/metrics``. The outbox gauges
  (from the database) are in the web server's ``/metrics`` either way.

Labels are small fixed sets (channel names, intent names from domain.yml, outcomes): never a user id or a text.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from typing import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# seconds: a reply takes 20 ms to a few seconds (a report with its chart); a legal search tens of ms
REPLY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
WORK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

MESSAGES = Counter("motcua_messages", "Messages answered, by channel and the intent the NLU gave them "
                   "(desk: taken by an open hand-off or an awaited answer; empty: nothing to read)", ["channel", "intent"])
IN_PROGRESS = Gauge("motcua_messages_in_progress", "Messages being answered right now (all worker processes)",
                    multiprocess_mode="livesum")
FALLBACKS = Counter("motcua_fallbacks", "Messages the assistant could not place (asked back and logged for review)", ["channel"])
REPLY_SECONDS = Histogram("motcua_reply_seconds", "Time to answer one message (the conversation engine, without the channel)",
                          ["channel"], buckets=REPLY_BUCKETS)
DELIVERIES = Counter("motcua_deliveries", "Outbox sends by channel and outcome (delivered, retry, timeout, rerouted, failed)",
                     ["channel", "outcome"])
BROADCASTS = Counter("motcua_broadcasts", "Broadcasts confirmed into the outbox, and their notices", ["what"])
REPORT_SECONDS = Histogram("motcua_report_seconds", "Time to build an officials' report or indicators answer", ["kind"],
                           buckets=WORK_BUCKETS)
LEGAL_SECONDS = Histogram("motcua_legal_query_seconds", "Time to answer a legal question (search and quoted articles)",
                          buckets=WORK_BUCKETS)

CHANNELS = ("web", "kiosk", "telegram", "zalo")


def channel_of(conversation_id: str) -> str:
    """The channel a conversation id belongs to (``telegram:42`` -> ``telegram``); ``other`` for the terminal and tests."""
    head = str(conversation_id).split(":", 1)[0]
    return head if head in CHANNELS else "other"


@contextmanager
def timed(histogram) -> Iterator[None]:
    """Observe the time the ``with`` block takes into ``histogram`` (a labelled child or a plain histogram)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        histogram.observe(time.perf_counter() - started)


def process_gone(pid: int) -> None:
    """Forget the live gauges of a worker process that ended (multiprocess mode): a worker that died mid-answer
    must not count as answering for ever. Its counters stay (they are totals)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR") and pid:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


def exposition() -> bytes:
    """The text format of this deployment's process metrics: the multiprocess files when they are on, else this process."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
        return generate_latest(registry)
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY)
