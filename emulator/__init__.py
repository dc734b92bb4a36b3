"""A local Telegram Bot API emulator, so the bot runs offline in tests, benchmarks and the demo.

``BotApiEmulator`` is an HTTP server python-telegram-bot talks to through ``base_url``;
``EmulatedUser`` plays a person in a chat; ``SentMessage``/``Button`` are what the bot sent.
"""

from emulator.faults import SENDING_METHODS, ApiError, FaultRule
from emulator.models import Button, SentMessage
from emulator.server import BotApiEmulator
from emulator.state import scope_key
from emulator.users import EmulatedUser

__all__ = [
    "SENDING_METHODS",
    "ApiError",
    "BotApiEmulator",
    "Button",
    "EmulatedUser",
    "FaultRule",
    "SentMessage",
    "scope_key",
]
