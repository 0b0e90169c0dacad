"""Time the procedure resolver at the full catalogue size and at the 44-entry catalogue, in the same run.

Messages: the held-out sets (bench/data/*.yml) and the training examples (data/nlu.yml). The small catalogue
is the 44 hand-written entries (those without an ``imported`` block). Prints p50/p95 per message (ms) and the
ratio full/small. Bound (issue 12): ≤ 2 ms per message at the full size.

    nice -n 19 .venv/bin/python -m bench.resolver [--repeat 3]
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from pathlib import Path

import yaml

from bot.catalogue.procedures import index_records, load_catalogue
from nlu.procedure_index import ProcedureIndex

ROOT = Path(__file__).resolve().parent.parent


def messages() -> list:
    texts = []
    for path in sorted((ROOT / "bench" / "data").glob("*.yml")):
        texts += [m["text"] for m in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("messages", [])]
    nlu = yaml.safe_load((ROOT / "data" / "nlu.yml").read_text(encoding="utf-8")) or {}
    for block in nlu.get("nlu", []):
        for line in str(block.get("examples") or "").splitlines():
            line = re.sub(r"^\s*-\s*", "", line).strip()
            line = re.sub(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}", lambda m: m.group(1) or m.group(2), line)
            if line:
                texts.append(line)
    return texts


def timings(index: ProcedureIndex, texts: list, repeat: int) -> list:
    out = []
    for _ in range(repeat):
        for text in texts:
            start = time.perf_counter()
            index.resolve(text)
            out.append((time.perf_counter() - start) * 1000)
    return out


def percentile(values: list, share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    catalogue = load_catalogue(ROOT / "data" / "procedures")
    small = {k: v for k, v in catalogue.items() if not v.raw.get("imported")}
    texts = messages()
    rows = {}
    for label, entries in (("44-entry", small), ("full", catalogue)):
        index = ProcedureIndex.from_records(index_records(entries))
        timings(index, texts[:50], 1)  # warm-up
        values = timings(index, texts, args.repeat)
        rows[label] = (len(entries), percentile(values, 0.5), percentile(values, 0.95), statistics.mean(values), max(values))
    print(f"{len(texts)} messages × {args.repeat}")
    for label, (size, p50, p95, mean, worst) in rows.items():
        print(f"{label:>9}: {size:3d} entries  p50 {p50:.3f} ms  p95 {p95:.3f} ms  mean {mean:.3f} ms  max {worst:.2f} ms")
    print(f"ratio full/44: p50 ×{rows['full'][1] / rows['44-entry'][1]:.2f}, p95 ×{rows['full'][2] / rows['44-entry'][2]:.2f}")


if __name__ == "__main__":
    main()
