"""What reaches the terminal: the user's answers and our own messages, not the libraries' chatter.

``configure`` runs first in every ``motcua`` command: it silences deprecation and future warnings (TensorFlow,
SQLAlchemy, pkg_resources, matplotlib, Rasa's own), sends log records to stderr (or to ``MOTCUA_LOG_FILE``) at
``MOTCUA_LOG_LEVEL`` (default WARNING), and keeps the libraries' loggers at ERROR unless the level is DEBUG.

No personal data reaches a log: :class:`MaskingFilter` runs the one masking rule (:func:`bot.privacy.mask`: phone
numbers, ID numbers, known names) over every record's message, exception and stack text. :func:`install_masking`
puts it on the root handlers and on the log-record factory, so every record made in the process is masked when it is
made, whichever handler (a file, stderr, a test's capture) receives it; Rasa's structlog events get the same rule.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import warnings
from typing import Any, Iterable, Mapping, Optional

from bot.privacy import mask

LIBRARIES = ("py.warnings", "rasa", "rasa_sdk", "tensorflow", "absl", "sanic", "apscheduler", "urllib3", "asyncio", "sqlalchemy",
             "httpx", "httpcore", "matplotlib", "telegram", "aiohttp.access", "root.tensorflow", "h5py", "numexpr")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
SECRET_KEY = re.compile(r"(TOKEN|SECRET|PASSWORD|PASSWD|API_KEY)$")  # the settings whose values never reach a log
MIN_SECRET_CHARS = 6  # shorter values (a test's "x") would blank ordinary words


class MaskingFilter(logging.Filter):
    """Masks personal data in a record (its message with the arguments merged, its exception and stack text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_motcua_masked", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string: keep its parts, masked
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = mask(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        record._motcua_masked = True
        return True


MASKING = MaskingFilter()


def install_masking() -> None:
    """Mask every log record of this process: the record factory (whatever handler gets it) and the root handlers."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "motcua_masking", False):
        def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = current(*args, **kwargs)
            MASKING.filter(record)
            return record

        masked_record.motcua_masking = True  # type: ignore[attr-defined]
        logging.setLogRecordFactory(masked_record)
    for handler in logging.getLogger().handlers:
        if MASKING not in handler.filters:
            handler.addFilter(MASKING)


def mask_event(logger: Any, method: str, event: dict) -> dict:
    """A structlog processor: the same rule over every text value of an event."""
    return {key: mask(value) if isinstance(value, str) else value for key, value in event.items()}


def silence_warnings() -> None:
    """No deprecation, future or library user warnings on the terminal; TensorFlow's C++ logging off."""
    if os.environ.get("MOTCUA_LOG_LEVEL", "").strip().upper() != "DEBUG":  # whatever a shell or Rasa set before
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # (Rasa sets 2, which still prints TF-TRT's warning)
    os.environ.setdefault("PYTHONWARNINGS", "ignore")  # child processes (rasa train) inherit it
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning, UserWarning, ImportWarning,
                     ResourceWarning, RuntimeWarning):
        warnings.filterwarnings("ignore", category=category)
    logging.captureWarnings(True)  # a library that turns a warning back on still only reaches the "py.warnings" logger
    try:  # SQLAlchemy's own warning class does not derive from DeprecationWarning
        from sqlalchemy.exc import SAWarning

        warnings.filterwarnings("ignore", category=SAWarning)
    except ImportError:  # pragma: no cover - SQLAlchemy comes with Rasa
        pass


def quiet_libraries(level: int = logging.ERROR) -> None:
    """Keep Rasa's, TensorFlow's and the others' loggers (and Rasa's structlog) at ``level`` or above."""
    silence_warnings()
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(level)
    try:
        import structlog

        processors = [p for p in structlog.get_config()["processors"] if p is not mask_event]
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(max(level, logging.WARNING)),
                            logger_factory=structlog.PrintLoggerFactory(sys.stderr), processors=[mask_event, *processors])
    except ImportError:  # pragma: no cover - structlog comes with Rasa
        pass


def secrets_of(env: Mapping[str, str]) -> list:
    """The values of the secret settings (``*_TOKEN``, ``*_SECRET``, ``*_PASSWORD``, ``*_API_KEY``), longest first."""
    values = {str(v).strip() for k, v in env.items() if SECRET_KEY.search(str(k).upper()) and v}
    return sorted((v for v in values if len(v) >= MIN_SECRET_CHARS), key=len, reverse=True)


class RedactSecrets(logging.Filter):
    """Blanks the deployment's secrets out of every record a handler writes: our messages never name them, but a
    library at DEBUG does (python-telegram-bot's setWebhook parameters, httpx's request URLs with the bot token)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a record whose arguments do not fit its format: logging reports it itself
            return True
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def configure(env: Optional[Mapping[str, str]] = None) -> int:
    """Set up logging for a command from ``MOTCUA_LOG_LEVEL`` / ``MOTCUA_LOG_FILE``; returns the level."""
    env = os.environ if env is None else env
    name = (env.get("MOTCUA_LOG_LEVEL") or "WARNING").strip().upper()
    level = logging.getLevelName(name) if isinstance(logging.getLevelName(name), int) else logging.WARNING
    path = (env.get("MOTCUA_LOG_FILE") or "").strip()
    handler: logging.Handler = logging.FileHandler(path, encoding="utf-8") if path else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactSecrets(secrets_of(env)))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    install_masking()
    quiet_libraries(logging.DEBUG if level <= logging.DEBUG else logging.ERROR)
    return level
