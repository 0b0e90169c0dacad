"""The light list of procedures: every commune-level procedure by code, name, field, level and who handles it.

The catalogue (``data/procedures/``) holds full entries; this list (``data/procedure_list/*.yml``) names the
rest, so the assistant can say what a procedure is called and where it is handled, and name the office
when the ward does not handle it (tax, customs, social insurance, the province) instead of guessing.
Each file: ``source`` (title, url, date) and ``items`` (code, name, field, level, handled_by, ward, entry,
record, and optionally ``aliases``, what citizens call it, and ``url``, its page on the national portal). A
hand-written file may also hold ``aliases: {code: [...]}`` for procedures another (generated) file lists, so a
re-generated list keeps them. A matter citizens bring to the ward that is no administrative procedure (a divorce goes
to court) has ``code: null`` and a ``key`` slug instead, is handled outside the ward, and its ``record`` names the law
that says who handles it. ``motcua load`` validates the files with the catalogue and stores them
(:meth:`bot.catalogue.repository.Catalogue.replace_listed`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import yaml

from bot import yamltext
from bot.catalogue.procedures import CatalogueError

CODE = re.compile(r"^[0-9]\.[0-9]{6}$")
KEY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")  # a matter without a national code ("ly-hon"): a slug in its place


@dataclass(frozen=True)
class Listed:
    """One procedure as the light list knows it."""

    code: str
    name: str
    field: str
    level: str
    handled_by: str
    ward: bool  # the ward's one-stop office (or the ward's police) receives it
    entry: Optional[str] = None  # the full catalogue entry's id, when there is one
    record: Optional[str] = None  # the record it was read from
    source: str = ""  # the list file's source title and date
    aliases: Tuple[str, ...] = ()  # what citizens call it ("làm hộ chiếu"), hand-written
    url: Optional[str] = None  # its page on the national portal, when known

    @property
    def national(self) -> bool:
        """Whether ``code`` is a national procedure code; a matter outside the procedures database (a divorce goes to
        court) has a slug there, and its ``record`` names the law that says who handles it."""
        return bool(CODE.match(self.code))

    def phrases(self) -> List[str]:
        """Everything a citizen may call this procedure by: its name, aliases, and for one handled outside the ward the short
        forms of its name (:func:`short_names`: "nhập quốc tịch việt nam"; the ward's own are named by the catalogue's
        words, which the short forms of similar names would outbid)."""
        return [self.name, *(short_names(self.name) if not self.ward else []), *self.aliases]


# where an official name's qualifiers start: "Nhập quốc tịch Việt Nam ở trong nước", "Tách thửa hoặc hợp thửa đất",
# "Cấp giấy chứng nhận đăng ký tàu cá, tàu phục vụ nuôi trồng thủy sản", "... (thực hiện tại cấp tỉnh)"
# (not "đối với ...", "trường hợp ...": those tell siblings apart, "đăng ký đất đai lần đầu đối với trường hợp được Nhà nước
# giao đất để quản lý" is not "đăng ký đất đai lần đầu")
_QUALIFIER = re.compile(r"\s*(?:\(|,(?! cấp)|;| ở trong nước| ở nước ngoài| tại cấp | thực hiện tại| hoặc )", re.IGNORECASE)
# the official act before the thing citizens name: "Cấp, cấp lại Giấy phép khai thác thủy sản", "Cấp mới chứng chỉ hành
# nghề", "Cấp giấy chứng nhận đăng ký tàu cá" (people say "đăng ký tàu cá", "xin giấy phép khai thác thủy sản")
_ACT = re.compile(r"^(?:cấp(?: mới| lại| đổi)?(?:, cấp (?:mới|lại|đổi))*|yêu cầu|đề nghị)\s+(?:giấy chứng nhận (?=đăng ký))?",
                  re.IGNORECASE)


# words that name no procedure on their own ("Đăng ký, điều chỉnh đóng BHXH" must not shorten to "Đăng ký")
_GENERIC = frozenset("đăng ký cấp lại đổi mới giấy chứng nhận phép xác thay điều chỉnh thông báo xóa hủy gia hạn thủ tục hồ sơ"
                     " đề nghị yêu cầu và các của".split())


def short_names(name: str) -> List[str]:
    """Shorter forms of an official name citizens use: without its qualifiers ("nhập quốc tịch việt nam", "tách thửa"),
    and without the official act too ("giấy phép khai thác thủy sản", "đăng ký tàu cá"); forms under two words dropped."""
    core = _QUALIFIER.split(name, maxsplit=1)[0].strip()
    forms = [core, _ACT.sub("", core).strip()]
    return list(dict.fromkeys(f for f in forms if len(f.split()) >= 2 and f != name
                              and any(w not in _GENERIC for w in f.lower().split())))


WARD_POLICE = "Công an cấp xã"
WARD_COMMITTEE = "UBND cấp xã"
PORTAL = "https://dichvucong.gov.vn"
MAX_NAMED = 5  # procedures named in one reply


def _handled(item: Listed) -> str:
    """Who handles ``item``, as the end of a sentence ("do … giải quyết")."""
    if item.ward and item.handled_by == WARD_POLICE:
        return "do Công an phường tiếp nhận và giải quyết"
    if item.ward and item.handled_by == WARD_COMMITTEE:
        return "do UBND phường giải quyết; nộp hồ sơ tại Bộ phận Một cửa của phường"
    if item.ward:  # received at commune level, decided by the office the record names
        return f"do {item.handled_by} giải quyết"
    return f"do {item.handled_by} giải quyết, không nộp tại phường"


def _reference(item: Listed) -> str:
    """What a citizen can look ``item`` up by: its national code, or for a matter without one the law it rests on."""
    return f"mã {item.code}" if item.national else f"căn cứ: {item.record}"


def where_handled(item: Listed) -> str:
    """One sentence a citizen reads: who handles the procedure (a matter without a code: who, and the law saying so)."""
    if not item.national:
        return f"Việc “{item.name}” {_handled(item)} ({_reference(item)})."
    return f"Thủ tục “{item.name}” ({_reference(item)}) {_handled(item)}."


def _where_to_ask(ward: Dict[str, Any], url: Optional[str]) -> str:
    hotline = f" (đường dây nóng {ward['hotline']})" if ward.get("hotline") else ""
    portal = f"xem trên Cổng Dịch vụ công quốc gia: {url}" if url else f"tra theo mã trên Cổng Dịch vụ công quốc gia {PORTAL}"
    return f"Anh/chị hỏi Bộ phận Một cửa của phường{hotline} hoặc {portal}"


def listed_reply(items: Sequence[Listed], ward: Optional[Dict[str, Any]] = None) -> str:
    """What the assistant says about procedures the light list names and the catalogue has no guide for: who handles
    each; for those the ward handles, that there is no detailed guide yet and where to ask. Several ``items`` (a
    name shared by several, such as "thành lập công ty") handled by the same office are named under one sentence."""
    ward = ward or {}
    items = list(items)[:MAX_NAMED]
    if not items:
        return ""
    no_guide = "Em chưa có hướng dẫn chi tiết cho {}. " + _where_to_ask(ward, items[0].url if len(items) == 1 else None) + "."
    if len(items) == 1:
        item = items[0]
        if item.ward:
            return f"{where_handled(item)}\n{no_guide.format('thủ tục này')}"
        return where_handled(item) + (f"\nThông tin thủ tục trên Cổng Dịch vụ công quốc gia: {item.url}" if item.url else "")
    if len({_handled(i) for i in items}) == 1:
        lines = [f"Các thủ tục sau {_handled(items[0])}:", *(f"• {i.name} ({_reference(i)})" for i in items)]
    else:
        lines = [f"• {where_handled(i)}" for i in items]
    if any(i.ward for i in items):
        lines.append(no_guide.format("các thủ tục này"))
    return "\n".join(lines)


def _item(raw: Any, path: Path, index: int, source: str) -> Listed:
    name = f"items[{index}]"
    if not isinstance(raw, dict):
        raise CatalogueError(path, name, "must be a mapping")
    matter = raw.get("code") is None and isinstance(raw.get("key"), str)  # one the procedures database does not hold
    if matter:
        if not KEY.match(raw["key"]):
            raise CatalogueError(path, f"{name}.key", f"must be a lowercase slug like 'ly-hon', got {raw['key']!r}")
        if raw.get("ward") is not False or not (isinstance(raw.get("record"), str) and raw["record"].strip()):
            raise CatalogueError(path, f"{name}.record", "a matter without a code is handled outside the ward (ward: false)"
                                 " and names the law that says who handles it")
        raw = {**raw, "code": raw["key"]}
    for key in ("code", "name", "field", "level", "handled_by"):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise CatalogueError(path, f"{name}.{key}", "is required (non-empty text)")
    if not matter and not CODE.match(raw["code"]):
        raise CatalogueError(path, f"{name}.code", f"must look like 1.001193 (or be null with a key), got {raw['code']!r}")
    if not isinstance(raw.get("ward"), bool):
        raise CatalogueError(path, f"{name}.ward", "must be true or false")
    entry = raw.get("entry")
    if entry is not None and not isinstance(entry, str):
        raise CatalogueError(path, f"{name}.entry", "must be a catalogue id or null")
    url = raw.get("url")
    if url is not None and not (isinstance(url, str) and url.startswith("https://")):
        raise CatalogueError(path, f"{name}.url", "must be an https:// address or null")
    return Listed(raw["code"].strip(), raw["name"].strip(), raw["field"].strip(), raw["level"].strip(),
                  raw["handled_by"].strip(), raw["ward"], entry, raw.get("record"), source,
                  _aliases(raw.get("aliases"), path, f"{name}.aliases"), url)


def _aliases(value: Any, path: Path, name: str) -> Tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(a, str) and a.strip() for a in value):
        raise CatalogueError(path, name, "must be a list of non-empty texts")
    return tuple(a.strip() for a in value)


def load_procedure_list(directory: Path, catalogue_ids: Optional[Iterable[str]] = None) -> Dict[str, Listed]:
    """Validate and load every ``*.yml`` of ``directory`` (may be absent: an empty list). Codes are unique;
    an ``entry`` must name a catalogue entry when ``catalogue_ids`` is given."""
    directory = Path(directory)
    items: Dict[str, Listed] = {}
    extra: List[Tuple[Path, str, Tuple[str, ...]]] = []  # (file, code, aliases) of a file's ``aliases`` mapping
    known = set(catalogue_ids) if catalogue_ids is not None else None
    for path in sorted(directory.glob("*.yml")) if directory.exists() else []:
        try:
            data = yamltext.load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise CatalogueError(path, "(file)", f"is not valid YAML: {error}") from None
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise CatalogueError(path, "items", "must be a list of procedures")
        source = data.get("source") or {}
        if not isinstance(source, dict) or not source.get("title"):
            raise CatalogueError(path, "source.title", "is required: where the list was taken from")
        stamp = f"{source['title']}" + (f", {source['date']}" if source.get("date") else "")
        for index, raw in enumerate(data["items"]):
            item = _item(raw, path, index, stamp)
            if item.code in items:
                raise CatalogueError(path, f"items[{index}].code", f"{item.code} is listed twice")
            if known is not None and item.entry and item.entry not in known:
                raise CatalogueError(path, f"items[{index}].entry", f"names no catalogue entry: {item.entry!r}")
            items[item.code] = item
        more = data.get("aliases") or {}
        if not isinstance(more, dict):
            raise CatalogueError(path, "aliases", "must map a listed code to its aliases")
        extra += [(path, str(code), _aliases(values, path, f"aliases[{code}]")) for code, values in more.items()]
    for path, code, aliases in extra:
        if code not in items:
            raise CatalogueError(path, f"aliases[{code}]", "names no listed procedure")
        items[code] = dataclasses.replace(items[code], aliases=items[code].aliases + aliases)
    return items


def list_file(items: List[Dict[str, Any]], title: str, url: Optional[str], day: Optional[dt.date]) -> str:
    """The YAML text of a list file."""
    body = {"source": {"title": title, "url": url, "date": day.isoformat() if day else None}, "items": items}
    header = ("# Danh sách thủ tục (mã, tên, lĩnh vực, cấp, nơi giải quyết) — tạo bằng `motcua catalogue list`;"
              " mục đầy đủ ở data/procedures/.\n")
    return header + yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=120)
