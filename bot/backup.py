"""Backups of the deployment's database, taken while it serves, and their restore.

``motcua backup [--dir D] [--keep N] [--copy-to D2]`` (and the scheduler's ``daily-backup`` job) copy the database
with SQLite's online backup API (``sqlite3.Connection.backup``, https://www.sqlite.org/backup.html) in one step:
the copy is the database as it was at one moment (a read transaction in WAL mode, so writers go on meanwhile),
never a half-written file as ``cp`` of a live database can be. The copy is checked (``PRAGMA integrity_check``),
written as ``motcua-YYYY-MM-DD.db`` (the Vietnam day; a second backup the same day replaces that day's), renamed into
place only when complete, and the directory keeps the newest ``keep`` days. ``--copy-to`` puts the same file in a
second directory (another disk, a mounted share) with the same rotation.

``motcua restore FILE [--db PATH] [--force]`` puts a backup back: it refuses a file that is not a sound SQLite
database of motcua (integrity check, the ``outbox`` and ``dossiers`` tables, a schema version this code knows),
refuses while a process has the target database open (stop ``motcua serve``/``scheduler`` first), and refuses to
replace a database that holds data unless ``--force``; the database it replaces is kept beside it
(``<db>.before-restore-<time>``) and its stale ``-wal``/``-shm`` files are removed (a WAL left from the old file
would be replayed into the restored one). An older schema is brought up to date the next time motcua opens it.

Not in the backup: the conversations' tracker (``var/tracker.db``: Rasa's conversation history, personal data the
ward need not keep) and the trained model (rebuilt by ``motcua train``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Union

from bot.db import SCHEMA_VERSION
from bot.timeutil import now_vn

PREFIX = "motcua-"
NAME = re.compile(r"^motcua-(\d{4}-\d{2}-\d{2})\.db$")
DATA_TABLES = ("dossiers", "subscriptions", "outbox", "users")


class BackupError(RuntimeError):
    """A backup or a restore that cannot be done; the message says why, in Vietnamese."""


@dataclass(frozen=True)
class BackupResult:
    """Where the backup went, what it holds, and the old copies removed."""

    path: Path
    copies: List[Path]
    removed: List[Path]
    schema_version: int
    size: int


def backup_name(day: dt.date) -> str:
    """``motcua-2026-11-03.db``."""
    return f"{PREFIX}{day.isoformat()}.db"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _integrity(path: Path) -> str:
    """``ok`` or SQLite's first complaint about the file at ``path`` (opened read-only)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return str(conn.execute("pragma integrity_check").fetchone()[0])
    finally:
        conn.close()


def _rotate(directory: Path, keep: int) -> List[Path]:
    """Remove all but the newest ``keep`` dated backups in ``directory``; returns what was removed."""
    dated = sorted((p for p in directory.iterdir() if NAME.match(p.name)), key=lambda p: p.name, reverse=True)
    removed = dated[keep:]
    for path in removed:
        path.unlink()
    return removed


def _place(source: Path, directory: Path, name: str) -> Path:
    """Copy ``source`` into ``directory`` under ``name`` atomically (temp file, fsync, rename)."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    partial = directory / f".{name}.partial"
    shutil.copyfile(source, partial)
    _fsync(partial)
    os.replace(partial, target)
    return target


def backup(db_path: Union[str, Path], directory: Union[str, Path], *, keep: int = 14,
           copy_to: Optional[Union[str, Path]] = None, now: Optional[dt.datetime] = None) -> BackupResult:
    """Back up the database at ``db_path`` into ``directory`` (see the module docstring)."""
    db_path, directory = Path(db_path), Path(directory)
    if keep < 1:
        raise BackupError("Số bản sao giữ lại (--keep) phải từ 1 trở lên.")
    if not db_path.is_file():
        raise BackupError(f"Không có cơ sở dữ liệu {db_path} để sao lưu.")
    directory.mkdir(parents=True, exist_ok=True)
    name = backup_name((now or now_vn()).date())
    partial = directory / f".{name}.partial"
    source = sqlite3.connect(str(db_path), timeout=30)  # plain: no migration; the backup only reads
    try:
        target = sqlite3.connect(str(partial))
        try:
            source.backup(target)  # every page in one step: one consistent moment of the database
            target.execute("pragma journal_mode=delete")  # the copy is one self-contained file
            version = target.execute("pragma user_version").fetchone()[0]
        finally:
            target.close()
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"Sao lưu không thành công: {error}") from error
    finally:
        source.close()
    verdict = _integrity(partial)
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"Bản sao lưu không toàn vẹn ({verdict}); cơ sở dữ liệu gốc cần được kiểm tra.")
    _fsync(partial)
    path = directory / name
    os.replace(partial, path)
    removed = _rotate(directory, keep)
    copies: List[Path] = []
    if copy_to:
        second = Path(copy_to)
        try:
            copies.append(_place(path, second, name))
        except OSError as error:
            raise BackupError(f"Đã sao lưu vào {path} nhưng chưa chép được sang {second}: {error}") from error
        removed += _rotate(second, keep)
    return BackupResult(path, copies, removed, version, path.stat().st_size)


def _rows(conn: sqlite3.Connection) -> int:
    """Rows in the tables that hold the ward's data (0 for a new or empty database)."""
    tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
    return sum(conn.execute(f"select count(*) from {t}").fetchone()[0] for t in DATA_TABLES if t in tables)


def processes_using(path: Union[str, Path]) -> List[int]:
    """The ids of the processes that have the file at ``path`` (or its ``-wal``) open, read from /proc (Linux)."""
    wanted = {os.path.realpath(str(path)), os.path.realpath(f"{path}-wal")}
    found = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                try:
                    if os.readlink(fd) in wanted:
                        found.append(int(entry.name))
                        break
                except OSError:
                    continue
        except OSError:
            continue
    return found


def check_backup(file: Union[str, Path]) -> int:
    """The schema version of a sound motcua backup at ``file``; :class:`BackupError` saying what is wrong otherwise."""
    file = Path(file)
    if not file.is_file():
        raise BackupError(f"Không có tệp {file}.")
    try:
        verdict = _integrity(file)
        conn = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            version = conn.execute("pragma user_version").fetchone()[0]
            tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{file.name} không phải cơ sở dữ liệu SQLite đọc được ({error}).") from error
    if verdict != "ok":
        raise BackupError(f"{file.name} không toàn vẹn: {verdict}")
    if not {"outbox", "dossiers"} <= tables or version < 1:
        raise BackupError(f"{file.name} không phải bản sao lưu của motcua (thiếu bảng hồ sơ hoặc hàng đợi gửi).")
    if version > SCHEMA_VERSION:
        raise BackupError(f"{file.name} có lược đồ phiên bản {version}, mới hơn bản motcua này ({SCHEMA_VERSION}): "
                          "cập nhật motcua trước khi khôi phục.")
    return version


def restore(file: Union[str, Path], db_path: Union[str, Path], *, force: bool = False,
            now: Optional[float] = None) -> Optional[Path]:
    """Put the backup ``file`` in place of the database at ``db_path``; returns where the replaced one was kept
    (None when there was none). See the module docstring for what is refused."""
    file, db_path = Path(file), Path(db_path)
    check_backup(file)
    if db_path.exists() and db_path.resolve() == file.resolve():
        raise BackupError("Tệp sao lưu và cơ sở dữ liệu đích là một.")
    users = processes_using(db_path) if db_path.exists() else []
    if users:
        raise BackupError(f"Cơ sở dữ liệu {db_path} đang được dùng (tiến trình {', '.join(map(str, users))}): "
                          "dừng motcua serve/scheduler trước khi khôi phục.")
    if db_path.exists() and not force:
        try:
            conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
            try:
                held = _rows(conn)
            finally:
                conn.close()
        except sqlite3.DatabaseError:
            held = -1  # unreadable: replacing it is what the operator wants, but say so with --force
        if held != 0:
            raise BackupError(f"{db_path} đã có dữ liệu{' (không đọc được)' if held < 0 else f' ({held} dòng)'}: "
                              "thêm --force để thay bằng bản sao lưu (bản cũ được giữ lại bên cạnh).")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    partial = db_path.parent / f".{db_path.name}.restoring"
    shutil.copyfile(file, partial)
    _fsync(partial)
    if _integrity(partial) != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError("Bản chép ra không toàn vẹn (đĩa đích có lỗi?).")
    kept = None
    if db_path.exists():
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
        kept = db_path.parent / f"{db_path.name}.before-restore-{stamp}"
        os.replace(db_path, kept)
    for suffix in ("-wal", "-shm", "-journal"):
        stale = Path(f"{db_path}{suffix}")
        if stale.exists():
            if kept is not None:
                os.replace(stale, Path(f"{kept}{suffix}"))
            else:
                stale.unlink()
    os.replace(partial, db_path)
    return kept
