"""The `motcua` console script, run as a citizen or an official would run it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MOTCUA = Path(sys.executable).parent / "motcua"


def run(args, settings, stdin=None, **extra_env):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}  # as a user's shell: warnings on,
    env["TF_CPP_MIN_LOG_LEVEL"] = "0"  # TensorFlow's C++ chatter on (Rasa sets it in this test process)
    env.update({"MOTCUA_DB": str(settings.db_path), "MOTCUA_TRACKER_DB": str(settings.tracker_db_path), **extra_env})
    return subprocess.run([str(MOTCUA), *args], input=stdin, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)


def hostile_lines() -> list:
    """The property suites' hostile fragments (tests/hostile.py) and odd lines, each kept on one line."""
    from tests.hostile import FRAGMENTS

    lines = [f.replace("\n", " ").replace("\r", " ") for f in FRAGMENTS] + ["", " ", "x" * 12_000, "\x00\x01\x02", "\u202e\u200b"]
    return [line.replace("\x0b", " ").replace("\x0c", " ").replace("\x1c", " ").replace("\x1d", " ").replace("\x1e", " ")
            .replace("\x85", " ").replace("\u2028", " ").replace("\u2029", " ") for line in lines]


@pytest.mark.needs_model
def test_parse_json_prints_one_object_a_line_in_order_whatever_the_line(settings):
    """One process (each `motcua` process loads the model): the ordered questions, then every hostile line."""
    lines = ["đăng ký khai sinh cần gì", "dang ky ket hon bao nhieu tien", "tra cứu hồ sơ 000.00.12.H49-251120-0031",
             "Giấy khai sinh của con làm ở phường bị ghi sai tên đệm, sửa thế nào?",
             "Tôi làm hồ sơ ở phường, giấy tờ đủ cả, kết hôn thì mất bao lâu?"]
    hostile = hostile_lines()
    result = run(["parse", "--json"], settings, stdin="\n".join(lines + hostile) + "\n")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == len(lines) + len(hostile)
    assert all(isinstance(a["intent"], (str, type(None))) and 0 <= a["confidence"] <= 1 for a in answers)
    rows = answers[:len(lines)]
    assert [r["text"] for r in rows] == lines
    assert rows[0]["intent"] == "ask_documents" and rows[0]["procedure"]["name"] == "Đăng ký khai sinh"
    assert rows[1]["procedure"]["code"] is not None
    assert {"entity": "dossier_code", "value": "000.00.12.H49-251120-0031"}.items() <= rows[2]["entities"][0].items()
    assert rows[2]["procedure"] is None
    # the question asks how / how long; the story's "ở phường" and "giấy tờ" do not make it "where" or "which papers"
    assert [rows[3]["intent"], rows[4]["intent"]] == ["ask_procedure", "ask_processing_time"]
    for row in rows:
        assert set(row) == {"text", "intent", "confidence", "entities", "procedure"}


@pytest.mark.needs_model
def test_ask_keeps_the_conversation_of_a_user_across_calls(settings):
    first = run(["ask", "đăng ký kết hôn cần giấy tờ gì", "--user", "cli-ctx"], settings)
    assert first.returncode == 0, first.stderr
    assert "Đăng ký kết hôn" in first.stdout
    assert [line for line in first.stderr.splitlines() if line.strip()] == [], first.stderr  # no library chatter
    second = run(["ask", "thế mất bao lâu?", "--user", "cli-ctx"], settings)
    assert "Đăng ký kết hôn" in second.stdout and "Thời hạn" in second.stdout


def test_load_reports_a_broken_catalogue_by_file_and_field(settings, tmp_path):
    (tmp_path / "hong.yml").write_text("id: hong\nname: Thiếu trường\n", encoding="utf-8")
    env = {**os.environ, "MOTCUA_CATALOGUE": str(tmp_path), "MOTCUA_DB": str(tmp_path / "x.db")}
    result = subprocess.run([str(MOTCUA), "load"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert result.returncode == 2
    assert "hong.yml" in result.stderr and "field" in result.stderr


@pytest.mark.parametrize("text", ["", "   ", "\u200b\n"])
def test_ask_with_nothing_to_understand_answers_at_once_without_the_model(settings, tmp_path, text):
    result = run(["ask", text, "--user", "cli-empty"], settings, MOTCUA_MODELS=str(tmp_path / "no-models"))
    assert result.returncode == 0, result.stderr
    assert "Em chưa nhận được nội dung" in result.stdout


def test_role_registers_an_official_of_a_department_who_then_gets_the_digest(settings, tmp_path):
    import dataclasses
    import datetime as dt

    from bot.delivery.outbox import Outbox
    from bot.notifications.jobs import daily_digests
    from bot.services import Services

    own = dataclasses.replace(settings, db_path=tmp_path / "roles.db")
    refused = run(["role", "telegram", "777", "official"], own)
    assert refused.returncode == 2 and "--department" in refused.stderr
    done = run(["role", "telegram", "777", "official", "--department", "Tư pháp - Hộ tịch", "--name", "Chị Hoa"], own)
    assert done.returncode == 0, done.stderr
    store = Services.open(own.db_path)
    official = store.users.find("telegram", "777")
    assert (official.role, official.department, official.display_name) == ("official", "Tư pháp - Hộ tịch", "Chị Hoa")
    store.users.set_consent(official.id, True)
    now = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    due = (now + dt.timedelta(hours=3)).isoformat()
    store.dossiers.upsert([{"code": "H49-TEST-1", "procedure_code": "1.001193", "applicant_name": "Lê Văn Cường",
                            "status": "in_progress", "received_at": "2026-11-20T09:00:00+07:00", "due_at": due,
                            "department": "Tư pháp - Hộ tịch", "handler": "Nguyễn Thị Hoa"}], source="demo")
    outbox = Outbox(own.db_path)
    assert daily_digests(store, outbox, now) >= 1
    assert outbox.counts().get("pending", 0) >= 1
