"""``motcua load``: validate ``data/`` and load it into the SQLite database."""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import yaml

from bot import yamltext
from bot.catalogue.counters import load_counters
from bot.catalogue.procedure_list import load_procedure_list
from bot.catalogue.procedures import CatalogueError, load_catalogue
from bot.community.areas import load_areas
from bot.community.guides import load_guides
from bot.dossiers.records import DossierError, normalise
from bot.legal.articles import load_articles
from bot.legal.register import check_catalogue, load_register
from bot.services import Services
from bot.settings import Settings


def load_ward(path: Path) -> Dict:
    """The ward's own facts from ``data/ward.yml``."""
    data = yamltext.load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not data.get("name"):
        raise CatalogueError(Path(path), "name", "is required")
    return data


def load_all(settings: Settings) -> Dict[str, int]:
    """Validate and load the catalogue, the legal register (every catalogue legal_basis must be one of its entries),
    the ward facts, its counters (``counters.yml`` beside the ward file) and the sample dossiers; returns counts."""
    procedures = load_catalogue(settings.catalogue_dir)
    register = load_register(settings.legal_dir / "register.yml")
    check_catalogue(register, procedures, settings.catalogue_dir)
    articles = load_articles(settings.legal_dir / "articles", register)
    store = Services.open(settings.db_path)
    listed = load_procedure_list(settings.catalogue_dir.parent / "procedure_list", procedures)
    counts = {"procedures": store.catalogue.replace(procedures), "listed procedures": store.catalogue.replace_listed(listed),
              "legal documents": len(register.documents), "articles": len(articles)}
    if settings.ward_file.exists():
        store.catalogue.set_ward(load_ward(settings.ward_file))
    counters_file = settings.ward_file.with_name("counters.yml")
    if counters_file.exists():
        layout, stored = load_counters(counters_file, procedures)
        store.catalogue.set_counters(stored)
        counts["counters"] = len(layout.counters)
    areas_file = settings.ward_file.parent / "areas.yml"  # community teams: checked here, read where used
    if areas_file.exists():
        try:
            counts["areas"] = len(load_areas(areas_file).areas)
            counts["guides"] = len(load_guides(settings.ward_file.parent / "guides"))
        except (ValueError, KeyError, TypeError, yaml.YAMLError) as error:
            raise CatalogueError(areas_file.parent, "areas.yml / guides", str(error)) from None
    demo = settings.samples_dir / "demo_dossiers.yml"
    if demo.exists():
        rows = (yamltext.load(demo.read_text(encoding="utf-8")) or {}).get("dossiers", [])
        for index, row in enumerate(rows):
            try:
                normalise(row)
            except DossierError as error:
                raise CatalogueError(demo, f"dossiers[{index}].{error.field}", error.problem) from None
        store.dossiers.upsert(rows, "demo")
        counts["dossiers"] = len(rows)
    return counts
