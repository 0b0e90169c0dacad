"""Citizens rate a finished dossier they follow: asked once (across a restart), 1–5 and a comment, a forged tap rates
nothing; the ratings and petitions give indicator 5.4 for /chiso and `motcua indicators`."""

from __future__ import annotations

import datetime as dt
import json

from bot.cli import main
from bot.delivery.outbox import Outbox
from bot.notifications.jobs import rating_requests, status_notices
from bot.officials.indicators import NO_DATA, chat_indicators, compute
from bot.officials.satisfaction import ratings_for
from bot.people import ratings as rating_rules
from bot.services import Services
from bot.workdays import VN_TZ
from tests.test_indicators import OCTOBER, october, store  # noqa: F401 - the hand-counted October fixtures

MORNING = dt.datetime(2026, 11, 25, 9, 0, tzinfo=VN_TZ)


def follower(services: Services, chat: str = "9001"):
    account = services.users.seen("telegram", chat, "Phạm Thị Hoa")
    services.users.set_consent(account.id, True)
    return account


def test_a_finished_followed_dossier_asks_for_a_rating_once_across_a_restart(store):  # noqa: F811
    hoa = follower(store)
    store.dossiers.upsert([{"code": "KS-100", "status": "in_progress", "procedure_id": "dang-ky-khai-sinh",
                            "received_at": MORNING - dt.timedelta(days=3), "due_at": MORNING + dt.timedelta(days=2)}],
                          source="demo", now=MORNING - dt.timedelta(days=3))
    assert rating_requests(store, store.outbox) == 0 and status_notices(store, store.outbox) == 0  # first runs: cursors
    store.subscriptions.add("telegram:9001", "dossier:KS-100")
    store.dossiers.upsert([{"code": "KS-100", "status": "in_progress"}], source="demo", now=MORNING)
    assert rating_requests(store, store.outbox) == 0  # not finished yet
    store.dossiers.upsert([{"code": "KS-100", "status": "done"}], source="demo", now=MORNING + dt.timedelta(hours=1))
    assert rating_requests(store, store.outbox) == 1
    store.dossiers.upsert([{"code": "KS-100", "status": "returned"}], source="demo", now=MORNING + dt.timedelta(hours=2))
    restarted = Services.open(store.path)
    assert rating_requests(restarted, Outbox(store.path)) == 0  # a restart and a second final status: not again
    (asked,) = [r for r in Outbox(store.path).rows() if r["event"].startswith("rating:")]
    assert asked["recipient_id"] == hoa.id and asked["event"] == "rating:KS-100" and "Đăng ký khai sinh" in asked["text"]
    assert [b["payload"] for b in json.loads(asked["buttons"])] == [f"/danhgia KS-100 {n}" for n in range(1, 6)]

    (thanks,) = restarted.desk.handle("telegram:9001", "/danhgia KS-100 2", MORNING + dt.timedelta(hours=3))
    assert "2/5 (không hài lòng)" in thanks.text and thanks.buttons == [{"title": "Bỏ qua", "payload": "/boqua"}]
    (noted,) = restarted.desk.handle("telegram:9001", "Phải đi lại ba lần mới nhận được kết quả", MORNING + dt.timedelta(hours=3))
    assert "ghi lại ý kiến" in noted.text
    (again,) = restarted.desk.handle("telegram:9001", "/danhgia KS-100 5", MORNING + dt.timedelta(hours=4))
    assert "đã đánh giá hồ sơ KS-100 rồi" in again.text
    (rating,) = restarted.ratings.of("ks-100")
    assert (rating["score"], rating["comment"], rating["person_id"]) == (2, "Phải đi lại ba lần mới nhận được kết quả", hoa.person_id)


def test_a_forged_rating_rates_nothing(store):  # noqa: F811
    follower(store)
    (reply,) = store.desk.handle("telegram:9001", "/danhgia D1 1", MORNING)
    assert "không thấy lời mời đánh giá" in reply.text and store.ratings.of("D1") == []
    assert store.desk.handle("telegram:9001", "/danhgia D1 9", MORNING) is None  # not a score: not a rating at all


def rate(services: Services, chat: str, code: str, score: int) -> None:
    """``chat`` was asked about ``code`` (as the job asks) and tapped ``score``."""
    account = follower(services, chat)
    text, buttons = rating_rules.question(code)
    services.outbox.enqueue(account, rating_rules.event(code), text, buttons)
    assert services.ratings.rate(account, code, score, MORNING) == rating_rules.OK


def test_indicator_5_4_from_ratings_and_petitions(october, monkeypatch, capsys):  # noqa: F811
    assert ratings_for(october.db, *OCTOBER) is None  # nobody said anything: no data, not 100 %
    rate(october, "9101", "D1", 1)   # on time, not satisfied
    rate(october, "9102", "D2", 5)   # on time, satisfied
    rate(october, "9103", "D3", 2)   # late and not satisfied: counted in both shares, as the formula adds them
    rate(october, "9104", "D13", 1)  # finished in September: not October's
    complainer = follower(october, "9105")
    october.petitions.file(complainer, "hồ sơ D9 bị yêu cầu bổ sung giấy tờ không có trong quy định", MORNING, dossier_code="D9")
    ratings = ratings_for(october.db, *OCTOBER)
    assert ratings.complained_or_unsatisfied == 3  # D1, D3, D9
    satisfaction = compute(october.db, october.catalogue, *OCTOBER, ratings=ratings).get("5.4")
    assert (satisfaction.numerator, satisfaction.denominator) == (2, 10)  # 10 judged − 5 late − 3 = 2
    text, _ = chat_indicators(october.db, october.catalogue, dt.date(2026, 11, 1), chart=False)  # what /chiso says
    line = next(row for row in text.splitlines() if row.startswith("5.4"))
    assert "(2/10)" in line and NO_DATA not in line
    monkeypatch.setenv("MOTCUA_DB", str(october.path))
    assert main(["indicators", "--from", "2026-10-01", "--to", "2026-10-31", "--json"]) == 0
    rows = {row["code"]: row for row in json.loads(capsys.readouterr().out)["indicators"]}
    assert rows["5.4"]["rate"] == 0.2
