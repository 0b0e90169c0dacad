"""Training the Rasa model only when what it learns from changed.

The fingerprint covers config, domain, training data, the catalogue (aliases feed the
procedure resolver) and the custom components' code.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import List

from bot.settings import Settings

TRAINING_FILES = ["data/nlu.yml", "data/rules.yml", "data/stories.yml"]
MODEL_NAME = "motcua"


def inputs(root: Path) -> List[Path]:
    """Every file the model depends on."""
    files = [root / "config.yml", root / "domain.yml", *(root / f for f in TRAINING_FILES)]
    files += sorted((root / "data" / "procedures").glob("*.yml"))
    files += sorted((root / "data" / "procedures" / "variants").glob("*.yml"))  # the variant cue groups
    files += sorted((root / "data" / "procedure_list").glob("*.yml"))  # the light list guards the resolver
    files += sorted((root / "nlu").glob("*.py"))
    # how catalogue and list files become the resolver's records (nlu.components fingerprints them too)
    files += [root / "bot" / "catalogue" / "procedures.py", root / "bot" / "catalogue" / "procedure_list.py"]
    return files


def fingerprint(root: Path) -> str:
    """A hash of every input of the model."""
    digest = hashlib.sha256()
    for path in inputs(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes() if path.exists() else b"(missing)")
    return digest.hexdigest()


def model_path(settings: Settings) -> Path:
    """Where the trained model is written."""
    return settings.models_dir / f"{MODEL_NAME}.tar.gz"


def is_current(settings: Settings) -> bool:
    """True when the model exists and was trained from the current inputs."""
    stamp = settings.models_dir / f"{MODEL_NAME}.fingerprint"
    return model_path(settings).exists() and stamp.exists() and stamp.read_text().strip() == fingerprint(settings.root)


def train(settings: Settings, force: bool = False) -> bool:
    """Train when needed; returns True when a model was trained."""
    if not force and is_current(settings):
        return False
    root = settings.root
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "rasa", "train", "--config", "config.yml", "--domain", "domain.yml",
        "--data", *TRAINING_FILES, "--out", str(settings.models_dir), "--fixed-model-name", MODEL_NAME,
    ]
    before = fingerprint(root)  # an input edited during training must trigger the next training
    log = log_path(settings)
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "TF_CPP_MIN_LOG_LEVEL": "3"}
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as out:  # Rasa's progress bars and INFO lines go to the log, not the terminal
        result = subprocess.run(command, cwd=root, stdout=out, stderr=subprocess.STDOUT, env=env)
    if result.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-25:]
        raise TrainingError(f"rasa train failed (exit {result.returncode}); the end of {log}:\n" + "\n".join(tail))
    (settings.models_dir / f"{MODEL_NAME}.fingerprint").write_text(before)
    print(f"Model trained in {time.monotonic() - started:.0f} s ({log}).", flush=True)
    return True


def log_path(settings: Settings) -> Path:
    """Where the last training's output is kept."""
    return settings.db_path.parent / "train.log"


class TrainingError(RuntimeError):
    """``rasa train`` failed; the message holds the end of its log."""
