"""Callback data: what our buttons carry, and what a forged press cannot do."""

from __future__ import annotations

from typing import Any

import pytest

from domain.callbacks import MAX_BYTES, CallbackData, pack, parse


@pytest.mark.parametrize(
    ("args", "kwargs", "data"),
    [
        # An action without arguments.
        (("reg", "confirm"), {}, "reg:v1:confirm"),
        # An id.
        (("app", "approve", 42), {}, "app:v1:approve:42"),
        # Several arguments, ints and strs.
        (("app", "reject", 42, "dup"), {}, "app:v1:reject:42:dup"),
        # A negative id (Telegram group chats).
        (("chat", "open", -1001234567890), {}, "chat:v1:open:-1001234567890"),
        # Another version.
        (("app", "approve", 7), {"version": 2}, "app:v2:approve:7"),
        # Non-ASCII is allowed (it counts double towards the limit).
        (("m", "pick", "Korçë"), {}, "m:v1:pick:Korçë"),
    ],
)
def test_pack(args: tuple[Any, ...], kwargs: dict[str, int], data: str) -> None:
    assert pack(*args, **kwargs) == data


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        # A ":" would shift every later part.
        (("a:b", "x"), {}),
        (("app", "ap:prove"), {}),
        (("app", "approve", "1:2"), {}),
        # Empty parts cannot be parsed back.
        (("", "x"), {}),
        (("app", ""), {}),
        (("app", "approve", ""), {}),
        # Version 0 or negative.
        (("app", "approve"), {"version": 0}),
        (("app", "approve"), {"version": -1}),
        # Arguments that are neither int nor str (bool is an int, but never an id).
        (("app", "approve", 1.5), {}),
        (("app", "approve", None), {}),
        (("app", "approve", True), {}),
        # Over 64 bytes in ASCII...
        (("app", "approve", "x" * 60), {}),
        # ...and in UTF-8, where ë and ç take two bytes each.
        (("m", "pick", "ë" * 28), {}),
    ],
)
def test_pack_refuses_what_could_not_come_back(
    args: tuple[Any, ...], kwargs: dict[str, int]
) -> None:
    with pytest.raises(ValueError):
        pack(*args, **kwargs)


def test_exactly_64_bytes_is_allowed() -> None:
    # "app:v1:a:" is 9 bytes; 55 more make 64.
    data = pack("app", "a", "x" * 55)
    assert len(data.encode()) == MAX_BYTES
    assert parse(data, "app") is not None
    with pytest.raises(ValueError):
        pack("app", "a", "x" * 56)


def test_round_trip() -> None:
    data = pack("app", "reject", 42, "dup", -7)
    parsed = parse(data, "app")
    assert parsed == CallbackData(
        prefix="app", version=1, action="reject", args=("42", "dup", "-7")
    )
    assert parsed.int_arg(0) == 42
    assert parsed.arg(1) == "dup"
    assert parsed.int_arg(2) == -7


def test_round_trip_of_another_version() -> None:
    data = pack("app", "approve", 7, version=3)
    assert parse(data, "app", version=3) == CallbackData("app", 3, "approve", ("7",))


@pytest.mark.parametrize(
    ("data", "prefix", "version"),
    [
        # Not a string at all: a missing callback_data, bytes, a number.
        (None, "app", 1),
        (b"app:v1:approve:1", "app", 1),
        (42, "app", 1),
        # Empty.
        ("", "app", 1),
        # Another feature's button.
        ("reg:v1:confirm", "app", 1),
        # A prefix that only starts the same.
        ("apple:v1:approve:1", "app", 1),
        ("ap:v1:approve:1", "app", 1),
        # Case matters.
        ("APP:v1:approve:1", "app", 1),
        # A button from an older or newer version.
        ("app:v2:approve:1", "app", 1),
        ("app:v1:approve:1", "app", 2),
        # A version written differently.
        ("app:v01:approve:1", "app", 1),
        ("app:1:approve:1", "app", 1),
        ("app:V1:approve:1", "app", 1),
        ("app:v:approve:1", "app", 1),
        # No action, or an empty one.
        ("app:v1", "app", 1),
        ("app:v1:", "app", 1),
        ("app", "app", 1),
        # Empty argument, trailing or doubled separator.
        ("app:v1:approve:", "app", 1),
        ("app:v1:approve::1", "app", 1),
        ("app:v1::1", "app", 1),
        # Over 64 bytes.
        ("app:v1:approve:" + "1" * 60, "app", 1),
        ("app:v1:pick:" + "ë" * 27, "app", 1),
        # A lone surrogate (cannot be encoded; never sent by Telegram).
        ("app:v1:approve:\ud800", "app", 1),
    ],
)
def test_parse_refuses_malformed_and_forged_data(data: Any, prefix: str, version: int) -> None:
    assert parse(data, prefix, version=version) is None


@pytest.mark.parametrize(
    ("arg", "value"),
    [
        # Ids as pack writes them.
        ("0", 0),
        ("42", 42),
        ("-1001234567890", -1001234567890),
        # The largest and smallest 64-bit ids.
        (str(2**63 - 1), 2**63 - 1),
        (str(-(2**63)), -(2**63)),
        # Beyond 64 bits: not an id of ours.
        (str(2**63), None),
        # Forms int() accepts but pack never writes.
        ("+42", None),
        ("042", None),
        ("-0", None),
        ("4_2", None),
        (" 42", None),
        ("٤٢", None),
        ("42.0", None),
        # Not a number.
        ("dup", None),
        ("0x2a", None),
    ],
)
def test_int_arg(arg: str, value: int | None) -> None:
    parsed = parse(f"app:v1:approve:{arg}", "app")
    assert parsed is not None
    assert parsed.int_arg(0) == value


def test_missing_arguments_are_none() -> None:
    # A forged press with fewer arguments than the handler expects.
    parsed = parse("app:v1:approve", "app")
    assert parsed is not None
    assert parsed.args == ()
    assert parsed.arg(0) is None
    assert parsed.int_arg(0) is None
    assert parsed.int_arg(-1) is None
