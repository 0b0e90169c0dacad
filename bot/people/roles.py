"""Roles and the one check of who may run which official command.

Roles (``users.role``):

- ``citizen``: everyone, the default;
- ``official``: a ward official (cán bộ) of one department (``users.department``, as written in the dossiers);
- ``team``: a member of a community digital-technology team (tổ công nghệ số cộng đồng) of one area (``users.area``:
  a residential group or quarter);
- ``leader``: the ward's leadership (lãnh đạo), every department;
- ``admin``: who runs the assistant (quản trị): invites people and reads the audit trail.

:data:`COMMANDS` is the one table of which role may run which official command; :func:`allowed` and
:func:`require` are the one check, used by every channel through ``actions/officials.py`` (and by any
other entry point that runs an official command). A command not in the table is refused to everyone, so
a refusal never tells whether a command exists. The refusal's words are :data:`bot.phrases.REFUSAL`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, FrozenSet, Optional, Tuple

from nlu.normalize import normalize

if TYPE_CHECKING:  # pragma: no cover - typing only (users.py imports this module)
    from bot.people.users import User

CITIZEN, OFFICIAL, TEAM, LEADER, ADMIN = "citizen", "official", "team", "leader", "admin"
ROLES = (CITIZEN, OFFICIAL, TEAM, LEADER, ADMIN)
STAFF = frozenset({OFFICIAL, LEADER, ADMIN})

ROLE_NAMES = {  # how a person reads a role
    CITIZEN: "người dân", OFFICIAL: "cán bộ", TEAM: "thành viên tổ công nghệ số cộng đồng",
    LEADER: "lãnh đạo phường", ADMIN: "quản trị viên",
}
# what an admin may type for a role (normalised: no diacritics, lower case), besides the role's own name
ROLE_WORDS = {
    "citizen": CITIZEN, "nguoi dan": CITIZEN, "cong dan": CITIZEN,
    "official": OFFICIAL, "can bo": OFFICIAL, "cb": OFFICIAL, "cong chuc": OFFICIAL,
    "team": TEAM, "to cong nghe so cong dong": TEAM, "to cong nghe so": TEAM, "to cong dong": TEAM,
    "leader": LEADER, "lanh dao": LEADER,
    "admin": ADMIN, "quan tri": ADMIN, "quan tri vien": ADMIN,
}

# The one table: official command -> the roles that may run it. The main session adds the officials' commands
# (report, indicators, tasks, ...) here; an action names its command and inherits the check.
COMMANDS: Dict[str, FrozenSet[str]] = {
    "report": STAFF,            # the periodic report (Biểu 07a/BTP/KSTT)
    "indicators": STAFF,        # Decision 766's service indicators
    "tasks": STAFF,             # Resolution 57 task monitoring
    "overdue": STAFF,           # overdue and due-soon dossiers
    "legal_review": STAFF,      # the legal-basis review of the catalogue (/ratsoat)
    "area_broadcast": frozenset({TEAM, LEADER, ADMIN}),  # a community team's notice to its area
    "petitions": STAFF,         # the department's petitions waiting for an answer, and answering one (actions/petition.py)
    "create_invite": frozenset({ADMIN}),
    "audit": frozenset({ADMIN}),
    "redeem_invite": frozenset(ROLES),  # everyone may send a code (the code decides); audited like the others
}


class Refused(Exception):
    """The account may not run the command; say :data:`bot.phrases.REFUSAL` and nothing else."""

    def __init__(self, command: str) -> None:
        super().__init__(command)
        self.command = command


@dataclass(frozen=True)
class Scope:
    """What an allowed command may see: ``department``/``area`` None means every department/area."""

    role: str
    department: Optional[str] = None
    area: Optional[str] = None


def group_chat(channel: str, channel_user_id: str) -> bool:
    """True for an account that is a group of people, not one person: a Telegram group (its chat id is negative).
    It never holds a role other than citizen (every member would hold it) and cannot redeem an invite."""
    return channel == "telegram" and str(channel_user_id).startswith("-")


def role_of(user: Optional["User"]) -> str:
    """The account's role; no account (a web visitor who never wrote, a bad id) and a group chat are citizens."""
    role = getattr(user, "role", None)
    if role not in ROLES or group_chat(getattr(user, "channel", ""), getattr(user, "channel_user_id", "")):
        return CITIZEN
    return role


def allowed(user: Optional["User"], command: str) -> bool:
    """True when ``user`` may run the official ``command`` (an unknown command is allowed to no one)."""
    return role_of(user) in COMMANDS.get(command, frozenset())


def require(user: Optional["User"], command: str) -> Scope:
    """The scope ``user`` runs ``command`` with; raises :class:`Refused` when the role may not run it.

    An official sees their department, a team member their area; leaders and admins see everything."""
    if not allowed(user, command):
        raise Refused(command)
    role = role_of(user)
    if role == OFFICIAL:
        return Scope(role, department=user.department)
    if role == TEAM:
        return Scope(role, area=getattr(user, "area", None))
    return Scope(role)


def parse_role(word: str) -> Optional[str]:
    """``"cán bộ"`` / ``"can bo"`` / ``"official"`` -> ``"official"``; None when ``word`` names no role."""
    return ROLE_WORDS.get(" ".join(normalize(word or "").split()))


def split_role(text: str) -> Tuple[Optional[str], str]:
    """``"cán bộ Tư pháp - Hộ tịch"`` -> ``("official", "Tư pháp - Hộ tịch")``: the role its opening words name
    (the longest that fits) and the rest as typed; ``(None, text)`` when it opens with no role."""
    words = (text or "").split()
    for count in range(min(6, len(words)), 0, -1):
        role = parse_role(" ".join(words[:count]))
        if role:
            return role, " ".join(words[count:]).strip(" :-–")
    return None, (text or "").strip()


MAX_SCOPE_CHARS = 100


def checked_assignment(role: str, department: Optional[str] = None, area: Optional[str] = None) -> Tuple[str, Optional[str], Optional[str]]:
    """``(role, department, area)`` as stored: an official needs a department, a team member an area; the others
    keep neither. Raises ``ValueError`` with a Vietnamese message for whoever typed it."""
    if role not in ROLES:
        raise ValueError(f"Vai trò không hợp lệ: {role!r}. Chọn một trong: {', '.join(ROLES)}.")
    department = " ".join((department or "").split()) or None
    area = " ".join((area or "").split()) or None
    for value in (department, area):
        if value and (len(value) > MAX_SCOPE_CHARS or not value.isprintable()):
            raise ValueError(f"Tên bộ phận/địa bàn quá dài hoặc có ký tự lạ (tối đa {MAX_SCOPE_CHARS} ký tự).")
    if role == OFFICIAL:
        if not department:
            raise ValueError("Cán bộ cần có bộ phận (ví dụ \"Tư pháp - Hộ tịch\", như trong dữ liệu hồ sơ).")
        return role, department, None
    if role == TEAM:
        if not area:
            raise ValueError("Thành viên tổ công nghệ số cộng đồng cần có địa bàn (ví dụ \"Tổ dân phố 3\").")
        return role, None, area
    return role, None, None


def describe(role: str, department: Optional[str] = None, area: Optional[str] = None) -> str:
    """``"cán bộ (Tư pháp - Hộ tịch)"``: a role as a person reads it."""
    name = ROLE_NAMES.get(role, role)
    scope = department if role == OFFICIAL else area if role == TEAM else None
    return f"{name} ({scope})" if scope else name
