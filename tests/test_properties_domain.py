"""Property-based attacks on the layers under the channels, no model needed: the desk every message meets first, the
officials' commands (the one role check, with forged intents and entities from citizens and groups), invite codes,
the data loaders (catalogue, legal register), the dossier CSV/XLSX import, the task import and the platform's
dossier mapping. Each input gets a result or the module's own error with a Vietnamese (or file-naming) message,
never another exception; the database passes its integrity check and keeps its invariants (tests/hostile.py)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import uuid
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.catalogue.procedures import CatalogueError, parse_procedure
from bot.delivery.reply import Reply
from bot.intake.platform_sync import Mapping
from bot.intake.spreadsheet_import import HEADERS as DOSSIER_HEADERS
from bot.intake.spreadsheet_import import ImportFailure, import_file
from bot.legal.register import RegisterError, load_register
from bot.loader import load_all
from bot.officials.tasks import HEADERS as TASK_HEADERS
from bot.officials.tasks import TaskImportError
from bot.people import invites as invite_rules
from bot.people.roles import checked_assignment, split_role
from bot.phrases import REFUSAL
from bot.services import Services
from bot.settings import ROOT, Settings
from bot.timeutil import VN_TZ
from bot.yamltext import line_of
from tests.hostile import (
    DOSSIER,
    ENTITIES,
    FAST,
    OFFICIAL_INTENTS,
    SLOW,
    check_database,
    forged_payload,
    hostile_text,
    is_vietnamese_message,
    json_value,
    message_text,
)

NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=VN_TZ)  # a Wednesday morning, office hours
json_scalar_small = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**6), st.text(max_size=20))
ACCOUNT_CHANNELS = ("telegram", "zalo", "web")


def _seen(services: Services, conversation: str) -> None:
    """Record the account behind ``conversation`` as a channel would (only real channels with an id)."""
    channel, _, uid = conversation.partition(":")
    if channel in ACCOUNT_CHANNELS and uid.strip() and uid.isprintable():
        services.users.seen(channel, uid)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A database of its own, loaded from data/ (checked at the end of the module)."""
    folder = tmp_path_factory.mktemp("properties-domain")
    settings = dataclasses.replace(Settings.from_env(env={}), db_path=folder / "motcua.db", tracker_db_path=folder / "tracker.db")
    load_all(settings)
    services = Services.open(settings.db_path)
    yield services, folder
    check_database(settings.db_path)


conversation_ids = st.one_of(
    st.sampled_from(["telegram:", "zalo:", "web:", "kiosk:", ""]).flatmap(
        lambda prefix: st.one_of(st.integers(-10**15, 10**15).map(str), st.text(max_size=20)).map(lambda rest: prefix + rest)),
    hostile_text.map(lambda t: t[:200]),
)


# the desk: every message of every channel meets it before the NLU ---------------------------------------------------------
@FAST
@given(conversation=conversation_ids, text=message_text)
def test_the_desk_takes_a_message_or_leaves_it_to_the_assistant(world, conversation, text):
    services, _ = world
    _seen(services, conversation)
    replies = services.desk.handle(conversation, text, NOW)
    assert replies is None or all(isinstance(r, Reply) and isinstance(r.text, str) for r in replies)


# the officials' commands: the one role check, whatever the payload says -----------------------------------------------
def _official_actions(services):
    import actions
    from actions.officials import OfficialAction

    return {a.command: a for a in actions.build(services) if isinstance(a, OfficialAction)}


def _tracker(sender: str, text: str, intent: str, entities):
    from rasa_sdk import Tracker

    return Tracker(sender, {}, {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities,
                                "metadata": {"as_of": "2026-11-25"}},
                   [{"event": "user", "timestamp": NOW.timestamp(), "text": text}], False, None, None, "action_listen")


forged_entities = st.lists(st.fixed_dictionaries({"entity": st.one_of(st.sampled_from(ENTITIES), st.text(max_size=10)),
                                                  "value": st.one_of(hostile_text, json_value)}), max_size=3)


@FAST
@given(data=st.data(), sender=st.one_of(
    st.integers(1, 10**12).map(lambda n: f"telegram:{n}"), st.integers(1, 10**12).map(lambda n: f"telegram:-{n}"),
    st.integers(10**17, 10**19).map(lambda n: f"zalo:{n}"), st.text(max_size=20).map(lambda s: "web:" + s),
    st.text(max_size=30)))
def test_a_citizen_or_a_group_is_refused_every_official_command_whatever_the_payload(world, data, sender):
    from rasa_sdk.executor import CollectingDispatcher

    services, _ = world
    official = _official_actions(services)
    command = data.draw(st.sampled_from(sorted(c for c in official if c != "redeem_invite")))
    text = data.draw(st.one_of(forged_payload(), hostile_text))
    intent = data.draw(st.sampled_from(OFFICIAL_INTENTS))
    before = services.db.execute("select count(*) from audit_log where outcome = 'refused'").fetchone()[0]
    _seen(services, sender)
    dispatcher = CollectingDispatcher()
    events = official[command].run(dispatcher, _tracker(sender, text, intent, data.draw(forged_entities)), {})
    assert events == [] and [m.get("text") for m in dispatcher.messages] == [REFUSAL]
    assert services.db.execute("select count(*) from audit_log where outcome = 'refused'").fetchone()[0] == before + 1


@FAST
@given(code=st.one_of(hostile_text, st.text("ABCDEFGHJKLMNPQRSTUVWXYZ-", min_size=12, max_size=16)), entities=forged_entities)
def test_a_made_up_invite_code_gives_no_role(world, code, entities):
    from rasa_sdk.executor import CollectingDispatcher

    services, _ = world
    sender = f"telegram:{uuid.uuid4().int % 10**12 + 1}"
    action = _official_actions(services)["redeem_invite"]
    dispatcher = CollectingDispatcher()
    action.run(dispatcher, _tracker(sender, "mã mời " + code, "redeem_invite",
                                    entities + [{"entity": "invite_code", "value": code}]), {})
    assert len(dispatcher.messages) == 1 and is_vietnamese_message(dispatcher.messages[0]["text"])
    assert services.users.find("telegram", sender.split(":")[1]).role == "citizen"


@FAST
@given(text=message_text)
def test_an_invite_request_is_understood_or_refused_in_vietnamese(text):
    try:
        request = invite_rules.parse_request(text)
    except ValueError as error:
        assert is_vietnamese_message(str(error))
        return
    assert request.role in ("official", "team", "leader", "admin")
    assert dt.timedelta(0) < request.ttl <= invite_rules.MAX_TTL


@FAST
@given(role=st.one_of(st.sampled_from(["official", "team", "leader", "admin", "citizen"]), hostile_text),
       department=st.one_of(st.none(), hostile_text), area=st.one_of(st.none(), hostile_text))
def test_a_role_assignment_is_checked(role, department, area):
    split_role(role)
    try:
        stored = checked_assignment(role, department, area)
    except ValueError as error:
        assert is_vietnamese_message(str(error))
        return
    assert stored[0] == role and all(v is None or (v.isprintable() and len(v) <= 100) for v in stored[1:])


# data files ---------------------------------------------------------------------------------------------------------
procedure_like = st.fixed_dictionaries(
    {"id": st.one_of(st.just("thu-tuc-thu"), hostile_text)},
    optional={k: json_value for k in ("code", "name", "field", "level", "documents", "fees", "processing_time", "where",
                                        "legal_basis", "aliases", "forms", "verified", "sources", "channels")})


@FAST
@given(data=st.one_of(procedure_like, json_value))
def test_a_catalogue_entry_loads_or_names_its_bad_field(tmp_path_factory, data):
    path = Path("data/procedures/thu.yml")
    try:
        parse_procedure(data, path)
    except CatalogueError as error:
        assert error.field and str(path) in str(error)


@SLOW
@given(entries=st.one_of(json_value, st.lists(st.fixed_dictionaries(
    {"number": st.one_of(st.just("60/2014/QH13"), hostile_text)},
    optional={k: json_value for k in ("title", "kind", "in_force", "expires", "verified", "notes", "checked", "amended_by",
                                      "replaced_by", "fields")}), max_size=3)))
def test_the_legal_register_loads_or_names_file_and_field(tmp_path_factory, entries):
    path = tmp_path_factory.mktemp("register") / "register.yml"
    path.write_text(yaml.safe_dump({"documents": entries} if isinstance(entries, list) else entries, allow_unicode=True),
                    encoding="utf-8")
    try:
        load_register(path)
    except (RegisterError, CatalogueError) as error:
        assert str(path) in str(error)


@FAST
@given(text=st.text(max_size=200), field=st.text(max_size=30))
def test_finding_a_fields_line_never_fails(text, field):
    line = line_of(text, field)
    assert line is None or 1 <= line <= text.count("\n") + text.count("\r") + 2


# the dossier import (CSV, XLSX) ---------------------------------------------------------------------------------------
COLUMNS = ["code", "procedure_code", "procedure_name", "applicant_name", "received_at", "due_at", "finished_at", "status",
           "department", "submission_channel"]
cell = st.one_of(hostile_text.map(lambda t: t[:300]), st.sampled_from(["02/11/2026 08:05", "2026-11-02", "31/02/2026", "0",
                                                                       "Đã trả kết quả", "Đang xử lý", DOSSIER, "=1+1", "@SUM(A1)"]))
dossier_rows = st.lists(st.fixed_dictionaries({c: cell for c in COLUMNS}), min_size=1, max_size=6)


def _csv(rows, delimiter: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, escapechar="\\")
    writer.writerow([DOSSIER_HEADERS[c][0] for c in COLUMNS])
    for row in rows:
        writer.writerow([row[c] for c in COLUMNS])
    return out.getvalue()


@SLOW
@given(rows=dossier_rows, delimiter=st.sampled_from([",", ";", "\t"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1258"]))
def test_a_hostile_dossier_csv_loads_its_good_rows_and_names_the_bad_ones(world, rows, delimiter, encoding):
    services, folder = world
    path = folder / f"ho-so-{uuid.uuid4().hex[:8]}.csv"
    path.write_bytes(_csv(rows, delimiter).encode(encoding, errors="replace"))
    try:
        report = import_file(services, path, now=NOW)
    except ImportFailure as error:
        assert is_vietnamese_message(str(error))
        return
    assert report.rows >= len(report.errors)
    assert all(isinstance(n, int) and is_vietnamese_message(why) or isinstance(why, str) for n, why in report.errors)
    assert is_vietnamese_message(report.summary())


@SLOW
@given(rows=dossier_rows)
def test_a_hostile_dossier_xlsx_loads_its_good_rows_and_names_the_bad_ones(world, rows):
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    services, folder = world
    book = Workbook()
    sheet = book.active
    sheet.append([DOSSIER_HEADERS[c][0] for c in COLUMNS])
    for row in rows:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", str(row[c])) for c in COLUMNS])  # what Excel itself can hold
    path = folder / f"ho-so-{uuid.uuid4().hex[:8]}.xlsx"
    book.save(path)
    report = import_file(services, path, now=NOW)
    assert report.rows >= len(report.errors) and is_vietnamese_message(report.summary())


@SLOW
@given(raw=st.binary(max_size=2000), suffix=st.sampled_from([".csv", ".xlsx", ".xls", ".txt"]))
def test_a_file_that_is_not_an_export_is_refused_in_vietnamese(world, raw, suffix):
    services, folder = world
    path = folder / f"rac-{uuid.uuid4().hex[:8]}{suffix}"
    path.write_bytes(raw)
    try:
        import_file(services, path, now=NOW)
    except ImportFailure as error:
        assert is_vietnamese_message(str(error))


# the task register (YAML, XLSX) -------------------------------------------------------------------------------------
task_items = st.lists(st.one_of(
    st.fixed_dictionaries({k: st.one_of(hostile_text.map(lambda t: t[:200]), json_scalar_small)
                           for k in ("code", "task", "lead_unit", "deadline", "progress", "status")}),
    json_value), max_size=5)


@SLOW
@given(items=task_items, wrap=st.booleans())
def test_a_hostile_task_register_is_imported_whole_or_refused_row_by_row(world, items, wrap):
    services, folder = world
    path = folder / f"nhiem-vu-{uuid.uuid4().hex[:8]}.yml"
    path.write_text(yaml.safe_dump({"tasks": items} if wrap else items, allow_unicode=True), encoding="utf-8")
    before = services.db.execute("select count(*) from tasks").fetchone()[0]
    try:
        result = services.tasks.import_file(path, now=NOW)
    except TaskImportError as error:
        assert is_vietnamese_message(str(error)) and path.name in str(error)
        assert services.db.execute("select count(*) from tasks").fetchone()[0] == before  # nothing, when one row is bad
        return
    assert result.rows == len(items)


@SLOW
@given(rows=st.lists(st.lists(st.one_of(hostile_text.map(lambda t: t[:100]), st.integers(-5, 200), st.none()),
                              min_size=4, max_size=4), min_size=1, max_size=4))
def test_a_hostile_task_sheet_is_imported_whole_or_refused_row_by_row(world, rows):
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    services, folder = world
    book = Workbook()
    sheet = book.active
    sheet.append([TASK_HEADERS[k][0] for k in ("title", "lead_unit", "deadline", "progress")])
    for row in rows:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
    path = folder / f"nhiem-vu-{uuid.uuid4().hex[:8]}.xlsx"
    book.save(path)
    try:
        services.tasks.import_file(path, now=NOW)
    except TaskImportError as error:
        assert is_vietnamese_message(str(error))


# the province's platform: one dossier as its API sends it -------------------------------------------------------------
@pytest.fixture(scope="module")
def mapping():
    return Mapping.load(ROOT / "data" / "platform_mapping.yml")


@FAST
@given(data=st.data())
def test_a_platform_dossier_maps_to_a_row_or_is_skipped_with_a_reason(world, mapping, data):
    from bot.dossiers.records import DossierError

    services, _ = world
    item = data.draw(st.one_of(
        st.fixed_dictionaries({}, optional={name: st.one_of(hostile_text, json_value) for name in mapping.fields}),
        json_value))
    try:
        row = mapping.to_row(item)
    except DossierError as error:
        assert error.field and is_vietnamese_message(error.problem)
        return
    services.dossiers.upsert([row], "platform", now=NOW)
    assert services.dossiers.get(row["code"]) is not None



# motcua ask / parse: what is checked before the model loads ----------------------------------------------------------
@pytest.mark.parametrize("date", ["2027-13-45", "hôm qua", "", "2027-02-30", "../../x", "2027-03-01; rm -rf /"])
def test_motcua_ask_refuses_a_bad_date_in_vietnamese_before_loading_anything(date):
    import subprocess

    result = subprocess.run([str(ROOT / ".venv" / "bin" / "motcua"), "ask", "lệ phí khai sinh", "--date", date],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("Ngày không hợp lệ") and "YYYY-MM-DD" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("text", ["", "   ", "\x01\x02", "\u200b\u200b", "\t\n"])  # (an argument cannot hold NUL)
def test_motcua_ask_answers_an_empty_question_without_the_model(text, tmp_path):
    import os
    import subprocess

    env = {**os.environ, "MOTCUA_MODELS": str(tmp_path / "no-models")}  # no model there: it must not be needed
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "motcua"), "ask", text], capture_output=True, text=True, cwd=ROOT,
                            env=env, timeout=120)
    assert result.returncode == 0 and is_vietnamese_message(result.stdout), result.stderr
