"""The article texts the assistant may quote (``data/legal/articles/<slug>.yml``, written by ``bot.legal.extract``
from the corpus): each article split by khoản (clause) and điểm (point), with the corpus path of its text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple, Union

from bot import yamltext
from bot.legal.register import Register, RegisterError

SENTENCE_END = re.compile(r"(?<=[.;:])\s+(?=[A-ZĐÀ-Ỹ0-9])")
INSERTED_NUMBER = re.compile(r"\d+[a-zđ]")  # "3a": an article an amending law inserted after Điều 3


@dataclass(frozen=True)
class Passage:
    """A quotable piece of an article: a clause (with its points) or a point; ``clause`` None for the article's lead."""

    clause: Optional[int]
    point: Optional[str]
    text: str

    @property
    def label(self) -> str:
        """"khoản 1", "điểm b khoản 1", "" for the article's own text."""
        if self.clause is None:
            return ""
        return (f"điểm {self.point} " if self.point else "") + f"khoản {self.clause}"


@dataclass(frozen=True)
class Article:
    """One article of a document of the register."""

    document: str
    number: Union[int, str]  # "3a": an article inserted by an amending law after Điều 3
    heading: str
    chapter: Optional[str]
    text: str
    passages: Tuple[Passage, ...]
    source: str

    @property
    def key(self) -> Tuple[str, Union[int, str]]:
        return self.document, self.number

    def sentences(self) -> Iterator[Tuple[Passage, str]]:
        """Every sentence of the article with the passage it is in (what an answer may quote verbatim)."""
        for passage in self.passages:
            for sentence in SENTENCE_END.split(passage.text.replace("\n", " ")):
                if sentence.strip():
                    yield passage, sentence.strip()


def _passages(item: Dict) -> Tuple[Passage, ...]:
    found: List[Passage] = []
    if item.get("intro"):
        found.append(Passage(None, None, item["intro"]))
    for clause in item.get("clauses") or []:
        found.append(Passage(clause["clause"], None, clause["text"]))
        for point in clause.get("points") or []:
            found.append(Passage(clause["clause"], point["point"], point["text"]))
    if not item.get("clauses"):
        found.append(Passage(None, None, item.get("text") or ""))
    return tuple(p for p in found if p.text.strip())


class Articles:
    """Every quotable article, by (document number, article number)."""

    def __init__(self, articles: List[Article]) -> None:
        self.all = articles
        self._by_key = {a.key: a for a in articles}

    def get(self, document: str, number: int) -> Optional[Article]:
        return self._by_key.get((document, number))

    def of(self, document: str) -> List[Article]:
        return [a for a in self.all if a.document == document]

    def __len__(self) -> int:
        return len(self.all)


def load_articles(directory: Path, register: Register) -> Articles:
    """The articles of every register entry with ``quote: true``; a missing or malformed file names itself."""
    articles: List[Article] = []
    for document in register:
        if not document.quote:
            continue
        path = Path(directory) / f"{document.slug}.yml"
        if not path.exists():
            raise RegisterError(path, "(file)", f"is missing: run `python -m bot.legal.extract {document.number}`")
        data = yamltext.load(path.read_text(encoding="utf-8")) or {}
        if data.get("document") != document.number:
            raise RegisterError(path, "document", f"must be {document.number}, got {data.get('document')!r}")
        for index, item in enumerate(data.get("articles") or []):
            number = item.get("article") if isinstance(item, dict) else None
            if not (isinstance(number, int) or (isinstance(number, str) and INSERTED_NUMBER.fullmatch(number))) \
                    or not isinstance(item.get("text"), str):
                raise RegisterError(path, f"articles[{index}]", "must have an article number and its text")
            if not item["text"].strip():
                continue  # an article repealed in the consolidated text
            articles.append(Article(document.number, item["article"], item.get("heading") or "", item.get("chapter"),
                                    item["text"], _passages(item), data.get("source") or ""))
    return Articles(articles)
