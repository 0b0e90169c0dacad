#!/usr/bin/env bash
# Print the path of a Python 3.10 (Rasa 3.6 runs on 3.8-3.10), obtaining one with uv when the machine has none.
# Used by `make install` when neither pyenv's 3.10 nor `python3.10` is found (a stock Debian 12 or Ubuntu 24.04).
# Messages go to stderr; only the interpreter's path goes to stdout.
#
#   1. uv: on PATH, or in the tool directory ($MOTCUA_TOOLS, default ~/.local/share/motcua/tools); otherwise it is
#      installed there from PyPI: into a virtual environment of the system's python3 when python3 -m venv works,
#      else the uv wheel is fetched from PyPI by python3's standard library and its sha256 checked.
#   2. `uv python find 3.10`, else `uv python install 3.10` (uv's managed CPython, under ~/.local/share/uv/python).
#
# MOTCUA_PYTHON_DRY_RUN=1 only says what it would do.
set -euo pipefail

UV_VERSION="0.13.9"
TOOLS="${MOTCUA_TOOLS:-$HOME/.local/share/motcua/tools}"
DRY="${MOTCUA_PYTHON_DRY_RUN:-}"
say() { echo "python3.10: $*" >&2; }
run() { if [ -n "$DRY" ]; then say "(dry run) $*"; else "$@"; fi; }

say "không tìm thấy Python 3.10 (Rasa 3.6 cần Python 3.8-3.10); lấy một bản bằng uv."
if command -v uv >/dev/null 2>&1; then
  UV="$(command -v uv)"
elif [ -x "$TOOLS/bin/uv" ]; then
  UV="$TOOLS/bin/uv"
else
  PY="$(command -v python3 || true)"
  if [ -z "$PY" ]; then
    say "cần python3 để cài uv (sudo apt-get install python3), hoặc cài Python 3.10 bằng tay (README, mục Cài đặt)."
    exit 1
  fi
  say "cài uv $UV_VERSION từ PyPI vào $TOOLS."
  UV="$TOOLS/bin/uv"
  run mkdir -p "$TOOLS/bin"
  if [ -n "$DRY" ]; then
    say "(dry run) $PY -m venv $TOOLS/venv && $TOOLS/venv/bin/python -m pip install uv==$UV_VERSION (or the wheel from PyPI)"
  elif "$PY" -m venv "$TOOLS/venv" >/dev/null 2>&1 && "$TOOLS/venv/bin/python" -m pip install --quiet "uv==$UV_VERSION"; then
    ln -sf "$TOOLS/venv/bin/uv" "$UV"
  else
    say "python3 -m venv không dùng được (Debian: gói python3-venv); tải wheel uv từ PyPI."
    "$PY" - "$UV_VERSION" "$UV" <<'PY'
import hashlib, io, json, os, platform, stat, sys, urllib.request, zipfile
version, target = sys.argv[1], sys.argv[2]
arch = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}.get(platform.machine().lower())
if arch is None:
    sys.exit(f"python3.10: không có bản uv cho máy {platform.machine()}")
with urllib.request.urlopen(f"https://pypi.org/pypi/uv/{version}/json", timeout=60) as response:
    files = json.load(response)["urls"]
wheel = next(f for f in files if f["filename"].endswith(".whl") and "manylinux" in f["filename"] and arch in f["filename"])
with urllib.request.urlopen(wheel["url"], timeout=300) as response:
    data = response.read()
if hashlib.sha256(data).hexdigest() != wheel["digests"]["sha256"]:
    sys.exit("python3.10: wheel uv tải về sai sha256; dừng lại")
with zipfile.ZipFile(io.BytesIO(data)) as archive:
    name = next(n for n in archive.namelist() if n.endswith(".data/scripts/uv"))
    with open(target, "wb") as out:
        out.write(archive.read(name))
os.chmod(target, os.stat(target).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
PY
  fi
fi
if [ -n "$DRY" ] && [ ! -x "$UV" ]; then
  say "(dry run) $UV python find --system 3.10 || $UV python install 3.10"
  echo "/dry-run/python3.10"
  exit 0
fi
if found="$("$UV" python find --system 3.10 2>/dev/null)"; then
  say "dùng $found"
  echo "$found"
  exit 0
fi
say "tải CPython 3.10 bằng uv (uv python install 3.10)."
run "$UV" python install 3.10 >&2
found="$("$UV" python find --system 3.10 2>/dev/null || "$UV" python find --no-project 3.10)"
say "dùng $found"
echo "$found"
