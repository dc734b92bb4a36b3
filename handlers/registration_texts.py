"""What the member reads during registration: the questions, the refusals, the summary.

Pure functions of the draft and of the parsers' problem codes, rendered in the current
language (domain.i18n's ContextVar); handlers/registration_replies.py picks them for the
dialogue's messages. Buttons carry domain/registration/buttons.py's data.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove

from domain.dates import DateProblem
from domain.i18n import N_, _, format_day
from domain.names import NameProblem
from domain.phones import PhoneProblem
from domain.places import Place
from domain.registration.buttons import (
    BackToSummary,
    CancelRegistration,
    ChooseMunicipality,
    EditDetails,
    EditField,
    PhoneIsRight,
    SendApplication,
    ShowCounties,
    ShowCounty,
    encode,
)
from domain.registration.state import Step
from handlers.replies import Reply
from usecases.keyboards import inline

NAME_PROBLEMS: dict[str, str] = {
    NameProblem.EMPTY: N_("Please write your first name and surname."),
    NameProblem.ONE_WORD: N_(
        "Please write both your first name and your surname, for example: Arben Hoxha."
    ),
    NameProblem.TOO_SHORT: N_("That name looks too short. Please write your full name."),
    NameProblem.TOO_LONG: N_(
        "That name is too long. Please write just your first name and surname."
    ),
    NameProblem.HAS_DIGITS: N_(
        "A name cannot contain digits. Please write your full name in letters."
    ),
    NameProblem.HAS_SYMBOLS: N_(
        "A name can only contain letters, spaces, hyphens and apostrophes. "
        "Please write your full name without emoji or other signs."
    ),
}

DATE_PROBLEMS: dict[str, str] = {
    DateProblem.EMPTY: N_("Please write your date of birth, for example: 5.3.1980."),
    DateProblem.UNREADABLE: N_(
        "I could not read that date. Please write it as day, month and year, "
        "for example: 5.3.1980 or 5 March 1980."
    ),
    DateProblem.TWO_DIGIT_YEAR: N_(
        "Please write the year with four digits, for example: 5.3.1980 rather than 5.3.80."
    ),
    DateProblem.IMPOSSIBLE: N_(
        "That date does not exist in the calendar. Please check the day and the month."
    ),
    DateProblem.MONTH_FIRST: N_(
        "Please write the day first, then the month and the year, for example: 15.3.1980 "
        "for 15 March 1980."
    ),
    DateProblem.IN_FUTURE: N_("That date is in the future. Please write your date of birth."),
    DateProblem.TOO_YOUNG: N_(
        "Membership is open from the age of {min_age}. If the date is wrong, please write it "
        "again; otherwise you can register once you turn {min_age}."
    ),
    DateProblem.TOO_OLD: N_(
        "That date gives an age over {max_age} years. Please check the year and write it again."
    ),
}

PHONE_PROBLEMS: dict[str, str] = {
    PhoneProblem.EMPTY: N_("Please send your phone number."),
    PhoneProblem.UNREADABLE: N_(
        "A phone number has digits only, for example: 069 123 4567. Please write it again."
    ),
    PhoneProblem.TOO_SHORT: N_(
        "That number is too short. Please write the whole number, for example: 069 123 4567."
    ),
    PhoneProblem.TOO_LONG: N_("That number is too long. Please check it and write it again."),
    PhoneProblem.INVALID: N_(
        "That is not a phone number I recognise. Please write it as 069 123 4567, or with + "
        "and the country code if you live abroad."
    ),
    PhoneProblem.TOO_MANY_TYPED: N_(
        "You have already written several numbers. To go on, please share your own number "
        "with the «📱 Share my number» button below."
    ),
}


def problem_text(table: dict[str, str], problem: str, **values: object) -> str:
    return _(table[problem]).format(**values)


def ask_name() -> Reply:
    return Reply(
        _("What is your full name? Write your first name and surname, for example: Arben Hoxha.")
    )


def ask_birth_date(name: str | None) -> Reply:
    if name:
        text = _("Thank you, {name}. When were you born? For example: 5.3.1980.")
        return Reply(text.format(name=name))
    return Reply(_("When were you born? For example: 5.3.1980."))


def phone_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(_("📱 Share my number"), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def ask_phone(birth_date: date | None) -> Reply:
    question = _(
        "What is your phone number? Tap «📱 Share my number» below, or type it, for example: "
        "069 123 4567. If you live abroad, start with + and the country code."
    )
    if birth_date is None:
        return Reply(question, phone_keyboard())
    echo = _("Date of birth: {date}.").format(date=format_day(birth_date))
    return Reply(f"{echo}\n\n{question}", phone_keyboard())


def ask_phone_confirmation(formatted: str) -> Reply:
    text = _(
        "The number {phone} does not look like a usual number for its country. Is it correct?"
    ).format(phone=formatted)
    return Reply(
        text,
        inline(
            [
                [
                    (_("Yes, it is correct"), encode(PhoneIsRight(yes=True))),
                    (_("No, I will write it again"), encode(PhoneIsRight(yes=False))),
                ]
            ]
        ),
    )


def ask_municipality(phone: str | None) -> Reply:
    # Two sentences, two messages: each fits on the line of its _().
    question = _("Which municipality do you live in? Type its name, for example: Korçë.")
    question += " " + _("If you live abroad, write the municipality of your branch.")
    question += " " + _("Or tap /list to pick it from the list.")
    if phone is None:
        return Reply(question, ReplyKeyboardRemove())
    echo = _("Phone: {phone}.").format(phone=phone)
    return Reply(f"{echo}\n\n{question}", ReplyKeyboardRemove())


def place_label(place: Place) -> str:
    return _("{municipality} ({county} county)").format(
        municipality=place.name, county=place.county_name
    )


def offer_fuzzy(place: Place) -> Reply:
    return Reply(
        _("Did you mean the municipality of {municipality}?").format(
            municipality=place_label(place)
        ),
        inline(
            [
                [(_("Yes"), encode(ChooseMunicipality(place.id)))],
                [(_("No, show me the list"), encode(ShowCounties()))],
            ]
        ),
    )


def offer_choices(places: tuple[Place, ...]) -> Reply:
    rows = [[(place_label(p), encode(ChooseMunicipality(p.id)))] for p in places]
    rows.append([(_("None of these: show me the list"), encode(ShowCounties()))])
    return Reply(_("Which of these municipalities do you mean?"), inline(rows))


def offer_list_after_no_match() -> Reply:
    return Reply(
        _(
            "I could not find a municipality with that name. Please check the spelling and "
            "write it again, or pick it from the list."
        ),
        inline([[(_("Show me the list"), encode(ShowCounties()))]]),
    )


def field_labels() -> dict[Step, str]:
    return {
        Step.NAME: _("Name"),
        Step.BIRTH_DATE: _("Date of birth"),
        Step.PHONE: _("Phone"),
        Step.MUNICIPALITY: _("Municipality"),
    }


def edit_picker(message_id: int | None) -> Reply:
    labels = field_labels()
    rows = [[(labels[step], encode(EditField(step.value)))] for step in labels]
    rows.append([(_("« Back to the summary"), encode(BackToSummary()))])
    return Reply(_("Which detail do you want to change?"), inline(rows), message_id)


def summary(
    *,
    name: str,
    birth_date: date,
    phone: str,
    phone_verified: bool,
    place: Place,
    edit_message_id: int | None = None,
) -> Reply:
    verified = _(" (verified by Telegram)") if phone_verified else ""
    text = _(
        "Please check your details:\n\n"
        "Name: {name}\n"
        "Date of birth: {birth_date}\n"
        "Phone: {phone}{verified}\n"
        "Municipality: {municipality}\n\n"
        "Is everything correct?"
    ).format(
        name=name,
        birth_date=format_day(birth_date),
        phone=phone,
        verified=verified,
        municipality=place_label(place),
    )
    return Reply(
        text,
        inline(
            [
                [(_("✅ Send the application"), encode(SendApplication()))],
                [
                    (_("✏️ Edit"), encode(EditDetails())),
                    (_("✖️ Cancel"), encode(CancelRegistration())),
                ],
            ]
        ),
        edit_message_id,
    )


def county_picker(places: Iterable[Place], edit_message_id: int | None) -> Reply:
    """The 12 counties, two per row; a municipality list follows a tap."""
    counties = sorted({(p.county_name, p.county_id) for p in places})
    buttons = [(name, encode(ShowCounty(county_id))) for name, county_id in counties]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return Reply(_("Pick your county:"), inline(rows), edit_message_id)


def municipality_picker(places: Iterable[Place], county_id: int, edit_message_id: int) -> Reply:
    """The municipalities of one county, with a way back to the counties."""
    chosen = sorted((p for p in places if p.county_id == county_id), key=lambda p: p.name)
    buttons = [(p.name, encode(ChooseMunicipality(p.id))) for p in chosen]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([(_("« Back to the counties"), encode(ShowCounties()))])
    county = chosen[0].county_name if chosen else ""
    return Reply(
        _("Pick your municipality in {county} county:").format(county=county),
        inline(rows),
        edit_message_id,
    )


def phone_taken() -> Reply:
    return Reply(
        _(
            "This number is already in the register under another Telegram account. "
            "If you registered before, please use that account; otherwise write another number."
        ),
        phone_keyboard(),
    )
