"""The registration dialogue as one pure function: `react(state, event, facts)`.

Consent, then the name, the date of birth, the phone and the municipality (answers.py),
then a summary to send, edit or cancel. Each event gives the new state, the messages to say
(as data), the effects to write, and possibly a question for the register (is this phone
free? is the application accepted?) whose answer comes back as the next event. No
Telegram, no database: usecases/registration.py runs it, handlers/registration*.py turn
updates into events and render the messages.

Rules that hold throughout: a refused answer changes nothing already entered; a button
that makes no sense at the current step (old, or forged) says so and asks the step again;
a changed draft is always saved (`SaveDraft` is added here, not by each rule).
"""

from __future__ import annotations

from dataclasses import replace

from domain.registration import answers
from domain.registration.answers import Facts, advance, question, say
from domain.registration.buttons import (
    BackToSummary,
    CancelRegistration,
    ChooseMunicipality,
    ConsentAnswer,
    EditDetails,
    EditField,
    Malformed,
    PhoneIsRight,
    SendApplication,
    ShowCounties,
    ShowCounty,
)
from domain.registration.events import (
    Cancel,
    Contact,
    Event,
    NotSubmitted,
    NotText,
    PhoneChecked,
    Press,
    ShowList,
    Start,
    Submitted,
    Text,
    typed_consent,
)
from domain.registration.outcomes import (
    AlreadyAgreed,
    Cancelled,
    Confirm,
    Counties,
    CountyPlaces,
    Declined,
    DiscardDraft,
    EditWhich,
    ListOnlyWhileRegistering,
    NameAfterConsent,
    NothingToCancel,
    OpenDraft,
    PhoneTaken,
    Record,
    SaveDraft,
    Sent,
    StaleButton,
    StartHint,
    Status,
    SubmitApplication,
    Transition,
    Welcome,
    WelcomeAgain,
    WelcomeBack,
    WrongKind,
)
from domain.registration.state import (
    QUESTION_ORDER,
    Draft,
    Standing,
    State,
    Step,
    next_step,
    parse_step,
)

__all__ = ["Facts", "needs_standing", "question", "react"]


def needs_standing(event: Event, *, has_draft: bool) -> bool:
    """Whether `react` will consult the register's entry (`State.standing`) for this event.

    /start and consent look first at whether the account is in the register already; with no
    draft, most things say where the account stands. An answer to a draft never does, which
    spares a query on nearly every update.
    """
    if isinstance(event, Start) or (
        isinstance(event, Press) and isinstance(event.button, ConsentAnswer)
    ):
        return True
    if has_draft:
        return False
    if isinstance(event, Press):
        return not isinstance(event.button, Malformed)
    return isinstance(event, Text | Contact | NotText | Cancel)


def react(state: State, event: Event, facts: Facts) -> Transition:
    """The dialogue's answer to one event."""
    transition = _react(state, event, facts)
    before, after = state.draft, transition.state.draft
    if before is not None and after is not None and after != before:
        transition = replace(transition, effects=(*transition.effects, SaveDraft(after)))
    return transition


def _react(state: State, event: Event, facts: Facts) -> Transition:
    draft = state.draft
    if isinstance(event, Start):
        return _start(state, event.preset, facts)
    if isinstance(event, Press) and isinstance(event.button, ConsentAnswer):
        return _consent(state, event.button, facts)
    if isinstance(event, Cancel):
        if draft is not None:
            return _discard(state, Cancelled())
        return say(state, NothingToCancel(registered=_standing(state) is not Standing.NONE))
    if isinstance(event, ShowList):
        if draft is None:
            return say(state, ListOnlyWhileRegistering())
        if draft.step is not Step.MUNICIPALITY:
            return say(state, question(draft))
        return say(state, Counties())
    if draft is None:
        return _without_draft(state, event)
    if isinstance(event, Press):
        return _press(state, draft, event, facts)
    if isinstance(event, PhoneChecked):
        return answers.phone_checked(state, draft, event)
    if isinstance(event, Submitted):
        assert draft.municipality_id is not None, "only a complete draft is submitted"
        sent = Sent(draft.municipality_id, event.receiver, event.message_id)
        return say(replace(state, draft=None), sent)  # the register deleted the draft
    if isinstance(event, NotSubmitted):
        if not event.phone_taken:
            return say(state, Status())
        # Another account registered the number after it was checked: ask it again, and
        # come back to the summary after.
        retry = replace(draft, step=Step.PHONE, editing=True, phone_e164=None)
        return say(replace(state, draft=retry), PhoneTaken())
    if isinstance(event, Contact) and draft.step is Step.PHONE:
        return answers.contact(state, draft, event)
    if isinstance(event, Text) and draft.step in QUESTION_ORDER:
        return answers.typed(state, draft, event.text, facts)
    # A sticker, photo… where an answer was expected, or text where the summary's buttons are.
    return say(state, WrongKind(draft.step), question(draft))


def _standing(state: State) -> Standing:
    if state.standing is None:
        raise ValueError("the register's entry was not looked up (see needs_standing)")
    return state.standing


def _discard(state: State, cancelled: Cancelled) -> Transition:
    return Transition(replace(state, draft=None), (cancelled,), (DiscardDraft(),))


def _open(state: State, draft: Draft, *messages: NameAfterConsent) -> Transition:
    """Consent given: from now on the draft exists, at the name."""
    return Transition(replace(state, draft=draft), messages, (OpenDraft(draft),))


def _start(state: State, preset: int | None, facts: Facts) -> Transition:
    if _standing(state) is Standing.ACTIVE:
        return say(state, Status())
    preset = preset if preset in facts.places else None
    draft = state.draft
    if draft is None:
        return say(state, Welcome(preset))
    if preset is not None and draft.municipality_id is None:
        # An enrolment link fills a draft that has no municipality yet (never replaces one);
        # a draft waiting at that question moves on.
        draft = replace(draft, municipality_id=preset)
        if draft.step is Step.MUNICIPALITY:
            step = next_step(draft.answered(), editing=draft.editing)
            draft = replace(draft, step=step, pending_phone=None, offered=())
    return say(replace(state, draft=draft), WelcomeBack(), question(draft))


def _consent(state: State, answer: ConsentAnswer, facts: Facts) -> Transition:
    """A consent press. Answered with a toast where it can be (Telegram does not count those
    against the bot's messages a second): the welcome already asked for the name."""
    if _standing(state) is Standing.ACTIVE:
        return say(state, Status())
    draft = state.draft
    if draft is not None:
        if not answer.agreed:  # «No» after agreeing: the same as /anulo
            return _discard(state, Cancelled())
        # Pressed again (an old welcome): nothing changes.
        toast = NameAfterConsent() if draft.step is Step.NAME else AlreadyAgreed()
        return Transition(state, toast=toast)
    if not answer.agreed:
        return say(state, Declined())
    preset = answer.preset if answer.preset in facts.places else None
    opened = _open(state, Draft(Step.NAME, municipality_id=preset))
    return replace(opened, toast=NameAfterConsent())


def _without_draft(state: State, event: Event) -> Transition:
    """Nothing in progress: an old button, or a message before (or instead of) consent."""
    if isinstance(event, Press) and isinstance(event.button, Malformed):
        return Transition(state, (StaleButton(),), (Record("callback.malformed"),))
    registered = _standing(state) is not Standing.NONE
    if isinstance(event, Press):
        return say(state, Status() if registered else StartHint())
    if registered:
        return say(state, Status())
    # A typed yes starts without an enrolment link's municipality: only the button has it.
    answer = typed_consent(event.text) if isinstance(event, Text) and event.text else None
    if answer is True:
        return _open(state, Draft(Step.NAME), NameAfterConsent())
    if answer is False:
        return say(state, Declined())
    return say(state, WelcomeAgain())


def _press(state: State, draft: Draft, press: Press, facts: Facts) -> Transition:
    """A button, checked against the step the draft is at."""
    button, message_id, step = press.button, press.message_id, draft.step
    if isinstance(button, Malformed):
        return Transition(state, (StaleButton(), question(draft)), (Record("callback.malformed"),))
    if step is Step.PHONE and isinstance(button, PhoneIsRight) and draft.pending_phone:
        if button.yes:
            return answers.typed_number(state, draft, draft.pending_phone)
        again = replace(draft, pending_phone=None, offered=())
        return say(replace(state, draft=again), question(again))
    if step is Step.MUNICIPALITY:
        if isinstance(button, ShowCounties):
            return say(state, Counties(message_id))
        counties = {place.county_id for place in facts.places.values()}
        county_id = button.county_id if isinstance(button, ShowCounty) else None
        # The county's list replaces the county picker: without its message, nothing to edit.
        if county_id in counties and county_id is not None and message_id:
            return say(state, CountyPlaces(county_id, message_id))
        if isinstance(button, ChooseMunicipality) and button.municipality_id in facts.places:
            return advance(state, replace(draft, municipality_id=button.municipality_id))
    if step is Step.SUMMARY:
        if isinstance(button, SendApplication):
            return Transition(state, need=SubmitApplication(message_id))
        if isinstance(button, EditDetails):
            return say(state, EditWhich(message_id))
        if isinstance(button, BackToSummary):
            return say(state, Confirm(draft, message_id))
        if isinstance(button, CancelRegistration):
            return _discard(state, Cancelled(message_id))
        field = parse_step(button.field) if isinstance(button, EditField) else None
        if field is not None and field in QUESTION_ORDER:
            edited = replace(draft, step=field, editing=True, pending_phone=None, offered=())
            return say(replace(state, draft=edited), question(edited))
    # A button from an earlier step, or forged data: ask the current question again.
    return say(state, StaleButton(), question(draft))
