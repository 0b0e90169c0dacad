"""The one SQLite database of a deployment: how it is opened, every table's schema, and its migrations.

Every module reaches the database through :func:`open_database` (or :func:`connect` for a raw connection), so
the connection settings are set here only:

- autocommit (``isolation_level=None``): a statement commits on its own; several statements that must land
  together go inside :func:`transaction` (``BEGIN IMMEDIATE``: the write lock is taken before anything is read,
  so two processes never both read-then-write on a stale view);
- WAL: readers never wait for a writer; ``synchronous=NORMAL``: no fsync per commit in WAL mode, the database
  stays consistent and a power cut may lose the last commits (https://www.sqlite.org/pragma.html#pragma_synchronous);
- a busy time-out of 30 s: a writer waits for another process's write instead of failing.

The schema is versioned with ``PRAGMA user_version``: :data:`MIGRATIONS` lists forward steps, each applied once
in its own transaction, so an existing ``var/motcua.db`` upgrades in place when it is opened. A step never edits
an earlier one; a change to a table is a new step at the end.

The Rasa tracker store (``var/tracker.db``) and APScheduler's job store are other files, with their owners'
own schemas; :func:`enable_wal` gives the tracker file the same journal mode.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, List, Tuple, Union

import sqlite_utils

BUSY_TIMEOUT_S = 30.0

# dossiers: a missing column of an older table is added by migration 1 (see _dossier_columns)
DOSSIER_COLUMNS = {
    "code": "text primary key",
    "procedure_code": "text", "procedure_id": "text", "procedure_name": "text", "applicant_name": "text",
    "applicant_phone": "text", "applicant_id_number": "text", "additions_note": "text", "department": "text",
    "handler": "text", "submission_channel": "text",
    "received_at": "text", "due_at": "text", "finished_at": "text", "updated_at": "text",
    "status": "text not null",
    "paid_online": "integer", "result_digitised": "integer",
    "source": "text",
}
# added by migration 3 (the execution report and the service indicators, bot/officials): the field (lĩnh vực)
# the dossier is counted under, how it was submitted online (full | partial, with submission_channel "online"),
# whether its components were digitised, and how many times the applicant was asked to supplement it
REPORT_COLUMNS = {"field": "text", "online_level": "text", "dossier_digitised": "integer", "supplement_requests": "integer"}
OPEN_STATUSES = ("new", "received", "in_progress", "additions_requested", "financial_obligation")
# Written once and used verbatim by the index and the queries: SQLite uses a partial index only when the
# query's WHERE contains the index's WHERE term as written.
OPEN_SQL = "status in (" + ", ".join(f"'{s}'" for s in OPEN_STATUSES) + ")"

SCHEMA_1 = f"""
-- catalogue and the ward's own facts (bot/catalogue)
create table if not exists procedures (id text primary key, code text, name text, field text, family text,
    verified integer, data text);
create table if not exists ward (key text primary key, data text);
-- people (bot/people): accounts across channels, subscriptions, what citizens left for officials
create table if not exists users (
    id integer primary key, person_id integer, channel text not null, channel_user_id text not null,
    display_name text default '', role text not null default 'citizen', department text, language text default 'vi',
    consent integer default 0, consent_at text, created_at text, last_message_at text);
create unique index if not exists idx_users_channel_channel_user_id on users (channel, channel_user_id);
create index if not exists idx_users_person_id on users (person_id);
create table if not exists subscriptions (user_id text, topic text, at text, primary key (user_id, topic));
create table if not exists unknown_messages (id integer primary key, at text, user_id text, text text, intent text, confidence float);
create table if not exists feedback (id integer primary key, at text, user_id text, text text, intent text, confidence float);
create table if not exists handoff_requests (id integer primary key, at text, user_id text, text text, intent text, confidence float);
-- dossiers (bot/dossiers)
create table if not exists dossiers ({", ".join(f"{name} {kind}" for name, kind in DOSSIER_COLUMNS.items())});
create index if not exists dossiers_open_due on dossiers (due_at) where {OPEN_SQL};
create index if not exists dossiers_code_upper on dossiers (upper(code));
create table if not exists dossier_history (id integer primary key autoincrement, code text not null,
    status text not null, at text not null, note text, source text);
create index if not exists dossier_history_code on dossier_history (code, id);
create table if not exists dossier_lookup_failures (code text not null, day text not null,
    failures integer not null default 0, last_at text, primary key (code, day));
create table if not exists platform_sync_state (name text primary key, since text, since_count integer not null default 0,
    offset integer not null default 0, page_token text, updated_at text);
-- notifications (bot/notifications)
create table if not exists notifier_state (name text primary key, value text not null);
create table if not exists overdue_alerted (code text primary key, at text not null, recipients integer not null);
create table if not exists job_runs (id integer primary key, job text not null, started_at text not null,
    finished_at text, result text, error text);
-- delivery (bot/delivery): see bot/delivery/outbox.py for what each column means
create table if not exists outbox (
    id integer primary key,
    recipient_id integer not null,
    event text not null,
    kind text not null,
    text text not null,
    buttons text not null default '[]',
    account_id integer not null,
    channel text not null,
    address text not null,
    state text not null default 'pending' check (state in ('pending', 'sending', 'delivered', 'failed')),
    attempts integer not null default 0,
    in_doubt integer not null default 0,
    next_attempt_at real not null,
    last_error text,
    claimed_by text,
    claimed_until real,
    attempt_id text,
    send_at real,
    calling_at real,
    delivered_at text,
    route text not null default '',
    tried text not null default '[]',
    created_at text not null,
    unique (recipient_id, event)
);
create index if not exists outbox_open on outbox (channel, address, id) where state in ('pending', 'sending');
create index if not exists outbox_state on outbox (state);
create table if not exists outbox_attempts (
    id integer primary key,
    outbox_id integer not null,
    attempt_id text not null unique,
    worker text not null,
    channel text not null,
    address text not null,
    started_at real not null,
    finished_at real,
    outcome text,
    error text
);
create index if not exists outbox_attempts_row on outbox_attempts (outbox_id);
create table if not exists outbox_pace (channel text not null, chat text not null, next_at real not null,
    primary key (channel, chat)) without rowid;
-- channels (bot/channels): button ids, Zalo's events, buttons, reply windows and tokens
create table if not exists telegram_buttons (id text primary key, payload text not null, created_at text);
create table if not exists zalo_events (key text primary key, at_ms integer not null, name text not null);
create index if not exists zalo_events_at on zalo_events (at_ms);
create table if not exists zalo_buttons (user_id text not null, title text not null, payload text not null,
    offered_at text not null, primary key (user_id, title));
create table if not exists zalo_reply_window (user_id text primary key, window_start text not null, sent integer not null default 0);
create table if not exists zalo_tokens (app_id text primary key, access_token text not null, refresh_token text not null,
    expires_at real, state text not null default 'valid', claimed_at real, seed text not null, refused_with text,
    note text not null default '', updated_at text not null);
"""


def _schema_1(conn: sqlite3.Connection) -> None:
    """Every table as the code before versioning made them; a dossiers table of an older shape gains its missing columns."""
    existing = {row[1] for row in conn.execute("pragma table_info(dossiers)")}
    if existing:
        for name, kind in DOSSIER_COLUMNS.items():
            if name not in existing:
                conn.execute(f"alter table dossiers add column {name} {kind.replace(' not null', '').replace(' primary key', '')}")
    for statement in _statements(SCHEMA_1):
        conn.execute(statement)


def _schema_2(conn: sqlite3.Connection) -> None:
    """The outbox keeps the person a notice is for, so the sender needs no look into the people's tables to reroute."""
    columns = {row[1] for row in conn.execute("pragma table_info(outbox)")}
    if "person_id" not in columns:
        conn.execute("alter table outbox add column person_id integer")
    conn.execute("update outbox set person_id = (select coalesce(u.person_id, u.id) from users u where u.id = outbox.account_id)"
                 " where person_id is null")


def _schema_3(conn: sqlite3.Connection) -> None:
    """Dossiers gain what Biểu 07a and Decision 766's indicators count (REPORT_COLUMNS); reports read by received day."""
    columns = {row[1] for row in conn.execute("pragma table_info(dossiers)")}
    for name, kind in REPORT_COLUMNS.items():
        if name not in columns:
            conn.execute(f"alter table dossiers add column {name} {kind}")
    conn.execute("create index if not exists dossiers_received on dossiers (received_at)")
    conn.execute("create index if not exists dossiers_finished on dossiers (finished_at)")


SCHEMA_4 = """
-- people (bot/people/invites.py): one-time invite codes, stored as the SHA-256 of the code, never the code
create table if not exists invites (id integer primary key, code_hash text not null unique, role text not null,
    department text, area text, created_by text not null, created_at text not null, expires_at text not null,
    used_at text, used_by integer);
-- wrong invite codes per account (conversation id) per Vietnamese day
create table if not exists invite_failures (account text not null, day text not null,
    failures integer not null default 0, last_at text, primary key (account, day));
-- people (bot/people/audit.py): every official command, allowed or refused, and every invite redeemed
create table if not exists audit_log (id integer primary key, at text not null, user_id integer, account text not null,
    channel text not null, role text not null, command text not null, detail text not null default '',
    outcome text not null);
create index if not exists audit_log_at on audit_log (at);
create index if not exists audit_log_account on audit_log (account, at);
"""


def _schema_4(conn: sqlite3.Connection) -> None:
    """Roles: a community team member's area, invites, wrong invite tries and the officials' audit trail."""
    columns = {row[1] for row in conn.execute("pragma table_info(users)")}
    if "area" not in columns:
        conn.execute("alter table users add column area text")
    for statement in _statements(SCHEMA_4):
        conn.execute(statement)


# Resolution-57 task register (bot/officials/tasks.py): one row per task assigned to the ward; ``key`` is the sheet's
# task code, else the task's text folded (no case, accents or spacing), so importing the same file twice changes
# nothing. ``deadline`` is a day (YYYY-MM-DD) or null (no deadline), ``deadline_text`` the wording of the sheet
# ("Quý IV/2026"); ``partners`` a JSON list; ``updated_at`` the last update (ISO, +07:00). ``task_updates`` keeps
# every change: who (unit, account), when, what. Also an index for the service indicators (see its comment).
SCHEMA_5 = """
create table if not exists tasks (
    id integer primary key,
    key text not null unique,
    title text not null,
    lead_unit text not null,
    partners text not null default '[]',
    deadline text,
    deadline_text text,
    progress integer check (progress between 0 and 100),
    progress_note text,
    status text not null check (status in ('not_started', 'in_progress', 'done')),
    updated_at text not null,
    created_at text not null,
    source text not null
);
create index if not exists tasks_lead_unit on tasks (lead_unit);
create index if not exists tasks_open_deadline on tasks (deadline) where status != 'done';
create table if not exists task_updates (id integer primary key, task_id integer not null, at text not null,
    by_unit text, by_user integer, progress integer, status text, note text, source text not null);
create index if not exists task_updates_task on task_updates (task_id, id);
-- the service indicators (bot/officials/indicators.py): dossiers open at a period's end = finished after it and
-- received before it, read from this index alone (no row lookups for the many finished later)
create index if not exists dossiers_finished_received on dossiers (finished_at, received_at);
"""


def _schema_5(conn: sqlite3.Connection) -> None:
    """The Resolution-57 task register and its update history; dossiers by (finished_at, received_at) (SCHEMA_5)."""
    for statement in _statements(SCHEMA_5):
        conn.execute(statement)


# A person, a complaint, a rating (issue 13; bot/people/handoff.py, petitions.py, ratings.py, waiting.py):
# ``handoffs``: a citizen's conversation relayed to an official (``citizen_id``/``official_id`` are users.id; state
# open -> closed); ``handoff_messages``: every relayed message, whose id makes its outbox event (once each);
# ``petitions``: phản ánh, kiến nghị with their reference ``ref`` (PA-2026-000123: ``year`` + per-year ``seq``), kind
# (``conduct`` = hành vi hành chính, ``rules`` = quy định hành chính, as Biểu 06a counts them), the field and the
# department they were routed to, the due moment, and the answer once handled; ``ratings``: one 1–5 rating (and an
# optional comment) per (dossier, person); ``waiting``: what an account's next message answers (a hand-off's
# consent, a petition's text, a rating's comment), until ``expires_at``.
SCHEMA_7 = """
create table if not exists handoffs (id integer primary key, citizen_id integer not null, official_id integer not null,
    department text not null, procedure_id text, state text not null check (state in ('open', 'closed')),
    opened_at text not null, closed_at text, closed_by text);
create index if not exists handoffs_citizen on handoffs (citizen_id) where state = 'open';
create index if not exists handoffs_official on handoffs (official_id) where state = 'open';
create table if not exists handoff_messages (id integer primary key, handoff_id integer not null, at text not null,
    sender text not null check (sender in ('citizen', 'official')), text text not null, deliver_from text);
create index if not exists handoff_messages_handoff on handoff_messages (handoff_id, id);
create table if not exists petitions (id integer primary key, ref text not null unique, year integer not null,
    seq integer not null, citizen_id integer, person_id integer, text text not null,
    kind text not null check (kind in ('conduct', 'rules')), field text, department text not null, procedure_id text,
    dossier_code text, received_at text not null, due_at text not null,
    state text not null check (state in ('received', 'handled')), answer text, handled_at text, handled_by integer,
    unique (year, seq));
create index if not exists petitions_received on petitions (received_at);
create index if not exists petitions_open on petitions (department, due_at) where state = 'received';
create index if not exists petitions_person on petitions (person_id);
create index if not exists petitions_dossier on petitions (upper(dossier_code));
create table if not exists ratings (id integer primary key, dossier_code text not null, person_id integer not null,
    account_id integer not null, score integer not null check (score between 1 and 5), comment text,
    rated_at text not null, unique (dossier_code, person_id));
create index if not exists ratings_code on ratings (upper(dossier_code));
create table if not exists waiting (account_id integer primary key, kind text not null, data text not null default '{}',
    since text not null, expires_at text not null);
"""


def _schema_7(conn: sqlite3.Connection) -> None:
    """Hand-offs and their messages, petitions, ratings, and what an account's next message answers (SCHEMA_7)."""
    for statement in _statements(SCHEMA_7):
        conn.execute(statement)


# The light list of procedures (bot/catalogue/procedure_list.py), replaced whole by `motcua load`: every commune-level
# procedure by code, name, field, level and who handles it (``ward`` 1 when the ward's one-stop office or the ward's
# police receives it), the catalogue entry when there is one, what citizens call it (``aliases``, a JSON list) and its
# page on the national portal.
SCHEMA_8 = """
create table if not exists listed_procedures (code text primary key, name text not null, field text not null,
    level text not null, handled_by text not null, ward integer not null, entry text, record text,
    source text not null default '', aliases text not null default '[]', url text);
"""


def _schema_8(conn: sqlite3.Connection) -> None:
    """The light list of procedures (SCHEMA_8)."""
    for statement in _statements(SCHEMA_8):
        conn.execute(statement)


# Community teams (bot/community): consent history, broadcasts by team members, in-person help requests; the outbox
# gains a priority (0 a reply or relay, 1 an alert or notice, 2 a broadcast: the sender claims the smaller first) and
# an optional attachment (JSON: kind, filename, path, mime_type, caption) read from disk when the notice is sent.
SCHEMA_9 = """
create table if not exists consent_log (id integer primary key, at text not null, conversation text not null,
    account_id integer, action text not null, topics text not null default '', area text, source text not null default '');
create index if not exists consent_log_conversation on consent_log (conversation, id);
create table if not exists broadcasts (
    id integer primary key,
    author_id integer not null,
    author text not null,
    text text not null,
    attachment text,
    guide text,
    topic text not null,
    areas text not null default '[]',
    state text not null default 'draft' check (state in ('draft', 'sending', 'done', 'cancelled', 'discarded')),
    recipients integer,
    created_at text not null,
    started_at text,
    cancelled_at text,
    finished_at text,
    reported_at text
);
create index if not exists broadcasts_author on broadcasts (author_id, id);
create index if not exists broadcasts_state on broadcasts (state);
create table if not exists help_requests (id integer primary key, at text not null, conversation text not null,
    account_id integer, area text, text text not null default '', topic text not null default 'eid',
    notified integer not null default 0);
create index if not exists help_requests_area on help_requests (area, at);
"""


def _schema_9(conn: sqlite3.Connection) -> None:
    """Outbox priority and attachment; consent history, broadcasts and in-person help requests (SCHEMA_9)."""
    columns = {row[1] for row in conn.execute("pragma table_info(outbox)")}
    if "priority" not in columns:
        conn.execute("alter table outbox add column priority integer not null default 1")
    if "attachment" not in columns:
        conn.execute("alter table outbox add column attachment text")
    for statement in _statements(SCHEMA_9):
        conn.execute(statement)


# Personal data (bot/people/privacy.py): when an account was shown the privacy notice (``users.privacy_notice_at``, once
# per account); one row per erasure a citizen asked for (``erasures``: when, the account as a keyed hash, what was
# deleted as counts; no personal data); the deployment's key for those hashes (``privacy_state``).
SCHEMA_10 = """
create table if not exists erasures (id integer primary key, at text not null, account_hash text not null,
    channel text not null, deleted text not null default '{}');
create index if not exists erasures_account on erasures (account_hash);
create table if not exists privacy_state (name text primary key, value text not null);
create index if not exists unknown_messages_at on unknown_messages (at);
create index if not exists feedback_at on feedback (at);
create index if not exists handoff_requests_at on handoff_requests (at);
"""


def _schema_10(conn: sqlite3.Connection) -> None:
    """users.privacy_notice_at; erasures and the key of their account hashes; the review tables by time (SCHEMA_10)."""
    columns = {row[1] for row in conn.execute("pragma table_info(users)")}
    if "privacy_notice_at" not in columns:
        conn.execute("alter table users add column privacy_notice_at text")
    for statement in _statements(SCHEMA_10):
        conn.execute(statement)


# migration 12 (bot/health.py): a row written by every health probe (``GET /healthz``), so the probe proves a real
# commit reaches the file (a full disk or a read-only mount fails it), not only that the file opens
SCHEMA_12 = """
create table if not exists heartbeats (name text primary key, at text not null, pid integer)
"""


def _schema_12(conn: sqlite3.Connection) -> None:
    """The health probe's heartbeats (SCHEMA_12)."""
    for statement in _statements(SCHEMA_12):
        conn.execute(statement)


Migration = Tuple[int, str, Callable[[sqlite3.Connection], None]]
MIGRATIONS: List[Migration] = [
    (1, "every table of motcua 0.1", _schema_1),
    (2, "outbox.person_id", _schema_2),
    (3, "dossiers: field, online level, digitised, supplement requests", _schema_3),
    (4, "users.area, invites, invite_failures, audit_log", _schema_4),
    (5, "Resolution-57 tasks and their updates; dossiers by finished and received time", _schema_5),
    (7, "hand-offs, petitions, ratings, waiting answers", _schema_7),
    (8, "the light list of procedures (listed_procedures)", _schema_8),
    (9, "outbox priority and attachment; consent_log, broadcasts, help_requests", _schema_9),
    (10, "users.privacy_notice_at, erasures, privacy_state; review tables by time", _schema_10),
    (12, "heartbeats of the health probe", _schema_12),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def _statements(script: str) -> List[str]:
    """The SQL statements of ``script`` (no comments)."""
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def connect(path: Union[str, Path]) -> sqlite3.Connection:
    """A connection with the deployment's settings (autocommit, WAL, NORMAL sync, 30 s busy time-out), schema current."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
    conn.execute("pragma journal_mode=wal")
    conn.execute("pragma synchronous=normal")
    migrate(conn)
    return conn


def open_database(path: Union[str, Path]) -> sqlite_utils.Database:
    """The database at ``path`` through sqlite-utils, on a :func:`connect` connection."""
    return sqlite_utils.Database(connect(path))


def schema_version(conn: sqlite3.Connection) -> int:
    """The schema version the file is at."""
    return conn.execute("pragma user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration the file lacks, each in its own transaction; returns the version reached."""
    if schema_version(conn) >= SCHEMA_VERSION:
        return schema_version(conn)
    for version, _, step in MIGRATIONS:
        with transaction(conn):
            if schema_version(conn) >= version:  # another process got there first
                continue
            step(conn)
            conn.execute(f"pragma user_version = {int(version)}")
    return schema_version(conn)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on an exception) on an autocommit connection."""
    conn.execute("begin immediate")
    try:
        yield conn
    except BaseException:
        conn.execute("rollback")
        raise
    conn.execute("commit")


def enable_wal(path: Union[str, Path]) -> None:
    """Put another SQLite file (the Rasa tracker store) in WAL mode; the mode stays with the file."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S)
    try:
        conn.execute("pragma journal_mode=wal")
    finally:
        conn.close()
