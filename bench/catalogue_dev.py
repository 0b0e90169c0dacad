"""The catalogue dev set (issue 12): procedure resolution, life events and outside naming, without the model.

bench/data/catalogue_dev.yml is a hand-written dev set (not blind: tune on it freely). Each message goes through what
the assistant does with it, minus the intent classifier: the catalogue's resolver built exactly as the NLU pipeline's
``ProcedureResolver`` builds it at training time (:func:`nlu.listed.catalogue_index`), then, when it names no catalogue
entry, the light list's (actions/listed.py). Prints the shares; ``--misses`` lists the messages missed (it is a dev
set, they may be read).

- procedure (ward messages): the catalogue entry found has the labelled code (an entry without a code is matched by
  its official name); "or offered" also counts the labelled one among numbered choices; "or listed" a light-list item
  with that code;
- outside: named with an office outside the ward (the light list), taken by a catalogue entry, or nothing.

    nice -n 19 .venv/bin/python -m bench.catalogue_dev [--misses]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Dict, List

import yaml

from bot.catalogue.procedure_list import load_procedure_list
from bot.catalogue.procedures import load_catalogue
from nlu.listed import ListedResolver, catalogue_index

ROOT = Path(__file__).resolve().parent.parent


def share(rows: List[bool]) -> str:
    return f"{100.0 * sum(rows) / len(rows):5.1f} % ({sum(rows)}/{len(rows)})" if rows else "–"


def evaluate(messages: List[Dict[str, Any]], catalogue_dir: Path, list_dir: Path) -> List[Dict[str, Any]]:
    procedures = load_catalogue(catalogue_dir)
    label_of = {p.id: (p.code or "").strip() or p.name.strip() for p in procedures.values()}
    index = catalogue_index(catalogue_dir, list_dir)
    listed = ListedResolver(load_procedure_list(list_dir, procedures).values())
    rows = []
    for m in messages:
        text = str(m.get("text") or "")
        found = index.resolve(text)
        items = [] if found else listed.resolve(text)
        offered = [label_of.get(pid, "") for pid in (found.candidates if found and found.candidates else [])]
        rows.append({
            "text": text, "diacritics": bool(m.get("diacritics")), "outside": m.get("outside") is True,
            "life_event": bool(m.get("life_event")),
            "label": str(m.get("code") or m.get("name") or "").strip(),
            "found": label_of.get(found.id, "") if found else "", "found_id": found.id if found else None,
            "matched": found.matched if found else "", "offered": offered,
            "listed": [(i.code, i.ward) for i in items],
        })
    return rows


def report(rows: List[Dict[str, Any]]) -> Dict[str, str]:
    ward = [r for r in rows if not r["outside"]]
    outside = [r for r in rows if r["outside"]]

    def hit(r: Dict[str, Any]) -> bool:
        return r["found"] == r["label"]

    def offered(r: Dict[str, Any]) -> bool:
        return hit(r) or r["label"] in r["offered"]

    def listed(r: Dict[str, Any]) -> bool:
        return offered(r) or r["label"] in [code for code, _ in r["listed"]]

    def named_outside(r: Dict[str, Any]) -> bool:
        return not r["found"] and bool(r["listed"]) and not any(ward for _, ward in r["listed"])

    return {
        "messages": f"{len(rows)} ({len(ward)} ward, {len(outside)} outside)",
        "procedure (catalogue)": share([hit(r) for r in ward]),
        "  with / without diacritics": " | ".join(share([hit(r) for r in ward if r["diacritics"] == d]) for d in (True, False)),
        "procedure (catalogue, or offered as a choice)": share([offered(r) for r in ward]),
        "procedure (… or light list with its code)": share([listed(r) for r in ward]),
        "life events (catalogue)": share([hit(r) for r in ward if r["life_event"]]),
        "life events (… or offered or listed)": share([listed(r) for r in ward if r["life_event"]]),
        "outside named with who handles it": share([named_outside(r) for r in outside]),
        "outside taken by a catalogue entry": share([bool(r["found"]) for r in outside]),
        "outside named nothing": share([not r["found"] and not r["listed"] for r in outside]),
        "ward messages sent outside by the list": share([named_outside(r) for r in ward]),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", type=Path, default=ROOT / "bench" / "data" / "catalogue_dev.yml")
    parser.add_argument("--misses", action="store_true", help="list the messages missed")
    args = parser.parse_args()
    messages = (yaml.safe_load(args.set.read_text(encoding="utf-8")) or {}).get("messages", [])
    rows = evaluate(messages, ROOT / "data" / "procedures", ROOT / "data" / "procedure_list")
    for key, value in report(rows).items():
        print(f"{key:<48} {value}")
    if args.misses:
        for r in rows:
            if r["outside"]:
                ok = not r["found"] and r["listed"] and not any(w for _, w in r["listed"])
            else:
                ok = r["found"] == r["label"] or r["label"] in r["offered"]
            if not ok:
                print(f"- {r['text']!r}\n    want {'outside' if r['outside'] else r['label']}; got {r['found_id']} "
                      f"[{r['matched']}] listed={r['listed']}")


if __name__ == "__main__":
    main()
