"""The words the assistant knows, and the rule for a message it cannot have understood.

DIET always picks some intent, even for "qwzx plm brrt". A message in which (almost) no word
was ever seen in training data or in the catalogue cannot have been understood, whatever the
classifier's confidence: :func:`understood` says so, and the pipeline then asks back.
"""

from __future__ import annotations

from typing import Iterable, Set

from nlu.normalize import words

MIN_KNOWN_SHARE = 0.34  # at least a third of the words must be known
MAX_SHORT = 2           # in a message of up to this many words, one known word is enough
MAX_WORD_CHARS = 25     # longer is no word, however it normalises ("aaaa…a" collapses to "a", teencode for "anh")


def vocabulary(texts: Iterable[str]) -> Set[str]:
    """Every canonical word of ``texts`` (normalised: no diacritics, teencode expanded)."""
    found: Set[str] = set()
    for text in texts:
        for word in words(text):
            found.update(word.norm.split())
    return found


def understood(text: str, known: Set[str]) -> bool:
    """False when too few of the message's words are known to trust any intent."""
    tokens = [part if len(word.text) <= MAX_WORD_CHARS else "\u2047" for word in words(text) for part in word.norm.split()]
    tokens = [t for t in tokens if not t.isdigit()]
    if not tokens:
        return True  # numbers, codes, emoji: other rules answer these
    hits = sum(1 for t in tokens if t in known)
    if len(tokens) <= MAX_SHORT:
        return hits >= 1
    return hits >= 1 and hits / len(tokens) >= MIN_KNOWN_SHARE
