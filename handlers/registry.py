"""The ordered handler registry.

Order matters, and is written down here (rules-bot's habit):
- group -1: `load_language` runs for every update first, so everything after it speaks the
  person's language; it never stops propagation.
- group 0, in order: groups (answered with a deep link before any private-chat handler
  can see them); commands (a command always wins over the step a member is at); buttons
  by prefix; then free messages, which are answers to whatever step the person is at;
  unknown commands last.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from handlers import (
    chair,
    common,
    invites,
    qr,
    registration,
    registration_buttons,
    registration_consent,
    rejection,
    status,
)

PRIVATE = filters.ChatType.PRIVATE


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(TypeHandler(Update, common.load_language), group=-1)

    application.add_handler(
        MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, common.group_redirect)
    )
    # Albanian name, English name, then aliases people guess (not in the menu,
    # handlers/commands.py):
    # the correct spelling of help, a common misspelling of anulo, other words for status
    # and pending.
    commands = [
        (("start",), invites.start_with_payload_or_register),
        (("anulo", "cancel", "anullo"), rejection.cancel_then_registration),
        (("statusi", "status", "gjendja"), status.status_command),
        (("gjuha", "language"), common.language_command),
        (("ndihme", "help", "ndihma"), common.help_command),
        (("lista", "list"), registration.pick_from_list),
        (("ne_pritje", "pending", "pritje"), chair.pending_command),
        (("ftese", "invite"), invites.invite_command),
        (("qr", "lidhja"), qr.qr_command),
    ]
    for names, callback in commands:
        application.add_handler(CommandHandler(names, callback, filters=PRIVATE))

    application.add_handler(
        CallbackQueryHandler(registration_consent.on_press, pattern=r"^reg:v1:consent(?::|$)")
    )
    application.add_handler(CallbackQueryHandler(registration_buttons.on_button, pattern=r"^reg:"))
    application.add_handler(CallbackQueryHandler(common.language_button, pattern=r"^lang:"))
    application.add_handler(CallbackQueryHandler(chair.on_button, pattern=r"^app:"))
    application.add_handler(CallbackQueryHandler(invites.on_button, pattern=r"^inv:"))
    application.add_handler(CallbackQueryHandler(qr.on_button, pattern=r"^qr:"))
    application.add_handler(CallbackQueryHandler(common.stale_button))

    application.add_handler(MessageHandler(PRIVATE & filters.COMMAND, common.unknown_command))
    application.add_handler(MessageHandler(PRIVATE, rejection.message_then_registration))
    application.add_error_handler(common.on_error)  # type: ignore[arg-type]
