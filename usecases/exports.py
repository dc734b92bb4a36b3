"""Writing an export: CSV (UTF-8 with a byte-order mark, so Excel opens ë and ç right) or
XLSX (openpyxl's write-only workbook), row by row, the export id in every row.

The same writer serves the chat (a capped file for a chair or a coordinator, or a national
export approved by a second admin) and the server's `regjistri export`.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from domain.i18n import N_, _
from domain.permissions import Scope
from domain.places import Place
from storage.exports import stream_rows

HEADER = (
    N_("export"),
    N_("no."),
    N_("name"),
    N_("date of birth"),
    N_("phone"),
    N_("verified by Telegram"),
    N_("municipality"),
    N_("county"),
    N_("status"),
    N_("membership number"),
    N_("submitted"),
    N_("decided"),
)

Progress = Callable[[int], None]


def header() -> list[str]:
    return [_(label) for label in HEADER]


def _moment(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def values(export_id: int, row: Row[Any], places: dict[int, Place]) -> list[str]:
    place = places.get(row.municipality_id)
    return [
        f"E{export_id}",
        str(row.id),
        row.full_name,
        row.birth_date.isoformat(),
        row.phone_e164,
        _("yes") if row.phone_verified else _("no"),
        place.name if place else "",
        place.county_name if place else "",
        row.status,
        row.membership_number or "",
        _moment(row.submitted_at),
        _moment(row.decided_at),
    ]


async def write_csv(
    session: AsyncSession,
    scope: Scope,
    export_id: int,
    out: TextIO,
    places: dict[int, Place],
    *,
    limit: int | None = None,
    progress: Progress | None = None,
    seen: list[int] | None = None,
) -> int:
    """Write the scope's members; returns how many. `seen` collects their ids (the chat
    audits each as a read)."""
    writer = csv.writer(out)
    writer.writerow(header())
    written = 0
    async for batch in stream_rows(session, scope, limit=limit):
        writer.writerows(values(export_id, row, places) for row in batch)
        written += len(batch)
        if seen is not None:
            seen.extend(row.id for row in batch)
        if progress is not None:
            progress(len(batch))
    return written


async def write_xlsx(
    session: AsyncSession,
    scope: Scope,
    export_id: int,
    path: Path,
    places: dict[int, Place],
    *,
    progress: Progress | None = None,
) -> int:
    from openpyxl import Workbook  # only the server's XLSX export needs it

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Members"))
    sheet.append(header())
    written = 0
    async for batch in stream_rows(session, scope):
        for row in batch:
            sheet.append(values(export_id, row, places))
        written += len(batch)
        if progress is not None:
            progress(len(batch))
    workbook.save(path)
    return written
