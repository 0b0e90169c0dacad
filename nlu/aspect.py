"""Which aspect of a procedure a question asks about, read from its question clauses.

A citizen's message is often a story and a question: "Chồng tôi người Nhật, giấy khai sinh của con làm ở phường bị
ghi sai tên bố, giờ sửa thế nào?". The intent classifier sees every word, and the story's words pull it off ("ở
phường" towards ``ask_where``, "giấy" towards ``ask_documents``, "tiền" towards ``ask_fee``): on the catalogue
held-out sets v4–v7 it chose the labelled aspect for only 71–80 % of the messages. The question itself says which
aspect is asked, in a few words ("sửa thế nào", "lấy ở đâu", "mất bao lâu", "cần giấy tờ gì"), so this rule reads the
question clauses only (a clause with a question word; the whole message when none has one) and looks for those cues.

One rule, used by the NLU pipeline (:class:`nlu.components.AspectClassifier`, after the classifier has decided that
the message asks about a procedure). :func:`aspect` returns an intent of :data:`ASPECTS` or ``None`` when the cues do
not decide (none, or two specific aspects: "ở đâu, mất bao nhiêu tiền").

The labels follow the intent definitions of ``domain.yml``: how to do it, whether one must or may → ``ask_procedure``;
which papers → ``ask_documents``; cost → ``ask_fee``; how long → ``ask_processing_time``; where, which office, at the
ward or online → ``ask_where``; which form, where to get it → ``ask_form``; which legal document → ``ask_legal``.
A specific aspect outranks the general "làm thế nào" ("cần giấy tờ gì, có cần bản vẽ không" asks for papers); a form
or a legal basis outranks a place ("mẫu tờ khai lấy ở đâu" asks for the form).
"""

from __future__ import annotations

import re
from typing import List, Optional

from nlu.normalize import normalize

# the aspects, most specific first (the order breaks ties in :func:`aspects`)
ASPECTS = ("ask_form", "ask_legal", "ask_fee", "ask_processing_time", "ask_documents", "ask_where", "ask_procedure")

# a clause asks something when it has a question word (on the normalised text: no diacritics, "ko" -> "khong")
QUESTION = re.compile(r"\b(?:khong|chua|gi|nao|sao|dau|bao lau|bao nhieu|may ngay|the nao|nhu nao|ai)\b")
CLAUSE_END = re.compile(r"[?.!;,\n]+")

# cues on the normalised text of the question clauses
_CUES = {
    "ask_form": [
        r"\bmau (?:don|to khai|van ban|so|ct|dk|tk|\w*\d|gi|nao|giay)",
        r"\b(?:lay|tai|xin|in|dien|kiem|download) (?:mau|to khai|bieu mau)",
        r"\b(?:mau|to khai)\b.*\b(?:download|tai ve)\b",
        r"\b(?:to khai|giay khai(?! sinh| tu))\b.*\b(?:lay|tai|mau)\b",  # not "giấy khai sinh … lấy được"
        r"\btheo mau\b|\bmau san\b|\bco mau (?:don|to khai|phieu)\b",  # "viết đơn theo mẫu không", "có mẫu sẵn" (not "màu")
        r"\bdien (?:phieu|to khai|don|mau|giay) (?:nao|gi)\b",
        r"\b(?:dung|viet|lam|ghi) (?:giay de nghi|to khai|phieu|mau) (?:nao|gi)\b",  # "dùng giấy đề nghị nào"
        r"\bdon (?:viet|ghi) (?:the nao|nhu the nao|ra sao|sao)\b",
        r"\bviet don (?:the nao|nhu the nao|ra sao|sao|nhu nao)\b",  # "muốn nhờ phường hòa giải thì viết đơn thế nào"
        r"\bto khai (?:nao|gi)\b",
        r"\bphieu\b.*\b(?:lay|tai)\b",
        r"\bbieu mau\b",
        r"\b(?:giay de nghi|don de nghi|mau don)\b.*\b(?:lay|tai)\b",  # "giấy đề nghị … lấy ở đâu"
        r"\bdien (?:the nao|nhu the nao|ra sao|sao)\b",
        # what to write in the form or the request: "văn bản đề nghị … cần ghi những gì", "viết văn bản đề nghị gì"
        r"\b(?:van ban|don|to khai|giay de nghi|phieu)\b(?: \w+){0,9} (?:ghi|viet|dien) (?:nhung )?(?:gi|noi dung gi)\b",
        r"\b(?:viet|soan) (?:van ban|don|giay)(?: de nghi)? (?:gi|nao)\b",
        r"\bto khai\b.*\bdien\b",  # "tờ khai có phải điền sẵn trước không"
    ],
    "ask_legal": [
        r"\bcan cu (?:phap ly|nao|vao|luat)\b",
        r"\bcan cu (?:\w+ ){1,2}nao\b",  # "căn cứ quy định nào", "căn cứ văn bản nào"
        r"\b(?:luat|nghi dinh|thong tu)(?: [a-z]+){0,3} (?:nao|gi) (?:quy dinh|noi|huong dan)\b",
        r"\b(?:luat|nghi dinh|thong tu) (?:nao|gi)\b",
        r"\b(?:van ban|quy dinh) nao (?:quy dinh|huong dan)\b",
        r"\btheo (?:van ban|quy dinh) nao\b",
        r"\bco so phap ly\b",
        r"\bluat quy dinh (?:the nao|nhu the nao|ra sao|sao)\b",
        r"\bquy dinh o (?:dau|van ban)\b",
        r"\bdieu (?:nao|may)\b",
        r"\b(?:quy dinh|can cu) (?:tai|o|trong|theo) (?:van ban|luat|nghi dinh|thong tu) nao\b",  # "quy định tại văn bản nào"
    ],
    "ask_fee": [
        # "phí", not "chi phí mai táng" (a benefit) nor "mai táng phí"
        # nor "trợ giúp pháp lý miễn phí", nor "hỗ trợ tiền viện phí" (a benefit asked for)
        r"(?<!chi )(?<!tang )(?<!phap ly mien )(?<!vien )\b(?:le phi|phi)\b(?! mai tang)",
        r"\bbao nhieu tien\b",
        r"\bco (?:mat|ton) (?:tien|phi)\b",  # not "mặt tiền" (a façade): both read "mat tien"
        r"\b(?:mat|ton|het) (?:tien|phi) khong\b",
        r"\b(?:phai|co phai) (?:tra|dong|nop) (?:tien|phi)\b.*\bkhong\b",  # "có phải trả tiền không"
        r"\b(?:ton|het) bao nhieu\b",
        r"\b(?:nop|dong|tra) (?:bao nhieu|le phi)\b",
        r"\bgia bao nhieu\b",
        r"\bbao nhieu (?:1|mot|moi) (?:trang|ban|to|bo)\b",  # "photo công chứng … bao nhiêu 1 trang"
        r"\btinh (?:tien|phi)\b",
        r"(?<!dieu )\bkhoan (?:tien |phi |le phi )?(?:gi|nao)\b",  # "phải nộp những khoản tiền gì", not "điều khoản nào"
        r"\btien\b.*\btinh (?:the nao|nhu the nao|ra sao|sao)\b",
    ],
    "ask_processing_time": [
        # "mất bao lâu", not a citizen's duty ("trong bao lâu phải khai tử" is ask_law, never the office's time limit)
        r"\b(?:mat|trong|la|thi|het) bao lau\b(?! (?:thi )?phai)",
        r"\bbao lau (?:thi|moi|se|co|xong|duoc|nhan|lay)\b(?! phai)",
        r"\b(?:mat|trong|lau|het|sau|duoc|la) (?:may|bao nhieu) (?:ngay|hom|tuan)\b",
        r"\b(?:may|bao nhieu) (?:ngay|hom|tuan) (?:thi|moi|la|se|co|xong|lay|nhan)\b(?!(?: co)? phai)",
        r"^(?:may|bao nhieu) (?:ngay|hom|tuan)\b",
        r"(?<!chua )(?<!khong )\b(?:bao gio|khi nao) (?:co|xong|lay|nhan)\b",  # not "chưa bao giờ có giấy khai sinh"
        r"\b(?:lay|co) (?:ngay|luon)\b",
        r"\btrong (?:ngay|buoi)\b",
        r"\bket qua\b.*\b(?:khi nao|bao gio|bao lau)\b",
    ],
    "ask_documents": [
        # not "phải làm giấy tờ gì" (which procedures) nor "chưa có giấy tờ gì" (a story)
        r"(?<!lam )(?<!chua co )(?<!khong co )\bgiay to gi\b",
        r"(?<!lam )\bgiay gi\b",
        r"\bho so (?:gom|can|co|nop)? ?(?:nhung )?(?:gi|nhung gi)\b",
        r"\b(?:can|mang|nop|chuan bi)(?: theo| kem| nhung)? (?:gi|nhung gi|giay gi|giay to gi)\b",
        r"\bcan (?:co )?nhung (?:gi|giay)\b",
        r"\bkem (?:theo )?(?:gi|nhung gi)\b",
        r"\bthanh phan ho so\b",
        r"\bho so gi\b",
        r"\b(?:can|nop|mang) (?:nhung )?chung cu gi\b",  # "nhận cha con cần chứng cứ gì"
        r"\bco can (?:giay|ban|so|hop dong|to|bang|anh|xac nhan|bien ban|mang|van ban|don|thoa thuan|hop phap hoa)\b.*\bkhong\b",  # "có cần bản án … không"
        r"\b(?:can|phai) (?:co )?(?:van ban|giay to|giay|ho so) (?:gi|nao|the nao|nhu the nao)\b",  # "cần có văn bản gì"
        r"\bco can (?:\w+ ){1,3}xac nhan gi\b",  # "có cần cơ quan xác nhận gì không"
        # "có phải nộp kết quả xét nghiệm ADN không", "có cần nộp lại bản gốc giấy chứng nhận không"
        r"\b(?:phai|can) (?:nop|mang|xuat trinh|kem)(?: lai| theo| kem| ca)? (?:ban|giay|ket qua|so|hop dong|bang|anh|to|bien ban)\b"
        r".*\bkhong\b",
        r"\bgom (?:nhung )?(?:gi|giay to gi|nhung gi)\b",  # "hồ sơ đề nghị hỗ trợ gồm những gì"
        r"\bbat buoc (?:phai )?(?:co|mang|nop|kem) (?:ban|giay|ket qua|so|hop dong|bang|anh|to|bien ban)\b",  # "bắt buộc phải có kết quả ADN không"
        r"\bxuat trinh (?:\w+ ){0,4}(?:gi|nao)\b",  # "phải xuất trình bằng cấp ngoại ngữ gì"
    ],
    "ask_where": [
        r"\bo dau\b(?! (?:ngo|nha|lang|xom|duong|pho|hem|thon|ban))",  # not "ở đầu ngõ"
        r"\b(?:ra|len|den|toi|di) dau\b",
        r"\b(?:cho|noi) nao\b",
        r"\b(?:phuong|xa|co quan|cong an|ubnd|bo phan|tinh|huyen) nao\b",  # not "quầy nào": ask_counter
        r"\b(?:o|tai) (?:phuong|xa|ubnd|uy ban|cong an|day)\b.*\bduoc khong\b",  # "ubnd" reads "uy ban nhan dan"
        r"\b(?:lam|nop|xin|dang ky|bao|khai) (?:o|tai|len|ra|ve) (?:phuong|xa|ubnd|uy ban|cong an|day|que)\b.*\bduoc khong\b",
        r"\b(?:online|truc tuyen|vneid|dich vu cong|qua mang|(?:qua|tren) (?:dien thoai|app|ung dung)|buu dien)\b.*\b(?:duoc khong|o dau|app nao|trang nao)\b",
        r"\b(?:ra|len|den|ve) (?:phuong|xa|ubnd|cong an)\b.*\bduoc khong\b",
        r"\b(?:nop|lam|dang ky) (?:truc tuyen|online|qua mang)\b.*\bkhong\b",
        r"\bco phai ve\b",
        r"\b(?:o|tai) (?:phuong|xa|uy ban|cong an|benh vien|tinh|\w+) hay (?:o|tai|len|ra) \w+",  # "ở phường hay ở bệnh viện"
        r"\bngoai (?:phuong|xa|uy ban|ubnd)\b.*\bkhong\b",  # "có làm được ở chỗ khác ngoài phường không"
        r"\bai (?:giai quyet|cap|lam|xac nhan|tiep nhan)\b",
        r"\b(?:nop|gui) (?:cho )?ai\b",
        r"\b(?:ung dung|app|trang web) nao\b",  # "thông báo lưu trú qua ứng dụng nào"
        # "phiếu lý lịch tư pháp, phường có cấp không", "phường có nhận lưu giữ di chúc không", "công an phường có làm … không"
        r"\b(?:phuong|xa|cong an(?: phuong| xa)?) co (?:lam|cap|nhan|giai quyet)(?! viec| cho)(?: \w+){0,4} khong\b",
        # in person or online: "phải ra công an phường hay làm online", "làm qua app được không hay phải lên công an"
        r"\bhay (?:la )?phai (?:ra|len|den|toi|ve) (?:phuong|xa|ubnd|uy ban|cong an)\b",
        r"\bhay (?:la )?(?:lam |nop |dang ky |sua )?(?:online|truc tuyen|qua mang|(?:tren|qua) (?:vneid|app|ung dung|dich vu cong))\b",
        r"\b(?:nop|lam|xin|dang ky|bao) (?:o|tai) (?:phuong|xa|ubnd|uy ban|cong an)\b.*\b(?:phai khong|dung khong)\b",
    ],
    "ask_procedure": [
        r"\blam (?:sao|the nao|nhu the nao|nhu nao|gi)\b",
        r"\b(?:the nao|nhu the nao|ra sao)\b",
        r"\bthu tuc\b",
        r"\bphai (?:lam|bao|dang ky|khai bao|xin)\b",
        r"\bco (?:phai|can|duoc|bi)\b.*\bkhong\b",
        r"\bbat buoc\b.*\bkhong\b",  # "có bắt buộc phải đổi không"
        r"\bco (?:lam|xin|dang ky|cap|doi) duoc\b.*\bkhong\b",  # "có làm được giấy chứng nhận căn cước không"
        r"\bcach\b",
        # may it be done at all ("đăng ký lại được không"), will an official come to the house (lưu động)
        r"\b(?:lam|lam lai|dang ky|dang ky lai|xin|xin lai|sao y|chung thuc|nhap khau|xac nhan|chuyen|cap lai|de nghi|xoa|rut"
        r"|gia han|dieu chinh|bo sung)\b"
        r".*\bduoc khong\b",  # "rút hồ sơ lại được không", "đề nghị xóa tạm trú cho họ được không"
        r"\b(?:xuong|den|len|ve|toi) (?:tan )?(?:nha|noi)\b",
        r"\b(?:co|duoc|huong) (?:che do|ho tro|tro cap|quyen loi)(?: \w+)? gi\b",  # "bị thương khi hòa giải, có chế độ gì"
        # a want with no question at all ("muốn làm giấy thông hành sang bên kia buôn bán"): how to do it
        r"\b(?:muon|can) (?:lam|xin|dang ky|thoi|chuyen|xac dinh|thu hoi|cap|nhap|mo|tach|doi|sua)\b",
    ],
}
CUES = {name: [re.compile(p) for p in patterns] for name, patterns in _CUES.items()}


def _clauses(text: str) -> List[str]:
    """The normalised clauses of ``text``, in order."""
    return [normalize(part) for part in CLAUSE_END.split(text or "") if part.strip()]


def question_clauses(text: str, clauses: Optional[List[str]] = None) -> List[str]:
    """The normalised clauses of ``text`` that ask something; the whole text when none does (``clauses``: its
    :func:`_clauses`, when already split)."""
    asked = [clause for clause in (_clauses(text) if clauses is None else clauses) if QUESTION.search(clause)]
    return asked or [normalize(text or "")]


def _with_object(clauses: List[str]) -> List[str]:
    """Each question clause joined to the clause before it: "phiếu đề nghị là mẫu TK02 à, tải ở đâu" asks where to get
    the form the first clause names."""
    return [f"{clauses[i - 1]} {clause}" for i, clause in enumerate(clauses) if i and QUESTION.search(clause)]


def aspects(text: str) -> List[str]:
    """Every aspect the question clauses of ``text`` have a cue for, in the order of :data:`ASPECTS`; a form also when
    the clause before a question names it ("..., tải ở đâu")."""
    clauses = _clauses(text)
    asked = question_clauses(text, clauses)
    found = [name for name in ASPECTS if any(cue.search(clause) for clause in asked for cue in CUES[name])]
    if "ask_form" not in found and any(cue.search(joined) for joined in _with_object(clauses) for cue in CUES["ask_form"]):
        found.insert(0, "ask_form")
    return found


def aspect(text: str) -> Optional[str]:
    """The aspect ``text`` asks about, or ``None`` when its cues do not decide."""
    found = aspects(text)
    specific = [name for name in found if name != "ask_procedure"]
    if len(specific) == 1:
        return specific[0]
    if not specific:
        return "ask_procedure" if found else None
    for name in ("ask_form", "ask_legal"):  # "mẫu … lấy ở đâu", "căn cứ luật nào, ai cấp"
        if name in specific:
            return name
    return None
