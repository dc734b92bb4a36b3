"""Bot API messages one registration costs, counted at the emulator.

    python bench/messages.py

Telegram allows about 30 messages a second per bot, so the peak registrations per second
are 30 ÷ (messages per registration). A member registers the way tests/harness.py does,
with a chair in Korçë; every sendMessage, editMessageText, copyMessage and sendPhoto the
bot makes is counted, split into the member's share and the chair's. (The chair's card is
one message when things are quiet; at peaks the burst summary folds the cards into one
message edited as the count grows, so the chair's share per registration tends to zero.)
answerCallbackQuery is not a message and is not counted.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's code, and tests/harness.py

from sqlalchemy import select  # noqa: E402

from domain.permissions import RoleKind  # noqa: E402
from storage.db import ensure_private_sqlite_file  # noqa: E402
from storage.models import Municipality  # noqa: E402
from storage.roles import grant_role  # noqa: E402
from storage.schema import upgrade  # noqa: E402
from tests.harness import BotHarness  # noqa: E402

COUNTED = ("sendMessage", "editMessageText", "copyMessage", "sendPhoto")
MEMBER_ID, CHAIR_ID = 1001, 2001


async def _flow(template: Path, flow: str) -> Counter[str]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "count.sqlite3"
        ensure_private_sqlite_file(path)
        shutil.copyfile(template, path)
        harness = BotHarness(f"sqlite+aiosqlite:///{path}")
        async with harness.database.write() as session:
            korce = await session.scalar(
                select(Municipality.id).where(Municipality.name == "Korçë")
            )
            assert korce is not None
            await grant_role(
                session,
                telegram_id=CHAIR_ID,
                kind=RoleKind.CHAIR,
                county_id=None,
                municipality_id=korce,
                source="cli",
                granted_by=None,
                now=harness.clock.now(),
            )
        await harness.start()
        try:
            harness.user(CHAIR_ID, "Chair")
            member = harness.user(MEMBER_ID, "Arta")
            await member.receive_all(idle=0.2)
            before = len(harness.emu.calls)
            if flow == "start":
                await harness.register(member)
            else:
                await harness.register_from_link(member, flow)
            await harness.drain_outbox()
            counts: Counter[str] = Counter()
            for method, params in harness.emu.calls[before:]:
                if method in COUNTED:
                    who = "member" if params.get("chat_id") == MEMBER_ID else "chair"
                    counts[f"{who} {method}"] += 1
            return counts
        finally:
            await harness.close()


async def main() -> None:
    flows = ["start", *sys.argv[1:]]  # e.g. `python bench/messages.py korce` adds the link
    with tempfile.TemporaryDirectory() as folder:
        template = Path(folder) / "template.sqlite3"
        ensure_private_sqlite_file(template)
        await upgrade(f"sqlite+aiosqlite:///{template}")
        for flow in flows:
            counts = await _flow(template, flow)
            member = sum(n for key, n in counts.items() if key.startswith("member"))
            chair = sum(n for key, n in counts.items() if key.startswith("chair"))
            title = "/start" if flow == "start" else f"/start {flow} (enrolment link)"
            print(f"{title}: member {member}, chair {chair} (quiet; ~0 at peaks)")
            for key, n in sorted(counts.items()):
                print(f"    {key}: {n}")
            print(
                f"    peak registrations/s at 30 messages/s: {30 / member:.1f} "
                f"(with the chair's card: {30 / (member + chair):.1f})"
            )


if __name__ == "__main__":
    asyncio.run(main())
