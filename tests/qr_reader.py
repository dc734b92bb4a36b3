"""Reads back the QR codes the bot draws, without the library that drew them.

A small reader for the tests: a 1-bit greyscale PNG (what the bot writes) is decoded with
zlib, its modules are sampled, and the symbol is decoded by ISO/IEC 18004's rules for
versions 1-6 (an enrolment link fits in 4): format information (checked with its BCH
code), unmasking, the zigzag placement, block de-interleaving, and the numeric,
alphanumeric and byte segments. No error correction: a drawn image has no damage.
"""

from __future__ import annotations

import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Data codewords per block, by version and error correction level (ISO/IEC 18004 table 9).
_BLOCKS: dict[int, dict[str, tuple[int, ...]]] = {
    1: {"L": (19,), "M": (16,), "Q": (13,), "H": (9,)},
    2: {"L": (34,), "M": (28,), "Q": (22,), "H": (16,)},
    3: {"L": (55,), "M": (44,), "Q": (17, 17), "H": (13, 13)},
    4: {"L": (80,), "M": (32, 32), "Q": (24, 24), "H": (9, 9, 9, 9)},
    5: {"L": (108,), "M": (43, 43), "Q": (15, 15, 16, 16), "H": (11, 11, 12, 12)},
    6: {"L": (68, 68), "M": (27, 27, 27, 27), "Q": (19, 19, 19, 19), "H": (15, 15, 15, 15)},
}
_TOTAL_CODEWORDS = {1: 26, 2: 44, 3: 70, 4: 100, 5: 134, 6: 172}
_LEVELS = {0: "M", 1: "L", 2: "H", 3: "Q"}
_ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_MASKS = (
    lambda r, c: (r + c) % 2 == 0,
    lambda r, c: r % 2 == 0,
    lambda r, c: c % 3 == 0,
    lambda r, c: (r + c) % 3 == 0,
    lambda r, c: (r // 2 + c // 3) % 2 == 0,
    lambda r, c: r * c % 2 + r * c % 3 == 0,
    lambda r, c: (r * c % 2 + r * c % 3) % 2 == 0,
    lambda r, c: ((r + c) % 2 + r * c % 3) % 2 == 0,
)


def png_pixels(data: bytes) -> list[list[int]]:
    """Rows of pixels (1 light, 0 dark) of a 1-bit greyscale, non-interlaced PNG."""
    assert data.startswith(PNG_SIGNATURE), "not a PNG"
    position, idat, header = len(PNG_SIGNATURE), b"", None
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in chunk {kind!r}"
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    assert header is not None
    width, height, depth, colour, _compression, _filter, interlace = header
    assert (depth, colour, interlace) == (1, 0, 0), f"unexpected PNG format {header}"
    stride = (width + 7) // 8
    raw, rows, previous = zlib.decompress(idat), [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        # The filters a 1-bit image of squares uses: None (0) and Up (2, a row like the last).
        assert kind in (0, 2), f"row filter {kind} is not read here"
        if kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
        rows.append([(line[x // 8] >> (7 - x % 8)) & 1 for x in range(width)])
        previous = line
    return rows


def modules(pixels: list[list[int]], scale: int, border: int) -> list[list[int]]:
    """The symbol's modules (1 dark), sampled at their centres; the quiet zone must be light."""
    size = len(pixels) // scale - 2 * border
    assert len(pixels) == len(pixels[0]) == (size + 2 * border) * scale, "not square or not scaled"
    for y, row in enumerate(pixels):
        for x, light in enumerate(row):
            inside = border * scale <= min(x, y) and max(x, y) < (border + size) * scale
            assert inside or light, f"dark pixel in the quiet zone at {x},{y}"
    return [
        [
            1 - pixels[(border + r) * scale + scale // 2][(border + c) * scale + scale // 2]
            for c in range(size)
        ]
        for r in range(size)
    ]


def decode(matrix: list[list[int]]) -> str:
    """The text of a QR symbol (versions 1-6, no damage)."""
    size = len(matrix)
    version = (size - 17) // 4
    assert version in _BLOCKS and size == 17 + 4 * version, f"unsupported size {size}"
    level, mask = _format(matrix)
    function = _function_modules(size, version)
    bits: list[int] = []
    right = size - 1
    while right >= 1:
        if right == 6:
            right = 5
        for vertical in range(size):
            for column in (right, right - 1):
                upward = ((right + 1) & 2) == 0
                row = size - 1 - vertical if upward else vertical
                if not function[row][column]:
                    bits.append(matrix[row][column] ^ _MASKS[mask](row, column))
        right -= 2
    codewords = [
        int("".join(map(str, bits[i : i + 8])), 2)
        for i in range(0, _TOTAL_CODEWORDS[version] * 8, 8)
    ]
    blocks: list[list[int]] = [[] for _ in _BLOCKS[version][level]]
    feed = iter(codewords)
    for index in range(max(_BLOCKS[version][level])):
        for block, length in zip(blocks, _BLOCKS[version][level], strict=True):
            if index < length:
                block.append(next(feed))
    stream = "".join(f"{byte:08b}" for block in blocks for byte in block)
    return _segments(stream)


def _format(matrix: list[list[int]]) -> tuple[str, int]:
    """Error correction level and mask, from the format bits beside the top-left finder."""
    places = (
        [(i, 8) for i in range(6)] + [(7, 8), (8, 8), (8, 7)] + [(8, 14 - i) for i in range(9, 15)]
    )
    bits = sum(matrix[r][c] << i for i, (r, c) in enumerate(places)) ^ 0x5412
    data = bits >> 10
    remainder = data
    for _ in range(10):
        remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537)
    assert (data << 10 | remainder) == bits, "the format information fails its BCH check"
    return _LEVELS[data >> 3], data & 7


def _function_modules(size: int, version: int) -> list[list[bool]]:
    """Finders with separators and format areas, timing patterns, the alignment pattern."""
    marked = [[False] * size for _ in range(size)]

    def mark(rows: range, columns: range) -> None:
        for r in rows:
            for c in columns:
                marked[r][c] = True

    mark(range(9), range(9))
    mark(range(9), range(size - 8, size))
    mark(range(size - 8, size), range(9))
    mark(range(6, 7), range(size))
    mark(range(size), range(6, 7))
    if version >= 2:
        mark(range(size - 9, size - 4), range(size - 9, size - 4))
    return marked


def _segments(stream: str) -> str:
    text, position = "", 0

    def take(count: int) -> int:
        nonlocal position
        value = int(stream[position : position + count] or "0", 2)
        position += count
        return value

    while position + 4 <= len(stream):
        mode = take(4)
        if mode == 0b0000:
            break
        if mode == 0b0100:
            length = take(8)
            # ISO-8859-1, the standard's default without an ECI segment.
            text += bytes(take(8) for _ in range(length)).decode("latin-1")
        elif mode == 0b0010:
            length = take(9)
            for _ in range(length // 2):
                pair = take(11)
                text += _ALPHANUMERIC[pair // 45] + _ALPHANUMERIC[pair % 45]
            if length % 2:
                text += _ALPHANUMERIC[take(6)]
        elif mode == 0b0001:
            length = take(10)
            for width, digits in [(10, 3)] * (length // 3) + [((0, 0), (4, 1), (7, 2))[length % 3]]:
                if digits:
                    text += f"{take(width):0{digits}d}"
        else:
            raise AssertionError(f"unsupported segment mode {mode:04b}")
    return text
