"""Backups a ward can restore: the README's restore drill (back up while another thread keeps writing, restore into a
fresh directory, find every row committed before the backup started), rotation, the daily job, and what
``motcua restore`` refuses. The commands run as the operator runs them (``python -m bot.cli``)."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import List

import pytest

from bot.backup import BackupError, backup, check_backup, restore
from bot.db import SCHEMA_VERSION, connect
from bot.delivery.outbox import Outbox
from bot.notifications.scheduler import backup_job, job_runs
from bot.services import Services
from bot.timeutil import VN_TZ

ROOT = Path(__file__).resolve().parent.parent


def motcua(*args: str, db: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    environment.update({"MOTCUA_DB": str(db), "PYTHONPATH": str(ROOT), **env})
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=ROOT, env=environment, capture_output=True, text=True,
                          timeout=120)


class Writer(threading.Thread):
    """Keeps committing a dossier, a subscription and an outbox notice together, as a serving deployment does;
    ``committed`` holds the number of every group whose commit returned."""

    def __init__(self, db: Path) -> None:
        super().__init__(daemon=True)
        self.db = db
        self.committed: List[int] = []
        self.stop = threading.Event()
        self.error: BaseException = None

    def run(self) -> None:
        try:
            store = Services.open(self.db)
            outbox = Outbox(self.db)
            account = store.users.seen("telegram", "4242", "Lan")
            n = 0
            while not self.stop.is_set():
                outbox.conn.execute("begin immediate")
                outbox.conn.execute("insert into dossiers (code, status, applicant_name) values (?, 'received', 'Lan')",
                                    [f"H-{n:06d}"])
                outbox.conn.execute("insert into subscriptions (user_id, topic, at) values (?, ?, '2026-11-03')",
                                    ["telegram:4242", f"dossier:H-{n:06d}"])
                outbox.enqueue(account, f"dossier:H-{n:06d}:status:1", f"Hồ sơ H-{n:06d} đã tiếp nhận")
                outbox.conn.execute("commit")
                self.committed.append(n)
                n += 1
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.error = error


def wait_for(predicate, what: str, timeout: float = 60.0) -> None:
    """Block until ``predicate()`` (a thread's progress), failing loudly after ``timeout`` s."""
    done = threading.Event()
    deadline = dt.datetime.now() + dt.timedelta(seconds=timeout)
    while not predicate():
        if dt.datetime.now() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        done.wait(0.01)


def restored_keys(db: Path) -> dict:
    with sqlite3.connect(db) as conn:
        return {
            "dossiers": {r[0] for r in conn.execute("select code from dossiers")},
            "subscriptions": {r[0] for r in conn.execute("select topic from subscriptions")},
            "outbox": {r[0] for r in conn.execute("select event from outbox")},
        }


def test_the_restore_drill_finds_every_row_committed_before_the_backup(tmp_path):
    live = tmp_path / "live" / "motcua.db"
    Services.open(live)
    writer = Writer(live)
    writer.start()
    try:
        wait_for(lambda: len(writer.committed) >= 200 or writer.error, "the writer's first 200 commits")
        before = len(writer.committed)  # every group numbered below this was committed before the backup started
        made = motcua("backup", "--dir", str(tmp_path / "backups"), "--keep", "7", db=live)
        after = len(writer.committed)
        wait_for(lambda: len(writer.committed) > after + 20 or writer.error, "the writer to go on after the backup")
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None, writer.error
    assert made.returncode == 0, made.stderr
    copies = list((tmp_path / "backups").glob("motcua-*.db"))
    assert len(copies) == 1 and str(copies[0]) in made.stdout

    fresh = tmp_path / "fresh" / "motcua.db"  # a new machine: nothing there yet
    restored = motcua("restore", str(copies[0]), "--db", str(fresh), db=tmp_path / "unused.db")
    assert restored.returncode == 0, restored.stderr
    keys = restored_keys(fresh)
    for n in range(before):
        code = f"H-{n:06d}"
        assert code in keys["dossiers"] and f"dossier:{code}" in keys["subscriptions"] and f"dossier:{code}:status:1" in keys["outbox"]
    # consistent: each group is whole (the three rows of one commit are all there or none is)
    numbers = {int(c[2:]) for c in keys["dossiers"]}
    assert {int(t.split(":H-")[1]) for t in keys["subscriptions"]} == numbers
    assert {int(e.split(":")[1][2:]) for e in keys["outbox"]} == numbers
    assert numbers == set(range(len(numbers)))
    with sqlite3.connect(fresh) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    store = Services.open(fresh)  # motcua opens it as it is
    assert Outbox(store.path).counts()["pending"] == len(numbers)


def test_n_daily_copies_are_kept_and_copied_to_a_second_directory(tmp_path):
    db = tmp_path / "motcua.db"
    Services.open(db)
    for day in range(1, 6):
        made = backup(db, tmp_path / "b", keep=3, copy_to=tmp_path / "usb", now=dt.datetime(2026, 11, day, 2, 30, tzinfo=VN_TZ))
        assert made.schema_version == SCHEMA_VERSION
    names = ["motcua-2026-11-03.db", "motcua-2026-11-04.db", "motcua-2026-11-05.db"]
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == names
    assert sorted(p.name for p in (tmp_path / "usb").iterdir()) == names
    again = backup(db, tmp_path / "b", keep=3, now=dt.datetime(2026, 11, 5, 14, 0, tzinfo=VN_TZ))  # same day: replaced
    assert again.path.name == "motcua-2026-11-05.db" and len(list((tmp_path / "b").iterdir())) == 3


def test_the_daily_job_backs_up_and_is_recorded(tmp_path):
    db = tmp_path / "motcua.db"
    Services.open(db)
    path = backup_job(str(db), str(tmp_path / "backups"), 14, "")
    assert Path(path).is_file() and check_backup(path) == SCHEMA_VERSION
    runs = job_runs(str(db), "daily-backup")
    assert len(runs) == 1 and runs[0]["result"] == path and runs[0]["error"] is None
    assert backup_job(str(db), "", 14, "") == "off"  # MOTCUA_BACKUP_TIME=off


def test_restore_refuses_a_database_with_data_unless_forced_and_keeps_the_old_one(tmp_path):
    db = tmp_path / "motcua.db"
    store = Services.open(db)
    store.users.seen("telegram", "1", "An")
    saved = backup(db, tmp_path / "b").path
    store.users.seen("telegram", "2", "Bình")  # written after the backup
    store.db.conn.close()
    refused = motcua("restore", str(saved), db=db)
    assert refused.returncode == 1 and "--force" in refused.stderr and "Traceback" not in refused.stderr
    forced = motcua("restore", str(saved), "--force", db=db)
    assert forced.returncode == 0, forced.stderr
    with sqlite3.connect(db) as conn:
        assert [r[0] for r in conn.execute("select channel_user_id from users")] == ["1"]
    kept = list(tmp_path.glob("motcua.db.before-restore-*"))
    assert [p for p in kept if not p.name.endswith(("-wal", "-shm"))], "the replaced database is kept beside"


def test_restore_refuses_a_database_another_process_has_open(tmp_path):
    db = tmp_path / "motcua.db"
    Services.open(db).db.conn.close()
    saved = backup(db, tmp_path / "b").path
    holder = subprocess.Popen([sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
                               " c.execute('select count(*) from outbox').fetchone(); print('open', flush=True); sys.stdin.read()",
                               str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        refused = motcua("restore", str(saved), "--force", db=db)
    finally:
        holder.stdin.close()
        holder.wait(30)
    assert refused.returncode == 1 and str(holder.pid) in refused.stderr and "đang được dùng" in refused.stderr


@pytest.mark.parametrize("content, says", [
    (b"", "không phải bản sao lưu"),
    (b"not a database at all" * 100, "không phải cơ sở dữ liệu SQLite"),
])
def test_restore_refuses_what_is_not_a_backup(tmp_path, content, says):
    bad = tmp_path / "motcua-2026-11-03.db"
    bad.write_bytes(content)
    result = motcua("restore", str(bad), "--db", str(tmp_path / "new.db"), db=tmp_path / "new.db")
    assert result.returncode == 1 and says in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "new.db").exists()


def test_restore_refuses_a_backup_from_a_newer_motcua(tmp_path):
    db = tmp_path / "motcua.db"
    Services.open(db).db.conn.close()
    saved = backup(db, tmp_path / "b").path
    with sqlite3.connect(saved) as conn:
        conn.execute(f"pragma user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(BackupError, match="mới hơn"):
        restore(saved, tmp_path / "new.db")


def test_restore_removes_a_stale_wal_that_would_be_replayed_into_the_restored_file(tmp_path):
    db = tmp_path / "motcua.db"
    conn = connect(db)
    saved = backup(db, tmp_path / "b").path
    conn.execute("insert into dossiers (code, status) values ('AFTER', 'received')")  # lives in the -wal for now
    stale_wal = Path(f"{db}-wal").read_bytes()
    conn.close()
    Path(f"{db}-wal").write_bytes(stale_wal)  # as a crashed server leaves it
    restore(saved, db, force=True)
    assert not Path(f"{db}-wal").exists()
    with sqlite3.connect(db) as check:
        assert check.execute("select count(*) from dossiers where code = 'AFTER'").fetchone()[0] == 0
        assert check.execute("pragma integrity_check").fetchone()[0] == "ok"


def test_backup_of_a_missing_database_says_so(tmp_path):
    result = motcua("backup", "--dir", str(tmp_path / "b"), db=tmp_path / "nothing" / "motcua.db")
    assert result.returncode == 1 and "Không có cơ sở dữ liệu" in result.stderr
