"""Shared fixtures: a real SQLite database loaded from data/, and the trained assistant."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import pytest

from bot.loader import load_all
from bot.services import Services
from bot.settings import Settings

MODEL_FIXTURES = {"assistant", "served", "pool", "cli_model"}


def pytest_configure(config) -> None:
    """Every test process masks personal data in its log records as a deployed one does (bot/logs.py); with
    ``MOTCUA_TEST_LOG_DIR`` (set by `make test`) each process also writes every record from INFO up to a file there,
    which tests/leak_check.py greps for the fixtures' personal data after the run."""
    import logging
    import os

    from bot.logs import FORMAT, install_masking

    folder = os.environ.get("MOTCUA_TEST_LOG_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        handler = logging.FileHandler(Path(folder) / f"{os.getpid()}-{worker}.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.setLevel(logging.INFO)
        _TEST_LOG.append(handler)
    install_masking()


_TEST_LOG: list = []  # the run's log file handler (pytest_configure), put back before each test


@pytest.fixture(autouse=True)
def _test_log():
    """Keep the run's log file on the root logger (a test of `bot.logs.configure` replaces the root's handlers)."""
    import logging

    if _TEST_LOG:
        root = logging.getLogger()
        if _TEST_LOG[0] not in root.handlers:
            root.addHandler(_TEST_LOG[0])
        if root.level > logging.INFO or root.level == logging.NOTSET:
            root.setLevel(logging.INFO)
    yield


def pytest_runtest_setup(item) -> None:
    """Every test starts with asyncio's own event-loop policy. Importing Rasa imports sanic, which installs uvloop's
    (it cannot watch child processes): a test that starts a subprocess on an asyncio loop after another test in the
    same worker imported Rasa failed with NotImplementedError (bench/flaky.py, session 7). The engine does the same for
    the running assistant (bot/conversation/engine.py)."""
    import asyncio

    if type(asyncio.get_event_loop_policy()).__module__.split(".")[0] == "uvloop":
        asyncio.set_event_loop_policy(None)


def pytest_collection_modifyitems(config, items) -> None:
    """Mark every test that needs the trained model (it uses a model fixture, or says so) as ``needs_model``:
    `make test` runs the others while the model trains."""
    for item in items:
        if MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.needs_model)


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    """Project settings with the databases in a fresh temporary folder, data loaded."""
    folder = tmp_path_factory.mktemp("motcua")
    base = Settings.from_env(env={})
    configured = dataclasses.replace(base, db_path=folder / "motcua.db", tracker_db_path=folder / "tracker.db")
    load_all(configured)
    return configured


@pytest.fixture(scope="session")
def store(settings) -> Services:
    """The loaded test database."""
    return Services.open(settings.db_path)


@pytest.fixture(scope="session")
async def assistant(settings):
    """The trained model with in-process actions over the test database."""
    from bot.conversation.engine import Assistant, latest_model

    if not list(Path(settings.models_dir).glob("*.tar.gz")):
        pytest.fail("No trained model: run `make test` (it trains first).")
    return await Assistant.load(settings, latest_model(settings.models_dir))


@pytest.fixture
def user() -> str:
    """A fresh conversation id."""
    return f"test-{uuid.uuid4().hex[:10]}"


def without_notice(text: str) -> str:
    """A reply without the privacy notice a citizen's first answer ends with (bot/people/privacy.py)."""
    from bot.people.privacy import first_notice

    return text.replace("\n\n" + first_notice(180), "")


async def say(assistant, user: str, text: str, **metadata) -> str:
    """Send one message and return every reply joined, buttons included."""
    replies = await assistant.handle(user, text, metadata or None)
    return "\n".join(reply.as_text() for reply in replies)
