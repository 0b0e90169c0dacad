"""Resolving a message to a procedure of the light list (bot/catalogue/procedure_list.py) that has no full entry.

The catalogue's own resolver (:mod:`nlu.procedure_index`, in the Rasa pipeline) comes first; this one is asked only
when it found nothing, so a procedure the ward does not handle ("làm hộ chiếu", "thành lập công ty") is named with
who handles it instead of a guess. The same :class:`~nlu.procedure_index.ProcedureIndex` does the matching, over each
listed procedure's official name and its hand-written aliases; procedures that have a catalogue entry are left out
(the catalogue's resolver answers for them). A phrase several procedures share yields them all.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

from bot.catalogue.procedure_list import Listed
from nlu.procedure_index import Entry, ProcedureIndex


class ListedResolver:
    """Phrase index over the light list's procedures without a catalogue entry; build once, query per message."""

    def __init__(self, items: Iterable[Listed]) -> None:
        self.items: Dict[str, Listed] = {item.code: item for item in items if not item.entry}
        self.index = ProcedureIndex(Entry(item.code, item.code, item.name, tuple(item.phrases()))
                                    for item in self.items.values())

    def resolve(self, text: str) -> List[Listed]:
        """The listed procedures ``text`` names: none, one, or several that fit equally well."""
        found = self.index.resolve(text or "")
        if found is None:
            return []
        return [self.items[code] for code in (found.candidates or [found.id])]


@lru_cache(maxsize=2)
def listed_resolver(items: Tuple[Listed, ...]) -> ListedResolver:
    """One resolver per list (the catalogue repository hands the same tuple until the list is loaded again)."""
    return ListedResolver(items)


def catalogue_index(catalogue_dir: Path, list_dir: Optional[Path] = None) -> ProcedureIndex:
    """The catalogue's resolver as the NLU pipeline's ``ProcedureResolver`` builds it at training time."""
    from bot.catalogue.procedures import index_records, load_catalogue

    return ProcedureIndex.from_records(index_records(load_catalogue(Path(catalogue_dir))))
