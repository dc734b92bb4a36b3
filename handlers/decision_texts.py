"""What a decider reads while rejecting: the reason prompt, the typed reason shown back,
and the refusals. Pure functions of the application, in the current language."""

from __future__ import annotations

from domain.callbacks import pack
from domain.decisions import MAX_REASON_LENGTH, REJECTION_REASONS
from domain.i18n import _
from handlers.replies import Reply
from storage.models import Member
from usecases.keyboards import inline

PREFIX = "app"


def refused() -> Reply:
    return Reply(
        _(
            "You cannot decide this application: it is no longer open, or it is not within "
            "your remit."
        )
    )


def ask_reason(member: Member, edit_message_id: int | None = None) -> Reply:
    """The reason buttons, a way back, and the invitation to type one."""
    rows = [
        [(_(label), pack(PREFIX, "reason", member.id, code))]
        for code, label in REJECTION_REASONS.items()
    ]
    rows.append([(_("« Do not reject"), pack(PREFIX, "keep", member.id))])
    text = _(
        "Why are you rejecting application no. {id} ({name})? Pick a reason or type your own. "
        "The applicant will read it."
    ).format(id=member.id, name=member.full_name)
    return Reply(text, inline(rows), edit_message_id)


def confirm_reason(member: Member, reason: str) -> Reply:
    """A typed reason shown back: nothing reaches the member before «Send»."""
    text = _(
        "Application no. {id} ({name}) will be rejected, and the applicant will read this "
        "reason:\n\n{reason}\n\nSend it?"
    ).format(id=member.id, name=member.full_name, reason=reason)
    rows = [
        [
            (_("📨 Send"), pack(PREFIX, "send", member.id)),
            (_("✏️ Change"), pack(PREFIX, "change", member.id)),
        ],
        [(_("« Do not reject"), pack(PREFIX, "keep", member.id))],
    ]
    return Reply(text, inline(rows))


def reason_too_long(length: int) -> Reply:
    return Reply(
        _(
            "That reason is {length} characters long; it can have at most {limit}. "
            "Please shorten it and send it again."
        ).format(length=length, limit=MAX_REASON_LENGTH)
    )


def reason_as_text() -> Reply:
    return Reply(_("Please type the reason as a text message, or send /cancel."))


def kept_pending(edit_message_id: int | None = None) -> Reply:
    return Reply(_("All right: the application stays pending."), None, edit_message_id)
