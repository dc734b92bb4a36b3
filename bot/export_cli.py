"""`regjistri export`: the register (or a county's, a municipality's) as CSV or XLSX on the
server, streamed with a progress bar, recorded as an export and audited (design §8: on the
server, national exports need no second admin: whoever runs it already holds the file)."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from tqdm import tqdm

from bot.cli_places import pick_county, pick_municipality
from domain.permissions import Scope
from domain.places import Place
from storage import audit
from storage.db import Database
from storage.exports import count_in_scope, finish_export, scope_detail, start_export
from storage.geography import list_places
from usecases.exports import write_csv, write_xlsx


def add_command(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    export = commands.add_parser(
        "export",
        help="write the register (or part of it) as CSV or XLSX",
        description="Write members as CSV (UTF-8 with BOM, opens in Excel) or XLSX, with an "
        "export id in every row. The export is recorded and audited.",
    )
    export.add_argument(
        "--scope",
        default="national",
        help="national (default), county:NAME or municipality:NAME",
    )
    export.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    export.add_argument("--out", required=True, help="the file to write")
    export.add_argument("--purpose", required=True, help="why the export is taken (audited)")


def _scope(places: list[Place], text: str) -> Scope | None:
    kind, _, name = text.partition(":")
    if kind == "national" and not name:
        return Scope(national=True, county_ids=frozenset(), municipality_ids=frozenset())
    if kind == "county" and name:
        county = pick_county(places, name)
        if county is None:
            return None
        return Scope(
            national=False, county_ids=frozenset({county[0]}), municipality_ids=frozenset()
        )
    if kind == "municipality" and name:
        place = pick_municipality(places, name)
        if place is None:
            return None
        return Scope(national=False, county_ids=frozenset(), municipality_ids=frozenset({place.id}))
    print(
        f"--scope must be national, county:NAME or municipality:NAME, not {text!r}", file=sys.stderr
    )
    return None


async def run(database: Database, args: argparse.Namespace) -> int:
    async with database.read() as session:
        places = await list_places(session)
    scope = _scope(places, args.scope)
    if scope is None:
        return 2
    by_id = {place.id: place for place in places}
    out = Path(args.out)
    now = datetime.now(UTC)
    async with database.write() as session:
        export = await start_export(
            session,
            actor_id=None,
            scope=scope,
            purpose=args.purpose[:200],
            status="approved",
            now=now,
        )
        export_id = export.id
    # Personal data: the file is created readable by its owner only, before a byte is written
    # (like the database; a later write keeps the mode).
    os.close(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    async with database.read() as session:
        total = await count_in_scope(session, scope)
        with tqdm(total=total, unit=" rows", file=sys.stderr, disable=None) as bar:
            if args.format == "xlsx":
                rows = await write_xlsx(session, scope, export_id, out, by_id, progress=bar.update)
            else:
                # A one-shot command with nothing else on its loop: plain file writes.
                with out.open("w", encoding="utf-8-sig", newline="") as handle:  # noqa: ASYNC230
                    rows = await write_csv(
                        session, scope, export_id, handle, by_id, progress=bar.update
                    )
    async with database.write() as session:
        await finish_export(session, export_id, rows, datetime.now(UTC))
        await audit.record(
            session,
            at=datetime.now(UTC),
            actor_id=None,
            action="export.created",
            subject_kind="export",
            subject_id=export_id,
            detail={**scope_detail(scope), "rows": rows, "via": "cli"},
        )
    print(f"Export no. {export_id}: {rows} rows written to {out}")
    return 0
