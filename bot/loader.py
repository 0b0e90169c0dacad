"""``motcua load``: validate ``data/`` and load it into the SQLite database."""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import yaml

from bot.catalogue.procedure_list import load_procedure_list
from bot.catalogue.procedures import CatalogueError, load_catalogue
from bot.community.areas import load_areas
from bot.community.guides import load_guides
from bot.dossiers.records import DossierError, normalise
from bot.services import Services
from bot.settings import Settings


def load_ward(path: Path) -> Dict:
    """The ward's own facts from ``data/ward.yml``."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not data.get("name"):
        raise CatalogueError(Path(path), "name", "is required")
    return data


def load_all(settings: Settings) -> Dict[str, int]:
    """Validate and load the catalogue, the ward facts and the sample dossiers; returns counts."""
    procedures = load_catalogue(settings.catalogue_dir)
    store = Services.open(settings.db_path)
    listed = load_procedure_list(settings.catalogue_dir.parent / "procedure_list", procedures)
    counts = {"procedures": store.catalogue.replace(procedures), "listed procedures": len(listed)}
    if settings.ward_file.exists():
        store.catalogue.set_ward(load_ward(settings.ward_file))
    areas_file = settings.ward_file.parent / "areas.yml"  # community teams: checked here, read where used
    if areas_file.exists():
        try:
            counts["areas"] = len(load_areas(areas_file).areas)
            counts["guides"] = len(load_guides(settings.ward_file.parent / "guides"))
        except (ValueError, KeyError, TypeError, yaml.YAMLError) as error:
            raise CatalogueError(areas_file.parent, "areas.yml / guides", str(error)) from None
    demo = settings.samples_dir / "demo_dossiers.yml"
    if demo.exists():
        rows = (yaml.safe_load(demo.read_text(encoding="utf-8")) or {}).get("dossiers", [])
        for index, row in enumerate(rows):
            try:
                normalise(row)
            except DossierError as error:
                raise CatalogueError(demo, f"dossiers[{index}].{error.field}", error.problem) from None
        store.dossiers.upsert(rows, "demo")
        counts["dossiers"] = len(rows)
    return counts
