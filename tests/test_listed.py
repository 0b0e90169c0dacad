"""Procedures the catalogue has no entry for but the light list names: who handles them, instead of a guess.

The resolver runs over the real list (data/procedure_list/) and the real catalogue; the actions are run with
rasa-sdk's CollectingDispatcher and a Tracker built here, over the test database `motcua load` filled (the
``store`` fixture), with no ``procedure`` entity in the message: the NLU's catalogue resolver found none.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.procedure_info import ActionAnswerProcedure
from actions.service import ActionFallback, ActionOutOfScope
from bot.catalogue.procedure_list import Listed, listed_reply, load_procedure_list
from bot.catalogue.procedures import CatalogueError, index_records, load_catalogue
from bot.db import schema_version
from bot.phrases import EMPTY_MESSAGE_REPLY
from bot.services import Services
from nlu.listed import ListedResolver
from nlu.procedure_index import ProcedureIndex
from tests.conftest import say

DATA = Path(__file__).resolve().parent.parent / "data"
COMPANY = ["2.001583", "2.001199", "2.002043", "2.001610"]
# (message, codes named, words of who handles them)
OUTSIDE = [
    ("làm hộ chiếu ở đâu", ["1.001456"], "Phòng Quản lý xuất nhập cảnh Công an tỉnh"),
    ("lam ho chieu het bao nhieu tien", ["1.001456"], "Phòng Quản lý xuất nhập cảnh Công an tỉnh"),
    ("hộ chiếu hết hạn thì làm sao", ["1.001456"], "Phòng Quản lý xuất nhập cảnh Công an tỉnh"),
    ("đổi bằng lái xe ở đâu", ["3.000347"], "Phòng Cảnh sát giao thông Công an tỉnh"),
    ("mat bang lai xe thi lam gi", ["3.000348"], "Phòng Cảnh sát giao thông Công an tỉnh"),
    ("thi bằng lái xe máy ở đâu", ["3.000346"], "Phòng Cảnh sát giao thông Công an tỉnh"),
    ("xin lý lịch tư pháp ở đâu", ["3.000333"], "Công an tỉnh"),
    ("xin phieu ly lich tu phap can gi", ["3.000333"], "Công an tỉnh"),
    ("thành lập công ty cần giấy tờ gì", COMPANY, "Cơ quan đăng ký kinh doanh cấp tỉnh (Sở Tài chính)"),
    ("dang ky doanh nghiep o phuong duoc khong", COMPANY, "Cơ quan đăng ký kinh doanh cấp tỉnh (Sở Tài chính)"),
    ("rút bảo hiểm xã hội một lần", ["1.001613"], "Cơ quan Bảo hiểm xã hội"),
    ("quyet toan thue tncn o dau", ["2.002233"], "Cơ quan thuế"),
    ("làm mã số thuế cá nhân", ["1.008498"], "Cơ quan thuế"),
    # the province's list (cap-tinh.yml), named by the short form of the official name
    ("nhap quoc tich viet nam can ho so gi", ["2.002039"], "Sở Tư pháp"),
    ("muốn tách thửa đất chia cho 2 con thì làm thế nào", ["1.012784"], "đăng ký đất đai"),
    ("dang ky tau ca can giay to gi", ["1.003634", "1.003650"], "thủy sản"),  # first and again: both named,
    # session 11: asked often of the ward, handled by the traffic police, the State Bank, the inspection centres
    ("lam bang lai quoc te o dau", ["3.000353"], "Cảnh sát giao thông"),
    ("tiền bị chuột gặm rách mấy tờ thì đổi ở đâu", ["2.001077"], "Ngân hàng Nhà nước Khu vực"),
    ("nhận phải tiền giả thì mang đi giám định ở đâu", ["1.001803"], "Ngân hàng Nhà nước"),
    ("o to bi mat tem dang kiem xin cap lai the nao", ["1.013092"], "đăng kiểm"),
    ("mất bằng lái xe máy làm lại ở đâu", ["3.000348"], "Phòng Cảnh sát giao thông Công an tỉnh"),
]


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(DATA / "procedures")


@pytest.fixture(scope="module")
def resolvers(catalogue):
    """The NLU's catalogue resolver and the light list's."""
    items = load_procedure_list(DATA / "procedure_list", catalogue)
    return ProcedureIndex.from_records(index_records(catalogue)), ListedResolver(items.values())


@pytest.mark.parametrize("text, codes, handler", OUTSIDE)
def test_a_procedure_outside_the_ward_is_found_in_the_list_when_the_catalogue_has_none(resolvers, text, codes, handler):
    index, listed = resolvers
    assert index.resolve(text) is None  # what the NLU leaves to the actions
    found = listed.resolve(text)
    assert [item.code for item in found] == codes
    assert all(handler.lower() in item.handled_by.lower() and not item.ward for item in found)


@pytest.mark.parametrize("name, short", [
    ("Nhập quốc tịch Việt Nam ở trong nước", ["Nhập quốc tịch Việt Nam"]),
    ("Cấp, cấp lại Giấy phép khai thác thủy sản", ["Giấy phép khai thác thủy sản"]),
    ("Cấp giấy chứng nhận đăng ký tàu cá, tàu phục vụ nuôi trồng thủy sản", ["Cấp giấy chứng nhận đăng ký tàu cá", "đăng ký tàu cá"]),
    ("Đăng ký, điều chỉnh đóng BHXH, BHYT", []),                                   # "Đăng ký" alone names nothing
    ("Đăng ký đất đai lần đầu đối với trường hợp được Nhà nước giao đất để quản lý", []),  # the case is the procedure
])
def test_an_official_name_is_shortened_the_way_citizens_say_it(name, short):
    from bot.catalogue.procedure_list import short_names

    assert short_names(name) == short


def test_the_province_list_holds_no_twin_of_a_procedure_the_ward_handles(catalogue):
    from bot.catalogue.commands import _bare

    ward = {_bare(p.name) for p in catalogue.values()}
    province = yaml.safe_load((DATA / "procedure_list" / "cap-tinh.yml").read_text(encoding="utf-8"))["items"]
    assert len(province) > 200 and not [i["name"] for i in province if i["ward"] or _bare(i["name"]) in ward]


def test_messages_about_no_procedure_name_none(resolvers):
    _, listed = resolvers
    for text in ["thời tiết hôm nay thế nào", "gia vang hom nay", "", "   ", "x" * 5000]:
        assert listed.resolve(text) == []


def test_listed_procedures_with_a_catalogue_entry_are_left_to_the_catalogue(resolvers, catalogue):
    _, listed = resolvers
    items = load_procedure_list(DATA / "procedure_list", catalogue)
    with_entry = [item for item in items.values() if item.entry]
    assert with_entry and not any(item.code in listed.items for item in with_entry)
    assert listed.resolve("hòa giải tranh chấp đất đai") == []  # 1.012812 has its entry


def test_every_added_procedure_names_its_record_and_who_handles_it():
    data = yaml.safe_load((DATA / "procedure_list" / "ngoai-phuong.yml").read_text(encoding="utf-8"))
    for item in data["items"]:
        assert item["record"] and item["url"].startswith("https://dichvucong.gov.vn/") and item["handled_by"]


def test_a_list_file_may_give_aliases_to_procedures_another_file_lists(tmp_path):
    folder = tmp_path / "procedure_list"
    folder.mkdir()
    item = {"code": "1.008498", "name": "Đăng ký thuế lần đầu đối với người nộp thuế là cá nhân", "field": "Thuế",
            "level": "Cấp tỉnh, Cấp xã", "handled_by": "Cơ quan thuế (Thuế cơ sở)", "ward": False}
    (folder / "a.yml").write_text(yaml.safe_dump({"source": {"title": "Cổng"}, "items": [item]}, allow_unicode=True), encoding="utf-8")
    (folder / "b.yml").write_text(yaml.safe_dump({"source": {"title": "tay"}, "items": [],
                                                  "aliases": {"1.008498": ["mã số thuế cá nhân"]}}, allow_unicode=True), encoding="utf-8")
    items = load_procedure_list(folder, [])
    assert items["1.008498"].aliases == ("mã số thuế cá nhân",)
    assert [i.code for i in ListedResolver(items.values()).resolve("làm mã số thuế cá nhân ở đâu")] == ["1.008498"]
    (folder / "b.yml").write_text(yaml.safe_dump({"source": {"title": "tay"}, "items": [],
                                                  "aliases": {"9.999999": ["x"]}}), encoding="utf-8")
    with pytest.raises(CatalogueError, match="names no listed procedure"):
        load_procedure_list(folder, [])
    (folder / "b.yml").write_text(yaml.safe_dump({"source": {"title": "tay"}, "items": [{**item, "code": "1.000001", "url": "javascript:x"}]}),
                                  encoding="utf-8")
    with pytest.raises(CatalogueError, match="url"):
        load_procedure_list(folder, [])


def test_the_reply_names_one_office_once_for_procedures_it_shares():
    company = [Listed(code, f"Đăng ký thành lập {kind}", "Doanh nghiệp", "Cấp tỉnh", "Sở Tài chính", False)
               for code, kind in (("2.001583", "công ty TNHH một thành viên"), ("2.002043", "công ty cổ phần"))]
    text = listed_reply(company, {})
    assert text.count("Sở Tài chính") == 1 and "2.001583" in text and "2.002043" in text and "không nộp tại phường" in text
    ward = Listed("3.000527", "Đăng ký cai nghiện ma túy tự nguyện", "Cai nghiện", "Cấp xã", "UBND cấp xã", True)
    text = listed_reply([ward], {"hotline": "0203 3999 999"})
    assert "UBND phường" in text and "chưa có hướng dẫn chi tiết" in text and "0203 3999 999" in text


# ---------------------------------------------------------------- stored by `motcua load`


def test_motcua_load_stores_the_list_and_the_repository_reads_it(store):
    stored = {item.code: item for item in store.catalogue.listed()}
    assert len(stored) == len(load_procedure_list(DATA / "procedure_list"))
    passport = stored["1.001456"]
    assert passport.handled_by == "Phòng Quản lý xuất nhập cảnh Công an tỉnh" and not passport.ward
    assert "làm hộ chiếu" in passport.aliases and passport.url.startswith("https://dichvucong.gov.vn/")
    assert "bhxh" in stored["1.001613"].aliases  # given by another file
    assert stored["2.002165"].entry == "giai-quyet-yeu-cau-boi-thuong-tai-co-quan-truc-tiep-quan-ly"


def test_loading_again_replaces_the_list(tmp_path):
    services = Services.open(tmp_path / "motcua.db")
    assert schema_version(services.db.conn) >= 8 and services.catalogue.listed() == ()
    first = Listed("1.000001", "Một", "F", "Cấp xã", "UBND cấp xã", True, aliases=("mot",))
    second = Listed("1.000002", "Hai", "F", "Cấp tỉnh", "Sở X", False, url="https://dichvucong.gov.vn/x")
    assert services.catalogue.replace_listed({first.code: first}) == 1
    assert services.catalogue.listed() == (first,)
    services.catalogue.replace_listed({second.code: second})
    assert services.catalogue.listed() == (second,)
    assert Services.open(tmp_path / "motcua.db").catalogue.listed() == (second,)  # another process reads it too


# ---------------------------------------------------------------- the actions


def tracker(text: str, intent: str, entities: list = None, slots: dict = None) -> Tracker:
    """A tracker whose latest message is ``text``, classified as ``intent``."""
    message = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or [], "metadata": {}}
    events = [{"event": "user", "text": text, "timestamp": 1795500000.0, "parse_data": message}]
    return Tracker("web:listed", slots or {}, message, events, False, None, {}, "action_listen")


def run(action, tr: Tracker):
    """Run an action; returns (the texts it said joined, the responses it named, its slot events)."""
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tr, {})
    text = "\n".join(m.get("text") or "" for m in dispatcher.messages)
    responses = [m.get("response") for m in dispatcher.messages if m.get("response")]
    return text, responses, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.mark.parametrize("text, intent, handler", [
    ("làm hộ chiếu ở đâu", "ask_where", "Phòng Quản lý xuất nhập cảnh Công an tỉnh"),
    ("lam ho chieu can giay to gi", "ask_documents", "Phòng Quản lý xuất nhập cảnh Công an tỉnh"),
    ("đổi bằng lái xe mất bao lâu", "ask_processing_time", "Phòng Cảnh sát giao thông Công an tỉnh"),
    ("xin lý lịch tư pháp hết bao nhiêu tiền", "ask_fee", "Công an tỉnh"),
])
def test_asked_about_a_procedure_outside_the_ward_the_assistant_names_who_handles_it(store, text, intent, handler):
    said, responses, slots = run(ActionAnswerProcedure(store), tracker(text, intent, slots={"procedure": "dang-ky-khai-sinh"}))
    assert handler in said and "không nộp tại phường" in said
    assert "thủ tục nào" not in said and not responses
    assert slots["procedure"] is None  # "thế lệ phí bao nhiêu?" next must not inherit khai sinh


def test_company_registration_names_each_kind_and_the_office_once(store):
    said, responses, _ = run(ActionOutOfScope(store), tracker("mình muốn thành lập công ty thì làm ở đâu", "out_of_scope"))
    assert "Cơ quan đăng ký kinh doanh cấp tỉnh (Sở Tài chính)" in said and not responses
    assert all(code in said for code in COMPANY) and said.count("Sở Tài chính") == 1


def test_a_fallback_about_criminal_records_names_the_province_police(store):
    said, responses, _ = run(ActionFallback(store), tracker("xin ly lich tu phap o dau vay", "nlu_fallback"))
    assert "Công an tỉnh" in said and "3.000333" in said and not responses


def test_a_ward_procedure_without_a_guide_is_named_with_its_code_and_where_to_ask(store):
    said, responses, _ = run(ActionAnswerProcedure(store), tracker("đăng ký cai nghiện ma túy tự nguyện cần gì", "ask_documents"))
    assert "3.000527" in said and "UBND phường" in said and "không nộp tại phường" not in said
    assert "chưa có hướng dẫn chi tiết" in said and "Bộ phận Một cửa" in said and "dichvucong.gov.vn" in said


def test_a_catalogue_procedure_is_still_answered_from_the_catalogue(store):
    entity = [{"entity": "procedure", "value": "dang-ky-khai-sinh"}]
    said, _, slots = run(ActionAnswerProcedure(store), tracker("đăng ký khai sinh cần gì", "ask_documents", entity))
    assert slots["procedure"] == "dang-ky-khai-sinh" and "không nộp tại phường" not in said
    # a catalogue entry wins even when the message also names a listed procedure
    entity = [{"entity": "procedure", "value": "trinh-bao-mat-ho-chieu-pho-thong-thuc-hien-tai-cap-xa"}]
    said, _, slots = run(ActionAnswerProcedure(store), tracker("mất hộ chiếu thì làm sao", "ask_procedure", entity))
    assert slots["procedure"] == "trinh-bao-mat-ho-chieu-pho-thong-thuc-hien-tai-cap-xa"
    assert "Phòng Quản lý xuất nhập cảnh Công an tỉnh giải quyết, không nộp" not in said
    said, _, slots = run(ActionFallback(store), tracker("khai sinh", "nlu_fallback", [{"entity": "procedure", "value": "dang-ky-khai-sinh"}]))
    assert slots == {"procedure": "dang-ky-khai-sinh"} and "Anh/chị muốn hỏi gì về thủ tục" in said


def test_messages_naming_nothing_keep_their_old_answers(store):
    said, _, slots = run(ActionAnswerProcedure(store), tracker("cần giấy tờ gì", "ask_documents"))
    assert "thủ tục nào" in said and slots["pending_aspect"] == "documents"
    assert run(ActionOutOfScope(store), tracker("giá vàng hôm nay", "out_of_scope"))[1] == ["utter_out_of_scope"]
    assert run(ActionFallback(store), tracker("asdfgh qwerty", "nlu_fallback"))[1] == ["utter_default"]
    assert run(ActionFallback(store), tracker("", "nlu_fallback"))[0] == EMPTY_MESSAGE_REPLY


# ---------------------------------------------------------------- through the trained model (main session runs these)


@pytest.mark.parametrize("text, handler", [
    ("làm hộ chiếu ở đâu", "Phòng Quản lý xuất nhập cảnh Công an tỉnh"),
    ("xin ly lich tu phap o dau", "Công an tỉnh"),
    ("thành lập công ty cần những gì", "Sở Tài chính"),
    ("đổi bằng lái xe ở đâu", "Phòng Cảnh sát giao thông"),
])
async def test_the_assistant_names_who_handles_a_procedure_outside_the_ward(assistant, user, text, handler):
    reply = await say(assistant, user, text)
    assert handler in reply and "không nộp tại phường" in reply


@pytest.mark.parametrize("text, intent, procedure, said", [
    ("công chứng hợp đồng mua bán nhà ở văn phòng công chứng thì phí bao nhiêu", "ask_fee", "chung-thuc-hop-dong-giao-dich",
     "Lệ phí"),
    ("cong chung di chuc o van phong cong chung can mang gi", "ask_documents", "chung-thuc-di-chuc", "Giấy tờ"),
    ("bố em muốn gửi giữ di chúc cho an toàn thì làm ở đâu", "ask_where", "chung-thuc-di-chuc", "Nơi nộp"),
])
def test_notarisation_asked_of_the_wards_certification_is_said_to_be_done_elsewhere_first(store, text, intent, procedure, said):
    """The ward certifies (chứng thực); a notary office notarises (công chứng): the fee of one is not the other's."""
    reply, _, _ = run(ActionAnswerProcedure(store), tracker(text, intent, [{"entity": "procedure", "value": procedure}]))
    note, _, answer = reply.partition("\n\n")
    assert note.startswith("ℹ️ Phường không công chứng.") and "Văn phòng công chứng" in note and "Luật Công chứng 46/2024/QH15" in note
    assert said in answer and "chứng thực" in answer.lower()


@pytest.mark.parametrize("text", ["chứng thực hợp đồng mua bán xe ở phường hết bao nhiêu", "chung thuc hop dong tang cho dat le phi"])
def test_certification_asked_as_such_gets_no_note(store, text):
    reply, _, _ = run(ActionAnswerProcedure(store), tracker(text, "ask_fee", [{"entity": "procedure", "value": "chung-thuc-hop-dong-giao-dich"}]))
    assert "công chứng" not in reply.lower() and "Lệ phí" in reply


def test_a_divorce_is_said_to_go_to_court_with_the_law_that_says_so(store):
    """No administrative procedure, so no code: the court handles it, and the reply says which articles say so."""
    text = "Vợ chồng em muốn ly hôn thuận tình, nộp đơn ở phường được không ạ?"
    said, responses, _ = run(ActionAnswerProcedure(store), tracker(text, "ask_where"))
    assert "Tòa án nhân dân" in said and "không nộp tại phường" in said
    assert "Luật Hôn nhân và gia đình 52/2014/QH13, Điều 51 khoản 1, Điều 55" in said and "mã" not in said
    assert not responses and "thủ tục nào" not in said


def test_unemployment_benefit_is_said_to_go_to_the_employment_service_with_its_law(store):
    """Asked of the ward in 36 read messages (v10–v22): not the ward's, no code; the public employment service handles
    it (Luật Việc làm 74/2025/QH15)."""
    text = "e bi cong ty cho nghi viec, muon huong tro cap that nghiep thi nop ho so o dau"
    said, responses, _ = run(ActionAnswerProcedure(store), tracker(text, "ask_where"))
    assert "Tổ chức dịch vụ việc làm công" in said and "không nộp tại phường" in said
    assert "Luật Việc làm 74/2025/QH15, Điều 39, Điều 40 khoản 1" in said and not responses


def test_every_matter_without_a_code_rests_on_a_law_in_force_in_the_register(catalogue):
    """A matter's `record` is said to the citizen as its legal basis: it must name a registered document in force."""
    from tests.legal_asking import LAW

    register = LAW.register
    matters = [i for i in load_procedure_list(DATA / "procedure_list", catalogue).values() if not i.national]
    assert len(matters) >= 2
    for item in matters:
        documents = [d for d in register if d.name and item.record.startswith(d.name)]
        assert documents, item
        assert register.quotable_on(documents[0].number, dt.date(2026, 11, 29)), item  # in force on the day, amended or not


@pytest.mark.parametrize("item, field", [
    ({"code": None, "key": "Ly Hôn", "name": "x", "field": "x", "level": "x", "handled_by": "Tòa án", "ward": False,
      "record": "Luật"}, "key"),
    ({"code": None, "key": "ly-hon", "name": "x", "field": "x", "level": "x", "handled_by": "Tòa án", "ward": True,
      "record": "Luật"}, "record"),
    ({"code": None, "key": "ly-hon", "name": "x", "field": "x", "level": "x", "handled_by": "Tòa án", "ward": False},
     "record"),
    ({"code": None, "name": "x", "field": "x", "level": "x", "handled_by": "Tòa án", "ward": False, "record": "Luật"},
     "code"),
    # a slug in the code itself is no way round the checks a matter without a code passes
    ({"code": "ly-hon", "key": "ly-hon", "name": "x", "field": "x", "level": "x", "handled_by": "UBND", "ward": True},
     "code"),
])
def test_a_matter_without_a_code_needs_a_slug_an_outside_office_and_its_law(tmp_path, item, field):
    (tmp_path / "x.yml").write_text(yaml.safe_dump({"source": {"title": "t"}, "items": [item]}, allow_unicode=True),
                                    encoding="utf-8")
    with pytest.raises(CatalogueError, match=rf"items\[0\]\.{field}"):
        load_procedure_list(tmp_path)
