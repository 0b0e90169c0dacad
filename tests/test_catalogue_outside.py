"""A procedure the ward does not handle is named with who handles it, not taken by a catalogue entry that shares a word.

The catalogue's resolver as the NLU pipeline builds it (nlu.listed.catalogue_index: the catalogue guarded by the light
list), over the real data/procedures and data/procedure_list; then the light list, as actions/listed.py asks it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalogue.procedure_list import load_procedure_list
from bot.catalogue.procedures import load_catalogue
from nlu.listed import ListedResolver, catalogue_index, prefer_listed
from nlu.procedure_index import Resolution

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def resolvers():
    procedures = load_catalogue(ROOT / "data" / "procedures")
    index = catalogue_index(ROOT / "data" / "procedures", ROOT / "data" / "procedure_list")
    listed = ListedResolver(load_procedure_list(ROOT / "data" / "procedure_list", procedures).values())
    return index, listed


@pytest.mark.parametrize(
    "text, office",
    [
        ("làm thẻ tạm trú cho vợ người Hàn", "xuất nhập cảnh"),  # holds the catalogue's "tạm trú"
        ("vo toi nguoi my sap het visa gia han o dau", "xuất nhập cảnh"),
        ("khai thuế hộ kinh doanh ở đâu", "thuế"),  # holds the catalogue's "hộ kinh doanh"
        ("xin phiếu lý lịch tư pháp để đi xuất khẩu lao động", "Công an tỉnh"),  # a situation of khai báo tạm vắng
        ("thi bằng lái xe máy đăng ký ở đâu", "Cảnh sát giao thông"),  # "đăng ký … xe máy" only scattered
        ("so do nha toi bi chay mat roi xin cap lai the nao", "đăng ký đất đai"),
        ("mua đất của người ta thì sang tên sổ đỏ ở đâu", "đăng ký đất đai"),
        ("vợ tôi sinh con, làm chế độ thai sản ở đâu", "Bảo hiểm xã hội"),
        ("đi đăng kiểm xe ô tô ở đâu", "đăng kiểm"),
        # changes to a land certificate the land registration office makes, not the ward's first registration
        ("vợ chồng em muốn thêm tên vợ vào sổ đỏ thì làm ở đâu", "đăng ký đất đai"),
        ("xây nhà xong muốn bổ sung nhà vào sổ đỏ cần gì", "đăng ký đất đai"),
        ("so do ghi dia chi cu, muon cap nhat dia chi moi", "đăng ký đất đai"),
        ("công an phường có làm bằng lái quốc tế không", "Cảnh sát giao thông"),
    ],
)
def test_a_procedure_handled_elsewhere_is_named_with_its_office(resolvers, text, office):
    index, listed = resolvers
    assert index.resolve(text) is None, index.resolve(text)
    found = listed.resolve(text)
    assert found and not any(item.ward for item in found)
    assert any(office.lower() in item.handled_by.lower() for item in found), [item.handled_by for item in found]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("đăng ký tạm trú cho sinh viên thuê trọ", "dang-ky-tam-tru"),
        ("mở quán bún ở nhà thì đăng ký hộ kinh doanh ở đâu", "dang-ky-thanh-lap-ho-kinh-doanh"),
        ("bố tôi mất, muốn nhận tiền tuất", "lien-thong-khai-tu-xoa-thuong-tru-mai-tang"),
        ("đất ông bà để lại chưa có sổ đỏ muốn làm sổ", "dang-ky-dat-dai-cap-giay-chung-nhan-lan-dau"),
        ("con tròn 14 tuổi đi làm căn cước ở đâu", "cap-the-can-cuoc"),
        ("nghị định về hộ kinh doanh số mấy", "dang-ky-thanh-lap-ho-kinh-doanh"),  # a typo'd listed match never wins
    ],
)
def test_the_wards_own_procedures_stay_with_the_catalogue(resolvers, text, expected):
    index, _ = resolvers
    found = index.resolve(text)
    assert found is not None and found.id == expected, found


def _res(phrase: str, exact: bool = True, event: bool = False, score: float = 100.0) -> Resolution:
    return Resolution("x", None, "x", score=score, matched=phrase, phrase=phrase, exact=exact, event=event)


def test_one_informative_listed_word_never_outranks_the_catalogue():
    # "thuế" alone (tax) must not take "mở quán cà phê" (a household business) away from the catalogue
    assert not prefer_listed(_res("mo quan ca phe", event=True), _res("thue"))
    assert prefer_listed(_res("tam tru"), _res("the tam tru"))
    assert not prefer_listed(_res("tam tru"), _res("the tam tru", exact=False, score=85.0))  # one more word, scattered
    assert not prefer_listed(_res("ho kinh doanh"), _res("thue ho kinh doanh", exact=False, score=75.0))  # typo'd
