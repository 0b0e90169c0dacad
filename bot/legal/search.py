"""Retrieval over the quotable articles: BM25 (the ``bm25s`` package) over syllables and syllable bigrams of text
normalised by :func:`nlu.normalize.normalize` (so diacritics, case and teencode do not matter).

Two fields, each its own BM25 index, their scores added (the guide's weighted :data:`GUIDE_WEIGHT`): the law's words
(document title, article heading repeated, article text) and the people's words (the heading and, for the articles
people ask about, the plain-language questions and keywords of ``data/legal/questions.yml``). Kept apart, a long
article's text no longer drowns its few guide lines (measured on bench/data/legal_dev.yml: first 77 % -> 85 %). At
query time only the articles of documents in force on the question's day count; the procedure in the conversation (or one
named in the question, by the catalogue's aliases) favours the documents it cites. Topics no registered document covers
(``outside.yml``) are scored in a copy of the people's field that also holds them, so that the articles' own ranking
does not move (:meth:`LegalIndex.rank`). :func:`plain_bm25` is the anchor the bench compares with: BM25 over the raw
article text only.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import bm25s
import numpy as np

from bot import yamltext
from bot.legal.articles import Article, Articles
from bot.legal.register import Register, RegisterError
from nlu.normalize import normalize

TITLE_WEIGHT, HEADING_WEIGHT = 1, 2   # repetitions in the law field
GUIDE_WEIGHT = 2.0                     # the guide field's BM25 score counts twice the law field's
GUIDE_BM25 = {"k1": 1.5, "b": 0.5}     # short guides: less length normalisation (tuned on the dev set)
PROCEDURE_BOOST = 1.25
# words that say nothing about which article answers (function words, politeness, question words)
STOP = frozenset("""a à ạ ơi em anh chi chị cho hỏi hoi xin cho minh toi tôi thi thì la là co có khong không gi gì nao nào
vay vậy the thế nhe nhé a ạ ak ah oi ban bạn cua của va và voi với nhu như duoc được bi bị o ở tai tại de để roi rồi
sao nhi nhỉ ha hả ma mà nay này do đó kia""".split())
SYLLABLE = re.compile(r"[a-z0-9]+")


def syllables(text: str) -> List[str]:
    """The normalised syllables of ``text`` without the stop words."""
    return [s for s in SYLLABLE.findall(normalize(text or "")) if s not in STOP]


def terms(text: str, bigrams: bool = True) -> List[str]:
    """Syllables and, with ``bigrams``, adjacent syllable pairs ("khai_sinh")."""
    words = syllables(text)
    return words + ([f"{a}_{b}" for a, b in zip(words, words[1:])] if bigrams else [])


@dataclass(frozen=True)
class Guide:
    """What people are told about one article: their questions and keywords, a plain explanation, the procedure."""

    document: str
    article: int
    questions: Tuple[str, ...] = ()
    keywords: Tuple[str, ...] = ()
    explain: Optional[str] = None
    procedure: Optional[str] = None
    duty: bool = False  # the article sets a citizen's own duty (a time to register), not the office's time limit


def load_guides(path: Path, articles: Articles) -> Dict[Tuple[str, int], Guide]:
    """``questions.yml``: one entry per article people ask about; an entry naming no stored article is an error."""
    if not Path(path).exists():
        return {}
    data = yamltext.load(Path(path).read_text(encoding="utf-8")) or {}
    guides: Dict[Tuple[str, int], Guide] = {}
    for index, item in enumerate(data.get("articles") or []):
        key = (str(item.get("document")), item.get("article"))
        if articles.get(*key) is None:
            raise RegisterError(Path(path), f"articles[{index}]", f"{key[0]} Điều {key[1]} is not a stored article")
        guides[key] = Guide(key[0], key[1], tuple(item.get("questions") or ()), tuple(item.get("keywords") or ()),
                            item.get("explain"), item.get("procedure"), bool(item.get("duty", False)))
    return guides


@dataclass
class Hit:
    """A retrieved article, its BM25 score and how much of the question it covers (0..1, see :meth:`LegalIndex.coverage`)."""

    article: Article
    score: float
    coverage: float = 1.0

    @property
    def confidence(self) -> float:
        """BM25 score times coverage: a high score from a few common words of a long question stays low."""
        return self.score * self.coverage


@dataclass
class LegalIndex:
    """BM25 over every quotable article, with the register to keep only the law in force on a day."""

    register: Register
    articles: List[Article]
    guides: Dict[Tuple[str, int], Guide]
    retriever: Any
    guide_retriever: Any = None
    bigrams: bool = True
    raw: bool = False
    _documents: np.ndarray = field(default=None, repr=False)
    _words: List[frozenset] = field(default_factory=list, repr=False)
    _idf: Dict[str, float] = field(default_factory=dict, repr=False)
    _partly_repealed: List[int] = field(default_factory=list, repr=False)
    outside: List[str] = field(default_factory=list)  # topics no document covers, indexed after the articles
    outside_retriever: Any = None                      # ... in this copy of the people's field

    @classmethod
    def build(cls, register: Register, articles: Articles, questions: Optional[Path] = None, *,
              bigrams: bool = True, raw: bool = False,
              outside: Sequence[Tuple[str, Sequence[str]]] = ()) -> "LegalIndex":
        """The index; ``raw``: the anchor (article text only, no titles, headings, questions; ``bigrams`` as given).
        ``outside``: (topic, people's words) of topics no registered document covers, indexed like guides after the
        articles so that a question about one of them ranks it first (:meth:`rank`)."""
        guides = load_guides(questions, articles) if questions else {}
        corpus: List[List[str]] = []
        people: List[List[str]] = []
        for article in articles.all:
            if raw:
                corpus.append(terms(article.text, bigrams))
                continue
            document = register.get(article.document)
            guide = guides.get(article.key)
            parts = [document.title] * TITLE_WEIGHT + [article.heading] * HEADING_WEIGHT + [article.text]
            corpus.append([t for part in parts for t in terms(part, bigrams)])
            said = [article.heading, *(guide.questions + guide.keywords if guide else ())]
            people.append([t for part in said for t in terms(part, bigrams)])
        retriever = bm25s.BM25()
        retriever.index(corpus, show_progress=False)
        guide_retriever = outside_retriever = None
        topics = [] if raw else list(outside)
        if not raw:
            guide_retriever = bm25s.BM25(**GUIDE_BM25)
            guide_retriever.index(people, show_progress=False)
        if topics:  # the people's field again with the topics after the articles: the articles' own ranking is untouched
            outside_retriever = bm25s.BM25(**GUIDE_BM25)
            outside_retriever.index(people + [[t for part in (topic, *said) for t in terms(part, bigrams)]
                                              for topic, said in topics], show_progress=False)
        index = cls(register, list(articles.all), guides, retriever, guide_retriever, bigrams, raw,
                    outside=[topic for topic, _ in topics], outside_retriever=outside_retriever)
        index._documents = np.array([a.document for a in index.articles])
        index._partly_repealed = [i for i, a in enumerate(index.articles)
                                  if not raw and any(str(r.article) == str(a.number) for r in register.get(a.document).repealed_parts)]
        index._words = [frozenset(t for t in tokens if "_" not in t) for tokens in corpus]
        if people:
            index._words = [words | frozenset(t for t in said if "_" not in t) for words, said in zip(index._words, people)]
        frequency: Dict[str, int] = {}
        for words in index._words:
            for word in words:
                frequency[word] = frequency.get(word, 0) + 1
        index._idf = {w: math.log(1 + len(corpus) / (1 + n)) for w, n in frequency.items()}
        return index

    def coverage(self, question_words: Sequence[str], position: int) -> float:
        """The share of the question's syllables (weighted by rarity, idf) found in the article at ``position``: a
        question about something the register does not hold ("lãi suất", "visa") leaves its rare words uncovered."""
        unseen = math.log(1 + len(self.articles))  # a word no article has weighs most
        weights = {w: self._idf.get(w, unseen) for w in set(question_words)}
        total = sum(weights.values())
        return sum(v for w, v in weights.items() if w in self._words[position]) / total if total else 0.0

    def search(self, question: str, day: Optional[dt.date] = None, *, k: int = 5,
               favour: Iterable[str] = ()) -> List[Hit]:
        """The ``k`` best articles for ``question`` among those in force on ``day`` (all when None); documents in
        ``favour`` (the conversation's procedure's bases) weigh :data:`PROCEDURE_BOOST` more."""
        return self.rank(question, day, k=k, favour=favour)[0]

    def rank(self, question: str, day: Optional[dt.date] = None, *, k: int = 5,
             favour: Iterable[str] = ()) -> Tuple[List[Hit], Dict[str, float]]:
        """:meth:`search`'s hits, and each topic outside the register the question matches with its score over the
        best article's (above 1: the topic outranks every article)."""
        query = terms(question, self.bigrams)
        if not query:
            return [], {}
        scores = np.asarray(self.retriever.get_scores(query), dtype=float)
        if self.guide_retriever is not None:
            scores = scores + GUIDE_WEIGHT * np.asarray(self.guide_retriever.get_scores(query), dtype=float)
        count = len(self.articles)
        beyond = (GUIDE_WEIGHT * np.asarray(self.outside_retriever.get_scores(query), dtype=float)[count:]
                  if self.outside_retriever is not None else np.zeros(0))
        if day is not None:
            allowed = {n for n in set(self._documents.tolist()) if self.register.quotable_on(n, day)}
            scores = np.where(np.isin(self._documents, list(allowed)), scores, 0.0)
            for position in self._partly_repealed:  # a whole article a later text repealed is never a hit
                article = self.articles[position]
                if self.register.get(article.document).repealed(article.number, None, None, day) is not None:
                    scores[position] = 0.0
        favoured = [n for n in favour if n]
        if favoured:
            scores = np.where(np.isin(self._documents, favoured), scores * PROCEDURE_BOOST, scores)
        top = np.argsort(-scores)[:k]
        words = [t for t in query if "_" not in t]
        hits = [Hit(self.articles[i], float(scores[i]), self.coverage(words, i)) for i in top if scores[i] > 0]
        best = float(scores.max()) if count else 0.0
        topics = {topic: float(score) / best if best > 0 else float("inf")
                  for topic, score in zip(self.outside, beyond) if score > 0}
        return hits, topics


def best_sentence(article: Article, question: str, bigrams: bool = True,
                  skip: Optional[Callable[[Any], bool]] = None) -> Tuple[str, str]:
    """(passage label, sentence): the article's sentence sharing most terms with the question (verbatim); passages
    ``skip`` names (repealed on the day) are never chosen; ("", "") when nothing is left."""
    wanted = set(terms(question, bigrams))
    best: Tuple[float, str, str] = (-1.0, "", "")
    for position, (passage, sentence) in enumerate(article.sentences()):
        if skip is not None and skip(passage):
            continue
        have = set(terms(sentence, bigrams))
        score = len(wanted & have) + 0.5 * sum(1 for t in wanted & have if "_" in t) - 0.01 * position
        if score > best[0]:
            best = (score, passage.label, sentence)
    return best[1], best[2]


def plain_bm25(register: Register, articles: Articles) -> LegalIndex:
    """The anchor: BM25 over the raw article text (syllables only; no titles, headings, questions or bigrams)."""
    return LegalIndex.build(register, articles, None, bigrams=False, raw=True)


def favoured_documents(procedures: Sequence[Any]) -> List[str]:
    """The documents the given catalogue procedures cite."""
    return [str(b.get("document") or "").strip() for p in procedures if p for b in p.legal_basis]
