"""Invite codes (mã mời): their shape, made once here and recognised in any message.

A code is three groups of four letters, ``KMRT-VXAB-QHNC``: 12 letters from a 22-letter alphabet (Crockford's
letters: no I, L, O or U, which read like 1, 0 and V) hold about 53 bits, so guessing one is hopeless even before
the tries are counted (bot/people/invites.py). Letters only: a dossier code always has digits (nlu/dossier_code.py),
so the two never meet.

Anywhere in a message a code is recognised with its hyphens (``kmrt-vxab-qhnc`` too: case does not matter).
Right after "mã mời" / "ma moi" / "/moi" it may also be typed with spaces or run together (``KMRT VXAB QHNC``,
``kmrtvxabqhnc``), as people retype it from a phone.
"""

from __future__ import annotations

import re
import unicodedata
from typing import List, Optional, Tuple

ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS, GROUP_LENGTH = 3, 4
LENGTH = GROUPS * GROUP_LENGTH
EXAMPLE = "KMRT-VXAB-QHNC"

_HYPHENATED = re.compile(r"(?<![\w\-–])[A-Za-z]{4}(?:[-–][A-Za-z]{4}){2}(?![\w\-–])")
_AFTER_CUE = re.compile(
    r"(?:\bm[ãa]\s*m[ờơo]i|/moi)\b[\s:.,–-]*"
    r"([A-Za-z]{4}[\s.\-–]?[A-Za-z]{4}[\s.\-–]?[A-Za-z]{4})(?![\w\-–])",
    re.IGNORECASE,
)


def canonical(value: str) -> Optional[str]:
    """``"kmrt vxab-qhnc"`` -> ``"KMRT-VXAB-QHNC"``; None when ``value`` is not twelve letters in three groups."""
    letters = re.sub(r"[\s.\-–]", "", value or "").upper()
    if len(letters) != LENGTH or not letters.isascii() or not letters.isalpha():
        return None
    return "-".join(letters[i:i + GROUP_LENGTH] for i in range(0, LENGTH, GROUP_LENGTH))


def find_invite_codes(text: str) -> List[Tuple[str, int, int]]:
    """Every invite code in ``text`` (canonical form) with its start and end offsets in the NFC text."""
    text = unicodedata.normalize("NFC", text or "")[:2000]
    found: List[Tuple[str, int, int]] = []
    for match in _AFTER_CUE.finditer(text):
        code = canonical(match.group(1))
        if code:
            found.append((code, match.start(1), match.end(1)))
    for match in _HYPHENATED.finditer(text):
        code = canonical(match.group(0))
        if code and not any(start <= match.start() < end for _, start, end in found):
            found.append((code, match.start(), match.end()))
    return sorted(found, key=lambda item: item[1])


def well_formed(code: str) -> bool:
    """True when ``code`` (canonical) uses only the alphabet codes are made from."""
    return canonical(code) == code and all(ch in ALPHABET for ch in code.replace("-", ""))


CREATE_INTENT, REDEEM_INTENT = "create_invite", "redeem_invite"
_CREATE_LEAD = re.compile(r"^\s*(?:/taomoi\b|t[ạa]o\s+(?:m[ãa]|l[ờơo]i)\s+m[ờơo]i\b)", re.IGNORECASE)


def invite_intent(text: str) -> Optional[str]:
    """``create_invite`` for "/taomoi …" or "tạo mã mời …", ``redeem_invite`` for a message carrying a code, else None.

    A rule, so these never depend on what the classifier learnt (nlu.components.InviteClassifier applies it)."""
    text = unicodedata.normalize("NFC", text or "")
    if _CREATE_LEAD.match(text):
        return CREATE_INTENT
    return REDEEM_INTENT if find_invite_codes(text) else None
