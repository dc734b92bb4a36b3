"""Typed configuration, read from the environment and an optional `.env` file.

One object, validated at start: a missing or malformed value stops the start with one line
that names the variable (see `describe_error`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TELEGRAM_API_URL = "https://api.telegram.org/bot"
DEFAULT_DATA_DIR = Path("data")


class Settings(BaseSettings):
    """Everything Regjistri reads from its environment."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    telegram_bot_token: str | None = Field(default=None, min_length=1)
    telegram_api_url: str = TELEGRAM_API_URL
    database_url: str = ""
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    min_age: int = Field(default=18, ge=0, le=120)
    max_age: int = Field(default=110, ge=1, le=150)
    default_language: str = "sq"
    # Chair confirmation (issue 3).
    invite_ttl_hours: float = Field(default=72, gt=0)
    remind_after_hours: float = Field(default=48, gt=0)
    escalate_coordinator_after_hours: float = Field(default=120, gt=0)
    escalate_admin_after_hours: float = Field(default=240, gt=0)
    reminder_check_minutes: float = Field(default=30, gt=0)
    # The one sending path (bot/sending/pacer.py) paces every message a little under Telegram's
    # limits: ~30/s per bot, ~1/s per chat after a burst of ~3 (design §9).
    send_rate_per_second: float = Field(default=28, gt=0, le=1000)
    send_per_chat_interval_seconds: float = Field(default=1.05, ge=0)
    send_per_chat_burst: int = Field(default=3, ge=1, le=20)
    # A reply Telegram keeps refusing (5xx, timeouts) is retried this long, then handed to
    # the outbox, which keeps trying durably.
    reply_deadline_seconds: float = Field(default=30, gt=0)
    # Read/write/connect timeout of one Bot API call (not the long poll's).
    bot_api_timeout_seconds: float = Field(default=10, gt=0)
    outbox_max_attempts: int = Field(default=8, ge=1)
    # A chair's burst summary is re-counted at most this often (each edit is a message).
    burst_summary_edit_seconds: float = Field(default=10, ge=0)
    # Retention (design §8): rejected and withdrawn applications are erased this many days
    # after the decision, unfinished registrations this many days after their last answer;
    # the sweep runs every `retention_check_hours`.
    retention_decided_days: int = Field(default=90, ge=1)
    retention_draft_days: int = Field(default=30, ge=1)
    retention_check_hours: float = Field(default=24, gt=0)
    # The most rows one export in the chat may carry (design §8: capped); bigger ones are
    # taken on the server with `regjistri export`.
    export_max_rows: int = Field(default=20_000, ge=1)
    # Alerts to national admins (design §8): an officer who reads more than
    # ALERT_READS_THRESHOLD member records, or is refused more than
    # ALERT_REFUSED_THRESHOLD times, within ALERT_WINDOW_MINUTES.
    alert_reads_threshold: int = Field(default=300, ge=1)
    alert_refused_threshold: int = Field(default=10, ge=1)
    alert_window_minutes: float = Field(default=60, gt=0)
    alert_check_seconds: float = Field(default=60, gt=0)
    # Announcements (design §4) go out at the pace above, at the lowest priority. With
    # Telegram's paid broadcasts switched on for the bot (Stars are charged per message
    # over 30/s), their copies carry allow_paid_broadcast and have a lane of their own
    # of up to PAID_BROADCAST_RATE_PER_SECOND (Telegram allows up to 1000/s).
    allow_paid_broadcast: bool = False
    paid_broadcast_rate_per_second: float = Field(default=1000, gt=0, le=1000)
    # How often running announcements are looked at (their progress message is edited
    # at most every 3 s whatever this says).
    announcement_check_seconds: float = Field(default=1, gt=0)
    # Announcement copies sent at once by the outbox (the pace still holds the rate).
    outbox_concurrency: int = Field(default=16, ge=1, le=256)
    # After a crash, a message left 'sending' is sent again once this lease has passed
    # (it must exceed the longest Bot API call, BOT_API_TIMEOUT_SECONDS).
    outbox_lease_seconds: float = Field(default=60, gt=0)
    # How many updates are handled at once; each user's updates stay in order.
    concurrent_updates: int = Field(default=8, ge=1, le=256)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",")]
            return tuple(int(p) for p in parts if p)
        if isinstance(value, int):
            return (value,)
        return value

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _blank_token(cls, value: object) -> object:
        # `TELEGRAM_BOT_TOKEN=` as in .env.example means "not set", not an empty token.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("default_language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in ("sq", "en"):
            raise ValueError("must be sq or en")
        return value

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to an owner-only SQLite file under ./data/."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{DEFAULT_DATA_DIR / 'regjistri.sqlite3'}"


def describe_error(error: ValidationError) -> str:
    """One line naming each variable that is wrong and why."""
    parts = []
    for item in error.errors():
        name = str(item["loc"][0]).upper() if item["loc"] else "configuration"
        parts.append(f"{name}: {item['msg']}")
    return "Invalid configuration - " + "; ".join(parts)


def load_settings(**overrides: object) -> Settings:
    """Read the settings; keyword overrides win over the environment (used by demo and tests)."""
    return Settings(**overrides)  # type: ignore[arg-type]
