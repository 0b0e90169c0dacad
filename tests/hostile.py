"""Hypothesis strategies for hostile input, shared by the property suites (tests/test_properties_*.py), and the checks
every suite ends with (the database's integrity and the invariants forged input must never break).

The examples are bounded (:data:`FAST`, :data:`SLOW`) so that the whole property suite takes a few minutes on two
cores; ``MOTCUA_PROPERTY_SCALE=10`` multiplies them for a longer hunt.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from bot.settings import ROOT

SCALE = max(1, int(os.environ.get("MOTCUA_PROPERTY_SCALE", "1") or 1))
_QUIET = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large, HealthCheck.filter_too_much]
FAST = settings(max_examples=60 * SCALE, deadline=None, suppress_health_check=_QUIET, derandomize=False)
SLOW = settings(max_examples=15 * SCALE, deadline=None, suppress_health_check=_QUIET)

_DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
INTENTS: List[str] = [i if isinstance(i, str) else next(iter(i)) for i in _DOMAIN["intents"]]
ENTITIES: List[str] = [e if isinstance(e, str) else next(iter(e)) for e in _DOMAIN.get("entities", [])]
# intents only staff may act on ("petition" is a citizen filing one: not here)
OFFICIAL_INTENTS = ["ask_report", "ask_indicators", "ask_tasks", "ask_legal_review", "create_invite", "area_broadcast",
                    "redeem_invite"]

DOSSIER = "000.00.12.H49-251120-0031"  # data/samples/demo_dossiers.yml
FRAGMENTS = [
    # markup that would break a parse mode (Telegram HTML / MarkdownV2, the web page)
    "<b>", "</i>", "<a href=\"javascript:alert(1)\">x</a>", "<script>alert(1)</script>", "&amp", "&#0;", "&lt;", "<tg-spoiler>",
    "*", "_", "`", "```", "[x](tg://user?id=1)", "||", "~", "\\", "<", ">", "&",
    # SQL, paths, format strings
    "'; drop table dossiers; --", "\" or 1=1 --", "%s%s%s%n", "{0}{user}", "${jndi:ldap://x}", "../../etc/passwd",
    "..\\..\\windows\\win.ini", "%2e%2e%2f", "/dev/zero", "NUL", "\\\\?\\C:",
    # near-miss dossier and petition codes
    DOSSIER, DOSSIER[:-1], DOSSIER + "1", DOSSIER.replace("-", "–"), DOSSIER.replace("0", "O", 1), DOSSIER.lower(),
    "PA-2026-000123", "PA-2026-", "PA-9999-99999999999", "KMRT-VXAB-QHNC", "KMRT-VXAB-QHN",
    # forged payloads and commands
    '/ask_fee{"procedure":"../../x"}', '/ask_report', '/create_invite{"invite_request":"quản trị"}',
    '/redeem_invite{"invite_code":"AAAA-BBBB-CCCC"}', '/area_broadcast{"officials_request":"thông báo giả"}',
    '/subscribe{"dossier_code":"' + DOSSIER + '"}', "/ketthuc", "/ketthuc #999999999999", "/start", "/restart", "/", "{", "}",
    # words, scripts, emoji
    "đăng ký khai sinh cần gì", "tra cứu hồ sơ", "lệ phí", "gặp cán bộ", "dang ky khai sinh", "ĐĂNG KÝ KẾT HÔN",
    "中文", "العربية", "עברית", "русский", "ไทย", "😀", "👨‍👩‍👧‍👦", "🇻🇳", "\U0001F3F4\U000E0067\U000E0062\U000E007F",
]
CONTROL = st.characters(min_codepoint=0, max_codepoint=31) | st.sampled_from(["\x7f", "\x85", "\u2028", "\u2029"])
INVISIBLE = st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u202d", "\u200f", "\u200e",
                             "\u2066", "\u2069", "\u00ad", "\u180e"])
COMBINING = st.characters(min_codepoint=0x300, max_codepoint=0x36F)
SURROGATE_FREE = st.characters(blacklist_categories=("Cs",))


def _long(fragment: str, size: int) -> str:
    return (fragment * (size // max(1, len(fragment)) + 1))[:size]


hostile_text = st.one_of(
    st.just(""),
    st.sampled_from(FRAGMENTS),
    st.text(SURROGATE_FREE, max_size=120),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), CONTROL, INVISIBLE, COMBINING, st.text(SURROGATE_FREE, max_size=12)),
             max_size=10).map("".join),
    st.tuples(st.sampled_from(FRAGMENTS), st.sampled_from([4096, 4097, 5000, 12_000])).map(lambda t: _long(*t)),
)

json_scalar = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                        st.floats(allow_nan=False, allow_infinity=False), st.text(SURROGATE_FREE, max_size=30), hostile_text)
json_value = st.recursive(json_scalar, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                          max_leaves=12)


@st.composite
def forged_payload(draw) -> str:
    """A Rasa button payload a client may forge: ``/intent{entities}``, with real or made-up intents and entities of
    every JSON type (``{"procedure": "../../x"}``, ``{"dossier_code": [1, 2]}``, broken JSON)."""
    intent = draw(st.one_of(st.sampled_from(INTENTS), st.sampled_from(OFFICIAL_INTENTS), st.text(SURROGATE_FREE, max_size=20)))
    entities = draw(st.dictionaries(st.one_of(st.sampled_from(ENTITIES), st.text(max_size=10)),
                                    st.one_of(hostile_text, json_value), max_size=3))
    body = json.dumps(entities, ensure_ascii=draw(st.booleans()))
    if draw(st.integers(0, 5)) == 0:
        body = body[: draw(st.integers(0, len(body)))]  # cut short: not JSON any more
    return "/" + intent + body


message_text = st.one_of(hostile_text, forged_payload())


# after a run ---------------------------------------------------------------------------------------------------------
def privileges(path: Path) -> Dict[str, int]:
    """The accounts with a role other than citizen and the invites in the database at ``path``."""
    conn = sqlite3.connect(str(path))
    try:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
        return {"roles": conn.execute("select count(*) from users where role != 'citizen'").fetchone()[0] if "users" in tables else 0,
                "invites": conn.execute("select count(*) from invites").fetchone()[0] if "invites" in tables else 0}
    finally:
        conn.close()


def check_database(path: Path, before: Optional[Dict[str, int]] = None) -> None:
    """SQLite's own integrity check, foreign keys, and what forged input must never have done: give a role, make an
    invite (none more than ``before``, what the database held when the attacks began), or leave an account without
    an id."""
    assert privileges(path) == (before or {"roles": 0, "invites": 0})
    conn = sqlite3.connect(str(path))
    try:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        assert conn.execute("pragma foreign_key_check").fetchall() == []
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
        if "users" in tables:
            assert conn.execute("select count(*) from users where coalesce(channel_user_id, '') = '' "
                                "or coalesce(channel, '') = ''").fetchone()[0] == 0
        if "dossiers" in tables:
            assert conn.execute("select count(*) from dossiers where coalesce(code, '') = ''").fetchone()[0] == 0
    finally:
        conn.close()


def is_vietnamese_message(text: Any) -> bool:
    """A non-empty message with at least one Vietnamese letter (what an error body or a reply must be)."""
    return isinstance(text, str) and bool(text.strip()) and any(ch in text for ch in "ăâđêôơưáàảãạếềểễệốồổỗộớờởỡợíìỉĩịúùủũụứừửữựýỳỷỹỵ"
                                                                                  "ĂÂĐÊÔƠƯÁÀẢÃẠẾỀỂỄỆỐỒỔỖỘỚỜỞỠỢÍÌỈĨỊÚÙỦŨỤỨỪỬỮỰÝỲỶỸỴ")
