"""The procedure catalogue: the real files load, and a bad edit is reported by file and field."""

import datetime as dt
from pathlib import Path

import pytest
import yaml

from bot.catalogue.procedures import CatalogueError, fees_on, load_catalogue
from bot.settings import Settings

CATALOGUE = Settings.from_env(env={}).catalogue_dir


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(CATALOGUE)


def test_catalogue_holds_the_wards_common_procedures(catalogue):
    assert len(catalogue) >= 40
    fields = {p.field for p in catalogue.values()}
    for needed in ("Hộ tịch", "Chứng thực", "Cư trú"):
        assert any(needed.lower() in f.lower() for f in fields), needed


def test_every_procedure_names_its_sources_and_legal_basis(catalogue):
    for procedure in catalogue.values():
        assert procedure.sources, procedure.id
        assert procedure.legal_basis, procedure.id
        assert procedure.verified or procedure.notes, procedure.id
        assert procedure.documents, procedure.id


def test_aliases_people_use_are_present(catalogue):
    aliases = {alias.lower() for p in catalogue.values() for alias in p.aliases}
    for alias in ("gks", "sổ đỏ", "cccd", "hkd"):
        assert alias in aliases, alias


def test_residence_fee_exemption_follows_circular_117(catalogue):
    procedure = catalogue["dang-ky-thuong-tru"]
    during = fees_on(procedure, dt.date(2026, 11, 24))
    after = fees_on(procedure, dt.date(2027, 3, 1))
    assert any(f.valid_to == dt.date(2027, 2, 28) and f.condition for f in during)
    assert not any(f.valid_to == dt.date(2027, 2, 28) for f in after)
    assert after, "the normal fee rule still applies after the exemption ends"


def _write(folder: Path, name: str, data) -> None:
    (folder / f"{name}.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _valid(catalogue):
    return dict(catalogue["dang-ky-khai-sinh"].raw)


def test_missing_field_names_file_and_field(tmp_path, catalogue):
    data = _valid(catalogue)
    del data["name"]
    _write(tmp_path, "dang-ky-khai-sinh", data)
    with pytest.raises(CatalogueError) as error:
        load_catalogue(tmp_path)
    assert "dang-ky-khai-sinh.yml" in str(error.value) and "'name'" in str(error.value)


def test_bad_fee_amount_names_the_fee(tmp_path, catalogue):
    data = _valid(catalogue)
    data["fees"] = [{"amount": "năm mươi nghìn", "text": "x"}]
    _write(tmp_path, "dang-ky-khai-sinh", data)
    with pytest.raises(CatalogueError, match=r"fees\[0\]\.amount"):
        load_catalogue(tmp_path)


def test_id_must_match_file_name(tmp_path, catalogue):
    _write(tmp_path, "khac", _valid(catalogue))
    with pytest.raises(CatalogueError, match="'id'"):
        load_catalogue(tmp_path)


def test_unverified_entry_must_say_why(tmp_path, catalogue):
    data = _valid(catalogue)
    data["verified"] = False
    data["notes"] = None
    _write(tmp_path, "dang-ky-khai-sinh", data)
    with pytest.raises(CatalogueError, match="'notes'"):
        load_catalogue(tmp_path)


def test_broken_yaml_is_reported(tmp_path):
    (tmp_path / "hong.yml").write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(CatalogueError, match="hong.yml"):
        load_catalogue(tmp_path)
