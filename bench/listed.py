"""How many messages about a procedure the ward does not handle are named with who handles it.

The messages labelled ``outside: true`` in a held-out set (default bench/data/catalogue_heldout_v4.yml, written
blind): each goes through what the assistant does, without the model: the catalogue's resolver first (the NLU's
``procedure`` entity, guarded by the list as the pipeline's), then, when it found nothing, the light list's (actions/listed.py). Prints counts only, never
a message (the set stays blind): named with an office outside the ward, named as a ward procedure, taken by a
catalogue entry, named nothing; and, over the set's other messages, how many the light list would send elsewhere.

    nice -n 19 .venv/bin/python -m bench.listed [--set bench/data/catalogue_heldout_v4.yml]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import yaml

from bot.catalogue.procedure_list import load_procedure_list
from bot.catalogue.procedures import load_catalogue
from nlu.listed import CatalogueResolver, ListedResolver, catalogue_index

ROOT = Path(__file__).resolve().parent.parent


def outcome(text: str, catalogue: CatalogueResolver, listed: ListedResolver) -> str:
    """What the assistant would do with ``text``: catalogue | outside | ward | none."""
    if catalogue.resolve(text) is not None:
        return "catalogue"
    found = listed.resolve(text)
    if not found:
        return "none"
    return "ward" if any(item.ward for item in found) else "outside"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", default=str(ROOT / "bench" / "data" / "catalogue_heldout_v4.yml"))
    args = parser.parse_args()
    procedures = load_catalogue(ROOT / "data" / "procedures")
    catalogue = catalogue_index(ROOT / "data" / "procedures", ROOT / "data" / "procedure_list")  # as the pipeline builds it
    listed = ListedResolver(load_procedure_list(ROOT / "data" / "procedure_list", procedures).values())
    messages = (yaml.safe_load(Path(args.set).read_text(encoding="utf-8")) or {}).get("messages", [])
    outside = Counter(outcome(str(m.get("text") or ""), catalogue, listed) for m in messages if m.get("outside") is True)
    inside = Counter(outcome(str(m.get("text") or ""), catalogue, listed) for m in messages if m.get("outside") is not True)
    total = sum(outside.values())
    print(f"{Path(args.set).name}: {total} messages labelled outside the ward, {sum(inside.values())} others")
    print(f"  named with an office outside the ward: {outside['outside']}/{total}")
    print(f"  named as a procedure the ward handles: {outside['ward']}")
    print(f"  taken by a catalogue entry:            {outside['catalogue']}")
    print(f"  named nothing:                         {outside['none']}")
    print(f"others sent to an office outside the ward by the list: {inside['outside']} "
          f"(named as a listed ward procedure: {inside['ward']})")


if __name__ == "__main__":
    main()
