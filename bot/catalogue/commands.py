"""``motcua catalogue import | list | report``: portal records into the catalogue, the light list, the review."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, TextIO

from bot import yamltext
from bot.catalogue.importer import RecordError, draft, import_records, read_records, record_date, report_changes
from bot.catalogue.procedure_list import list_file
from bot.catalogue.procedures import CatalogueError, load_catalogue
from bot.settings import Settings
from bot.timeutil import now_vn

_WRITTEN = re.compile(r"(\d{4}-\d{2}-\d{2})")


def list_dir(settings: Settings) -> Path:
    """Where the light list lives: ``data/procedure_list/`` beside the catalogue."""
    return settings.catalogue_dir.parent / "procedure_list"


def _date(text: Optional[str]) -> Optional[dt.date]:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CatalogueError(Path("--date"), "date", f"phải có dạng YYYY-MM-DD, nhận {text!r}") from None


def run_import(settings: Settings, records: List[str], day: Optional[str], dry_run: bool, out: TextIO,
               only: Optional[str] = None) -> int:
    """Import records into the catalogue and print the review (what is new, what changed, what was refused).

    ``only``: comma-separated record-owned fields (e.g. "legal_basis") to read again into existing entries."""
    fields = [f.strip() for f in only.split(",") if f.strip()] if only else None
    changes, problems = import_records([Path(r) for r in records], settings.catalogue_dir, _date(day), write=not dry_run,
                                       only=fields)
    out.write(report_changes(changes, problems) + "\n")
    if dry_run:
        out.write("(chạy thử: chưa ghi tệp nào)\n")
    return 0 if changes or not problems else 1


def _bare(name: str) -> str:
    """A procedure's name without its level ("(thực hiện tại cấp tỉnh)"), lower case: twins at two levels compare equal."""
    return re.sub(r"\s*\(thực hiện tại[^)]*\)|\s+", " ", name).strip().lower()


def run_list(settings: Settings, records: List[str], day: Optional[str], output: str, title: str, out: TextIO,
             level: str = "xã", fields: Optional[str] = None) -> int:
    """Write the light list of the records' procedures at ``level`` (the word the record's "cấp thực hiện" holds:
    "xã" for the commune's, "tỉnh" for the province's that citizens ask the ward about), only of ``fields`` (separated by
    ";": field names hold commas) when given: code, name, field, level, who handles it."""
    wanted = {f.strip() for f in fields.split(";") if f.strip()} if fields else None
    by_code = {}
    ward_names = set()  # the ward's procedures (catalogue, and the light list's at commune level), by bare name
    for path in sorted(settings.catalogue_dir.glob("*.yml")):
        data = yamltext.load(path.read_text(encoding="utf-8")) or {}
        if data.get("code"):
            by_code.setdefault(str(data["code"]), data["id"])
        ward_names.add(_bare(str(data.get("name") or "")))
    listed_elsewhere = set()  # codes another list file of the same folder holds (hand-written items keep their aliases)
    for other in sorted(Path(output).parent.glob("*.yml")):
        if other.resolve() != Path(output).resolve():
            listed = [i for i in (yamltext.load(other.read_text(encoding="utf-8")) or {}).get("items") or [] if isinstance(i, dict)]
            listed_elsewhere |= {str(i.get("code")) for i in listed}
            ward_names |= {_bare(str(i.get("name") or "")) for i in listed if i.get("ward")}
    items: List[Dict[str, Any]] = []
    refused = 0
    for path, record in read_records([Path(r) for r in records]):
        levels = str(record.get("cap_thuc_hien") or "")
        if level not in levels or (level != "xã" and "xã" in levels):  # a commune record belongs to the commune's list
            continue
        if wanted is not None and str(record.get("linh_vuc") or "").strip() not in wanted:
            continue
        try:
            item = draft(record, str(path), record_date(record, _date(day)))
        except RecordError as error:
            out.write(f"- bỏ qua: {error}\n")
            refused += 1
            continue
        d = item.data
        # a province twin of a procedure the ward handles ("Trình báo mất thẻ ABTC (thực hiện tại cấp tỉnh)") is left out:
        # citizens asking it get the ward's; so is a code another list holds
        if (level != "xã" and (item.ward or _bare(d["name"]) in ward_names)) or d["code"] in listed_elsewhere:
            continue
        items.append({"code": d["code"], "name": d["name"], "field": d["field"], "level": d["level"], "handled_by": item.handled_by,
                      "ward": item.ward, "entry": by_code.get(d["code"]), "record": "/".join(Path(path).parts[-2:])})
    items.sort(key=lambda i: (not i["ward"], i["field"], i["code"]))
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(list_file(items, title, None, _date(day)), encoding="utf-8")
    ward = sum(i["ward"] for i in items)
    out.write(f"Đã ghi {len(items)} thủ tục vào {target} ({ward} do phường/công an phường giải quyết, {len(items) - ward} nơi khác; "
              f"{refused} bản ghi bỏ qua).\n")
    return 0


def _source_day(path: Path, data: Dict[str, Any]) -> Optional[dt.date]:
    imported = (data.get("imported") or {}).get("date")
    if imported:
        return dt.date.fromisoformat(str(imported))
    first = path.read_text(encoding="utf-8").splitlines()[0] if path.stat().st_size else ""
    match = _WRITTEN.search(first) if first.startswith("#") else None
    return dt.date.fromisoformat(match.group(1)) if match else None


def report(directory: Path, today: dt.date) -> str:
    """Entries by verification state and by the age of their source."""
    load_catalogue(directory)  # the report is of a valid catalogue
    groups: Dict[str, List[tuple]] = {"đã kiểm tra": [], "nhập tự động, chưa kiểm tra": [], "viết tay, chưa kiểm tra": []}
    for path in sorted(Path(directory).glob("*.yml")):
        data = yamltext.load(path.read_text(encoding="utf-8"))
        state = "đã kiểm tra" if data.get("verified") else ("nhập tự động, chưa kiểm tra" if data.get("imported") else "viết tay, chưa kiểm tra")
        day = _source_day(path, data)
        groups[state].append((data["id"], data.get("code"), day, (today - day).days if day else None))
    total = sum(len(v) for v in groups.values())
    lines = [f"Danh mục: {total} thủ tục"]
    for state, rows in groups.items():
        ages = [r[3] for r in rows if r[3] is not None]
        buckets = {"≤ 90 ngày": sum(a <= 90 for a in ages), "91–180 ngày": sum(90 < a <= 180 for a in ages),
                   "> 180 ngày": sum(a > 180 for a in ages), "không rõ ngày": len(rows) - len(ages)}
        ages_text = ", ".join(f"{k}: {v}" for k, v in buckets.items() if v)
        lines.append(f"- {state}: {len(rows)}" + (f" (nguồn {ages_text})" if ages_text else ""))
    oldest = sorted((r for rows in groups.values() for r in rows if r[3] is not None), key=lambda r: -r[3])[:5]
    if oldest:
        lines.append("Nguồn cũ nhất: " + "; ".join(f"{r[0]} ({r[2].isoformat()}, {r[3]} ngày)" for r in oldest))
    return "\n".join(lines)


def run_report(settings: Settings, out: TextIO, today: Optional[dt.date] = None) -> int:
    out.write(report(settings.catalogue_dir, today or now_vn().date()) + "\n")
    return 0


def run_command(settings: Settings, args: Any, out: TextIO) -> int:
    """The ``motcua catalogue`` subcommands; a bad file or date gets a message, not a traceback."""
    import sys

    try:
        if args.action == "import":
            return run_import(settings, args.records, args.date, args.dry_run, out, getattr(args, "only", None))
        if args.action == "list":
            return run_list(settings, args.records, args.date, args.out, args.title, out, getattr(args, "level", "xã"),
                            getattr(args, "fields", None))
        return run_report(settings, out)
    except (CatalogueError, RecordError, OSError) as error:
        print(f"Lỗi: {error}", file=sys.stderr)
        return 2
