"""The welcome and the consent it asks for: pressed, pressed again, or typed.

Nothing about a person is stored before they agree. The welcome already asks for the name
after the press, so «✅ Yes, I agree» is answered with a toast (answerCallbackQuery, which
Telegram does not count against the bot's ~30 messages a second), not a new message. An
enrolment link's municipality rides on the consent button (its id, like every button) until
the press stores it in the new draft.
"""

from __future__ import annotations

import contextlib

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.error import TelegramError

from domain.callbacks import pack, parse
from domain.i18n import _, current_language
from domain.places import Place
from domain.registration import Step, parse_step, typed_consent
from handlers import registration_steps as steps
from handlers import status
from handlers.context import BotContext
from handlers.registration_texts import PREFIX
from handlers.replies import Reply, send_replies
from storage import audit
from storage.accounts import ensure_account
from storage.drafts import discard_draft, get_draft, start_draft
from storage.members import active_member, latest_member
from storage.models import RegistrationDraft
from usecases.keyboards import inline


def welcome(preset: Place | None = None) -> Reply:
    """The privacy notice and the consent buttons; it ends with the first question."""
    text = _(
        "Welcome! Here you can join the membership register in about a minute.\n\n"
        "Before we begin, how we look after your data:\n"
        "• What we store: your name, date of birth, phone number, municipality and language, "
        "and when you gave your consent. Nothing else.\n"
        "• Who sees it: the branch chair in your municipality, who confirms your membership, "
        "and the organisation's national staff. Nobody else.\n"
        "• Why: to confirm your membership and to keep you informed.\n"
        "• Party membership is sensitive personal data and is protected by the law on personal "
        "data protection. You can ask to see, correct or delete your data at any time.\n\n"
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
                [(_("✅ Yes, I agree"), pack(PREFIX, "consent", "yes", *extra))],
                [(_("No, thank you"), pack(PREFIX, "consent", "no"))],
                [(other[0], pack("lang", "set", other[1], *extra))],
            ]
        ),
    )


def ask_name_after_consent() -> str:
    return _("Thank you! Now write your first name and surname, for example: Arben Hoxha.")


def refused() -> Reply:
    return Reply(_("That is fine: nothing has been stored. If you change your mind, send /start."))


def cancelled_text() -> str:
    return _(
        "Registration cancelled. Nothing you entered has been kept. "
        "Send /start whenever you want to begin again."
    )


def cancelled() -> Reply:
    """What /anulo (or «No» after agreeing) says; the phone keyboard goes too."""
    return Reply(cancelled_text(), steps.remove_keyboard())


async def on_press(update: Update, context: BotContext) -> None:
    """«✅ Yes, I agree» or «No, thank you»: answered after the transaction, with a toast."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None and update.effective_chat is not None
    data = parse(query.data, PREFIX)
    toast: str | None = None
    replies: list[Reply] = []
    try:
        async with context.transaction() as session:
            if data is None or data.action != "consent" or data.arg(0) not in ("yes", "no"):
                toast = _("That button is no longer active.")
            else:
                agreed = data.arg(0) == "yes"
                preset = data.int_arg(1)
                toast, replies = await _press(session, context, user.id, agreed, preset)
    finally:
        # Answered even when the work failed, so the button does not spin; the error
        # handler tells the person what happened.
        with contextlib.suppress(TelegramError):
            await query.answer(toast)
    await send_replies(context, update.effective_chat.id, replies)


async def _press(
    session: AsyncSession,
    context: BotContext,
    telegram_id: int,
    agreed: bool,
    preset: int | None,
) -> tuple[str | None, list[Reply]]:
    """The toast and the messages a consent press gets."""
    if await active_member(session, telegram_id) is not None:
        return None, [await status.describe(session, context, telegram_id)]
    draft = await get_draft(session, telegram_id)
    if draft is not None:
        if not agreed:
            # «No» after agreeing: the same as /anulo.
            await discard_draft(session, telegram_id)
            return None, [cancelled()]
        # Pressed again (an old welcome): nothing changes.
        return _already_agreed(draft), []
    if not agreed:
        return None, [refused()]
    await give_consent(session, context, telegram_id, preset)
    return ask_name_after_consent(), []


def _already_agreed(draft: RegistrationDraft) -> str:
    if parse_step(draft.step) is Step.NAME:
        return ask_name_after_consent()
    return _("You have already agreed. Please answer the last question above.")


async def give_consent(
    session: AsyncSession, context: BotContext, telegram_id: int, preset: int | None
) -> RegistrationDraft:
    """Record the consent and open the draft (with an enrolment link's municipality)."""
    now = context.clock.now()
    language = current_language()
    municipality_id = preset if preset in context.places else None
    await ensure_account(session, telegram_id, language, now)
    draft = await start_draft(
        session, telegram_id, language, Step.NAME.value, now, municipality_id=municipality_id
    )
    await audit.record(
        session,
        at=now,
        actor_id=telegram_id,
        action="consent.given",
        subject_kind="consent",
        subject_id=draft.consent_id,
    )
    return draft


async def answer_typed(
    session: AsyncSession, context: BotContext, telegram_id: int, text: str | None
) -> list[Reply]:
    """A message from someone with no draft: a typed yes or no to the welcome, or a hint.

    Whoever was ever in the register is told where they stand instead. (A typed yes starts
    without an enrolment link's municipality: only the button carries it.)
    """
    if await latest_member(session, telegram_id) is not None:
        return [await status.hint_without_draft(session, context, telegram_id)]
    answer = typed_consent(text) if text else None
    if answer is True:
        await give_consent(session, context, telegram_id, None)
        return [Reply(ask_name_after_consent())]
    if answer is False:
        return [refused()]
    again = welcome()
    line = _("Please tap one of the buttons below: «✅ Yes, I agree» or «No, thank you».")
    return [Reply(f"{line}\n\n{again.text}", again.markup)]
