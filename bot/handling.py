"""Which update the current task is handling, so its write transaction can mark it handled.

The runner marks handled updates in batches, in a transaction of their own. A handler that
writes anyway marks its update inside its own transaction instead: the update's effects and
its "handled" mark then commit together (a crash can no longer handle it twice), and the
batch write is saved (measured in bench/registration.py: a seventh of all write
transactions, each queueing for SQLite's single writer).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class Handling:
    """One update in hand; `marked` once a committed transaction recorded it as handled."""

    update_id: int
    marked: bool = False


#: Set by the runner around each update; None outside (tests without a runner, jobs).
current_update: ContextVar[Handling | None] = ContextVar("regjistri_update", default=None)
