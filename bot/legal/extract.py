"""Split a legal text of the corpus into Điều / khoản / điểm, reproducibly: ``python -m bot.legal.extract``.

The corpus (``../shared/legal-corpus``, outside the repository) holds the state's texts as plain text (one
paragraph a line) or, for older documents, as OCR copies (whole chapters on one line, recognition errors). For
every register entry with ``quote: true`` this writes ``data/legal/articles/<slug>.yml``: each article's number,
heading, chapter, clauses (khoản) and points (điểm), with the corpus path it came from. An OCR copy is never
quoted as recognised: only the articles proofread by hand in ``data/legal/proofread/<slug>.yml`` (checked
against the OCR text, line by line) are written, and they replace the OCR text.

Consolidated texts (VBHN) carry footnote markers (``[12]``) and the footnotes after the last article; the markers
are dropped and the footnotes cut, so a quote reads as the law does.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

import yaml

from bot import yamltext
from bot.settings import ROOT

CORPUS = ROOT.parent / "shared" / "legal-corpus"
LEGAL_DIR = ROOT / "data" / "legal"

ARTICLE = re.compile(r"^Điều (\d+)\.\s*(.*)$")
# an article inserted by an amending law ("Điều 3a.", after Điều 3): its own article, numbered "3a"
INSERTED = re.compile(r"^Điều (\d+)([a-zđ])\.\s*(.*)$")
CHAPTER = re.compile(r"^(?:Chương|CHƯƠNG) ([IVXLC]+)\b")
SECTION = re.compile(r"^(?:Mục|MỤC) \d+\b")
CLAUSE = re.compile(r"^(\d+)\.\s+(.*)$")
POINT = re.compile(r"^([a-zđ])\)\s+(.*)$")
FOOTNOTE = re.compile(r"\[\d+\]")
FOOTNOTES_START = re.compile(r"^\[\d+\]\s")
# where the body ends: the signatures, the list of recipients, the annexed forms
END = re.compile(r"^(?:Nơi nhận|PHỤ LỤC|Phụ lục(?: [IVX\d]+)?$|Mẫu số|MẪU SỐ|TM\. CHÍNH PHỦ|TM\. ỦY BAN|KT\. BỘ TRƯỞNG|BỘ TRƯỞNG$|XÁC THỰC VĂN BẢN)")
HEADING_MAX = 220


def clean_line(line: str) -> str:
    """NFC, no footnote markers, single spaces."""
    line = unicodedata.normalize("NFC", line)
    line = FOOTNOTE.sub("", line)
    return " ".join(line.split())


def body_lines(text: str) -> List[str]:
    """The text's lines up to its footnotes (a consolidated text lists them after the last article)."""
    lines: List[str] = []
    for raw in text.splitlines():
        if (FOOTNOTES_START.match(raw.strip()) or END.match(raw.strip())) and any(ARTICLE.match(x) for x in lines):
            break
        line = clean_line(raw)
        if line:
            lines.append(line)
    return lines


def split_articles(lines: List[str]) -> Iterator[Tuple[Union[int, str], str, Optional[str], List[str]]]:
    """(number, heading, chapter, body lines) of each article, in order; an "Điều N." line counts only when N
    follows the previous article's number (a line quoting another law's article is part of the text); an inserted
    "Điều Na." right after article N (or another inserted one) is an article of its own, numbered "Na"."""
    chapter: Optional[str] = None
    current: Optional[Tuple[Union[int, str], str, Optional[str], List[str]]] = None
    expected = 1
    for index, line in enumerate(lines):
        match, inserted = ARTICLE.match(line), INSERTED.match(line)
        if (match and int(match.group(1)) == expected) or (inserted and int(inserted.group(1)) == expected - 1):
            if current:
                yield current
            if match:
                expected = int(match.group(1)) + 1
                current = (int(match.group(1)), match.group(2).strip().rstrip("."), chapter, [])
            else:
                current = (f"{inserted.group(1)}{inserted.group(2)}", inserted.group(3).strip().rstrip("."), chapter, [])
            continue
        chap = CHAPTER.match(line)
        if chap:
            title = lines[index + 1] if index + 1 < len(lines) and not ARTICLE.match(lines[index + 1]) else ""
            chapter = f"Chương {chap.group(1)}" + (f". {title}" if title and title.isupper() else "")
            continue
        if current and not SECTION.match(line) and not (line.isupper() and len(line) < 120):
            current[3].append(line)
    if current:
        yield current


def structure(number: Union[int, str], heading: str, chapter: Optional[str], body: List[str]) -> Dict[str, Any]:
    """One article as stored: its lines, and its clauses with their points."""
    clauses: List[Dict[str, Any]] = []
    intro: List[str] = []
    for line in body:
        clause, point = CLAUSE.match(line), POINT.match(line)
        if clause and (not clauses or int(clause.group(1)) == clauses[-1]["clause"] + 1 or int(clause.group(1)) == 1):
            clauses.append({"clause": int(clause.group(1)), "text": clause.group(2), "points": []})
        elif point and clauses:
            clauses[-1]["points"].append({"point": point.group(1), "text": point.group(2)})
        elif clauses:
            target = clauses[-1]["points"][-1] if clauses[-1]["points"] else clauses[-1]
            target["text"] += "\n" + line
        else:
            intro.append(line)
    article: Dict[str, Any] = {"article": number, "heading": heading[:HEADING_MAX], "chapter": chapter,
                               "text": "\n".join(body)}
    if intro and clauses:
        article["intro"] = "\n".join(intro)
    if clauses:
        for clause in clauses:
            if not clause["points"]:
                del clause["points"]
        article["clauses"] = clauses
    return article


def extract(document: Dict[str, Any], corpus: Path = CORPUS, legal_dir: Path = LEGAL_DIR) -> Dict[str, Any]:
    """The articles file of one register entry (``number``, ``text``, optional ``proofread``/``only``)."""
    source = corpus / document["text"]
    proofread_path = legal_dir / "proofread" / f"{document['slug']}.yml"
    if document.get("ocr"):
        if not proofread_path.exists():
            raise SystemExit(f"{document['number']}: an OCR copy needs {proofread_path}")
        proof = yamltext.load(proofread_path.read_text(encoding="utf-8"))
        lines: List[str] = []
        for item in proof["articles"]:
            lines.append(f"Điều {item['article']}. {item['heading']}")
            lines.extend(clean_line(x) for x in item["text"].strip().splitlines() if x.strip())
        articles = []
        numbers = [item["article"] for item in proof["articles"]]
        for index, line in enumerate(lines):
            match = ARTICLE.match(line)
            if match and int(match.group(1)) in numbers:
                end = next((j for j in range(index + 1, len(lines)) if ARTICLE.match(lines[j])
                            and int(ARTICLE.match(lines[j]).group(1)) in numbers), len(lines))
                item = proof["articles"][numbers.index(int(match.group(1)))]
                articles.append(structure(item["article"], item["heading"], item.get("chapter"), lines[index + 1:end]))
        note = f"proofread by hand from the OCR copy ({proofread_path.relative_to(ROOT)})"
    else:
        articles = [structure(*parts) for parts in split_articles(body_lines(source.read_text(encoding="utf-8")))]
        note = "plain text as published"
    only = set(document.get("only") or [])
    if only:
        articles = [a for a in articles if a["article"] in only]
    return {"document": document["number"], "source": str(Path("../shared/legal-corpus") / document["text"]),
            "made_by": "python -m bot.legal.extract", "note": note, "articles": articles}


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Extract the quotable articles of the register's documents.")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--legal", type=Path, default=LEGAL_DIR)
    parser.add_argument("numbers", nargs="*", help="only these document numbers")
    args = parser.parse_args(argv)
    register = yamltext.load((args.legal / "register.yml").read_text(encoding="utf-8"))
    for document in register["documents"]:
        if not document.get("quote") or (args.numbers and document["number"] not in args.numbers):
            continue
        out = extract(document, args.corpus, args.legal)
        path = args.legal / "articles" / f"{document['slug']}.yml"
        path.write_text(yaml.dump(out, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100000), encoding="utf-8")
        print(f"{document['number']}: {len(out['articles'])} articles -> {path.relative_to(args.legal.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
