"""The registration's inline buttons as data, and their callback data both ways.

Writing (`encode`) and reading (`decode`) live side by side so they cannot drift apart.
Callback data is untrusted (domain/callbacks.py): anything `encode` would not have written
is `Unknown` (or `Malformed`, when it is not even our schema), never an exception. Whether a
well-formed press makes sense now is the dialogue's call (machine.py), against the step the
member is at.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.callbacks import CallbackData, pack

PREFIX = "reg"


@dataclass(frozen=True)
class ConsentAnswer:
    """«✅ Yes, I agree» / «No, thank you»; an enrolment link's municipality rides on «yes»."""

    agreed: bool
    preset: int | None = None


@dataclass(frozen=True)
class PhoneIsRight:
    """The answer to «Is the number … correct?»."""

    yes: bool


@dataclass(frozen=True)
class ShowCounties:
    """The county picker (also «No, show me the list» after a guess)."""


@dataclass(frozen=True)
class ShowCounty:
    county_id: int | None


@dataclass(frozen=True)
class ChooseMunicipality:
    municipality_id: int | None


@dataclass(frozen=True)
class SendApplication:
    """«✅ Send the application» under the summary."""


@dataclass(frozen=True)
class EditDetails:
    """«✏️ Edit» under the summary: which detail?"""


@dataclass(frozen=True)
class BackToSummary:
    """«« Back to the summary» under the edit picker."""


@dataclass(frozen=True)
class CancelRegistration:
    """«✖️ Cancel» under the summary."""


@dataclass(frozen=True)
class EditField:
    """One detail to change, as the button named it (checked by the dialogue)."""

    field: str


@dataclass(frozen=True)
class Unknown:
    """Our schema, but no button we make (or not with these arguments)."""


@dataclass(frozen=True)
class Malformed:
    """Not our schema at all: forged, cut, or from another version."""


Button = (
    ConsentAnswer
    | PhoneIsRight
    | ShowCounties
    | ShowCounty
    | ChooseMunicipality
    | SendApplication
    | EditDetails
    | BackToSummary
    | CancelRegistration
    | EditField
    | Unknown
    | Malformed
)

# Buttons without arguments, by their action name.
_PLAIN: dict[str, Button] = {
    "counties": ShowCounties(),
    "confirm": SendApplication(),
    "edit": EditDetails(),
    "back": BackToSummary(),
    "cancel": CancelRegistration(),
}


def encode(button: Button) -> str:
    """The callback data of a button the bot shows."""
    match button:
        case ConsentAnswer(agreed=True, preset=preset):
            return pack(PREFIX, "consent", "yes", *(() if preset is None else (preset,)))
        case ConsentAnswer(agreed=False):
            return pack(PREFIX, "consent", "no")
        case PhoneIsRight(yes=yes):
            return pack(PREFIX, "phone", "yes" if yes else "no")
        case ShowCounty(county_id=int(county_id)):
            return pack(PREFIX, "county", county_id)
        case ChooseMunicipality(municipality_id=int(municipality_id)):
            return pack(PREFIX, "muni", municipality_id)
        case EditField(field=field):
            return pack(PREFIX, "field", field)
    for action, plain in _PLAIN.items():
        if button == plain:
            return pack(PREFIX, action)
    raise ValueError(f"no callback data for {button!r}")


def decode(data: CallbackData | None) -> Button:
    """The button a press names; `data` is `parse(…, PREFIX)`'s result (None: malformed)."""
    if data is None:
        return Malformed()
    action = data.action
    if action == "consent" and data.arg(0) in ("yes", "no"):
        return ConsentAnswer(agreed=data.arg(0) == "yes", preset=data.int_arg(1))
    if action == "phone":
        # Anything but a plain yes asks for the number again: the safe reading.
        return PhoneIsRight(yes=data.args == ("yes",))
    if action == "county":
        return ShowCounty(data.int_arg(0))
    if action == "muni":
        return ChooseMunicipality(data.int_arg(0))
    if action == "field" and data.args:
        return EditField(data.args[0])
    return _PLAIN.get(action, Unknown())
