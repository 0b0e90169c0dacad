"""Sibling procedures citizens confuse (issue 12, second words batch): the card for a child under 14 or the first
card, a new card for a lost one or a changed one; a vehicle's first plates, temporary plates, returned plates, new
papers for lost ones; short visits, absences and leaving a room; a shop closed for a while, for good, or never opened;
and a situation in a citizen's words reaching its procedure."""

import pytest

from bot.catalogue.procedures import index_records, load_catalogue
from bot.settings import Settings
from nlu.procedure_index import ProcedureIndex


@pytest.fixture(scope="module")
def index():
    return ProcedureIndex.from_records(index_records(load_catalogue(Settings.from_env(env={}).catalogue_dir)))


def found(index, text):
    result = index.resolve(text)
    return result and (result.candidates or [result.id])


@pytest.mark.parametrize(
    "text, expected",
    [
        # căn cước: under 14 / first card / cấp đổi / cấp lại
        ("con toi 8 tuoi muon lam the can cuoc", "cap-the-can-cuoc-cho-nguoi-duoi-14-tuoi"),
        ("làm căn cước cho con 10 tuổi để đi máy bay", "cap-the-can-cuoc-cho-nguoi-duoi-14-tuoi"),
        ("thằng cu nhà tôi sắp 14 tuổi phải đi làm thẻ căn cước chưa", "cap-the-can-cuoc"),
        ("cháu tôi chưa từng có căn cước", "cap-the-can-cuoc"),
        ("mẹ tôi năm nay tròn 60 tuổi phải đổi thẻ căn cước", "cap-doi-the-can-cuoc"),
        ("doi chung minh nhan dan sang can cuoc", "cap-doi-the-can-cuoc"),
        ("căn cước bị máy giặt giặt nát rồi", "cap-lai-the-can-cuoc"),
        ("thất lạc thẻ căn cước", "cap-lai-the-can-cuoc"),
        ("ngân hàng bảo số cmnd cũ khác số căn cước", "xac-nhan-so-chung-minh-nhan-dan-09-so-so-dinh-danh-ca-nhan"),
        ("muốn đưa bằng lái vào căn cước để khỏi mang theo", "tich-hop-cap-nhat-dieu-chinh-thong-tin-tren-the-can-cuoc"),
        # vehicles: first plates / gift / bent plates
        ("vừa tậu con xe máy mới chưa có biển", "dang-ky-cap-bien-so-xe-lan-dau-thuc-hien-bang-dich-vu-cong"),
        ("bố cho con chiếc xe máy muốn chuyển tên", "cap-chung-nhan-dang-ky-xe-bien-so-xe-trong-truong-hop-thay"),
        ("biển số bị cong gãy muốn làm biển mới", "doi-chung-nhan-dang-ky-xe-bien-so-xe-bang-dich-vu-cong-truc"),
        # residence: lưu trú / tạm vắng / tạm trú / xóa tạm trú / xóa thường trú / chủ hộ
        ("bà ngoại từ quê lên chơi một tuần có phải báo công an không", "thong-bao-luu-tru"),
        ("nha co khach o lai 2 dem", "thong-bao-luu-tru"),
        ("chồng đi làm bên hàn 3 năm có phải khai báo với công an không", "khai-bao-tam-vang"),
        ("em là sinh viên năm nhất thuê phòng gần trường", "dang-ky-tam-tru"),
        ("người thuê phòng trả phòng rồi chủ nhà phải làm gì", "xoa-dang-ky-tam-tru"),
        ("ông nội mất rồi muốn xóa tên trong hộ khẩu", "xoa-dang-ky-thuong-tru"),
        ("bố mất muốn mẹ làm chủ hộ thay", "dieu-chinh-thong-tin-ve-cu-tru-trong-co-so-du-lieu-ve-cu-tru"),
        # household business: tạm ngừng / chấm dứt / dừng thủ tục / thay đổi
        ("quán em đóng cửa 2 tháng để sửa", "tam-ngung-kinh-doanh-ho-kinh-doanh"),
        ("làm ăn thua lỗ muốn dẹp luôn quán", "cham-dut-hoat-dong-ho-kinh-doanh"),
        ("nộp hồ sơ mở quán rồi giờ đổi ý không mở nữa", "dung-thuc-hien-thu-tuc-dang-ky-ho-kinh-doanh"),
        ("đổi tên quán cà phê trên giấy phép", "dang-ky-thay-doi-noi-dung-ho-kinh-doanh"),
        # land and construction
        ("sổ đỏ ghi nhầm năm sinh của tôi", "dinh-chinh-giay-chung-nhan-da-cap-lan-dau-co-sai-sot"),
        ("đất vườn nhà tôi muốn chuyển sang đất ở để làm nhà", "giao-dat-cho-thue-dat-chuyen-muc-dich-su-dung-dat-doi-voi"),
        ("định mua mảnh đất muốn biết có vướng quy hoạch làm đường không", "cung-cap-thong-tin-quy-hoach-do-thi-va-nong-thon"),
        ("xin phép xây nhà năm ngoái mà chưa xây", "gia-han-giay-phep-xay-dung-doi-voi-cong-trinh-cap-iii-cap-iv"),
        ("giấy phép xây dựng bị thất lạc", "cap-lai-giay-phep-xay-dung-doi-voi-cong-trinh-cap-iii-cap-iv"),
        ("xây khác bản vẽ đã xin phép", "cap-dieu-chinh-giay-phep-xay-dung-doi-voi-cong-trinh-cap-iii"),
    ],
)
def test_a_situation_reaches_the_right_sibling(index, text, expected):
    assert expected in (found(index, text) or []), (text, index.resolve(text))


@pytest.mark.parametrize(
    "text, expected",
    [
        # an age in a message about a passport is not the first ID card; a burnt-out motorbike returns its plates
        ("con toi 15 tuoi muon lam ho chieu di du hoc", None),
        ("xe máy cháy rụi muốn hủy đăng ký", "thu-hoi"),
    ],
)
def test_new_words_do_not_take_other_messages(index, text, expected):
    result = index.resolve(text)
    if expected is None:
        assert result is None or not result.id.startswith("cap-the-can-cuoc"), result
    else:
        assert result is not None and result.id.startswith(expected), result
