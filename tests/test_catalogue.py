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


RESIDENCE_PAID = ("dang-ky-thuong-tru", "dang-ky-tam-tru", "gia-han-tam-tru", "tach-ho")
CARD_PAID = ("cap-doi-the-can-cuoc", "cap-lai-the-can-cuoc")


@pytest.mark.parametrize("pid, article", [(p, "Thông tư 75/2022/TT-BTC Điều 4") for p in RESIDENCE_PAID]
                         + [(p, "Thông tư 73/2024/TT-BTC Điều 5") for p in CARD_PAID])
def test_permanent_fee_exemptions_name_who_and_the_article(catalogue, pid, article):
    for day in (dt.date(2026, 11, 24), dt.date(2030, 1, 1)):  # permanent: in force now and after the campaigns end
        exemptions = [f for f in fees_on(catalogue[pid], day) if f.exemption]
        assert len(exemptions) == 1, (pid, day)
        fee = exemptions[0]
        assert fee.amount == 0 and article in fee.source and len(fee.groups) >= 7
        assert any("hộ nghèo" in g for g in fee.groups) and any("khuyết tật" in g for g in fee.groups)


def test_every_civil_status_authorisation_letter_must_be_certified(catalogue):
    letters = [
        (p.id, doc) for p in catalogue.values() if p.field == "Hộ tịch"
        for doc in p.documents if "ủy quyền" in doc["name"].lower()
    ]
    assert len(letters) >= 10
    for pid, doc in letters:
        assert "chứng thực" in doc["copies"], pid
        assert "ông, bà, cha, mẹ, con, vợ, chồng, anh, chị, em ruột" in doc["note"], pid


@pytest.mark.parametrize("pid", ["dang-ky-khai-sinh", "dang-ky-khai-tu", "dang-ky-lai-khai-tu", "dang-ky-nhan-cha-me-con"])
def test_late_and_other_civil_status_fees_do_not_cite_the_wrong_annex_row(catalogue, pid):
    """NQ 66.22 Phụ lục II STT 8 lists only re-registering a birth or a marriage and the marital-status certificate."""
    provincial = [f for f in catalogue[pid].fees if f.amount is None]
    assert provincial
    for fee in provincial:
        assert "STT 8" not in fee.source and "85/2019/TT-BTC" in fee.source


def test_card_renewal_and_replacement_are_two_procedures(catalogue):
    assert "cap-doi-cap-lai-the-can-cuoc" not in catalogue
    doi, lai = catalogue["cap-doi-the-can-cuoc"], catalogue["cap-lai-the-can-cuoc"]
    assert (doi.code, lai.code) == ("1.014063", "1.014064") and doi.code_verified and lai.code_verified
    assert (doi.name, lai.name) == ("Cấp đổi thẻ căn cước", "Cấp lại thẻ căn cước")
    assert doi.family == lai.family == catalogue["cap-the-can-cuoc"].family
    assert not {a.lower() for a in doi.aliases} & {a.lower() for a in lai.aliases}
    assert {f.amount for f in fees_on(lai, dt.date(2027, 3, 1))} == {0, 70000}


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


@pytest.mark.parametrize("groups", ["trẻ em", ["trẻ em", ""], [1, 2]])
def test_bad_fee_groups_name_the_fee(tmp_path, catalogue, groups):
    data = _valid(catalogue)
    data["fees"] = [{"amount": 0, "text": "Miễn lệ phí", "groups": groups}]
    _write(tmp_path, "dang-ky-khai-sinh", data)
    with pytest.raises(CatalogueError, match=r"fees\[0\]\.groups"):
        load_catalogue(tmp_path)


@pytest.mark.parametrize("elsewhere, field", [
    ([{"says": "Phường không công chứng.", "source": "Luật Công chứng"}], r"elsewhere\[0\]\.words"),
    ([{"words": ["công chứng"], "source": "Luật Công chứng"}], r"elsewhere\[0\]\.says"),
    ([{"words": ["công chứng"], "says": "Phường không công chứng."}], r"elsewhere\[0\]\.source"),
    ("công chứng", "elsewhere"),
])
def test_a_note_on_what_is_done_elsewhere_needs_its_words_its_text_and_its_source(tmp_path, catalogue, elsewhere, field):
    data = _valid(catalogue)
    data["elsewhere"] = elsewhere
    _write(tmp_path, "dang-ky-khai-sinh", data)
    with pytest.raises(CatalogueError, match=field):
        load_catalogue(tmp_path)


def test_a_word_list_indented_under_its_item_is_rejected(tmp_path, catalogue):
    # "- làm chủ hộ riêng" followed by "  - tách hộ" folds the rest of the list into one item: its phrases are lost
    text = yaml.safe_dump(_valid(catalogue), allow_unicode=True)
    text = text.replace("cues:\n", "cues:\n- làm chủ hộ riêng\n  - tách hộ\n  - tách khẩu\n", 1) if "cues:\n" in text else \
        text + "cues:\n- làm chủ hộ riêng\n  - tách hộ\n  - tách khẩu\n"
    (tmp_path / "dang-ky-khai-sinh.yml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError, match="cues"):
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
