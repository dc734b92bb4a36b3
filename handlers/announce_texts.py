"""What the announcement wizard says and the buttons it shows (handlers/announcements.py)."""

from __future__ import annotations

from domain.announcements import Target, TargetKind
from domain.callbacks import pack
from domain.i18n import _, format_count, format_moment
from domain.permissions import Scope
from domain.places import Place
from handlers.replies import Reply
from storage.models import Announcement
from usecases import announcement_texts
from usecases.announcements import PREFIX
from usecases.keyboards import inline


def officers_only() -> Reply:
    return Reply(_("Announcements are for branch chairs, coordinators and national staff."))


def _to(kind: TargetKind, place_id: int | None = None) -> str:
    if place_id is None:
        return pack(PREFIX, "to", kind.value)
    return pack(PREFIX, "to", kind.value, place_id)


def choose_target(scope: Scope, places: dict[int, Place], message_id: int | None = None) -> Reply:
    """The first step: whom to reach, within the sender's scope only."""
    counties = announcement_texts.county_names(places)
    rows: list[list[tuple[str, str]]] = []
    if scope.national:
        rows += [
            [(_("👥 All members"), _to(TargetKind.ALL))],
            [
                (_("🗺 A county"), pack(PREFIX, "cty", TargetKind.COUNTY.value)),
                (_("🏘 A municipality"), pack(PREFIX, "cty", TargetKind.MUNICIPALITY.value)),
            ],
            [(_("🎖 All branch chairs"), _to(TargetKind.CHAIRS))],
            [(_("🎖 The chairs of a county"), pack(PREFIX, "cty", "county_chairs"))],
        ]
    else:
        for county_id in sorted(scope.county_ids, key=lambda c: counties.get(c, "")):
            name = counties.get(county_id, "?")
            rows += [
                [
                    (
                        _("👥 Members of {county} county").format(county=name),
                        _to(TargetKind.COUNTY, county_id),
                    )
                ],
                [
                    (
                        _("🏘 A municipality of {county}").format(county=name),
                        pack(PREFIX, "mun", county_id),
                    )
                ],
                [
                    (
                        _("🎖 Chairs of {county} county").format(county=name),
                        _to(TargetKind.COUNTY_CHAIRS, county_id),
                    )
                ],
            ]
        for municipality_id in sorted(scope.municipality_ids):
            place = places.get(municipality_id)
            if place is not None and place.county_id not in scope.county_ids:
                rows.append(
                    [
                        (
                            _("👥 Members of {municipality}").format(municipality=place.name),
                            _to(TargetKind.MUNICIPALITY, municipality_id),
                        )
                    ]
                )
    rows.append([(_("❌ Cancel"), pack(PREFIX, "cancel", 0))])
    return Reply(_("📣 A new announcement. Whom should it reach?"), inline(rows), message_id)


def choose_county(kind: str, places: dict[int, Place], message_id: int | None) -> Reply:
    counties = announcement_texts.county_names(places)
    buttons = []
    for county_id, name in sorted(counties.items(), key=lambda item: item[1]):
        if kind == TargetKind.MUNICIPALITY.value:
            buttons.append((name, pack(PREFIX, "mun", county_id)))
        else:
            buttons.append((name, _to(TargetKind(kind), county_id)))
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([(_("⬅️ Back"), pack(PREFIX, "back", 0))])
    return Reply(_("Which county?"), inline(rows), message_id)


def choose_municipality(county_id: int, places: dict[int, Place], message_id: int | None) -> Reply:
    inside = sorted((p for p in places.values() if p.county_id == county_id), key=lambda p: p.name)
    buttons = [(p.name, _to(TargetKind.MUNICIPALITY, p.id)) for p in inside]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([(_("⬅️ Back"), pack(PREFIX, "back", 0))])
    return Reply(_("Which municipality?"), inline(rows), message_id)


def ask_message(label: str, message_id: int | None) -> Reply:
    return Reply(
        _(
            "To: {target}.\n\nNow send me the announcement itself: a text (bold, italics and "
            "links stay as you write them), or a photo or a document with a caption. It will "
            "be copied to each recipient exactly as you send it. /anulo stops here."
        ).format(target=label),
        None,
        message_id,
    )


def message_kind_refused() -> Reply:
    return Reply(
        _(
            "That cannot be sent as an announcement. Send a text, or a photo, a video or a "
            "document (with a caption if you like)."
        )
    )


def ask_time() -> Reply:
    return Reply(
        _(
            "When should it be sent? Write the time in Tirana time, for example 18:30 for "
            "today (or tomorrow, if that time has passed) or 5.12 18:30 for another day."
        )
    )


def time_problem(problem: str) -> Reply:
    texts = {
        "past": _("That time has already passed. Write a time in the future, e.g. 18:30."),
        "too_far": _("That is more than 60 days away. Write a nearer time, e.g. 5.12 18:30."),
    }
    return Reply(
        texts.get(problem, _("I could not read that time. Write it like 18:30 or 5.12 18:30."))
    )


def preview(
    announcement: Announcement,
    label: str,
    reachable: int,
    left_out: int,
    message_id: int | None = None,
) -> Reply:
    """The preview's text and buttons (the copy itself is sent just above it)."""
    lines = [
        _("☝️ This is how the announcement will look."),
        "",
        _("To: {target}").format(target=label),
        _("Recipients: {n}").format(n=format_count(reachable)),
    ]
    if left_out:
        lines.append(_("Left out, as they blocked the bot: {n}").format(n=format_count(left_out)))
    lines.append(
        _("Read confirmation: asked («✅ I've read it» under the message)")
        if announcement.ask_ack
        else _("Read confirmation: not asked")
    )
    if announcement.send_at is not None:
        lines.append(_("When: {at} (Tirana time)").format(at=format_moment(announcement.send_at)))
    else:
        lines.append(_("When: now"))
    lines += [
        "",
        _(
            "Nothing is sent before you press Send. Do not delete your message until it "
            "is delivered."
        ),
    ]
    number = announcement.id
    ack_label = (
        _("☑️ Do not ask for read confirmation")
        if announcement.ask_ack
        else _("✅ Ask for read confirmation")
    )
    when_row = (
        [(_("⚡ Send now instead"), pack(PREFIX, "now", number))]
        if announcement.send_at is not None
        else [(_("🕒 Send later"), pack(PREFIX, "later", number))]
    )
    rows: list[list[tuple[str, str]]] = []
    if reachable:
        rows.append(
            [(_("📤 Send to {n}").format(n=format_count(reachable)), pack(PREFIX, "send", number))]
        )
    rows += [[(ack_label, pack(PREFIX, "ack", number))], when_row]
    rows.append([(_("❌ Cancel"), pack(PREFIX, "cancel", number))])
    if not reachable:
        lines.append(_("Nobody can receive it yet: no approved, reachable members there."))
    return Reply("\n".join(lines), inline(rows), message_id)


def cancelled(message_id: int | None = None) -> Reply:
    return Reply(_("The announcement is cancelled; nothing was sent."), None, message_id)


def not_yours() -> Reply:
    return Reply(_("This announcement is not yours to change, or it was already sent."))


def sending(number: int, label: str, total: int, message_id: int | None) -> Reply:
    return Reply(
        _("📣 Announcement no. {number} to {target}: sending to {total}…").format(
            number=number, target=label, total=format_count(total)
        ),
        inline([[(_("⏹ Stop sending"), pack(PREFIX, "stop", number))]]),
        message_id,
    )


def scheduled(number: int, label: str, at: str, message_id: int | None) -> Reply:
    return Reply(
        _("🕒 Announcement no. {number} to {target} will go out on {at}.").format(
            number=number, target=label, at=at
        ),
        inline([[(_("⏹ Cancel it"), pack(PREFIX, "stop", number))]]),
        message_id,
    )


def stopping(number: int, dropped: int) -> Reply:
    return Reply(
        _(
            "⏹ Announcement no. {number} stopped: {n} copies will not be sent. The report follows."
        ).format(number=number, n=format_count(dropped))
    )


def target_short(target: Target | None, places: dict[int, Place]) -> str:
    return announcement_texts.target_label(target, places) if target else "?"
