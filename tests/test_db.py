"""The database module: a file from before versioning upgrades in place, keeping every row."""

from __future__ import annotations

import sqlite3

from bot.db import SCHEMA_VERSION, connect, schema_version
from bot.delivery.outbox import Outbox
from bot.services import Services


def old_file(path) -> None:
    """A var/motcua.db as motcua 0.1 left it: tables made by each module, no schema version, an outbox row."""
    with sqlite3.connect(path) as conn:
        conn.executescript("""
            create table users (id integer primary key, person_id integer, channel text not null, channel_user_id text not null,
                display_name text, role text not null, department text, language text, consent integer, consent_at text,
                created_at text, last_message_at text);
            insert into users values (7, 7, 'telegram', '555', 'Lan', 'citizen', null, 'vi', 1, null, '2026-11-01', null);
            create table dossiers (code text primary key, procedure_id text, applicant_name text, status text);
            insert into dossiers values ('OLD-1', null, 'Cũ', 'received');
            create table outbox (id integer primary key, recipient_id integer not null, event text not null, kind text not null,
                text text not null, buttons text not null default '[]', account_id integer not null, channel text not null,
                address text not null, state text not null default 'pending', attempts integer not null default 0,
                in_doubt integer not null default 0, next_attempt_at real not null, last_error text, claimed_by text,
                claimed_until real, attempt_id text, send_at real, calling_at real, delivered_at text,
                route text not null default '', tried text not null default '[]', created_at text not null,
                unique (recipient_id, event));
            insert into outbox (recipient_id, event, kind, text, account_id, channel, address, next_attempt_at, created_at)
                values (7, 'tip:eid:1', 'tip', 'Mẹo 1', 7, 'telegram', '555', 0, '2026-11-01');
        """)
        assert conn.execute("pragma user_version").fetchone()[0] == 0


def test_an_old_database_upgrades_in_place_and_keeps_its_rows(tmp_path):
    path = tmp_path / "motcua.db"
    old_file(path)
    services = Services.open(path)
    assert schema_version(services.db.conn) == SCHEMA_VERSION
    assert services.dossiers.get("old-1")["applicant_name"] == "Cũ"  # a column added, the row kept
    assert services.users.find("telegram", "555").display_name == "Lan"
    (row,) = Outbox(path).rows()
    assert (row["event"], row["person_id"]) == ("tip:eid:1", 7)  # the new column filled from the account


def test_a_current_database_is_left_as_it_is(tmp_path):
    path = tmp_path / "motcua.db"
    Services.open(path).users.seen("web", "a1", "Khách")
    conn = connect(path)
    assert schema_version(conn) == SCHEMA_VERSION
    assert conn.execute("select count(*) from users").fetchone()[0] == 1
