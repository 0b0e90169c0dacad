"""Resolving what citizens call a procedure to one catalogue entry."""

import pytest

from bot.catalogue.procedures import index_records, load_catalogue
from bot.settings import Settings
from nlu.procedure_index import ProcedureIndex


@pytest.fixture(scope="module")
def index():
    catalogue = load_catalogue(Settings.from_env(env={}).catalogue_dir)
    return ProcedureIndex.from_records(index_records(catalogue))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("đăng ký khai sinh cần gì", "dang-ky-khai-sinh"),
        ("dang ky khai sinh can gi", "dang-ky-khai-sinh"),
        ("làm gks cho con", "dang-ky-khai-sinh"),
        ("đăng ký lại khai sinh", "dang-ky-lai-khai-sinh"),
        ("dang ky lai khai sinh", "dang-ky-lai-khai-sinh"),
        ("ĐĂNG KÝ KẾT HÔN", "dang-ky-ket-hon"),
        ("dang kí kêt hon", "dang-ky-ket-hon"),
        ("bố tôi vừa mất thì làm gì", "dang-ky-khai-tu"),
        ("sắp cưới vợ cần làm gì", "dang-ky-ket-hon"),
        ("làm sổ đỏ lần đầu", "dang-ky-dat-dai-cap-giay-chung-nhan-lan-dau"),
        ("xin giấy độc thân", "xac-nhan-tinh-trang-hon-nhan"),
        ("lam cccd lan dau", "cap-the-can-cuoc"),
        ("mở hkd", "dang-ky-thanh-lap-ho-kinh-doanh"),
        ("sổ hồng lần đầu làm thế nào", "dang-ky-dat-dai-cap-giay-chung-nhan-lan-dau"),
        ("cải chính tên trong giấy khai sinh", "thay-doi-cai-chinh-bo-sung-ho-tich"),
        ("đăng kí kết hôn", "dang-ky-ket-hon"),
        ("giấy khai sinh bị thất lạc, sổ ở xã cũng không còn lưu, muốn đăng ký lại", "dang-ky-lai-khai-sinh"),
        ("quán tạp hóa nghỉ hẳn không bán nữa thì đóng hộ kinh doanh thế nào", "cham-dut-hoat-dong-ho-kinh-doanh"),
        ("muốn tạm nghỉ kinh doanh 3 tháng rồi mở lại", "tam-ngung-kinh-doanh-ho-kinh-doanh"),
        ("lấy chồng người hàn quốc thì đăng ký kết hôn ở đâu", "dang-ky-ket-hon-co-yeu-to-nuoc-ngoai"),
        ("căn cước bị mất thì làm lại thế nào", "cap-lai-the-can-cuoc"),
        ("làm lại cccd bị mất", "cap-lai-the-can-cuoc"),
        ("lam lai cccd bi mat", "cap-lai-the-can-cuoc"),
        ("căn cước bị hỏng không dùng được", "cap-lai-the-can-cuoc"),
        ("đổi cccd hết hạn", "cap-doi-the-can-cuoc"),
        ("doi cccd het han", "cap-doi-the-can-cuoc"),
        ("đủ 25 tuổi phải đổi căn cước không", "cap-doi-the-can-cuoc"),
    ],
)
def test_resolves_names_aliases_and_life_events(index, text, expected):
    resolution = index.resolve(text)
    assert resolution is not None and resolution.id == expected, (text, resolution)


def test_a_bare_family_word_is_ambiguous(index):
    resolution = index.resolve("chứng thực")
    assert resolution is not None and resolution.ambiguous
    assert {"chung-thuc-ban-sao-tu-ban-chinh", "chung-thuc-chu-ky"} <= set(resolution.candidates)


def test_specific_words_are_not_ambiguous(index):
    resolution = index.resolve("chứng thực chữ ký")
    assert resolution.id == "chung-thuc-chu-ky" and not resolution.ambiguous


@pytest.mark.parametrize(
    "text",
    ["kể chuyện cười đi", "hồ sơ có nhận buổi trưa không", "chào bạn", "thời tiết hôm nay thế nào", "", "😀😀", "<script>alert(1)</script>"],
)
def test_no_procedure_in_unrelated_text(index, text):
    assert index.resolve(text) is None


@pytest.mark.parametrize("text, expected", [
    ("làm hộ chiếu mất bao lâu", None),  # "mất bao lâu" is how long it takes, not a lost passport
    ("lam ho chieu mat may ngay", None),
    ("bị mất hộ chiếu thì báo ở đâu", "trinh-bao-mat-ho-chieu-pho-thong-thuc-hien-tai-cap-xa"),
    ("mất giấy khai sinh làm lại mất bao lâu", "dang-ky-lai-khai-sinh"),
])
def test_mat_asking_how_long_is_not_mat_meaning_lost(text, expected):
    from bot.catalogue.procedures import index_records, load_catalogue
    from bot.settings import Settings

    index = ProcedureIndex.from_records(index_records(load_catalogue(Settings.from_env(env={}).catalogue_dir)))
    found = index.resolve(text)
    assert (found.id if found else None) == expected, found
