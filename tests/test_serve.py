"""`motcua serve` and `motcua ask` as a ward's operator starts them: the real start-up path, and a quiet terminal."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
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


def test_serve_starts_the_web_chat_answers_and_says_only_where_it_listens(settings, tmp_path):
    port = free_port()
    err = (tmp_path / "stderr.txt").open("w")
    process = subprocess.Popen([str(MOTCUA), "serve", "--port", str(port), "--workers", "1", "--no-scheduler"], cwd=ROOT,
                               env=environment(settings), stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        first = process.stdout.readline()  # blocks until the server says where it listens (or dies)
        assert f"http://127.0.0.1:{port}/" in first, (first, (tmp_path / "stderr.txt").read_text())
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/chat", method="POST",
                                         data=json.dumps({"user": "serve-test", "text": "lệ phí đăng ký khai sinh"}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            replies = json.loads(response.read())["replies"]
        assert "khai sinh" in replies[0]["text"].lower() and replies[0]["buttons"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/kiosk", timeout=60) as response:  # the kiosk, same server
            assert response.status == 200 and 'class="tile"' in response.read().decode()
    finally:
        process.terminate()
        process.wait(timeout=60)
        err.close()
    chatter = [line for line in (tmp_path / "stderr.txt").read_text().splitlines() if CHATTER.search(line)]
    assert chatter == [], chatter
