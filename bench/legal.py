"""Bench the legal answers: right document and article first / in the top 3 / first and quoted
(cleared the confidence bar), no citation on unanswerable questions,
retrieval latency (p50/p95 ms), for the assistant's retrieval and, in the same run, for the anchor (plain BM25 over the
raw article text: no titles, headings, people's questions or bigrams).

    .venv/bin/python bench/legal.py --heldout FILE [--date 2026-11-28] [--json]

FILE: YAML ``questions: [{text, answerable, document, article}]``. Never tune on the held-out file;
bench/data/legal_dev.yml is the development set.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.catalogue.procedures import load_catalogue  # noqa: E402
from bot.legal.answers import answer_question, check_citation, confident, retrieve  # noqa: E402
from bot.legal.library import Law  # noqa: E402
from bot.legal.register import NOT_YET, number_key  # noqa: E402
from bot.legal.search import plain_bm25  # noqa: E402
from bot.settings import Settings  # noqa: E402


def percentile(values: List[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else 0.0


def same(hit: Any, item: Dict[str, Any]) -> bool:
    return number_key(hit.article.document) == number_key(str(item["document"])) and str(hit.article.number) == str(item["article"])


def measure(name: str, items: List[Dict[str, Any]], search: Callable[[str], list], cites: Callable[[str, list], bool],
            future: Callable[[Dict[str, Any]], bool] = lambda item: False) -> Dict[str, Any]:
    """``future``: whether an item is labelled with a text not yet in force on the question's date. No such article may
    be quoted (the assistant names the text and the day it applies from instead), so those items are counted apart:
    ``future_silent`` is the share answered without a citation; first / top 3 are over the other answerable items."""
    first = top3 = cited = answerable = unanswerable = silent = later = later_silent = 0
    times: List[float] = []
    misses: List[str] = []
    for item in items:
        start = time.perf_counter()
        hits = search(item["text"])
        times.append((time.perf_counter() - start) * 1000)
        if item.get("answerable", True) and future(item):
            later += 1
            later_silent += not cites(item["text"], hits)
        elif item.get("answerable", True):
            answerable += 1
            first += bool(hits) and same(hits[0], item)
            top3 += any(same(h, item) for h in hits[:3])
            cited += bool(hits) and same(hits[0], item) and cites(item["text"], hits)  # the right article, and quoted
            if not (hits and same(hits[0], item)):
                misses.append(f"{item['text']} -> " + (f"{hits[0].article.document} Điều {hits[0].article.number}" if hits else "-"))
        else:
            unanswerable += 1
            silent += not cites(item["text"], hits)
    return {"name": name, "answerable": answerable, "first": first / max(answerable, 1), "top3": top3 / max(answerable, 1),
            "cited": cited / max(answerable, 1),
            "unanswerable": unanswerable, "no_citation": silent / max(unanswerable, 1),
            "future": later, "future_silent": later_silent / max(later, 1),
            "p50_ms": round(percentile(times, 0.5), 2), "p95_ms": round(percentile(times, 0.95), 2), "misses": misses}


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heldout", required=True, type=Path, help="YAML: questions: [{text, answerable, document, article}]")
    parser.add_argument("--date", default="2026-11-28", help="the day the questions are asked (law in force that day)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--misses", action="store_true", help="list the questions whose first article is wrong")
    args = parser.parse_args(argv)
    items = (yaml.safe_load(args.heldout.read_text(encoding="utf-8")) or {}).get("questions") or []
    day = dt.date.fromisoformat(args.date)
    settings = Settings.from_env(env={})
    law = Law(settings.legal_dir)
    procedures = load_catalogue(settings.catalogue_dir)
    law.index  # built before timing
    anchor = plain_bm25(law.register, law.articles)

    def ours(text: str) -> list:
        return retrieve(law, text, day, None, procedures)

    def ours_cites(text: str, hits: list) -> bool:
        return answer_question(law, text, day, procedures=procedures).citation is not None

    def plain(text: str) -> list:
        return anchor.search(text, day, k=5)

    def plain_cites(text: str, hits: list) -> bool:  # the same bar and check, on the anchor's scores
        return bool(hits) and confident(hits[0]) and check_citation(law.register, hits[0].article.document,
                                                                             hits[0].article.number, day, hits)

    def future(item: Dict[str, Any]) -> bool:  # labelled with a registered text that is not yet in force that day
        document = law.register.get(str(item.get("document") or ""))
        return document is not None and law.register.status_on(document.number, day).status == NOT_YET

    results = [measure("motcua", items, ours, ours_cites, future), measure("anchor: plain BM25", items, plain, plain_cites, future)]
    if args.json:
        print(json.dumps({"file": str(args.heldout), "date": args.date, "questions": len(items),
                          "results": [{k: v for k, v in r.items() if k != "misses"} for r in results]}, ensure_ascii=False, indent=1))
    else:
        print(f"{args.heldout}: {len(items)} questions, law in force on {args.date}")
        print(f"{'':20} {'first':>6} {'top 3':>6} {'cited':>6} {'no cite (unans.)':>17} {'p50 ms':>7} {'p95 ms':>7}")
        for r in results:
            print(f"{r['name']:20} {r['first']:6.0%} {r['top3']:6.0%} {r['cited']:6.0%} {r['no_citation']:10.0%} of {r['unanswerable']:<3} "
                  f"{r['p50_ms']:7.2f} {r['p95_ms']:7.2f}")
        if results[0]["future"]:
            print(f"labelled with a text not yet in force ({results[0]['future']}, not in first / top 3): answered without a "
                  f"citation {results[0]['future_silent']:.0%}")
    if args.misses:
        for r in results:
            print(f"\n{r['name']} misses:\n  " + "\n  ".join(r["misses"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
