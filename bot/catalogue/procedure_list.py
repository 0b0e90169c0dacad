"""The light list of procedures: every commune-level procedure by code, name, field, level and who handles it.

The catalogue (``data/procedures/``) holds full entries; this list (``data/procedure_list/*.yml``) names the
rest, so the assistant can say what a procedure is called and where it is handled, and name the office
when the ward does not handle it (tax, customs, social insurance, the province) instead of guessing.
Each file: ``source`` (title, url, date) and ``items`` (code, name, field, level, handled_by, ward, entry,
record). ``motcua load`` validates the files with the catalogue.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

import yaml

from bot.catalogue.procedures import CatalogueError

CODE = re.compile(r"^[0-9]\.[0-9]{6}$")


@dataclass(frozen=True)
class Listed:
    """One procedure as the light list knows it."""

    code: str
    name: str
    field: str
    level: str
    handled_by: str
    ward: bool  # the ward's one-stop office (or the ward's police) receives it
    entry: Optional[str] = None  # the full catalogue entry's id, when there is one
    record: Optional[str] = None  # the record it was read from
    source: str = ""  # the list file's source title and date


def where_handled(item: Listed) -> str:
    """One sentence a citizen reads: who handles the procedure."""
    head = f"Thủ tục “{item.name}” (mã {item.code}, lĩnh vực {item.field})"
    if item.ward and item.handled_by == "Công an cấp xã":
        return f"{head} do Công an phường tiếp nhận và giải quyết."
    if item.ward:
        return f"{head} do UBND phường giải quyết; nộp hồ sơ tại Bộ phận Một cửa của phường."
    return f"{head} không do phường giải quyết: nộp tại {item.handled_by}."


def _item(raw: Any, path: Path, index: int, source: str) -> Listed:
    name = f"items[{index}]"
    if not isinstance(raw, dict):
        raise CatalogueError(path, name, "must be a mapping")
    for key in ("code", "name", "field", "level", "handled_by"):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise CatalogueError(path, f"{name}.{key}", "is required (non-empty text)")
    if not CODE.match(raw["code"]):
        raise CatalogueError(path, f"{name}.code", f"must look like 1.001193, got {raw['code']!r}")
    if not isinstance(raw.get("ward"), bool):
        raise CatalogueError(path, f"{name}.ward", "must be true or false")
    entry = raw.get("entry")
    if entry is not None and not isinstance(entry, str):
        raise CatalogueError(path, f"{name}.entry", "must be a catalogue id or null")
    return Listed(raw["code"].strip(), raw["name"].strip(), raw["field"].strip(), raw["level"].strip(),
                  raw["handled_by"].strip(), raw["ward"], entry, raw.get("record"), source)


def load_procedure_list(directory: Path, catalogue_ids: Optional[Iterable[str]] = None) -> Dict[str, Listed]:
    """Validate and load every ``*.yml`` of ``directory`` (may be absent: an empty list). Codes are unique;
    an ``entry`` must name a catalogue entry when ``catalogue_ids`` is given."""
    directory = Path(directory)
    items: Dict[str, Listed] = {}
    known = set(catalogue_ids) if catalogue_ids is not None else None
    for path in sorted(directory.glob("*.yml")) if directory.exists() else []:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise CatalogueError(path, "(file)", f"is not valid YAML: {error}") from None
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise CatalogueError(path, "items", "must be a list of procedures")
        source = data.get("source") or {}
        if not isinstance(source, dict) or not source.get("title"):
            raise CatalogueError(path, "source.title", "is required: where the list was taken from")
        stamp = f"{source['title']}" + (f", {source['date']}" if source.get("date") else "")
        for index, raw in enumerate(data["items"]):
            item = _item(raw, path, index, stamp)
            if item.code in items:
                raise CatalogueError(path, f"items[{index}].code", f"{item.code} is listed twice")
            if known is not None and item.entry and item.entry not in known:
                raise CatalogueError(path, f"items[{index}].entry", f"names no catalogue entry: {item.entry!r}")
            items[item.code] = item
    return items


def list_file(items: List[Dict[str, Any]], title: str, url: Optional[str], day: Optional[dt.date]) -> str:
    """The YAML text of a list file."""
    body = {"source": {"title": title, "url": url, "date": day.isoformat() if day else None}, "items": items}
    header = ("# Danh sách thủ tục (mã, tên, lĩnh vực, cấp, nơi giải quyết) — tạo bằng `motcua catalogue list`;"
              " mục đầy đủ ở data/procedures/.\n")
    return header + yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=120)
