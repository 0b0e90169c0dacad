"""Cutting reply text to a chat platform's message limits, never inside a word.

Telegram (4,096) and Zalo (2,000) both count UTF-16 code units, so an emoji outside the Basic
Multilingual Plane counts two. Each channel passes its own limit.
"""

from __future__ import annotations

import re
from typing import List


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji outside the BMP counts two)."""
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` UTF-16 units."""
    if utf16_len(text) <= limit:
        return len(text)
    if utf16_len(text[:limit]) == limit:  # no character outside the BMP among the first ``limit``
        return limit
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def _break_point(text: str, n: int) -> int:
    """Where to cut ``text`` at or before ``n``: a paragraph, a line, then a space; mid-word only for one huge word."""
    window = text[:n + 1]  # a break right after the last character that fits counts too
    for separator in ("\n\n", "\n"):
        position = window.rfind(separator)
        if position >= n // 2:
            return position
    if text[n].isspace():
        return n
    spaces = [m.start() for m in re.finditer(r"\s", window)]
    return spaces[-1] if spaces and spaces[-1] > 0 else n


def split_text(text: str, limit: int) -> List[str]:
    """``text`` cut into messages of at most ``limit`` UTF-16 units, at a paragraph, line or space, never inside a word."""
    chunks, rest = [], (text or "").strip()
    while rest:
        n = _fit(rest, limit)
        if n >= len(rest):
            chunks.append(rest)
            break
        cut = _break_point(rest, n)
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return chunks


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to fit ``limit`` characters, with an ellipsis when cut."""
    text = (text or "").strip()
    if utf16_len(text) <= limit:
        return text
    return split_text(text, limit - 1)[0] + "…"
