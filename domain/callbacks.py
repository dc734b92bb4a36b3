"""The one schema for inline-button callback data: ``prefix:v1:action:arg1:arg2``.

Telegram limits callback data to 64 bytes and hands it back exactly as sent, but anyone
can send any callback data to the bot (a modified client, an old message from a previous
version), so `parse` treats it as untrusted input: anything not produced by `pack` with
the expected prefix and version is None, never an exception. Buttons carry ids only;
what they refer to is re-read and re-authorized on every press.

The version lets us change what an action's arguments mean: presses on buttons from
before the change parse as None and the handler answers "this button has expired".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64
SEPARATOR = ":"
# Ids live in 64-bit signed columns (Telegram user ids too).
_MAX_INT = 2**63 - 1
_CANONICAL_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")


@dataclass(frozen=True)
class CallbackData:
    """A parsed button press: ``prefix:v<version>:action:args…``."""

    prefix: str
    version: int
    action: str
    args: tuple[str, ...]

    def arg(self, index: int) -> str | None:
        """The argument at `index`, or None when the data has fewer arguments."""
        return self.args[index] if 0 <= index < len(self.args) else None

    def int_arg(self, index: int) -> int | None:
        """The argument at `index` as an id; None if missing or not written as `pack` writes ints.

        Only the canonical form is accepted ("42", "-7"): no "+42", "042", " 42", "4_2" or
        digits of other scripts, which `int()` would all happily read.
        """
        value = self.arg(index)
        if value is None or not value.isascii() or _CANONICAL_INT.fullmatch(value) is None:
            return None
        number = int(value)
        if number == 0 and value.startswith("-"):
            return None
        return number if -_MAX_INT - 1 <= number <= _MAX_INT else None


def pack(prefix: str, action: str, *args: int | str, version: int = 1) -> str:
    """Build callback data; raise ValueError if it could not be parsed back or is too long.

    These are programming errors (a name with ":" or an oversized argument), so they
    fail loudly where the keyboard is built rather than when someone presses the button.
    """
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"version must be a positive integer, not {version!r}")
    parts = [_part(prefix, "prefix"), f"v{version}", _part(action, "action")]
    for arg in args:
        if isinstance(arg, bool) or not isinstance(arg, int | str):
            raise ValueError(f"callback arguments are ints or strs, not {type(arg).__name__}")
        parts.append(_part(str(arg), "argument"))
    data = SEPARATOR.join(parts)
    if len(data.encode("utf-8")) > MAX_BYTES:
        raise ValueError(f"callback data is over {MAX_BYTES} bytes: {data!r}")
    return data


def parse(data: str | None, prefix: str, *, version: int = 1) -> CallbackData | None:
    """Read callback data made by `pack(prefix, …, version=version)`; None for anything else."""
    if not isinstance(data, str) or not isinstance(prefix, str):
        return None
    try:
        if len(data.encode("utf-8")) > MAX_BYTES:
            return None
    except UnicodeEncodeError:  # lone surrogates cannot come from Telegram
        return None
    parts = data.split(SEPARATOR)
    if len(parts) < 3 or not all(parts):
        return None
    got_prefix, got_version, action, *args = parts
    if got_prefix != prefix or got_version != f"v{version}":
        return None
    return CallbackData(prefix=got_prefix, version=version, action=action, args=tuple(args))


def _part(value: str, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"callback {what} must be a non-empty string")
    if SEPARATOR in value:
        raise ValueError(f"callback {what} must not contain {SEPARATOR!r}: {value!r}")
    return value
