"""Reading which numbered choice a citizen means ("cái thứ hai", "số 1", "cái cuối")."""

from __future__ import annotations

import re
from typing import Optional

from nlu.normalize import normalize

_NUMBERS = {
    "nhat": 1, "mot": 1, "dau": 1, "dau tien": 1, "hai": 2, "nhi": 2, "ba": 3,
    "bon": 4, "tu": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9,
}
_WORDS = "|".join(sorted(_NUMBERS, key=len, reverse=True))
_ORDINAL = re.compile(
    rf"(?:^|\b)(?:cai|so|muc|phuong an|lua chon|chon|lay|y)\s+(?:thu\s+)?({_WORDS}|[1-9])\b"
    rf"|(?:^|\b)thu\s+({_WORDS}|[1-9])\b"
    rf"|^\s*([1-9])\s*$"
)
_LAST = re.compile(r"\b(?:cai|so|muc|phuong an|lua chon|chon)\s+cuoi(?:\s+cung)?\b")


def read_ordinal(text: str) -> Optional[int]:
    """The 1-based choice number in ``text``, -1 for "the last one", or None."""
    norm = normalize(text)
    if _LAST.search(norm):
        return -1
    match = _ORDINAL.search(norm)
    if not match:
        return None
    word = next(group for group in match.groups() if group)
    return int(word) if word.isdigit() else _NUMBERS[word]
