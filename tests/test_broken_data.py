"""A broken data file: ``motcua load`` names the file, the line and the field, writes nothing, and the database a
running assistant reads keeps the last good data. A copy of data/ in tmp_path, a real SQLite file; no model."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.catalogue.procedures import CatalogueError
from bot.loader import load_all
from bot.services import Services
from bot.settings import ROOT, Settings
from bot.yamltext import line_of

MOTCUA = ROOT / ".venv" / "bin" / "motcua"
PROCEDURE = "dang-ky-khai-sinh"


@pytest.fixture
def data(tmp_path) -> Settings:
    """Settings over a copy of data/ (the files a ward edits) and a fresh database, loaded once (the last good data)."""
    copy = tmp_path / "data"
    shutil.copytree(ROOT / "data", copy, ignore=shutil.ignore_patterns("nlu.yml", "rules.yml", "stories.yml", "proofread"))
    base = Settings.from_env(env={})
    settings = dataclasses.replace(base, db_path=tmp_path / "motcua.db", catalogue_dir=copy / "procedures",
                                   ward_file=copy / "ward.yml", samples_dir=copy / "samples", legal_dir=copy / "legal")
    load_all(settings)
    return settings


def line_number(path: Path, startswith: str, after: int = 0) -> int:
    """The 1-based number of the first line of ``path`` after line ``after`` that starts with ``startswith``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if number > after and line.startswith(startswith):
            return number
    raise AssertionError(f"{startswith!r} not in {path}")


def break_line(path: Path, old: str, new: str) -> int:
    """Replace the first line starting with ``old`` by ``new``; returns its number."""
    number = line_number(path, old)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[number - 1] = new
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return number


def snapshot(settings: Settings) -> dict:
    db = Services.open(settings.db_path).db
    return {table: db.execute(f"select * from {table} order by 1").fetchall()
            for table in ("procedures", "listed_procedures", "dossiers", "ward")
            if db[table].exists()}


def test_line_of_finds_nested_fields_and_falls_back_to_the_parent():
    text = "id: x\nfees:\n- amount: 1\n  text: a\n- amount: -5\n  text: b\nname: X\n"
    assert line_of(text, "fees[1].amount") == 5
    assert line_of(text, "fees[0]") == 3
    assert line_of(text, "name") == 7
    assert line_of(text, "fees[1].missing") == 5  # a required field that is absent: its mapping
    assert line_of(text, "nothing") is None and line_of("a: [", "a") is None and line_of("", "a") is None


def test_a_wrong_fee_is_named_by_file_line_and_field_and_nothing_is_written(data):
    before = snapshot(data)
    path = data.catalogue_dir / f"{PROCEDURE}.yml"
    number = break_line(path, "- amount: 0", "- amount: mười nghìn")
    with pytest.raises(CatalogueError) as error:
        load_all(data)
    assert error.value.path == path and error.value.line == number and error.value.field == "fees[0].amount"
    assert str(error.value).startswith(f"{path}:{number}: field 'fees[0].amount'")
    assert snapshot(data) == before


def test_a_yaml_syntax_error_names_its_line(data):
    path = data.catalogue_dir / f"{PROCEDURE}.yml"
    number = break_line(path, "fees:", "fees: [")
    with pytest.raises(CatalogueError) as error:
        load_all(data)
    assert error.value.path == path and error.value.field == "(file)" and "line" in str(error.value)
    assert f"line {number}" in str(error.value) or f"line {number + 1}" in str(error.value)


@pytest.mark.parametrize("where", ["register", "counters", "ward", "dossiers", "areas"])
def test_a_broken_file_loaded_late_still_leaves_the_database_as_it_was(data, where):
    """Before, the procedures were replaced first and a broken counters, ward or sample file stopped the load half way:
    the database mixed the new catalogue with the old rest. Now every file is checked before anything is written."""
    store = Services.open(data.db_path)  # the running assistant's view
    served = store.catalogue.procedure(PROCEDURE)
    before = snapshot(data)
    catalogue_file = data.catalogue_dir / f"{PROCEDURE}.yml"
    break_line(catalogue_file, "name:", "name: Đăng ký khai sinh (bản sửa chưa nạp)")  # a good edit...
    root = data.ward_file.parent
    if where == "register":  # ...and a broken file beside it
        target = data.legal_dir / "register.yml"
        break_line(target, "- number:", "- number: không phải số hiệu")
    elif where == "counters":
        target = root / "counters.yml"
        target.write_text("counters: 5\n", encoding="utf-8")
    elif where == "ward":
        target = root / "ward.yml"
        target.write_text("address: thiếu tên phường\n", encoding="utf-8")
    elif where == "dossiers":
        target = data.samples_dir / "demo_dossiers.yml"
        number = break_line(target, "    received_at:", "    received_at: hôm qua")
    else:
        target = root / "areas.yml"
        target.write_text("areas: []\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as error:
        load_all(data)
    assert Path(error.value.path) == target, error.value
    if where == "dossiers":
        assert error.value.line == number and error.value.field.endswith(".received_at")
    assert snapshot(data) == before
    assert Services.open(data.db_path).catalogue.procedure(PROCEDURE).name == served.name != "Đăng ký khai sinh (bản sửa chưa nạp)"


def test_motcua_load_prints_file_line_and_field_in_vietnamese_and_exits_2(data):
    path = data.catalogue_dir / f"{PROCEDURE}.yml"
    number = break_line(path, "- amount: 0", "- amount: -1")
    env = {**os.environ, "MOTCUA_CATALOGUE": str(data.catalogue_dir), "MOTCUA_DB": str(data.db_path),
           "MOTCUA_LEGAL": str(data.legal_dir), "MOTCUA_WARD": str(data.ward_file), "MOTCUA_SAMPLES": str(data.samples_dir)}
    result = subprocess.run([str(MOTCUA), "load"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("Lỗi dữ liệu:")
    assert f"{path}:{number}" in result.stderr and "fees[0].amount" in result.stderr
    assert "Traceback" not in result.stderr
