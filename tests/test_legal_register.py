"""The legal register (data/legal/): validation, status on a date, and `motcua load` refusing a catalogue legal basis
that is not one of its entries."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from bot import cli
from bot.catalogue.procedures import CatalogueError, load_catalogue
from bot.legal.articles import load_articles
from bot.legal.register import RegisterError, check_catalogue, load_register
from bot.loader import load_all
from bot.settings import Settings

SETTINGS = Settings.from_env(env={})
REGISTER = load_register(SETTINGS.legal_dir / "register.yml")


def test_civil_status_law_is_replaced_on_1_march_2027():
    assert REGISTER.status_on("60/2014/QH13", dt.date(2026, 11, 28)).status == "in_force"
    later = REGISTER.status_on("60/2014/QH13", dt.date(2027, 3, 2))
    assert (later.status, later.by, later.start) == ("replaced", "03/2026/QH16", dt.date(2027, 3, 1))
    assert REGISTER.status_on("03/2026/QH16", dt.date(2026, 11, 28)).status == "not_yet"
    assert REGISTER.status_on("03/2026/QH16", dt.date(2027, 3, 1)).status == "in_force"


def test_amended_expiring_and_unknown_documents():
    residence = REGISTER.status_on("68/2020/QH14", dt.date(2026, 11, 28))
    assert (residence.status, residence.by, residence.start) == ("amended", "118/2025/QH15", dt.date(2026, 7, 1))
    assert REGISTER.status_on("66.22/2026/NQ-CP", dt.date(2027, 2, 28)).status == "in_force"
    assert REGISTER.status_on("66.22/2026/NQ-CP", dt.date(2027, 3, 1)).status == "expired"
    assert REGISTER.status_on("999/2025/NĐ-CP", dt.date(2026, 11, 28)).status == "unknown"
    assert REGISTER.status_on("23/2015/NĐ-CP", dt.date(2026, 11, 28)).status == "unknown"  # not in the corpus: unconfirmed
    assert REGISTER.get("118/2025/nđ-cp").number == "118/2025/NĐ-CP"


def test_every_dated_entry_names_the_article_that_gives_its_date():
    for document in REGISTER:
        if document.in_force:
            assert document.checked, document.number
        if not document.verified:
            assert document.notes, document.number


def test_articles_are_split_by_clause_and_point():
    articles = load_articles(SETTINGS.legal_dir / "articles", REGISTER)
    duty = articles.get("60/2014/QH13", 15)
    assert duty.heading == "Trách nhiệm đăng ký khai sinh"
    assert duty.passages[0].clause == 1 and duty.passages[0].text.startswith("Trong thời hạn 60 ngày kể từ ngày sinh con")
    fees = articles.get("60/2014/QH13", 11)
    assert [p.label for p in fees.passages][:3] == ["khoản 1", "điểm a khoản 1", "điểm b khoản 1"]
    assert len(articles) > 800 and not any("[1]" in a.text for a in articles.all)


def test_an_article_an_amending_law_inserted_is_its_own_article():
    """"Điều 3a" of Luật Tiếp công dân (inserted by a later law) is quoted as Điều 3a, not as the end of Điều 3."""
    articles = load_articles(SETTINGS.legal_dir / "articles", REGISTER)
    form = articles.get("42/2013/QH13", "3a")
    assert form.heading == "Hình thức tiếp công dân"
    assert "Tiếp công dân trực tuyến" in form.text
    assert "Hình thức tiếp công dân" not in articles.get("42/2013/QH13", 3).text
    assert articles.get("42/2013/QH13", 4) is not None  # numbering goes on after the inserted article
    assert [a.number for a in articles.all if a.document == "123/2015/NĐ-CP" and str(a.number).startswith("28")] == [28, "28a", "28b", "28c"]


def test_a_register_error_names_the_file_and_the_field(tmp_path):
    data = yaml.safe_load((SETTINGS.legal_dir / "register.yml").read_text(encoding="utf-8"))
    data["documents"][0]["in_force"] = "01/01/2016"
    path = tmp_path / "register.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RegisterError) as error:
        load_register(path)
    assert str(path) in str(error.value) and "documents[0].in_force" in str(error.value)


@pytest.fixture()
def data_copy(tmp_path) -> Settings:
    """A copy of data/procedures and data/legal, and settings pointing at it."""
    shutil.copytree(SETTINGS.catalogue_dir, tmp_path / "procedures")
    shutil.copytree(SETTINGS.legal_dir, tmp_path / "legal")
    return dataclasses.replace(SETTINGS, catalogue_dir=tmp_path / "procedures", legal_dir=tmp_path / "legal",
                               db_path=tmp_path / "motcua.db", samples_dir=tmp_path / "none")


def _set_basis(settings: Settings, procedure: str, number: str) -> Path:
    path = settings.catalogue_dir / f"{procedure}.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["legal_basis"][0]["document"] = number
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_every_catalogue_basis_is_in_the_register():
    check_catalogue(REGISTER, load_catalogue(SETTINGS.catalogue_dir), SETTINGS.catalogue_dir)


def test_load_rejects_a_basis_not_in_the_register(data_copy, monkeypatch, capsys):
    path = _set_basis(data_copy, "dang-ky-khai-sinh", "999/2025/NĐ-CP")
    with pytest.raises(CatalogueError) as error:
        load_all(data_copy)
    assert str(path) in str(error.value) and "legal_basis[0].document" in str(error.value)
    assert not data_copy.db_path.exists() or "999/2025" not in data_copy.db_path.read_bytes().decode("latin-1")
    monkeypatch.setenv("MOTCUA_CATALOGUE", str(data_copy.catalogue_dir))
    monkeypatch.setenv("MOTCUA_LEGAL", str(data_copy.legal_dir))
    monkeypatch.setenv("MOTCUA_DB", str(data_copy.db_path))
    assert cli.main(["load"]) == 2
    assert "999/2025/NĐ-CP" in capsys.readouterr().err


def test_load_counts_the_register(data_copy):
    counts = load_all(data_copy)
    assert counts["legal documents"] == len(REGISTER.documents) and counts["articles"] > 800
