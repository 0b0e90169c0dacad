"""After a full test run: grep its logs for the fixtures' personal data (issue 14).

`make test` writes every log record of both test phases to ``var/test-logs/`` (tests/conftest.py, when
``MOTCUA_TEST_LOG_DIR`` is set), each process masking as a deployed one does (bot/logs.py). This prints each
applicant name, phone number or ID number of the sample data (data/samples/) found there and exits 1 if any is.

    .venv/bin/python -m tests.leak_check var/test-logs
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path
from typing import Iterable, List, Set

from bot.yamltext import load
from nlu.normalize import strip_diacritics

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"


def personal_data() -> Set[str]:
    """The names, phones and ID numbers of the sample dossiers (as written, and phones as bare digits)."""
    found: Set[str] = set()
    for item in (load((SAMPLES / "demo_dossiers.yml").read_text(encoding="utf-8")) or {}).get("dossiers", []):
        found |= {str(item.get(k) or "") for k in ("applicant_name", "applicant_phone", "applicant_id_number")}
    with open(SAMPLES / "ho_so_mau_utf8.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))[2:]
    header = rows[0]
    for row in rows[1:]:
        cells = dict(zip(header, row))
        found |= {cells.get("Người nộp", ""), cells.get("Số điện thoại", ""), cells.get("Số CCCD", "")}
    found = {f.strip() for f in found if len(f.strip()) >= 6}
    return found | {re.sub(r"\D", "", f) for f in found if re.fullmatch(r"[\d .]+", f)}


def fold(text: str) -> str:
    return strip_diacritics(text).lower()


def leaks(files: Iterable[Path], data: Set[str]) -> List[str]:
    """Every (file, datum) where the datum (or a name without its diacritics) stands in the file."""
    names = {fold(d): d for d in data if not re.search(r"\d", d)}
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        folded = fold(text)
        found += [f"{path.name}: {d}" for d in sorted(data) if d in text]
        found += [f"{path.name}: {original} (without diacritics)" for name, original in sorted(names.items())
                  if re.search(rf"\b{re.escape(name)}\b", folded) and original not in text]
    return found


def main(argv: List[str]) -> int:
    folder = Path(argv[0]) if argv else ROOT / "var" / "test-logs"
    files = sorted(folder.glob("*.log"))
    if not files:
        print(f"Không có nhật ký kiểm thử trong {folder}.", file=sys.stderr)
        return 1
    found = leaks(files, personal_data())
    for line in found:
        print(f"Lộ dữ liệu cá nhân trong nhật ký: {line}", file=sys.stderr)
    print(f"Nhật ký kiểm thử: {len(files)} tệp, {sum(f.stat().st_size for f in files):,} byte; "
          f"{'không có' if not found else len(found)} dữ liệu cá nhân của mẫu.")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
