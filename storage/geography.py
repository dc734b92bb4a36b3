"""Counties and municipalities (reference data, seeded by the migrations)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.places import Place
from storage.models import County, Municipality


async def list_places(session: AsyncSession) -> list[Place]:
    """Every municipality as a pure `Place`, for the matcher and the pickers."""
    rows = await session.execute(
        select(Municipality, County.name)
        .join(County, County.id == Municipality.county_id)
        .order_by(Municipality.name)
    )
    return [
        Place(
            id=m.id,
            name=m.name,
            name_definite=m.name_definite,
            ascii_name=m.ascii_name,
            aliases=tuple(a for a in m.aliases.split(";") if a),
            county_id=m.county_id,
            county_name=county_name,
        )
        for m, county_name in rows.all()
    ]
