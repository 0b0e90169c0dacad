"""``motcua sync`` against a stand-in of the province's platform: paging, retries, crashes, incremental pulls."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from bot.catalogue.procedures import load_catalogue
from bot.dossiers.records import DossierError
from bot.intake.platform_sync import Mapping, PlatformConfig, SyncError, sync
from bot.services import Services
from bot.settings import ROOT, Settings
from tests.standins.platform_api import PlatformStandIn

MAPPING = ROOT / "data" / "platform_mapping.yml"


@pytest.fixture(scope="module")
def catalogue():
    """The real catalogue (procedure codes map to ids, processing times give due dates)."""
    return load_catalogue(ROOT / "data" / "procedures")


@pytest.fixture
def store(tmp_path, catalogue) -> Services:
    """A fresh database with the catalogue."""
    fresh = Services.open(tmp_path / "motcua.db")
    fresh.catalogue.replace(catalogue)
    return fresh


def codes(n: int, day: str = "261102") -> list:
    """``n`` fictional dossier numbers."""
    return [f"000.00.12.H49-{day}-{i:04d}" for i in range(1, n + 1)]


def config(api: PlatformStandIn, mapping: Path = MAPPING, **kw) -> PlatformConfig:
    return PlatformConfig(url=api.url, mapping_path=mapping, token="test-token", backoff=0.01, **kw)


def incremental_mapping(tmp_path: Path, page_size: int = 100) -> Path:
    """The default mapping with a "changed since" filter named as the stand-in's."""
    data = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    data["request"]["since_param"] = "modifiedFrom"
    data["request"]["page_size"] = page_size
    path = tmp_path / "mapping.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def history_count(store: Services) -> int:
    return store.db["dossier_history"].count


def test_full_pull_pages_through_everything_and_a_second_run_changes_nothing(store):
    with PlatformStandIn() as api:
        for code in codes(250):
            api.put(api.dossier(code))
        api.put(api.dossier("000.00.12.H49-261102-0999", status="waiting", applicantNote="Bản sao giấy khai sinh"))
        first = sync(store, config(api))
        assert (first.pages, first.fetched, first.inserted) == (3, 251, 251)
        assert [p["start"] for p in api.data_requests()] == ["0", "100", "200"]
        again = sync(store, config(api))
    assert (again.inserted, again.updated, again.unchanged, again.status_changes) == (0, 0, 251, 0)
    assert store.dossiers.count() == 251 and history_count(store) == 251
    row = store.dossiers.get("000.00.12.H49-261102-0999")
    assert row["status"] == "additions_requested" and row["additions_note"] == "Bản sao giấy khai sinh"
    assert row["procedure_id"] == "xac-nhan-tinh-trang-hon-nhan"  # the national code maps to the catalogue
    assert row["received_at"] == "2026-11-02T09:00:00+07:00" and row["source"] == "platform"
    assert row["submission_channel"] == "in_person"


def test_wrong_token_stops_with_a_clear_message_and_writes_nothing(store):
    with PlatformStandIn(token="right") as api:
        api.put(api.dossier(codes(1)[0]))
        with pytest.raises(SyncError, match="từ chối đăng nhập"):
            sync(store, PlatformConfig(url=api.url, mapping_path=MAPPING, token="wrong"))
    assert store.dossiers.count() == 0


def test_user_and_password_are_sent_as_basic_auth(store):
    with PlatformStandIn(token=None, username="motcua", password="mật-khẩu") as api:
        api.put(api.dossier(codes(1)[0]))
        report = sync(store, PlatformConfig(url=api.url, mapping_path=MAPPING, username="motcua", password="mật-khẩu"))
    assert report.inserted == 1


def test_429_and_5xx_are_retried_with_back_off_and_retry_after(store):
    waits = []
    with PlatformStandIn() as api:
        for code in codes(5):
            api.put(api.dossier(code))
        api.fail_next(1, 429, retry_after=7)
        api.fail_next(1, 503)
        api.fail_next(1, "drop")
        report = sync(store, config(api), sleep=waits.append)
    assert report.inserted == 5 and report.retries == 3
    assert waits[0] == 7.0  # the platform's Retry-After wins
    assert waits[1] < waits[2]  # then exponential back-off


def test_gives_up_after_the_retries_and_a_rerun_resumes_without_loss_or_duplicates(store):
    with PlatformStandIn() as api:
        for code in codes(250):
            api.put(api.dossier(code))
        pages_seen = []

        def die_after_first_page(number: int) -> None:
            pages_seen.append(number)
            if len(pages_seen) == 1:
                api.fail_next(3, 500)

        api.before_answer = die_after_first_page
        with pytest.raises(SyncError, match="chưa trả lời được"):
            sync(store, config(api, retries=2), sleep=lambda s: None)
        assert store.dossiers.count() == 100  # the first page was committed with its cursor
        api.before_answer = None
        api.requests.clear()
        report = sync(store, config(api), sleep=lambda s: None)
    assert [p["start"] for p in api.data_requests()] == ["100", "200"]  # resumed where it stopped
    assert report.inserted == 150 and store.dossiers.count() == 250 and history_count(store) == 250


def test_incremental_pull_reads_only_what_changed(store, tmp_path):
    mapping = incremental_mapping(tmp_path)
    with PlatformStandIn(since_param="modifiedFrom") as api:
        for code in codes(120):
            api.put(api.dossier(code))
        assert sync(store, config(api, mapping)).inserted == 120
        changed = codes(120)[10:13]
        for code in changed:
            api.put(api.dossier(code, status="releasing", finishDate="05/11/2026 10:00:00"))
        api.requests.clear()
        report = sync(store, config(api, mapping))
        assert api.data_requests()[0]["modifiedFrom"] == "02/11/2026 10:00:00"  # the newest time seen before
    assert (report.fetched, report.updated, report.status_changes) == (3, 3, 3)
    assert [store.dossiers.get(c)["status"] for c in changed] == ["done"] * 3
    new_history = [h for h in store.dossiers.history_since(120)]
    assert [h["code"] for h in new_history] == changed and {h["status"] for h in new_history} == {"done"}


def test_a_dossier_changed_during_the_run_is_not_skipped(store, tmp_path):
    mapping = incremental_mapping(tmp_path, page_size=10)
    with PlatformStandIn(since_param="modifiedFrom") as api:
        for code in codes(30):
            api.put(api.dossier(code))
        first = codes(30)[0]

        def change_an_early_one(number: int) -> None:
            if number == 2:  # while the second page is asked for, the first dossier changes
                api.put(api.dossier(first, status="done"))

        api.before_answer = change_an_early_one
        report = sync(store, config(api, mapping))
    assert store.dossiers.count() == 30
    assert store.dossiers.get(first)["status"] == "returned"  # read again at the end of the list
    assert report.fetched == 31


def test_the_same_timestamp_on_many_dossiers_does_not_loop_or_skip(store, tmp_path):
    mapping = incremental_mapping(tmp_path, page_size=10)
    with PlatformStandIn(since_param="modifiedFrom") as api:
        same = api.clock
        for code in codes(25):
            api.put(api.dossier(code), modified=same)  # a bulk update: one modification time for all
        report = sync(store, config(api, mapping))
        again = sync(store, config(api, mapping))
    assert report.fetched == 25 and store.dossiers.count() == 25
    assert again.fetched == 0


def test_unknown_status_code_is_reported_and_the_rest_still_loads(store):
    with PlatformStandIn() as api:
        for code in codes(3):
            api.put(api.dossier(code))
        api.put(api.dossier("000.00.12.H49-261102-0777", status="archived_xyz"))
        report = sync(store, config(api))
    assert report.inserted == 3
    assert report.skipped == [("000.00.12.H49-261102-0777", "status: mã trạng thái 'archived_xyz' chưa có trong tệp ánh xạ (statuses)")]


def test_another_platform_shape_is_a_mapping_file_away(tmp_path):
    path = tmp_path / "other.yml"
    path.write_text(yaml.safe_dump({
        "request": {"path": "/hoso", "pagination": {"style": "token", "token_param": "next"}},
        "response": {"items": "result.items", "next_token": "result.next"},
        "dates": {"formats": ["%Y-%m-%dT%H:%M:%S%z"]},
        "fields": {"maHoSo": "code", "trangThai.ma": "status", "nguoiNop.hoTen": "applicant_name", "hanXuLy": "due_at"},
        "statuses": {"3": "in_progress", "9": "returned"},
    }), encoding="utf-8")
    mapping = Mapping.load(path)
    row = mapping.to_row({"maHoSo": "H49.12-0001", "trangThai": {"ma": 3}, "nguoiNop": {"hoTen": "Lý Thị Em"},
                          "hanXuLy": "2026-11-30T10:00:00+00:00"})
    assert row == {"code": "H49.12-0001", "status": "in_progress", "applicant_name": "Lý Thị Em", "due_at": "2026-11-30T17:00:00+07:00"}


def test_settings_come_from_the_environment():
    settings = Settings.from_env(env={"MOTCUA_PLATFORM_URL": "https://mc.example/o/rest/v2/", "MOTCUA_PLATFORM_TOKEN": "abc"})
    config_ = PlatformConfig.from_settings(settings)
    assert config_.url == "https://mc.example/o/rest/v2" and config_.token == "abc" and config_.mapping_path == MAPPING
    with pytest.raises(SyncError, match="MOTCUA_PLATFORM_URL"):
        PlatformConfig.from_settings(dataclasses.replace(settings, env={}))


def test_motcua_sync_reads_its_settings_and_reports(store, monkeypatch, capsys):
    from bot.cli import main

    with PlatformStandIn(token="tok") as api:
        for code in codes(3):
            api.put(api.dossier(code))
        for key, value in {"MOTCUA_DB": str(store.path), "MOTCUA_PLATFORM_URL": api.url, "MOTCUA_PLATFORM_TOKEN": "tok"}.items():
            monkeypatch.setenv(key, value)
        assert main(["sync", "--quiet"]) == 0
    assert "3 mới" in capsys.readouterr().out and store.dossiers.count() == 3


def test_next_page_tokens_are_followed_and_a_crash_resumes_at_the_stored_token(store, tmp_path):
    data = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    data["request"].update(page_size=40, pagination={"style": "token", "token_param": "pageToken", "size_param": "size"})
    data["response"]["next_token"] = "nextPageToken"
    mapping = tmp_path / "token.yml"
    mapping.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with PlatformStandIn() as api:
        for code in codes(100):
            api.put(api.dossier(code))
        api.before_answer = lambda number: api.fail_next(5, 502) if number == 2 else None  # after the 2nd page
        with pytest.raises(SyncError):
            sync(store, config(api, mapping, retries=1), sleep=lambda s: None)
        assert store.dossiers.count() == 80
        api.before_answer = None
        api.requests.clear()
        report = sync(store, config(api, mapping))
    assert [p.get("pageToken") for p in api.data_requests()] == ["tok-80"]
    assert report.inserted == 20 and store.dossiers.count() == 100


def test_the_default_mapping_reads_the_field_and_what_the_report_counts(store):
    with PlatformStandIn() as api:
        api.put(api.dossier("000.00.12.H49-261102-0501", domainName="Hộ tịch", online="true"))
        api.put(api.dossier("000.00.12.H49-261102-0502", online="false"))
        assert sync(store, config(api)).inserted == 2
    online = store.dossiers.get("000.00.12.H49-261102-0501")
    assert (online["field"], online["submission_channel"], online["online_level"]) == ("Hộ tịch", "online", None)
    # no domainName: the field comes from the catalogue entry of the procedure code
    assert store.dossiers.get("000.00.12.H49-261102-0502")["field"] == "Hộ tịch"


def test_channel_words_levels_flags_and_supplement_counts_map_from_any_platform(tmp_path):
    path = tmp_path / "vn.yml"
    path.write_text(yaml.safe_dump({
        "fields": {"ma": "code", "tt": "status", "kenh": "submission_channel", "mucDo": "online_level", "linhVuc": "field",
                   "soHoa": "dossier_digitised", "ttTrucTuyen": "paid_online", "lanBoSung": "supplement_requests"},
        "statuses": {"3": "in_progress"},
        "values": {"submission_channel": {"4": "online/full", "3": "online/partial"}},
    }, allow_unicode=True), encoding="utf-8")
    mapping = Mapping.load(path)

    def row(**item):
        return mapping.to_row({"ma": "H49-1", "tt": 3, **item})

    assert row(kenh="Trực tuyến toàn trình") == {"code": "H49-1", "status": "in_progress", "submission_channel": "online", "online_level": "full"}
    assert row(kenh="Trực tuyến một phần")["online_level"] == "partial"
    assert row(kenh=4)["online_level"] == "full" and row(kenh=3)["online_level"] == "partial"
    assert row(kenh="Bưu chính")["submission_channel"] == "post" and row(kenh="Trực tiếp")["submission_channel"] == "in_person"
    assert row(kenh="Trực tuyến", mucDo="Một phần")["online_level"] == "partial"
    assert row(linhVuc="Chứng thực", soHoa="Có", ttTrucTuyen="Không", lanBoSung=2) == {
        "code": "H49-1", "status": "in_progress", "field": "Chứng thực", "dossier_digitised": 1, "paid_online": 0, "supplement_requests": 2}
    with pytest.raises(DossierError, match="submission_channel"):
        row(kenh="Chim bồ câu")
