"""Telegram handlers, one module per conversation or role; `handlers.registry` wires them."""
