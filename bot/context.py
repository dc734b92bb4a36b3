"""Typed access to what handlers need: `context.db`, `context.settings`, … (style.md §2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.config import Settings
from bot.domain.places import MunicipalityMatcher, Place

if TYPE_CHECKING:
    from bot.outbox import OutboxSender
    from storage.db import Database


@dataclass
class Services:
    """Resources that live as long as the application: opened in post_init, closed at stop."""

    settings: Settings
    database: Database
    clock: Clock
    places: dict[int, Place] = field(default_factory=dict)
    matcher: MunicipalityMatcher | None = None
    outbox: OutboxSender | None = None


class RegjistriApplication(Application):  # type: ignore[type-arg]
    """PTB's Application carrying our services (Application itself has __slots__)."""

    def __init__(self, services: Services, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services = services


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The context handed to every handler."""

    @property
    def services(self) -> Services:
        app = self.application
        assert isinstance(app, RegjistriApplication)
        return app.services

    @property
    def db(self) -> Database:
        return self.services.database

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def clock(self) -> Clock:
        return self.services.clock

    @property
    def matcher(self) -> MunicipalityMatcher:
        assert self.services.matcher is not None, "places are loaded in post_init"
        return self.services.matcher

    @property
    def places(self) -> dict[int, Place]:
        return self.services.places
