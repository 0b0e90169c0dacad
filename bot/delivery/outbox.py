"""The outbox: every notification is written here before anything is sent, once per (recipient, event).

Tables (in the deployment's SQLite file; their schema is in bot/db.py):

``outbox``
    One row per notice. ``(recipient_id, event)`` is UNIQUE: :meth:`Outbox.enqueue` is ``INSERT OR IGNORE`` and
    tells from the cursor's ``rowcount`` whether the row is new, so a job that runs twice (a restart, a second
    process, a coalesced scheduler run) enqueues nothing twice. ``recipient_id`` is the user account
    (``users.id``) the notice is for; ``event`` a stable key such as ``dossier:<code>:status:<history_id>``,
    ``digest:<date>:<official_id>``, ``overdue:<code>`` or ``tip:eid:<n>``.
    ``person_id`` is the person the account belongs to (the sender may reroute to another of their accounts).
    ``account_id``/``channel``/``address`` say where it goes now: the recipient's own account, or another
    account of the same person after a permanent failure (``route`` keeps every move and why).
    ``state`` is ``pending`` -> ``sending`` (claimed: ``claimed_by``, ``claimed_until`` is the lease,
    ``attempt_id`` the current attempt, ``send_at`` its pacing slot, ``calling_at`` set just before the API call)
    -> ``delivered`` (``delivered_at``,
    ``channel`` used) or ``failed`` (``last_error`` says why; nothing is dropped silently). ``pending`` rows
    wait for ``next_attempt_at``; ``attempts`` counts claims; ``in_doubt`` counts attempts whose outcome we
    never learnt (the sender died after ``calling_at``, or the API timed out), the only attempts that can have
    produced a duplicate. A sender that died before calling the API leaves an ``abandoned`` attempt, not a doubt.

``outbox_attempts``
    One row per attempt (``attempt_id`` UNIQUE), written in the claim's transaction before the API is called
    and closed with its ``outcome`` (``delivered``, ``retry``, ``rerouted``, ``failed``, ``released``,
    ``timeout``) or, when its sender died, by the next claim of the row: ``in_doubt`` (it had called the API)
    or ``abandoned`` (it had not).

``outbox_pace``
    The pacing state shared by every sender process: per channel, the next free slot overall (``chat = '*'``)
    and per chat. A claim hands out slots in the same transaction (a cell-rate scheduler), so two sender
    processes together still keep to one platform limit.

``priority`` (migration 6): 0 a reply or relay to someone waiting, 1 an alert or notice (the default), 2 a broadcast
(:data:`REPLY`, :data:`ALERT`, :data:`BULK`). Among the claimable rows a claim takes the smaller priority first, so a
broadcast of thousands never holds back a reply or an alert written after it (one chat still gets its notices in order).
``attachment`` (migration 6): optional JSON ``{kind, filename, path, mime_type, caption}``, a file on disk sent with the
text (a broadcast's image or leaflet).

Claims are one ``BEGIN IMMEDIATE`` transaction (SQLite's write lock: one claimer at a time across processes):
each row is taken with ``UPDATE ... WHERE id = ? AND <still claimable>`` and its ``rowcount`` checked. Only the
oldest open row of each chat is claimable, so one chat's notices go out in order and one at a time.
Times used for scheduling (``next_attempt_at``, ``claimed_until``, ``send_at``, pace) are Unix seconds (REAL);
``created_at``/``delivered_at`` are ISO UTC texts for people.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import sqlite3
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Union

from bot.db import connect
from bot.delivery.reply import Attachment
from bot.timeutil import utc_iso

STATES = ("pending", "sending", "delivered", "failed")
REPLY, ALERT, BULK = 0, 1, 2  # outbox.priority: smaller is claimed first
REPLY_EVENT = "reply"  # a notice answering the account's own message (bot/channels/late_replies.py): needs no consent
log = logging.getLogger(__name__)
MAX_TEXT = 4000  # one Telegram message holds 4,096 characters (https://core.telegram.org/bots/api#sendmessage)




def claimable(prefix: str = "") -> str:
    """SQL: pending and due, or claimed by a sender whose lease ran out (it died or hung)."""
    p = prefix
    return f"(({p}state = 'pending' and {p}next_attempt_at <= :now) or ({p}state = 'sending' and {p}claimed_until < :now))"


@dataclass(frozen=True)
class Pace:
    """A platform's sending limits: messages a second overall, and the least time between two messages to one chat."""

    per_second: float
    chat_interval: float

    @property
    def interval(self) -> float:
        """Seconds between two slots overall."""
        return 1.0 / self.per_second


@dataclass
class Claimed:
    """One notice a sender has claimed: what to send, where, when, and the attempt it belongs to."""

    id: int
    recipient_id: int
    event: str
    text: str
    buttons: List[dict]
    account_id: int
    person_id: int
    channel: str
    address: str
    attempts: int
    attempt_id: str
    send_at: float
    claimed_until: float
    tried: List[int] = field(default_factory=list)
    attachment: Optional[str] = None  # JSON spec (see the module docstring), None for a text notice

    def attachments(self) -> List[Attachment]:
        """The files to send with the text (a missing or unreadable file is left out and logged)."""
        return attachments_from(self.attachment)


def attachment_spec(path: Union[str, Path], kind: str = "photo", caption: str = "", mime_type: str = "") -> str:
    """The ``outbox.attachment`` JSON for the file at ``path``."""
    path = Path(path)
    guessed = mime_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return json.dumps({"kind": kind, "filename": path.name, "path": str(path), "mime_type": guessed, "caption": caption},
                      ensure_ascii=False)


def attachments_from(spec: Optional[str]) -> List[Attachment]:
    """The attachments an ``outbox.attachment`` JSON names, read from disk."""
    if not spec:
        return []
    try:
        data = json.loads(spec)
        content = Path(data["path"]).read_bytes()
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("outbox: attachment %r left out: %s", spec, error)
        return []
    return [Attachment(kind=data.get("kind") or "document", filename=data.get("filename") or Path(data["path"]).name,
                       content=content, mime_type=data.get("mime_type") or "application/octet-stream",
                       caption=data.get("caption") or "")]


class Outbox:
    """The outbox tables over their own SQLite connection (autocommit; explicit transactions)."""

    def __init__(self, path: Union[str, Path], clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.clock = clock
        # bot.db.connect: WAL + synchronous=NORMAL, autocommit with explicit transactions.
        # WAL + synchronous=NORMAL: a commit survives the process being killed (kill -9), not a power loss, which may
        # roll back the last commits as a whole (https://www.sqlite.org/pragma.html#pragma_synchronous). FULL made
        # each commit wait ~4 ms (up to 40 ms) for fsync here, inside the sender's event loop, and that jitter pushed
        # paced sends into one Telegram window. A power loss can thus cost duplicates (lost "delivered" marks), never
        # lost notices: the jobs' cursors roll back with the notices they wrote, and they write them again.
        self.conn = connect(self.path)
        self.conn.row_factory = sqlite3.Row

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    # writing notices -------------------------------------------------------------------------------
    def enqueue(self, account: Any, event: str, text: str, buttons: Optional[List[dict]] = None,
                *, not_before: Optional[float] = None, priority: int = ALERT, attachment: Optional[str] = None) -> bool:
        """Write a notice for ``account`` (an account with ``id``, ``person_id``, ``channel``, ``channel_user_id``);
        False when ``(account.id, event)`` is already there. ``priority``: :data:`REPLY`, :data:`ALERT` or :data:`BULK`;
        ``attachment``: an :func:`attachment_spec`."""
        text = (text or "").strip()
        if not text:
            raise ValueError("a notification needs a text")
        if len(text) > MAX_TEXT:
            raise ValueError(f"a notification must fit one message ({MAX_TEXT} characters), got {len(text)}")
        now = self.clock()
        cursor = self.conn.execute(
            "insert or ignore into outbox (recipient_id, person_id, event, kind, text, buttons, account_id, channel, address,"
            " next_attempt_at, created_at, tried, priority, attachment) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [account.id, account.person_id, event, event.split(":", 1)[0], text, json.dumps(buttons or [], ensure_ascii=False),
             account.id, account.channel, str(account.channel_user_id), max(now, not_before or now), utc_iso(now),
             json.dumps([account.id]), int(priority), attachment],
        )
        return cursor.rowcount == 1

    # claiming ----------------------------------------------------------------------------------------
    def claim(self, worker: str, limit: int, paces: Optional[Dict[str, Pace]] = None, *, horizon: float = 2.0,
              lease: float = 60.0) -> List[Claimed]:
        """Claim up to ``limit`` due notices for ``worker``, each with a pacing slot within ``horizon`` seconds.

        A claimed row is ``sending`` until ``send_at + lease``; another sender takes it only after that.
        """
        paces = paces or {}
        now = self.clock()
        if limit <= 0:
            return []
        self.conn.execute("begin immediate")
        try:
            candidates = self.conn.execute(
                f"""select o.* from outbox o
                    where o.id in (select min(id) from outbox where state in ('pending', 'sending') group by channel, address)
                      and {claimable("o.")}
                    order by o.priority, o.next_attempt_at, o.id limit :k""",
                {"now": now, "k": max(limit * 4, 50)},
            ).fetchall()
            pace_state: Dict[tuple, float] = {}

            def next_at(channel: str, chat: str) -> float:
                key = (channel, chat)
                if key not in pace_state:
                    row = self.conn.execute("select next_at from outbox_pace where channel = ? and chat = ?", key).fetchone()
                    pace_state[key] = row["next_at"] if row else 0.0
                return pace_state[key]

            claimed: List[Claimed] = []
            full = set()
            for row in candidates:
                if len(claimed) >= limit:
                    break
                channel, chat = row["channel"], row["address"]
                if channel in full:
                    continue
                pace = paces.get(channel)
                slot = now
                if pace is not None:
                    overall = next_at(channel, "*")
                    if overall > now + horizon:
                        full.add(channel)
                        continue
                    slot = max(now, overall, next_at(channel, chat))
                    if slot > now + horizon:
                        continue
                attempt_id = uuid.uuid4().hex
                until = slot + lease
                if row["state"] == "sending":  # its sender died or hung: had it called the API?
                    outcome = "in_doubt" if row["calling_at"] is not None else "abandoned"
                    self.conn.execute("update outbox_attempts set outcome = ?, finished_at = ? "
                                      "where attempt_id = ? and outcome is null", [outcome, now, row["attempt_id"]])
                cursor = self.conn.execute(
                    f"""update outbox set state = 'sending', claimed_by = :worker, claimed_until = :until,
                        attempt_id = :attempt, send_at = :slot, attempts = attempts + 1,
                        in_doubt = in_doubt + (state = 'sending' and calling_at is not null), calling_at = null
                        where id = :id and {claimable()}""",
                    {"worker": worker, "until": until, "attempt": attempt_id, "slot": slot, "id": row["id"], "now": now},
                )
                if cursor.rowcount != 1:
                    continue
                self.conn.execute(
                    "insert into outbox_attempts (outbox_id, attempt_id, worker, channel, address, started_at)"
                    " values (?, ?, ?, ?, ?, ?)", [row["id"], attempt_id, worker, channel, chat, slot])
                if pace is not None:
                    pace_state[(channel, "*")] = slot + pace.interval
                    pace_state[(channel, chat)] = slot + pace.chat_interval
                claimed.append(Claimed(
                    id=row["id"], recipient_id=row["recipient_id"], event=row["event"], text=row["text"],
                    buttons=json.loads(row["buttons"] or "[]"), account_id=row["account_id"],
                    person_id=row["person_id"] or row["account_id"], channel=channel,
                    address=chat, attempts=row["attempts"] + 1, attempt_id=attempt_id, send_at=slot, claimed_until=until,
                    tried=json.loads(row["tried"] or "[]"), attachment=row["attachment"],
                ))
            for (channel, chat), value in pace_state.items():
                self.conn.execute("insert into outbox_pace (channel, chat, next_at) values (?, ?, ?) on conflict"
                                  " (channel, chat) do update set next_at = max(next_at, excluded.next_at)", [channel, chat, value])
            self.conn.execute("commit")
        except BaseException:
            self.conn.execute("rollback")
            raise
        return claimed

    # outcomes --------------------------------------------------------------------------------------------
    def _finish(self, claimed: Claimed, outcome: str, error: Optional[str], sql: str, params: dict) -> bool:
        """Apply ``sql`` to the row if ``claimed``'s attempt still holds it, and close the attempt; True when applied."""
        now = self.clock()
        self.conn.execute("begin immediate")
        try:
            cursor = self.conn.execute(sql + ", calling_at = null where id = :id and attempt_id = :attempt and state = 'sending'",
                                       {**params, "id": claimed.id, "attempt": claimed.attempt_id, "now": now})
            applied = cursor.rowcount == 1
            self.conn.execute("update outbox_attempts set outcome = ?, error = ?, finished_at = ? where attempt_id = ?",
                              [outcome if applied else outcome + " (late: lease lost)", error, now, claimed.attempt_id])
            self.conn.execute("commit")
        except BaseException:
            self.conn.execute("rollback")
            raise
        return applied

    def calling(self, claimed: Claimed) -> bool:
        """Note that the API is about to be called for this attempt; False when the attempt no longer holds the row."""
        cursor = self.conn.execute("update outbox set calling_at = ? where id = ? and attempt_id = ? and state = 'sending'",
                                   [self.clock(), claimed.id, claimed.attempt_id])
        return cursor.rowcount == 1

    def expire_leases_of(self, is_dead: Callable[[str], bool]) -> int:
        """End the leases held by workers ``is_dead`` says are gone (a crashed sender on this host); returns rows freed."""
        workers = [r[0] for r in self.conn.execute(
            "select distinct claimed_by from outbox where state = 'sending' and claimed_until >= ?", [self.clock()])]
        freed = 0
        for worker in workers:
            if worker and is_dead(worker):
                freed += self.conn.execute("update outbox set claimed_until = 0 where state = 'sending' and claimed_by = ?",
                                           [worker]).rowcount
        return freed

    def mark_delivered(self, claimed: Claimed) -> bool:
        """Record that the platform accepted the notice (False when this attempt had lost its lease)."""
        return self._finish(claimed, "delivered", None,
                            "update outbox set state = 'delivered', delivered_at = :at, last_error = null,"
                            " claimed_until = null", {"at": utc_iso(self.clock())})

    def retry_at(self, claimed: Claimed, at: float, error: str, *, outcome: str = "retry") -> bool:
        """Put the notice back to ``pending`` until ``at`` (a 429, a 5xx, a time-out)."""
        doubt = 1 if outcome == "timeout" else 0
        return self._finish(claimed, outcome, error,
                            "update outbox set state = 'pending', next_attempt_at = :at, last_error = :error,"
                            " claimed_until = null, in_doubt = in_doubt + :doubt", {"at": at, "error": error, "doubt": doubt})

    def release(self, claimed: Claimed) -> bool:
        """Give a claimed notice back untried (this attempt does not count)."""
        return self._finish(claimed, "released", None,
                            "update outbox set state = 'pending', attempts = attempts - 1, claimed_until = null,"
                            " next_attempt_at = :now", {})

    def reroute(self, claimed: Claimed, account_id: int, channel: str, address: str, reason: str) -> bool:
        """Send the notice to another account of the same person next, recording why in ``route``."""
        step = f"{claimed.channel}:{claimed.address} -> {channel}:{address}: {reason}\n"
        return self._finish(claimed, "rerouted", reason,
                            "update outbox set state = 'pending', account_id = :account, channel = :channel, address = :address,"
                            " next_attempt_at = :now, last_error = :error, route = route || :step, claimed_until = null,"
                            " tried = :tried",
                            {"account": account_id, "channel": channel, "address": address, "error": reason, "step": step,
                             "tried": json.dumps(sorted(set(claimed.tried) | {claimed.account_id, account_id}))})

    def fail(self, claimed: Claimed, reason: str) -> bool:
        """Give up on the notice for good, with the reason (it stays in the table for review)."""
        return self._finish(claimed, "failed", reason,
                            "update outbox set state = 'failed', last_error = :error, claimed_until = null", {"error": reason})

    def cancel(self, event_prefix: str, reason: str) -> int:
        """Never send the open notices whose event starts with ``event_prefix``: pending ones and claimed ones whose
        API call has not started (their sender then finds the row gone, see ``calling``) become ``failed`` with
        ``reason``; one being sent right now finishes. Returns how many were stopped."""
        pattern = event_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        now = self.clock()
        self.conn.execute("begin immediate")
        try:
            self.conn.execute(
                "update outbox_attempts set outcome = 'cancelled', finished_at = ? where outcome is null and attempt_id in"
                " (select attempt_id from outbox where event like ? escape '\\' and state = 'sending' and calling_at is null)",
                [now, pattern])
            stopped = self.conn.execute(
                "update outbox set state = 'failed', last_error = ?, claimed_until = null where event like ? escape '\\'"
                " and (state = 'pending' or (state = 'sending' and calling_at is null))", [reason, pattern]).rowcount
            self.conn.execute("commit")
        except BaseException:
            self.conn.execute("rollback")
            raise
        return stopped

    def pause_chat(self, channel: str, address: str, until: float) -> None:
        """No slot for this chat before ``until`` (a 429 with ``retry_after``)."""
        self.conn.execute("insert into outbox_pace (channel, chat, next_at) values (?, ?, ?) on conflict (channel, chat)"
                          " do update set next_at = max(next_at, excluded.next_at)", [channel, address, until])

    # reading -------------------------------------------------------------------------------------------------
    def counts(self) -> Dict[str, int]:
        """How many notices are in each state."""
        found = {row["state"]: row["n"] for row in self.conn.execute("select state, count(*) n from outbox group by state")}
        return {state: found.get(state, 0) for state in STATES}

    def open_count(self) -> int:
        """Notices not yet delivered or failed."""
        return self.conn.execute("select count(*) from outbox where state in ('pending', 'sending')").fetchone()[0]

    def next_due(self) -> Optional[float]:
        """When the earliest open notice may be claimed (None when nothing is open)."""
        row = self.conn.execute(
            "select min(case when state = 'pending' then next_attempt_at else claimed_until end) from outbox"
            " where state in ('pending', 'sending')").fetchone()
        return row[0]

    def get(self, recipient_id: int, event: str) -> Optional[dict]:
        """The row of one notice, as a dict."""
        row = self.conn.execute("select * from outbox where recipient_id = ? and event = ?", [recipient_id, event]).fetchone()
        return dict(row) if row else None

    def rows(self, states: Iterable[str] = STATES) -> List[dict]:
        """Every notice in ``states``, oldest first."""
        states = list(states)
        marks = ",".join("?" * len(states))
        return [dict(r) for r in self.conn.execute(f"select * from outbox where state in ({marks}) order by id", states)]

    def history_of(self, recipient_id: int, prefix: str) -> tuple:
        """How many notices whose event starts with ``prefix`` ``recipient_id`` has (any state), and when the last
        was written (ISO text or None): a series such as the e-ID tips goes on from there."""
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        row = self.conn.execute("select count(*), max(created_at) from outbox where recipient_id = ? and event like ? escape '\\'",
                                [recipient_id, pattern]).fetchone()
        return row[0], row[1]

    def attempts(self, outbox_id: int) -> List[dict]:
        """The attempts of one notice, oldest first."""
        return [dict(r) for r in self.conn.execute("select * from outbox_attempts where outbox_id = ? order by id", [outbox_id])]
