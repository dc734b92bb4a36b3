"""What use cases need from the running application, handed to them as one object."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from domain.clock import Clock
from domain.places import MunicipalityMatcher, Place
from storage.db import Database
from usecases.config import Settings


def _nothing_to_wake() -> None:
    """Without a running outbox sender (CLI, some tests) queued messages wait for one."""


@dataclass
class Services:
    """Resources that live as long as the application: opened in post_init, closed at stop.

    `wake_outbox` is how a committed change that queued messages tells the outbox sender to
    look now rather than at its next poll; the composition root (bot/) plugs the sender in,
    so nothing below it needs to know the sender exists.
    """

    settings: Settings
    database: Database
    clock: Clock
    places: dict[int, Place] = field(default_factory=dict)
    matcher: MunicipalityMatcher | None = None
    wake_outbox: Callable[[], None] = _nothing_to_wake
