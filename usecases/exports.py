"""Writing an export: CSV (UTF-8 with a byte-order mark, so Excel opens ë and ç right) or
XLSX (openpyxl's write-only workbook), row by row, the export id in every row.

The same writer serves the chat (a capped file for a chair or a coordinator, or a national
export approved by a second admin) and the server's `regjistri export`.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

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


def _moment(value: str | None) -> str:
    """The database's text of a UTC time, to the second: «2026-12-03 09:00:00»."""
    return value[:19] if value else ""


class RowWriter:
    """One export's rows as text; what does not change per row is worked out once."""

    def __init__(self, export_id: int, places: dict[int, Place]) -> None:
        self.tag = f"E{export_id}"
        self.yes, self.no = _("yes"), _("no")
        self.where = {pid: (p.name, p.county_name) for pid, p in places.items()}

    def values(self, row: Sequence[Any]) -> list[str]:
        """A row in storage.exports.COLUMNS order."""
        (number, full_name, birth_date, phone, verified, municipality_id, status,
         membership, submitted, decided) = row  # fmt: skip
        name, county = self.where.get(municipality_id, ("", ""))
        return [
            self.tag,
            str(number),
            full_name,
            birth_date or "",
            phone,
            self.yes if verified else self.no,
            name,
            county,
            status,
            membership or "",
            _moment(submitted),
            _moment(decided),
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
    rows = RowWriter(export_id, places)
    written = 0
    async for batch in stream_rows(session, scope, limit=limit):
        writer.writerows(rows.values(row) for row in batch)
        written += len(batch)
        if seen is not None:
            seen.extend(row[0] for row in batch)
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
    rows = RowWriter(export_id, places)
    written = 0
    async for batch in stream_rows(session, scope):
        for row in batch:
            sheet.append(rows.values(row))
        written += len(batch)
        if progress is not None:
            progress(len(batch))
    workbook.save(path)
    return written
