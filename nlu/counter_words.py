"""Which counter a message names by its matters: "nộp hồ sơ đất đai ở quầy nào", "quầy công an ở đâu".

The words are the counters' fields and keywords in ``data/counters.yml``; a message is compared with them
without diacritics and with abbreviations expanded (:func:`nlu.normalize.normalize`), whole words only. When
several match, the longest phrase wins ("giấy phép xây dựng" over "xây dựng"), then the first counter.
"""

from __future__ import annotations

import re
from typing import Optional, Tuple

from bot.catalogue.counters import Counter, Layout
from nlu.normalize import normalize

ASKS_COUNTER = re.compile(r"\bquay\b")


def counter_named(text: str, layout: Layout) -> Optional[Tuple[Counter, str]]:
    """The counter whose field or keyword ``text`` names, with the phrase found; None when none is named."""
    norm = f" {normalize(text or '')} "
    best: Optional[Tuple[int, Counter, str]] = None
    for counter in layout.counters:
        for phrase in counter.phrases():
            key = normalize(phrase)
            if key and f" {key} " in norm and (best is None or len(key) > best[0]):
                best = (len(key), counter, phrase)
    return (best[1], best[2]) if best else None


def asks_for_counter(text: str) -> bool:
    """Whether the message asks about a counter ("quầy nào", "quay so may")."""
    return bool(ASKS_COUNTER.search(normalize(text or "")))
