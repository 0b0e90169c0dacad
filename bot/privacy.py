"""The one masking rule for personal data in what the assistant writes for itself (logs, review tables).

:func:`mask` replaces, in any text:

- Vietnamese phone numbers: ``0`` then a non-zero digit and 8–9 more digits (mobile ``09x``/``03x``/…, landline
  ``02x``), or ``+84``/``(+84)``/``84`` and 9–10 digits; written together or in groups of 2–4 digits
  separated by one space, dot or dash ("0912 345 678", "0912.345.678", "+84 912 345 678", "028 3829 1234");
  -> ``[SĐT]``;
- 12-digit citizen ID numbers (CCCD: they all start with 0, the province code 001–096), together or as 3-3-3-3 /
  4-4-4 groups with one space or dot -> ``[CCCD]``;
- 9-digit identity-card numbers (CMND), together or as 3-3-3 groups with spaces (a dotted 3-3-3 is a sum of money
  written the Vietnamese way, "100.000.000", and is left alone) -> ``[CMND]``;
- the names it knows of (:class:`NameBook`: dossiers' applicants, citizens' display names), with or without
  diacritics, in any case, when they have at least two words -> ``[HỌ TÊN]``.

Numbers that are not these stay as they are: fees ("50.000 đồng"), dates ("01/02/2026", "01.02.2026"), dossier codes
("000.00.12.H49-251120-0031"), times, counts. A number glued to more digits, or followed by a letter, is never a
phone or an ID.

Names come from the deployment's databases: each :class:`NameBook` (one per database, ``Services.open`` makes it and
calls :func:`register`) reads them on first use, again when this process wrote a name (:func:`names_changed`: the
dossiers' upsert, an account's display name) and otherwise every :data:`REFRESH_S` seconds (another process's
writes). This module imports nothing of the project: the logging set-up (bot/logs.py) sits above it.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
import unicodedata
import weakref
from pathlib import Path
from typing import Callable, FrozenSet, Iterable, List, Optional, Tuple, Union

PHONE, CCCD, CMND, NAME = "[SĐT]", "[CCCD]", "[CMND]", "[HỌ TÊN]"
REFRESH_S = 60.0
MAX_NAME_WORDS = 6

_EDGE_BEFORE = r"(?<![\d+])(?<!\d[.,/-])"  # not glued to a digit, a plus sign, or a number before it ("sdt0912…" is)
_EDGE_AFTER = r"(?!\w)(?![.,/-]\d)"       # nor to a word or a number after it
_PATTERNS: List[Tuple[re.Pattern, str, Tuple[int, ...]]] = [
    # +84 / 84 / 0084 then 9-10 digits, together or grouped
    (re.compile(_EDGE_BEFORE + r"(?:\(\+84\)|\+84|84)[ .-]?[1-9](?:\d{8,9}|\d{1,3}(?:[ .-]\d{2,4}){2,3})" + _EDGE_AFTER),
     PHONE, (11, 12)),
    # CCCD: 0 + 11 digits, together or 3-3-3-3 / 4-4-4 with the same separator
    (re.compile(_EDGE_BEFORE + r"(?:0\d{11}|0\d{2}([ .])\d{3}\1\d{3}\1\d{3}|0\d{3}([ .])\d{4}\2\d{4})" + _EDGE_AFTER), CCCD, (12,)),
    # 0 + a non-zero digit + 8-9 digits, together or grouped (first group 3-4 digits)
    (re.compile(_EDGE_BEFORE + r"0[1-9](?:\d{8,9}|\d{1,2}(?:[ .-]\d{2,4}){2,3})" + _EDGE_AFTER), PHONE, (10, 11)),
    # CMND: 9 digits together, or 3-3-3 with spaces
    (re.compile(_EDGE_BEFORE + r"(?:\d{9}|\d{3} \d{3} \d{3})" + _EDGE_AFTER), CMND, (9,)),
]


def _digit_count(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _fold_char(ch: str) -> str:
    """One character without its marks, lower case, still one character (đ -> d)."""
    if ch in "đĐ":
        return "d"
    base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c)).lower()
    return base if len(base) == 1 else (ch.lower() if len(ch.lower()) == 1 else "?")


def fold(text: str) -> str:
    """``text`` (NFC) without diacritics, lower case, character for character (the same length, the same offsets)."""
    return "".join(_fold_char(ch) for ch in text)


def name_key(name: str) -> Optional[str]:
    """How a name is looked up: folded words joined by one space; None for a name of fewer than two words (a single
    word such as "Lan" or "Hoa" is also an ordinary word and is not masked alone)."""
    words = re.findall(r"\w+", fold(unicodedata.normalize("NFC", name or "")))
    words = [w for w in words if not w.isdigit()]
    if len(words) < 2 or len(words) > MAX_NAME_WORDS:
        return None
    return " ".join(words)


def _mask_patterns(text: str) -> str:
    for pattern, token, counts in _PATTERNS:
        text = pattern.sub(lambda m, t=token, c=counts: t if _digit_count(m.group(0)) in c else m.group(0), text)
    return text


def _mask_names(text: str, names: FrozenSet[str]) -> str:
    if not names:
        return text
    words = [(m.start(), m.end(), m.group(0)) for m in re.finditer(r"\w+", fold(text))]
    spans, i = [], 0
    while i < len(words):
        for n in range(min(MAX_NAME_WORDS, len(words) - i), 1, -1):
            if " ".join(w for _, _, w in words[i:i + n]) in names:
                spans.append((words[i][0], words[i + n - 1][1]))
                i += n
                break
        else:
            i += 1
    for start, end in reversed(spans):
        text = text[:start] + NAME + text[end:]
    return text


def mask(text: str, names: Optional[Iterable[str]] = None) -> str:
    """``text`` with phone numbers, ID numbers and the known ``names`` (default: every registered :class:`NameBook`'s)
    replaced (module docstring). Safe on any text; masking twice changes nothing more."""
    if not text:
        return text or ""
    text = unicodedata.normalize("NFC", str(text))
    text = _mask_patterns(text)
    known = known_names() if names is None else frozenset(k for k in (name_key(n) for n in names) if k)
    return _mask_names(text, known)


# the names a deployment knows ------------------------------------------------------------------------------------
_GENERATION = 0
_LOCK = threading.Lock()


def names_changed() -> None:
    """This process stored a name (a dossier's applicant, an account's display name): read the names again."""
    global _GENERATION
    _GENERATION += 1


class NameBook:
    """The personal names one database holds: dossiers' applicants and citizens' display names (read-only reads on a
    connection of its own, so it works from any thread, inside a log call)."""

    SQL = ("select applicant_name from dossiers where coalesce(applicant_name, '') != ''"
           " union select display_name from users where role = 'citizen' and coalesce(display_name, '') != ''")

    def __init__(self, path: Union[str, Path], refresh_s: float = REFRESH_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.path, self.refresh_s, self.clock = Path(path), refresh_s, clock
        self._names: FrozenSet[str] = frozenset()
        self._read_at: Optional[float] = None
        self._generation = -1

    def names(self) -> FrozenSet[str]:
        """The folded names (:func:`name_key`), read again when stale."""
        now = self.clock()
        if self._read_at is None or self._generation != _GENERATION or now - self._read_at >= self.refresh_s:
            self._generation, self._read_at = _GENERATION, now
            self._names = self._read() if self.path.exists() else frozenset()
        return self._names

    def _read(self) -> FrozenSet[str]:
        try:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=1.0)
            try:
                rows = conn.execute(self.SQL).fetchall()
            finally:
                conn.close()
        except sqlite3.Error:  # not yet migrated, locked, gone: keep what was known
            return self._names
        return frozenset(k for k in (name_key(r[0]) for r in rows) if k)


_BOOKS: "weakref.WeakSet[NameBook]" = weakref.WeakSet()


def register(book: NameBook) -> NameBook:
    """Let :func:`mask` (and so every log record) use ``book``'s names while it lives."""
    with _LOCK:
        _BOOKS.add(book)
    return book


def known_names() -> FrozenSet[str]:
    """The folded names of every registered book."""
    with _LOCK:
        books = list(_BOOKS)
    found: FrozenSet[str] = frozenset()
    for book in books:
        found = found | book.names()
    return found
