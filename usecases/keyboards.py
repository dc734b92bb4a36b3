"""Inline keyboards as the Bot API takes them, for replies and for the outbox alike."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup


def inline(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """An inline keyboard from (label, callback_data) rows."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )
