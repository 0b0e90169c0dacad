"""Resolving a message to a procedure of the light list (bot/catalogue/procedure_list.py) that has no full entry.

The catalogue's own resolver (:mod:`nlu.procedure_index`, in the Rasa pipeline) comes first; this one is asked only
when it found nothing, so a procedure the ward does not handle ("làm hộ chiếu", "thành lập công ty") is named with
who handles it instead of a guess. The same :class:`~nlu.procedure_index.ProcedureIndex` does the matching, over each
listed procedure's official name and its hand-written aliases; procedures that have a catalogue entry are left out
(the catalogue's resolver answers for them). A phrase several procedures share yields them all.

The catalogue's resolver is guarded by the list (:class:`CatalogueResolver`, what the NLU pipeline runs): when the
message names a listed procedure more precisely than the catalogue phrase it matched ("làm thẻ tạm trú cho vợ người
Hàn" holds the catalogue's "tạm trú"; "xin phiếu lý lịch tư pháp để đi xuất khẩu lao động" holds the situation of
khai báo tạm vắng), the catalogue names nothing and the listed procedure is named with who handles it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

from bot.catalogue.procedure_list import Listed, short_names
from nlu.procedure_index import FILLER, SCATTER_FACTOR, Entry, ProcedureIndex, Resolution, phrase_key


class ListedResolver:
    """Phrase index over the light list's procedures without a catalogue entry; build once, query per message."""

    def __init__(self, items: Iterable[Listed]) -> None:
        self.items: Dict[str, Listed] = {item.code: item for item in items if not item.entry}
        self.index = ProcedureIndex(Entry(item.code, item.code, item.name, tuple(item.phrases()))
                                    for item in self.items.values())
        # the short forms of official names (procedure_list.short_names): named only when the message holds them whole
        # ("đăng ký hộ kinh doanh" is not "giấy chứng nhận đăng ký kinh doanh" with a word in between)
        self._short = {phrase_key(form) for item in self.items.values() for form in short_names(item.name) if not item.ward}

    def match(self, text: str) -> Optional[Resolution]:
        """How the list's phrase index matches ``text`` (None: it names no listed procedure)."""
        return self.index.resolve(text or "")

    def resolve(self, text: str) -> List[Listed]:
        """The listed procedures ``text`` names: none, one, or several that fit equally well."""
        found = self.index.resolve(text or "")
        if found is None or (not found.exact and found.phrase in self._short):
            return []
        items = [self.items[code] for code in (found.candidates or [found.id])]
        curated = [item for item in items if item.aliases]  # a tie with a hand-written item (it has aliases): that one
        return curated or items


@lru_cache(maxsize=2)
def listed_resolver(items: Tuple[Listed, ...]) -> ListedResolver:
    """One resolver per list (the catalogue repository hands the same tuple until the list is loaded again)."""
    return ListedResolver(items)


def _informative(phrase: str) -> frozenset:
    return frozenset(token for token in phrase.split() if token not in FILLER)


def prefer_listed(catalogue: Resolution, listed: Resolution) -> bool:
    """True when a listed procedure's phrase (two informative words or more) names the message more precisely than the
    catalogue's match: it holds all of the catalogue phrase's words and more ("thẻ tạm trú" over "tạm trú", "khai thuế
    hộ kinh doanh" over "hộ kinh doanh"), or the catalogue matched only a situation (a life event) or scattered words,
    with no more informative words than the listed phrase, and the listed phrase matched no less exactly."""
    mine, theirs = _informative(listed.phrase), _informative(catalogue.phrase)
    if len(mine) < 2 or listed.score < 100.0 * SCATTER_FACTOR:  # a typo'd (fuzzy) listed match never wins
        return False
    if theirs < mine and (listed.exact or len(mine - theirs) >= 2):  # scattered words: two more at least
        return True
    if catalogue.exact and not listed.exact:
        return False
    return (catalogue.event or not catalogue.exact) and len(mine) >= len(theirs)


class CatalogueResolver:
    """The catalogue's resolver guarded by the light list's (see :func:`prefer_listed`); ``listed`` None: unguarded."""

    def __init__(self, catalogue: ProcedureIndex, listed: Optional[ProcedureIndex] = None) -> None:
        self.catalogue = catalogue
        self.listed = listed

    def resolve(self, text: str) -> Optional[Resolution]:
        found = self.catalogue.resolve(text)
        if found is None or self.listed is None:
            return found
        other = self.listed.resolve(text)
        # words that are also another ward procedure's name ("đăng ký kinh doanh" in "quán ăn làm ăn thua lỗ, trả giấy
        # đăng ký kinh doanh") do not hand the message to a procedure handled elsewhere; words the match shares with
        # it ("thông báo tạm ngừng kinh doanh" of a company) are weighed by prefer_listed
        if other is None or (other.phrase != found.phrase and self.catalogue.names(other.phrase)):
            return found
        return None if prefer_listed(found, other) else found


def listed_index(catalogue_dir: Path, list_dir: Path) -> Optional[ProcedureIndex]:
    """The light list's phrase index (procedures without a catalogue entry), None when there is no list."""
    from bot.catalogue.procedure_list import load_procedure_list
    from bot.catalogue.procedures import load_catalogue

    if not Path(list_dir).exists():
        return None
    items = load_procedure_list(Path(list_dir), load_catalogue(Path(catalogue_dir)))
    return ListedResolver(items.values()).index if items else None


def catalogue_index(catalogue_dir: Path, list_dir: Optional[Path] = None) -> CatalogueResolver:
    """The catalogue's resolver as the NLU pipeline's ``ProcedureResolver`` builds it at training time."""
    from bot.catalogue.procedures import index_records, load_catalogue

    catalogue = ProcedureIndex.from_records(index_records(load_catalogue(Path(catalogue_dir))))
    return CatalogueResolver(catalogue, listed_index(catalogue_dir, list_dir) if list_dir is not None else None)
