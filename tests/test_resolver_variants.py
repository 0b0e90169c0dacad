"""Issue 12: the variant a message names wins over its family's base entry, without the model.

The catalogue's resolver as the NLU pipeline builds it (nlu.listed.catalogue_index, the real data/procedures and
data/procedure_list), asked directly. The variant cue groups (data/procedures/variants/cues.yml) are declared once and
shared by every family: a foreign element, done abroad and to be recorded here, cannot come to the office, border
area, the paper and the register book both gone; then vehicles, people of Vietnamese origin without nationality and
certification, whose siblings are told apart by their own words.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalogue.procedures import CatalogueError, load_catalogue, load_variants
from nlu.listed import catalogue_index
from nlu.procedure_index import Entry, ProcedureIndex

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "data" / "procedures"


@pytest.fixture(scope="module")
def resolver():
    return catalogue_index(CATALOGUE, ROOT / "data" / "procedure_list")


def _found(resolver, text: str) -> str:
    found = resolver.resolve(text)
    assert found is not None, text
    return found.id


@pytest.mark.parametrize(
    "text, expected",
    [
        # a foreign element: a foreign person, nationality or country
        ("làm khai sinh cho con, chồng tôi người Hàn", "dang-ky-khai-sinh-co-yeu-to-nuoc-ngoai"),
        ("khai sinh cho bé, bố bé quốc tịch Nhật", "dang-ky-khai-sinh-co-yeu-to-nuoc-ngoai"),
        ("em muốn đăng ký kết hôn với chồng người Úc", "dang-ky-ket-hon-co-yeu-to-nuoc-ngoai"),
        ("kết hôn với anh bên Trung Quốc", "dang-ky-ket-hon-co-yeu-to-nuoc-ngoai"),
        ("bố chồng tôi quốc tịch Mỹ mất ở đây, làm khai tử thế nào", "dang-ky-khai-tu-co-yeu-to-nuoc-ngoai"),
        ("muốn làm thủ tục nhận cha cho con, bố cháu là người Đài Loan", "dang-ky-nhan-cha-me-con-co-yeu-to-nuoc-ngoai"),
        ("đăng ký giám hộ cho cháu, cháu quốc tịch Hàn Quốc", "dang-ky-giam-ho-co-yeu-to-nuoc-ngoai"),
        ("chấm dứt giám hộ cho đứa cháu người Nhật", "dang-ky-cham-dut-giam-ho-co-yeu-to-nuoc-ngoai"),
        ("cải chính hộ tịch cho con, bố nó người Pháp", "thay-doi-cai-chinh-bo-sung-thong-tin-ho-tich-xac-dinh-lai"),
        # done abroad, to be recorded in Vietnam
        ("con tôi đã làm khai sinh bên Nhật, giờ về thì làm sao", "ghi-vao-so-ho-tich-viec-ho-tich-khac-cua-cong-dan-viet-nam"),
        ("chúng tôi kết hôn ở Hàn rồi về nước, có phải làm gì không", "ghi-vao-so-ho-tich-viec-ket-hon-cua-cong-dan-viet-nam-da"),
        ("tôi nhận con nuôi ở Đài Loan, về đây thì đăng ký thế nào", "ghi-vao-so-dang-ky-nuoi-con-nuoi-viec-nuoi-con-nuoi-da-duoc"),
        ("tôi đã ly hôn bên Mỹ, về nước phải làm gì", "ghi-vao-so-ho-tich-viec-ly-hon-huy-viec-ket-hon-cua-cong-dan"),
        # cannot come to the office
        ("mẹ tôi già yếu không lên phường được, làm khai sinh cho cháu", "dang-ky-khai-sinh-luu-dong"),
        ("bà mất, ông bị liệt, cán bộ xuống nhà làm khai tử được không", "dang-ky-khai-tu-luu-dong"),
        ("chồng sắp cưới bị liệt, đăng ký kết hôn tại nhà được không", "dang-ky-ket-hon-luu-dong"),
        # border area
        ("khai sinh cho con, bố nó người Trung Quốc bên kia cửa khẩu",
         "dang-ky-khai-sinh-co-yeu-to-nuoc-ngoai-tai-khu-vuc-bien-gioi"),
        ("xã giáp biên, kết hôn với người Lào", "dang-ky-ket-hon-co-yeu-to-nuoc-ngoai-tai-khu-vuc-bien-gioi"),
        # the paper and the register book both gone
        ("giấy khai sinh mất mà sổ ở xã cũng không còn", "dang-ky-lai-khai-sinh"),
        ("giấy nuôi con nuôi thất lạc hết, sổ ở phường cũng không còn", "dang-ky-lai-viec-nuoi-con-nuoi-trong-nuoc"),
        # two qualifiers: the variant that carries both
        ("khai sinh của con tôi bố người Hàn bị mất, sổ ở xã cũng không còn", "dang-ky-lai-khai-sinh-co-yeu-to-nuoc-ngoai"),
        # a cue moves the message to another family ("chưa kết hôn": not a marriage but a birth with the father named),
        # and that family's variant is then chosen by the qualifier
        ("em có con với người Hàn Quốc nhưng chưa kết hôn, giờ làm khai sinh cho con có tên bố thì làm thế nào",
         "dang-ky-khai-sinh-ket-hop-dang-ky-nhan-cha-me-con-co-yeu-to"),
        ("bọn em chưa kết hôn, giờ làm khai sinh cho con có tên bố thì làm sao", "dang-ky-khai-sinh-ket-hop-nhan-cha-me-con"),
    ],
)
def test_a_variant_group_named_in_the_message_picks_the_variant(resolver, text, expected):
    assert _found(resolver, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("làm khai sinh cho con", "dang-ky-khai-sinh"),
        ("bố tôi mất tại nhà tối qua, đi khai tử ở đâu", "dang-ky-khai-tu"),  # where it happened, not lưu động
        ("đăng ký kết hôn cần gì", "dang-ky-ket-hon"),
        ("cập nhật khai sinh cho con ngày chủ nhật được không", "dang-ky-khai-sinh"),  # "cập nhật" is not Japan
        ("chấm dứt giám hộ cho cháu đủ 18 tuổi", "dang-ky-cham-dut-giam-ho"),  # a variant's own words need its qualifier
        ("khai tu cho nguoi tu phap xa", "dang-ky-khai-tu"),  # "tư pháp" without marks is not "từ Pháp"
    ],
)
def test_without_a_qualifier_the_base_entry_stays(resolver, text, expected):
    assert _found(resolver, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("em mới mua con xe máy ở đại lý, đi đăng ký biển ở đâu", "dang-ky-cap-bien-so-xe-lan-dau"),
        ("mua xe ở cửa hàng xong thì đăng ký xe ở công an phường nào", "dang-ky-cap-bien-so-xe-lan-dau"),
        ("xe máy bị trộm mất rồi thì làm sao với cà vẹt", "thu-hoi-"),
        ("xe cũ em bán sắt vụn rồi, giấy tờ xe xử lý sao", "thu-hoi-"),
        ("xe hỏng hẳn không sửa được nữa, làm thủ tục gì", "thu-hoi-"),
        ("tôi bán xe máy cho người khác rồi, phải làm gì để không bị phạt nguội", "thu-hoi-"),
        ("mua xe second hand thì đăng ký chính chủ ở đâu", "cap-chung-nhan-dang-ky-xe-bien-so-xe-trong-truong-hop-thay"),
        ("mua lại xe máy cũ của hàng xóm, làm giấy tờ sang tên sao",
         "cap-chung-nhan-dang-ky-xe-bien-so-xe-trong-truong-hop-thay"),
        ("em sơn lại xe màu khác thì có phải đổi đăng ký không", "doi-chung-nhan-dang-ky-xe"),
        ("xe cải tạo thay đổi màu sơn", "doi-chung-nhan-dang-ky-xe"),
        ("xe mới chưa có biển muốn chạy tạm về quê", "dang-ky-xe-tam-thoi"),
    ],
)
def test_vehicle_situations_reach_their_registration_procedure(resolver, text, expected):
    assert _found(resolver, text).startswith(expected)


@pytest.mark.parametrize(
    "text, expected",
    [
        # no word of doing it fully online: the in-person (or partly online) twin, which anyone can do
        ("thu hồi đăng ký biển số xe cần mang gì", "thu-hoi-giay-chung-nhan-dang-ky-bien-so-xe-thuc-hien-bang"),
        ("mất biển số xe, cấp lại hết bao nhiêu tiền", "cap-lai-chung-nhan-dang-ky-xe-bien-so-xe-thuc-hien-bang-dich-1-013082"),
        ("xe mới chưa có biển muốn chạy tạm về quê thì xin biển tạm ở đâu", "dang-ky-xe-tam-thoi-thuc-hien-bang-dich-vu-cong-truc-tuyen-1-013086"),
        # the online words pick the fully online twin
        ("thu hồi đăng ký xe làm online trên vneid thế nào", "thu-hoi-chung-nhan-dang-ky-xe-bien-so-xe-thuc-hien-bang-dich"),
        ("mat ca vet xe lam lai online toan trinh duoc ko", "cap-lai-chung-nhan-dang-ky-xe-bien-so-xe-thuc-hien-bang-dich"),
        # twins matched by the same words: the plain one answers, the online one stays among the choices
        ("xe cũ nát quá rồi, có phải nộp lại cà vẹt không", "thu-hoi-giay-chung-nhan-dang-ky-bien-so-xe-thuc-hien-bang"),
        # ... unless the message names the online one's qualifier: twins matched by the same words, "online" decides
        ("nộp lại cà vẹt online", "thu-hoi-chung-nhan-dang-ky-xe-bien-so-xe-thuc-hien-bang-dich"),
        ("xe hỏng nát bán phế liệu, nộp lại biển trên cổng dịch vụ công thế nào",
         "thu-hoi-chung-nhan-dang-ky-xe-bien-so-xe-thuc-hien-bang-dich"),
        # the plain twin's own words ("mới mua") and the online qualifier: the online first registration
        ("xe máy mới mua đăng ký online hết bao nhiêu", "dang-ky-xe-lan-dau-truc-tuyen-toan-trinh-doi-voi-xe-san-xuat"),
        ("xe máy mới mua đăng ký ở đâu", "dang-ky-cap-bien-so-xe-lan-dau-thuc-hien-bang-dich-vu-cong"),
    ],
)
def test_the_fully_online_twin_only_when_the_message_says_online(resolver, text, expected):
    assert _found(resolver, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("người gốc việt chưa có quốc tịch muốn cập nhật thông tin và làm giấy chứng nhận căn cước",
         "thu-thap-cap-nhat-thong-tin-cua-nguoi-goc-viet-nam-chua-xac"),
        ("người gốc việt chưa có quốc tịch bị ghi sai năm sinh trong dữ liệu",
         "dieu-chinh-thong-tin-trong-co-so-du-lieu-quoc-gia-ve-dan-cu-1-014066"),
        ("người gốc việt chưa xác định quốc tịch, thông tin trong cơ sở dữ liệu bị sai muốn sửa",
         "dieu-chinh-thong-tin-trong-co-so-du-lieu-quoc-gia-ve-dan-cu-1-014066"),
        ("người gốc việt chưa có quốc tịch muốn cấp đổi giấy chứng nhận", "cap-doi-giay-chung-nhan-can-cuoc"),
        ("giấy chứng nhận căn cước của tôi bị hỏng, đổi cái mới", "cap-doi-giay-chung-nhan-can-cuoc"),
        ("người gốc việt chưa có quốc tịch làm mất giấy chứng nhận, xin cấp lại", "cap-lai-giay-chung-nhan-can-cuoc"),
    ],
)
def test_vietnamese_origin_without_nationality_the_words_decide(resolver, text, expected):
    assert _found(resolver, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("hợp đồng chứng thực ở phường, cán bộ đánh máy nhầm tên tôi", "sua-loi-sai-sot-trong-giao-dich"),
        ("hợp đồng mua bán đất đã chứng thực ghi sai số thửa", "sua-loi-sai-sot-trong-giao-dich"),
        ("hop dong da chung thuc bi danh may nham dien tich", "sua-loi-sai-sot-trong-giao-dich"),
        ("hai ben thoa thuan huy hop dong mua ban dat", "chung-thuc-viec-sua-doi-bo-sung-huy-bo-giao-dich"),
        ("bản hợp đồng của tôi thất lạc, xin lại bản sao từ bản lưu ở phường",
         "cap-ban-sao-co-chung-thuc-tu-ban-chinh-giao-dich-da-duoc"),
        ("hợp đồng mua bán nhà làm ở phường năm ngoái bị mất, xin bản sao",
         "cap-ban-sao-co-chung-thuc-tu-ban-chinh-giao-dich-da-duoc"),
        ("chứng thực hợp đồng mua bán xe", "chung-thuc-hop-dong-giao-dich"),
        ("chứng thực bản sao bằng tốt nghiệp", "chung-thuc-ban-sao-tu-ban-chinh"),
    ],
)
def test_certified_contract_corrections_cancellations_and_copies_have_their_own_entry(resolver, text, expected):
    assert _found(resolver, text) == expected


def _index(*entries: Entry) -> ProcedureIndex:
    return ProcedureIndex(entries)


def test_a_variant_with_two_named_qualifiers_beats_a_sibling_with_one_longer_cue():
    index = _index(
        Entry("base", None, "Đăng ký việc A", ("việc a",), "a"),
        Entry("foreign", None, "Đăng ký việc A có yếu tố nước ngoài", ("việc a nước ngoài",), "a",
              ("quốc tịch hàn quốc",), cue_groups=("nuoc-ngoai",)),
        Entry("again-foreign", None, "Đăng ký lại việc A có yếu tố nước ngoài", ("đăng ký lại việc a nước ngoài",), "a",
              ("người hàn", "mất sổ"), cue_groups=("nuoc-ngoai", "dang-ky-lai")),
    )
    assert index.resolve("việc a cho người hàn quốc tịch hàn quốc").id == "foreign"  # one qualifier: longest cue
    assert index.resolve("việc a cho người hàn, mất sổ").id == "again-foreign"  # two qualifiers named


def test_a_gap_cue_needs_its_parts_in_order_and_close():
    index = _index(
        Entry("base", None, "Khai sinh", ("khai sinh",), "k"),
        Entry("abroad", None, "Ghi vào sổ khai sinh đã làm ở nước ngoài", ("ghi khai sinh nước ngoài",), "k",
              ("đã làm … bên nhật",), cue_groups=("da-o-nuoc-ngoai",)),
    )
    assert index.resolve("đã làm khai sinh cho con bên nhật").id == "abroad"
    assert index.resolve("bên nhật đã làm khai sinh").id == "base"  # out of order
    assert index.resolve("đã làm xong hết mọi giấy tờ rồi giờ làm khai sinh bên nhật").id == "base"  # too far apart


def test_the_groups_and_their_slots_are_expanded_once_for_every_variant():
    groups = load_variants(CATALOGUE)
    assert "người hàn quốc" in groups["nuoc-ngoai"] and "bên đài loan" in groups["nuoc-ngoai"]
    catalogue = load_catalogue(CATALOGUE)
    for pid in ("dang-ky-khai-tu-co-yeu-to-nuoc-ngoai", "dang-ky-giam-ho-co-yeu-to-nuoc-ngoai"):
        assert ("quốc tịch nhật", "nuoc-ngoai") in catalogue[pid].variant_cues
    assert {g for _, g in catalogue["dang-ky-lai-ket-hon-co-yeu-to-nuoc-ngoai"].variant_cues} == {"dang-ky-lai", "nuoc-ngoai"}


def test_an_unknown_variant_group_or_slot_is_named_with_its_file(tmp_path):
    text = (CATALOGUE / "dang-ky-khai-sinh-luu-dong.yml").read_text(encoding="utf-8")
    (tmp_path / "dang-ky-khai-sinh-luu-dong.yml").write_text(text.replace("- luu-dong", "- khong-co"), encoding="utf-8")
    (tmp_path / "variants").mkdir()
    (tmp_path / "variants" / "cues.yml").write_text("groups:\n  luu-dong:\n    cues: [tại nhà]\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="dang-ky-khai-sinh-luu-dong.yml.*variants.*khong-co"):
        load_catalogue(tmp_path)
    (tmp_path / "variants" / "cues.yml").write_text("groups:\n  luu-dong:\n    cues: ['ở {xa}']\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"cues.yml.*groups.luu-dong.cues.*\{xa\}"):
        load_catalogue(tmp_path)


@pytest.mark.parametrize("text", ["bao cho e khi ho so doi trang thai nha", "báo cho em khi hồ sơ đổi trạng thái nhé"])
def test_a_dossier_notice_request_names_no_procedure(resolver, text):
    """"hồ sơ đổi … nhé" holds the words of "đổi số nhà" out of order: no residence procedure is read into it."""
    assert resolver.resolve(text) is None
