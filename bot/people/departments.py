"""Which department answers a citizen about a procedure, and which officials belong to it (``data/departments.yml``).

A procedure's field (``procedures.field``, lĩnh vực) names the department; a field listed nowhere, or no procedure
at all, goes to the file's ``default``. Department names are compared folded (no case, accents, dashes or extra
spaces), and each department lists ``aliases``, because officials' departments are typed by people
(``motcua role … --department``) and dossiers spell them their own way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from bot import yamltext
from nlu.normalize import strip_diacritics

DEFAULT_FILE = Path(__file__).resolve().parent.parent.parent / "data" / "departments.yml"


def fold(text: Optional[str]) -> str:
    """``"Công chức Tư pháp – Hộ tịch"`` -> ``"cong chuc tu phap ho tich"``: for comparing names people typed."""
    plain = strip_diacritics((text or "").lower()).replace("đ", "d")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())


@dataclass(frozen=True)
class Department:
    """One department: its name as shown, the other spellings of it, and the fields it answers for."""

    name: str
    aliases: Tuple[str, ...] = ()
    fields: Tuple[str, ...] = ()

    def named(self, department: Optional[str]) -> bool:
        """True when ``department`` (as an official's account or a dossier writes it) is this department."""
        folded = fold(department)
        return bool(folded) and folded in {fold(n) for n in (self.name, *self.aliases)}


@dataclass(frozen=True)
class Departments:
    """The ward's departments and the default one."""

    departments: Tuple[Department, ...]
    default: str
    verified: bool = False

    def for_field(self, field: Optional[str]) -> str:
        """The department that answers for ``field`` (the default when none lists it)."""
        folded = fold(field)
        for department in self.departments:
            if folded and folded in {fold(f) for f in department.fields}:
                return department.name
        return self.default

    def find(self, name: Optional[str]) -> Optional[Department]:
        """The department ``name`` (or an alias of it) names."""
        return next((d for d in self.departments if d.named(name)), None)

    def same(self, a: Optional[str], b: Optional[str]) -> bool:
        """True when two spellings name the same department."""
        if fold(a) and fold(a) == fold(b):
            return True
        department = self.find(a)
        return department is not None and department.named(b)


def load(path: Path = DEFAULT_FILE) -> Departments:
    """Read and check ``path``; errors name the file and the entry."""
    with Path(path).open(encoding="utf-8") as handle:
        data = yamltext.load(handle) or {}
    default = data.get("default")
    if not isinstance(default, str) or not default.strip():
        raise ValueError(f"{path}: field 'default' (the department for everything else) is required")
    found: List[Department] = []
    seen: Dict[str, int] = {}
    for i, entry in enumerate(data.get("departments") or []):
        where = f"{path}: departments[{i}]"
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{where}: field 'name' is required")
        fields = entry.get("fields") or []
        aliases = entry.get("aliases") or []
        if not all(isinstance(v, str) for v in [*fields, *aliases]):
            raise ValueError(f"{where}: 'fields' and 'aliases' must be lists of names")
        for field in fields:
            if fold(field) in seen:
                raise ValueError(f"{where}: field {field!r} is already listed under departments[{seen[fold(field)]}]")
            seen[fold(field)] = i
        found.append(Department(name.strip(), tuple(aliases), tuple(fields)))
    return Departments(tuple(found), default.strip(), bool(data.get("verified")))


@lru_cache(maxsize=4)
def departments(path: str = str(DEFAULT_FILE)) -> Departments:
    """The departments of ``path``, read once per process."""
    return load(Path(path))
