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
    the ward facts, its counters (``counters.yml`` beside the ward file) and the sample dossiers; returns counts.

    Every file is read and checked before anything is written: a broken file raises :class:`CatalogueError` (file,
    line, field) and leaves the database as it was, so a running assistant keeps serving the last good data."""
    procedures = load_catalogue(settings.catalogue_dir)
    register = load_register(settings.legal_dir / "register.yml")
    check_catalogue(register, procedures, settings.catalogue_dir)
    articles = load_articles(settings.legal_dir / "articles", register)
    listed = load_procedure_list(settings.catalogue_dir.parent / "procedure_list", procedures)
    ward = load_ward(settings.ward_file) if settings.ward_file.exists() else None
    counters_file = settings.ward_file.with_name("counters.yml")
    layout, stored_counters = load_counters(counters_file, procedures) if counters_file.exists() else (None, None)
    extra: Dict[str, int] = {}
    areas_file = settings.ward_file.parent / "areas.yml"  # community teams: checked here, read where used
    if areas_file.exists():
        guides = settings.ward_file.parent / "guides"  # read afresh: load_areas/load_guides keep what they read once
        for path, count in ((areas_file, lambda: len(load_areas.__wrapped__(areas_file).areas)),
                            (guides, lambda: len(load_guides.__wrapped__(guides)))):
            try:
                extra["areas" if path == areas_file else "guides"] = count()
            except (ValueError, KeyError, TypeError, yaml.YAMLError) as error:
                raise CatalogueError(path, "(file)", str(error)) from None
    demo = settings.samples_dir / "demo_dossiers.yml"
    rows = None
    if demo.exists():
        try:
            data = yamltext.load(demo.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as error:
            raise CatalogueError(demo, "(file)", f"is not valid YAML: {error}") from None
        rows = data.get("dossiers", []) if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise CatalogueError(demo, "dossiers", "must be a list of dossiers")
        for index, row in enumerate(rows):
            try:
                normalise(row)
            except DossierError as error:
                raise CatalogueError(demo, f"dossiers[{index}].{error.field}", error.problem) from None
            except (TypeError, AttributeError, ValueError) as error:
                raise CatalogueError(demo, f"dossiers[{index}]", f"must be a mapping of a dossier's fields ({error})") from None

    store = Services.open(settings.db_path)  # everything is valid: now write
    counts = {"procedures": store.catalogue.replace(procedures), "listed procedures": store.catalogue.replace_listed(listed),
              "legal documents": len(register.documents), "articles": len(articles)}
    if ward is not None:
        store.catalogue.set_ward(ward)
    if layout is not None:
        store.catalogue.set_counters(stored_counters)
        counts["counters"] = len(layout.counters)
    counts.update(extra)
    if rows is not None:
        store.dossiers.upsert(rows, "demo")
        counts["dossiers"] = len(rows)
    return counts
