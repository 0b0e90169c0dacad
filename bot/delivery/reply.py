"""What the assistant says, whether it answers in a chat or pushes a notice: text, buttons, files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List


@dataclass(frozen=True)
class Attachment:
    """A file that goes with a reply: a ``document`` (form guide) or a ``photo`` (chart)."""

    kind: str
    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"
    caption: str = ""


@dataclass
class Reply:
    """One message from the assistant: text, buttons as (title, payload), and files."""

    text: str
    buttons: List[Dict[str, str]] = field(default_factory=list)
    attachments: List[Attachment] = field(default_factory=list)

    def as_text(self) -> str:
        """The reply as plain text, buttons numbered under it, files named."""
        lines = [self.text] if self.text else []
        lines += [f"  [{b['title']}]" for b in self.buttons]
        lines += [f"  (tệp đính kèm: {a.filename})" for a in self.attachments]
        return "\n".join(lines)
