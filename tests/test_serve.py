"""`motcua serve` and `motcua ask` as a ward's operator starts them: the real start-up path, and a quiet terminal."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MOTCUA = Path(sys.executable).parent / "motcua"
CHATTER = re.compile(r"Warning|warning|deprecat|Deprecat|tensorflow|pkg_resources|SADeprecation|INFO")

pytestmark = pytest.mark.needs_model


def environment(settings) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    env.pop("PYTHONWARNINGS", None)
    env["TF_CPP_MIN_LOG_LEVEL"] = "0"  # a shell (or Rasa, in this test process) may have set TensorFlow's chatter on
    return {**env, "MOTCUA_DB": str(settings.db_path), "MOTCUA_TRACKER_DB": str(settings.tracker_db_path)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(port: int, user: str, text: str, answers: dict) -> None:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/chat", method="POST",
                                     data=json.dumps({"user": user, "text": text}).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            answers[user] = (response.status, json.loads(response.read())["replies"])
    except Exception as error:  # noqa: BLE001 - recorded, asserted by the test
        answers[user] = (None, repr(error))


def _in_progress(port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("motcua_messages_in_progress"):
                return float(line.split()[-1])
    return 0.0


def test_serve_starts_answers_and_on_sigterm_answers_the_messages_under_way_then_exits_0(settings, tmp_path):
    """One `motcua serve` (each loads the model in its workers) from start to stop: it says only where it listens,
    answers the web chat and the kiosk, and SIGTERM (systemd's stop) in the middle of answering lets the messages under
    way get their answers, refuses later ones at the door (never a 5xx) and exits 0; no library chatter on its stderr."""
    port = free_port()
    err = (tmp_path / "stderr.txt").open("w")
    process = subprocess.Popen([str(MOTCUA), "serve", "--port", str(port), "--workers", "2", "--no-scheduler"], cwd=ROOT,
                               env=environment(settings), stdout=subprocess.PIPE, stderr=err, text=True)
    answers: dict = {}
    try:
        first = process.stdout.readline()  # blocks until the server says where it listens (or dies)
        assert f"http://127.0.0.1:{port}/" in first, (first, (tmp_path / "stderr.txt").read_text())
        _post(port, "serve-test", "lệ phí đăng ký khai sinh", answers)
        status, replies = answers.pop("serve-test")
        assert status == 200, replies
        assert "khai sinh" in replies[0]["text"].lower() and replies[0]["buttons"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/kiosk", timeout=60) as response:  # the kiosk, same server
            assert response.status == 200 and 'class="tile"' in response.read().decode()
        threads = [threading.Thread(target=_post, args=(port, f"shutdown-{i}", "đăng ký khai sinh cần giấy tờ gì", answers))
                   for i in range(6)]
        for thread in threads:
            thread.start()
        deadline = threading.Event()
        for _ in range(3000):  # until a message is being answered (polled, at most ~60 s)
            if _in_progress(port) >= 1:
                break
            deadline.wait(0.02)
        else:
            raise AssertionError("no message was ever seen in progress")
        process.send_signal(signal.SIGTERM)
        for thread in threads:
            thread.join(120)
        assert process.wait(timeout=120) == 0
    finally:
        if process.poll() is None:
            process.kill()
        err.close()
    answered = [user for user, (status, _) in answers.items() if status == 200]
    refused = [user for user, (status, detail) in answers.items() if status != 200]
    assert answered, answers  # the ones under way got their answers
    for user in answered:
        assert "khai sinh" in answers[user][1][0]["text"].lower()
    # a message that arrived after the listening socket closed is refused at the door (connection refused), never
    # half-answered: no 5xx
    assert all(status is None for user, (status, _) in answers.items() if user in refused)
    stderr = (tmp_path / "stderr.txt").read_text()
    assert "Đã dừng." in stderr
    chatter = [line for line in stderr.splitlines() if CHATTER.search(line)]
    assert chatter == [], chatter
