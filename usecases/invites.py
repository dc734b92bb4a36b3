"""Inviting someone to a role: the one place an invitation is made, from the chat or the CLI.

Both callers get the same thing: a single-use code that expires after
`INVITE_TTL_HOURS`, stored only as a hash, and an audit event saying who made it and how.
Who may invite is checked by the caller (the chat re-reads the admin role on every press;
the CLI runs on the server, where whoever runs it already holds the database).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.permissions import RoleKind
from storage import audit
from storage.roles import create_invite
from usecases.config import Settings


@dataclass(frozen=True)
class NewInvitation:
    invite_id: int
    code: str  # goes into the link once, never stored in clear


async def invite(
    session: AsyncSession,
    settings: Settings,
    *,
    kind: RoleKind,
    county_id: int | None,
    municipality_id: int | None,
    created_by: int | None,
    now: datetime,
    via: str,
) -> NewInvitation:
    """Create an invitation and audit it; `created_by` is None when made on the server."""
    row, code = await create_invite(
        session,
        kind=kind,
        county_id=county_id,
        municipality_id=municipality_id,
        created_by=created_by,
        now=now,
        ttl=timedelta(hours=settings.invite_ttl_hours),
    )
    await audit.record(
        session,
        at=now,
        actor_id=created_by,
        action="invite.created",
        subject_kind="invite",
        subject_id=row.id,
        detail={"kind": kind.value, "via": via},
    )
    return NewInvitation(row.id, code)
