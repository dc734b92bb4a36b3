"""The append-only audit log: actor, time, action, subject — ids only, never names or phones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEvent


async def record(
    session: AsyncSession,
    *,
    at: datetime,
    actor_id: int | None,
    action: str,
    subject_kind: str | None = None,
    subject_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEvent(
            at=at,
            actor_id=actor_id,
            action=action,
            subject_kind=subject_kind,
            subject_id=subject_id,
            detail=detail,
        )
    )


async def role_changed(
    session: AsyncSession,
    *,
    at: datetime,
    actor_id: int | None,
    role_id: int,
    granted: bool,
    via: str,
) -> None:
    """A role granted or revoked, and by which path (invite, chat, cli, ADMIN_IDS)."""
    await record(
        session,
        at=at,
        actor_id=actor_id,
        action="role.granted" if granted else "role.revoked",
        subject_kind="role",
        subject_id=role_id,
        detail={"via": via},
    )
