"""Resolving what a citizen calls a procedure to one catalogue entry.

A retrieval step over each procedure's official name, aliases and life-event phrases, compared
in the normaliser's canonical form (so diacritics, case, spacing and abbreviations don't matter)
and with a fuzzy partial match for typos. Whole-phrase hits beat fuzzy ones and longer phrases
beat shorter ones; when the best phrase belongs to several procedures equally, the result is
ambiguous and carries the candidates so the assistant can offer numbered choices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from rapidfuzz import fuzz

from nlu.normalize import normalize

FUZZY_THRESHOLD = 88.0  # partial-ratio score (0-100) a typo'd phrase needs to count
MIN_FUZZY_LENGTH = 6  # phrases shorter than this must match exactly


@dataclass(frozen=True)
class Entry:
    """A procedure as the index knows it."""

    id: str
    code: Optional[str]
    name: str
    phrases: Tuple[str, ...]


@dataclass
class Resolution:
    """The outcome of resolving one message."""

    id: str
    code: Optional[str]
    name: str
    score: float
    matched: str
    start: int = 0
    end: int = 0
    candidates: List[str] = field(default_factory=list)

    @property
    def ambiguous(self) -> bool:
        """True when more than one procedure fits equally well."""
        return len(self.candidates) > 1


class ProcedureIndex:
    """Phrase index over the catalogue; build it once, query it per message."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries: Dict[str, Entry] = {entry.id: entry for entry in entries}
        self._phrases: List[Tuple[str, str]] = []  # (normalised phrase, procedure id)
        seen = set()
        for entry in self.entries.values():
            for phrase in entry.phrases:
                norm = normalize(phrase)
                if norm and (norm, entry.id) not in seen:
                    seen.add((norm, entry.id))
                    self._phrases.append((norm, entry.id))

    @classmethod
    def from_records(cls, records: Sequence[Dict]) -> "ProcedureIndex":
        """Build from plain dicts ``{"id", "code", "name", "phrases"}`` (the persisted form)."""
        return cls(Entry(r["id"], r.get("code"), r["name"], tuple(r["phrases"])) for r in records)

    def records(self) -> List[Dict]:
        """The persisted form of this index."""
        return [
            {"id": e.id, "code": e.code, "name": e.name, "phrases": list(e.phrases)}
            for e in self.entries.values()
        ]

    def _score(self, query: str, phrase: str) -> float:
        """100 when ``phrase`` occurs in ``query`` word for word; a fuzzy score for a typo'd
        occurrence; 0 otherwise. A query never matches a phrase longer than itself, so "khai
        sinh" does not count as "đăng ký lại khai sinh"."""
        if f" {phrase} " in f" {query} ":
            return 100.0
        if len(phrase) < MIN_FUZZY_LENGTH or len(phrase) > len(query):
            return 0.0
        alignment = fuzz.partial_ratio_alignment(phrase, query, score_cutoff=FUZZY_THRESHOLD)
        if alignment is None or alignment.src_end - alignment.src_start < len(phrase):
            return 0.0  # the phrase must be matched whole, not a piece of it
        span = alignment.dest_end - alignment.dest_start
        if span < 0.9 * len(phrase):
            return 0.0
        return min(alignment.score, 99.0)

    def resolve(self, text: str) -> Optional[Resolution]:
        """The procedure ``text`` is about, or None when it names none."""
        query = normalize(text)
        if not query:
            return None
        best: Dict[str, Tuple[float, int, str]] = {}
        for phrase, pid in self._phrases:
            score = self._score(query, phrase)
            if score <= 0:
                continue
            key = (score >= 100.0, len(phrase), score)
            current = best.get(pid)
            if current is None or key > (current[0] >= 100.0, current[1], current[0]):
                best[pid] = (score, len(phrase), phrase)
        if not best:
            return None
        ranked = sorted(best.items(), key=lambda kv: (kv[1][0] >= 100.0, kv[1][1], kv[1][0]), reverse=True)
        top_id, (top_score, top_len, top_phrase) = ranked[0]
        tied = [
            pid
            for pid, (score, length, phrase) in ranked
            if phrase == top_phrase and score == top_score
        ]
        entry = self.entries[top_id]
        return Resolution(
            id=entry.id,
            code=entry.code,
            name=entry.name,
            score=top_score,
            matched=top_phrase,
            candidates=tied if len(tied) > 1 else [],
        )
