"""The guides library (``data/guides/*.yml``): step-by-step series a citizen is walked through and a team member may
broadcast. Each step is one short message with the source it follows; a step no public source confirmed says so
(:data:`UNCONFIRMED`). Fields: data/guides/README.md."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import yaml

from bot.community.areas import fold
from bot.delivery.text import shorten
from bot.settings import ROOT

DEFAULT_DIR = ROOT / "data" / "guides"
UNCONFIRMED = "(chưa được xác nhận)"
MAX_CHARS = 2000  # one Zalo text message
MAX_STEP_CHARS = 400  # a step is a short message


@dataclass(frozen=True)
class Step:
    """One step: a short message, the source it follows, whether a source confirmed it, an optional image."""

    text: str
    source: str
    verified: bool
    image: Optional[Path] = None


@dataclass(frozen=True)
class Problem:
    """A common error and what to do."""

    id: str
    title: str
    keywords: Tuple[str, ...]
    text: str
    verified: bool


@dataclass(frozen=True)
class Guide:
    """One series."""

    id: str
    title: str
    topic: str
    intro: str
    steps: Tuple[Step, ...]
    sources: Tuple[Tuple[str, str], ...]
    verified: bool
    errors: Tuple[Problem, ...] = ()
    bring: Tuple[str, ...] = ()
    where: str = ""
    in_person_source: str = ""

    def step_text(self, number: int) -> str:
        """Step ``number`` (1-based) as a citizen reads it: "Bước 2/6", the text, its source."""
        step = self.steps[number - 1]
        mark = f" {UNCONFIRMED}" if not step.verified else ""
        return f"{self.title}\nBước {number}/{len(self.steps)}: {step.text}{mark}\nNguồn: {step.source}"

    def problem(self, problem_id: str) -> Optional[Problem]:
        """The common error ``problem_id``."""
        return next((p for p in self.errors if p.id == problem_id), None)

    def problem_for(self, text: str) -> Optional[Problem]:
        """The common error a citizen's message describes (its keywords, compared folded)."""
        folded = f" {fold(text)} "
        return next((p for p in self.errors if any(f" {fold(k)} " in folded for k in p.keywords)), None)

    def in_person_text(self) -> str:
        """What to bring and where to go when the app cannot help."""
        lines = ["Khi ứng dụng không tự xử lý được, anh/chị đến:", f"📍 {self.where}", "Mang theo:"]
        lines += [f"• {item}" for item in self.bring]
        if self.in_person_source:
            lines.append(f"Nguồn: {self.in_person_source}")
        return "\n".join(lines)

    def summary_text(self) -> str:
        """The whole series in one message (a broadcast): title, intro, numbered steps, sources; at most 2,000 characters."""
        lines = [f"📘 {self.title}", self.intro]
        lines += [f"{n}. {s.text}" + (f" {UNCONFIRMED}" if not s.verified else "") for n, s in enumerate(self.steps, 1)]
        lines.append("Nguồn: " + "; ".join(title for title, _ in self.sources))
        return shorten("\n".join(lines), MAX_CHARS)

    def image(self) -> Optional[Path]:
        """The first step image that exists on disk, if any (sent with a broadcast of the series)."""
        return next((s.image for s in self.steps if s.image is not None and s.image.is_file()), None)


def parse(data: Dict, folder: Path) -> Guide:
    """A guide from its YAML mapping; ``ValueError`` names what is wrong."""
    if not isinstance(data, dict) or not data.get("id") or not data.get("title") or not data.get("steps"):
        raise ValueError("a guide needs id, title and steps")
    sources = tuple((str(s.get("title") or ""), str(s.get("url") or "")) for s in data.get("sources") or ())
    if not sources:
        raise ValueError(f"guide {data['id']}: name the sources its steps follow")
    steps = []
    for n, item in enumerate(data["steps"], 1):
        text = " ".join(str(item.get("text") or "").split())
        if not text or len(text) > MAX_STEP_CHARS:
            raise ValueError(f"guide {data['id']} step {n}: a short text is needed (at most {MAX_STEP_CHARS} characters)")
        index = int(item.get("source") or 0)
        if not 0 <= index < len(sources):
            raise ValueError(f"guide {data['id']} step {n}: source {index} does not exist")
        image = folder / "images" / str(item["image"]) if item.get("image") else None
        steps.append(Step(text, sources[index][0], bool(item.get("verified", False)), image))
    errors = tuple(Problem(str(e["id"]), str(e["title"]), tuple(str(k) for k in e.get("keywords") or ()),
                           " ".join(str(e["text"]).split()), bool(e.get("verified", False))) for e in data.get("errors") or ())
    person = data.get("in_person") or {}
    return Guide(str(data["id"]), str(data["title"]), str(data.get("topic") or "tips"), str(data.get("intro") or ""),
                 tuple(steps), sources, bool(data.get("verified", False)), errors, tuple(str(b) for b in person.get("bring") or ()),
                 str(person.get("where") or ""), str(person.get("source") or ""))


@lru_cache(maxsize=4)
def load_guides(folder: Union[str, Path] = DEFAULT_DIR) -> Tuple[Guide, ...]:
    """Every guide of ``folder``, by file name."""
    folder = Path(folder)
    return tuple(parse(yaml.safe_load(p.read_text(encoding="utf-8")), folder) for p in sorted(folder.glob("*.yml")))


def guide(guide_id: str, folder: Union[str, Path] = DEFAULT_DIR) -> Optional[Guide]:
    """The guide ``guide_id``, None when the library has none."""
    return next((g for g in load_guides(folder) if g.id == guide_id), None)


def library(folder: Union[str, Path] = DEFAULT_DIR) -> List[Guide]:
    """Every guide, for a team member to pick from."""
    return list(load_guides(folder))
