"""Registration: the dialogue (domain/registration) run against the register.

One call per update, inside the turn's transaction: load the draft (and the account's
entry, when the dialogue will consult it), react, answer the dialogue's questions to the
register, write its effects, and hand back the messages as data for the handler to render.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domain.i18n import current_language
from domain.registration.events import Event, NotSubmitted, PhoneChecked, Start, Submitted
from domain.registration.machine import Facts, needs_standing, question, react
from domain.registration.outcomes import (
    Ask,
    CheckPhone,
    Confirm,
    DiscardDraft,
    Effect,
    Message,
    Need,
    OpenDraft,
    Record,
    SaveDraft,
    SubmitApplication,
)
from domain.registration.state import State
from storage import audit
from storage.accounts import open_account
from storage.drafts import discard_draft, load_draft, save_draft, start_draft
from storage.members import SubmitProblem, standing, submit_application, verified_phone_in_use
from storage.reason_waits import clear_reason_wait
from usecases.notifications import application_submitted
from usecases.services import Services


@dataclass(frozen=True)
class Reaction:
    """What to tell the member; `toast` answers a consent press in the button's own note."""

    messages: tuple[Message, ...]
    toast: Message | None = None


async def handle(
    session: AsyncSession, services: Services, telegram_id: int, event: Event
) -> Reaction:
    """One event of the member's registration, within the caller's transaction.

    Texts are rendered in the current language (domain.i18n), which the turn's transaction
    set to the member's: the consent and the application record it as theirs.
    """
    draft = await load_draft(session, telegram_id)
    known = None
    if needs_standing(event, has_draft=draft is not None):
        known = await standing(session, telegram_id)
    if isinstance(event, Start):
        # Going back to one's own registration ends a rejection waiting for its reason
        # (a chair's), so a name typed next is not taken as the reason.
        await clear_reason_wait(session, telegram_id)
    facts = _facts(services)
    transition = react(State(draft, known), event, facts)
    messages: list[Message] = []
    toast = None
    while True:
        await _write(session, services, telegram_id, transition.effects)
        messages.extend(transition.messages)
        toast = transition.toast or toast
        if transition.need is None:
            return Reaction(tuple(messages), toast)
        answer = await _find_out(session, services, telegram_id, transition.need)
        transition = react(transition.state, answer, facts)


async def current_question(session: AsyncSession, telegram_id: int) -> Ask | Confirm | None:
    """The question the member's draft is at (None: no draft, or a step unknown here)."""
    draft = await load_draft(session, telegram_id)
    if draft is None or draft.step is None:
        return None
    return question(draft)


def _facts(services: Services) -> Facts:
    assert services.matcher is not None, "places are loaded in post_init"
    settings = services.settings
    return Facts(
        today=services.clock.now().date(),
        places=services.places,
        matcher=services.matcher,
        min_age=settings.min_age,
        max_age=settings.max_age,
    )


async def _write(
    session: AsyncSession, services: Services, telegram_id: int, effects: tuple[Effect, ...]
) -> None:
    now = services.clock.now()
    for effect in effects:
        if isinstance(effect, OpenDraft):
            # Consent first: the account, the consent record and the draft come into being
            # together, and nothing about the person before.
            step = effect.draft.step
            assert step is not None
            language = current_language()
            await open_account(session, telegram_id, language, now)
            consent_id = await start_draft(
                session,
                telegram_id,
                language,
                step.value,
                now,
                municipality_id=effect.draft.municipality_id,
            )
            await audit.record(
                session,
                at=now,
                actor_id=telegram_id,
                action="consent.given",
                subject_kind="consent",
                subject_id=consent_id,
            )
        elif isinstance(effect, SaveDraft):
            await save_draft(session, telegram_id, effect.draft, now)
        elif isinstance(effect, DiscardDraft):
            await discard_draft(session, telegram_id)
        elif isinstance(effect, Record):
            await audit.record(session, at=now, actor_id=telegram_id, action=effect.action)


async def _find_out(
    session: AsyncSession, services: Services, telegram_id: int, need: Need
) -> Event:
    """The register's answer to the dialogue's question, as the dialogue's next event."""
    if isinstance(need, CheckPhone):
        # Only Telegram-verified numbers are checked (the dialogue asks for no other).
        taken = need.verified and await verified_phone_in_use(session, need.e164, telegram_id)
        return PhoneChecked(need.e164, need.verified, taken)
    assert isinstance(need, SubmitApplication)
    now = services.clock.now()
    result = await submit_application(session, telegram_id, current_language(), now)
    if result.member is None:
        return NotSubmitted(phone_taken=result.problem is SubmitProblem.PHONE_TAKEN)
    await audit.record(
        session,
        at=now,
        actor_id=telegram_id,
        action="application.submitted",
        subject_kind="member",
        subject_id=result.member.id,
    )
    # The chairs' cards are queued in this transaction: submitted and told commit together.
    receiver = await application_submitted(session, services, result.member)
    return Submitted(receiver, need.edit_id)
