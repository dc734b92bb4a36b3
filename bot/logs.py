"""Logging for every command: what an operator may read, and nothing a leak could use.

Two rules (design §8, §9): no log line carries the bot token, and none carries a name or a
phone. httpx logs every request URL at INFO, and a Bot API URL holds the token
(`…/bot<token>/getUpdates`), so the HTTP libraries are kept at WARNING; and, in case a
library (or a future line of ours) still writes it, a filter on the root handlers replaces
the token wherever it appears. Names and phones are kept out by writing only ids ourselves and
by the engines' `hide_parameters=True` (storage/db.py).
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Libraries whose INFO lines carry request URLs (and so the token).
QUIET_LIBRARIES = ("httpx", "httpcore", "telegram.request", "aiohttp.access")
#: Libraries that narrate routine steps at INFO (each start, each job run): kept at WARNING so
#: the operator's log holds our own lines ("running as @…") and the problems.
CHATTY_LIBRARIES = ("alembic", "apscheduler")


class RedactSecrets(logging.Filter):
    """Replaces each secret in a record's final text with `***`."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        text = message
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        exc_text = record.exc_text or ""
        for secret in self.secrets:
            text = text.replace(secret, "***")
            exc_text = exc_text.replace(secret, "***")
        if text != message:
            record.msg, record.args = text, None
        if record.exc_text:
            record.exc_text = exc_text
        return True


def configure_logging(level: int = logging.WARNING, *, secrets: list[str] | None = None) -> None:
    """The root logger at `level`, the chatty HTTP libraries at WARNING, secrets redacted."""
    logging.basicConfig(level=level, format=FORMAT)
    root = logging.getLogger()
    root.setLevel(level)
    for name in QUIET_LIBRARIES + CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    redact = RedactSecrets(secrets or [])
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactSecrets)]:
            handler.removeFilter(old)
        handler.addFilter(redact)
