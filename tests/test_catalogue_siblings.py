"""Sibling procedures citizens confuse (issue 12, second words batch): the card for a child under 14 or the first
card, a new card for a lost one or a changed one; a vehicle's first plates, temporary plates, returned plates, new
papers for lost ones; short visits, absences and leaving a room; a shop closed for a while, for good, or never opened;
a situation in a citizen's words reaching its procedure; and, from the second round on the identity, land,
residence, vehicle, border and household-business entries, border passes for Laos, China and officials on mission,
giấy chứng nhận căn cước and data fixes for people of Vietnamese origin, a changed vs a misdrawn decision, an an
ninh cơ sở member killed vs injured, online vehicle procedures named by VNeID."""

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
        # border passes: Laos / China residents / officials on mission; a lost pass
        ("ở huyện biên giới giáp Lào, muốn sang bên kia đi chợ cần giấy gì", "cap-giay-thong-hanh-bien-gioi-viet-nam-lao-cho-cong-dan-viet"),
        ("lam giay di lao khong can ho chieu", "cap-giay-thong-hanh-bien-gioi-viet-nam-lao-cho-cong-dan-viet"),
        ("không có hộ chiếu, đi chợ bên Trung Quốc thì cần giấy gì", "cap-giay-thong-hanh-xuat-nhap-canh-vung-bien-gioi-viet-nam"),
        ("toi la vien chuc xa giap trung quoc, lam giay thong hanh cong tac", "cap-giay-thong-hanh-xuat-nhap-canh-vung-bien-gioi-viet-nam-1-014364"),
        ("đánh rơi giấy thông hành sang Trung Quốc", "trinh-bao-mat-giay-thong-hanh-thuc-hien-tai-cap-xa"),
        ("the di lai doanh nhan apec bi that lac", "trinh-bao-mat-the-abtc-thuc-hien-tai-cap-xa"),
        # giấy chứng nhận căn cước and data of people of Vietnamese origin
        ("đánh rơi giấy chứng nhận căn cước của ông ở chợ", "cap-lai-giay-chung-nhan-can-cuoc"),
        ("người không quốc tịch muốn cập nhật lại nơi ở trong dữ liệu", "dieu-chinh-thong-tin-trong-co-so-du-lieu-quoc-gia-ve-dan-cu-1-014066"),
        ("tra cứu dữ liệu dân cư của người gốc Việt chưa có quốc tịch", "khai-thac-thong-tin-nguoi-goc-viet-nam-chua-xac-dinh-duoc"),
        ("xin cung cấp thông tin căn cước của người không quốc tịch", "khai-thac-thong-tin-nguoi-goc-viet-nam-chua-xac-dinh-duoc-1-014057"),
        ("lấy mẫu gen đưa vào căn cước", "thu-thap-cap-nhat-thong-tin-sinh-trac-hoc-ve-adn-vao-co-so"),
        ("đổi chứng minh 9 số sang căn cước gắn chip", "cap-doi-the-can-cuoc"),
        # land: payment form, decisions, mixed use, certificates issued against the law, homestead
        ("thuê đất nộp tiền hằng năm, muốn đổi sang nộp 1 lần", "chuyen-hinh-thuc-giao-dat-cho-thue-dat"),
        ("dự án chậm tiến độ xin điều chỉnh thời hạn sử dụng đất", "dieu-chinh-quyet-dinh-giao-dat-cho-thue-dat-cho-phep-chuyen"),
        ("quyết định giao đất ghi sai vị trí thửa đất", "dieu-chinh-quyet-dinh-giao-dat-cho-thue-dat-cho-phep-chuyen-1-013953"),
        ("đất nông nghiệp làm thêm quán cà phê mà không chuyển mục đích", "su-dung-dat-ket-hop-da-muc-dich-gia-han-phuong-an-su-dung"),
        ("phát hiện sổ hồng cấp trái luật", "thu-hoi-giay-chung-nhan-da-cap-lan-dau-khong-dung-quy-dinh"),
        ("quân nhân chưa có đất ở muốn xin nhà nước giao đất", "giao-dat-o-co-thu-tien-su-dung-dat-khong-thong-qua-dau-gia"),
        # social protection and security
        ("thoat can ngheo can giay to gi", "cong-nhan-ho-thoat-ngheo-ho-thoat-can-ngheo-thuong-xuyen"),
        ("đăng ký xét hộ nghèo năm sau", "cong-nhan-ho-ngheo-ho-can-ngheo-thuong-xuyen-hang-nam"),
        ("hộ làm muối xin công nhận hộ trung bình", "cong-nhan-ho-lam-nong-nghiep-lam-nghiep-ngu-nghiep-va-diem"),
        ("tổ an ninh bị tai nạn chết khi truy bắt trộm", "giai-quyet-che-do-chinh-sach-cho-nguoi-tham-gia-luc-luong-1-012538"),
        ("to bao ve an ninh bi xe dam khi di tuan", "giai-quyet-che-do-chinh-sach-cho-nguoi-tham-gia-luc-luong"),
        ("trật tự đô thị tịch thu hàng sai thì có được bồi thường không", "giai-quyet-yeu-cau-boi-thuong-tai-co-quan-truc-tiep-quan-ly"),
        # residence
        ("sống trên nhà bè thì đăng ký cư trú ở đâu", "xac-nhan-noi-thuong-xuyen-dau-do-su-dung-phuong-tien-vao-muc"),
        ("nhập khẩu vào nhà thuê cần bao nhiêu mét vuông một người", "xac-nhan-ve-dieu-kien-dien-tich-binh-quan-nha-o-de-dang-ky"),
        ("ở nhờ không có giấy tờ chỗ ở thì khai báo cư trú sao", "khai-bao-thong-tin-ve-cu-tru-doi-voi-nguoi-chua-du-dieu-kien"),
        ("con rể ly hôn rồi mà vẫn còn tên trong hộ khẩu", "xoa-dang-ky-thuong-tru"),
        # vehicles online (VNeID) vs in person
        ("bán xe rồi nộp lại biển số trên vneid", "thu-hoi-chung-nhan-dang-ky-xe-bien-so-xe-thuc-hien-bang-dich"),
        ("ô tô nhập khẩu mới mua, đăng ký biển số trên vneid", "dang-ky-xe-lan-dau-truc-tuyen-toan-trinh-doi-voi-xe-nhap"),
        ("cà vẹt bị mất cắp cùng cái ví", "cap-lai-chung-nhan-dang-ky-xe-bien-so-xe-thuc-hien-bang-dich-1-013082"),  # a twin, not thu hồi
        # household business
        ("giấy phép kinh doanh hộ cá thể ghi sai chính tả tên chủ hộ", "dang-ky-cap-nhat-bo-sung-thong-tin-trong-ho-so-dang-ky-ho"),
        ("hồ sơ đăng ký kinh doanh chưa có kết quả mà không muốn mở quán nữa", "dung-thuc-hien-thu-tuc-dang-ky-ho-kinh-doanh"),
        # construction and land certificates: repair vs lost permit, changed design, extension, moving, trees, misprints
        ("đập tường làm lại nhà có cần xin phép", "cap-giay-phep-xay-dung-sua-chua-cai-tao-doi-voi-cong-trinh"),
        ("gpxd muon doi mat bang cong trinh", "cap-dieu-chinh-giay-phep-xay-dung-doi-voi-cong-trinh-cap-iii"),
        ("chưa xây xong mà giấy phép hết hạn", "gia-han-giay-phep-xay-dung-doi-voi-cong-trinh-cap-iii-cap-iv"),
        ("muốn dời nguyên cả công trình sang chỗ khác", "cap-giay-phep-di-doi-doi-voi-cong-trinh-cap-iii-cap-iv-cong"),
        ("cay truoc nha muc goc sap do", "cap-giay-phep-chat-ha-dich-chuyen-cay-xanh"),
        ("đính chính sổ đỏ in sai diện tích", "dinh-chinh-giay-chung-nhan-da-cap-lan-dau-co-sai-sot"),
        # social protection, housing, e-ID and data fixes
        ("mẹ tôi đang hưởng trợ cấp người cao tuổi mới qua đời, có được tiền mai táng không", "ho-tro-chi-phi-mai-tang"),
        ("xin tien an tang cho nguoi vo gia cu chet", "ho-tro-chi-phi-mai-tang"),
        ("nhà bị lũ cuốn trôi hết tài sản muốn xét cận nghèo", "cong-nhan-ho-ngheo-ho-can-ngheo-thuong-xuyen-hang-nam"),
        ("bầu lại ban quản trị tòa nhà thì báo ai", "cong-nhan-ban-quan-tri-nha-chung-cu"),
        ("cty dang ky tai khoan dinh danh dien tu", "cap-tai-khoan-dinh-danh-dien-tu-cho-co-quan-to-chuc"),
        ("cap nhat so bhxh vao the can cuoc", "tich-hop-cap-nhat-dieu-chinh-thong-tin-tren-the-can-cuoc"),
        ("thu am giong noi vao can cuoc", "thu-thap-cap-nhat-thong-tin-sinh-trac-hoc-ve-giong-noi-vao"),
        ("vneid hiện sai dân tộc của con", "dieu-chinh-thong-tin-trong-co-so-du-lieu-quoc-gia-ve-dan-cu"),
        ("ngân hàng bắt nộp xác nhận thông tin cư trú", "xac-nhan-thong-tin-ve-cu-tru"),
        # vehicles, household business and land, last batch
        ("mua xe qua nhieu doi chu khong lien lac duoc chu cu", "cap-chung-nhan-dang-ky-xe-bien-so-xe-trong-truong-hop-thay"),
        ("mo quan tra sua can giay phep kinh doanh", "dang-ky-thanh-lap-ho-kinh-doanh"),
        ("tiệm tạp hóa chuyển sang mặt bằng khác cùng phường, giấy phép kinh doanh phải làm lại gì", "dang-ky-thay-doi-noi-dung-ho-kinh-doanh"),
        ("đất có nằm trong lộ giới không", "cung-cap-thong-tin-quy-hoach-do-thi-va-nong-thon"),
        ("tặng đất cho cộng đồng dân cư làm sân chơi", "tang-cho-quyen-su-dung-dat-cho-nha-nuoc-hoac-cong-dong-dan"),
        ("đất ở được công nhận thiếu so với hạn mức", "xac-dinh-lai-dien-tich-dat-o-cua-ho-gia-dinh-ca-nhan-da-duoc"),
        # session 12: a foreign boyfriend and "chưa kết hôn" is a birth with paternity, not a marriage; supervision of a
        # guardianship ended; a poor household named beside a low income; an adoption named beside a social centre
        ("ban trai em nguoi Uc, chua ket hon nhung co con roi, gio lam khai sinh cho be co ten bo",
         "dang-ky-khai-sinh-ket-hop-dang-ky-nhan-cha-me-con-co-yeu-to"),
        ("cháu đủ 18 tuổi rồi, tôi muốn chấm dứt việc giám sát giám hộ", "dang-ky-cham-dut-giam-sat-viec-giam-ho"),
        ("thu nhập thấp, muốn xin xét vào hộ nghèo", "cong-nhan-ho-ngheo-ho-can-ngheo-thuong-xuyen-hang-nam"),
        ("muốn nhận một bé ở trung tâm bảo trợ xã hội làm con nuôi", "dang-ky-nuoi-con-nuoi-trong-nuoc"),
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
        # ... and "chưa kết hôn" with a wish to marry stays a marriage
        ("bạn trai em người Hàn, bọn em chưa kết hôn, giờ muốn đăng ký kết hôn", "dang-ky-ket-hon-co-yeu-to-nuoc-ngoai"),
    ],
)
def test_new_words_do_not_take_other_messages(index, text, expected):
    result = index.resolve(text)
    if expected is None:
        assert result is None or not result.id.startswith("cap-the-can-cuoc"), result
    else:
        assert result is not None and result.id.startswith(expected), result
