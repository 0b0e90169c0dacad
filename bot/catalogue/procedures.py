"""The procedure catalogue: human-edited YAML files in ``data/procedures/``, validated on load.

A validation error names the file and the field, so an official who edits a file knows what
to fix. Fees carry validity dates and conditions; :func:`fees_on` picks the ones in force on a
given day.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Type

import yaml

from bot import yamltext

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CHANNELS = {"truc_tiep", "buu_chinh", "truc_tuyen"}
SHORT_NAME = 60
VARIANTS_FILE = Path("variants") / "cues.yml"  # the variant cue groups, inside the catalogue's directory
SLOT = re.compile(r"\{([a-z_]+)\}")
EID_PROCEDURE = "dinh-danh-dien-tu-muc-2"  # the level-2 e-ID entry: "ask_eid" answers and the e-ID tips use it
# the entries whose questions the e-ID walk-through answers (the NLU keeps ``ask_eid`` on them): the level-2 e-ID and
# putting papers into VNeID / the card ("tích hợp bằng lái vào vneid"; held-out sets v1-v3 label it ``ask_eid``)
EID_OWN = frozenset({EID_PROCEDURE, "tich-hop-cap-nhat-dieu-chinh-thong-tin-tren-the-can-cuoc"})


class CatalogueError(ValueError):
    """A data file is missing a field or holds a value of the wrong shape: names the file, the line (found in the
    file when it is a YAML file that has the field, or its parent) and the field, as ``path:line: field 'x': ...``."""

    def __init__(self, path: Path, field_name: str, problem: str, line: Optional[int] = None) -> None:
        self.path = path
        self.field = field_name
        self.problem = problem
        self.line = line if line is not None else _line_in(path, field_name)
        where = f"{path}:{self.line}" if self.line else f"{path}"
        super().__init__(f"{where}: field '{field_name}': {problem}")


def _line_in(path: Path, field_name: str) -> Optional[int]:
    """The line of ``field_name`` in the YAML file ``path``, when there is such a file (only read on an error)."""
    if not field_name or field_name.startswith("("):
        return None
    try:
        path = Path(path)
        if path.suffix not in (".yml", ".yaml") or not path.is_file():
            return None
        return yamltext.line_of(path.read_text(encoding="utf-8"), field_name)
    except (OSError, UnicodeDecodeError, ValueError):
        return None


@dataclass(frozen=True)
class Fee:
    """One fee rule: an amount (or None when it depends), when and to whom it applies.

    ``groups`` lists who the rule is for when that is a list of kinds of people (e.g. the groups a
    circular exempts from the fee): the details show every group, the first answer says that some
    groups are exempt."""

    amount: Optional[int]
    text: str
    valid_from: Optional[dt.date] = None
    valid_to: Optional[dt.date] = None
    condition: Optional[str] = None
    source: Optional[str] = None
    groups: Tuple[str, ...] = ()

    @property
    def exemption(self) -> bool:
        """True for a rule that frees listed groups of people from the fee."""
        return self.amount == 0 and bool(self.groups)

    def in_force(self, day: dt.date) -> bool:
        """True when the rule applies on ``day``."""
        if self.valid_from and day < self.valid_from:
            return False
        return not (self.valid_to and day > self.valid_to)


@dataclass(frozen=True)
class Elsewhere:
    """What citizens often mean instead of this procedure, and where that is done ("công chứng" at a notary office
    instead of the ward's chứng thực): when a message holds one of ``words``, the answer says ``says`` first."""

    words: Tuple[str, ...]
    says: str
    source: str


@dataclass(frozen=True)
class Procedure:
    """One administrative procedure as the ward's catalogue describes it."""

    id: str
    code: Optional[str]
    code_verified: bool
    name: str
    field: str
    level: str
    family: str
    aliases: List[str]
    life_events: List[str]
    cues: List[str]
    summary: str
    working_days: Optional[float]
    processing_text: str
    fees: List[Fee]
    documents: List[Dict[str, Any]]
    forms: List[Dict[str, Any]]
    submission: Dict[str, Any]
    result: str
    legal_basis: List[Dict[str, Any]]
    sources: List[Dict[str, Any]]
    verified: bool
    notes: Optional[str] = None
    agency: Optional[str] = None
    variants: Tuple[str, ...] = ()  # the variant groups (variants/cues.yml) whose cues tell this entry apart
    variant_of: Tuple[str, ...] = ()  # other families where it is a variant ("ghi vào sổ" of a birth done abroad)
    variant_cues: Tuple[Tuple[str, str], ...] = ()  # (cue, group) of its variant groups, set by load_catalogue
    elsewhere: Tuple[Elsewhere, ...] = ()  # what people mean instead of it, done elsewhere (said before the answer)
    raw: Dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def short_name(self) -> str:
        """The name for headers and buttons: ``short_name`` from the file, else the official name
        cut before its qualifications, at most 60 characters on a word boundary."""
        if self.raw.get("short_name"):
            return str(self.raw["short_name"])
        name = re.split(r" \(|; | do cơ quan", self.name)[0]
        if len(name) <= SHORT_NAME:
            return name
        return name[: name.rfind(" ", 0, SHORT_NAME)].rstrip(",;") + "…"

    def phrases(self) -> List[str]:
        """Everything a citizen may call this procedure by."""
        return [self.name, *self.aliases, *self.life_events]


def index_records(procedures: Dict[str, "Procedure"]) -> List[Dict[str, Any]]:
    """What the procedure resolver (nlu.procedure_index) needs of each catalogue entry."""
    return [
        {"id": p.id, "code": p.code, "name": p.name, "phrases": p.phrases(), "family": p.family,
         "cues": [*p.cues, *(cue for cue, _ in p.variant_cues)],
         "cue_groups": [""] * len(p.cues) + [group for _, group in p.variant_cues],
         "events": list(p.life_events), "variant_of": list(p.variant_of)}
        for p in procedures.values()
    ]


def fees_on(procedure: Procedure, day: dt.date) -> List[Fee]:
    """The fee rules of ``procedure`` in force on ``day``, unconditional ones first."""
    current = [fee for fee in procedure.fees if fee.in_force(day)]
    return sorted(current, key=lambda fee: fee.condition is not None)


def _require(data: Dict[str, Any], key: str, kind: type, path: Path, prefix: str = "") -> Any:
    if key not in data or data[key] is None:
        raise CatalogueError(path, prefix + key, "is required")
    value = data[key]
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if not isinstance(value, kind):
        raise CatalogueError(path, prefix + key, f"must be {kind.__name__}, got {value!r}")
    if kind is str and not value.strip():
        raise CatalogueError(path, prefix + key, "must not be empty")
    return value


def _optional(data: Dict[str, Any], key: str, kind: type, path: Path, prefix: str = "") -> Any:
    if data.get(key) is None:
        return None
    return _require(data, key, kind, path, prefix)


def read_date(value: Any, path: Path, name: str, error: Type[CatalogueError] = CatalogueError) -> Optional[dt.date]:
    """A data file's date (YYYY-MM-DD, or one YAML already read as a date), None when absent; ``error`` names the
    file and the field otherwise (the catalogue's, or a subclass such as the legal register's)."""
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise error(path, name, f"must be a date YYYY-MM-DD, got {value!r}") from None


def _list_of_dicts(data: Dict[str, Any], key: str, path: Path, needs: List[str]) -> List[Dict]:
    items = data.get(key) or []
    if not isinstance(items, list):
        raise CatalogueError(path, key, "must be a list")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise CatalogueError(path, f"{key}[{index}]", "must be a mapping")
        for need in needs:
            _require(item, need, str, path, f"{key}[{index}].")
    return items


def _fees(data: Dict[str, Any], path: Path) -> List[Fee]:
    fees = []
    for index, item in enumerate(_list_of_dicts(data, "fees", path, ["text"])):
        name = f"fees[{index}]"
        amount = item.get("amount")
        if amount is not None and (not isinstance(amount, int) or amount < 0):
            raise CatalogueError(path, name + ".amount", f"must be a whole VND amount ≥ 0 or null, got {amount!r}")
        fee = Fee(
            amount=amount,
            text=item["text"].strip(),
            valid_from=read_date(item.get("valid_from"), path, name + ".valid_from"),
            valid_to=read_date(item.get("valid_to"), path, name + ".valid_to"),
            condition=_optional(item, "condition", str, path, name + "."),
            source=_optional(item, "source", str, path, name + "."),
            groups=tuple(_strings(item, "groups", path, name + ".")),
        )
        if fee.valid_from and fee.valid_to and fee.valid_to < fee.valid_from:
            raise CatalogueError(path, name + ".valid_to", "is before valid_from")
        fees.append(fee)
    return fees


def _strings(data: Dict[str, Any], key: str, path: Path, prefix: str = "") -> List[str]:
    values = data.get(key) or []
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
        raise CatalogueError(path, prefix + key, "must be a list of non-empty strings")
    return [v.strip() for v in values]


def _words(data: Dict[str, Any], key: str, path: Path) -> List[str]:
    """A list of citizens' words (aliases, life events, cues): one phrase per item. Items indented under the one
    before them fold into it ("làm chủ hộ riêng - tách hộ - tách khẩu"), so the phrases after it are silently lost."""
    values = _strings(data, key, path)
    folded = next((v for v in values if " - " in v), None)
    if folded is not None:
        raise CatalogueError(path, key, f"an item holds several phrases joined by ' - ' (a list indented under it?): {folded!r}")
    return values


def _elsewhere(data: Dict[str, Any], path: Path) -> Tuple[Elsewhere, ...]:
    found = []
    for index, item in enumerate(_list_of_dicts(data, "elsewhere", path, ["says", "source"])):
        words = _strings(item, "words", path, f"elsewhere[{index}].")
        if not words:
            raise CatalogueError(path, f"elsewhere[{index}].words", "must name the words that mean it")
        found.append(Elsewhere(tuple(words), item["says"].strip(), item["source"].strip()))
    return tuple(found)


def parse_procedure(data: Any, path: Path) -> Procedure:
    """Validate one catalogue file's content and return it as a :class:`Procedure`."""
    if not isinstance(data, dict):
        raise CatalogueError(path, "(file)", "must be a YAML mapping")
    pid = _require(data, "id", str, path)
    if not SLUG.match(pid):
        raise CatalogueError(path, "id", f"must be a lowercase slug like 'dang-ky-khai-sinh', got {pid!r}")
    if pid != path.stem:
        raise CatalogueError(path, "id", f"must equal the file name '{path.stem}'")
    processing = _require(data, "processing_time", dict, path)
    days = processing.get("working_days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, (int, float)) or days < 0):
        raise CatalogueError(path, "processing_time.working_days", f"must be a number ≥ 0 or null, got {days!r}")
    submission = _require(data, "submission", dict, path)
    _require(submission, "where", str, path, "submission.")
    channels = submission.get("channels") or []
    unknown = set(channels) - CHANNELS
    if not isinstance(channels, list) or unknown:
        raise CatalogueError(path, "submission.channels", f"must be a list of {sorted(CHANNELS)}, got {channels!r}")
    verified = _require(data, "verified", bool, path)
    notes = _optional(data, "notes", str, path)
    if not verified and not notes:
        raise CatalogueError(path, "notes", "must say what is unconfirmed when verified is false")
    sources = _list_of_dicts(data, "sources", path, ["title"])
    if not sources:
        raise CatalogueError(path, "sources", "must name at least one source")
    return Procedure(
        id=pid,
        code=str(data["code"]) if data.get("code") is not None else None,
        code_verified=bool(data.get("code_verified", False)),
        name=_require(data, "name", str, path).strip(),
        field=_require(data, "field", str, path),
        level=_require(data, "level", str, path),
        agency=_optional(data, "agency", str, path),
        family=_require(data, "family", str, path),
        aliases=_words(data, "aliases", path),
        life_events=_words(data, "life_events", path),
        cues=_words(data, "cues", path),
        variants=tuple(_strings(data, "variants", path)),
        variant_of=tuple(_strings(data, "variant_of", path)),
        summary=(_optional(data, "summary", str, path) or "").strip(),
        working_days=days,
        processing_text=_require(processing, "text", str, path, "processing_time.").strip(),
        fees=_fees(data, path),
        documents=_list_of_dicts(data, "documents", path, ["name"]),
        forms=_list_of_dicts(data, "forms", path, ["name"]),
        submission=submission,
        result=(_optional(data, "result", str, path) or "").strip(),
        legal_basis=_list_of_dicts(data, "legal_basis", path, ["document"]),
        sources=sources,
        verified=verified,
        notes=notes,
        elsewhere=_elsewhere(data, path),
        raw=data,
    )


def load_variants(directory: Path) -> Dict[str, Tuple[str, ...]]:
    """The variant cue groups of the catalogue in ``directory`` (``variants/cues.yml``; none when absent), each
    group's cues with their slots filled in: ``{place}`` in "người {place}" stands for every value of the slot
    ``place`` (the file's ``slots``), so a group is written once and covers every country."""
    path = Path(directory) / VARIANTS_FILE
    if not path.exists():
        return {}
    try:
        data = yamltext.load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise CatalogueError(path, "(file)", f"is not valid YAML: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("groups"), dict) or not data["groups"]:
        raise CatalogueError(path, "groups", "must map each variant group's name to its cues")
    slots_data = data.get("slots") or {}
    if not isinstance(slots_data, dict):
        raise CatalogueError(path, "slots", "must map each slot's name to its values")
    slots = {name: _strings(slots_data, name, path, "slots.") for name in slots_data}
    groups: Dict[str, Tuple[str, ...]] = {}
    for name, body in data["groups"].items():
        if not isinstance(name, str) or not SLUG.match(name) or not isinstance(body, dict):
            raise CatalogueError(path, f"groups.{name}", "must be a lowercase slug with a 'cues' list")
        cues: List[str] = []
        for cue in _strings(body, "cues", path, f"groups.{name}."):
            names = SLOT.findall(cue)
            unknown = sorted(set(names) - set(slots))
            if unknown:
                raise CatalogueError(path, f"groups.{name}.cues", f"names an unknown slot {{{unknown[0]}}} in {cue!r}")
            for values in itertools.product(*(slots[slot] for slot in names)):
                filled = iter(values)
                cues.append(SLOT.sub(lambda _: next(filled), cue))
        groups[name] = tuple(dict.fromkeys(cues))
    return groups


def load_catalogue(directory: Path) -> Dict[str, Procedure]:
    """Load and validate every ``*.yml`` file of ``directory``; ids must be unique. An entry's ``variants`` name
    groups of ``variants/cues.yml`` (:func:`load_variants`), whose cues it gets."""
    directory = Path(directory)
    procedures: Dict[str, Procedure] = {}
    files = sorted(directory.glob("*.yml"))
    groups = load_variants(directory)
    if not files:
        raise CatalogueError(directory, "(directory)", "holds no procedure files (*.yml)")
    for path in files:
        try:
            data = yamltext.load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise CatalogueError(path, "(file)", f"is not valid YAML: {error}") from None
        procedure = parse_procedure(data, path)
        if procedure.variants:
            unknown = [name for name in procedure.variants if name not in groups]
            if unknown:
                raise CatalogueError(path, "variants", f"names an unknown variant group {unknown[0]!r} "
                                     f"(known: {', '.join(sorted(groups)) or 'none'})")
            procedure = replace(procedure, variant_cues=tuple(
                (cue, name) for name in procedure.variants for cue in groups[name]))
        procedures[procedure.id] = procedure
    return procedures
