"""The register of the ward's legal documents (``data/legal/register.yml``), validated on load.

Each document: number, kind, title, issuer, issued, in force from, amended by (which, from when), replaced by
(which, from when), expires, where its text is, and ``checked``, the article of its own text that gives its entry
into force. A document the catalogue cites but the corpus lacks has an entry too, ``verified: false`` with a note and
no invented date. :func:`Register.status_on` tells what a document is on a day; a validation error names the file
and the field, like the catalogue's.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

import yaml

from bot import yamltext
from bot.catalogue.procedures import CatalogueError, read_date
from nlu.normalize import normalize

IN_FORCE, AMENDED, REPLACED, NOT_YET, EXPIRED, UNKNOWN = "in_force", "amended", "replaced", "not_yet", "expired", "unknown"
KINDS = {"Luật", "Bộ luật", "Nghị định", "Nghị quyết", "Nghị quyết liên tịch", "Thông tư", "Thông tư liên tịch", "Quyết định",
         "Pháp lệnh", "Chỉ thị"}
# As printed: 60/2014/QH13, 66.7/2025/NQ-CP, 08.a/2010/TT-BTP, 24/2021/QĐ-TTg, 2338/QĐ-BTP (no year), 01/2014/NQLT-CP-UBTƯMTTQVN
NUMBER = re.compile(r"^\d+(?:\.\d+|\.?[a-z])?/(?:\d{4}/)?[A-ZĐƯ][A-ZĐƯ0-9-]*(?:TTg)?$")


class RegisterError(CatalogueError):
    """A register file is missing a field or holds a value of the wrong shape (names the file and the field)."""


@dataclass(frozen=True)
class Change:
    """An amendment or a replacement: by which document, from when (None when not confirmed)."""

    document: str
    start: Optional[dt.date]
    checked: Optional[str] = None


@dataclass(frozen=True)
class RepealedPart:
    """Points or a clause of an article that a later document repealed while the rest stays in force (``repealed_parts``
    in register.yml): never quoted from ``start`` on."""

    article: Union[int, str]
    clause: Optional[int]
    points: Tuple[str, ...]
    by: str
    start: dt.date
    checked: str

    def covers(self, article: Union[int, str], clause: Optional[int], point: Optional[str], day: dt.date) -> bool:
        """Whether the passage (``article``, ``clause``, ``point``) is repealed on ``day``."""
        if day < self.start or str(article) != str(self.article):
            return False
        if self.clause is None:
            return True
        return clause == self.clause and (not self.points or point in self.points)


@dataclass(frozen=True)
class Document:
    """One register entry."""

    number: str
    kind: str
    title: str
    issuer: str
    issued: Optional[dt.date]
    in_force: Optional[dt.date]
    expires: Optional[dt.date]
    amended_by: Tuple[Change, ...]
    replaced_by: Optional[Change]
    checked: Optional[str]
    text: Optional[str]
    quote: bool
    slug: Optional[str]
    fields: Tuple[str, ...]
    verified: bool
    notes: Optional[str] = None
    caveat: Optional[str] = None
    display: Optional[str] = None
    ocr: bool = False  # the text is an OCR copy: only its proofread articles are stored, so a missing one may exist
    about: Tuple[str, ...] = ()  # a law about one group of people: quoted only for questions naming it (any of the words)
    repealed_parts: Tuple[RepealedPart, ...] = ()

    def repealed(self, article: Union[int, str], clause: Optional[int], point: Optional[str], day: dt.date) -> Optional[RepealedPart]:
        """The repeal that covers this passage on ``day``, if any."""
        return next((r for r in self.repealed_parts if r.covers(article, clause, point, day)), None)

    @property
    def name(self) -> str:
        """How an answer names it: "Luật Hộ tịch 60/2014/QH13", "Nghị định 118/2025/NĐ-CP"."""
        return self.display or f"{self.kind} {self.number}"


@dataclass(frozen=True)
class Status:
    """A document's status on a day, with the document that changed it and from when."""

    status: str
    by: Optional[str] = None
    start: Optional[dt.date] = None


def number_key(number: str) -> str:
    """A document number compared without case, marks or spaces: "118/2025/nđ-cp" == "118/2025/NĐ-CP"."""
    return normalize(number).replace(" ", "").replace("–", "-")


def _text(item: Dict[str, Any], key: str, path: Path, prefix: str, required: bool = True) -> Optional[str]:
    value = item.get(key)
    if value is None:
        if required:
            raise RegisterError(path, prefix + key, "is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise RegisterError(path, prefix + key, f"must be a non-empty text, got {value!r}")
    return value.strip()


def _change(value: Any, path: Path, name: str) -> Change:
    if not isinstance(value, dict):
        raise RegisterError(path, name, "must be a mapping {document, from}")
    document = _text(value, "document", path, name + ".")
    return Change(document, read_date(value.get("from"), path, name + ".from", RegisterError), value.get("checked"))


def parse_document(item: Any, path: Path, index: int) -> Document:
    """Validate one entry of ``documents``."""
    prefix = f"documents[{index}]."
    if not isinstance(item, dict):
        raise RegisterError(path, prefix[:-1], "must be a mapping")
    number = _text(item, "number", path, prefix)
    if not NUMBER.match(number):
        raise RegisterError(path, prefix + "number", f"must look like 60/2014/QH13, 118/2025/NĐ-CP or 24/2021/QĐ-TTg, got {number!r}")
    kind = _text(item, "kind", path, prefix)
    if kind not in KINDS:
        raise RegisterError(path, prefix + "kind", f"must be one of {sorted(KINDS)}, got {kind!r}")
    verified = item.get("verified")
    if not isinstance(verified, bool):
        raise RegisterError(path, prefix + "verified", "is required (true or false)")
    notes = _text(item, "notes", path, prefix, required=False)
    if not verified and not notes:
        raise RegisterError(path, prefix + "notes", "must say what is unconfirmed when verified is false")
    in_force = read_date(item.get("in_force"), path, prefix + "in_force", RegisterError)
    checked = _text(item, "checked", path, prefix, required=False)
    if in_force and not checked:
        raise RegisterError(path, prefix + "checked", "must name the article of the document's own text that gives in_force")
    amended = item.get("amended_by") or []
    if not isinstance(amended, list):
        raise RegisterError(path, prefix + "amended_by", "must be a list of {document, from}")
    replaced = item.get("replaced_by")
    quote = bool(item.get("quote", False))
    slug = _text(item, "slug", path, prefix, required=quote)
    text = _text(item, "text", path, prefix, required=quote)
    fields = item.get("fields") or []
    if not isinstance(fields, list) or not all(isinstance(f, str) and f.strip() for f in fields):
        raise RegisterError(path, prefix + "fields", "must be a list of field names")
    about = item.get("about") or []
    if not isinstance(about, list) or not all(isinstance(w, str) and w.strip() for w in about):
        raise RegisterError(path, prefix + "about", "must be a list of words naming the group the document is about")
    document = Document(
        number=number, kind=kind, title=_text(item, "title", path, prefix), issuer=_text(item, "issuer", path, prefix),
        issued=read_date(item.get("issued"), path, prefix + "issued", RegisterError), in_force=in_force,
        expires=read_date(item.get("expires"), path, prefix + "expires", RegisterError),
        amended_by=tuple(_change(c, path, f"{prefix}amended_by[{i}]") for i, c in enumerate(amended)),
        replaced_by=_change(replaced, path, prefix + "replaced_by") if replaced is not None else None,
        checked=checked, text=text, quote=quote, slug=slug, fields=tuple(fields), verified=verified, notes=notes,
        caveat=_text(item, "caveat", path, prefix, required=False), display=_text(item, "name", path, prefix, required=False),
        ocr=bool(item.get("ocr", False)), about=tuple(w.strip() for w in about),
        repealed_parts=tuple(_repealed(r, path, f"{prefix}repealed_parts[{i}]") for i, r in enumerate(item.get("repealed_parts") or [])))
    if document.in_force and document.expires and document.expires < document.in_force:
        raise RegisterError(path, prefix + "expires", "is before in_force")
    if document.replaced_by and document.replaced_by.start and document.in_force and document.replaced_by.start < document.in_force:
        raise RegisterError(path, prefix + "replaced_by.from", "is before in_force")
    return document


def _repealed(item: Any, path: Path, prefix: str) -> RepealedPart:
    """One ``repealed_parts`` item: ``{article, clause, points, by, from, checked}`` (the repealing article read)."""
    if not isinstance(item, dict) or item.get("article") in (None, "") or not item.get("by") or not item.get("checked"):
        raise RegisterError(path, prefix, "must be {article, clause, points, by, from, checked}")
    start = read_date(item.get("from"), path, prefix + ".from", RegisterError)
    if start is None:
        raise RegisterError(path, prefix + ".from", "must be the day the repeal takes effect")
    points = item.get("points") or []
    clause = item.get("clause")
    if not isinstance(points, list) or (clause is not None and not isinstance(clause, int)):
        raise RegisterError(path, prefix, "clause must be a number and points a list of letters")
    return RepealedPart(item["article"], clause, tuple(str(p) for p in points), str(item["by"]), start, str(item["checked"]))


@dataclass
class Register:
    """Every document of the register, by number."""

    documents: Dict[str, Document]
    path: Path = field(default=Path("data/legal/register.yml"))

    def __post_init__(self) -> None:
        self._keys = {number_key(n): d for n, d in self.documents.items()}

    def get(self, number: str) -> Optional[Document]:
        """The entry of ``number`` (compared without case or marks), None when the register lacks it."""
        return self._keys.get(number_key(number))

    def __contains__(self, number: str) -> bool:
        return self.get(number) is not None

    def __iter__(self) -> Iterable[Document]:
        return iter(self.documents.values())

    def status_on(self, number: str, day: dt.date) -> Status:
        """What ``number`` is on ``day``: in_force | amended | replaced | not_yet | expired | unknown, with by/from.

        unknown: not in the register, or its entry into force is not confirmed (and nothing else is known on that day)."""
        document = self.get(number)
        if document is None:
            return Status(UNKNOWN)
        replaced = document.replaced_by
        if replaced and replaced.start and day >= replaced.start:
            return Status(REPLACED, replaced.document, replaced.start)
        if document.expires and day > document.expires:
            return Status(EXPIRED, None, document.expires + dt.timedelta(days=1))
        if document.in_force is None:
            return Status(UNKNOWN)
        if day < document.in_force:
            return Status(NOT_YET, None, document.in_force)
        amendments = [c for c in document.amended_by if c.start and c.start <= day]
        if amendments:
            latest = max(amendments, key=lambda c: c.start)
            return Status(AMENDED, latest.document, latest.start)
        return Status(IN_FORCE, None, document.in_force)

    def quotable_on(self, number: str, day: dt.date) -> bool:
        """True when the document's text may be quoted as the law of ``day``: in force (amended or not) and confirmed."""
        return self.status_on(number, day).status in (IN_FORCE, AMENDED)

    def next_change(self, number: str, day: dt.date) -> Optional[Tuple[str, Optional[str], dt.date]]:
        """The first change after ``day`` (kind replaced | amended | expired | in_force, by, from), None when none is known."""
        document = self.get(number)
        if document is None:
            return None
        changes: List[Tuple[dt.date, str, Optional[str]]] = []
        if document.replaced_by and document.replaced_by.start and document.replaced_by.start > day:
            changes.append((document.replaced_by.start, REPLACED, document.replaced_by.document))
        if document.expires and document.expires >= day:
            changes.append((document.expires + dt.timedelta(days=1), EXPIRED, None))
        if document.in_force and document.in_force > day:
            changes.append((document.in_force, IN_FORCE, None))
        changes += [(c.start, AMENDED, c.document) for c in document.amended_by if c.start and c.start > day]
        if not changes:
            return None
        start, kind, by = min(changes, key=lambda c: c[0])
        return kind, by, start

    def successor(self, number: str) -> Optional[Document]:
        """The document that replaces ``number`` (None when none is known or registered)."""
        document = self.get(number)
        if document and document.replaced_by:
            return self.get(document.replaced_by.document)
        return None


def load_register(path: Path) -> Register:
    """Load and validate ``register.yml``; numbers must be unique."""
    path = Path(path)
    if not path.exists():
        raise RegisterError(path, "(file)", "is missing")
    try:
        data = yamltext.load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise RegisterError(path, "(file)", f"is not valid YAML: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("documents"), list) or not data["documents"]:
        raise RegisterError(path, "documents", "must be a non-empty list")
    documents: Dict[str, Document] = {}
    seen: Dict[str, int] = {}
    for index, item in enumerate(data["documents"]):
        document = parse_document(item, path, index)
        key = number_key(document.number)
        if key in seen:
            raise RegisterError(path, f"documents[{index}].number", f"{document.number} is already documents[{seen[key]}]")
        seen[key] = index
        documents[document.number] = document
    register = Register(documents, path)
    for index, document in enumerate(documents.values()):
        if document.replaced_by and document.replaced_by.document == document.number:
            raise RegisterError(path, f"documents[{index}].replaced_by", "names the document itself")
    return register


def check_catalogue(register: Register, procedures: Dict[str, Any], catalogue_dir: Path) -> None:
    """Every catalogue ``legal_basis`` document must be a register entry; the error names the file and the field."""
    for procedure in procedures.values():
        for index, entry in enumerate(procedure.legal_basis):
            number = str(entry.get("document") or "").strip()
            if number not in register:
                raise CatalogueError(Path(catalogue_dir) / f"{procedure.id}.yml", f"legal_basis[{index}].document",
                                     f"{number!r} is not in the legal register ({register.path}): one document number "
                                     "a line, written as in the register (add the document there first)")
