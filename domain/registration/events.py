"""What can happen to a registration: what the member sends, and what the register answers.

The handlers turn a Telegram update into one of these; the use case adds the register's
answers to the dialogue's questions (`PhoneChecked`, `Submitted`, `NotSubmitted`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.permissions import RoleKind
from domain.registration.buttons import Button
from domain.text import fold_case


@dataclass(frozen=True)
class Text:
    """A typed message."""

    text: str


@dataclass(frozen=True)
class Contact:
    """A shared contact; `own` when it is the sender's own (Telegram vouches for its number)."""

    phone_number: str
    own: bool


@dataclass(frozen=True)
class NotText:
    """A sticker, photo, voice, location… where a typed answer was expected."""


@dataclass(frozen=True)
class Start:
    """/start, with an enrolment link's municipality if it named one."""

    preset: int | None = None


@dataclass(frozen=True)
class Cancel:
    """/anulo."""


@dataclass(frozen=True)
class ShowList:
    """/lista: the municipality picker."""


@dataclass(frozen=True)
class Press:
    """A registration button; `message_id` is the message it sits under (edited in place)."""

    button: Button
    message_id: int | None = None


@dataclass(frozen=True)
class PhoneChecked:
    """The register's answer to `CheckPhone`: is the number another account's?"""

    e164: str
    verified: bool
    taken: bool


@dataclass(frozen=True)
class Submitted:
    """The application is in the register (the draft is gone); `receiver` decides it."""

    receiver: RoleKind | None
    message_id: int | None


@dataclass(frozen=True)
class NotSubmitted:
    """The register refused the application: the phone became another account's meanwhile,
    or the account has an entry already (or the draft was incomplete)."""

    phone_taken: bool


Event = (
    Text
    | Contact
    | NotText
    | Start
    | Cancel
    | ShowList
    | Press
    | PhoneChecked
    | Submitted
    | NotSubmitted
)


# What people type instead of pressing the consent buttons, folded (case, diacritics and
# punctuation ignored). Only obvious answers: anything else shows the buttons again.
_TYPED_YES = frozenset(
    {"po", "yes", "dakord", "po dakord", "jam dakord", "po jam dakord", "i agree", "yes i agree"}
)
_TYPED_NO = frozenset(
    {"jo", "no", "jo faleminderit", "nuk jam dakord", "no thank you", "no thanks"}
)


def typed_consent(text: str) -> bool | None:
    """A typed answer to the consent question: True (yes), False (no) or None (unclear)."""
    words = " ".join(re.findall(r"[a-z]+", fold_case(text)))
    if words in _TYPED_YES:
        return True
    if words in _TYPED_NO:
        return False
    return None
