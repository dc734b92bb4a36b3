"""What officers read in /kerko: result pages and member cards, phones masked."""

from __future__ import annotations

from domain.callbacks import pack
from domain.decisions import reason_text
from domain.i18n import N_, _, format_count, format_day, format_moment
from domain.phones import display_phone, mask_phone
from handlers.replies import Reply
from storage.models import AuditEvent, Member
from usecases.keyboards import inline
from usecases.membership import END_REASONS
from usecases.services import Services

PREFIX = "srch"
PAGE_SIZE = 8

STATUS = {
    "pending": N_("pending"),
    "approved": N_("member"),
    "rejected": N_("not accepted"),
    "withdrawn": N_("withdrawn"),
    "ended": N_("membership ended"),
}

EVENTS = {
    "application.submitted": N_("application sent"),
    "decision.approved": N_("approved"),
    "decision.rejected": N_("rejected"),
    "application.withdrawn": N_("withdrawn by the member"),
    "data.corrected": N_("a detail corrected by the member"),
    "membership.ended": N_("membership ended"),
    "membership.move_asked": N_("a move asked"),
    "membership.moved": N_("moved to another municipality"),
    "membership.move_declined": N_("a move declined"),
}


def _status(member: Member) -> str:
    return _(STATUS.get(member.status, member.status))


def how_to_search() -> Reply:
    example = _(
        "Write /kerko followed by a name or a phone number, for example:\n"
        "/kerko Arben Hoxha\n/kerko 069 123 4567"
    )
    letters = _("Letters without ë or ç work too.")
    return Reply(f"{example}\n{letters}")


def results(
    services: Services,
    members: list[Member],
    total: int,
    page: int,
    search_id: int,
    edit_message_id: int | None,
) -> Reply:
    if total == 0:
        return Reply(_("Nobody in your part of the register matches that."), None, edit_message_id)
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    lines = [
        _("Found: {count} (page {page} of {pages})").format(
            count=format_count(total), page=page + 1, pages=pages
        )
    ]
    rows = []
    for number, member in enumerate(members, start=page * PAGE_SIZE + 1):
        place = services.places[member.municipality_id].name
        lines.append(
            f"{number}. {member.full_name} — {place}, {_status(member)}, "
            f"{mask_phone(member.phone_e164)}"
        )
        rows.append([(f"🪪 {number}. {member.full_name}"[:60], pack(PREFIX, "card", member.id))])
    navigation = []
    if page > 0:
        navigation.append((_("« Previous"), pack(PREFIX, "page", search_id, page - 1)))
    if page + 1 < pages:
        navigation.append((_("Next »"), pack(PREFIX, "page", search_id, page + 1)))
    if navigation:
        rows.append(navigation)
    return Reply("\n".join(lines), inline(rows), edit_message_id)


def card(
    services: Services,
    member: Member,
    history: list[AuditEvent],
    *,
    phone_shown: bool,
    may_act: bool = False,
) -> Reply:
    place = services.places[member.municipality_id]
    phone = display_phone(member.phone_e164) if phone_shown else mask_phone(member.phone_e164)
    verified = _("verified by Telegram") if member.phone_verified else _("typed, not verified")
    lines = [
        _(
            "No. {id} — {name}\n"
            "Status: {status}\n"
            "Municipality: {municipality} ({county})\n"
            "Date of birth: {birth_date}\n"
            "Phone: {phone} ({verified})"
        ).format(
            id=member.id,
            name=member.full_name,
            status=_status(member),
            municipality=place.name,
            county=place.county_name,
            birth_date=format_day(member.birth_date),
            phone=phone,
            verified=verified,
        )
    ]
    if member.membership_number:
        lines.append(_("Membership number: {number}").format(number=member.membership_number))
    if member.status == "rejected":
        lines.append(_("Reason: {reason}").format(reason=reason_text(member.rejection_reason)))
    if history:
        lines.append(_("History:"))
        lines += [
            f"• {format_moment(event.at)} — {_(EVENTS.get(event.action, event.action))}"
            for event in history
            if event.action in EVENTS
        ]
    rows = []
    if not phone_shown:
        rows.append([(_("📞 Show the whole number"), pack(PREFIX, "phone", member.id))])
    if may_act and member.status == "approved":
        rows.append(
            [
                (_("➡️ Move to another municipality"), pack(PREFIX, "move", member.id)),
                (_("🚪 End the membership"), pack(PREFIX, "end", member.id)),
            ]
        )
    if member.move_to_id is not None and member.move_to_id in services.places:
        lines.append(
            _("A move to {municipality} waits for that branch to accept.").format(
                municipality=services.places[member.move_to_id].name
            )
        )
    return Reply("\n".join(lines), inline(rows) if rows else None)


def end_reasons(member: Member, edit_message_id: int | None) -> Reply:
    rows = [
        [(_(label), pack(PREFIX, "endr", member.id, code))] for code, label in END_REASONS.items()
    ]
    return Reply(
        _("Why does membership {number} end? The member will be told.").format(
            number=member.membership_number or member.id
        ),
        inline(rows),
        edit_message_id,
    )


def counties(services: Services, member: Member, edit_message_id: int | None) -> Reply:
    found = sorted({(p.county_name, p.county_id) for p in services.places.values()})
    buttons = [(name, pack(PREFIX, "mvc", member.id, cid)) for name, cid in found]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return Reply(_("To which county?"), inline(rows), edit_message_id)


def municipalities(
    services: Services, member: Member, county_id: int, edit_message_id: int | None
) -> Reply:
    places = sorted(
        (
            p
            for p in services.places.values()
            if p.county_id == county_id and p.id != member.municipality_id
        ),
        key=lambda p: p.name,
    )
    buttons = [(p.name, pack(PREFIX, "mvm", member.id, p.id)) for p in places]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return Reply(_("To which municipality?"), inline(rows), edit_message_id)


def not_found() -> Reply:
    # The same answer for "no such member" and "not in your scope": nothing is hinted.
    return Reply(_("That entry is not in your part of the register."))


def officers_only() -> Reply:
    return Reply(_("Search is for branch chairs, coordinators and national staff."))
