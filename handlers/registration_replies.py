"""The registration dialogue's messages (domain/registration/outcomes.py) as replies.

The questions, refusals and pickers are in handlers/registration_texts.py; the welcome, the
endings and the short notes are here, next to the message they render. Everything is in
the current language.
"""

from __future__ import annotations

import phonenumbers
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import ReplyKeyboardRemove

from domain.callbacks import pack
from domain.i18n import N_, _, current_language
from domain.permissions import RoleKind
from domain.places import Place
from domain.registration.buttons import ConsentAnswer, encode
from domain.registration.outcomes import (
    AlreadyAgreed,
    Ask,
    Cancelled,
    Confirm,
    ConfirmPhone,
    Counties,
    CountyPlaces,
    Declined,
    DidYouMean,
    EditWhich,
    ForeignContact,
    Invalid,
    ListOnlyWhileRegistering,
    Message,
    NameAfterConsent,
    NoSuchPlace,
    NothingToCancel,
    PhoneTaken,
    Sent,
    StaleButton,
    StartHint,
    Status,
    Welcome,
    WelcomeAgain,
    WelcomeBack,
    WhichOne,
    WrongKind,
)
from domain.registration.state import Step
from handlers import registration_texts as texts
from handlers import status
from handlers.context import BotContext
from handlers.replies import Reply
from usecases.keyboards import inline

# Who the application went to, said without names: a municipality may have no chair, and
# a chair's own application goes one level up (usecases/notifications.py, deciders_for).
SUBMITTED: dict[RoleKind | None, str] = {
    RoleKind.CHAIR: N_(
        "Thank you! Your application has been sent to the branch chair in {municipality}, "
        "who will review it. We will let you know here as soon as it is decided. You can "
        "check where it stands at any time with /status."
    ),
    RoleKind.COORDINATOR: N_(
        "Thank you! Your application has been sent to the party's coordinator for {county} "
        "county, who will review it. We will let you know here as soon as it is decided. You "
        "can check where it stands at any time with /status."
    ),
    RoleKind.ADMIN: N_(
        "Thank you! Your application has been sent to the party's national staff, who will "
        "review it. We will let you know here as soon as it is decided. You can check where "
        "it stands at any time with /status."
    ),
    None: N_(
        "Thank you! Your application has been received and will be reviewed. We will let you "
        "know here as soon as it is decided. You can check where it stands at any time with "
        "/status."
    ),
}


async def render(
    session: AsyncSession, context: BotContext, telegram_id: int, messages: tuple[Message, ...]
) -> list[Reply]:
    """The replies, in order. Within the transaction: where one stands is read from it."""
    replies = []
    for message in messages:
        if isinstance(message, Status):
            replies.append(await status.describe(session, context, telegram_id))
        elif isinstance(message, StartHint):
            replies.append(await status.hint_without_draft(session, context, telegram_id))
        else:
            replies.append(reply(context, message))
    return replies


def reply(context: BotContext, message: Message) -> Reply:
    """One message that needs nothing but the places to be said."""
    places = context.places
    match message:
        case Welcome(preset=preset):
            return welcome(places.get(preset) if preset is not None else None)
        case WelcomeAgain():
            again = welcome()
            line = _("Please tap one of the buttons below: «✅ Yes, I agree» or «No, thank you».")
            return Reply(f"{line}\n\n{again.text}", again.markup)
        case NameAfterConsent():
            return Reply(
                _("Thank you! Now write your first name and surname, for example: Arben Hoxha.")
            )
        case AlreadyAgreed():
            return Reply(_("You have already agreed. Please answer the last question above."))
        case Declined():
            return Reply(
                _("That is fine: nothing has been stored. If you change your mind, send /start.")
            )
        case WelcomeBack():
            return Reply(_("Welcome back! Let's carry on where you left off."))
        case Ask() | Confirm():
            return question(context, message)
        case Invalid(step=Step.NAME, problem=problem):
            return Reply(texts.problem_text(texts.NAME_PROBLEMS, problem))
        case Invalid(step=Step.BIRTH_DATE, problem=problem):
            settings = context.settings
            text = texts.problem_text(
                texts.DATE_PROBLEMS, problem, min_age=settings.min_age, max_age=settings.max_age
            )
            return Reply(text)
        case Invalid(step=Step.PHONE, problem=problem):
            text = texts.problem_text(texts.PHONE_PROBLEMS, problem)
            return Reply(text, texts.phone_keyboard())
        case WrongKind(step=step):
            return Reply(_wrong_kind(step))
        case ForeignContact():
            text = _(
                "That is someone else's contact. Please share your own number with the "
                "button below, or type it."
            )
            return Reply(text, texts.phone_keyboard())
        case ConfirmPhone(e164=e164):
            return texts.ask_phone_confirmation(display_phone(e164))
        case PhoneTaken():
            return texts.phone_taken()
        case DidYouMean(municipality_id=municipality_id):
            return texts.offer_fuzzy(places[municipality_id])
        case WhichOne(municipality_ids=ids):
            return texts.offer_choices(tuple(places[i] for i in ids))
        case NoSuchPlace():
            return texts.offer_list_after_no_match()
        case Counties(edit_id=edit_id):
            return texts.county_picker(places.values(), edit_id)
        case CountyPlaces(county_id=county_id, edit_id=edit_id):
            return texts.municipality_picker(places.values(), county_id, edit_id)
        case EditWhich(edit_id=edit_id):
            return texts.edit_picker(edit_id)
        case Cancelled(edit_id=edit_id):
            # The summary's «Cancel» replaces the summary; elsewhere the phone keyboard goes.
            markup = None if edit_id is not None else ReplyKeyboardRemove()
            return Reply(_cancelled(), markup, edit_id)
        case NothingToCancel(registered=True):
            # A member (pending, approved or rejected): no registration to cancel, no /start.
            return Reply(
                _(
                    "There is nothing in progress to cancel. To withdraw an application send "
                    "/statusi; to delete your data, /fshij."
                ),
                ReplyKeyboardRemove(),
            )
        case NothingToCancel():
            text = _("There is nothing to cancel. Send /start to register.")
            return Reply(text, ReplyKeyboardRemove())
        case Sent(municipality_id=municipality_id, receiver=receiver, edit_id=edit_id):
            place = places[municipality_id]
            text = _(SUBMITTED[receiver]).format(municipality=place.name, county=place.county_name)
            return Reply(text, None, edit_id)
        case StaleButton():
            return Reply(_("That button is no longer active."))
        case ListOnlyWhileRegistering():
            return Reply(_("The list of municipalities is offered when you register: send /start."))
    raise ValueError(f"no reply for {message!r}")  # Status and StartHint: see render


def question(context: BotContext, message: Ask | Confirm) -> Reply:
    """A question (with the previous answer shown back, if asked), or the summary."""
    if isinstance(message, Confirm):
        draft = message.draft
        assert draft.full_name and draft.birth_date and draft.phone_e164 and draft.municipality_id
        return texts.summary(
            name=draft.full_name,
            birth_date=draft.birth_date,
            phone=display_phone(draft.phone_e164),
            phone_verified=draft.phone_verified,
            place=context.places[draft.municipality_id],
            edit_message_id=message.edit_id,
        )
    step, draft, echo = message.step, message.draft, message.echo
    if step is Step.BIRTH_DATE:
        return texts.ask_birth_date(draft.full_name if echo else None)
    if step is Step.PHONE:
        return texts.ask_phone(draft.birth_date if echo else None)
    if step is Step.MUNICIPALITY:
        shown = display_phone(draft.phone_e164) if echo and draft.phone_e164 else None
        return texts.ask_municipality(shown)
    return texts.ask_name()


def welcome(preset: Place | None = None) -> Reply:
    """The privacy notice and the consent buttons; it ends with the first question.

    An enrolment link's municipality rides on the consent button (its id, like every
    button) until the press stores it in the new draft.
    """
    text = _(
        "Welcome! Here you can join the membership register in about a minute.\n\n"
        "Before we begin, how we look after your data:\n"
        "• What we store: your name, date of birth, phone number, municipality and language, "
        "and when you gave your consent. Nothing else.\n"
        "• Who sees it: the branch chair of your municipality, who confirms your membership, "
        "the coordinator of your county and the organisation's national staff. Nobody else, "
        "and every time they read it is logged.\n"
        "• Why: to confirm your membership and to keep you informed.\n"
        "• Party membership is sensitive personal data, protected by law. At any time you can "
        "see and download your data (/te_dhenat), withdraw your application (/statusi) or "
        "delete it all (/fshij). The whole notice: /privatesia.\n\n"
        "Do you agree that we keep these details in the register? If you do, tap "
        "«✅ Yes, I agree», then write your first name and surname."
    )
    extra: tuple[int, ...] = ()
    if preset is not None:
        extra = (preset.id,)
        chosen = _(
            "The link you opened registers you with the branch in {municipality}. You can "
            "change the municipality before you send your application."
        ).format(municipality=preset.name)
        text = f"{chosen}\n\n{text}"
    # The other language is offered by its own name (an endonym needs no translation).
    other = ("🇦🇱 Shqip", "sq") if current_language() == "en" else ("🇬🇧 English", "en")
    return Reply(
        text,
        inline(
            [
                [
                    (
                        _("✅ Yes, I agree"),
                        encode(ConsentAnswer(True, preset.id if preset else None)),
                    )
                ],
                [(_("No, thank you"), encode(ConsentAnswer(False)))],
                [(other[0], pack("lang", "set", other[1], *extra))],
            ]
        ),
    )


def display_phone(e164: str) -> str:
    """+355 69 212 3456: how a number is shown back to people."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _wrong_kind(step: Step | None) -> str:
    """A sticker, photo, voice… where text was expected: say so kindly (the step follows)."""
    if step is Step.SUMMARY:
        return _("Please check the summary and use the buttons under it.")
    if step is Step.PHONE:
        return _(
            "Sorry, I cannot use that here. Please share your number with the button below "
            "or type it."
        )
    return _("Sorry, I cannot use that here. Please answer in text.")


def _cancelled() -> str:
    return _(
        "Registration cancelled. Nothing you entered has been kept. "
        "Send /start whenever you want to begin again."
    )
