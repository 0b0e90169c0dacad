"""Files the assistant sends: a minimal Word document (.docx) built from lines of text.

Zalo's OA file message takes only PDF, DOC and DOCX, and Word files open on every phone, so the
procedure guide goes out as .docx on every channel. The file is the smallest valid Office Open XML
package (content types, one relationship, one document part), written with the standard library.
"""

from __future__ import annotations

import io
import zipfile
from typing import Iterable
from xml.sax.saxutils import escape

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/>'
    "</Relationships>"
)
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _paragraph(text: str, bold: bool = False) -> str:
    run_props = "<w:rPr><w:b/></w:rPr>" if bold else ""
    return f'<w:p><w:r>{run_props}<w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'


def docx(lines: Iterable[str]) -> bytes:
    """A .docx with one paragraph a line; the first line and lines in CAPITALS are bold."""
    paragraphs = []
    for i, line in enumerate(lines):
        clean = "".join(ch for ch in line if ch.isprintable() or ch == "\t")
        paragraphs.append(_paragraph(clean, bold=(i == 0 or (clean.isupper() and len(clean) > 3))))
    body = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{_W}"><w:body>{"".join(paragraphs)}</w:body></w:document>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        package.writestr("_rels/.rels", _RELS)
        package.writestr("word/document.xml", body)
    return buffer.getvalue()


def docx_text(content: bytes) -> str:
    """The text of a .docx made by :func:`docx`, one line a paragraph (for tests and previews)."""
    import re
    from xml.sax.saxutils import unescape

    with zipfile.ZipFile(io.BytesIO(content)) as package:
        xml = package.read("word/document.xml").decode("utf-8")
    return "\n".join(
        unescape("".join(re.findall(r"<w:t[^>]*>(.*?)</w:t>", p))) for p in re.findall(r"<w:p>(.*?)</w:p>", xml)
    )
