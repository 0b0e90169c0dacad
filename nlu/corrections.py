"""Whether a message corrects what the assistant understood: "ý tôi là đăng ký khai tử", "không phải,
khai tử cơ", "nhầm rồi, tôi hỏi tạm trú".

One rule, used by the NLU pipeline (:class:`nlu.components.CorrectionClassifier` turns a correction that
names a procedure into ``ask_procedure``) and by the actions (which answer the aspect asked before). It is a
rule, not training examples: eight "ý tôi là …" examples cost the clean held-out set 0.9 points of intent
accuracy (BENCHMARKS.md).
"""

from __future__ import annotations

import re

from nlu.normalize import normalize

# on the normalised text (no diacritics, "ko" -> "khong", punctuation gone)
CORRECTION = re.compile(
    r"\by (?:toi|em|minh|tui|to|anh|chi|ta|con|chau) (?:la|hoi|muon hoi|dinh hoi)\b"  # "ý tôi là …" anywhere
    r"|^(?:(?:a|o|oi|da|ah)\s+)?(?:khong phai|nham|sai roi|hoi nham|em nham|toi nham)\b"  # opens the message
)
# "… khai tử cơ": the particle that insists on the other thing, at the very end (it has no meaning unaccented)
INSISTING_END = re.compile(r"\bcơ\s*[.!?…]*$")


def is_correction(text: str) -> bool:
    """Whether ``text`` corrects the assistant. "cho tôi hỏi …" and "khai nhầm tên" are questions, not corrections."""
    return bool(CORRECTION.search(normalize(text or "")) or INSISTING_END.search((text or "").strip().lower()))
