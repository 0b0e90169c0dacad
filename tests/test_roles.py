"""Roles, invites and the audit trail (bot/people/roles.py, invites.py, audit.py) and the officials' actions
(actions/officials.py), over a real SQLite file; the actions are run with rasa-sdk's CollectingDispatcher and a
Tracker, as Rasa runs them. Time is passed in (``now``), never waited for."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
import threading

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions
from actions.officials import FAILED, ActionCreateInvite, ActionRedeemInvite, OfficialAction
from bot.people import invites as rules
from bot.people.audit import HIDDEN_CODE, parse_since, redact
from bot.people.roles import COMMANDS, Refused, allowed, checked_assignment, parse_role, require, split_role
from bot.phrases import REFUSAL
from bot.services import Services
from bot.timeutil import VN_TZ
from nlu.dossier_code import find_codes
from nlu.invite_code import find_invite_codes, invite_intent, well_formed

CHANNELS = ("web", "telegram", "zalo")
DEPARTMENT = "Tư pháp - Hộ tịch"


def vn(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=VN_TZ)


NOW = vn(2026, 11, 24)


@pytest.fixture
def services(tmp_path) -> Services:
    return Services.open(tmp_path / "motcua.db")


def account(services: Services, channel: str, cuid: str, role: str = "citizen", department=None, area=None):
    user = services.users.seen(channel, cuid, f"Người {cuid}")
    if role != "citizen":
        services.users.set_role(user.id, role, department, area)
    return services.users.get(user.id)


def tracker(sender: str, text: str = "", entities: list = None, at: dt.datetime = NOW, intent: str = "nlu_fallback") -> Tracker:
    """A tracker whose latest message is ``text`` from conversation ``sender``, sent at ``at``."""
    message = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or [], "metadata": {}}
    events = [{"event": "user", "text": text, "timestamp": at.timestamp(), "parse_data": message}]
    return Tracker(sender, {}, message, events, False, None, {}, "action_listen")


def run(action, tr: Tracker):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tr, {})
    return "\n".join(m.get("text") or "" for m in dispatcher.messages), events


class Probe(OfficialAction):
    """Stands for any official command: records that it ran and with which scope."""

    def __init__(self, services: Services, command: str) -> None:
        super().__init__(services)
        self.command, self.ran = command, []

    def name(self) -> str:
        return f"action_probe_{self.command}"

    def run_official(self, dispatcher, tracker, domain, user, scope):
        self.ran.append(scope)
        dispatcher.utter_message(text=f"Số liệu mật của {scope.department or scope.area or 'toàn phường'}: 42 hồ sơ")
        return []


# the invite code's shape ----------------------------------------------------------------------------
def test_codes_are_found_however_they_are_typed_and_never_taken_for_dossier_codes():
    code = rules.new_code()
    assert well_formed(code) and len(code) == 14 and not find_codes(code)
    lower = code.lower()
    for text in (f"mã mời {code}", f"ma moi {lower}", f"Mã mời: {lower.replace('-', ' ')}", f"/moi {lower.replace('-', '')}",
                 f"em là cán bộ, mã {code} ạ", f'/redeem_invite{{"invite_code": "{code}"}}'):
        assert [c for c, _, _ in find_invite_codes(text)] == [code], text
        assert invite_intent(text) == "redeem_invite"
    for text in ("tra cứu hồ sơ 000.00.12.H49-251120-0031", "bang nhan danh thang", "mã mời là gì", "dang-ky-khai-sinh",
                 "ABCD-EFGH", "ABCD-EFGH-JKMN-PQRS", ""):
        assert find_invite_codes(text) == [], text
    assert invite_intent("/taomoi cán bộ Tư pháp - Hộ tịch") == "create_invite"
    assert invite_intent("Tạo mã mời tổ cộng đồng Tổ dân phố 3") == "create_invite"
    assert invite_intent("đăng ký khai sinh cần gì") is None


def test_the_pipeline_sets_the_entity_and_the_intent_whatever_the_classifier_guessed():
    from rasa.shared.nlu.training_data.message import Message

    from nlu.components import InviteClassifier, PatternEntityExtractor

    def parsed(text: str, guessed: str = "ask_procedure", confidence: float = 0.0) -> Message:
        message = Message(data={"text": text, "intent": {"name": guessed, "confidence": confidence}, "entities": []})
        PatternEntityExtractor().process([message])
        InviteClassifier().process([message])
        return message

    message = parsed("mã mời kmrt vxab qhnc nhé")
    assert [(e["entity"], e["value"]) for e in message.get("entities")] == [("invite_code", "KMRT-VXAB-QHNC")]
    assert message.get("intent") == {"name": "redeem_invite", "confidence": 1.0}
    assert parsed("/taomoi leader").get("intent")["name"] == "create_invite"  # no word the guard knows: still the rule
    other = parsed("đăng ký khai sinh cần gì", confidence=0.9)
    assert other.get("intent") == {"name": "ask_procedure", "confidence": 0.9} and other.get("entities") == []


# roles and the one check ----------------------------------------------------------------------------
def test_the_table_lets_each_role_run_only_its_commands(services):
    citizen = account(services, "zalo", "1")
    official = account(services, "telegram", "2", "official", DEPARTMENT)
    team = account(services, "zalo", "3", "team", area="Tổ dân phố 3")
    leader = account(services, "web", "w4", "leader")
    admin = account(services, "telegram", "5", "admin")
    for command in COMMANDS:
        if command != "redeem_invite":
            assert not allowed(citizen, command) and not allowed(None, command), command
    assert allowed(official, "report") and not allowed(official, "create_invite") and not allowed(official, "audit")
    assert allowed(team, "area_broadcast") and not allowed(team, "report")
    assert allowed(leader, "report") and not allowed(leader, "create_invite")
    assert allowed(admin, "create_invite") and allowed(admin, "audit")
    assert require(official, "report").department == DEPARTMENT
    assert require(team, "area_broadcast").area == "Tổ dân phố 3"
    assert require(leader, "report").department is None  # the whole ward
    for user in (citizen, official, leader, admin):
        assert not allowed(user, "khong_co_lenh_nay")  # an unknown command: refused to everyone, admins too
    with pytest.raises(Refused):
        require(citizen, "report")


def test_a_telegram_group_never_holds_a_role(services):
    group = account(services, "telegram", "-100200300", "official", DEPARTMENT)  # set by hand on the server
    assert not allowed(group, "report")


def test_role_words_and_assignments_are_checked():
    assert parse_role("Cán bộ") == parse_role("can bo") == parse_role("official") == "official"
    assert split_role("tổ cộng đồng Tổ dân phố 3") == ("team", "Tổ dân phố 3")
    assert split_role("lãnh đạo") == ("leader", "")
    assert split_role("giám đốc sở") == (None, "giám đốc sở")
    assert checked_assignment("official", "  Tư pháp -  Hộ tịch ") == ("official", DEPARTMENT, None)
    assert checked_assignment("leader", DEPARTMENT) == ("leader", None, None)
    for bad in (("official", None), ("team", None, None), ("sếp", None), ("official", "x" * 101)):
        with pytest.raises(ValueError):
            checked_assignment(*bad)


# invites ---------------------------------------------------------------------------------------------
def test_an_invite_gives_its_role_once_and_is_stored_only_as_a_hash(services, tmp_path):
    invite = services.invites.create("official", DEPARTMENT, created_by="cli:admin", now=NOW)
    assert invite.expires_at == NOW + dt.timedelta(days=7)
    dump = "\n".join(sqlite3.connect(tmp_path / "motcua.db").iterdump())
    assert invite.code not in dump and invite.code.replace("-", "") not in dump and rules.code_hash(invite.code) in dump

    hoa = account(services, "telegram", "777")
    done = services.invites.redeem(hoa, invite.code.lower().replace("-", " "), NOW + dt.timedelta(hours=1))
    assert (done.outcome, done.role, done.department) == ("ok", "official", DEPARTMENT)
    assert (services.users.get(hoa.id).role, services.users.get(hoa.id).department) == ("official", DEPARTMENT)

    other = account(services, "zalo", "888")
    again = services.invites.redeem(other, invite.code, NOW + dt.timedelta(hours=2))
    assert again.outcome == "used" and services.users.get(other.id).role == "citizen"
    assert services.invites.failures(other.conversation_id, NOW) == 0  # a used code is not a guess


def test_an_invite_expires(services):
    invite = services.invites.create("team", area="Tổ dân phố 3", created_by="cli:admin", now=NOW, ttl=rules.parse_duration("48h"))
    late = account(services, "zalo", "999")
    assert services.invites.redeem(late, invite.code, NOW + dt.timedelta(hours=48)).outcome == "expired"
    assert services.users.get(late.id).role == "citizen"
    assert services.invites.redeem(late, invite.code, NOW + dt.timedelta(hours=47, minutes=59)).outcome == "ok"
    assert services.users.get(late.id).area == "Tổ dân phố 3"


def test_wrong_codes_are_limited_per_account_per_day_and_the_count_survives_a_restart(services, tmp_path):
    invite = services.invites.create("official", DEPARTMENT, created_by="cli:admin", now=NOW)
    guesser = account(services, "web", "wguess")
    outcomes = [services.invites.redeem(guesser, rules.new_code(), NOW + dt.timedelta(minutes=i)) for i in range(5)]
    assert [o.outcome for o in outcomes] == ["wrong"] * 4 + ["locked"]
    assert [o.tries_left for o in outcomes] == [4, 3, 2, 1, 0]
    assert services.invites.redeem(guesser, "not a code", NOW).outcome == "locked"

    reopened = Services.open(tmp_path / "motcua.db")  # a restart, or another worker
    assert reopened.invites.redeem(guesser, invite.code, NOW + dt.timedelta(hours=5)).outcome == "locked"  # even the right one
    assert reopened.users.get(guesser.id).role == "citizen"
    neighbour = account(reopened, "web", "wother")
    assert reopened.invites.tries_left(neighbour.conversation_id, NOW) == rules.MAX_FAILURES_PER_DAY
    tomorrow = vn(2026, 11, 25, 0, 5)
    assert reopened.invites.redeem(guesser, invite.code, tomorrow).outcome == "ok"


def test_two_accounts_racing_for_one_code_get_one_role(tmp_path):
    path = tmp_path / "motcua.db"
    invite = Services.open(path).invites.create("leader", created_by="cli:admin", now=NOW)
    stores = [Services.open(path) for _ in range(2)]
    racers = [account(stores[i], "zalo", f"race{i}") for i in range(2)]
    start, results = threading.Barrier(2), [None, None]

    def race(i: int) -> None:
        start.wait()
        results[i] = stores[i].invites.redeem(racers[i], invite.code, NOW).outcome

    threads = [threading.Thread(target=race, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == ["ok", "used"]
    assert sorted(stores[0].users.get(r.id).role for r in racers) == ["citizen", "leader"]


def test_an_admin_keeps_the_role_and_a_group_cannot_redeem(services):
    invite = services.invites.create("official", DEPARTMENT, created_by="cli:admin", now=NOW)
    admin = account(services, "telegram", "1", "admin")
    assert services.invites.redeem(admin, invite.code, NOW).outcome == "kept_admin"
    group = account(services, "telegram", "-4242")
    assert services.invites.redeem(group, invite.code, NOW).outcome == "group"
    assert services.users.get(admin.id).role == "admin" and services.users.get(group.id).role == "citizen"
    assert services.invites.open_count(NOW) == 1  # still unused


def test_chat_requests_and_durations_are_read_or_refused_in_vietnamese():
    request = rules.parse_request("/taomoi cán bộ Tư pháp - Hộ tịch 3d")
    assert (request.role, request.department, request.ttl) == ("official", DEPARTMENT, dt.timedelta(days=3))
    request = rules.parse_request("tạo mã mời tổ cộng đồng Tổ dân phố 3")
    assert (request.role, request.area, request.ttl) == ("team", "Tổ dân phố 3", rules.DEFAULT_TTL)
    assert rules.parse_request("/taomoi quản trị").role == "admin"
    for bad in ("/taomoi", "/taomoi giám đốc", "/taomoi cán bộ", "/taomoi người dân", "/taomoi lãnh đạo 90d"):
        with pytest.raises(ValueError) as error:
            rules.parse_request(bad)
        assert str(error.value) and str(error.value)[0].isupper()
    assert rules.parse_duration("30m") == dt.timedelta(minutes=30)
    for bad in ("0d", "31d", "bảy ngày", "7w", ""):
        with pytest.raises(ValueError):
            rules.parse_duration(bad)


# the audit trail -------------------------------------------------------------------------------------
def test_the_audit_never_keeps_a_code_and_reads_by_account_time_and_command(services):
    assert redact("mã mời kmrt-vxab-qhnc nhé") == f"mã mời {HIDDEN_CODE} nhé"
    hoa = account(services, "telegram", "777", "official", DEPARTMENT)
    services.audit.write(hoa, "telegram:777", "report", "ok", "báo cáo tháng 10", vn(2026, 11, 1))
    services.audit.write(None, "web:wx", "report", "refused", "báo cáo KMRT-VXAB-QHNC", vn(2026, 11, 20))
    rows = services.audit.read()
    assert [r["account"] for r in rows] == ["web:wx", "telegram:777"]  # newest first
    assert (rows[1]["role"], rows[1]["channel"], rows[1]["name"], rows[1]["at"]) == ("official", "telegram", "Người 777",
                                                                                     "2026-11-01T09:00:00+07:00")
    assert rows[0]["role"] == "citizen" and "KMRT" not in rows[0]["detail"]
    assert [r["outcome"] for r in services.audit.read(since=vn(2026, 11, 10))] == ["refused"]
    assert [r["command"] for r in services.audit.read(account="telegram:777")] == ["report"]
    assert len(services.audit.read(account=str(hoa.id))) == 1 and len(services.audit.read(limit=1)) == 1
    assert parse_since("7d", NOW) == NOW - dt.timedelta(days=7)
    assert parse_since("2026-11-01", NOW) == vn(2026, 11, 1, 0, 0)
    with pytest.raises(ValueError):
        parse_since("hôm qua", NOW)


# the actions: one check for every official command, on every channel ----------------------------------
@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("command", sorted(set(COMMANDS) - {"redeem_invite"}) + ["khong_co_lenh_nay"])
def test_every_official_command_is_refused_to_a_citizen_on_every_channel(services, channel, command):
    known = account(services, channel, f"{channel}-citizen")
    for sender in (known.conversation_id, f"{channel}:never-wrote", "test-no-channel"):
        probe = Probe(services, command)
        text, events = run(probe, tracker(sender, "báo cáo tháng 10 của phường"))
        assert (text, events, probe.ran) == (REFUSAL, [], [])  # the same words whether the command exists or not
        row = services.audit.read(limit=1)[0]
        assert (row["account"], row["command"], row["outcome"], row["role"]) == (sender, command, "refused", "citizen")
    assert services.users.find(channel, "never-wrote") is None  # a refusal creates no account


@pytest.mark.parametrize("channel", CHANNELS)
def test_every_registered_official_action_refuses_a_citizen(services, channel):
    official_actions = [a for a in actions.build(services) if isinstance(a, OfficialAction) and a.command != "redeem_invite"]
    assert "action_create_invite" in [a.name() for a in official_actions]
    citizen = account(services, channel, f"{channel}-c")
    official = account(services, channel, f"{channel}-o", "official", DEPARTMENT)
    for action in official_actions:
        for who in (citizen, official) if action.command == "create_invite" else (citizen,):
            text, events = run(action, tracker(who.conversation_id, "/taomoi cán bộ Tư pháp - Hộ tịch"))
            assert (text, events) == (REFUSAL, []), action.name()
    assert services.invites.open_count(NOW) == 0


def test_an_allowed_command_runs_in_its_scope_and_is_audited(services):
    official = account(services, "zalo", "84901", "official", DEPARTMENT)
    probe = Probe(services, "report")
    text, _ = run(probe, tracker("zalo:84901", "báo cáo tháng 10"))
    assert "Tư pháp - Hộ tịch: 42" in text and probe.ran[0].department == DEPARTMENT
    row = services.audit.read(limit=1)[0]
    assert (row["user_id"], row["role"], row["channel"], row["command"], row["detail"], row["outcome"], row["at"]) == (
        official.id, "official", "zalo", "report", "báo cáo tháng 10", "ok", "2026-11-24T09:00:00+07:00")


def test_a_failing_command_gets_a_polite_reply_and_an_error_row(services):
    account(services, "web", "wlead", "leader")

    class Broken(Probe):
        def run_official(self, *args):
            raise RuntimeError("boom")

    text, events = run(Broken(services, "indicators"), tracker("web:wlead", "chỉ số 766"))
    assert (text, events) == (FAILED, [])
    assert services.audit.read(limit=1)[0]["outcome"] == "error"


def test_an_admin_invites_in_the_chat_and_the_person_redeems_on_another_channel(services):
    account(services, "telegram", "1", "admin")
    text, _ = run(ActionCreateInvite(services), tracker("telegram:1", "/taomoi cán bộ Tư pháp - Hộ tịch"))
    (code,) = {c for c, _, _ in find_invite_codes(text)}
    assert "cán bộ (Tư pháp - Hộ tịch)" in text and "01/12/2026" in text  # 7 days

    text, _ = run(ActionRedeemInvite(services), tracker("zalo:84902", f"mã mời {code.lower()}", at=NOW + dt.timedelta(hours=1)))
    assert "đã là cán bộ (Tư pháp - Hộ tịch)" in text
    official = services.users.find("zalo", "84902")  # the account is created on first contact
    assert (official.role, official.department) == ("official", DEPARTMENT)
    assert Probe(services, "report").run(CollectingDispatcher(), tracker("zalo:84902", "báo cáo"), {}) == []

    text, _ = run(ActionRedeemInvite(services), tracker("web:wlate", f"mã mời {code}"))
    assert "đã được dùng" in text and services.users.find("web", "wlate").role == "citizen"
    rows = sorted(services.audit.read(), key=lambda r: r["id"])
    assert [(r["account"], r["command"], r["outcome"]) for r in rows] == [
        ("telegram:1", "create_invite", "ok"), ("zalo:84902", "redeem_invite", "ok"), ("zalo:84902", "report", "ok"),
        ("web:wlate", "redeem_invite", "used")]
    assert rows[1]["role"] == "citizen" and rows[2]["role"] == "official"  # the role each had when it wrote
    assert all(code not in r["detail"] and code.lower() not in r["detail"] for r in rows)


def test_the_telegram_payload_is_checked_like_typed_text(services):
    invite = services.invites.create("official", DEPARTMENT, created_by="cli:admin", now=NOW)
    forged = run(ActionRedeemInvite(services), tracker("telegram:5", '/redeem_invite{"invite_code": "x"}',
                                                       entities=[{"entity": "invite_code", "value": "x"}]))[0]
    assert "gửi mã mời theo dạng" in forged and services.invites.failures("telegram:5", NOW) == 0
    wrong = run(ActionRedeemInvite(services), tracker("telegram:5", "/redeem_invite", entities=[
        {"entity": "invite_code", "value": "ABCD-EFGH-JKMN"}]))[0]
    assert "còn 4 lần thử" in wrong
    right = run(ActionRedeemInvite(services), tracker("telegram:5", "/redeem_invite", entities=[
        {"entity": "invite_code", "value": invite.code.lower()}]))[0]
    assert "đã là cán bộ" in right
    asked = run(ActionCreateInvite(services), tracker("telegram:5", "/create_invite", entities=[
        {"entity": "invite_request", "value": "lãnh đạo"}]))[0]
    assert asked == REFUSAL  # an official may not invite


def test_a_bad_request_from_an_admin_gets_the_syntax_and_no_code(services):
    account(services, "web", "wadmin", "admin")
    for text in ("/taomoi", "/taomoi cán bộ", "tạo mã mời giám đốc", "/taomoi lãnh đạo 99d", "/taomoi cán bộ " + "x" * 500):
        reply, _ = run(ActionCreateInvite(services), tracker("web:wadmin", text))
        assert reply and not find_invite_codes(reply), text
    assert services.invites.open_count(NOW) == 0
    assert {r["outcome"] for r in services.audit.read()} == {"invalid"}


def test_the_migration_adds_the_tables_to_an_existing_database(tmp_path):
    path = tmp_path / "old.db"
    Services.open(path).users.seen("telegram", "1", "An")
    with sqlite3.connect(path) as conn:  # back to before migration 4, keeping the row
        conn.execute("alter table users drop column area")
        conn.execute("drop table invites")
        conn.execute("drop table invite_failures")
        conn.execute("drop table audit_log")
        conn.execute("pragma user_version = 3")
    services = Services.open(path)
    user = services.users.find("telegram", "1")
    services.users.set_role(user.id, "team", area="Tổ dân phố 1")
    assert dataclasses.astuple(services.users.get(user.id))[-1] == "Tổ dân phố 1"
    assert services.invites.open_count(NOW) == 0 and services.audit.read() == []


# the command line ------------------------------------------------------------------------------------
def test_motcua_invite_role_and_audit(settings, tmp_path):
    from tests.test_cli import run as motcua

    own = dataclasses.replace(settings, db_path=tmp_path / "cli.db")
    made = motcua(["invite", "--role", "official", "--department", DEPARTMENT, "--expires", "2d"], own)
    assert made.returncode == 0, made.stderr
    code = made.stdout.strip()
    assert well_formed(code) and "mã mời " + code in made.stderr and "dùng một lần" in made.stderr
    for args, words in ((["invite", "--role", "official"], "bộ phận"), (["invite", "--role", "team"], "địa bàn"),
                        (["invite", "--role", "leader", "--expires", "90d"], "30 ngày"),
                        (["role", "zalo", "84", "team"], "--area"), (["audit", "--since", "hôm qua"], "YYYY-MM-DD")):
        refused = motcua(args, own)
        assert refused.returncode == 2 and words in refused.stderr and "Traceback" not in refused.stderr, args

    first_admin = motcua(["role", "telegram", "1", "admin", "--name", "Anh Quản"], own)
    assert first_admin.returncode == 0 and "quản trị viên" in first_admin.stdout
    store = Services.open(own.db_path)
    hoa = account(store, "telegram", "777")
    assert store.invites.redeem(hoa, code, dt.datetime.now(VN_TZ)).outcome == "ok"
    store.audit.write(store.users.get(hoa.id), "telegram:777", "report", "ok", "báo cáo tháng 10")

    everything = motcua(["audit"], own)
    assert everything.returncode == 0, everything.stderr
    lines = everything.stdout.splitlines()
    assert "telegram:777 (Người 777, cán bộ) · report · ok · báo cáo tháng 10" in lines[0]
    assert any("set_role" in line and "telegram:1 → admin" in line for line in lines)
    assert any("create_invite" in line and "cán bộ (Tư pháp - Hộ tịch)" in line for line in lines)
    assert code not in everything.stdout
    one = motcua(["audit", "--user", "telegram:777", "--since", "1d", "--limit", "5"], own)
    assert one.stdout.splitlines() == lines[:1]
    assert motcua(["audit", "--command", "khong-co"], own).stdout == ""
