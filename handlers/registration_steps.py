"""The registration steps shared by message and button handlers.

Each function takes the open session and the draft, changes the draft, and returns the
replies to send once the transaction commits.
"""

from __future__ import annotations

from datetime import datetime

import phonenumbers
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Message, ReplyKeyboardRemove

from domain.dates import parse_birth_date
from domain.i18n import _
from domain.names import parse_full_name
from domain.phones import PhoneResult, PhoneStatus, normalize_contact_phone, parse_phone
from domain.places import MatchKind
from domain.registration import Step, next_step, parse_step
from handlers import registration_texts as texts
from handlers.context import BotContext
from handlers.replies import Reply
from storage import audit
from storage.members import phone_in_use
from storage.models import RegistrationDraft


def display_phone(e164: str) -> str:
    """+355 69 212 3456: how a number is shown back to people."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def answered(draft: RegistrationDraft) -> set[Step]:
    done = set()
    if draft.full_name:
        done.add(Step.NAME)
    if draft.birth_date:
        done.add(Step.BIRTH_DATE)
    if draft.phone_e164:
        done.add(Step.PHONE)
    if draft.municipality_id:
        done.add(Step.MUNICIPALITY)
    return done


def prompt(
    context: BotContext, draft: RegistrationDraft, *, echo: bool = False, edit_id: int | None = None
) -> Reply:
    """The question for the draft's current step (with the previous answer echoed if asked)."""
    step = parse_step(draft.step) or Step.NAME
    if step is Step.NAME:
        return texts.ask_name()
    if step is Step.BIRTH_DATE:
        return texts.ask_birth_date(draft.full_name if echo else None)
    if step is Step.PHONE:
        return texts.ask_phone(draft.birth_date if echo else None)
    if step is Step.MUNICIPALITY:
        shown = display_phone(draft.phone_e164) if echo and draft.phone_e164 else None
        return texts.ask_municipality(shown)
    return summary(context, draft, edit_id=edit_id)


def summary(context: BotContext, draft: RegistrationDraft, *, edit_id: int | None = None) -> Reply:
    assert draft.full_name and draft.birth_date and draft.phone_e164 and draft.municipality_id
    return texts.summary(
        name=draft.full_name,
        birth_date=draft.birth_date,
        phone=display_phone(draft.phone_e164),
        phone_verified=draft.phone_verified,
        place=context.places[draft.municipality_id],
        edit_message_id=edit_id,
    )


def advance(context: BotContext, draft: RegistrationDraft, now: datetime) -> Reply:
    """Move to the next step after a valid answer and ask it, echoing what was understood."""
    draft.step = next_step(answered(draft), editing=draft.editing).value
    draft.editing = False
    draft.pending = None
    draft.updated_at = now
    return prompt(context, draft, echo=True)


def off_step(context: BotContext, draft: RegistrationDraft) -> list[Reply]:
    """A sticker, photo, voice… where text was expected: say so kindly and ask again."""
    step = parse_step(draft.step)
    if step is Step.SUMMARY:
        note = _("Please check the summary and use the buttons under it.")
    else:
        note = _("Sorry, I cannot use that here. Please answer in text.")
    if step is Step.PHONE:
        note = _(
            "Sorry, I cannot use that here. Please share your number with the button below "
            "or type it."
        )
    return [Reply(note), prompt(context, draft)]


async def answer_name(draft: RegistrationDraft, context: BotContext, text: str) -> list[Reply]:
    result = parse_full_name(text)
    if result.error is not None or result.value is None:
        return [Reply(texts.problem_text(texts.NAME_PROBLEMS, result.error or "empty"))]
    draft.full_name = result.value
    return [advance(context, draft, context.clock.now())]


async def answer_birth_date(
    draft: RegistrationDraft, context: BotContext, text: str
) -> list[Reply]:
    settings = context.settings
    today = context.clock.now().date()
    result = parse_birth_date(text, today=today, min_age=settings.min_age, max_age=settings.max_age)
    if result.error is not None or result.value is None:
        message = texts.problem_text(
            texts.DATE_PROBLEMS,
            result.error or "empty",
            min_age=settings.min_age,
            max_age=settings.max_age,
        )
        return [Reply(message)]
    draft.birth_date = result.value
    return [advance(context, draft, context.clock.now())]


async def accept_phone(
    session: AsyncSession,
    draft: RegistrationDraft,
    context: BotContext,
    e164: str,
    *,
    verified: bool,
) -> list[Reply]:
    """Store a phone number unless another account already registered it."""
    if await phone_in_use(session, e164, draft.telegram_id):
        await audit.record(
            session,
            at=context.clock.now(),
            actor_id=draft.telegram_id,
            action="registration.phone_in_use",
        )
        draft.pending = None
        return [texts.phone_taken()]
    draft.phone_e164 = e164
    draft.phone_verified = verified
    return [advance(context, draft, context.clock.now())]


async def answer_phone_text(
    session: AsyncSession, draft: RegistrationDraft, context: BotContext, text: str
) -> list[Reply]:
    result = parse_phone(text)
    return await _answer_phone(session, draft, context, result)


async def answer_contact(
    session: AsyncSession, draft: RegistrationDraft, context: BotContext, message: Message
) -> list[Reply]:
    contact = message.contact
    assert contact is not None and message.from_user is not None
    if contact.user_id != message.from_user.id:
        await audit.record(
            session,
            at=context.clock.now(),
            actor_id=message.from_user.id,
            action="registration.foreign_contact",
        )
        return [
            Reply(
                _(
                    "That is someone else's contact. Please share your own number with the "
                    "button below, or type it."
                ),
                texts.phone_keyboard(),
            )
        ]
    result = normalize_contact_phone(contact.phone_number)
    if result.e164 is None:
        return await _answer_phone(session, draft, context, result)
    # Telegram vouches for the number of the account's own contact: that is the verification.
    return await accept_phone(session, draft, context, result.e164, verified=True)


async def _answer_phone(
    session: AsyncSession, draft: RegistrationDraft, context: BotContext, result: PhoneResult
) -> list[Reply]:
    if result.e164 is None or result.error is not None:
        problem = result.error or "empty"
        return [Reply(texts.problem_text(texts.PHONE_PROBLEMS, problem), texts.phone_keyboard())]
    if result.status is PhoneStatus.POSSIBLE:
        draft.pending = {"phone": result.e164}
        draft.updated_at = context.clock.now()
        return [texts.ask_phone_confirmation(display_phone(result.e164))]
    return await accept_phone(session, draft, context, result.e164, verified=False)


def answer_municipality(draft: RegistrationDraft, context: BotContext, text: str) -> list[Reply]:
    match = context.matcher.match(text)
    if match.kind is MatchKind.EXACT:
        return choose_municipality(draft, context, match.places[0].id)
    if match.kind is MatchKind.FUZZY:
        draft.pending = {"offered": [match.places[0].id]}
        return [texts.offer_fuzzy(match.places[0])]
    if match.kind is MatchKind.AMBIGUOUS:
        draft.pending = {"offered": [p.id for p in match.places]}
        return [texts.offer_choices(match.places)]
    return [texts.offer_list_after_no_match()]


def choose_municipality(
    draft: RegistrationDraft, context: BotContext, municipality_id: int
) -> list[Reply]:
    draft.municipality_id = municipality_id
    return [advance(context, draft, context.clock.now())]


def preset_municipality(draft: RegistrationDraft, municipality_id: int, now: datetime) -> None:
    """An enrolment link's municipality, for a draft that has none yet (else nothing changes).

    A draft waiting at the municipality question moves on to the next step.
    """
    if draft.municipality_id is not None:
        return
    draft.municipality_id = municipality_id
    if parse_step(draft.step) is Step.MUNICIPALITY:
        draft.step = next_step(answered(draft), editing=draft.editing).value
        draft.pending = None
    draft.updated_at = now


def remove_keyboard() -> ReplyKeyboardRemove:
    """Hide the share-contact keyboard (after the phone step, or when leaving)."""
    return ReplyKeyboardRemove()
