"""Catalogue drafts from the national public-service portal's records (``motcua catalogue import``).

A record is one procedure as the portal (dichvucong.gov.vn) shows it, saved as JSON by a crawler: the
table cells of its page run together as text ("Trực tuyến1Miễn phí(Miễn lệ phí.)…"). :func:`draft`
turns one record into the catalogue's fields, each traced to the record (its code, page, announcing
decision and date), with ``flags``: what an official must look at because the record cannot be trusted
as written. The traps it knows:

* a record holding another procedure's page (the code searched is not the code on the page): refused;
* a fee shown as "Miễn phí" (0) whose note says the provincial People's Council sets it, or with no
  note at all: "set by the province" / "not published", never "free"; free only when the note says so;
* a processing time whose unit was lost ("1"): kept as text, no number, flagged, unless the record's
  own description gives the same number with its unit; plain "ngày" (not working days) is not turned
  into working days;
* old wording of the time before the two-level government ("xã, phường, thị trấn", "cấp huyện"):
  kept as written and flagged;
* tax and customs procedures tagged commune level: flagged, handled by the tax or customs office;
* the legal-basis table's two columns (title, number) run together: each number is read whole (serial, year, type
  and issuer up to the next title's first letter), told apart as a cell or a mention inside a title, and kept as the
  document prints it (:func:`parse_legal_basis`); a number the record misprints is read back and flagged.

:func:`merge` lays a new draft over an existing entry: the fields the record owns are replaced, the
hand-written ones (aliases, life events, cues, summary, family, the ward's counter, Quảng Ninh's own
fees, notes and sources other than the record) are kept, and the changes are listed so an official
reviews a diff, not a dump. An entry written by hand (without an ``imported`` block) is never
overwritten: its differences from the record are only reported. ``only`` re-reads some record-owned fields into
existing entries and nothing else (``motcua catalogue import --only legal_basis``), and a re-import rewrites only the
fields that changed, leaving the rest of the file as an official left it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import yaml

from bot import yamltext
from bot.catalogue.procedure_list import CODE  # a national procedure code, e.g. 1.001193

PORTAL = "Cổng Dịch vụ công quốc gia"
CHANNEL_NAMES = {"Trực tiếp": "truc_tiep", "Trực tuyến": "truc_tuyen", "Dịch vụ bưu chính": "buu_chinh"}
CHANNEL_LABEL = {"truc_tiep": "nộp trực tiếp", "truc_tuyen": "nộp trực tuyến", "buu_chinh": "nộp qua bưu chính"}
# Facts the record owns: replaced on a re-import. Everything else in an entry is hand-written and kept.
OWNED = ("code", "name", "field", "level", "agency", "processing_time", "fees", "documents", "forms", "legal_basis", "result")
OLD_WORDING = ("xã, phường, thị trấn", "cấp huyện", "huyện", "thị trấn")
NOT_WARD_FIELDS = {
    "Hải quan": "Cơ quan hải quan",
    "Thuế": "Cơ quan thuế (Thuế cơ sở)",
    "Kho bạc Nhà nước": "Kho bạc Nhà nước",
    "Thu BHXH, BHYT, BHTN, BH tai nạn lao động, BNN": "Cơ quan Bảo hiểm xã hội",
    "Thực hiện chính sách BHXH": "Cơ quan Bảo hiểm xã hội",
    "Thực hiện chính sách BHYT": "Cơ quan Bảo hiểm xã hội",
    "Cấp sổ BHXH, thẻ BHYT": "Cơ quan Bảo hiểm xã hội",
    "Chi trả các chế độ BHXH": "Cơ quan Bảo hiểm xã hội",
}
_MARK = re.compile(r"Mã thủ tục\s*([0-9]+\.[0-9]+)")
_HEAD = "Hình thức nộpThời gianPhí, lệ phíMô tả"
_ROW = re.compile(r"(Trực tiếp|Trực tuyến|Dịch vụ bưu chính)(?=\d|Không)")
_TIME = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(Ngày làm việc|Ngày|Giờ làm việc|Giờ|Tháng|Năm)?", re.IGNORECASE)
_AMOUNT = re.compile(r"^(\d[\d.,]*)\s*(VNĐ|Việt Nam Đồng|Đồng|USD)", re.IGNORECASE)
_COUNT = re.compile(r"(\d+) bản chính(?:,\s*(\d+) bản sao)?|(\d+) bản sao")
_FORM_FILE = re.compile(r"(\d+\.[A-Za-z0-9_\-]+\.(?:docx?|pdf|xlsx?|rar|zip))\s*$", re.IGNORECASE)
# Issuers' abbreviations that end a document number ("…/NĐ-CP", "…/TT-BTP"): they tell where a number glued to
# the next title ends ("123/2015/NĐ-CPNghị định…").
ISSUERS = frozenset(
    "CP TTg BTP BTC BCA BXD BNNMT BYT BNV BLĐTBXH NHNN BTNMT VPQH BGDĐT BKHĐT BCT BTTTT BVHTTDL TANDTC VKSNDTC HĐND UBND "
    "BQP BNG NĐ TT QĐ NQ VBHN BNNPTNT BKHCN BGTVT HĐTP CT UBDT KTNN BHXH VPCP TTLT NQLT UBTVQH L ND BCY PL QD CSXH "
    "UBTƯMTTQVN".split()
)
_TAIL = re.compile(r"(Từ khóa|Chọn cơ quan thực hiện|Mô tảKhông có thông tin).*$", re.DOTALL)
SET_BY_PROVINCE = re.compile(r"Hội đồng nhân dân|HĐND", re.IGNORECASE)
EXPLICIT_FREE = re.compile(r"^\(?\s*(-\s*)?(Miễn (lệ phí|phí)|Không thu|Không (phải )?(nộp|mất) (phí|lệ phí)|Không có\.?\)?$|Không\.?\)?$)", re.IGNORECASE)


class RecordError(ValueError):
    """A record that cannot become a draft (not JSON, no code, or another procedure's content)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass
class Draft:
    """One record as catalogue fields, with what an official must check."""

    data: Dict[str, Any]
    flags: List[str] = field(default_factory=list)
    handled_by: str = ""  # the ward's People's Committee, the commune police, or another office
    ward: bool = True  # False when the ward's one-stop office does not handle it


@dataclass
class Change:
    """What a (re-)import did to one entry."""

    id: str
    code: str
    status: str  # "mới" | "đổi" | "không đổi" | "viết tay"
    lines: List[str] = field(default_factory=list)
    flags: List[str] = field(default_factory=list)


def slug(text: str, limit: int = 60) -> str:
    """An ascii id from a Vietnamese name: "Đăng ký kết hôn lưu động" -> "dang-ky-ket-hon-luu-dong"."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if unicodedata.category(c) != "Mn").lower()
    words = re.findall(r"[a-z0-9]+", text)
    out: List[str] = []
    for word in words:
        if len("-".join(out + [word])) > limit:
            break
        out.append(word)
    return "-".join(out)


def nfc(record: Dict[str, Any]) -> Dict[str, Any]:
    """The record with every text in composed Unicode: some fields arrive decomposed ("Cấp" as C, a, ^, ´)."""
    return {k: unicodedata.normalize("NFC", v) if isinstance(v, str) else v for k, v in record.items()}


def _clean(text: Any) -> str:
    text = unicodedata.normalize("NFC", str(text or "")).replace("\xa0", " ")
    return re.sub(r"[ \t]+", " ", text).strip()


def _informative(text: str) -> bool:
    return bool(text) and text not in ("Không có thông tin", "Không", "")


def read_records(paths: Iterable[Path]) -> List[Tuple[Path, Dict[str, Any]]]:
    """The records in ``paths`` (files, or directories of ``*.json``), each as (path, dict)."""
    out = []
    for path in paths:
        path = Path(path)
        files = sorted(path.rglob("*.json")) if path.is_dir() else [path]
        for file in files:
            try:
                data = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
                raise RecordError(str(file), f"không đọc được JSON ({error.__class__.__name__})") from None
            if not isinstance(data, dict):
                raise RecordError(str(file), "không phải một bản ghi thủ tục (cần một đối tượng JSON)")
            out.append((file, nfc(data)))
    return out


def record_date(record: Dict[str, Any], default: Optional[dt.date]) -> Optional[dt.date]:
    """The day the record was read from the portal: its own field if it has one, else ``default``."""
    for key in ("crawled_at", "ngay_cap_nhat", "updated_at", "date"):
        value = record.get(key)
        if value:
            try:
                return dt.date.fromisoformat(str(value)[:10])
            except ValueError:
                continue
    return default


def check_identity(record: Dict[str, Any], where: str) -> str:
    """The record's code, after checking that its content is that procedure's page."""
    code = _clean(record.get("ma_thu_tuc"))
    if not CODE.match(code):
        raise RecordError(where, f"mã thủ tục {code!r} không đúng dạng N.NNNNNN")
    if not _clean(record.get("ten_thu_tuc")):
        raise RecordError(where, f"bản ghi {code} không có tên thủ tục")
    shown = _MARK.search(record.get("raw_text") or "")
    if shown and shown.group(1) != code:
        raise RecordError(
            where,
            f"bản ghi {code} chứa nội dung của thủ tục khác ({shown.group(1)}: "
            f"“{_clean(record.get('ten_thu_tuc'))[:80]}”): bỏ qua, cần tải lại",
        )
    if not shown:
        record["_unchecked"] = True  # no page text to check the code against: the draft is flagged
    return code


def official_name(record: Dict[str, Any]) -> str:
    name = _clean(record.get("ten_thu_tuc"))
    name = re.sub(r"^\d+\.\s*", "", name)
    name = re.sub(r"^Thủ tục\s+", "", name)
    name = name.rstrip(".")
    return name[:1].upper() + name[1:]


def _days(value: str) -> float:
    number = float(value.replace(",", "."))
    return int(number) if number.is_integer() else number


def _time_of(body: str, description: str) -> Tuple[Dict[str, Any], Optional[str]]:
    """One channel's time cell: ({"working_days"|"working_hours"|"days": n, "text"}, flag)."""
    match = _TIME.match(body)
    if not match:
        return {"text": "Không có thông tin thời hạn"}, None
    number, unit = _days(match.group(1)), (match.group(2) or "").lower()
    if unit == "ngày làm việc":
        return {"working_days": number, "text": f"{number:g} ngày làm việc"}, None
    if unit in ("giờ", "giờ làm việc"):
        return {"working_hours": number, "text": f"{number:g} giờ làm việc" if unit == "giờ làm việc" else f"{number:g} giờ"}, None
    if unit == "ngày":
        return {"days": number, "text": f"{number:g} ngày"}, None
    if unit:
        return {"text": f"{number:g} {unit}"}, None
    # the unit was lost: "1". The record's own description may give it back.
    recovered = re.search(rf"(?<!\d)0?{match.group(1)} (ngày làm việc|giờ làm việc|giờ)", description)
    if recovered:
        kind = recovered.group(1)
        key = "working_days" if kind == "ngày làm việc" else "working_hours"
        return {key: number, "text": f"{number:g} {kind}"}, None
    return {"text": f"“{match.group(1)}” (hồ sơ trên Cổng mất đơn vị thời gian)"}, (
        f"thời hạn ghi “{match.group(1)}” không có đơn vị (ngày? ngày làm việc? giờ?): chưa ghi số ngày"
    )


def _fee_of(body: str) -> Tuple[Dict[str, Any], str]:
    """One channel's fee cell: (fee rule without source, the description after it)."""
    note = ""
    rest = body
    amount_match = _AMOUNT.match(body)
    if body.startswith("Miễn phí"):
        label, rest = "free", body[len("Miễn phí"):]
    elif body.startswith("Không có thông tin"):
        label, rest = "none", body[len("Không có thông tin"):]
    elif amount_match:
        label, rest = "amount", body[amount_match.end():]
    else:
        label = "none"
    if rest.startswith("("):
        depth, end = 0, 0
        for i, ch in enumerate(rest):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0:
                end = i + 1
                break
        note, rest = rest[1 : (end - 1 if end else len(rest))].strip(" ()"), rest[end:] if end else ""
    note = _clean(note)
    if label == "amount":
        value = int(re.sub(r"[.,]", "", amount_match.group(1)))
        unit = amount_match.group(2)
        if unit.upper() == "USD":
            return {"amount": None, "text": f"{amount_match.group(1)} USD" + (f" ({note})" if note else ""), "kind": "amount"}, rest
        shown = f"{value:,} đồng".replace(",", ".")
        if note and SET_BY_PROVINCE.search(note):
            return {"amount": None, "text": f"Mức thu do Hội đồng nhân dân tỉnh quy định; Cổng ghi {shown} ({note})", "kind": "province"}, rest
        return {"amount": value, "text": shown + (f" ({note})" if note else ""), "kind": "amount"}, rest
    if label == "none":
        return {"amount": None, "text": "Hồ sơ trên Cổng không có thông tin phí, lệ phí" + (f" ({note})" if note else ""), "kind": "unknown"}, rest
    if note and SET_BY_PROVINCE.search(note):
        return {"amount": None, "text": f"Mức thu do Hội đồng nhân dân tỉnh quy định ({note})", "kind": "province"}, rest
    if note and EXPLICIT_FREE.match(note):
        return {"amount": 0, "text": f"Không thu phí, lệ phí (hồ sơ ghi: “{note}”)", "kind": "free"}, rest
    if note:
        return {"amount": None, "text": f"Cổng ghi 0 đồng; ghi chú: {note}", "kind": "unclear"}, rest
    return {"amount": None, "text": "Cổng ghi 0 đồng nhưng không nêu căn cứ miễn: chưa xác định là miễn phí hay mức thu do tỉnh quy định",
            "kind": "zero"}, rest


_CONDITIONAL_EXEMPTION = re.compile(r"Miễn (lệ phí|phí)[^.]*? cho ([^.]+)\.", re.IGNORECASE)


def parse_channels(text: str) -> List[Dict[str, Any]]:
    """The rows of the "Cách thức thực hiện" table: channel, time, fee, description."""
    text = _clean(text)
    if text.startswith(_HEAD):
        text = text[len(_HEAD):]
    parts = _ROW.split(text)
    rows = []
    for i in range(1, len(parts), 2):
        body = parts[i + 1]
        time_match = _TIME.match(body)
        rest = body[time_match.end():] if time_match else re.sub(r"^Không (có thông tin|quy định)?", "", body)
        fee, description = _fee_of(rest.strip())
        time, flag = _time_of(body, description + " " + fee["text"])
        rows.append({"channel": CHANNEL_NAMES[parts[i]], "time": time, "time_flag": flag, "fee": fee, "description": _clean(description)})
    return rows


def _processing(rows: List[Dict[str, Any]], flags: List[str]) -> Dict[str, Any]:
    if not rows:
        flags.append("hồ sơ không có bảng cách thức thực hiện: chưa có thời hạn")
        return {"working_days": None, "text": "Hồ sơ trên Cổng không có thông tin thời hạn giải quyết"}
    main = next((r for r in rows if r["channel"] == "truc_tiep"), rows[0])
    for row in rows:
        if row["time_flag"] and row["time_flag"] not in flags:
            flags.append(row["time_flag"])
    texts = {r["time"]["text"] for r in rows}
    if len(texts) == 1:
        text = f"{main['time']['text']} (theo hồ sơ trên {PORTAL})"
    else:
        text = "; ".join(f"{CHANNEL_LABEL[r['channel']]}: {r['time']['text']}" for r in rows) + f" (theo hồ sơ trên {PORTAL})"
    out: Dict[str, Any] = {"working_days": main["time"].get("working_days"), "text": text}
    if "working_hours" in main["time"]:
        out["working_hours"] = main["time"]["working_hours"]
    if "days" in main["time"]:
        out["days"] = main["time"]["days"]
        flags.append(f"thời hạn ghi “{main['time']['days']:g} ngày” (không nói ngày làm việc): chưa tính hạn theo ngày làm việc")
    return out


def _fees(rows: List[Dict[str, Any]], source: str, flags: List[str]) -> List[Dict[str, Any]]:
    if not rows:
        return []
    by_text: Dict[str, List[str]] = {}
    first: Dict[str, Dict[str, Any]] = {}
    for row in rows:
        by_text.setdefault(row["fee"]["text"], []).append(row["channel"])
        first.setdefault(row["fee"]["text"], row["fee"])
    fees = []
    for text, channels in by_text.items():
        fee = first[text]
        condition = None if len(by_text) == 1 else "Khi " + ", ".join(CHANNEL_LABEL[c] for c in channels)
        fees.append({"amount": fee["amount"], "text": text, "valid_from": None, "valid_to": None, "condition": condition,
                     "source": source, "from_record": True})
        if fee["kind"] in ("zero", "unclear"):
            flags.append("lệ phí: Cổng ghi 0 đồng/“Miễn phí” không nêu căn cứ: không ghi là miễn phí, cần đối chiếu nghị quyết HĐND tỉnh")
        if fee["kind"] == "province":
            flags.append("lệ phí do HĐND tỉnh quy định: cần ghi mức thu của tỉnh (Quảng Ninh) bằng tay")
        for match in _CONDITIONAL_EXEMPTION.finditer(text):
            if fee["kind"] != "free":
                fees.append({"amount": 0, "text": f"Miễn {match.group(1)} cho {match.group(2).strip()}", "valid_from": None,
                             "valid_to": None, "condition": match.group(2).strip()[:1].upper() + match.group(2).strip()[1:],
                             "source": source, "from_record": True})
    unique, seen = [], set()
    for fee in fees:
        key = (fee["amount"], fee["text"], fee["condition"])
        if key not in seen:
            seen.add(key)
            unique.append(fee)
    return unique


def parse_documents(text: str) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]], List[str]]:
    """Documents (name, copies, note), forms (attached templates) and flags from "Thành phần hồ sơ"."""
    text = _clean(text)
    documents: List[Dict[str, Any]] = []
    forms: List[Dict[str, Any]] = []
    flags: List[str] = []
    if not _informative(text):
        return documents, forms, ["hồ sơ không có thành phần hồ sơ"]
    group = None
    for chunk in re.split(r"Tên giấy tờMẫu đơn, tờ khaiSố lượng", text):
        position = 0
        counted = False
        for match in _COUNT.finditer(chunk):
            counted = True
            name = chunk[position : match.start()].strip(" ;:-+*")
            position = match.end()
            original, copies = (int(match.group(1) or 0), int(match.group(2) or 0)) if match.group(3) is None else (0, int(match.group(3)))
            form = _FORM_FILE.search(name)
            if form:
                name = name[: form.start()].strip(" ;:-")
                forms.append({"name": name[:200], "number": form.group(1)})
            if not name:
                continue
            if original == 0 and copies == 0:
                if documents:  # a note row (count 0): it explains the document before it
                    documents[-1]["note"] = ((documents[-1].get("note") or "") + " " + name).strip()[:1500]
                continue
            label = ", ".join(part for part in (f"{original:02d} bản chính" if original else "", f"{copies:02d} bản sao" if copies else "") if part)
            documents.append({"name": name[:600], "copies": label, "note": group})
        tail = chunk[position:].strip(" ;:-+*")
        if not counted and tail and documents:
            group = tail[:300]
        elif not counted and tail:
            group = tail[:300]
        elif tail and len(tail) > 3:
            group = tail[:300]
    if not documents:
        flags.append("thành phần hồ sơ không tách được theo số lượng (đơn vị “bản chính/bản sao” bị mất?): cần chép tay")
        documents.append({"name": text[:600], "copies": None, "note": "chép nguyên văn từ hồ sơ trên Cổng, chưa tách"})
    return documents, forms, flags


_SERIAL = re.compile(r"(\d+)(?:\.(\d{1,3}))?(\.?[a-z])?/((?:19|20)\d{2}/)?(?=[A-ZĐƯ])")
_NATIONAL = re.compile(r"(?:UBTVQH|QH)\d{2}")
_CAPITALS = re.compile(r"[A-ZĐƯ&]+")
_YEAR_END = re.compile(r"(?:19|20)\d{2}$")
_OPENING = "([{“‘\"'"
_KIND_BEFORE = re.compile(r"(?:Bộ luật|Luật|Pháp lệnh|Nghị quyết(?: liên tịch)?|Nghị định|Thông tư(?: liên tịch)?|Quyết định|Chỉ thị)"
                          r"(?:\s+số)?\s*$")
# What a number's type code says the document is; a Quốc hội number (…/QH15) says it in its title (Luật, Bộ luật, Nghị quyết).
KIND_OF_TYPE = {"NĐ": "Nghị định", "ND": "Nghị định", "TT": "Thông tư", "TTLT": "Thông tư liên tịch", "QĐ": "Quyết định",
                "QD": "Quyết định", "NQ": "Nghị quyết", "NQLT": "Nghị quyết liên tịch", "PL": "Pháp lệnh", "CT": "Chỉ thị",
                "VBHN": "Văn bản hợp nhất"}
KINDS_BY_TITLE = ("Bộ luật", "Luật", "Pháp lệnh", "Nghị quyết liên tịch", "Nghị quyết", "Nghị định", "Thông tư liên tịch",
                  "Thông tư", "Quyết định", "Chỉ thị", "Văn bản hợp nhất")


@dataclass
class _Number:
    """A document number found in the legal-basis text: where it starts and ends, and whether it is a "Mã văn bản" cell."""

    start: int
    end: int
    number: str
    cell: bool = False


def _issuer_end(text: str, position: int) -> int:
    """Where the type and issuer part of a number starting at ``position`` ends ("NĐ-CP" in "NĐ-CPNghị định…").

    The next cell's title follows without a space: the part is read segment by segment, each the longest known
    abbreviation at that place; a first segment that is not known is taken up to the title's capital letter, and a
    last one the record cut short ("NĐ-C" before "Quy định…") is kept as printed."""
    end, first = position, True
    while True:
        national = _NATIONAL.match(text, end)
        if national:
            return national.end()
        word = _segment(text, end)
        known = _known(word) if word else None
        if known is None:
            following = text[end + len(word) : end + len(word) + 1]
            cut = word[:-1] if following.islower() and len(word) > 1 else word
            if first:
                return end + len(cut)
            if cut and any(issuer.startswith(cut) and issuer != cut for issuer in ISSUERS):
                return end + len(cut)
            return end - 1  # the "-" belongs to the title ("…/NĐ-CP-Quy định về…")
        end += len(known)
        first = False
        if not text.startswith("-", end):
            return end
        end += 1


def _segment(text: str, position: int) -> str:
    run = _CAPITALS.match(text, position)
    if not run:
        return ""
    return "TTg" if run.group(0) == "TT" and text.startswith("TTg", position) else run.group(0)


def _known(word: str) -> Optional[str]:
    return next((word[:k] for k in range(len(word), 0, -1) if word[:k] in ISSUERS), None)


def _numbers(text: str) -> List[_Number]:
    """Every document number of the text, in order, each marked whether it is a cell of the "Mã văn bản" column.

    A cell is glued to the end of its document's title (the table's cells run together), or it ends the text, or the
    next title follows it without a space; a number after a space and followed by a space, a comma or another number
    is a mention inside a title ("Nghị định số 123/2015/NĐ-CP ngày…"). A serial glued to a year that ends the title
    ("Luật Cư trú 2020" + "68/2020/QH14") starts after the year, or where the text mentions the same number."""
    out: List[_Number] = []
    position = 0
    while True:
        match = _SERIAL.search(text, position)
        if not match:
            return out
        end = _issuer_end(text, match.end())
        position = max(end, match.end())  # the next serial starts after this number ("…/QH13" + "60/2014/QH13")
        if end == match.end():
            continue
        serial, start = match.group(1), match.start()
        if match.group(2) and len(serial) > 3:  # "…năm 2025." + "09/2026/TT-BNNMT"
            serial, start = match.group(2), match.start(2)
        elif match.group(2):
            serial = f"{serial}.{match.group(2)}"
        rest = (match.group(3) or "") + "/" + (match.group(4) or "") + text[match.end() : end]
        if not match.group(2) and len(serial) > 4:
            elsewhere = text[: match.start()] + " " + text[end:]
            mentioned = [k for k in range(1, len(serial)) if re.search(rf"(?<![\d.]){re.escape(serial[k:] + rest)}", elsewhere)]
            by_year = [k for k in range(4, len(serial)) if _YEAR_END.search(serial[:k]) and len(serial) - k <= 4]
            k = (mentioned or by_year or [len(serial) - 4])[0]
            serial, start = serial[k:], start + k
        before = text[start - 1] if start else ""
        after = text[end : end + 1]
        glued = bool(before) and not before.isspace() and before not in _OPENING
        last = not text[end:].strip(" .;,")
        cell = glued or last or after.isupper()
        named = None if glued else _KIND_BEFORE.search(text, 0, start)
        following = text[end:].lstrip()[:1]
        if named and (not following or following.isupper() if named.start() == 0 else
                      not text[named.start() - 1].isspace() and not following.isdigit()):
            cell, start = True, named.start()  # the cell names the kind too: "…Việt Nam" + "Luật 47/2014/QH13"
        out.append(_Number(start, end, serial + rest, cell))


def _repaired(number: str) -> str:
    """A number the record misprints, as the document prints it: a decree's issuer cut ("118/2025/NĐ-C", "…/NĐ") is
    the Government (CP); a National Assembly resolution has no "NQ-" ("190/2025/NQ-QH15" is 190/2025/QH15)."""
    head, _, code = number.rpartition("/")
    if code in ("NĐ", "NĐ-C", "ND", "ND-C"):
        return f"{head}/NĐ-CP"
    if re.fullmatch(r"NQ-QH\d{2}", code):
        return f"{head}/{code[3:]}"
    return number


def document_kind(number: str, title: str) -> str:
    """The kind of a document: its number's type code ("NĐ" a Nghị định, "TT" a Thông tư…), else its title's first words
    (a Quốc hội number is a Luật, a Bộ luật or a Nghị quyết), else "Văn bản"."""
    code = number.rpartition("/")[2]
    kind = KIND_OF_TYPE.get(code.split("-")[0])
    if kind:
        return kind
    by_title = next((k for k in KINDS_BY_TITLE if title.strip().lower().startswith(k.lower())), None)
    if by_title:
        return by_title
    if _NATIONAL.fullmatch(code):
        return "Pháp lệnh" if code.startswith("UBTVQH") else "Luật"
    return "Văn bản"


def _title(text: str) -> str:
    """A title cell: spaces made single, stray punctuation off its ends, a kind word the record cut back whole
    ("hông tư số 06/2025/TT-BTC…" is "Thông tư số 06/2025/TT-BTC…")."""
    title = re.sub(r"\s+", " ", text).strip(" -–:;,.")
    for kind in KINDS_BY_TITLE:
        if title.startswith(kind[1:] + " ") and " " in kind:
            return kind[0] + title
    return title


def parse_legal_basis(text: str, flags: Optional[List[str]] = None) -> List[Dict[str, Any]]:
    """The documents of the "Căn cứ pháp lý" table, in order, without repeats: number (as the document prints it),
    kind and title.

    The table's two columns (title, number) run together: "…Luật Hộ tịch60/2014/QH13Nghị định số 123/2015/NĐ-CP ngày
    15/11/2015…Luật Hộ tịch123/2015/NĐ-CP…". Each number is found whole (a dotted serial such as 66.7/2025/NQ-CP, the
    issuer part up to the next title's first letter), then told apart as a cell or a mention (:func:`_numbers`); a
    document's title is the text between the cell before and its own. A decree number whose issuer the record cut
    ("118/2025/NĐ-C") is read as the Government's and said in ``flags``."""
    text = unicodedata.normalize("NFC", str(text or "")).replace("\xa0", " ").replace("Tên văn bản pháp lýMã văn bản", "")
    cells = [n for n in _numbers(text) if n.cell]
    kept: List[_Number] = []
    for index, cell in enumerate(cells):
        previous = kept[-1].end if kept else 0
        if kept and not _title(text[previous : cell.start]) and index + 1 < len(cells) and cell.number != kept[-1].number:
            continue  # a number opening the next title ("26/2005/PL-UBTVQH11 - Ưu đãi người có công…")
        kept.append(cell)
    out, seen, position = [], set(), 0
    for cell in kept:
        title = _title(text[position : cell.start])
        position = cell.end
        number = _repaired(cell.number)
        if number in seen:
            continue
        seen.add(number)
        kind = document_kind(number, title)
        if re.fullmatch(r"(?:" + "|".join(KINDS_BY_TITLE) + r")(?: số)?", title) or not title:
            title = f"{kind} {number}"
        item = {"document": number, "kind": kind, "title": title[:300], "articles": None}
        if number != cell.number:
            item["note"] = f"hồ sơ trên Cổng ghi “{cell.number}”"
            if flags is not None:
                flags.append(f"căn cứ pháp lý: hồ sơ ghi “{cell.number}”, đọc là {number}")
        out.append(item)
    return out


def parse_result(text: str) -> str:
    text = _TAIL.sub("", _clean(text))
    parts = [p.strip(" -;") for p in re.split(r"Mã: KQ\.[A-Z]\d+\.\d+", text) if p.strip(" -;")]
    return "; ".join(parts)[:800]


def handler(record: Dict[str, Any], folder: str = "") -> Tuple[str, bool, Optional[str]]:
    """Who handles the procedure: (who, whether the ward's one-stop office receives it, flag)."""
    field_name = _clean(record.get("linh_vuc"))
    agency = _clean(record.get("co_quan_thuc_hien")) or _clean(record.get("co_quan_co_tham_quyen"))
    if field_name in NOT_WARD_FIELDS:
        flag = None
        if "xã" in (record.get("cap_thuc_hien") or "") and field_name in ("Hải quan", "Thuế"):
            flag = f"lĩnh vực {field_name} gắn nhãn cấp xã: do {NOT_WARD_FIELDS[field_name].lower()} giải quyết, không phải UBND phường"
        return NOT_WARD_FIELDS[field_name], False, flag
    low = agency.lower()
    if "công an" in low and ("xã" in low or "cấp xã" in low):
        return "Công an cấp xã", True, None
    if re.search(r"(ủy ban|uỷ ban|ubnd)[^.;,]{0,25}xã", low):
        return "UBND cấp xã", True, None
    if "xã" in (record.get("cap_thuc_hien") or "") and folder == "bo-cong-an":
        return "Công an cấp xã", True, None
    if "xã" in (record.get("cap_thuc_hien") or ""):
        return "UBND cấp xã" if not agency or agency == "Không có thông tin" else agency[:200], True, None
    informative = agency if agency and agency != "Không có thông tin" else ""
    return informative[:200] or "cơ quan cấp tỉnh hoặc trung ương", False, None


def draft(record: Dict[str, Any], where: str, day: Optional[dt.date], location: Optional[str] = None) -> Draft:
    """One record as a catalogue draft (see the module's docstring for the traps it handles)."""
    record = nfc(record)
    code = check_identity(record, where)
    name = official_name(record)
    flags: List[str] = []
    if record.pop("_unchecked", False):
        flags.append("bản ghi không có nội dung trang để đối chiếu mã với tên: cần kiểm tra tên ứng với mã")
    folder = Path(where).parent.name
    who, ward, flag = handler(record, folder)
    if flag:
        flags.append(flag)
    stamp = day.isoformat() if day else "ngày không rõ"
    if day is None:
        flags.append("không rõ ngày của bản ghi: nguồn thiếu ngày")
    decision = _clean(record.get("so_quyet_dinh")) or None
    url = _clean(record.get("detail_url")) or None
    source = f"{PORTAL}, thủ tục {code}" + (f" (QĐ công bố {decision})" if decision else "") + f", bản ghi ngày {stamp}"
    rows = parse_channels(record.get("cach_thuc_thuc_hien") or "")
    documents, forms, doc_flags = parse_documents(record.get("thanh_phan_ho_so") or "")
    flags += doc_flags
    agency = next((a for a in (_clean(record.get("co_quan_thuc_hien")), _clean(record.get("co_quan_co_tham_quyen"))) if _informative(a)), who)
    for text, label in ((agency, "cơ quan thực hiện"), (_clean(record.get("co_quan_co_tham_quyen")), "cơ quan có thẩm quyền")):
        old = [w for w in OLD_WORDING if w in text.lower()]
        if old:
            flags.append(f"{label} còn ghi theo địa giới cũ (“{old[0]}”): giữ nguyên văn, cần đọc là xã/phường/đặc khu")
    level = _clean(record.get("cap_thuc_hien")) or "Không rõ"
    data: Dict[str, Any] = {
        "id": None,
        "code": code,
        "code_verified": True,
        "name": name,
        "field": _clean(record.get("linh_vuc")) or "Chưa phân loại",
        "level": level,
        "agency": agency[:200],
        "processing_time": _processing(rows, flags),
        "fees": _fees(rows, source, flags),
        "documents": documents,
        "forms": forms,
        "legal_basis": parse_legal_basis(record.get("can_cu_phap_ly") or "", flags),
        "result": parse_result(record.get("ket_qua_xu_ly") or ""),
        "channels": [r["channel"] for r in rows] or ["truc_tiep"],
    }
    data["source"] = {
        "title": f"{PORTAL}: thủ tục {code} “{name[:120]}”" + (f", QĐ công bố {decision}" if decision else "")
        + f"; bản ghi ngày {stamp}" + (f" ({location})" if location else ""),
        "url": url,
        "facts": "mã, tên, cấp, lĩnh vực, cơ quan thực hiện, thời hạn, phí/lệ phí, thành phần hồ sơ, mẫu, căn cứ pháp lý, kết quả",
    }
    data["imported"] = {"code": code, "record": url, "decision": decision, "date": day.isoformat() if day else None,
                        "file": location}
    return Draft(data=data, flags=flags, handled_by=who, ward=ward)


def _entry_from(draft_: Draft, pid: str) -> Dict[str, Any]:
    d = draft_.data
    note = (f"Nhập tự động từ hồ sơ thủ tục {d['code']} trên {PORTAL} (bản ghi ngày {d['imported']['date'] or 'không rõ'}); "
            "chưa được cán bộ kiểm tra.")
    if draft_.flags:
        note += " Cần xem: " + "; ".join(draft_.flags) + "."
    return {
        "id": pid,
        "code": d["code"],
        "code_verified": True,
        "name": d["name"],
        "field": d["field"],
        "level": d["level"],
        "agency": d["agency"],
        "family": pid,
        "aliases": [],
        "life_events": [],
        "cues": [],
        "summary": None,
        "processing_time": d["processing_time"],
        "fees": d["fees"],
        "documents": d["documents"],
        "forms": d["forms"],
        "submission": {"where": f"{draft_.handled_by} (theo hồ sơ trên Cổng: {d['agency']})", "channels": d["channels"]},
        "result": d["result"],
        "legal_basis": d["legal_basis"],
        "sources": [d["source"]],
        "verified": False,
        "notes": note,
        "imported": d["imported"],
    }


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return value.get("text") or json.dumps(value, ensure_ascii=False)[:120]
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "…"


def _diff(old: Dict[str, Any], new: Dict[str, Any], keys: Sequence[str] = OWNED) -> List[str]:
    """Human lines for what changed in the record-owned fields."""
    lines = []
    for key in keys:
        before, after = old.get(key), new.get(key)
        if key == "fees":  # the hand-written fees stay; a fee's source names the record's date, which always moves
            before = [{k: v for k, v in f.items() if k != "source"} for f in (before or []) if f.get("from_record")]
            after = [{k: v for k, v in f.items() if k != "source"} for f in (after or [])]
        if _norm(before) == _norm(after):
            continue
        if isinstance(after, list) or isinstance(before, list):
            def names(items):
                return [(i.get("name") or i.get("document") or i.get("text") or "") + (f" – {i.get('copies')}" if i.get("copies") else "")
                        for i in (items or []) if isinstance(i, dict)]
            gone = [n for n in names(before) if n not in names(after)]
            added = [n for n in names(after) if n not in names(before)]
            for n in gone:
                lines.append(f"{key}: bỏ “{_short(n)}”")
            for n in added:
                lines.append(f"{key}: thêm “{_short(n)}”")
            if not gone and not added:
                lines.append(f"{key}: đổi chi tiết (ghi chú, thứ tự)")
        else:
            lines.append(f"{key}: “{_short(before)}” → “{_short(after)}”")
    return lines


def _norm(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False, default=str)) if value is not None else None


def merge(existing: Optional[Dict[str, Any]], draft_: Draft, pid: str,
          only: Optional[Sequence[str]] = None) -> Tuple[Optional[Dict[str, Any]], Change]:
    """The entry after importing ``draft_`` over ``existing`` (None: a new entry), and what changed.

    Returns (None, change) for a hand-written entry: it is not touched, the change lists the differences. With
    ``only`` (some of :data:`OWNED`), an existing entry takes just those fields from the record (e.g. the legal bases
    read again by a corrected parser); everything else, an official's corrections of record-owned fields included,
    stays as it is; a verified entry whose fields change becomes unverified, with a note."""
    fresh = _entry_from(draft_, pid)
    code = fresh["code"]
    if existing is None:
        return fresh, Change(pid, code, "mới", [], list(draft_.flags))
    if "imported" not in existing:
        return None, Change(pid, code, "viết tay", _diff(existing, fresh), list(draft_.flags))
    if only:
        lines = _diff(existing, fresh, only)
        merged = dict(existing)
        for key in only:
            merged[key] = fresh[key]
        if lines and existing.get("verified"):
            merged["verified"] = False
            merged["notes"] = (f"Đọc lại {', '.join(only)} từ hồ sơ trên Cổng ({fresh['imported']['date']}): " + "; ".join(lines)
                               + ". " + str(existing.get("notes") or "")).strip()
        return merged, Change(pid, code, "đổi" if lines else "không đổi", lines, [])
    lines = _diff(existing, fresh)
    merged = dict(existing)
    for key in OWNED:
        merged[key] = fresh[key]
    hand_fees = [f for f in (existing.get("fees") or []) if not f.get("from_record")]
    merged["fees"] = fresh["fees"] + hand_fees
    submission = dict(existing.get("submission") or {})
    submission["channels"] = fresh["submission"]["channels"]
    submission.setdefault("where", fresh["submission"]["where"])
    merged["submission"] = submission
    record_title = fresh["sources"][0]["title"].split(";")[0]
    merged["sources"] = fresh["sources"] + [s for s in existing.get("sources") or [] if not str(s.get("title", "")).startswith(record_title)]
    merged["imported"] = fresh["imported"]
    if lines:
        merged["verified"] = False
        merged["notes"] = (f"Hồ sơ trên Cổng đổi từ lần nhập trước ({(existing.get('imported') or {}).get('date')} → "
                           f"{fresh['imported']['date']}): " + "; ".join(lines) + ". " + fresh["notes"])
    return merged, Change(pid, code, "đổi" if lines else "không đổi", lines, list(draft_.flags))


HEADER = "# {name} — nhập từ {portal} ngày {date}; các mục aliases, life_events, cues, summary, family và phí ghi tay được giữ khi nhập lại.\n"


def dump_entry(entry: Dict[str, Any]) -> str:
    """The YAML text of an entry, as the catalogue keeps it."""
    header = HEADER.format(name=entry["name"][:80], portal=PORTAL, date=(entry.get("imported") or {}).get("date") or "không rõ")
    return header + yaml.safe_dump(entry, allow_unicode=True, sort_keys=False, width=120)


_TOP_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*):", re.MULTILINE)


def rewrite_entry(text: str, before: Dict[str, Any], after: Dict[str, Any]) -> str:
    """The file ``text`` of an entry with only the top-level fields that changed from ``before`` to ``after`` written
    anew: the rest of the file (its comments, an official's layout) is left as it is. A whole new dump when a field
    cannot be found at the top level of the file."""
    starts = {m.group(1): m.start() for m in _TOP_KEY.finditer(text)}
    changed = [k for k in after if _norm(after.get(k)) != _norm(before.get(k))]
    if set(before) - set(after) or any(k not in starts and k in before for k in changed):
        return dump_entry(after)
    bounds = sorted(starts.values()) + [len(text)]
    out, position = [], 0
    for key, start in sorted(starts.items(), key=lambda kv: kv[1]):
        if key not in changed:
            continue
        end = next(b for b in bounds if b > start)
        out += [text[position:start], yaml.safe_dump({key: after[key]}, allow_unicode=True, sort_keys=False, width=120)]
        position = end
    out.append(text[position:])
    added = [k for k in changed if k not in starts]
    if added:
        out.append(("" if text.endswith("\n") else "\n")
                   + yaml.safe_dump({k: after[k] for k in added}, allow_unicode=True, sort_keys=False, width=120))
    return "".join(out)


def existing_by_code(directory: Path) -> Dict[str, Tuple[Path, Dict[str, Any]]]:
    """The catalogue's entries by code (a code held by two files keeps the first, by file name)."""
    out: Dict[str, Tuple[Path, Dict[str, Any]]] = {}
    for path in sorted(Path(directory).glob("*.yml")):
        data = yamltext.load(path.read_text(encoding="utf-8")) or {}
        if isinstance(data, dict) and data.get("code"):
            out.setdefault(str(data["code"]), (path, data))
    return out


def import_records(paths: Iterable[Path], directory: Path, day: Optional[dt.date] = None, write: bool = True,
                   ward_only: bool = True, ids: Optional[Dict[str, str]] = None,
                   only: Optional[Sequence[str]] = None) -> Tuple[List[Change], List[str]]:
    """Import ``paths`` into the catalogue ``directory``: (changes, problems).

    ``ids`` maps a code to the id a new entry gets (else a slug of its name). Records handled outside the
    ward are skipped when ``ward_only`` (they belong in the procedure list). Problems are records refused.
    ``only``: update just these record-owned fields of existing entries (see :func:`merge`); no new entries.
    An existing file is rewritten only where its fields changed (:func:`rewrite_entry`)."""
    unknown = [key for key in only or () if key not in OWNED]
    if unknown:
        return [], [f"không có trường {', '.join(unknown)} (chọn trong: {', '.join(OWNED)})"]
    directory = Path(directory)
    known = existing_by_code(directory)
    taken = {p.stem for p in directory.glob("*.yml")}
    changes: List[Change] = []
    problems: List[str] = []
    try:
        records = read_records(paths)
    except RecordError as error:
        return [], [str(error)]
    for path, record in records:
        try:
            item = draft(record, str(path), record_date(record, day), location=_location(path))
        except RecordError as error:
            problems.append(str(error))
            continue
        if ward_only and not item.ward:
            problems.append(f"{path}: thủ tục {item.data['code']} do {item.handled_by} giải quyết, không nhập vào danh mục của phường")
            continue
        code = item.data["code"]
        if code in known:
            file, existing = known[code]
            pid = existing.get("id") or file.stem
        elif only:
            problems.append(f"{path}: thủ tục {code} chưa có trong danh mục (chỉ đọc lại {', '.join(only)} của mục đã có)")
            continue
        else:
            existing, pid = None, (ids or {}).get(code) or slug(item.data["name"])
            if pid in taken:
                pid = f"{pid}-{code.replace('.', '-')}"
            file = directory / f"{pid}.yml"
        entry, change = merge(existing, item, pid, only)
        changes.append(change)
        if entry is not None and write and change.status != "không đổi":
            text = rewrite_entry(file.read_text(encoding="utf-8"), existing, entry) if existing else dump_entry(entry)
            file.write_text(text, encoding="utf-8")
            taken.add(pid)
            known[code] = (file, entry)
    return changes, problems


def _location(path: Path) -> str:
    parts = Path(path).parts
    return "/".join(parts[-2:]) if len(parts) >= 2 else str(path)


def report_changes(changes: List[Change], problems: List[str]) -> str:
    """The review an official reads after an import: new, changed, hand-written differences, refused."""
    lines = []
    counts: Dict[str, int] = {}
    for change in changes:
        counts[change.status] = counts.get(change.status, 0) + 1
    lines.append("Nhập hồ sơ thủ tục: " + ", ".join(f"{n} {s}" for s, n in counts.items()) + (f", {len(problems)} bỏ qua" if problems else ""))
    for change in changes:
        if change.status == "không đổi":
            continue
        if change.status == "viết tay" and not change.lines:
            continue
        head = {"mới": "+ mới", "đổi": "~ đổi", "viết tay": "! khác mục viết tay (không ghi đè)"}[change.status]
        lines.append(f"{head}: {change.id} ({change.code})")
        lines += [f"    {line}" for line in change.lines]
        lines += [f"    cần xem: {flag}" for flag in change.flags]
    lines += [f"- bỏ qua: {problem}" for problem in problems]
    return "\n".join(lines)
