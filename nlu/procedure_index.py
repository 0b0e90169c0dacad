"""Resolving what a citizen calls a procedure to one catalogue entry.

A retrieval step over each procedure's official name, aliases and life-event phrases, compared
in the normaliser's canonical form (diacritics, case, spacing and abbreviations don't matter),
with three kinds of match, best first:

1. the phrase occurs word for word ("đăng ký lại khai sinh");
2. all the phrase's words (three or more) occur close together in another order ("giấy khai
   sinh của em bị mất" for "mất giấy khai sinh");
3. a typo'd occurrence (a fuzzy partial match of the whole phrase), only when nothing matched
   in the first two ways, among the phrases that share all their informative words but two (at
   least one) with the message (one typo'd word in a phrase is found; a phrase with every word
   misspelt is not).

Each phrase is filed under its rarest word, so a message is compared only with the phrases it can
match (about 1 ms at 95 % of messages with 157 entries, instead of a scan of every phrase).

A match is worth the phrase's informativeness: the sum of its words' inverse procedure
frequency (filler words such as "làm", "thủ tục" weigh nothing), so "cải chính" (one
procedure) outweighs "giấy khai sinh" (many). When the query
kept its diacritics, a word must keep them too: "cười" (laugh) is not "cưới" (marry). When the
best phrase belongs to several procedures equally, the result is ambiguous and carries the
candidates so the assistant can offer numbered choices.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from rapidfuzz import fuzz, process

from nlu.normalize import clean, strip_diacritics, words

FUZZY_THRESHOLD = 88.0  # partial-ratio score (0-100) a typo'd phrase needs to count
MIN_FUZZY_LENGTH = 12  # phrases shorter than this (in characters) must match word for word
SCATTER_FACTOR = 0.85  # a phrase whose words are scattered is worth this share of a whole one
FUZZY_FACTOR = 0.8  # a typo'd phrase is worth at most this share
# "mất" followed by these asks how long something takes; the query gets TIME_MAT instead of "mat" there
TAKES_TIME = frozenset({"bao lau", "may ngay", "bao nhieu", "nhieu thoi", "may thang", "may tuan", "may hom", "bao ngay",
                        "thoi gian", "may buoi", "may gio", "bao gio", "lau khong", "lau ko", "lau k", "lau"})
TIME_MAT = "mat~thoi~gian"
# Words that say nothing about which procedure is meant: they must match but weigh nothing.
FILLER = frozenset(
    "lam thu tuc xin cho cua muon can viec de va o tai ve la mot nhung cac thi khi da bi duoc co khong "
    "toi em anh chi minh nguoi".split()
)


@dataclass(frozen=True)
class Entry:
    """A procedure as the index knows it."""

    id: str
    code: Optional[str]
    name: str
    phrases: Tuple[str, ...]
    family: str = ""
    cues: Tuple[str, ...] = ()
    events: Tuple[str, ...] = ()  # the phrases that are life events (situations), not names
    cue_groups: Tuple[str, ...] = ()  # per cue, the variant group it comes from ("" or absent: the entry's own)
    variant_of: Tuple[str, ...] = ()  # other families in which this entry is a variant (its cues compete there)


@dataclass
class Resolution:
    """The outcome of resolving one message."""

    id: str
    code: Optional[str]
    name: str
    score: float  # match quality 0-100 (100: word for word)
    matched: str
    weight: float = 0.0
    candidates: List[str] = field(default_factory=list)
    phrase: str = ""  # the best phrase, canonical (``matched`` is the cue when a cue chose a sibling)
    exact: bool = False  # the best phrase occurs word for word
    event: bool = False  # the best phrase is a life event (a situation), not a name of the procedure

    @property
    def ambiguous(self) -> bool:
        """True when more than one procedure fits equally well."""
        return len(self.candidates) > 1


@dataclass(frozen=True)
class _Tokens:
    """Canonical tokens with the original (lower-case) word when it maps to one token."""

    norm: Tuple[str, ...]
    raw: Tuple[Optional[str], ...]

    @classmethod
    def of(cls, text: str, query: bool = False) -> "_Tokens":
        norm: List[str] = []
        raw: List[Optional[str]] = []
        for word in words(clean(text)):
            parts = word.norm.split()
            norm.extend(parts)
            raw.extend([word.text.lower()] if len(parts) == 1 else [None] * len(parts))
        if query:  # "mất bao lâu" asks how long it takes: that "mất" is not "lost" ("mất hộ chiếu")
            for i, token in enumerate(norm):
                if token == "mat" and " ".join(norm[i + 1 : i + 3]) in TAKES_TIME:
                    norm[i], raw[i] = TIME_MAT, None
        return cls(tuple(norm), tuple(raw))

    @functools.cached_property
    def text(self) -> str:
        return " ".join(self.norm)


def phrase_key(phrase: str) -> str:
    """A phrase as the index compares it (the ``phrase`` of a :class:`Resolution`)."""
    return _Tokens.of(phrase).text


def _marks_key(word: str) -> str:
    """A word's letters and marks, with i and y counted alike ("kí" = "ký")."""
    return unicodedata.normalize("NFD", word).replace("y", "i")


def _same_marks(query_raw: Optional[str], phrase_raw: Optional[str]) -> bool:
    """False only when both words carry diacritics and they differ ("cười" vs "cưới")."""
    if not query_raw or not phrase_raw or query_raw == phrase_raw:
        return True
    if strip_diacritics(query_raw) == query_raw or strip_diacritics(phrase_raw) == phrase_raw:
        return True
    return _marks_key(query_raw) == _marks_key(phrase_raw)


@dataclass(frozen=True)
class _Phrase:
    tokens: _Tokens
    procedure: str
    weight: float


CUE_GAP = "…"  # in a cue, words may stand between the parts it separates ("đã làm … bên nhật")
MAX_GAP = 6  # at most this many words between two parts of a cue


@dataclass(frozen=True)
class _Cue:
    """A cue: one part, or parts that must occur in order with at most MAX_GAP words between them."""

    parts: Tuple[_Tokens, ...]
    procedure: str
    group: str  # the variant group ("" for the entry's own cues)

    @functools.cached_property
    def norm(self) -> frozenset:
        return frozenset(t for part in self.parts for t in part.norm)

    @functools.cached_property
    def weight(self) -> float:
        return float(sum(len(part.norm) for part in self.parts))

    @functools.cached_property
    def text(self) -> str:
        return f" {CUE_GAP} ".join(part.text for part in self.parts)


@functools.lru_cache(maxsize=None)
def _cue_parts(cue: str) -> Tuple[_Tokens, ...]:
    parts = tuple(_Tokens.of(part) for part in cue.split(CUE_GAP))
    return parts if all(part.norm for part in parts) else ()


def _strength(hits: Dict[str, Tuple[Tuple[int, float, int], str]], pid: str) -> Tuple[int, float, int]:
    """How strongly the message names entry ``pid``'s cues (:meth:`ProcedureIndex._cue_hits`); none: (0, 0.0, 0)."""
    return hits[pid][0] if pid in hits else (0, 0.0, 0)


class ProcedureIndex:
    """Phrase index over the catalogue; build it once, query it per message."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries: Dict[str, Entry] = {entry.id: entry for entry in entries}
        self._events = {entry.id: {_Tokens.of(event).text for event in entry.events} for entry in self.entries.values()}
        tokenised: List[Tuple[_Tokens, str]] = []
        seen = set()
        for entry in self.entries.values():
            for phrase in entry.phrases:
                tokens = _Tokens.of(phrase)
                if tokens.norm and (tokens.norm, entry.id) not in seen:
                    seen.add((tokens.norm, entry.id))
                    tokenised.append((tokens, entry.id))
        holders: Dict[str, set] = defaultdict(set)
        for tokens, pid in tokenised:
            for token in tokens.norm:
                holders[token].add(pid)
        total = max(1, len(self.entries))
        self.idf = {token: 0.0 if token in FILLER else math.log(1 + total / len(pids)) for token, pids in holders.items()}
        self._phrases = [
            _Phrase(tokens, pid, sum(self.idf[t] for t in tokens.norm)) for tokens, pid in tokenised
        ]
        self._phrase_texts = frozenset(phrase.tokens.text for phrase in self._phrases)  # for names()
        # word-for-word candidates: each phrase filed under its rarest word, so a message is compared only with the
        # phrases whose rarest word it contains (then all the others are checked), not with every phrase
        postings: Dict[str, int] = defaultdict(int)
        for phrase in self._phrases:
            for token in set(phrase.tokens.norm):
                postings[token] += 1
        self._by_rarest: Dict[str, List[int]] = defaultdict(list)
        for index, phrase in enumerate(self._phrases):
            self._by_rarest[min(set(phrase.tokens.norm), key=lambda t: (postings[t], t))].append(index)
        # the typo pass looks only at phrases long enough to be matched with typos (MIN_FUZZY_LENGTH)
        self._fuzzy_phrases = [phrase for phrase in self._phrases if len(phrase.tokens.text) >= MIN_FUZZY_LENGTH]
        self._fuzzy_texts = [phrase.tokens.text for phrase in self._fuzzy_phrases]
        self._fuzzy_by_token: Dict[str, List[int]] = defaultdict(list)
        # a typo'd occurrence keeps all the phrase's informative words but at most two (a misspelt word, or two run
        # together): how many of them a message must share before the phrase is worth aligning
        self._fuzzy_need = [max(1, len({t for t in phrase.tokens.norm if self.idf[t]}) - 2) for phrase in self._fuzzy_phrases]
        for index, phrase in enumerate(self._fuzzy_phrases):
            for token in set(phrase.tokens.norm):
                self._fuzzy_by_token[token].append(index)
        # cues, each filed under its rarest word (as the phrases are): a message is checked only against the cues
        # whose rarest word it holds
        self._cues: List[_Cue] = []
        for entry in self.entries.values():
            groups = tuple(entry.cue_groups) + ("",) * (len(entry.cues) - len(entry.cue_groups))
            for cue, group in zip(entry.cues, groups):
                parts = _cue_parts(cue)
                if parts:
                    self._cues.append(_Cue(parts, entry.id, group))
        cue_postings: Dict[str, int] = defaultdict(int)
        for item in self._cues:
            for token in item.norm:
                cue_postings[token] += 1
        self._cues_by_rarest: Dict[str, List[int]] = defaultdict(list)
        for index, item in enumerate(self._cues):
            self._cues_by_rarest[min(item.norm, key=lambda t: (cue_postings[t], t))].append(index)
        self._variants = {item.procedure for item in self._cues if item.group}  # entries with variant groups
        self._families: Dict[str, set] = defaultdict(set)  # family -> the entries that compete in it with their cues
        for entry in self.entries.values():
            for family in (entry.family, *entry.variant_of):
                if family:
                    self._families[family].add(entry.id)

    @classmethod
    def from_records(cls, records: Sequence[Dict]) -> "ProcedureIndex":
        """Build from plain dicts ``{"id", "code", "name", "phrases"}`` (the persisted form)."""
        return cls(
            Entry(r["id"], r.get("code"), r["name"], tuple(r["phrases"]), r.get("family", ""), tuple(r.get("cues", ())),
                  tuple(r.get("events", ())), tuple(r.get("cue_groups", ())), tuple(r.get("variant_of", ())))
            for r in records
        )

    def records(self) -> List[Dict]:
        """The persisted form of this index."""
        return [
            {"id": e.id, "code": e.code, "name": e.name, "phrases": list(e.phrases), "family": e.family, "cues": list(e.cues),
             "events": list(e.events), "cue_groups": list(e.cue_groups), "variant_of": list(e.variant_of)}
            for e in self.entries.values()
        ]

    @staticmethod
    def _whole(query: _Tokens, phrase: _Tokens) -> bool:
        n = len(phrase.norm)
        for start in range(len(query.norm) - n + 1):
            if query.norm[start : start + n] == phrase.norm and all(
                _same_marks(q, p) for q, p in zip(query.raw[start : start + n], phrase.raw)
            ):
                return True
        return False

    @staticmethod
    def _at(query: _Tokens, phrase: _Tokens, start: int) -> bool:
        n = len(phrase.norm)
        return query.norm[start : start + n] == phrase.norm and all(
            _same_marks(q, p) for q, p in zip(query.raw[start : start + n], phrase.raw))

    @classmethod
    def _cue_in(cls, query: _Tokens, cue: _Cue) -> bool:
        """The cue's parts occur word for word, in order, at most MAX_GAP words apart."""
        ends = [0]  # where the previous part may have ended (the first part may start anywhere)
        for number, part in enumerate(cue.parts):
            n = len(part.norm)
            found = []
            for end in ends:
                first = 0 if number == 0 else end
                last = len(query.norm) - n if number == 0 else min(len(query.norm) - n, end + MAX_GAP)
                found += [start + n for start in range(first, last + 1) if cls._at(query, part, start)]
            if not found:
                return False
            ends = sorted(set(found))
        return True

    @staticmethod
    def _scattered(query: _Tokens, phrase: _Tokens) -> bool:
        """All the phrase's words (three or more) occur within a window of twice its length plus four."""
        n = len(phrase.norm)
        if n < 3:
            return False
        window = 2 * n + 4
        positions = []
        for token, raw in zip(phrase.norm, phrase.raw):
            found = [i for i, (q, r) in enumerate(zip(query.norm, query.raw)) if q == token and _same_marks(r, raw)]
            if not found:
                return False
            positions.append(found)
        return any(all(any(start <= i < start + window for i in found) for found in positions) for start in range(len(query.norm)))

    @staticmethod
    def _fuzzy(query: str, phrase: str) -> float:
        if len(phrase) < MIN_FUZZY_LENGTH or len(phrase) > len(query):
            return 0.0
        alignment = fuzz.partial_ratio_alignment(phrase, query, score_cutoff=FUZZY_THRESHOLD)
        if alignment is None or alignment.src_end - alignment.src_start < len(phrase):
            return 0.0  # the whole phrase must be matched, not a piece of it
        if alignment.dest_end - alignment.dest_start < 0.9 * len(phrase):
            return 0.0
        return alignment.score

    def _match(self, query: _Tokens, phrase: _Phrase, fuzzy: bool) -> float:
        """The match quality (0-100) of one phrase in the query.

        The typo pass (``fuzzy``) runs only after no phrase matched word for word, whole or scattered
        (:meth:`resolve`), so there the typo score is the only one that can be above 0.
        """
        if fuzzy:
            return self._fuzzy(query.text, phrase.tokens.text) * FUZZY_FACTOR
        if self._whole(query, phrase.tokens):
            return 100.0
        if self._scattered(query, phrase.tokens):
            return 100.0 * SCATTER_FACTOR
        return 0.0

    def _best(self, query: _Tokens, fuzzy: bool) -> Dict[str, Tuple[float, float, _Phrase]]:
        """Per procedure: (value, quality, phrase) of its best-matching phrase."""
        best: Dict[str, Tuple[float, float, _Phrase]] = {}
        present = set(query.norm)
        if fuzzy:  # phrases sharing enough words with the message (_fuzzy_need), then one batched
            # partial-ratio pass (C++) picks those worth aligning, with _fuzzy's cut-off
            sharing = Counter(i for token in present if self.idf.get(token) for i in self._fuzzy_by_token.get(token, ()))
            shared = sorted(i for i, count in sharing.items() if count >= self._fuzzy_need[i])
            found = process.extract(query.text, [self._fuzzy_texts[i] for i in shared], scorer=fuzz.partial_ratio,
                                    score_cutoff=FUZZY_THRESHOLD, limit=None)
            phrases: Iterable[_Phrase] = [self._fuzzy_phrases[shared[index]] for _, _, index in found]
        else:  # in the index's order, as a full scan would meet them
            phrases = [self._phrases[i] for i in sorted(i for token in present for i in self._by_rarest.get(token, ()))]
        for phrase in phrases:
            if not fuzzy and not present.issuperset(phrase.tokens.norm):
                continue
            quality = self._match(query, phrase, fuzzy)
            if quality <= 0:
                continue
            value = max(phrase.weight, 0.01) * quality / 100.0
            if phrase.procedure not in best or value > best[phrase.procedure][0]:
                best[phrase.procedure] = (value, quality, phrase)
        return best

    def _cued(self, top_id: str, best: Dict[str, Tuple[float, float, _Phrase]],
              hits: Dict[str, Tuple[Tuple[int, float, int], str]]) -> Optional[Tuple[str, str]]:
        """A sibling of the best match (or another matched procedure) whose cue words occur, word
        for word, when the best match's own do not: "đăng ký lại" turns khai sinh into đăng ký lại khai
        sinh. Returns (procedure id, cue) or None.

        Siblings are the entries of the best match's family and those that declare themselves a variant in it
        (``variant_of``). A procedure's cues are ranked first by how many of its qualifiers the message names (each
        variant group of the catalogue's ``variants`` counts once, the entry's own cues once; a variant's own cues
        count only when one of its groups is named too), then by their
        longest hit, then by how many of the message's words its hits cover: a variant with two qualifiers
        ("đăng ký lại … có yếu tố nước ngoài") beats a sibling with one of them when the message says both. Equal
        siblings go to the better-matched one, then to the plainer (shorter-named) one, so that the choice never
        depends on the catalogue's order. ``hits``: :meth:`_cue_hits` of the best match's siblings and the matched
        procedures."""
        if not hits:
            return None
        winner = max(hits, key=lambda pid: (_strength(hits, pid), best.get(pid, (0.0,))[0], -len(self.entries[pid].name), pid))
        if winner == top_id or _strength(hits, top_id) >= _strength(hits, winner):
            return None
        return winner, hits[winner][1]

    def _competing(self, best: Dict[str, Tuple[float, float, _Phrase]], family: str) -> set:
        """The entries whose cues compete for a message: those it matched and those of ``family`` ("" for none)."""
        return set(best) | (self._families.get(family, set()) if family else set())

    def _cue_hits(self, query: _Tokens, eligible: set) -> Dict[str, Tuple[Tuple[int, float, int], str]]:
        """For each entry of ``eligible`` whose cues occur in the message: its strength (how many of its cue groups
        are named, its longest cue's weight, how many of the message's words its cues cover) and that cue. A
        variant's own cues count only with one of its qualifiers: "chấm dứt" alone is the plain chấm dứt giám hộ's."""
        best: Dict[str, Tuple[float, str]] = {}
        groups: Dict[str, set] = defaultdict(set)
        covered: Dict[str, set] = defaultdict(set)
        present = set(query.norm)
        for index in sorted(i for token in present for i in self._cues_by_rarest.get(token, ())):
            cue = self._cues[index]
            if cue.procedure in eligible and present.issuperset(cue.norm) and self._cue_in(query, cue):
                covered[cue.procedure].update(cue.norm)
                groups[cue.procedure].add(cue.group)
                if cue.weight > best.get(cue.procedure, (0.0, ""))[0]:
                    best[cue.procedure] = (cue.weight, cue.text)
        return {pid: ((len(groups[pid]), weight, len(covered[pid])), text) for pid, (weight, text) in best.items()
                if pid not in self._variants or groups[pid] - {""}}

    def names(self, phrase: str) -> bool:
        """Whether ``phrase`` (canonical, as :attr:`Resolution.phrase`) is one of the index's phrases."""
        return phrase in self._phrase_texts

    def resolve(self, text: str) -> Optional[Resolution]:
        """The procedure ``text`` is about, or None when it names none."""
        query = _Tokens.of(text, query=True)
        if not query.norm:
            return None
        best = self._best(query, fuzzy=False) or self._best(query, fuzzy=True)  # typos only as a last resort
        if not best:
            return None
        ranked = sorted(best.items(), key=lambda kv: kv[1][0], reverse=True)
        top_id, (top_value, top_quality, top_phrase) = ranked[0]
        found = {"phrase": top_phrase.tokens.text, "exact": top_quality >= 100.0,
                 "event": top_phrase.tokens.text in self._events.get(top_id, ())}
        family = self.entries[top_id].family
        hits = self._cue_hits(query, self._competing(best, family))
        cued = self._cued(top_id, best, hits)
        moved_to = self.entries[cued[0]].family if cued is not None else ""
        if moved_to and moved_to != family:
            # a cue moved the message to another family ("chưa kết hôn" turns kết hôn với người Hàn into khai sinh kết
            # hợp nhận cha con): that family's variants have their say too ("người Hàn": the foreign-element one)
            again = self._cued(cued[0], best, self._cue_hits(query, self._competing(best, moved_to)))
            cued = again or cued
        if cued is not None:
            entry = self.entries[cued[0]]
            return Resolution(entry.id, entry.code, entry.name, score=85.0, matched=cued[1], weight=round(top_value, 3), **found)
        tied = [pid for pid, (value, _, phrase) in ranked if phrase.tokens.norm == top_phrase.tokens.norm and abs(value - top_value) < 1e-9]
        # equal twins: the one whose cues the message names most ("... trên cổng dịch vụ công" names the online thu
        # hồi's qualifier; "… sai vị trí" the điều chỉnh quyết định's own cue), then the plain one (a variant none of
        # whose qualifiers the message names is the less likely answer: "nộp lại cà vẹt" is the in-person thu hồi),
        # then the shorter name
        entry = self.entries[min(tied, key=lambda pid: (tuple(-x for x in _strength(hits, pid)), pid in self._variants,
                                                        len(self.entries[pid].name), pid))]
        return Resolution(
            id=entry.id,
            code=entry.code,
            name=entry.name,
            score=round(top_quality, 1),
            matched=top_phrase.tokens.text,
            weight=round(top_value, 3),
            candidates=tied if len(tied) > 1 else [],
            **found,
        )
