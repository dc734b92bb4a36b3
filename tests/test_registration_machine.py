"""The registration dialogue as a pure state machine (domain/registration): no Telegram, no
database. Every step's valid answers, the wrong kind of message, absurd values, old and
forged buttons, commands at any point, and nothing already entered ever lost."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from domain.callbacks import parse
from domain.dates import DateProblem
from domain.names import NameProblem
from domain.permissions import RoleKind
from domain.phones import PhoneProblem
from domain.places import MunicipalityMatcher, load_places
from domain.registration.buttons import (
    PREFIX,
    BackToSummary,
    Button,
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
    Unknown,
    decode,
    encode,
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
)
from domain.registration.machine import Facts, needs_standing, question, react
from domain.registration.outcomes import (
    AlreadyAgreed,
    Ask,
    Cancelled,
    CheckPhone,
    Confirm,
    ConfirmPhone,
    Counties,
    CountyPlaces,
    Declined,
    DidYouMean,
    DiscardDraft,
    EditWhich,
    ForeignContact,
    Invalid,
    ListOnlyWhileRegistering,
    Message,
    NameAfterConsent,
    NoSuchPlace,
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
    WhichOne,
    WrongKind,
)
from domain.registration.state import MAX_TYPED_NUMBERS, Draft, Standing, State, Step

SEED = Path(__file__).resolve().parents[1] / "storage" / "seed"
PLACES = {
    place.id: place for place in load_places(SEED / "counties.csv", SEED / "municipalities.csv")
}
ID = {place.name: place.id for place in PLACES.values()}
KORCE, TIRANE, DURRES = ID["Korçë"], ID["Tiranë"], ID["Durrës"]
KORCE_COUNTY = PLACES[KORCE].county_id
FACTS = Facts(
    today=date(2026, 11, 2),
    places=PLACES,
    matcher=MunicipalityMatcher(PLACES.values()),
    min_age=18,
    max_age=110,
)

# A draft at each step, with what the steps before it took.
AT_NAME = Draft(Step.NAME)
AT_BIRTH = Draft(Step.BIRTH_DATE, full_name="Arben Hoxha")
AT_PHONE = replace(AT_BIRTH, step=Step.PHONE, birth_date=date(1980, 3, 5))
# The phone was typed (not shared): one typed number counted.
AT_MUNI = replace(AT_PHONE, step=Step.MUNICIPALITY, phone_e164="+355692123456", typed_numbers=1)
AT_SUMMARY = replace(AT_MUNI, step=Step.SUMMARY, municipality_id=KORCE)
DRAFTS = [AT_NAME, AT_BIRTH, AT_PHONE, AT_MUNI, AT_SUMMARY]
STEP_IDS = [draft.step.value for draft in DRAFTS if draft.step]
MESSAGE_ID = 77


def run(draft: Draft | None, event: Event, standing: Standing | None = None) -> Transition:
    return react(State(draft, standing), event, FACTS)


def press(button: Button, message_id: int | None = MESSAGE_ID) -> Press:
    return Press(button, message_id)


def unchanged(transition: Transition, draft: Draft | None, *messages: Message) -> None:
    """Only said something: the state and the register as they were."""
    assert transition.state.draft == draft
    assert transition.messages == messages
    assert transition.effects == () and transition.need is None and transition.toast is None


def saved(transition: Transition, draft: Draft, *messages: Message) -> None:
    """The draft became `draft`, saved; `messages` said."""
    assert transition.state.draft == draft
    assert transition.messages == messages
    assert transition.effects == (SaveDraft(draft),) and transition.need is None


def register_answers(
    transition: Transition, *, phone_taken: bool = False, receiver: RoleKind | None = None
) -> Transition:
    """Plays the register (usecases/registration.py) for the dialogue's questions."""
    while transition.need is not None:
        need = transition.need
        answer: Event
        if isinstance(need, CheckPhone):
            answer = PhoneChecked(need.e164, need.verified, taken=phone_taken)
        else:
            answer = Submitted(receiver, need.edit_id)
        transition = react(transition.state, answer, FACTS)
    return transition


def walk(events: list[Event], draft: Draft | None = None) -> tuple[Draft | None, list[Message]]:
    """Several events in a row, the register answering; the last draft and all messages."""
    state, said = State(draft, Standing.NONE), []
    for event in events:
        transition = register_answers(react(state, event, FACTS))
        state = replace(transition.state, standing=Standing.NONE)
        said.extend(transition.messages)
    return state.draft, said


# --- each step's valid answers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("draft", "typed", "after"),
    [
        # A name in mixed case is tidied; the date question echoes it.
        (AT_NAME, "arben HOXHA", replace(AT_NAME, step=Step.BIRTH_DATE, full_name="Arben Hoxha")),
        # Names of other scripts and with hyphens are names too.
        (
            AT_NAME,
            "Ana-Maria Çela",
            replace(AT_NAME, step=Step.BIRTH_DATE, full_name="Ana-Maria Çela"),
        ),
        # Dotted day-first date.
        (AT_BIRTH, "5.3.1980", replace(AT_BIRTH, step=Step.PHONE, birth_date=date(1980, 3, 5))),
        # Albanian month name.
        (AT_BIRTH, "5 mars 1980", replace(AT_BIRTH, step=Step.PHONE, birth_date=date(1980, 3, 5))),
        # ISO date.
        (AT_BIRTH, "1980-03-05", replace(AT_BIRTH, step=Step.PHONE, birth_date=date(1980, 3, 5))),
        # Exactly 18 today: old enough.
        (AT_BIRTH, "2.11.2008", replace(AT_BIRTH, step=Step.PHONE, birth_date=date(2008, 11, 2))),
        # A municipality typed without ë.
        (AT_MUNI, "korce", replace(AT_MUNI, step=Step.SUMMARY, municipality_id=KORCE)),
        # Its definite form, as said in speech.
        (AT_MUNI, "Durrësi", replace(AT_MUNI, step=Step.SUMMARY, municipality_id=DURRES)),
    ],
)
def test_a_valid_answer_moves_on_and_echoes_it(draft: Draft, typed: str, after: Draft) -> None:
    saved(run(draft, Text(typed)), after, question(after, echo=True))


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        # A mobile number as written in Albania.
        ("069 212 3456", "+355692123456"),
        # Without spaces.
        ("0692123456", "+355692123456"),
        # A number abroad, with its country code.
        ("+1 202 555 0123", "+12025550123"),
    ],
)
def test_a_typed_phone_is_taken_without_asking_the_register(typed: str, e164: str) -> None:
    # A typed number is never checked against the register in front of whoever typed it
    # (a stranger could test numbers): it is taken, unverified, and counted.
    after = replace(AT_PHONE, step=Step.MUNICIPALITY, phone_e164=e164, typed_numbers=1)
    saved(run(AT_PHONE, Text(typed)), after, question(after, echo=True))


def test_typed_numbers_are_bounded_and_a_shared_contact_still_works() -> None:
    at_limit = replace(AT_PHONE, typed_numbers=MAX_TYPED_NUMBERS)
    unchanged(
        run(at_limit, Text("069 212 3456")),
        at_limit,
        Invalid(Step.PHONE, PhoneProblem.TOO_MANY_TYPED),
    )
    # A merely possible number is refused at the limit too, before it is even confirmed.
    unchanged(
        run(at_limit, Text("067 123 4567")),
        at_limit,
        Invalid(Step.PHONE, PhoneProblem.TOO_MANY_TYPED),
    )
    # The member's own contact proves the number: still taken.
    done = register_answers(run(at_limit, Contact("355692000222", own=True)))
    assert done.state.draft == replace(
        at_limit, step=Step.MUNICIPALITY, phone_e164="+355692000222", phone_verified=True
    )


def test_the_own_contact_is_a_verified_number() -> None:
    # Telegram sends it without "+"; sharing one's own contact is the verification.
    asked = run(AT_PHONE, Contact("355692000222", own=True))
    assert asked.need == CheckPhone("+355692000222", verified=True)
    done = register_answers(asked)
    assert done.state.draft == replace(
        AT_PHONE, step=Step.MUNICIPALITY, phone_e164="+355692000222", phone_verified=True
    )


def test_an_enrolment_links_municipality_skips_its_question() -> None:
    # The draft opened by the link has Korçë: after the phone comes the summary.
    at_phone = replace(AT_PHONE, municipality_id=KORCE)
    done = register_answers(run(at_phone, Text("069 212 3456")))
    assert done.state.draft == replace(
        at_phone, step=Step.SUMMARY, phone_e164="+355692123456", typed_numbers=1
    )
    assert isinstance(done.messages[0], Confirm)


@pytest.mark.parametrize("field", [Step.NAME, Step.BIRTH_DATE, Step.PHONE, Step.MUNICIPALITY])
def test_edit_re_asks_one_field_and_returns_to_the_summary(field: Step) -> None:
    # Edit → the field → a new answer → the summary again, the other details kept.
    answers = {
        Step.NAME: "Drita Marku",
        Step.BIRTH_DATE: "1.1.1990",
        Step.PHONE: "069 212 9999",
        Step.MUNICIPALITY: "Tiranë",
    }
    final, said = walk(
        [press(EditDetails()), press(EditField(field.value)), Text(answers[field])], AT_SUMMARY
    )
    assert final is not None and final.step is Step.SUMMARY and not final.editing
    assert isinstance(said[0], EditWhich) and isinstance(said[1], Ask) and said[1].step is field
    assert isinstance(said[-1], Confirm)
    changed = {
        Step.NAME: ("full_name", "Drita Marku"),
        Step.BIRTH_DATE: ("birth_date", date(1990, 1, 1)),
        Step.PHONE: ("phone_e164", "+355692129999"),
        Step.MUNICIPALITY: ("municipality_id", TIRANE),
    }[field]
    typed = AT_SUMMARY.typed_numbers + (field is Step.PHONE)
    assert final == replace(AT_SUMMARY, **{changed[0]: changed[1]}, typed_numbers=typed)


# --- absurd values: refused, nothing changes -------------------------------------------------


@pytest.mark.parametrize(
    ("draft", "typed", "problem"),
    [
        # One word is not a full name.
        (AT_NAME, "Arben", NameProblem.ONE_WORD),
        # Digits in a name.
        (AT_NAME, "Arben Hoxha 2", NameProblem.HAS_DIGITS),
        # Emoji in a name.
        (AT_NAME, "Arben 😀 Hoxha", NameProblem.HAS_SYMBOLS),
        # Nothing but spaces.
        (AT_NAME, "   ", NameProblem.EMPTY),
        # A pasted paragraph.
        (AT_NAME, "Arben " + "x" * 200, NameProblem.TOO_LONG),
        # A two-digit year.
        (AT_BIRTH, "5.3.80", DateProblem.TWO_DIGIT_YEAR),
        # 31 February.
        (AT_BIRTH, "31.2.1980", DateProblem.IMPOSSIBLE),
        # A word, not a date.
        (AT_BIRTH, "nesër", DateProblem.UNREADABLE),
        # Born in the future.
        (AT_BIRTH, "1.1.2090", DateProblem.IN_FUTURE),
        # Eleven years old.
        (AT_BIRTH, "1.1.2015", DateProblem.TOO_YOUNG),
        # 126 years old.
        (AT_BIRTH, "1.1.1900", DateProblem.TOO_OLD),
        # Month first, American style.
        (AT_BIRTH, "3/15/1980", DateProblem.MONTH_FIRST),
        # Letters for a phone.
        (AT_PHONE, "numri im", PhoneProblem.UNREADABLE),
        # Too few digits.
        (AT_PHONE, "069", PhoneProblem.TOO_SHORT),
        # Too many digits.
        (AT_PHONE, "069 123 45678901", PhoneProblem.TOO_LONG),
        # A country code that does not exist.
        (AT_PHONE, "+999 123 456", PhoneProblem.INVALID),
    ],
)
def test_an_absurd_answer_is_refused_and_nothing_entered_is_lost(
    draft: Draft, typed: str, problem: str
) -> None:
    assert draft.step is not None
    unchanged(run(draft, Text(typed)), draft, Invalid(draft.step, problem))


def test_a_municipality_nobody_knows_offers_the_list() -> None:
    # Nonsense: the list is offered, the draft stays at the question.
    unchanged(run(AT_MUNI, Text("xyzzy")), AT_MUNI, NoSuchPlace())


def test_a_typo_is_offered_back_not_taken() -> None:
    # «Tirna»: «Did you mean Tiranë?», remembered as offered, the municipality still unset.
    guessed = replace(AT_MUNI, offered=(TIRANE,))
    saved(run(AT_MUNI, Text("Tirna")), guessed, DidYouMean(TIRANE))


def test_an_old_district_offers_its_municipalities() -> None:
    transition = run(AT_MUNI, Text("rrethi i Lushnjës"))
    message = transition.messages[0]
    assert isinstance(message, WhichOne)
    assert {ID["Lushnjë"], ID["Divjakë"]} <= set(message.municipality_ids)
    assert transition.state.draft is not None and transition.state.draft.municipality_id is None


# --- the wrong kind of message ---------------------------------------------------------------


WRONG_KINDS = [
    # A sticker, photo, voice or location, at every step.
    *[(draft, NotText()) for draft in DRAFTS],
    # A contact anywhere but at the phone question (where it is the answer).
    *[(draft, Contact("355692000222", own=True)) for draft in DRAFTS if draft is not AT_PHONE],
]


@pytest.mark.parametrize(("draft", "event"), WRONG_KINDS)
def test_the_wrong_kind_of_message_re_asks_and_keeps_everything(draft: Draft, event: Event) -> None:
    unchanged(run(draft, event), draft, WrongKind(draft.step), question(draft))


def test_text_at_the_summary_points_to_its_buttons() -> None:
    # Typing «po» under the summary does not send it.
    unchanged(run(AT_SUMMARY, Text("po")), AT_SUMMARY, WrongKind(Step.SUMMARY), Confirm(AT_SUMMARY))


def test_a_step_from_a_newer_version_starts_again_from_the_name() -> None:
    # A stored step this version does not know: asked the name, nothing overwritten.
    unknown = replace(AT_MUNI, step=None)
    unchanged(run(unknown, Text("Arben Hoxha")), unknown, WrongKind(None), Ask(Step.NAME, unknown))


# --- the phone question's details ------------------------------------------------------------


def test_a_merely_possible_number_is_confirmed_before_it_is_taken() -> None:
    # 067 1xx is possible, not valid: «Is it correct?», remembered, not yet the phone.
    waiting = replace(AT_PHONE, pending_phone="+355671234567")
    saved(run(AT_PHONE, Text("067 123 4567")), waiting, ConfirmPhone("+355671234567"))
    # «Yes» takes it (unverified), without asking the register.
    yes = run(waiting, press(PhoneIsRight(yes=True)))
    assert yes.need is None
    assert yes.state.draft == replace(
        AT_PHONE, step=Step.MUNICIPALITY, phone_e164="+355671234567", typed_numbers=1
    )
    # «No» forgets it and asks again.
    saved(run(waiting, press(PhoneIsRight(yes=False))), AT_PHONE, Ask(Step.PHONE, AT_PHONE))


def test_someone_elses_contact_is_refused_and_recorded() -> None:
    transition = run(AT_PHONE, Contact("355692000111", own=False))
    assert transition.state.draft == AT_PHONE and transition.need is None
    assert transition.messages == (ForeignContact(),)
    assert transition.effects == (Record("registration.foreign_contact"),)


def test_an_unreadable_contact_number_is_refused() -> None:
    unchanged(
        run(AT_PHONE, Contact("abc", own=True)),
        AT_PHONE,
        Invalid(Step.PHONE, PhoneProblem.UNREADABLE),
    )


def test_a_verified_number_another_account_verified_is_refused_and_recorded() -> None:
    # Only for a shared contact: its owner has proven the number, so telling them is safe.
    done = register_answers(run(AT_PHONE, Contact("355692000222", own=True)), phone_taken=True)
    assert done.state.draft == AT_PHONE  # no phone taken
    assert done.messages == (PhoneTaken(),)
    assert done.effects == (Record("registration.phone_in_use"),)


def test_yes_without_a_number_waiting_is_stale() -> None:
    # An old «Yes, it is correct» after the number was answered otherwise.
    unchanged(
        run(AT_PHONE, press(PhoneIsRight(yes=True))),
        AT_PHONE,
        StaleButton(),
        Ask(Step.PHONE, AT_PHONE),
    )


# --- the municipality picker -----------------------------------------------------------------


def test_the_picker_goes_county_then_municipality() -> None:
    # The list replaces the message it was asked from.
    unchanged(run(AT_MUNI, press(ShowCounties())), AT_MUNI, Counties(MESSAGE_ID))
    unchanged(
        run(AT_MUNI, press(ShowCounty(KORCE_COUNTY))),
        AT_MUNI,
        CountyPlaces(KORCE_COUNTY, MESSAGE_ID),
    )
    after = replace(AT_MUNI, step=Step.SUMMARY, municipality_id=KORCE)
    saved(run(AT_MUNI, press(ChooseMunicipality(KORCE))), after, Confirm(after))


@pytest.mark.parametrize(
    "event",
    [
        # A municipality that does not exist.
        press(ChooseMunicipality(9999)),
        # No id at all.
        press(ChooseMunicipality(None)),
        # A county that does not exist.
        press(ShowCounty(99)),
        # A county list with no message to replace.
        press(ShowCounty(KORCE_COUNTY), message_id=None),
    ],
)
def test_forged_picker_buttons_change_nothing(event: Event) -> None:
    unchanged(run(AT_MUNI, event), AT_MUNI, StaleButton(), Ask(Step.MUNICIPALITY, AT_MUNI))


# --- the summary -----------------------------------------------------------------------------


def test_send_submits_and_says_who_received_it() -> None:
    asked = run(AT_SUMMARY, press(SendApplication()))
    assert asked.need == SubmitApplication(MESSAGE_ID) and asked.effects == ()
    done = register_answers(asked, receiver=RoleKind.CHAIR)
    # The register deleted the draft with the submission: nothing more to write.
    assert done.state.draft is None and done.effects == ()
    assert done.messages == (Sent(KORCE, RoleKind.CHAIR, MESSAGE_ID),)


def test_a_number_taken_meanwhile_asks_for_another_then_the_summary() -> None:
    retry = replace(AT_SUMMARY, step=Step.PHONE, editing=True, phone_e164=None)
    saved(run(AT_SUMMARY, NotSubmitted(phone_taken=True)), retry, PhoneTaken())
    final, _ = walk([Text("069 212 7777")], retry)
    assert final == replace(AT_SUMMARY, phone_e164="+355692127777", typed_numbers=2)


def test_a_refusal_for_another_reason_says_where_one_stands() -> None:
    # Already registered (another device, at the same moment): the draft stays.
    unchanged(run(AT_SUMMARY, NotSubmitted(phone_taken=False)), AT_SUMMARY, Status())


@pytest.mark.parametrize(
    ("button", "messages"),
    [
        # Edit: which detail (in place of the summary).
        (EditDetails(), (EditWhich(MESSAGE_ID),)),
        # Back from the edit picker: the summary again, in place.
        (BackToSummary(), (Confirm(AT_SUMMARY, MESSAGE_ID),)),
        # A field this version does not have.
        (EditField("x"), (StaleButton(), Confirm(AT_SUMMARY))),
        # The summary is not a field.
        (EditField("summary"), (StaleButton(), Confirm(AT_SUMMARY))),
    ],
)
def test_summary_buttons_that_only_show(button: Button, messages: tuple[Message, ...]) -> None:
    unchanged(run(AT_SUMMARY, press(button)), AT_SUMMARY, *messages)


def test_cancel_under_the_summary_discards_everything() -> None:
    transition = run(AT_SUMMARY, press(CancelRegistration()))
    assert transition.state.draft is None
    assert transition.messages == (Cancelled(MESSAGE_ID),)
    assert transition.effects == (DiscardDraft(),)


# --- old and forged buttons at every step ----------------------------------------------------


OTHER_STEPS_BUTTONS = [
    # An application sent from an old summary.
    *[(draft, SendApplication()) for draft in DRAFTS if draft is not AT_SUMMARY],
    # «Cancel» of an old summary.
    *[(draft, CancelRegistration()) for draft in DRAFTS if draft is not AT_SUMMARY],
    # A municipality from an old picker.
    *[(draft, ChooseMunicipality(KORCE)) for draft in DRAFTS if draft is not AT_MUNI],
    # «Yes, it is correct» with no number waiting.
    *[(draft, PhoneIsRight(yes=True)) for draft in DRAFTS],
    # Our prefix, an action we never make.
    *[(draft, Unknown()) for draft in DRAFTS],
]


@pytest.mark.parametrize(("draft", "button"), OTHER_STEPS_BUTTONS)
def test_a_button_of_another_step_re_asks_this_one(draft: Draft, button: Button) -> None:
    unchanged(run(draft, press(button)), draft, StaleButton(), question(draft))


@pytest.mark.parametrize("draft", DRAFTS, ids=STEP_IDS)
def test_malformed_data_is_recorded_and_re_asks(draft: Draft) -> None:
    transition = run(draft, press(Malformed()))
    assert transition.state.draft == draft
    assert transition.messages == (StaleButton(), question(draft))
    assert transition.effects == (Record("callback.malformed"),)


# --- commands at any point -------------------------------------------------------------------


@pytest.mark.parametrize("draft", DRAFTS, ids=STEP_IDS)
def test_cancel_at_any_step_discards_the_draft(draft: Draft) -> None:
    transition = run(draft, Cancel())
    assert transition.state.draft is None
    assert transition.messages == (Cancelled(),) and transition.effects == (DiscardDraft(),)


@pytest.mark.parametrize(
    ("standing", "registered"),
    [
        # Never registered: /start is suggested.
        (Standing.NONE, False),
        # Pending or approved: nothing to cancel, nothing to start.
        (Standing.ACTIVE, True),
        # Rejected: the same words.
        (Standing.FORMER, True),
    ],
)
def test_cancel_with_nothing_in_progress(standing: Standing, registered: bool) -> None:
    unchanged(run(None, Cancel(), standing), None, NothingToCancel(registered))


@pytest.mark.parametrize("draft", DRAFTS, ids=STEP_IDS)
def test_start_resumes_any_step_without_losing_anything(draft: Draft) -> None:
    unchanged(run(draft, Start(), Standing.NONE), draft, WelcomeBack(), question(draft))


@pytest.mark.parametrize(
    ("preset", "standing", "said"),
    [
        # A newcomer: the welcome.
        (None, Standing.NONE, Welcome()),
        # From Korçë's link: the welcome names it.
        (KORCE, Standing.NONE, Welcome(KORCE)),
        # An id no municipality has: a plain welcome.
        (9999, Standing.NONE, Welcome()),
        # A rejected member may apply again.
        (None, Standing.FORMER, Welcome()),
        # A pending or approved member is told where they stand.
        (KORCE, Standing.ACTIVE, Status()),
    ],
)
def test_start_without_a_draft(preset: int | None, standing: Standing, said: Message) -> None:
    unchanged(run(None, Start(preset), standing), None, said)


def test_an_active_member_with_a_stray_draft_is_told_where_they_stand() -> None:
    unchanged(run(AT_PHONE, Start(), Standing.ACTIVE), AT_PHONE, Status())


def test_a_link_fills_the_municipality_question_and_moves_on() -> None:
    after = replace(AT_MUNI, step=Step.SUMMARY, municipality_id=KORCE)
    saved(run(AT_MUNI, Start(KORCE), Standing.NONE), after, WelcomeBack(), Confirm(after))


def test_a_link_fills_an_earlier_draft_without_moving_it() -> None:
    after = replace(AT_NAME, municipality_id=KORCE)
    saved(run(AT_NAME, Start(KORCE), Standing.NONE), after, WelcomeBack(), Ask(Step.NAME, after))


def test_a_link_never_replaces_a_chosen_municipality() -> None:
    unchanged(
        run(AT_SUMMARY, Start(TIRANE), Standing.NONE),
        AT_SUMMARY,
        WelcomeBack(),
        Confirm(AT_SUMMARY),
    )


@pytest.mark.parametrize(
    ("draft", "said"),
    [
        # Not registering: /start first.
        (None, ListOnlyWhileRegistering()),
        # Before the municipality question: that step again.
        (AT_BIRTH, Ask(Step.BIRTH_DATE, AT_BIRTH)),
        # At it: the counties, as a new message.
        (AT_MUNI, Counties()),
    ],
)
def test_list_only_at_the_municipality_question(draft: Draft | None, said: Message) -> None:
    unchanged(run(draft, ShowList()), draft, said)


# --- consent ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "municipality_id"),
    [
        # A plain welcome.
        (None, None),
        # An enrolment link's municipality rides on the button into the draft.
        (KORCE, KORCE),
        # A forged id is dropped.
        (9999, None),
    ],
)
def test_agreeing_opens_the_draft_and_answers_with_a_toast(
    preset: int | None, municipality_id: int | None
) -> None:
    transition = run(None, press(ConsentAnswer(True, preset)), Standing.NONE)
    opened = Draft(Step.NAME, municipality_id=municipality_id)
    assert transition.state.draft == opened and transition.effects == (OpenDraft(opened),)
    assert transition.messages == () and transition.toast == NameAfterConsent()


@pytest.mark.parametrize(
    ("draft", "agreed", "toast", "messages", "effects", "after"),
    [
        # Declined: nothing stored, nothing to delete.
        (None, False, None, (Declined(),), (), None),
        # Pressed again before the name: the name's toast again.
        (AT_NAME, True, NameAfterConsent(), (), (), AT_NAME),
        # Pressed again later: nothing changes.
        (AT_PHONE, True, AlreadyAgreed(), (), (), AT_PHONE),
        # «No» after agreeing: the same as /anulo.
        (AT_PHONE, False, None, (Cancelled(),), (DiscardDraft(),), None),
    ],
)
def test_consent_pressed_again_or_declined(
    draft: Draft | None,
    agreed: bool,
    toast: Message | None,
    messages: tuple[Message, ...],
    effects: tuple[object, ...],
    after: Draft | None,
) -> None:
    transition = run(draft, press(ConsentAnswer(agreed)), Standing.NONE)
    assert transition.toast == toast and transition.messages == messages
    assert transition.effects == effects and transition.state.draft == after


def test_a_member_pressing_an_old_welcome_is_told_where_they_stand() -> None:
    unchanged(run(None, press(ConsentAnswer(True)), Standing.ACTIVE), None, Status())


@pytest.mark.parametrize(
    ("event", "standing", "said", "opens"),
    [
        # A typed «po» is consent (the name is asked in a message: no button to toast).
        (Text("po"), Standing.NONE, NameAfterConsent(), True),
        # «Po, jam dakord» in capitals and with punctuation.
        (Text("PO, JAM DAKORD!"), Standing.NONE, NameAfterConsent(), True),
        # A typed «jo» declines.
        (Text("Jo"), Standing.NONE, Declined(), False),
        # A name before agreeing: the buttons again.
        (Text("Arben Hoxha"), Standing.NONE, WelcomeAgain(), False),
        # A sticker before agreeing: the buttons again.
        (NotText(), Standing.NONE, WelcomeAgain(), False),
        # A contact before agreeing: the buttons again.
        (Contact("355692000222", own=True), Standing.NONE, WelcomeAgain(), False),
        # Someone in the register (even rejected) is told where they stand, «po» or not.
        (Text("po"), Standing.FORMER, Status(), False),
        # An old button, never registered: how to start.
        (press(SendApplication()), Standing.NONE, StartHint(), False),
        # An old button of a member: where they stand.
        (press(SendApplication()), Standing.ACTIVE, Status(), False),
    ],
)
def test_without_a_draft(event: Event, standing: Standing, said: Message, opens: bool) -> None:
    transition = run(None, event, standing)
    assert transition.messages == (said,) and transition.toast is None
    opened = Draft(Step.NAME)
    assert transition.effects == ((OpenDraft(opened),) if opens else ())
    assert transition.state.draft == (opened if opens else None)


def test_malformed_data_without_a_draft_is_recorded() -> None:
    transition = run(None, press(Malformed()))
    assert transition.messages == (StaleButton(),)
    assert transition.effects == (Record("callback.malformed"),)


# --- the order of things: nothing entered is lost --------------------------------------------


STRAIGHT: list[Event] = [
    press(ConsentAnswer(True)),
    Text("Arben Hoxha"),
    Text("5.3.1980"),
    Text("069 212 3456"),
    Text("korce"),
]
INTERRUPTIONS: list[Event] = [
    NotText(),
    Start(),
    ShowList(),
    press(SendApplication()),
    press(Malformed()),
    press(PhoneIsRight(yes=True)),
]


@pytest.mark.parametrize("interruption", INTERRUPTIONS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("where", range(1, len(STRAIGHT)))
def test_an_interruption_anywhere_loses_nothing(interruption: Event, where: int) -> None:
    # The same answers with something else in between end at the same summary.
    expected, _ = walk(STRAIGHT)
    events = [*STRAIGHT[:where], interruption, *STRAIGHT[where:]]
    final, said = walk(events)
    assert final == expected == replace(AT_SUMMARY, municipality_id=KORCE)
    assert isinstance(said[-1], Confirm)


def test_cancel_then_start_again_begins_from_nothing() -> None:
    final, said = walk([*STRAIGHT[:3], Cancel(), Start(), press(ConsentAnswer(True))])
    assert final == AT_NAME
    assert Cancelled() in said and Welcome() in said


def test_the_whole_dialogue_ends_with_the_application_sent() -> None:
    final, said = walk([*STRAIGHT, press(SendApplication())])
    assert final is None and said[-1] == Sent(KORCE, None, MESSAGE_ID)


# --- what the dialogue needs to know ---------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "has_draft", "needed"),
    [
        # /start always looks whether the account is in the register.
        (Start(), True, True),
        # Consent too.
        (press(ConsentAnswer(True)), True, True),
        # An answer to a draft never does (the common case: no extra query).
        (Text("Arben Hoxha"), True, False),
        # A button of a draft neither.
        (press(SendApplication()), True, False),
        # A message without a draft does.
        (Text("hello"), False, True),
        # /anulo without a draft does.
        (Cancel(), False, True),
        # /lista never does.
        (ShowList(), False, False),
        # Malformed data without a draft does not.
        (press(Malformed()), False, False),
    ],
)
def test_needs_standing(event: Event, has_draft: bool, needed: bool) -> None:
    assert needs_standing(event, has_draft=has_draft) is needed


def test_consulting_an_unknown_standing_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="needs_standing"):
        run(None, Start())


# --- the buttons' callback data --------------------------------------------------------------


@pytest.mark.parametrize(
    "button",
    [
        ConsentAnswer(True),
        ConsentAnswer(True, KORCE),
        ConsentAnswer(False),
        PhoneIsRight(yes=True),
        PhoneIsRight(yes=False),
        ShowCounties(),
        ShowCounty(KORCE_COUNTY),
        ChooseMunicipality(KORCE),
        SendApplication(),
        EditDetails(),
        BackToSummary(),
        CancelRegistration(),
        EditField("birth_date"),
    ],
)
def test_every_button_reads_back_as_written(button: Button) -> None:
    assert decode(parse(encode(button), PREFIX)) == button


@pytest.mark.parametrize(
    ("data", "button"),
    [
        # Not our schema.
        ("garbage", Malformed()),
        # Another version.
        ("reg:v9:confirm", Malformed()),
        # Consent neither yes nor no.
        ("reg:v1:consent:maybe", Unknown()),
        # An action we never made.
        ("reg:v1:launch", Unknown()),
        # A municipality id that is not a number.
        ("reg:v1:muni:abc", ChooseMunicipality(None)),
        # Anything but a plain yes is a no.
        ("reg:v1:phone:yes:please", PhoneIsRight(yes=False)),
        # A field with no name.
        ("reg:v1:field", Unknown()),
    ],
)
def test_forged_data_reads_as_harmless(data: str, button: Button) -> None:
    assert decode(parse(data, PREFIX)) == button
