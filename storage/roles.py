"""Roles and invites. Authorization reads active grants from here on every action."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.permissions import Grant, RoleKind
from storage.models import Invite, Municipality, Role

INVITE_PREFIX = "inv_"


def hash_code(code: str) -> str:
    """Invite codes are stored only as their SHA-256: a leaked table opens nothing."""
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def grant_of(role: Role) -> Grant:
    return Grant(
        role_id=role.id,
        kind=RoleKind(role.kind),
        county_id=role.county_id,
        municipality_id=role.municipality_id,
    )


async def active_roles(session: AsyncSession, telegram_id: int) -> list[Role]:
    query = select(Role).where(Role.telegram_id == telegram_id, Role.revoked_at.is_(None))
    return list((await session.scalars(query.order_by(Role.id))).all())


async def active_grants(session: AsyncSession, telegram_id: int) -> list[Grant]:
    return [grant_of(role) for role in await active_roles(session, telegram_id)]


async def grant_role(
    session: AsyncSession,
    *,
    telegram_id: int,
    kind: RoleKind,
    county_id: int | None,
    municipality_id: int | None,
    source: str,
    granted_by: int | None,
    now: datetime,
    holder_name: str | None = None,
) -> Role:
    """Grant a role; an identical active grant is returned as it is (no duplicates)."""
    existing = await session.scalar(
        select(Role).where(
            Role.telegram_id == telegram_id,
            Role.kind == kind.value,
            Role.county_id.is_(county_id) if county_id is None else Role.county_id == county_id,
            Role.municipality_id.is_(None)
            if municipality_id is None
            else Role.municipality_id == municipality_id,
            Role.revoked_at.is_(None),
        )
    )
    if existing is not None:
        if holder_name:
            existing.holder_name = holder_name
        return existing
    role = Role(
        telegram_id=telegram_id,
        kind=kind.value,
        county_id=county_id,
        municipality_id=municipality_id,
        source=source,
        granted_by=granted_by,
        granted_at=now,
        holder_name=holder_name,
    )
    session.add(role)
    await session.flush()
    return role


async def revoke_role(
    session: AsyncSession, role_id: int, *, revoked_by: int | None, now: datetime
) -> Role | None:
    """Revoke at once; None when there is no such active role."""
    role = await session.get(Role, role_id)
    if role is None or role.revoked_at is not None:
        return None
    role.revoked_at = now
    role.revoked_by = revoked_by
    await session.flush()
    return role


async def list_roles(session: AsyncSession, *, include_revoked: bool = False) -> list[Role]:
    query = select(Role).order_by(Role.kind, Role.id)
    if not include_revoked:
        query = query.where(Role.revoked_at.is_(None))
    return list((await session.scalars(query)).all())


async def holders(
    session: AsyncSession,
    kind: RoleKind,
    *,
    county_id: int | None = None,
    municipality_id: int | None = None,
) -> list[Role]:
    """Active holders of a role over a place (chairs of a municipality, coordinators of a
    county, or all admins)."""
    query = select(Role).where(Role.kind == kind.value, Role.revoked_at.is_(None))
    if municipality_id is not None:
        query = query.where(Role.municipality_id == municipality_id)
    if county_id is not None:
        query = query.where(Role.county_id == county_id)
    return list((await session.scalars(query.order_by(Role.id))).all())


async def sync_config_admins(
    session: AsyncSession, admin_ids: tuple[int, ...], now: datetime
) -> tuple[list[Role], list[Role]]:
    """Make the admins granted by configuration match ADMIN_IDS: (granted, revoked)."""
    granted = []
    for telegram_id in admin_ids:
        before = await session.scalar(
            select(Role.id).where(
                Role.telegram_id == telegram_id,
                Role.kind == RoleKind.ADMIN.value,
                Role.revoked_at.is_(None),
            )
        )
        if before is None:
            granted.append(
                await grant_role(
                    session,
                    telegram_id=telegram_id,
                    kind=RoleKind.ADMIN,
                    county_id=None,
                    municipality_id=None,
                    source="config",
                    granted_by=None,
                    now=now,
                )
            )
    stale = await session.scalars(
        select(Role).where(
            Role.source == "config",
            Role.revoked_at.is_(None),
            Role.telegram_id.not_in(admin_ids) if admin_ids else Role.id.is_not(None),
        )
    )
    revoked = []
    for role in stale.all():
        role.revoked_at = now
        revoked.append(role)
    await session.flush()
    return granted, revoked


# --- invites ---------------------------------------------------------------------------------


class RedeemProblem(StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    # Made in the chat by an admin who has lost the role since: it dies with the role.
    CREATOR_GONE = "creator_gone"


@dataclass(frozen=True)
class Redeemed:
    role: Role | None
    problem: RedeemProblem | None = None


async def create_invite(
    session: AsyncSession,
    *,
    kind: RoleKind,
    county_id: int | None,
    municipality_id: int | None,
    created_by: int | None,
    now: datetime,
    ttl: timedelta,
) -> tuple[Invite, str]:
    """A new single-use invite and its code (≥128 bits of randomness; only the hash is kept)."""
    if kind is RoleKind.CHAIR and municipality_id is not None and county_id is None:
        county_id = await session.scalar(
            select(Municipality.county_id).where(Municipality.id == municipality_id)
        )
    code = INVITE_PREFIX + secrets.token_urlsafe(24)  # 192 bits
    invite = Invite(
        code_hash=hash_code(code),
        kind=kind.value,
        county_id=county_id,
        municipality_id=municipality_id,
        created_by=created_by,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(invite)
    await session.flush()
    return invite, code


async def redeem_invite(
    session: AsyncSession,
    code: str,
    *,
    telegram_id: int,
    now: datetime,
    holder_name: str | None = None,
) -> Redeemed:
    """Use an invite once: one conditional update, so two people racing for it get one role."""
    invite = await session.scalar(select(Invite).where(Invite.code_hash == hash_code(code)))
    if invite is None:
        return Redeemed(None, RedeemProblem.UNKNOWN)
    if invite.used_at is not None:
        return Redeemed(None, RedeemProblem.USED)
    if invite.expires_at <= now:
        return Redeemed(None, RedeemProblem.EXPIRED)
    if invite.created_by is not None and not await _is_admin(session, invite.created_by):
        return Redeemed(None, RedeemProblem.CREATOR_GONE)
    claimed = await session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.used_at.is_(None))
        .values(used_at=now, used_by=telegram_id)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return Redeemed(None, RedeemProblem.USED)
    role = await grant_role(
        session,
        telegram_id=telegram_id,
        kind=RoleKind(invite.kind),
        county_id=invite.county_id if invite.kind != RoleKind.CHAIR.value else None,
        municipality_id=invite.municipality_id,
        source="invite",
        granted_by=invite.created_by,
        now=now,
        holder_name=holder_name,
    )
    await session.execute(update(Invite).where(Invite.id == invite.id).values(role_id=role.id))
    return Redeemed(role)


async def _is_admin(session: AsyncSession, telegram_id: int) -> bool:
    found = await session.scalar(
        select(Role.id).where(
            Role.telegram_id == telegram_id,
            Role.kind == RoleKind.ADMIN.value,
            Role.revoked_at.is_(None),
        )
    )
    return found is not None


async def open_invites(
    session: AsyncSession, now: datetime, *, limit: int, offset: int = 0
) -> tuple[list[Invite], int]:
    """Invitations still usable (not used, not expired), newest first, and their count."""
    base = select(Invite).where(Invite.used_at.is_(None), Invite.expires_at > now)
    total = await session.scalar(select(func.count()).select_from(base.subquery()))
    page = await session.scalars(base.order_by(Invite.id.desc()).limit(limit).offset(offset))
    return list(page.all()), int(total or 0)


async def cancel_invite(session: AsyncSession, invite_id: int, now: datetime) -> bool:
    """Make an open invitation unusable at once (it expires now)."""
    result = await session.execute(
        update(Invite)
        .where(Invite.id == invite_id, Invite.used_at.is_(None), Invite.expires_at > now)
        .values(expires_at=now)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


async def roles_page(
    session: AsyncSession, *, limit: int, offset: int = 0
) -> tuple[list[Role], int]:
    """Active roles, a page at a time (kind, then oldest first), and how many in all."""
    base = select(Role).where(Role.revoked_at.is_(None))
    total = await session.scalar(select(func.count()).select_from(base.subquery()))
    page = await session.scalars(base.order_by(Role.kind, Role.id).limit(limit).offset(offset))
    return list(page.all()), int(total or 0)


async def holder_name_of(session: AsyncSession, telegram_id: int | None) -> str | None:
    """The name a role holder had on Telegram when they last acted (for "decided by …")."""
    if telegram_id is None:
        return None
    return await session.scalar(
        select(Role.holder_name)
        .where(Role.telegram_id == telegram_id, Role.holder_name.is_not(None))
        .order_by(Role.id.desc())
        .limit(1)
    )
