"""What the dialogue answers: messages for the member, effects for the register, and the
questions it must have answered before it can go on.

Messages are data; handlers/registration_replies.py renders each one in the reader's
language. `edit_id` is the message a button sat under: the answer replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.permissions import RoleKind
from domain.registration.state import Draft, State, Step

# --- messages: consent -----------------------------------------------------------------


@dataclass(frozen=True)
class Welcome:
    """The privacy notice and the consent buttons (with an enrolment link's municipality)."""

    preset: int | None = None


@dataclass(frozen=True)
class WelcomeAgain:
    """Something typed before agreeing: the consent buttons again."""


@dataclass(frozen=True)
class NameAfterConsent:
    """Thanks for agreeing; now the name."""


@dataclass(frozen=True)
class AlreadyAgreed:
    """Consent pressed again once the name was given."""


@dataclass(frozen=True)
class Declined:
    """Consent refused: nothing was stored."""


# --- messages: the questions -------------------------------------------------------------


@dataclass(frozen=True)
class WelcomeBack:
    """/start with a draft: carry on (the question follows)."""


@dataclass(frozen=True)
class Ask:
    """The question of `step`; with `echo`, the answer before it is shown back first."""

    step: Step
    draft: Draft
    echo: bool = False


@dataclass(frozen=True)
class Confirm:
    """The summary with «Send», «Edit» and «Cancel»."""

    draft: Draft
    edit_id: int | None = None


@dataclass(frozen=True)
class Invalid:
    """An answer refused: `problem` is the parser's code (NameProblem, DateProblem…)."""

    step: Step
    problem: str


@dataclass(frozen=True)
class WrongKind:
    """A sticker, photo… (or text at the summary) where something else was expected."""

    step: Step | None


@dataclass(frozen=True)
class ForeignContact:
    """Someone else's contact shared as one's own number."""


@dataclass(frozen=True)
class ConfirmPhone:
    """A merely possible number: is it right?"""

    e164: str


@dataclass(frozen=True)
class PhoneTaken:
    """The number is another account's entry."""


@dataclass(frozen=True)
class DidYouMean:
    municipality_id: int


@dataclass(frozen=True)
class WhichOne:
    municipality_ids: tuple[int, ...]


@dataclass(frozen=True)
class NoSuchPlace:
    """No municipality by that name: write it again or pick from the list."""


@dataclass(frozen=True)
class Counties:
    edit_id: int | None = None


@dataclass(frozen=True)
class CountyPlaces:
    county_id: int
    edit_id: int


@dataclass(frozen=True)
class EditWhich:
    edit_id: int | None = None


# --- messages: endings and elsewhere -------------------------------------------------------


@dataclass(frozen=True)
class Cancelled:
    """Everything entered is gone (by /anulo, «No» after agreeing, or «Cancel»)."""

    edit_id: int | None = None


@dataclass(frozen=True)
class NothingToCancel:
    registered: bool  # whether the account was ever in the register (else: /start)


@dataclass(frozen=True)
class Sent:
    municipality_id: int
    receiver: RoleKind | None
    edit_id: int | None = None


@dataclass(frozen=True)
class StaleButton:
    """The button no longer does anything (the question follows, if any)."""


@dataclass(frozen=True)
class Status:
    """Where the account stands in the register (handlers/status.py says it)."""


@dataclass(frozen=True)
class StartHint:
    """Nothing in progress, never registered: how to begin."""


@dataclass(frozen=True)
class ListOnlyWhileRegistering:
    """/lista with no registration in progress."""


Message = (
    Welcome
    | WelcomeAgain
    | NameAfterConsent
    | AlreadyAgreed
    | Declined
    | WelcomeBack
    | Ask
    | Confirm
    | Invalid
    | WrongKind
    | ForeignContact
    | ConfirmPhone
    | PhoneTaken
    | DidYouMean
    | WhichOne
    | NoSuchPlace
    | Counties
    | CountyPlaces
    | EditWhich
    | Cancelled
    | NothingToCancel
    | Sent
    | StaleButton
    | Status
    | StartHint
    | ListOnlyWhileRegistering
)


# --- effects: what the use case writes, in order -------------------------------------------


@dataclass(frozen=True)
class OpenDraft:
    """Consent given: record it and open `draft` (nothing about the person exists before)."""

    draft: Draft


@dataclass(frozen=True)
class SaveDraft:
    draft: Draft


@dataclass(frozen=True)
class DiscardDraft:
    """Delete the draft and the consent it rested on."""


@dataclass(frozen=True)
class Record:
    """An audit event (`action`) by the member."""

    action: str


Effect = OpenDraft | SaveDraft | DiscardDraft | Record


# --- needs: what the register must answer before the dialogue goes on ----------------------


@dataclass(frozen=True)
class CheckPhone:
    """Is `e164` another account's? Answered with events.PhoneChecked."""

    e164: str
    verified: bool


@dataclass(frozen=True)
class SubmitApplication:
    """Turn the draft into an application. Answered with events.Submitted or NotSubmitted."""

    edit_id: int | None


Need = CheckPhone | SubmitApplication


@dataclass(frozen=True)
class Transition:
    """One step of the dialogue.

    `toast` answers a consent press in the button's own small note rather than a message.
    A transition with a `need` says and writes nothing: the use case finds out the answer
    and reacts again with it.
    """

    state: State
    messages: tuple[Message, ...] = ()
    effects: tuple[Effect, ...] = ()
    toast: Message | None = None
    need: Need | None = None
