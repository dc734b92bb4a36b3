"""Which update the current task is handling, so its write transaction can mark it handled.

The runner marks handled updates in batches, in a transaction of their own. A handler that
writes anyway marks its update inside its own transaction instead: the update's effects and
its "handled" mark then commit together. It is for correctness, not speed: measured side by
side in bench/registration.py, the paced run showed no difference and the saturated one
handled about a tenth fewer updates per second (one more statement in every handler's
transaction, where the batch write had spread one statement over many updates).

What a crash does, then: before the commit, nothing happened and the update is handled
again at the next start; after it, the update is not handled again (a name typed once is
not taken a second time as the answer to the next question), and at most the reply that
was about to be sent is lost; the person's next message or /start shows where they are.
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
