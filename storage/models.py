"""The register's tables.

Conventions (style.md §7): singular lower_snake table names, times end in `_at` and are
stored in UTC, a naming convention for constraints so Alembic migrations are stable on
SQLite (batch mode) and PostgreSQL alike. Personal data lives in `member` and
`registration_draft` only; other tables carry ids.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from domain.text import fold_name

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which drops tzinfo) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        from datetime import UTC

        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        from datetime import UTC

        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# --- reference data -------------------------------------------------------------------------


class County(Base):
    """One of the 12 counties (qarqe)."""

    __tablename__ = "county"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    name_definite: Mapped[str] = mapped_column(String(64))
    iso_code: Mapped[str] = mapped_column(String(8), unique=True)
    # 2023 census (INSTAT); the county totals are complete, so coverage per 1 000
    # inhabitants is known for every county even where a municipality's is not.
    population_2023: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Municipality(Base):
    """One of the 61 municipalities (bashki). `code` prefixes membership numbers."""

    __tablename__ = "municipality"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"), index=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    name_definite: Mapped[str] = mapped_column(String(64))
    ascii_name: Mapped[str] = mapped_column(String(64))
    aliases: Mapped[str] = mapped_column(String(255), default="")
    population_2023: Mapped[int | None] = mapped_column(Integer, nullable=True)


# --- people ----------------------------------------------------------------------------------


class Account(Base):
    """A Telegram user the bot has talked to: language and reachability, nothing personal."""

    __tablename__ = "account"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    language: Mapped[str] = mapped_column(String(8), default="sq")
    __table_args__ = (
        # /statistika counts the unreachable: few rows, found (with their ids, so the index
        # covers the look-up) without reading every account.
        Index(
            "ix_account_unreachable",
            "unreachable_at",
            "telegram_id",
            sqlite_where=text("unreachable_at IS NOT NULL"),
            postgresql_where=text("unreachable_at IS NOT NULL"),
        ),
    )

    # Set when Telegram answers 403 (the person blocked the bot); cleared when they write again.
    unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A field of their own entry being corrected from /te_dhenat (usecases/corrections.py),
    # and the update after which the next message is its new value. Here, not in a table
    # of its own: the turn reads this row anyway.
    correcting: Mapped[str | None] = mapped_column(String(16), nullable=True)
    correcting_since: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class RegistrationDraft(Base):
    """A member's registration in progress: the current step and the answers so far.

    Conversation state lives here, not in process memory, so a restart or a second process
    continues where the member was.
    """

    __tablename__ = "registration_draft"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    step: Mapped[str] = mapped_column(String(32))
    # Set while one field is re-asked from the summary: after it, go back to the summary.
    editing: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consent.id"), nullable=True)
    full_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    phone_e164: Mapped[str | None] = mapped_column(String(20), nullable=True)
    phone_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipality.id"), nullable=True
    )
    # Data waiting for a yes/no (a merely possible phone number, a fuzzy municipality match,
    # the choices offered): JSON so the step can be asked again after a restart.
    pending: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Consent(Base):
    """Proof of consent to the privacy notice: who, which text version, when."""

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, index=True)
    notice_version: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


MEMBER_ACTIVE = ("pending", "approved")


class Member(Base):
    """An entry of the register. status: pending → approved | rejected; withdrawn by the member.

    One active (pending or approved) entry per Telegram account and per verified phone
    number: partial unique indexes, so a rejected member may apply again.
    """

    __tablename__ = "member"
    __table_args__ = (
        Index(
            "uq_member_active_telegram_id",
            "telegram_id",
            unique=True,
            sqlite_where=text("status IN ('pending', 'approved')"),
            postgresql_where=text("status IN ('pending', 'approved')"),
        ),
        # Only numbers Telegram verified are unique: a typed number proves nothing, so it
        # must neither reveal nor lock out the number's real owner (the clash is flagged).
        Index(
            "uq_member_active_verified_phone",
            "phone_e164",
            unique=True,
            sqlite_where=text("status IN ('pending', 'approved') AND phone_verified"),
            postgresql_where=text("status IN ('pending', 'approved') AND phone_verified"),
        ),
        Index("ix_member_phone_e164", "phone_e164"),
        Index("ix_member_municipality_status", "municipality_id", "status"),
        Index("ix_member_status_submitted", "status", "submitted_at"),
        Index("ix_member_municipality_name", "municipality_id", "name_folded"),
        # /statistika: weekly registrations of a municipality or a county are counted per
        # range of submission times from the first index alone; the pending of a place in
        # submission order (oldest, median) from the second; the unreachable are matched
        # to their place from the third, which covers the look-up.
        Index("ix_member_municipality_submitted", "municipality_id", "submitted_at"),
        Index(
            "ix_member_municipality_status_submitted", "municipality_id", "status", "submitted_at"
        ),
        Index("ix_member_telegram_place", "telegram_id", "status", "municipality_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger)
    full_name: Mapped[str] = mapped_column(String(128))
    birth_date: Mapped[date] = mapped_column(Date)
    phone_e164: Mapped[str] = mapped_column(String(20))
    phone_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    language: Mapped[str] = mapped_column(String(8))
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consent.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    rejection_reason: Mapped[str | None] = mapped_column(String(255), nullable=True)
    membership_number: Mapped[str | None] = mapped_column(String(24), nullable=True, unique=True)
    # The name folded (lower case, no ë/ç, single spaces) for searching as people type it:
    # kept in step by the listener below, whoever writes the name.
    name_folded: Mapped[str] = mapped_column(String(128), default="", server_default="")
    # A move to another municipality asked by an officer, waiting for that branch to accept.
    move_to_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"), nullable=True)
    move_asked_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


@event.listens_for(Member, "before_insert")
@event.listens_for(Member, "before_update")
def _fold_name(_mapper: Any, _connection: Any, member: Member) -> None:
    member.name_folded = fold_name(member.full_name or "")


class MemberTally(Base):
    """How many entries each municipality has in each status, kept by the database itself.

    Triggers on `member` (migration f1a8c2e4b6d0, SQLite and PostgreSQL) count every
    insert, delete and change of status or municipality, whichever code makes it, so the
    figures read at most 61 × 4 rows instead of counting 1 000 000 entries (bench/
    register.py: the national count went from ~120 ms to under 1 ms). Counts only.
    """

    __tablename__ = "member_tally"

    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    entries: Mapped[int] = mapped_column(Integer, default=0)


class MembershipCounter(Base):
    """Last membership sequence handed out per municipality (numbers like KOR-000042)."""

    __tablename__ = "membership_counter"

    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


# --- roles -----------------------------------------------------------------------------------


class Role(Base):
    """A grant: admin (national), coordinator (a county) or chair (a municipality).

    Revoked grants stay, with `revoked_at`, for the audit trail; authorization only reads
    grants whose `revoked_at` is null.
    """

    __tablename__ = "role"
    __table_args__ = (Index("ix_role_active", "telegram_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    county_id: Mapped[int | None] = mapped_column(ForeignKey("county.id"), nullable=True)
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipality.id"), nullable=True, index=True
    )
    # 'config' for ADMIN_IDS, 'invite' or 'cli'.
    source: Mapped[str] = mapped_column(String(16))
    granted_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The holder's name as Telegram shows it, so a chair can be told who decided.
    holder_name: Mapped[str | None] = mapped_column(String(128), nullable=True)


class Invite(Base):
    """A single-use invitation to a role. Only the SHA-256 of the code is stored."""

    __tablename__ = "invite"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    county_id: Mapped[int | None] = mapped_column(ForeignKey("county.id"), nullable=True)
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipality.id"), nullable=True
    )
    created_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    used_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    role_id: Mapped[int | None] = mapped_column(ForeignKey("role.id"), nullable=True)


# --- outbox, inbox, audit --------------------------------------------------------------------


class Delivery(Base):
    """One message the bot sends on its own initiative (the outbox).

    Written in the same transaction as the change that caused it; the sender loop delivers
    it at Telegram's limits. status: queued → sending → sent | failed | unreachable |
    cancelled. `payload` holds the Bot API parameters, already rendered in the recipient's
    language. `ref_kind`/`ref_id` tie it to what it is about (e.g. an application), so a
    later edit can find every copy.
    """

    __tablename__ = "delivery"
    __table_args__ = (
        Index("ix_delivery_due", "status", "not_before"),
        # The claim's order (storage/outbox_claims.py): walked, not sorted, per claim.
        Index("ix_delivery_claim", "status", "priority", "id"),
        # An announcement's rows by recipient: its report joins them one look-up each.
        Index("ix_delivery_ref", "ref_kind", "ref_id", "chat_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    method: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # For edits: the delivery whose sent message is edited (message id known only once sent).
    edits_delivery_id: Mapped[int | None] = mapped_column(ForeignKey("delivery.id"), nullable=True)
    ref_kind: Mapped[str | None] = mapped_column(String(32), nullable=True)
    ref_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Makes enqueueing idempotent (one reminder digest per person per day, …).
    dedupe_key: Mapped[str | None] = mapped_column(String(128), nullable=True, unique=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Null: as soon as the limits allow. Set for retries (by the sender's own real clock).
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    error: Mapped[str | None] = mapped_column(String(255), nullable=True)


class InboxUpdate(Base):
    """An incoming update, stored before it is confirmed to Telegram (design §9).

    The same update_id twice has one effect; a process killed mid-handler finds the row
    unprocessed at its next start and handles it then.
    """

    __tablename__ = "inbox_update"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


class AuditEvent(Base):
    """Append-only log: who did what to which subject, with ids and never names or phones."""

    __tablename__ = "audit_event"
    # "Who looked at my data" reads one subject's rows.
    __table_args__ = (Index("ix_audit_event_subject", "subject_kind", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    action: Mapped[str] = mapped_column(String(48), index=True)
    subject_kind: Mapped[str | None] = mapped_column(String(32), nullable=True)
    subject_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class DecisionDraft(Base):
    """A rejection waiting for its reason: the decider pressed Reject and may type the reason.

    A row, not process memory, so the reason typed after a restart still lands.
    """

    __tablename__ = "decision_draft"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The message asking for the reason, so a typed reason can take its buttons away.
    prompt_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The update (the press of Reject or Change, a refused reason) after which the next
    # message of the decider's chat is the reason; anything else in between ends the wait.
    since_update_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # A typed reason shown back to the decider, sent to the member only on «Send».
    reason: Mapped[str | None] = mapped_column(String(220), nullable=True)


class ReminderLog(Base):
    """One reminder digest per person per day: the row is the proof it was queued."""

    __tablename__ = "reminder_log"
    __table_args__ = (UniqueConstraint("telegram_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[date] = mapped_column(Date)
    application_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SavedSearch(Base):
    """An officer's search, so its result pages can be asked for by id (callback data holds
    64 bytes and is untrusted: never the query). Erased after a day by the retention sweep."""

    __tablename__ = "saved_search"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int] = mapped_column(BigInteger, index=True)
    query: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Export(Base):
    """One export of individuals: its id is printed in every row of the file (a
    watermark), and the row says who took what, why and who approved it (four eyes for a
    national export in the chat). status: requested → approved | refused → done."""

    __tablename__ = "export"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # None: the CLI
    scope: Mapped[dict[str, Any]] = mapped_column(JSON)
    purpose: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    approved_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    rows: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Setting(Base):
    """Small key/value facts the bot keeps about itself (e.g. the bot's username)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# --- announcements (design §4) -----------------------------------------------------------------


class Announcement(Base):
    """A message an officer sends to a structure, copied from the officer's own chat.

    The wizard (`step`: target → message → preview, or time) lives here, not in memory, so
    a restart continues it. On Send, one transaction writes the recipients
    (`announcement_recipient`) and their outbox rows (ref_kind "announcement"): the
    outbox then owns delivery. No text is stored: the copy is made from
    (`source_chat_id`, `source_message_id`), so no message body outlives its sending here.
    status: draft → scheduled → sending → done | cancelled.
    """

    __tablename__ = "announcement"
    __table_args__ = (
        Index("ix_announcement_sender_status", "sender_id", "status"),
        Index("ix_announcement_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # None: the CLI
    target_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    target_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # While the wizard waits for the message (or a time), the sender's account says so
    # (`account.correcting`, with the update it waits after): any other update of their
    # chat in between ends the wait, as for a rejection's reason.
    step: Mapped[str] = mapped_column(String(16), default="target")
    source_chat_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    source_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    content_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    ask_ack: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    unreachable: Mapped[int] = mapped_column(Integer, default=0)  # left out: blocked the bot
    progress_delivery_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    progress_shown_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class AnnouncementRecipient(Base):
    """One person an announcement goes to, with the structure they belong to (for the
    acknowledgements per county and municipality) and when they pressed «E lexova»."""

    __tablename__ = "announcement_recipient"
    __table_args__ = (
        Index("ix_announcement_recipient_place", "announcement_id", "municipality_id"),
        Index("ix_announcement_recipient_chat", "chat_id"),
    )

    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcement.id", ondelete="CASCADE"), primary_key=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipality.id"), nullable=True
    )
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
