"""The words officials' exports and platforms use for a dossier's values, read the same way by ``motcua import``
(spreadsheet_import.py) and ``motcua sync`` (platform_sync.py).

    fold("Trực tuyến  toàn trình") == "truc tuyen toan trinh"
    submission("Trực tuyến toàn trình") == ("online", "full");  submission("Bưu chính") == ("post", None)
    online_level("Một phần") == "partial";  flag("Có") == 1
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Optional, Tuple

# how the dossier was submitted (Biểu 07a's columns: fully online, partly online, by post, in person), folded
SUBMISSIONS = {
    "truc tuyen toan trinh": ("online", "full"), "toan trinh": ("online", "full"), "online/full": ("online", "full"),
    "dich vu cong truc tuyen toan trinh": ("online", "full"),
    "truc tuyen mot phan": ("online", "partial"), "mot phan": ("online", "partial"), "online/partial": ("online", "partial"),
    "dich vu cong truc tuyen mot phan": ("online", "partial"),
    "truc tuyen": ("online", None), "online": ("online", None), "qua mang": ("online", None), "dich vu cong": ("online", None),
    "dich vu cong truc tuyen": ("online", None),
    "buu chinh": ("post", None), "qua buu chinh": ("post", None), "qua dich vu buu chinh": ("post", None),
    "buu chinh cong ich": ("post", None), "buu dien": ("post", None), "post": ("post", None),
    "truc tiep": ("in_person", None), "tai quay": ("in_person", None), "in person": ("in_person", None),
    "nop truc tiep": ("in_person", None), "tai bo phan mot cua": ("in_person", None),
}
LEVELS = {"toan trinh": "full", "truc tuyen toan trinh": "full", "full": "full",
          "mot phan": "partial", "truc tuyen mot phan": "partial", "partial": "partial"}
YES = {"co", "x", "da", "1", "true", "yes", "da so hoa", "co so hoa"}
NO = {"khong", "chua", "0", "false", "no", "chua so hoa", "khong so hoa"}


def fold(text: Any) -> str:
    """Lowercase, no accents, đ -> d, punctuation to spaces, single spaces: "Ngày  hẹn trả:" -> "ngay hen tra"."""
    text = unicodedata.normalize("NFD", str(text or "")).replace("đ", "d").replace("Đ", "D")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn").lower()
    return " ".join(re.sub(r"[^\w/]+", " ", text).replace("_", " ").split())


def submission(value: Any) -> Tuple[Any, Optional[str]]:
    """(submission_channel, online_level or None) for a channel as written; an unknown text comes back as it was
    (the dossier's own check then names it)."""
    return SUBMISSIONS.get(fold(value), (value, None))


def online_level(value: Any) -> Any:
    """full | partial for a level as written ("Toàn trình", "Một phần"); an unknown text comes back as it was."""
    return LEVELS.get(fold(value), value)


def flag(value: Any) -> Any:
    """1 or 0 for "Có"/"Không" (x, đã/chưa, true/false, 1/0); anything else comes back as it was."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return int(value)
    key = fold(value)
    return 1 if key in YES else 0 if key in NO else value
