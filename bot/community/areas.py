"""The ward's areas (khu phố) and the topics a citizen may follow, from ``data/areas.yml``.

An area has an ``id`` (``khu-3``), a ``name`` ("Khu 3") and aliases; :meth:`Areas.find` matches what a person or an
invite typed ("khu 3", "Khu phố 3", "kp3") without case or diacritics. The file says whether the list is confirmed
(``verified``); until it is, what citizens read about areas carries :data:`UNVERIFIED`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import yaml

from bot.settings import ROOT
from nlu.normalize import strip_diacritics

DEFAULT_FILE = ROOT / "data" / "areas.yml"
UNVERIFIED = "⚠️ Danh sách khu phố đang chờ phường xác nhận."


@dataclass(frozen=True)
class Area:
    """One residential area of the ward."""

    id: str
    name: str
    aliases: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Topic:
    """What a citizen may choose to hear about."""

    id: str
    name: str
    about: str = ""


def fold(text: str) -> str:
    """``"Khu phố 3"`` -> ``"khu pho 3"``: lower case, no diacritics, single spaces, no punctuation."""
    text = strip_diacritics((text or "").lower()).replace("đ", "d")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


@dataclass(frozen=True)
class Areas:
    """The ward's areas and topics."""

    ward: str
    areas: Tuple[Area, ...]
    topics: Tuple[Topic, ...]
    verified: bool = False
    sources: Tuple[str, ...] = field(default_factory=tuple)

    def get(self, area_id: Optional[str]) -> Optional[Area]:
        """The area with id ``area_id``."""
        return next((a for a in self.areas if a.id == area_id), None)

    def find(self, text: Optional[str]) -> Optional[Area]:
        """The area ``text`` names (its id, name or an alias, compared folded); None when none."""
        key = fold(text or "")
        if not key:
            return None
        for area in self.areas:
            if key in {fold(area.id), fold(area.name), *(fold(a) for a in area.aliases)}:
                return area
        return None

    def name(self, area_id: Optional[str]) -> str:
        """The area's name, or its id when the list no longer has it."""
        area = self.get(area_id)
        return area.name if area else (area_id or "")

    def topic(self, topic_id: str) -> Optional[Topic]:
        """The topic with id ``topic_id``."""
        return next((t for t in self.topics if t.id == topic_id), None)

    def topic_name(self, topic_id: str) -> str:
        """The topic's name as citizens read it."""
        topic = self.topic(topic_id)
        return topic.name if topic else topic_id


def parse(data: Dict) -> Areas:
    """Areas from the YAML mapping; ``ValueError`` on a malformed file."""
    if not isinstance(data, dict) or not isinstance(data.get("areas"), list) or not data["areas"]:
        raise ValueError("data/areas.yml: cần danh sách 'areas'")
    areas, seen = [], set()
    for item in data["areas"]:
        if not isinstance(item, dict) or not item.get("id") or not item.get("name"):
            raise ValueError(f"data/areas.yml: khu phố thiếu id hoặc name: {item!r}")
        if item["id"] in seen:
            raise ValueError(f"data/areas.yml: id trùng: {item['id']}")
        seen.add(item["id"])
        areas.append(Area(str(item["id"]), str(item["name"]), tuple(str(a) for a in item.get("aliases") or ())))
    topics = tuple(Topic(str(t["id"]), str(t["name"]), str(t.get("about") or "")) for t in data.get("topics") or ())
    sources = tuple(str(s.get("url") or s.get("title")) for s in data.get("sources") or () if isinstance(s, dict))
    return Areas(str(data.get("ward") or ""), tuple(areas), topics, bool(data.get("verified")), sources)


@lru_cache(maxsize=4)
def load_areas(path: Union[str, Path] = DEFAULT_FILE) -> Areas:
    """The areas of ``path`` (default ``data/areas.yml``), read once per process."""
    return parse(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


def area_ids(areas: Areas) -> List[str]:
    """Every area id, in the file's order."""
    return [a.id for a in areas.areas]
