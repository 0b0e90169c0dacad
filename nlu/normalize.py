"""The Vietnamese normaliser: the one place that decides how citizen text is compared.

Everything that matches or featurises Vietnamese text (the Rasa tokenizer, the procedure
resolver, the ordinal reader) goes through :func:`normalize` or :func:`tokens`, so that a
message typed with or without diacritics, in teencode, or in capitals looks the same.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Dict, List

# Words people abbreviate or write in teencode, mapped to their diacritic-free full form.
# Keys and values are already diacritic-free and lower case.
ABBREVIATIONS: Dict[str, str] = {
    # negation and common function words
    "ko": "khong", "k": "khong", "kg": "khong", "kh": "khong", "hok": "khong", "hong": "khong",
    "hem": "khong", "hk": "khong", "khg": "khong", "khong": "khong", "kô": "khong",
    "dc": "duoc", "dk": "dang ky", "dky": "dang ky", "dki": "dang ky", "dangky": "dang ky",
    "j": "gi", "ji": "gi", "z": "vay", "v": "vay", "dzay": "vay", "zay": "vay", "r": "roi",
    "ntn": "nhu the nao", "sao": "sao", "bn": "bao nhieu", "bnhiu": "bao nhieu",
    "bnh": "bao nhieu", "baonhieu": "bao nhieu", "nhiu": "nhieu", "mk": "minh",
    "mik": "minh", "mh": "minh", "mn": "moi nguoi", "ng": "nguoi", "ngta": "nguoi ta",
    "vs": "voi", "trc": "truoc", "ns": "noi", "bik": "biet", "bit": "biet",
    "mun": "muon", "lm": "lam", "e": "em", "a": "anh", "c": "chi", "cj": "chi",
    "ad": "admin", "thanks": "cam on", "thank": "cam on", "tks": "cam on", "thx": "cam on",
    "camon": "cam on", "cmon": "cam on", "ok": "ok", "oke": "ok", "okie": "ok",
    "hnay": "hom nay", "nay": "nay", "tgian": "thoi gian", "tg": "thoi gian",
    "sdt": "so dien thoai", "dt": "dien thoai", "stk": "so tai khoan",
    "ck": "chong", "vk": "vo", "bme": "bo me", "bm": "bo me", "hs": "ho so",
    "hso": "ho so", "tt": "thu tuc", "tthc": "thu tuc hanh chinh", "onl": "online",
    # documents and procedures
    "cccd": "can cuoc cong dan", "cmnd": "chung minh nhan dan", "cc": "can cuoc",
    "gks": "giay khai sinh", "hkd": "ho kinh doanh", "dkkd": "dang ky kinh doanh",
    "gpkd": "giay phep kinh doanh", "gcn": "giay chung nhan", "qsdd": "quyen su dung dat",
    "gpxd": "giay phep xay dung", "ubnd": "uy ban nhan dan", "ub": "uy ban",
    "dvc": "dich vu cong", "vneid": "vneid", "dddt": "dinh danh dien tu", "bhyt": "bao hiem y te", "bhxh": "bao hiem xa hoi",
    "xnth": "xac nhan tinh trang hon nhan", "tthn": "tinh trang hon nhan",
}

# Abbreviations typed with marks, kept apart so that a marked word is only expanded when it is
# exactly one of these.
MARKED_ABBREVIATIONS: Dict[str, str] = {
    "đc": "duoc", "đk": "dang ky", "đky": "dang ky", "đki": "dang ky", "hông": "khong", "hôk": "khong",
    "hok": "khong", "mún": "muon", "đdđt": "dinh danh dien tu",
    "ddđt": "dinh danh dien tu", "đkkd": "dang ky kinh doanh", "đkkh": "dang ky ket hon", "ơi": "oi",
}

_TAG = re.compile(r"<[^>]{0,200}>")
_REPEAT = re.compile(r"([a-z])\1{2,}")
_WORD = re.compile(r"[^\W_]+(?:[._/-][^\W_]+)*")


def strip_diacritics(text: str) -> str:
    """Return ``text`` without Vietnamese tone and vowel marks (đ becomes d)."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", bare).replace("đ", "d").replace("Đ", "D")


def _normalize_word(word: str) -> str:
    """Return the canonical diacritic-free form of one lower-case word."""
    if word in MARKED_ABBREVIATIONS:
        return MARKED_ABBREVIATIONS[word]
    plain = strip_diacritics(word)
    bare = _REPEAT.sub(r"\1", plain)  # "nhieuuu" -> "nhieu"
    # a word typed with marks is itself ("hồng" is not "hông", "ạ" is not "a" = anh)
    if word == plain:
        for key in (plain, bare):  # "cccd" before squeezing, "khongg" after
            if key in ABBREVIATIONS:
                return ABBREVIATIONS[key]
    if bare.startswith("f") and len(bare) > 1:  # teencode: "fí" -> "phi"
        return "ph" + bare[1:]
    if bare.startswith("w") and len(bare) > 1:  # teencode: "wá" -> "qua"
        return "qu" + bare[1:]
    return bare


@dataclass(frozen=True)
class Word:
    """One word of the original text, with its canonical form and its position."""

    text: str
    norm: str
    start: int
    end: int


def words(text: str) -> List[Word]:
    """Split ``text`` into words with their normalised forms and original offsets.

    Offsets point into ``unicodedata.normalize("NFC", text)``, which is what Rasa sees once
    the message has passed :func:`clean`.
    """
    found: List[Word] = []
    for match in _WORD.finditer(text):
        raw = match.group(0)
        norm = _normalize_word(raw.lower())
        if norm:
            found.append(Word(raw, norm, match.start(), match.end()))
    return found


def clean(text: str) -> str:
    """NFC-normalise, drop HTML tags and control characters, and squeeze whitespace."""
    text = unicodedata.normalize("NFC", text or "")
    text = _TAG.sub(" ", text)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.split())


def normalize(text: str) -> str:
    """Return the canonical comparison form: lower case, no diacritics, abbreviations expanded."""
    return " ".join(word.norm for word in words(clean(text)))


def tokens(text: str) -> List[str]:
    """Return the canonical tokens of ``text`` (multi-word expansions are split)."""
    return normalize(text).split()
