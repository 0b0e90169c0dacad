"""The counters (quầy) of the ward's one-stop office: which counter receives a procedure, where it is, whether
it is open at a given moment, and the short answers built from that (the chat's ``ask_counter``, the kiosk's slip).

``data/counters.yml`` (fields described in the file itself) is validated by :func:`load_counters` when
``motcua load`` runs: an error names the file and the field, and every procedure id and field must exist in the
catalogue. A counter receives a procedure when it lists the procedure's id, else when it lists its field, else the
``default`` counter does (guidance and priority). Opening hours are the counter's own ``sessions`` or the ward's
office hours, on the working days of the ward's calendar (:mod:`bot.workdays`): the one place that says which days
are working days.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import yaml

from bot import yamltext
from bot.catalogue.answers import UNVERIFIED, Item, document_items, fit, plain
from bot.catalogue.procedures import CatalogueError, Procedure
from bot.timeutil import VN_TZ, local
from bot.workdays import OfficeHours, WorkCalendar

Session = Tuple[dt.time, dt.time]
HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
UNVERIFIED_LAYOUT = "⚠️ Sơ đồ quầy chờ phường xác nhận."  # short: every counter answer carries one of these
UNVERIFIED_BOTH = "⚠️ Quầy, giấy tờ chờ cán bộ xác nhận."
MAX_DOCUMENT = 100  # a document's line on the kiosk's slip says at most this much


@dataclass(frozen=True)
class Counter:
    """One counter: its number and name, where it is, what it receives, and its own sessions (None: office hours)."""

    number: int
    name: str
    floor: int
    place: Optional[str] = None
    fields: Tuple[str, ...] = ()
    procedures: Tuple[str, ...] = ()
    keywords: Tuple[str, ...] = ()
    sessions: Optional[Tuple[Session, ...]] = None
    default: bool = False

    @property
    def title(self) -> str:
        """``Quầy 3 – Đất đai – Xây dựng – Đô thị``."""
        return f"Quầy {self.number} – {self.name}"

    @property
    def where(self) -> str:
        """``Tầng 1, dãy giữa``."""
        return f"Tầng {self.floor}" + (f", {self.place}" if self.place else "")

    def phrases(self) -> Tuple[str, ...]:
        """What a citizen may call this counter's matters: its fields' names and its keywords."""
        return self.fields + self.keywords


@dataclass(frozen=True)
class Tile:
    """One big button of the kiosk: a procedure and the short label written on it."""

    procedure: str
    label: str


@dataclass(frozen=True)
class Layout:
    """The ward's counters as ``data/counters.yml`` describes them."""

    centre: str
    place: str
    counters: Tuple[Counter, ...]
    tiles: Tuple[Tile, ...] = ()
    verified: bool = False
    notes: str = ""

    @property
    def default(self) -> Counter:
        """The counter that receives what no other counter names."""
        return next(c for c in self.counters if c.default)

    def for_procedure(self, procedure: Procedure) -> Counter:
        """The counter that receives ``procedure``: by its id, else by its field, else the default one."""
        for counter in self.counters:
            if procedure.id in counter.procedures:
                return counter
        return self.for_field(procedure.field) or self.default

    def for_field(self, field: str) -> Optional[Counter]:
        """The counter that lists ``field``, or None."""
        return next((c for c in self.counters if field in c.fields), None)

    def number(self, number: int) -> Optional[Counter]:
        """The counter with this number, or None."""
        return next((c for c in self.counters if c.number == number), None)


# -- validation -----------------------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Lower case without marks: two keywords that differ only so are the same keyword."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().split())


def _text(data: Mapping[str, Any], key: str, path: Path, where: str, required: bool = True) -> Optional[str]:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(path, where + key, "is required (a non-empty text)" if required else "must be a non-empty text")
    return " ".join(value.split())


def _texts(data: Mapping[str, Any], key: str, path: Path, where: str) -> Tuple[str, ...]:
    values = data.get(key)
    if values is None:
        return ()
    if not isinstance(values, list):
        raise CatalogueError(path, where + key, "must be a list")
    for index, value in enumerate(values):
        if not isinstance(value, str) or not value.strip():
            raise CatalogueError(path, f"{where}{key}[{index}]", f"must be a non-empty text, got {value!r}")
    return tuple(" ".join(v.split()) for v in values)


def _sessions(data: Mapping[str, Any], path: Path, where: str) -> Optional[Tuple[Session, ...]]:
    raw = data.get("sessions")
    if raw is None:
        return None
    name = where + "sessions"
    if not isinstance(raw, list) or not raw:
        raise CatalogueError(path, name, 'must be a list of ["HH:MM", "HH:MM"] pairs')
    sessions = []
    for index, pair in enumerate(raw):
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(t, str) and HHMM.match(t) for t in pair)):
            raise CatalogueError(path, f"{name}[{index}]", f'must be a pair of quoted times like ["07:30", "11:30"], got {pair!r}')
        sessions.append(tuple(dt.time(int(t[:2]), int(t[3:])) for t in pair))
    try:
        OfficeHours(sessions=tuple(sessions))  # the calendar's own check: ordered, not overlapping
    except ValueError:
        raise CatalogueError(path, name, "must be in order of the day and must not overlap") from None
    return tuple(sessions)  # type: ignore[return-value]


def parse_counters(data: Any, path: Path, procedures: Optional[Mapping[str, Procedure]] = None) -> Layout:
    """Validate the content of ``data/counters.yml``; with ``procedures`` (the catalogue), every procedure id, field
    and kiosk tile must name something the catalogue holds. Errors name ``path`` and the field."""
    if not isinstance(data, dict):
        raise CatalogueError(path, "(file)", "must be a YAML mapping")
    centre = data.get("centre")
    if not isinstance(centre, dict):
        raise CatalogueError(path, "centre", "is required (name, place)")
    verified = data.get("verified")
    if not isinstance(verified, bool):
        raise CatalogueError(path, "verified", "must be true or false")
    notes = _text(data, "notes", path, "", required=not verified) or ""
    fields_known = {p.field for p in procedures.values()} if procedures is not None else None
    raw_counters = data.get("counters")
    if not isinstance(raw_counters, list) or not raw_counters:
        raise CatalogueError(path, "counters", "must be a non-empty list")
    counters: List[Counter] = []
    owner: Dict[Tuple[str, str], int] = {}  # (kind, folded name) -> the counter that holds it
    for index, item in enumerate(raw_counters):
        where = f"counters[{index}]."
        if not isinstance(item, dict):
            raise CatalogueError(path, f"counters[{index}]", "must be a mapping")
        number, floor = item.get("number"), item.get("floor")
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise CatalogueError(path, where + "number", f"must be a whole number ≥ 1, got {number!r}")
        if any(c.number == number for c in counters):
            raise CatalogueError(path, where + "number", f"{number} is the number of another counter")
        if isinstance(floor, bool) or not isinstance(floor, int) or not -5 <= floor <= 50:
            raise CatalogueError(path, where + "floor", f"must be a floor number, got {floor!r}")
        default = item.get("default", False)
        if not isinstance(default, bool):
            raise CatalogueError(path, where + "default", "must be true or false")
        counter = Counter(number, _text(item, "name", path, where), floor, _text(item, "place", path, where, required=False),
                          _texts(item, "fields", path, where), _texts(item, "procedures", path, where),
                          _texts(item, "keywords", path, where), _sessions(item, path, where), default)
        for kind, values in (("fields", counter.fields), ("procedures", counter.procedures), ("keywords", counter.keywords)):
            for i, value in enumerate(values):
                name = f"{where}{kind}[{i}]"
                if kind == "fields" and fields_known is not None and value not in fields_known:
                    raise CatalogueError(path, name, f"'{value}' is not a field of the catalogue (data/procedures: field)")
                if kind == "procedures" and procedures is not None and value not in procedures:
                    raise CatalogueError(path, name, f"no procedure '{value}' in the catalogue (data/procedures/{value}.yml)")
                key = ("phrase" if kind == "keywords" else kind, _fold(value))
                if key in owner and owner[key] != number:
                    raise CatalogueError(path, name, f"'{value}' is already given to counter {owner[key]}")
                owner[key] = number
        counters.append(counter)
    # a field's name is a keyword of its counter too: no other counter may use it as a keyword
    for counter in counters:
        for field in counter.fields:
            holder = owner.get(("phrase", _fold(field)))
            if holder is not None and holder != counter.number:
                raise CatalogueError(path, "counters", f"keyword '{field}' of counter {holder} is a field of counter {counter.number}")
    if sum(c.default for c in counters) != 1:
        raise CatalogueError(path, "counters", "exactly one counter must have default: true (it receives the rest)")
    return Layout(_text(centre, "name", path, "centre."), _text(centre, "place", path, "centre."), tuple(counters),
                  _tiles(data, path, procedures), verified, notes)


def _tiles(data: Mapping[str, Any], path: Path, procedures: Optional[Mapping[str, Procedure]]) -> Tuple[Tile, ...]:
    kiosk = data.get("kiosk") or {}
    if not isinstance(kiosk, dict):
        raise CatalogueError(path, "kiosk", "must be a mapping (tiles)")
    raw = kiosk.get("tiles") or []
    if not isinstance(raw, list):
        raise CatalogueError(path, "kiosk.tiles", "must be a list")
    tiles: List[Tile] = []
    for index, item in enumerate(raw):
        where = f"kiosk.tiles[{index}]."
        if not isinstance(item, dict):
            raise CatalogueError(path, f"kiosk.tiles[{index}]", "must be a mapping (procedure, label)")
        pid = _text(item, "procedure", path, where)
        if procedures is not None and pid not in procedures:
            raise CatalogueError(path, where + "procedure", f"no procedure '{pid}' in the catalogue (data/procedures/{pid}.yml)")
        if any(t.procedure == pid for t in tiles):
            raise CatalogueError(path, where + "procedure", f"'{pid}' has a tile already")
        label = _text(item, "label", path, where, required=False)
        if label is None:
            label = procedures[pid].short_name if procedures is not None else pid
        tiles.append(Tile(pid, label))
    return tuple(tiles)


def load_counters(path: Path, procedures: Mapping[str, Procedure]) -> Tuple[Layout, Dict[str, Any]]:
    """Read and validate ``data/counters.yml`` against the catalogue; returns the layout and the data to store."""
    path = Path(path)
    try:
        data = yamltext.load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise CatalogueError(path, "(file)", f"is not valid YAML: {error}") from None
    layout = parse_counters(data, path, procedures)
    stored = dict(data)
    stored["kiosk"] = {"tiles": [{"procedure": t.procedure, "label": t.label} for t in layout.tiles]}
    return layout, stored


# -- opening hours ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Opening:
    """Whether a counter is open at a moment: open until ``until``, or closed and opening at ``next_open``."""

    now: dt.datetime
    open: bool
    until: Optional[dt.datetime] = None
    next_open: Optional[dt.datetime] = None
    day_off: Optional[str] = None  # why the day of ``now`` is not a working day ("Chủ nhật", a holiday)
    lunch: bool = False  # closed between two sessions of a working day


def sessions_of(counter: Counter, calendar: WorkCalendar) -> Tuple[Session, ...]:
    """The counter's own sessions, or the ward's office hours."""
    return counter.sessions or calendar.office_hours.sessions


def opening(counter: Counter, now: dt.datetime, calendar: WorkCalendar) -> Opening:
    """Whether ``counter`` is open at ``now`` (timezone-aware), on the ward's working days."""
    now = local(now)
    sessions = sessions_of(counter, calendar)
    today = now.date()
    reason = calendar.day_off_reason(today)
    if reason is None:
        for index, (start, end) in enumerate(sessions):
            if now < _at(today, start):
                return Opening(now, False, next_open=_at(today, start), lunch=index > 0)
            if now < _at(today, end):
                return Opening(now, True, until=_at(today, end))
    return Opening(now, False, next_open=_at(calendar.next_working_day(today), sessions[0][0]), day_off=reason)


def _at(day: dt.date, moment: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, moment, tzinfo=VN_TZ)


def _clock(moment: dt.time) -> str:
    return moment.strftime("%H:%M")


def day_name(day: dt.date, today: dt.date) -> str:
    """``hôm nay``, ``ngày mai (thứ Tư 25/11)`` or ``thứ Hai 30/11``."""
    label = f"{WEEKDAYS[day.weekday()]} {day:%d/%m}"
    if day == today:
        return "hôm nay"
    if day == today + dt.timedelta(days=1):
        return f"ngày mai ({label})"
    return label if day.year == today.year else f"{label}/{day.year}"


def opening_text(state: Opening) -> str:
    """The state in words: "Đang mở cửa, đến 11:30." / "Đang nghỉ trưa; mở lại lúc 13:30 hôm nay." / …"""
    if state.open:
        return f"Đang mở cửa, đến {_clock(state.until.timetz())}."  # type: ignore[union-attr]
    assert state.next_open is not None
    when = f"{_clock(state.next_open.timetz())} {day_name(state.next_open.date(), state.now.date())}"
    if state.lunch:
        return f"Đang nghỉ trưa; mở lại lúc {when}."
    if state.day_off:
        return f"Hôm nay nghỉ ({state.day_off}); mở lại lúc {when}."
    if state.next_open.date() == state.now.date():
        return f"Chưa đến giờ làm việc; mở cửa lúc {when}."
    return f"Đã hết giờ làm việc; mở lại lúc {when}."


def hours_text(counter: Counter, calendar: WorkCalendar) -> str:
    """``07:30–11:30, 13:30–17:00``: the sessions of every working day (Monday to Friday, holidays and make-up days
    as the ward's calendar says)."""
    return ", ".join(f"{_clock(s)}–{_clock(e)}" for s, e in sessions_of(counter, calendar))


# -- answers -------------------------------------------------------------------------------------------


def _warning(layout: Layout, procedure: Optional[Procedure]) -> List[str]:
    if procedure is not None and not procedure.verified:
        return [UNVERIFIED_BOTH if not layout.verified else UNVERIFIED]
    return [] if layout.verified else [UNVERIFIED_LAYOUT]


def counter_lines(counter: Counter, now: dt.datetime, calendar: WorkCalendar) -> List[str]:
    """Where to go and whether it is open: the head of every counter answer."""
    state = opening(counter, now, calendar)
    return [f"🪟 {counter.title}", f"📍 {counter.where}", f"🕐 T2–T6: {hours_text(counter, calendar)}",
            f"{'✅' if state.open else '⛔'} {opening_text(state)}"]


def procedure_answer(layout: Layout, procedure: Procedure, now: dt.datetime, calendar: WorkCalendar) -> str:
    """"Đăng ký khai sinh ở quầy số mấy": the counter, its place and hours, the documents to bring (one phone screen)."""
    counter = layout.for_procedure(procedure)
    head = counter_lines(counter, now, calendar)
    if not procedure.documents:
        return "\n".join([*head, f"📋 {procedure.short_name}: danh mục chưa ghi giấy tờ, hỏi tại quầy.", *_warning(layout, procedure)])
    head.append(f"📋 {procedure.short_name} – mang theo {len(procedure.documents)} loại:")
    return fit(head, document_items(procedure), _warning(layout, procedure), more="giấy tờ")


def counter_answer(layout: Layout, counter: Counter, now: dt.datetime, calendar: WorkCalendar,
                   examples: Sequence[str] = ()) -> str:
    """"Nộp hồ sơ đất đai ở quầy nào": the counter of a field, its place and hours; the documents depend on the
    procedure, so the citizen is asked to name it (``examples``: procedure names to show)."""
    items = [Item("Nhận hồ sơ: ", "; ".join(counter.fields) or "hướng dẫn, hỗ trợ mọi thủ tục")]
    ask = "Giấy tờ cần mang tùy thủ tục: anh/chị nói tên thủ tục"
    ask += f" (ví dụ: {', '.join(examples)})." if examples else "."
    return fit(counter_lines(counter, now, calendar), items + [Item("", ask)], _warning(layout, None))


UNVERIFIED_WARD = "⚠️ Thông tin của phường đang chờ cán bộ cập nhật; vui lòng gọi đường dây nóng để chắc chắn."
COUNTER_HINT = "Hỏi em “khai sinh ở quầy nào” để biết quầy và giấy tờ cần mang."


def office_answer(ward: Mapping[str, Any], layout: Optional[Layout], now: dt.datetime, calendar: WorkCalendar) -> str:
    """"Mấy giờ mở cửa", "thứ 7 có làm không": the one-stop office's address, hours and contacts (``ward``: the
    ward's facts, data/ward.yml) and whether it is open at ``now`` (one phone screen; long facts are cut)."""
    state = opening(layout.default if layout else Counter(0, "", 1), now, calendar)
    status = opening_text(state)
    items = [Item(f"• {label}: ", plain(str(ward[key]))) for key, label in (
        ("address", "Địa chỉ"), ("hours", "Giờ làm việc"), ("hotline", "Đường dây nóng"), ("online", "Nộp trực tuyến"))
        if ward.get(key)]
    items.append(Item(f"{'✅' if state.open else '⛔'} Bây giờ: {status[0].lower()}{status[1:]}"))
    if layout is not None:
        items.append(Item(COUNTER_HINT))
    footer = [] if ward.get("verified", False) else [UNVERIFIED_WARD]
    return fit([f"🏛️ Bộ phận Một cửa – {ward['name']}"], items, footer)


def slip(layout: Layout, procedure: Procedure, now: dt.datetime, calendar: WorkCalendar) -> Dict[str, Any]:
    """What the kiosk shows and prints for ``procedure``: the counter, its place and hours, what to bring."""
    counter = layout.for_procedure(procedure)
    state = opening(counter, now, calendar)
    return {
        "procedure": {"id": procedure.id, "name": procedure.short_name},
        "counter": {"number": counter.number, "name": counter.name, "where": counter.where},
        "centre": layout.centre,
        "hours": f"Thứ Hai–thứ Sáu: {hours_text(counter, calendar)}",
        "status": opening_text(state),
        "open": state.open,
        "documents": [item.render(MAX_DOCUMENT) for item in document_items(procedure)],
        "warning": (_warning(layout, procedure) or [None])[0],
        "issued": f"{local(now):%H:%M %d/%m/%Y}",
    }

