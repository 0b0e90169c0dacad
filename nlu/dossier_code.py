"""Dossier codes of the one-stop systems: found in free text, and checked before a lookup.

Codes are opaque tokens (``000.00.12.H49-251120-0031`` is one shape; provinces use others), so the
pattern is permissive: letters and digits in groups joined by ``.``, ``-``, ``_`` or ``/``, with
enough digits to be a code and not a date, a price or a phone number.
"""

from __future__ import annotations

import re
from typing import List, Tuple

_TOKEN = re.compile(r"(?<![\w.\-/])[A-Za-z0-9]+(?:[.\-_/][A-Za-z0-9]+)+(?![\w\-/]|\.\w)")
_DATE = re.compile(r"^\d{1,4}[./-]\d{1,2}(?:[./-]\d{1,4})?$")
_MONEY = re.compile(r"^\d{1,3}(?:[.,]\d{3})+$")
_DECIMAL = re.compile(r"^\d+[.,]\d+$")
_PHONE = re.compile(r"^(?:\+?84|0)\d{2,3}[.\-]\d{3}[.\-]\d{3,4}$")
_VERSION = re.compile(r"^\d{1,3}(?:\.\d{1,3}){1,2}$")  # procedure codes such as 1.001193, 2.000635

EXAMPLE_CODE = "000.00.12.H49-251120-0031"  # the shape printed on a receipt, shown when a code is asked for
MIN_DIGITS = 6
MAX_LENGTH = 40


def looks_like_code(token: str) -> bool:
    """True when ``token`` has the shape of a dossier code."""
    if len(token) > MAX_LENGTH or len(token) < 8:
        return False
    if _DATE.match(token) or _MONEY.match(token) or _DECIMAL.match(token) or _VERSION.match(token) or _PHONE.match(token):
        return False
    return sum(ch.isdigit() for ch in token) >= MIN_DIGITS


def find_codes(text: str) -> List[Tuple[str, int, int]]:
    """Every dossier code in ``text`` with its start and end offsets, exactly as typed."""
    return [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text or "") if looks_like_code(m.group(0))]


def explain_invalid(text: str) -> str:
    """A short Vietnamese reason why ``text`` is not a dossier code."""
    stripped = (text or "").strip()
    if not stripped:
        return "Anh/chị chưa gửi mã hồ sơ."
    if len(stripped) > MAX_LENGTH:
        return "Mã hồ sơ quá dài."
    return "Mã hồ sơ chưa đúng định dạng."
