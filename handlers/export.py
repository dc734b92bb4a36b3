"""/eksporto (/export): a scoped register as a CSV file in the chat (design §8).

A chair gets their municipality, a coordinator their county, at once, up to
EXPORT_MAX_ROWS rows. A national export of individuals needs a stated purpose and a
second admin's approval (four eyes): `/eksporto <purpose>` asks the other admins, and the
file goes to the one who asked once another approves. Every export has an id printed in
each row, and each member in it is a read in their "who looked".
"""

from __future__ import annotations

import io
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from domain.callbacks import pack
from domain.i18n import _, format_count, format_day, use_language
from domain.permissions import Grant, RoleKind, Scope, covering_grant, scope_of
from handlers.context import BotContext
from handlers.replies import Reply, answer_press, send_replies
from storage import audit, outbox
from storage.accounts import language_of
from storage.exports import count_in_scope, decide_request, finish_export, scope_from, start_export
from storage.models import Export, Member
from storage.roles import active_grants, holder_name_of, holders
from usecases.exports import write_csv
from usecases.keyboards import inline

PREFIX = "exp"
MAX_PURPOSE = 200


async def export_command(update: Update, context: BotContext) -> None:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    purpose = " ".join(context.args or []).strip()[:MAX_PURPOSE]
    document: tuple[bytes, int] | None = None
    async with context.transaction() as session:
        grants = await active_grants(session, user.id)
        scope = scope_of(grants)
        now = context.clock.now()
        if scope.empty:
            await audit.record(session, at=now, actor_id=user.id, action="export.refused")
            reply = Reply(_("Exports are for branch chairs, coordinators and national staff."))
        elif scope.national:
            reply = await _request(session, context, user.id, scope, purpose, now)
        else:
            reply, document = await _export_now(session, context, user.id, grants, scope, now)
    if document is not None:
        await _send_file(context, chat.id, *document)
    await send_replies(context, chat.id, [reply])


async def _too_many(session: AsyncSession, context: BotContext, scope: Scope) -> Reply | None:
    count = await count_in_scope(session, scope)
    cap = context.settings.export_max_rows
    if count <= cap:
        return None
    return Reply(
        _(
            "This export would have {count} rows, more than the {cap} allowed in the chat. "
            "National staff can take it on the server with «regjistri export»."
        ).format(count=format_count(count), cap=format_count(cap))
    )


async def _export_now(
    session: AsyncSession,
    context: BotContext,
    actor_id: int,
    grants: list[Grant],
    scope: Scope,
    now: datetime,
) -> tuple[Reply, tuple[bytes, int] | None]:
    refused = await _too_many(session, context, scope)
    if refused is not None:
        await audit.record(
            session, at=now, actor_id=actor_id, action="export.refused", detail={"over_cap": True}
        )
        return refused, None
    export = await start_export(
        session, actor_id=actor_id, scope=scope, purpose=None, status="approved", now=now
    )
    body, rows = await _build(session, context, export, actor_id, grants, now)
    return (
        Reply(
            _("Export no. {id}: {count} rows. Keep the file safe and delete it when done.").format(
                id=export.id, count=format_count(rows)
            )
        ),
        (body, export.id),
    )


async def _build(
    session: AsyncSession,
    context: BotContext,
    export: Export,
    reader_id: int,
    grants: list[Grant],
    now: datetime,
) -> tuple[bytes, int]:
    """The CSV, the export marked done, and each member read by `reader_id`, audited."""
    scope = scope_from(export.scope)
    out = io.StringIO()
    seen: list[int] = []
    rows = await write_csv(
        session,
        scope,
        export.id,
        out,
        context.places,
        limit=context.settings.export_max_rows,
        seen=seen,
    )
    await finish_export(session, export.id, rows, now)
    await audit.record(
        session,
        at=now,
        actor_id=reader_id,
        action="export.created",
        subject_kind="export",
        subject_id=export.id,
        detail={**export.scope, "rows": rows},
    )
    municipality_of = await _municipalities(session, seen)
    places = context.places
    reads = [
        (
            member_id,
            covering_grant(
                grants,
                municipality_id=municipality_of[member_id],
                county_id=places[municipality_of[member_id]].county_id,
            ),
        )
        for member_id in seen
    ]
    await audit.record_reads(session, at=now, actor_id=reader_id, action="read.export", reads=reads)
    # Excel reads UTF-8 only with a byte-order mark.
    return out.getvalue().encode("utf-8-sig"), rows


async def _municipalities(session: AsyncSession, member_ids: list[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for start in range(0, len(member_ids), 900):
        chunk = member_ids[start : start + 900]
        rows = await session.execute(
            select(Member.id, Member.municipality_id).where(Member.id.in_(chunk))
        )
        found.update({row.id: row.municipality_id for row in rows})
    return found


async def _send_file(context: BotContext, chat_id: int, body: bytes, export_id: int) -> None:
    today = context.clock.now().date()
    await context.bot.send_document(
        chat_id=chat_id,
        document=body,
        filename=f"regjistri-eksport-{export_id}-{today.isoformat()}.csv",
        caption=_("Export no. {id}, {day}.").format(id=export_id, day=format_day(today)),
    )


async def _request(
    session: AsyncSession,
    context: BotContext,
    actor_id: int,
    scope: Scope,
    purpose: str,
    now: datetime,
) -> Reply:
    """A national export: a purpose, then a second admin's approval."""
    if not purpose:
        return Reply(
            _(
                "A national export of members needs a stated purpose and the approval of a "
                "second admin. Send /eksporto followed by the purpose, for example:\n"
                "/eksporto Lists for the national congress"
            )
        )
    refused = await _too_many(session, context, scope)
    if refused is not None:
        return refused
    others = [r for r in await holders(session, RoleKind.ADMIN) if r.telegram_id != actor_id]
    if not others:
        return Reply(
            _("There is no second admin to approve a national export; use the server's CLI.")
        )
    export = await start_export(
        session, actor_id=actor_id, scope=scope, purpose=purpose, status="requested", now=now
    )
    await audit.record(
        session,
        at=now,
        actor_id=actor_id,
        action="export.requested",
        subject_kind="export",
        subject_id=export.id,
    )
    asker = await _asker_name(session, actor_id)
    for admin in sorted({r.telegram_id for r in others}):
        language = await language_of(session, admin, context.settings.default_language)
        with use_language(language):
            text = _(
                "{name} asks to export the whole register (national export no. {id}).\n"
                "Purpose: {purpose}\n\nApprove only if you know and agree with the purpose."
            ).format(name=asker, id=export.id, purpose=purpose)
            markup = inline(
                [
                    [
                        (_("✅ Approve the export"), pack(PREFIX, "ok", export.id)),
                        (_("❌ Refuse"), pack(PREFIX, "no", export.id)),
                    ]
                ]
            ).to_dict()
        await outbox.enqueue(
            session,
            chat_id=admin,
            method="sendMessage",
            payload={"text": text, "reply_markup": markup},
            now=now,
            ref_kind="export",
            ref_id=export.id,
            priority=1,
        )
    return Reply(
        _(
            "Request no. {id} sent to the other admins. The file will come here once one of "
            "them approves it."
        ).format(id=export.id)
    )


async def _asker_name(session: AsyncSession, telegram_id: int) -> str:
    return await holder_name_of(session, telegram_id) or str(telegram_id)


async def on_button(update: Update, context: BotContext) -> None:
    """Approve or refuse a national export: only another admin, only once."""
    press = await answer_press(update, PREFIX)
    export_id = press.data.int_arg(0) if press.data is not None else None
    document: tuple[bytes, int] | None = None
    requester: int | None = None
    async with context.transaction() as session:
        now = context.clock.now()
        grants = await active_grants(session, press.user.id)
        is_admin = scope_of(grants).national
        decided = None
        if is_admin and export_id is not None and press.data is not None:
            approve = press.data.action == "ok"
            if press.data.action in ("ok", "no"):
                decided = await decide_request(
                    session, export_id, approver_id=press.user.id, approve=approve, now=now
                )
        if decided is None:
            await audit.record(
                session,
                at=now,
                actor_id=press.user.id,
                action="export.decision_refused",
                detail={"admin": is_admin},
            )
            reply = Reply(
                _("This request is not yours to decide, or it was decided already."), None
            )
        else:
            requester = decided.actor_id
            await audit.record(
                session,
                at=now,
                actor_id=press.user.id,
                action="export.approved" if decided.status == "approved" else "export.declined",
                subject_kind="export",
                subject_id=decided.id,
            )
            if decided.status == "approved" and requester is not None:
                requester_grants = await active_grants(session, requester)
                if scope_of(requester_grants).national:
                    body, _rows = await _build(
                        session, context, decided, requester, requester_grants, now
                    )
                    document = (body, decided.id)
            reply = Reply(
                _("Export no. {id}: {outcome}.").format(
                    id=decided.id,
                    outcome=_("approved, the file was sent to the requester")
                    if document is not None
                    else _("refused"),
                ),
                None,
                press.message_id,
            )
            if requester is not None and document is None:
                await outbox.enqueue(
                    session,
                    chat_id=requester,
                    method="sendMessage",
                    payload={
                        "text": _("Your national export no. {id} was not approved.").format(
                            id=decided.id
                        )
                    },
                    now=now,
                    ref_kind="export",
                    ref_id=decided.id,
                )
    if document is not None and requester is not None:
        await _send_file(context, requester, *document)
    await send_replies(context, press.chat_id, [reply])
