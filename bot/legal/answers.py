"""Answers to legal questions: the article that answers, quoted verbatim and checked before it is sent.

An answer names the article and the document ("Theo khoản 1 Điều 15 Luật Hộ tịch 60/2014/QH13: …"), quotes the
decisive sentence from the stored text, explains it in a plain line, says when a change is coming within
:data:`bot.legal.review.SOON_DAYS` days, and links the procedure (with its buttons). :func:`check_citation` is the one
check: the document is in the register, in force on the question's day, and the article was among those retrieved.
Below :data:`CONFIDENCE` (BM25 score times the share of the question the article covers) no article is cited:
"em chưa chắc" and the counter. A document number the register does not hold ("Nghị định 999/2025") is said to be
unknown and never explained; a law named by title ("Luật Căn cước công dân", "Luật Đất đai 2013") that is not the one in
force on the day is said to be replaced or not current, and an article the named law does not have ("Điều 99 Luật Căn
cước") is said to be missing: no citation, the counter. A named article that exists is the one quoted, unless the
named passage ("điểm b khoản 5 Điều 5") is repealed on the day. A kind of document, or a kind and year, the register
holds nothing quotable of ("Pháp lệnh ...", "Luật Hộ khẩu năm 2019") is said not to be held. A sum of money asked ("lệ phí
... bao nhiêu tiền", "phạt bao nhiêu") is never answered by an article that states no sum in đồng and that people do not
ask money questions about (its guide).
A topic no registered document covers (``outside.yml``: taxes, traffic, labour, …) is indexed beside the articles: a
question it outranks every article for, or that names one of its phrases without an article far ahead, is said to be
outside the texts (:func:`ranked`).
A citizen's duty (how soon to register) is told as a duty, not as the office's
processing time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Dict, List, Optional, Sequence, Tuple

from bot.legal.library import Law
from bot.legal.register import AMENDED, EXPIRED, IN_FORCE, REPLACED, Register, number_key
from bot.legal.review import SOON_DAYS
from bot.legal.search import Hit, best_sentence, favoured_documents, syllables
from bot.metrics import LEGAL_SECONDS
from nlu.normalize import normalize, strip_diacritics

CONFIDENCE = 20.0     # BM25 score x coverage of the best article under which nothing is cited (dev set: out-of-register
                      # questions reach <= 17, answered ones >= 25 but one; tuned on bench/data/legal_dev.yml only)
RETRIEVED = 5         # articles retrieved; a citation must be one of them
OUTSIDE_MARGIN = 1.0  # a topic outside the register (outside.yml) that outscores the best article by this factor is the answer
OUTSIDE_NAMED = 0.8   # ... or, when the question names one of its phrases, that scores at least this share of the best article
NEAR = 0.9            # a runner-up this close to the best article may answer a figure question the best one cannot
NUMBER = re.compile(r"(?<![\d/])(\d{1,4}(?:\.\d{1,3})?)\s*/\s*(\d{4})(?:\s*/\s*([A-Za-zĐđ0-9-]+))?", re.UNICODE)
NUMBER_NO_YEAR = re.compile(r"(?<![\d/])\d{1,5}\s*/\s*(?:QĐ|NQ|CT|KH|TB)-[A-ZĐ]{2,}\b", re.UNICODE)  # "999/QĐ-UBND"
ARTICLE_ASKED = re.compile(r"\bdieu (\d{1,3}[a-z]?)\b")   # "Điều 99", "dieu 28a" in the normalised question
PASSAGE_ASKED = re.compile(r"\b(?:diem ([a-z]) )?khoan (\d{1,2}) dieu (\d{1,3}[a-z]?)\b")  # "điểm b khoản 5 Điều 5"
PASSAGE_ASKED_REVERSED = re.compile(r"\bdieu (\d{1,3}[a-z]?) khoan (\d{1,2})(?: diem ([a-z]))?\b")  # "điều 5 khoản 5 điểm c"
YEAR_AFTER = re.compile(r"(?:(?:moi|cu|sua doi|nam) )*((?:19|20)\d\d)\b")  # "Luật Đất đai 2013", "luat ho tich moi 2026"
NEWEST_AFTER = re.compile(r"(?:moi|moi nhat|moi ban hanh|vua ban hanh|sap co hieu luc)\b")  # "luật hộ tịch mới"
KIND_NAMED = re.compile(r"\b(bo luat|luat|phap lenh|nghi dinh|thong tu)\b((?: [a-z]+){0,8}? (?:nam )?((?:19|20)\d\d))?\b")
KIND_WORDS = {"bo luat": "Bộ luật", "luat": "Luật", "phap lenh": "Pháp lệnh", "nghi dinh": "Nghị định", "thong tu": "Thông tư"}
LAW_KINDS = ("Luật", "Bộ luật")                             # named by title in questions ("Luật Căn cước")
# a sum of money asked ("bao nhiêu tiền", "lệ phí ... bao nhiêu", "phạt bao nhiêu"), read without abbreviation expansion
MONEY_ASKED = re.compile(r"\bbao nhieu (?:tien|dong|trieu|nghin|ngan|phi|le phi)\b"
                         r"|\bbao nhieu (?:1 ?|mot )(?:m2|met vuong|met|m)\b"  # "giá đất bao nhiêu 1 m2", "… 1m2"
                         r"|\b(?:le phi|phi|phat|dong|nop|tien|gia(?! dinh| han| tri)|muc chuan|luong|muc chi|boi duong|thu lao|phu cap)(?: [a-z0-9]+){0,6} "
                         r"(?:la |het |mat )?(?:bao nhieu|toi da bao nhieu)\b"
                         r"(?! (?:ngay|thang|nam|tuoi|nguoi|lan|gio|thanh vien|m2|met|phan tram|con|ho|khoan|loai|buoc)\b)")
# a sum stated and asked to be confirmed ("hệ số 1,5 được 540 nghìn đúng không")
SUM_CONFIRMED = re.compile(r"\b\d[\d.,]*\s*(?:nghin|ngan|trieu|dong|k)\b.*\b(?:dung|phai|that)\s*(?:khong|ko|k|hong)\b")
# a sum asked at the end of a question whose money word is further back ("lương công chức tư pháp bậc 1 hiện nay là bao
# nhiêu", "mức chuẩn trợ giúp xã hội trên địa bàn tỉnh năm 2026 là bao nhiêu")
MONEY_AT_END = re.compile(r"\b(?:le phi|phi|phat|tien|luong|muc chuan|muc tro cap|tro cap hang thang|ho tro (?:them|tien)|don gia"
                          r"|gia|muc chi|boi duong|thu lao|phu cap)\b(?! he so)(?: (?!he so\b)[a-z0-9]+)* bao nhieu"
                          r"(?: (?:mot|1|moi) [a-z0-9]+)?(?: (?:a|ah|ak|vay|nhi|the|ha|z|ban|em|chi|anh))*$")  # "... một cây"
# the province's own texts and amounts ("quyết định của UBND tỉnh", "Quảng Ninh hỗ trợ thêm bao nhiêu"): the register
# holds no provincial text
PROVINCIAL = re.compile(r"\b(?:quyet dinh|nghi quyet|van ban|cong van|ke hoach)(?: so)?(?: cua)? (?:ubnd|uy ban nhan dan|hdnd"
                        r"|hoi dong nhan dan) (?:tinh|quang ninh)\b")
PROVINCE_NAMED = re.compile(r"\b(?:quang ninh|(?:ubnd|uy ban nhan dan|hdnd|hoi dong nhan dan) tinh|cua tinh|tinh (?:minh|ta|qn))\b")
# one person's own dossier or letter asked about ("đơn khiếu nại của tôi nộp hôm 10/11 đã được thụ lý chưa"): only the
# office can look it up, no article answers it
OWN_CASE = re.compile(r"\b(?:cua (?:toi|em|minh|me|bo|nha)|nha (?:toi|em)|(?:toi|em|minh) (?:da )?nop|nop (?:hom|tu|ngay|thang|tuan))\b")
STATUS_ASKED = re.compile(r"\b(?:thu ly|duyet|ky|giai quyet|xu ly|tra ket qua|co ket qua|co quyet dinh|xong|cap)(?: \w+)? chua\b"
                          r"|\b(?:den|toi) (?:dau|buoc nao) roi\b")
PERCENT_ASKED = re.compile(r"\b(?:bao nhieu|may) phan tram\b")  # "bao nhiêu phần trăm" ("mấy %": see quantity_asked)
AREA_ASKED = re.compile(r"\bbao nhieu (?:m2|met vuong|m vuong|met)\b")                      # "tối thiểu bao nhiêu m2"
PERCENT = re.compile(r"\d\s*%|phần trăm")
AREA = re.compile(r"\d\s*(?:m2|m²|mét vuông)")
AMOUNT = re.compile(r"\d[\d.,]*\s*(?:nghìn |triệu |tỷ )?đồng")  # "360.000 đồng", "2 triệu đồng" in an article
NOT_SURE = ("Em chưa chắc điều luật nào trả lời đúng câu hỏi này nên không trích dẫn, để tránh sai. "
            "Anh/chị hỏi trực tiếp tại Bộ phận Một cửa của phường hoặc cán bộ trực{contact} giúp em.")


@dataclass
class Answer:
    """What the citizen reads, its buttons, the procedure linked, and the citation (None when none was given)."""

    text: str
    buttons: List[Dict[str, str]] = field(default_factory=list)
    procedure_id: Optional[str] = None
    citation: Optional[Dict[str, Any]] = None
    hits: List[Hit] = field(default_factory=list)


def _vn_date(day: dt.date) -> str:
    return f"{day.day:02d}/{day.month}/{day.year}"


def confident(hit: Hit) -> bool:
    """The bar an article must clear to be cited: its BM25 score times the share of the question it covers."""
    return hit.confidence >= CONFIDENCE


def check_citation(register: Register, document: str, article: int, day: dt.date, retrieved: Sequence[Hit]) -> bool:
    """The one check before a citation is sent: in the register, in force on ``day``, among the retrieved articles."""
    return (register.get(document) is not None and register.quotable_on(document, day)
            and any(h.article.document == document and h.article.number == article for h in retrieved))


def numbers_asked(text: str) -> List[str]:
    """Document numbers written in the question ("999/2025", "118/2025/NĐ-CP", a decision without its year
    "999/QĐ-UBND")."""
    found = []
    for match in NUMBER.finditer(text or ""):
        number, year, suffix = match.groups()
        found.append(f"{number}/{year}" + (f"/{suffix}" if suffix else ""))
    found += [m.group(0).replace(" ", "") for m in NUMBER_NO_YEAR.finditer(text or "")]
    return found


def registered(register: Register, asked: str) -> List[Any]:
    """The register entries an asked number may mean ("118/2025" -> 118/2025/NĐ-CP)."""
    key = number_key(asked)
    return [d for d in register if number_key(d.number) == key or number_key(d.number).startswith(key + "/")]


def _contact(ward: Dict[str, Any]) -> str:
    phone = (ward or {}).get("hotline") or (ward or {}).get("phone")
    return f" (đường dây nóng {phone})" if phone else ""


def _procedure_buttons(procedure: Any) -> List[Dict[str, str]]:
    def payload(intent: str) -> str:
        return f"/{intent}{json.dumps({'procedure': procedure.id})}"

    return [{"title": f"📋 {procedure.short_name}", "payload": payload("ask_procedure")},
            {"title": "📄 Giấy tờ cần nộp", "payload": payload("ask_documents")},
            {"title": "💰 Lệ phí", "payload": payload("ask_fee")}]


def pointing_to(answer: Answer, procedure: Any) -> Answer:
    """``answer`` with the ward's procedure the question named, when the law gave no citation: "gia đình được hưởng chế
    độ gì" about a procedure of the catalogue gets "em chưa chắc điều luật nào…" and that procedure's buttons (how to,
    papers, fee), not only the counter. An answer that cites, or already offers buttons, is left as it is."""
    if procedure is None or answer.citation is not None or answer.buttons:
        return answer
    text = (f"{answer.text}\nThủ tục của phường cho việc này: {procedure.name}. Anh/chị bấm nút bên dưới để xem cách làm, "
            "giấy tờ và lệ phí.")
    return dataclasses.replace(answer, text=text, buttons=_procedure_buttons(procedure), procedure_id=procedure.id)


def _linked_procedure(law: Law, hit: Hit, procedures: Dict[str, Any], current: Any) -> Optional[Any]:
    guide = law.index.guides.get(hit.article.key)
    if guide and guide.procedure and guide.procedure in procedures:
        return procedures[guide.procedure]
    if current is not None and any(str(b.get("document")).strip() == hit.article.document
                                   and re.search(rf"\bĐiều {hit.article.number}\b", str(b.get("articles") or ""))
                                   for b in current.legal_basis):
        return current
    return None


@lru_cache(maxsize=None)
def _phrase(text: str) -> str:
    """A catalogue name or alias as normalised syllables (cached: the catalogue's phrases are the same every question)."""
    return " ".join(syllables(text))


def _named_procedures(text: str, procedures: Dict[str, Any]) -> List[Any]:
    """Catalogue procedures whose name or an alias (of two syllables or more) the question contains."""
    norm = " " + " ".join(syllables(text)) + " "
    named = []
    for procedure in procedures.values():
        for phrase in [procedure.name, *procedure.aliases]:
            words = _phrase(phrase)
            if words.count(" ") >= 1 and f" {words} " in norm:
                named.append(procedure)
                break
    return named


def article_asked(text: str) -> Optional[str]:
    """The article number a question names ("Điều 99 Luật Căn cước" -> "99"), None when it names none."""
    match = ARTICLE_ASKED.search(normalize(text or ""))
    return match.group(1) if match else None


def passage_asked(text: str) -> Optional[tuple]:
    """(clause, point or None) of the passage a question names ("điểm b khoản 5 Điều 5" -> (5, "b")), None when none."""
    plain = _plain(text)
    match = PASSAGE_ASKED.search(plain)
    if match:
        return int(match.group(2)), match.group(1)
    match = PASSAGE_ASKED_REVERSED.search(plain)
    return (int(match.group(2)), match.group(3)) if match else None


def _year(document: Any) -> set:
    years = {int(part) for part in document.number.split("/")[1:2] if part.isdigit()}
    return years | ({document.issued.year} if document.issued else set())


def laws_named(register: Register, text: str) -> List[tuple]:
    """Laws the question names by title ("Luật Căn cước", "luat dat dai 2013"): (title as written in the register, year
    asked or None, the register's documents of that title; only the latest when the question says "mới"). The longest
    title wins ("Luật Căn cước công dân" is not "Luật Căn cước")."""
    norm = " " + " ".join(syllables(text)) + " "
    titles: Dict[str, List[Any]] = {}
    for document in register:
        if document.kind in LAW_KINDS and not re.search(r"\d", document.title):
            titles.setdefault(_phrase(document.title), []).append(document)
    found = []
    for phrase in sorted(titles, key=len, reverse=True):
        at = norm.find(f" {phrase} ")
        if not phrase or at < 0:
            continue
        after = norm[at + len(phrase) + 2:]
        year = YEAR_AFTER.match(after)
        documents = titles[phrase]
        if year is None and NEWEST_AFTER.match(after):  # "the new law": the latest of that title the register holds
            documents = sorted(documents, key=lambda d: (d.issued or dt.date.min, d.number))[-1:]
        found.append((titles[phrase][0].title, int(year.group(1)) if year else None, documents))
        norm = norm[:at] + " " + " ".join("_" for _ in phrase.split()) + " " + norm[at + len(phrase) + 2:]
    return found


def _plain(text: str) -> str:
    """Lower case, no marks, no punctuation, abbreviations NOT expanded (a point "c" stays "c", not "chị")."""
    return " ".join(re.findall(r"[a-z0-9]+", strip_diacritics((text or "").lower())))


def money_asked(text: str) -> bool:
    """Whether the question asks for a sum of money (a fee, a fine, a contribution, an allowance), or to confirm one."""
    plain = _plain(text)
    return bool(MONEY_ASKED.search(plain) or SUM_CONFIRMED.search(plain) or MONEY_AT_END.search(plain))


def quantity_asked(text: str) -> Optional[str]:
    """The kind of figure a question asks for: "money", "percent", "area", or None."""
    plain = _plain(text)  # no "%" left in it: the sign is looked for in the text as typed
    if PERCENT_ASKED.search(plain) or ("%" in (text or "") and re.search(r"\b(?:bao nhieu|may)\b", plain)):
        return "percent"
    if AREA_ASKED.search(plain):
        return "area"
    return "money" if money_asked(text) else None


def states_quantity(article: Any, guide: Any, kind: str) -> bool:
    """Whether an article can answer the figure asked: it states one of that kind (a sum in đồng, a percentage, an
    area), or, for money, people ask it money questions (its guide: "tiền cấp dưỡng nuôi con bao nhiêu" is answered by
    who sets the amount)."""
    if kind == "percent":
        return bool(PERCENT.search(article.text))
    if kind == "area":
        return bool(AREA.search(article.text))
    return states_amount(article, guide)


def states_amount(article: Any, guide: Any) -> bool:
    """Whether an article can answer "how much money": it states a sum in đồng, or people ask it money questions
    (its guide in questions.yml: "tiền cấp dưỡng nuôi con bao nhiêu" is answered by who sets the amount)."""
    return bool(AMOUNT.search(article.text)) or any(money_asked(q) for q in (guide.questions if guide else ()))


def kinds_named(text: str) -> List[tuple]:
    """Kinds of document a question names, each with the year written after it within a few words ("Pháp lệnh hòa giải
    ở cơ sở năm 1998" -> ("Pháp lệnh", 1998); "theo nghị định" -> ("Nghị định", None))."""
    plain = _plain(text)
    return [(KIND_WORDS[m.group(1)], int(m.group(3)) if m.group(3) else None) for m in KIND_NAMED.finditer(plain)]


def unheld_kind(register: Register, text: str, day: dt.date) -> Optional[str]:
    """The kind of document (and year) a question names that the register holds nothing quotable of on ``day``:
    "Pháp lệnh ..." when no ordinance is registered, "Luật Hộ khẩu năm 2019" when no law of 2019 is; None otherwise."""
    for kind, year in kinds_named(text):
        held = [d for d in register if d.kind == kind and d.quote and register.quotable_on(d.number, day)
                and (year is None or year in _year(d))]
        if not held:
            return f"{kind} năm {year}" if year else kind
    return None


def outside_topic(law: Law, text: str) -> Optional[str]:
    """The topic outside the register (``outside.yml``) the question names ("giấy phép xây dựng"), None when none."""
    norm = " " + " ".join(syllables(text)) + " "
    return next((topic for phrase, topic in law.outside.items() if phrase and f" {phrase} " in norm), None)


def _counter(ward: Optional[Dict[str, Any]]) -> str:
    return f"Anh/chị hỏi cán bộ tại Bộ phận Một cửa của phường{_contact(ward or {})} để được hướng dẫn chính xác."


def _status_text(register: Register, document: Any, day: dt.date) -> str:
    """Why a registered document is not quoted on ``day`` (replaced, expired, not yet in force, not checked)."""
    status = register.status_on(document.number, day)
    successor = register.get(status.by) if status.by else None
    said = {"replaced": (f"đã được thay bằng {successor.name if successor else status.by} từ {_vn_date(status.start)}"
                         if status.start else "đã hết hiệu lực"),
            "expired": "đã hết hiệu lực", "not_yet": f"chưa có hiệu lực (từ {_vn_date(status.start)})" if status.start else "chưa có hiệu lực",
            }.get(status.status, "có trong danh mục nhưng em chưa có nội dung đã đối chiếu để trích dẫn")
    return f"{document.kind} {document.number} ({document.title}) {said}. Em không trích dẫn nội dung văn bản này."


def _change_ahead(register: Register, number: str, day: dt.date, within: Optional[int] = None) -> Optional[str]:
    """The warning about the next change the register knows for ``number`` after ``day`` (replaced, amended, expired),
    None when there is none (or, with ``within``, none in that many days)."""
    coming = register.next_change(number, day)
    if not coming or (within is not None and (coming[2] - day).days > within):
        return None
    kind, by, start = coming
    successor = register.get(by) if by else None
    if kind == REPLACED and successor:
        return f"⚠️ Từ {_vn_date(start)} áp dụng {successor.name} thay cho văn bản này."
    if kind == AMENDED and by:
        return f"⚠️ Từ {_vn_date(start)} văn bản này được sửa đổi bởi {by}."
    if kind == EXPIRED:
        return f"⚠️ Văn bản này hết hiệu lực từ {_vn_date(start)}."
    return None


# "Luật Hộ tịch 2014 còn hiệu lực không", "luật tiếp công dân có hiệu lực từ khi nào", "NĐ 20/2021 còn áp dụng không" (on
# the text without marks; "ko" written as is)
IN_FORCE_ASKED = re.compile(
    r"\b(?:con|da|co|het|bat dau co|bat dau) hieu luc (?:khong|ko|k|chua|nua khong|nua ko|tu (?:khi|ngay|luc|thang|nam) nao"
    r"|tu bao gio|den (?:khi|ngay|luc) nao|den bao gio)\b"
    r"|\bhieu luc (?:tu|den|thi hanh tu) (?:khi|ngay|luc|thang|nam) nao\b|\bhieu luc (?:tu|den) bao gio\b"
    r"|\b(?:khi|ngay|luc) nao (?:co|het|bat dau co) hieu luc\b|\bcon hieu luc\b"
    r"|\bcon (?:ap dung|dung duoc|duoc ap dung|duoc dung)(?: nua)? (?:khong|ko|k)\b")


def _document_asked(register: Register, text: str, day: dt.date) -> Tuple[Optional[Any], Optional[str]]:
    """The registered document a question names, by number ("60/2014") or by title and year ("Luật Hộ tịch 2014"; by
    title alone: the one in force on ``day``, else the latest); or None and the title and year asked when the register
    holds that title but not that year ("Luật Đất đai 2013")."""
    for asked in numbers_asked(text):
        matches = registered(register, asked)
        if matches:
            return matches[0], None
    for title, year, documents in laws_named(register, text):
        current = [d for d in documents if register.quotable_on(d.number, day)]
        if year is not None:
            if not any(year in _year(d) for d in documents):
                return (current[-1] if current else None), f"{title} năm {year}"
            documents = [d for d in documents if year in _year(d)]
            current = [d for d in current if year in _year(d)]
        if documents:
            return (current or sorted(documents, key=lambda d: (d.issued or dt.date.min, d.number)))[-1], None
    return None, None


def in_force_asked(text: str) -> bool:
    """Whether ``text`` asks if something is in force ("… còn hiệu lực không", "… còn áp dụng không")."""
    return bool(IN_FORCE_ASKED.search(_plain(text)))


WHICH_DOCUMENT = ("Anh/chị muốn hỏi hiệu lực của văn bản nào ạ? Anh/chị gõ tên hoặc số hiệu văn bản, ví dụ: \"Luật Cư trú "
                  "còn hiệu lực không\", \"Nghị định 20/2021 còn áp dụng không\".")


def in_force_answer(law: Law, text: str, day: dt.date, ward: Optional[Dict[str, Any]] = None) -> Optional[Answer]:
    """Whether a document the question names is in force on ``day``, from the register's dates (each read in the
    document's own entry-into-force article, named in ``checked``), with the next change the register knows; None when
    the question does not ask that of a registered document. Only a document in force is cited, and only by the
    article its date was read in, retrieved and checked like any citation."""
    if not in_force_asked(text):
        return None
    register = law.register
    numbers = numbers_asked(text)
    if numbers and not any(registered(register, asked) for asked in numbers):
        return Answer(unknown_document_text(numbers[0]))  # "Luật 999/2099 còn hiệu lực không"
    document, unheld = _document_asked(register, text, day)
    if unheld:  # "Luật Đất đai 2013": not a text the register holds; say which one it holds, and nothing of the other
        now = f" Văn bản đang áp dụng là {document.name}, có hiệu lực từ {_vn_date(document.in_force)}." if document else ""
        return Answer(f"Danh mục văn bản đang áp dụng của phường không có {unheld}, nên em không nói về hiệu lực của văn bản "
                      f"đó.{now} {_counter(ward)}")
    if document is None:
        return None
    status = register.status_on(document.number, day)
    name = document.name
    if status.status not in (IN_FORCE, AMENDED):
        return Answer(f"{_status_text(register, document, day)} {_counter(ward)}")
    lines = [f"{name} có hiệu lực từ {_vn_date(document.in_force)} và đang được áp dụng (ngày {_vn_date(day)})."]
    in_force_amendments = [c for c in document.amended_by if c.start and c.start <= day]
    if in_force_amendments:  # the latest three, and how many in all
        latest = sorted(in_force_amendments, key=lambda c: c.start)[-3:][::-1]
        count = f"{len(in_force_amendments)} văn bản, gần nhất là " if len(in_force_amendments) > 3 else ""
        lines.append(f"Đã được sửa đổi, bổ sung bởi {count}" + ", ".join(
            f"{c.document} (từ {_vn_date(c.start)})" for c in latest) + ".")
    ahead = _change_ahead(register, document.number, day)
    if ahead:
        lines.append(ahead)
    article = re.match(r"\s*Điều (\d+)", document.checked or "")
    citation = None
    if article and document.quote:
        number = int(article.group(1))
        found = law.articles.get(document.number, number)
        hits = [Hit(found, CONFIDENCE, 1.0)] if found is not None else []
        if found is not None and check_citation(register, document.number, number, day, hits):
            citation = {"document": document.number, "article": number, "passage": None, "sentence": None, "score": 1.0}
    checked = re.sub(r"\s*\([^()]*\.(?:md|txt)\)", "", document.checked or "")  # not the corpus file's path
    lines.append(f"Nguồn: {name}, {checked}." if checked else "Nguồn: danh mục văn bản của phường.")
    return Answer("\n".join(lines), citation=citation)


def unknown_document_text(asked: str) -> str:
    return (f"Em không tìm thấy văn bản số {asked} trong danh mục văn bản pháp luật của phường, nên em không giải thích "
            "nội dung của nó. Anh/chị kiểm tra lại số hiệu (ví dụ: Nghị định 118/2025/NĐ-CP) hoặc hỏi cán bộ tại Bộ phận Một cửa.")


def retrieve(law: Law, text: str, day: dt.date, procedure: Any = None, procedures: Optional[Dict[str, Any]] = None) -> List[Hit]:
    """The articles in force on ``day`` that best answer ``text``, the conversation's or named procedure's bases first."""
    return ranked(law, text, day, procedure, procedures)[0]


def ranked(law: Law, text: str, day: dt.date, procedure: Any = None,
           procedures: Optional[Dict[str, Any]] = None) -> Tuple[List[Hit], Optional[str]]:
    """:func:`retrieve`'s articles, and the topic outside the register (``outside.yml``) the question is about: one that
    outranks every article, or one whose phrase the question names ("xuất khẩu lao động") unless an article outscores
    it by far ("đi xuất khẩu lao động 2 năm có bị xóa hộ khẩu không" is the residence law's)."""
    favour = favoured_documents([procedure, *_named_procedures(text, procedures or {})])
    said = " " + " ".join(syllables(text)) + " "
    hits, topics = law.index.rank(text, day, k=RETRIEVED * 2, favour=favour)
    hits = [h for h in hits if _about_said(law.register.get(h.article.document), said)][:RETRIEVED]
    named = outside_topic(law, text)
    if named and (named in law.lookups or topics.get(named, 0.0) >= OUTSIDE_NAMED):
        return hits, named
    best = max(topics, key=topics.get, default=None)
    return hits, best if best is not None and topics[best] > OUTSIDE_MARGIN else None


def _about_said(document: Any, said: str) -> bool:
    """Whether a question (its syllables, space-framed) names the group a document is about, or it is about no group:
    the Luật Người khuyết tật answers "con khuyết tật đi học", not "đăng ký cho con vào lớp 1"."""
    about = document.about if document is not None else ()
    return not about or any(f" {' '.join(syllables(word))} " in said for word in about)


@LEGAL_SECONDS.time()
def answer_question(law: Law, text: str, day: dt.date, *, procedure: Any = None,
                    procedures: Optional[Dict[str, Any]] = None, ward: Optional[Dict[str, Any]] = None) -> Answer:
    """The answer to a legal question asked on ``day``."""
    register = law.register
    procedures = procedures or {}
    text = (text or "").strip()[:1000]
    if not normalize(text):
        return Answer("Anh/chị muốn hỏi quy định nào ạ? Ví dụ: \"sinh con bao lâu phải đi khai sinh\".")
    status = in_force_answer(law, text, day, ward)
    if status is not None:  # "Luật Hộ tịch 2014 còn hiệu lực không": the register's dates, not a search of the articles
        return status
    named: List[str] = []  # documents the question names by number (their title words are added to the search)
    by_title: List[str] = []  # ... or by title (already in the question)
    for asked in numbers_asked(text):
        matches = registered(register, asked)
        if not matches:
            return Answer(unknown_document_text(asked))
        quotable = [d for d in matches if d.quote and register.quotable_on(d.number, day)]
        if not quotable:
            return Answer(f"{_status_text(register, matches[0], day)} {_counter(ward)}")
        named += [d.number for d in quotable]
    if not named:
        for title, year, documents in laws_named(register, text):
            if year is not None:
                documents = [d for d in documents if year in _year(d)]
                if not documents:  # "Luật Đất đai 2013": not the one in the register
                    current = [d for d in register if d.title == title and register.quotable_on(d.number, day)]
                    now = f" Văn bản đang áp dụng là {current[0].name}." if current else ""
                    return Answer(f"{title} năm {year} không phải văn bản đang áp dụng trong danh mục của phường, nên em không "
                                  f"trích dẫn.{now} {_counter(ward)}")
            quotable = [d for d in documents if d.quote and register.quotable_on(d.number, day)]
            if not quotable:
                in_force = [d for d in documents if register.quotable_on(d.number, day)]
                current = [d for d in register if d.title == title and d.quote and register.quotable_on(d.number, day)]
                now = f" Hiện nay áp dụng {current[0].name}." if current and not in_force else ""
                return Answer(f"{_status_text(register, (in_force or documents)[-1], day)}{now} {_counter(ward)}")
            by_title += [d.number for d in quotable][:1]
    plain = _plain(text)
    if OWN_CASE.search(plain) and STATUS_ASKED.search(plain):
        return Answer("Tình trạng hồ sơ, đơn thư của riêng anh/chị thì chỉ cơ quan tiếp nhận tra được, không có trong văn bản "
                      "pháp luật. Anh/chị gửi mã hồ sơ (in trên giấy hẹn) để em tra, hoặc hỏi Bộ phận Một cửa của phường"
                      f"{_contact(ward or {})}.")
    if not named and not by_title and (PROVINCIAL.search(plain) or (PROVINCE_NAMED.search(plain) and quantity_asked(text))):
        return Answer("Mức hoặc quy định riêng của tỉnh nằm trong văn bản của HĐND/UBND tỉnh Quảng Ninh, em chưa có văn bản "
                      f"đó để trích dẫn. {_counter(ward)}")
    if not named and not by_title:
        kind = unheld_kind(register, text, day)
        if kind:  # "Pháp lệnh hòa giải ở cơ sở năm 1998", "Luật Hộ khẩu năm 2019": not a text the ward's register holds
            return Answer(f"Em không có {kind[0].lower() + kind[1:]} mà anh/chị nhắc trong danh mục văn bản đang áp dụng của "
                          f"phường, nên em không trích dẫn. {_counter(ward)}")
    article_number = article_asked(text) if named or by_title else None
    if article_number is not None:  # "Điều 99 Luật Căn cước": that article, or none at all
        document = register.get((named or by_title)[0])
        article = law.articles.get(document.number, int(article_number) if article_number.isdigit() else article_number)
        if article is None:
            missing = (f"Em chưa có nội dung đã đối chiếu của Điều {article_number} {document.name}" if document.ocr else
                       f"Em không thấy Điều {article_number} trong {document.name} (văn bản không có điều này, hoặc điều này "
                       "đã được bãi bỏ)")
            return Answer(f"{missing}, nên em không trích dẫn. {_counter(ward)}")
        passage = passage_asked(text)
        repeal = document.repealed(article.number, passage[0], passage[1], day) if passage else None
        if repeal is not None:  # "theo điểm b khoản 5 Điều 5 NĐ 20/2021 hiện hành": that passage is no longer law
            where = f"{'điểm ' + passage[1] + ' ' if passage[1] else ''}khoản {passage[0]} Điều {article_number}"
            return Answer(f"{where[0].upper() + where[1:]} {document.name} đã bị bãi bỏ từ {_vn_date(repeal.start)} "
                          f"({repeal.checked}), nên em không trích dẫn. {_counter(ward)}")
        found = [h for h in law.index.search(text, day, k=len(law.index.articles)) if h.article.key == article.key]
        hits = found or [Hit(article, CONFIDENCE, 1.0)]
    elif named or by_title:  # the question names a document: its articles only
        query = " ".join([text] + [register.get(n).title for n in named])
        hits = [h for h in law.index.search(query, day, k=50) if h.article.document in named + by_title][:RETRIEVED]
    else:
        hits, topic = ranked(law, text, day, procedure, procedures)
        if topic:  # "xin giấy phép xây dựng", "nghĩa vụ quân sự": no registered document covers it
            return Answer(f"Câu hỏi về {topic} nằm ngoài các văn bản pháp luật em có để trích dẫn. {_counter(ward)}", hits=hits)
    if article_number is not None and hits and not confident(hits[0]):
        hits = [Hit(hits[0].article, CONFIDENCE, 1.0)]  # named by the citizen: no guess involved
    if not hits or not confident(hits[0]):
        return Answer(NOT_SURE.format(contact=_contact(ward or {})), hits=hits)
    hit = hits[0]
    article = hit.article
    if not check_citation(register, article.document, article.number, day, hits):
        return Answer(NOT_SURE.format(contact=_contact(ward or {})), hits=hits)
    kind = quantity_asked(text)

    def states(candidate: Hit) -> bool:
        return states_quantity(candidate.article, law.index.guides.get(candidate.article.key), kind)

    if kind and article_number is None and not states(hit):
        # a close runner-up that states the figure asked answers it ("mức trợ cấp hưu trí xã hội theo Nghị định 176/2025
        # là bao nhiêu": the sum's article, not the decree's scope, which the title words favour)
        stating = next((h for h in hits[1:3] if h.score >= NEAR * hit.score and states(h)), None)
        if stating is None or not check_citation(register, stating.article.document, stating.article.number, day, hits):
            asked = {"money": "Số tiền cụ thể anh/chị hỏi (lệ phí, mức đóng, mức phạt...)",
                     "percent": "Tỷ lệ phần trăm anh/chị hỏi", "area": "Diện tích cụ thể anh/chị hỏi"}[kind]
            return Answer(f"{asked} không có trong các văn bản em đã đối chiếu, nên em không trích dẫn. {_counter(ward)}",
                          hits=hits)
        hit, article = stating, stating.article
    document = register.get(article.document)
    # the register warns the text lacks a later amendment it does not hold: "mức chuẩn trợ giúp xã hội hiện nay" is
    # quoted from the 2021 original, whose sums a later decree changed
    unread = [a.document for a in document.amended_by
              if not getattr(register.get(a.document), "quote", False)] if kind in ("money", "percent") and document.caveat else []
    if unread:
        return Answer(f"Con số anh/chị hỏi có thể đã được sửa bởi {', '.join(unread)} mà em chưa có toàn văn để đối chiếu, "
                      f"nên em không trích dẫn con số cũ. {_counter(ward)}", hits=hits)
    label, sentence = best_sentence(article, text, skip=lambda p: document.repealed(article.number, p.clause, p.point, day) is not None)
    if not sentence:  # every passage of the article is repealed on that day
        return Answer(NOT_SURE.format(contact=_contact(ward or {})), hits=hits)
    where = f"{label} Điều {article.number}".strip()
    lines = [f"Theo {where} {document.name} ({article.heading}):", f"“{sentence}”"]
    guide = law.index.guides.get(article.key)
    if guide and guide.explain:
        lines.append(f"Nói gọn: {guide.explain}")
    if guide and guide.duty:
        lines.append("Đây là thời hạn người dân phải tự đi làm, không phải thời gian cơ quan giải quyết hồ sơ.")
    if document.caveat:
        lines.append(f"Lưu ý: văn bản trích là {document.caveat}.")
    ahead = _change_ahead(register, document.number, day, within=SOON_DAYS)
    if ahead:
        lines.append(ahead)
    linked = _linked_procedure(law, hit, procedures, procedure)
    buttons = _procedure_buttons(linked) if linked else []
    if linked:
        lines.append(f"Thủ tục liên quan: {linked.name}.")
    citation = {"document": document.number, "article": article.number, "passage": label, "sentence": sentence,
                "score": round(hit.score, 2)}
    return Answer("\n".join(lines), buttons, linked.id if linked else None, citation, hits)
