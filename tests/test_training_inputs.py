"""`make run` retrains only when an input of the model changed: every file the resolver reads must be one, or an edit
to it (a variant cue, a light-list alias) is silently not learned (bot/conversation/training.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.conversation.training import fingerprint

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for name in ("config.yml", "domain.yml", "data/nlu.yml", "data/rules.yml", "data/stories.yml",
                 "data/procedures/variants/cues.yml", "bot/catalogue/procedures.py", "bot/catalogue/procedure_list.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "nlu", tmp_path / "nlu", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "data" / "procedure_list", tmp_path / "data" / "procedure_list")
    shutil.copy(ROOT / "data" / "procedures" / "dang-ky-khai-sinh.yml", tmp_path / "data" / "procedures")
    return tmp_path


@pytest.mark.parametrize("edited", [
    "data/procedures/dang-ky-khai-sinh.yml",
    "data/procedures/variants/cues.yml",
    "data/procedure_list/cong-dich-vu-cong-quoc-gia.yml",
    "nlu/aspect.py",
    "bot/catalogue/procedures.py",
    "config.yml",
])
def test_editing_a_file_the_model_reads_changes_the_fingerprint(root: Path, edited: str) -> None:
    before = fingerprint(root)
    with open(root / edited, "a", encoding="utf-8") as f:
        f.write("\n# edited\n")
    assert fingerprint(root) != before


def test_a_file_the_model_does_not_read_leaves_it(root: Path) -> None:
    before = fingerprint(root)
    (root / "README.md").write_text("notes", encoding="utf-8")
    assert fingerprint(root) == before
