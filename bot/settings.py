"""Where things live: read once from the environment (or ``.env``) and passed in, never at import."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Mapping, Optional

ROOT = Path(__file__).resolve().parent.parent


def _read_dotenv(path: Path) -> dict:
    values = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip().strip('"').strip("'")
    return values


MIN_RETENTION_DAYS, MAX_RETENTION_DAYS = 1, 3650


def retention_days(value: Optional[str]) -> int:
    """``MOTCUA_RETENTION_DAYS`` as a whole number of days (default 180); ``ValueError`` in Vietnamese otherwise."""
    text = (value or "").strip() or "180"
    if not text.isdigit() or not MIN_RETENTION_DAYS <= int(text) <= MAX_RETENTION_DAYS:
        raise ValueError(f"MOTCUA_RETENTION_DAYS phải là số ngày từ {MIN_RETENTION_DAYS} đến {MAX_RETENTION_DAYS} "
                         f"(đang là {value!r}).")
    return int(text)


@dataclass(frozen=True)
class Settings:
    """Paths and options of one deployment."""

    root: Path
    db_path: Path
    tracker_db_path: Path
    models_dir: Path
    catalogue_dir: Path
    ward_file: Path
    samples_dir: Path
    legal_dir: Path = ROOT / "data" / "legal"  # the legal register and the quotable articles (bot/legal)
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    backup_dir: Path = ROOT / "var" / "backups"  # `motcua backup` and the daily-backup job (bot/backup.py); default
    #                                              from_env: the database's folder / backups
    backup_keep: int = 14                        # daily copies kept
    backup_copy_to: Optional[Path] = None        # a second directory (another disk) that gets each copy too
    retention_days: int = 180  # MOTCUA_RETENTION_DAYS: conversations and review messages are deleted after this many days
    env: Dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    """Every setting as read (``.env`` overlaid by the environment): each adapter (Telegram, Zalo, the
    province's platform, the scheduler) reads its own keys from here with its own ``from_settings``."""

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None, root: Path = ROOT) -> "Settings":
        """Settings from ``env`` (default: ``.env`` under ``root`` overlaid by ``os.environ``)."""
        if env is None:
            env = {**_read_dotenv(root / ".env"), **os.environ}

        def path(key: str, default: str) -> Path:
            value = Path(env.get(key, default))
            return value if value.is_absolute() else root / value

        keep = (env.get("MOTCUA_BACKUP_KEEP") or "14").strip()
        if not keep.isdigit() or int(keep) < 1:
            raise ValueError(f"MOTCUA_BACKUP_KEEP phải là số nguyên dương (đang là {keep!r}).")

        db_path = path("MOTCUA_DB", "var/motcua.db")
        return cls(
            root=root,
            db_path=db_path,
            tracker_db_path=path("MOTCUA_TRACKER_DB", "var/tracker.db"),
            models_dir=path("MOTCUA_MODELS", "models"),
            catalogue_dir=path("MOTCUA_CATALOGUE", "data/procedures"),
            ward_file=path("MOTCUA_WARD", "data/ward.yml"),
            samples_dir=path("MOTCUA_SAMPLES", "data/samples"),
            legal_dir=path("MOTCUA_LEGAL", "data/legal"),
            web_host=env.get("MOTCUA_WEB_HOST", "127.0.0.1"),
            web_port=int(env.get("MOTCUA_WEB_PORT", "8080")),
            backup_dir=path("MOTCUA_BACKUP_DIR", str(db_path.parent / "backups")),
            backup_keep=int(keep),
            backup_copy_to=path("MOTCUA_BACKUP_COPY_TO", "") if (env.get("MOTCUA_BACKUP_COPY_TO") or "").strip() else None,
            retention_days=retention_days(env.get("MOTCUA_RETENTION_DAYS")),
            env=dict(env),
        )
