"""Where conversations are kept: Rasa's SQL tracker store on a SQLite file (``var/tracker.db``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.db import BUSY_TIMEOUT_S, enable_wal


def sqlite_tracker_store(store_class: Any, path: Path) -> Any:
    """Rasa's SQL tracker store on a SQLite file that several worker processes can write at once.

    WAL (:func:`bot.db.enable_wal`): readers never wait for a writer, and a commit appends to the log.
    ``synchronous=NORMAL``: no fsync per commit in WAL mode, the database stays consistent, a power cut may lose
    the last turns of conversations. ``timeout``: a writer waits for another process's write instead of failing
    (Rasa would then keep the turn in memory only).
    """
    import sqlalchemy

    enable_wal(path)
    store = store_class(dialect="sqlite", db=str(path), query={"timeout": str(int(BUSY_TIMEOUT_S))})
    sqlalchemy.event.listen(store.engine, "connect", lambda conn, _: conn.execute("PRAGMA synchronous=NORMAL"))
    return store
