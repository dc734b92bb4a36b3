"""The ordered handler registry.

Order matters, and is written down here (rules-bot's habit):
- Group -1: a button pressed outside a private chat is refused there (forged: the bot puts
  no buttons in groups), so nothing with personal data is ever answered in a group.
- Before any handler, the runner opens the update's turn (handlers/turn.py): the actor is
  noted, the default language set; the handler's transaction adopts the person's own.
- In order: groups (answered with a deep link before any private-chat handler
  can see them); commands (a command always wins over the step a member is at); buttons
  by prefix; then free messages, which are answers to whatever step the person is at;
  unknown commands last.
"""

from __future__ import annotations

from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from domain.registration.buttons import PREFIX as BUTTON_PREFIX
from handlers import (
    announcements,
    audit_view,
    chair,
    common,
    export,
    invites,
    my_data,
    qr,
    registration,
    registration_buttons,
    registration_consent,
    rejection,
    search,
    stats,
    status,
)
from handlers.commands import COMMANDS

PRIVATE = filters.ChatType.PRIVATE


def register(application: Application) -> None:  # type: ignore[type-arg]
    # Before everything, in a group of its own: a button pressed outside a private chat is
    # forged (the bot puts none there) and stops here, so no handler can answer it in public.
    application.add_handler(CallbackQueryHandler(common.press_outside_private_chat), group=-1)

    application.add_handler(
        MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, common.group_redirect)
    )
    # Every command of the one table (handlers/commands.py), under all its names.
    callbacks = {
        "start": invites.start_with_payload_or_register,
        "cancel": rejection.cancel_then_registration,
        "status": status.status_command,
        "mydata": my_data.my_data_command,
        "delete": my_data.delete_command,
        "privacy": my_data.privacy_command,
        "search": search.search_command,
        "export": export.export_command,
        "audit": audit_view.audit_command,
        "language": common.language_command,
        "help": common.help_command,
        "list": registration.pick_from_list,
        "pending": chair.pending_command,
        "invite": invites.invite_command,
        "qr": qr.qr_command,
        "stats": stats.stats_command,
        "announce": announcements.announce_command,
        "announcements": announcements.announcements_command,
    }
    assert {c.key for c in COMMANDS} == set(callbacks), "a command without a callback"
    for command in COMMANDS:
        handler = CommandHandler(command.names, callbacks[command.key], filters=PRIVATE)
        application.add_handler(handler)

    application.add_handler(
        CallbackQueryHandler(
            registration_consent.on_press, pattern=rf"^{BUTTON_PREFIX}:v1:consent(?::|$)"
        )
    )
    application.add_handler(
        CallbackQueryHandler(registration_buttons.on_button, pattern=rf"^{BUTTON_PREFIX}:")
    )
    application.add_handler(
        CallbackQueryHandler(common.language_button, pattern=rf"^{common.PREFIX}:")
    )
    application.add_handler(CallbackQueryHandler(chair.on_button, pattern=rf"^{chair.PREFIX}:"))
    application.add_handler(CallbackQueryHandler(invites.on_button, pattern=rf"^{invites.PREFIX}:"))
    application.add_handler(CallbackQueryHandler(qr.on_button, pattern=rf"^{qr.PREFIX}:"))
    application.add_handler(CallbackQueryHandler(stats.on_button, pattern=rf"^{stats.PREFIX}:"))
    application.add_handler(CallbackQueryHandler(my_data.on_button, pattern=rf"^{my_data.PREFIX}:"))
    application.add_handler(CallbackQueryHandler(search.on_button, pattern=rf"^{search.PREFIX}:"))
    application.add_handler(
        CallbackQueryHandler(search.on_move_button, pattern=rf"^{search.MOVE_PREFIX}:")
    )
    application.add_handler(
        CallbackQueryHandler(announcements.on_button, pattern=rf"^{announcements.PREFIX}:")
    )
    application.add_handler(CallbackQueryHandler(export.on_button, pattern=rf"^{export.PREFIX}:"))
    application.add_handler(
        CallbackQueryHandler(audit_view.on_button, pattern=rf"^{audit_view.PREFIX}:")
    )
    application.add_handler(CallbackQueryHandler(common.stale_button))

    application.add_handler(MessageHandler(PRIVATE & filters.COMMAND, common.unknown_command))
    application.add_handler(MessageHandler(PRIVATE, rejection.message_then_registration))
    application.add_error_handler(common.on_error)  # type: ignore[arg-type]
