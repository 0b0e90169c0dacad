"""The law of one deployment, built once per process on first use: the register, the quotable articles and the
search index over them (``data/legal`` unless ``MOTCUA_LEGAL`` says otherwise; ``motcua load`` validates it)."""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from bot import yamltext
from bot.legal.articles import Articles, load_articles
from bot.legal.register import Register, load_register
from bot.settings import ROOT


class Law:
    """Register, articles and index of ``directory``, loaded lazily (the index takes about a second to build)."""

    def __init__(self, directory: Optional[Path] = None) -> None:
        self.directory = Path(directory or ROOT / "data" / "legal")
        self._lock = threading.Lock()

    @cached_property
    def register(self) -> Register:
        return load_register(self.directory / "register.yml")

    @cached_property
    def articles(self) -> Articles:
        return load_articles(self.directory / "articles", self.register)

    @cached_property
    def _outside(self) -> List[Dict]:
        """The topics of ``outside.yml`` (none when absent): no registered document covers them."""
        path = self.directory / "outside.yml"
        data = yamltext.load(path.read_text(encoding="utf-8")) if path.exists() else None
        return list((data or {}).get("topics") or [])

    @cached_property
    def outside(self) -> Dict[str, str]:
        """Each phrase of a topic outside the register, as normalised syllables -> its topic."""
        from bot.legal.search import syllables

        return {" ".join(syllables(phrase)): str(item["topic"]) for item in self._outside for phrase in item.get("phrases") or []}

    @cached_property
    def lookups(self) -> frozenset:
        """The topics marked ``lookup``: their phrases ask for the office's own records."""
        return frozenset(str(item["topic"]) for item in self._outside if item.get("lookup"))

    @cached_property
    def outside_topics(self) -> List[Tuple[str, List[str]]]:
        """Each topic with its people's words (phrases and questions), for the index."""
        return [(str(item["topic"]), [*(item.get("phrases") or []), *(item.get("questions") or [])]) for item in self._outside]

    @cached_property
    def index(self):  # -> bot.legal.search.LegalIndex (imported late: bm25s loads numpy/scipy)
        from bot.legal.search import LegalIndex

        with self._lock:
            return LegalIndex.build(self.register, self.articles, self.directory / "questions.yml",
                                    outside=self.outside_topics)
