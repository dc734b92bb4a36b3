"""What the member reads about their own data: the record, who looked, the notice, and the
confirmations of withdrawal and erasure."""

from __future__ import annotations

import phonenumbers
from telegram import ReplyKeyboardRemove

from domain.callbacks import pack
from domain.decisions import reason_text
from domain.i18n import _, format_day, format_moment
from domain.permissions import RoleKind
from domain.privacy import NOTICE_VERSION
from handlers.registration_texts import (
    DATE_PROBLEMS,
    NAME_PROBLEMS,
    PHONE_PROBLEMS,
    phone_keyboard,
    problem_text,
)
from handlers.replies import Reply
from usecases.keyboards import inline
from usecases.member_rights import PersonalRecord, Read
from usecases.services import Services

PREFIX = "me"

#: The last reads listed in the chat; the JSON download has them all.
READS_SHOWN = 30


def _phone(e164: str) -> str:
    return phonenumbers.format_number(
        phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )


def _status(status: str) -> str:
    return {
        "pending": _("waiting to be confirmed"),
        "approved": _("confirmed member"),
        "rejected": _("not accepted"),
        "withdrawn": _("withdrawn by you"),
        "ended": _("membership ended"),
    }.get(status, status)


def record_view(services: Services, record: PersonalRecord) -> Reply:
    """Everything stored, readable, with what the member can do about it."""
    if record.empty:
        return Reply(
            _(
                "The register holds no personal data about you: only your language choice, "
                "if you made one. Send /start to register."
            ),
            inline([[(_("🗑 Delete my data"), pack(PREFIX, "delete"))]]),
        )
    lines = [_("Everything the register holds about you:")]
    for entry in record.entries:
        place = services.places[entry.municipality_id]
        verified = _("verified by Telegram") if entry.phone_verified else _("typed, not verified")
        lines.append(
            _(
                "\nApplication no. {id} — {status}\n"
                "Name: {name}\n"
                "Date of birth: {birth_date}\n"
                "Phone: {phone} ({verified})\n"
                "Municipality: {municipality}\n"
                "Submitted: {submitted}"
            ).format(
                id=entry.id,
                status=_status(entry.status),
                name=entry.full_name,
                birth_date=format_day(entry.birth_date),
                phone=_phone(entry.phone_e164),
                verified=verified,
                municipality=place.name,
                submitted=format_moment(entry.submitted_at),
            )
        )
        if entry.membership_number:
            lines.append(_("Membership number: {number}").format(number=entry.membership_number))
        if entry.status == "rejected":
            lines.append(_("Reason: {reason}").format(reason=reason_text(entry.rejection_reason)))
    if record.draft is not None:
        lines.append(
            _("\nA registration you started and have not sent yet (send /start to carry on).")
        )
    for consent in record.consents:
        lines.append(
            _("\nConsent to the privacy notice of {version}, given on {when}.").format(
                version=consent.notice_version, when=format_moment(consent.given_at)
            )
        )
    rows = []
    if any(entry.status in ("pending", "approved") for entry in record.entries):
        rows.append([(_("✏️ Correct a detail"), pack(PREFIX, "fix"))])
    rows += [
        [(_("⬇️ Download all (JSON)"), pack(PREFIX, "json"))],
        [(_("👁 Who looked at my data"), pack(PREFIX, "looked"))],
    ]
    if any(entry.status == "pending" for entry in record.entries):
        rows.append([(_("↩️ Withdraw my application"), pack(PREFIX, "withdraw"))])
    rows.append([(_("🗑 Delete my data"), pack(PREFIX, "delete"))])
    return Reply("\n".join(lines), inline(rows))


def _reader(services: Services, read: Read) -> str:
    places = services.places
    if read.role == RoleKind.CHAIR and read.municipality_id in places:
        return _("branch chair, {municipality}").format(
            municipality=places[read.municipality_id].name
        )
    if read.role == RoleKind.COORDINATOR:
        county = next(
            (p.county_name for p in places.values() if p.county_id == read.county_id), "—"
        )
        return _("county coordinator, {county}").format(county=county)
    if read.role == RoleKind.ADMIN:
        return _("national staff")
    return _("an officer whose role has ended")


def who_looked(services: Services, record: PersonalRecord) -> Reply:
    """The reads of the member's record, newest first, straight from the audit."""
    if not record.reads:
        return Reply(_("Nobody has looked at your data yet."))
    shown = list(reversed(record.reads))[:READS_SHOWN]
    lines = [_("Who looked at your data (newest first):")]
    lines += [f"• {_reader(services, read)} — {format_moment(read.at)}" for read in shown]
    if len(record.reads) > READS_SHOWN:
        lines.append(
            _("… and {count} earlier. The download (JSON) lists them all.").format(
                count=len(record.reads) - READS_SHOWN
            )
        )
    return Reply("\n".join(lines))


def withdrawn(done: bool, edit_message_id: int | None) -> Reply:
    if not done:
        return Reply(
            _("There is no application waiting to be confirmed, so there is nothing to withdraw.")
        )
    return Reply(
        _(
            "Your application has been withdrawn and the branch has been told. You can apply "
            "again at any time with /start."
        ),
        None,
        edit_message_id,
    )


def confirm_erasure() -> Reply:
    return Reply(
        _(
            "Delete all your data from the register?\n\n"
            "Your application or membership, your name, date of birth, phone number and "
            "your messages to the bot will be erased for good, and your consent withdrawn. "
            "If you are a member, you will no longer be one; the branch chair will be told "
            "that a member left, without your name. This cannot be undone."
        ),
        inline(
            [
                [(_("🗑 Yes, delete everything"), pack(PREFIX, "erase"))],
                [(_("No, keep my data"), pack(PREFIX, "keep"))],
            ]
        ),
    )


def erased(done: bool, edit_message_id: int | None) -> Reply:
    if not done:
        return Reply(
            _(
                "You hold a role in the organisation (branch chair, coordinator or national "
                "staff). Ask national staff to end it first, then delete your data."
            )
        )
    return Reply(
        _(
            "Done: your data has been deleted from the register. If you want to join again "
            "one day, send /start."
        ),
        None,
        edit_message_id,
    )


def notice(*, ask_consent: bool, decided_days: int, draft_days: int) -> Reply:
    text = _(
        "Privacy notice (version {version})\n\n"
        "• What we store: your name, date of birth, phone number, municipality and language, "
        "and when you gave your consent. Nothing else.\n"
        "• Why: to confirm your membership and to keep you informed.\n"
        "• Who sees it: the branch chair of your municipality, the coordinator of your "
        "county and the organisation's national staff. Every time one of them reads your "
        "record it is logged, and you can see it with /te_dhenat.\n"
        "• How long: while you are a member. An application that is not accepted or that "
        "you withdraw is erased after {days} days; a registration left unfinished after "
        "{draft_days} days.\n"
        "• Your rights: /te_dhenat shows everything stored and lets you download it; "
        "/statusi lets you withdraw a pending application; /fshij deletes all your data "
        "for good, which also withdraws your consent.\n"
        "• Party membership is sensitive personal data (Law 124/2024 on personal data "
        "protection). If you think your data is mishandled, you can complain to the "
        "Commissioner for the Right to Information and Personal Data Protection."
    )
    body = text.format(version=NOTICE_VERSION, days=decided_days, draft_days=draft_days)
    if not ask_consent:
        return Reply(body)
    asked = _("Our notice has changed since you agreed to it. Do you agree to this version?")
    return Reply(
        f"{body}\n\n{asked}",
        inline(
            [
                [(_("✅ Yes, I agree"), pack(PREFIX, "accept"))],
                [(_("🗑 No, delete my data"), pack(PREFIX, "delete"))],
            ]
        ),
    )


def notice_accepted(done: bool, edit_message_id: int | None) -> Reply:
    if not done:
        return Reply(_("There is no membership or application to consent for."))
    return Reply(
        _("Thank you: your consent to this notice has been recorded."), None, edit_message_id
    )


def fields(edit_message_id: int | None) -> Reply:
    """Which detail to correct."""
    rows = [
        [
            (_("Name"), pack(PREFIX, "fix", "name")),
            (_("Date of birth"), pack(PREFIX, "fix", "birth_date")),
        ],
        [
            (_("Phone"), pack(PREFIX, "fix", "phone")),
            (_("Municipality"), pack(PREFIX, "fix", "municipality")),
        ],
    ]
    return Reply(_("Which detail do you want to correct?"), inline(rows), edit_message_id)


def ask_field(field: str) -> Reply:
    if field == "name":
        return Reply(_("Write your first name and surname as they should be:"))
    if field == "birth_date":
        return Reply(_("Write your date of birth, for example 5.3.1980:"))
    if field == "phone":
        return Reply(
            _(
                "Share your number with the button below (it is then verified by Telegram), "
                "or type it, for example 069 123 4567:"
            ),
            phone_keyboard(),
        )
    return Reply(
        _(
            "Write the municipality you belong to now. Your application (or membership) will "
            "go to that branch's chair to confirm."
        )
    )


def corrected(field: str, services: Services, municipality_id: int, status: str) -> Reply:
    if field == "municipality":
        place = services.places[municipality_id].name
        text = _(
            "Done: you now belong to the municipality of {municipality}. Its branch will "
            "confirm your membership; we will let you know here."
        ).format(municipality=place)
    elif field == "phone":
        text = _("Done: your phone number has been corrected.")
    elif field == "birth_date":
        text = _("Done: your date of birth has been corrected.")
    else:
        text = _("Done: your name has been corrected.")
    return Reply(f"{text}\n{_('See it all with /te_dhenat.')}", ReplyKeyboardRemove())


def refused(field: str, problem: str, min_age: int, max_age: int) -> Reply:
    if problem == "no_entry":
        return Reply(_("There is no application or membership to correct."), ReplyKeyboardRemove())
    if problem == "no_such_place":
        return Reply(_("I do not know that municipality. Please write its name again."))
    if problem == "foreign_contact":
        return Reply(
            _("That is someone else's contact. Please share your own number, or type it."),
            phone_keyboard(),
        )
    if problem == "verified_elsewhere":
        return Reply(
            _(
                "This number is already verified on another Telegram account's entry. If that "
                "is you, use that account; otherwise type another number."
            ),
            phone_keyboard(),
        )
    if field == "name":
        return Reply(problem_text(NAME_PROBLEMS, problem))
    if field == "birth_date":
        text = problem_text(DATE_PROBLEMS, problem, min_age=min_age, max_age=max_age)
        return Reply(text)
    return Reply(problem_text(PHONE_PROBLEMS, problem), phone_keyboard())


def choose_municipality(services: Services, ids: tuple[int, ...]) -> Reply:
    buttons = [[(services.places[i].name, pack(PREFIX, "muni", i))] for i in ids[:8]]
    return Reply(_("Which municipality do you mean?"), inline(buttons))
