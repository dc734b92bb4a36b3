"""Finding members within an officer's scope (issue 15): by phone or by the start of the
words of a name, folded, so «arben hoxha» finds «Arbën Hoxha».

Every query goes through the scope filter of `storage.applications`: a chair's search
cannot return another municipality's member, whatever was typed or pressed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.permissions import Scope
from domain.search import SearchQuery
from storage.applications import in_scope
from storage.models import Member, SavedSearch


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search_members(
    session: AsyncSession, scope: Scope, query: SearchQuery, *, limit: int, offset: int = 0
) -> tuple[list[Member], int]:
    """One page of matches, by name then id, and how many there are in all."""
    if query.empty or scope.empty:
        return [], 0
    base = select(Member)
    if query.phone_e164 is not None:
        base = base.where(Member.phone_e164 == query.phone_e164)
    for word in query.words:
        escaped = _like_escape(word)
        base = base.where(
            or_(
                Member.name_folded.like(f"{escaped}%", escape="\\"),
                Member.name_folded.like(f"% {escaped}%", escape="\\"),
            )
        )
    base = in_scope(base, scope)
    total = await session.scalar(select(func.count()).select_from(base.subquery()))
    page = await session.scalars(
        base.order_by(Member.name_folded, Member.id).limit(limit).offset(offset)
    )
    return list(page.all()), int(total or 0)


async def save_search(session: AsyncSession, actor_id: int, text: str, now: datetime) -> int:
    row = SavedSearch(actor_id=actor_id, query=text[:128], created_at=now)
    session.add(row)
    await session.flush()
    return row.id


async def saved_search(session: AsyncSession, search_id: int, actor_id: int) -> str | None:
    """The text of one of the actor's own searches (another's id finds nothing)."""
    return await session.scalar(
        select(SavedSearch.query).where(
            SavedSearch.id == search_id, SavedSearch.actor_id == actor_id
        )
    )


async def forget_searches_before(session: AsyncSession, cutoff: datetime) -> int:
    """Searches hold what officers typed (often names): kept a day, for paging."""
    result = await session.execute(delete(SavedSearch).where(SavedSearch.created_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
