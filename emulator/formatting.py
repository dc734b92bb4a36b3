"""Telegram's parse_mode handling: markup in, plain text plus MessageEntity dicts out.

Telegram rejects malformed markup with 400 "can't parse entities", which is the classic bug of
putting an unescaped member name into HTML. Reproducing that here lets tests catch it offline,
and returning the plain text is what makes ``SentMessage.text`` read like the user's screen.
Offsets and lengths are in UTF-16 code units, as the Bot API counts them.
"""

from __future__ import annotations

import re
from typing import Any

Entity = dict[str, Any]


class EntityParseError(ValueError):
    """Markup Telegram would refuse; the message becomes the 400 description."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (emoji outside the BMP count twice)."""
    return len(text.encode("utf-16-le")) // 2


def render(text: str, parse_mode: str | None) -> tuple[str, list[Entity]]:
    """Parse ``text`` according to ``parse_mode`` (None, HTML, MarkdownV2 or Markdown)."""
    mode = (parse_mode or "").lower()
    if not mode:
        return text, []
    if mode == "html":
        return _HtmlParser(text).parse()
    if mode == "markdownv2":
        return _MarkdownParser(text, v2=True).parse()
    if mode == "markdown":
        return _MarkdownParser(text, v2=False).parse()
    raise EntityParseError(f"Unsupported parse_mode {parse_mode!r}")


class _Builder:
    """Accumulates plain text and tracks UTF-16 positions for entities."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.entities: list[Entity] = []

    def add(self, chunk: str) -> None:
        self.parts.append(chunk)
        self.pos += utf16_len(chunk)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        if self.pos > start:
            self.entities.append(
                {"type": kind, "offset": start, "length": self.pos - start, **extra}
            )

    def result(self) -> tuple[str, list[Entity]]:
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), self.entities


_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_ATTR = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_CHAR_REF = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class _HtmlParser:
    """Telegram's HTML subset: only the documented tags, and every tag must be closed."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.out = _Builder()
        self.stack: list[tuple[str, int, dict[str, str]]] = []

    def _offset(self, index: int) -> int:
        return len(self.text[:index].encode())

    def parse(self) -> tuple[str, list[Entity]]:
        text, i = self.text, 0
        while i < len(text):
            char = text[i]
            if char == "<":
                i = self._tag(i)
            elif char == "&":
                match = _CHAR_REF.match(text, i)
                if match is None:
                    self.out.add("&")
                    i += 1
                    continue
                ref = match.group(1)
                if ref in _NAMED:
                    self.out.add(_NAMED[ref])
                else:
                    code = int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:])
                    self.out.add(chr(code) if 0 < code <= 0x10FFFF else match.group(0))
                i = match.end()
            else:
                end = min((j for j in (text.find("<", i), text.find("&", i)) if j >= 0), default=-1)
                end = len(text) if end < 0 else end
                self.out.add(text[i:end])
                i = end
        if self.stack:
            name = self.stack[-1][0]
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{name}"')
        return self.out.result()

    def _tag(self, start: int) -> int:
        close = self.text.find(">", start)
        if close < 0:
            raise EntityParseError(f"Unclosed start tag at byte offset {self._offset(start)}")
        body = self.text[start + 1 : close].strip()
        if body.startswith("/"):
            name = body[1:].strip().lower()
            if not self.stack or self.stack[-1][0] != name:
                expected = f'"</{self.stack[-1][0]}>"' if self.stack else "no end tag"
                raise EntityParseError(
                    f"Unmatched end tag at byte offset {self._offset(start)}, "
                    f'expected {expected}, found "</{name}>"'
                )
            self._close(*self.stack.pop())
            return close + 1
        name_match = re.match(r"[\w-]+", body)
        name = name_match.group(0).lower() if name_match else ""
        attrs = {
            match.group(1).lower(): next(g for g in match.groups()[1:] if g is not None)
            for match in _ATTR.finditer(body[len(name) :])
        }
        if name not in _HTML_TAGS or (name == "span" and attrs.get("class") != "tg-spoiler"):
            raise EntityParseError(
                f'Unsupported start tag "{name}" at byte offset {self._offset(start)}'
            )
        self.stack.append((name, self.out.pos, attrs))
        return close + 1

    def _close(self, name: str, start: int, attrs: dict[str, str]) -> None:
        kind = _HTML_TAGS[name]
        if kind == "text_link":
            self.out.entity(kind, start, url=attrs.get("href", ""))
        elif kind == "custom_emoji":
            self.out.entity(kind, start, custom_emoji_id=attrs.get("emoji-id", ""))
        elif kind == "code" and self.stack and self.stack[-1][0] == "pre":
            language = attrs.get("class", "")
            if language.startswith("language-"):
                self.stack[-1][2]["language"] = language.removeprefix("language-")
            else:
                self.out.entity(kind, start)
        elif kind == "pre" and "language" in attrs:
            self.out.entity(kind, start, language=attrs["language"])
        else:
            self.out.entity(kind, start)


_V2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_V2_MARKERS = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler"}
_V1_MARKERS = {"*": "bold", "_": "italic"}
_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
}


class _MarkdownParser:
    """MarkdownV2 (strict escaping) and legacy Markdown (lenient), as the Bot API documents."""

    def __init__(self, text: str, *, v2: bool) -> None:
        self.text = text
        self.v2 = v2
        self.out = _Builder()
        self.open: list[tuple[str, int, int]] = []  # marker, utf16 start, source index

    def _offset(self, index: int) -> int:
        return len(self.text[:index].encode())

    def parse(self) -> tuple[str, list[Entity]]:
        text, i = self.text, 0
        markers = _V2_MARKERS if self.v2 else _V1_MARKERS
        while i < len(text):
            char = text[i]
            if char == "\\" and i + 1 < len(text) and (self.v2 or text[i + 1] in "_*`["):
                self.out.add(text[i + 1])
                i += 2
            elif char == ">" and self.v2 and (i == 0 or text[i - 1] == "\n"):
                i = self._quote(i)
            elif char == "`":
                i = self._code(i)
            elif char == "[":
                i = self._link(i)
            elif text.startswith(("__", "||"), i) and self.v2:
                i = self._toggle(text[i : i + 2], i)
            elif char in markers:
                i = self._toggle(char, i)
            elif self.v2 and char in _V2_RESERVED:
                raise EntityParseError(
                    f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
                )
            else:
                self.out.add(char)
                i += 1
        if self.open:
            marker, _, index = self.open[-1]
            raise EntityParseError(self._unclosed(markers[marker], index))
        return self.out.result()

    def _unclosed(self, kind: str, index: int) -> str:
        if self.v2:
            return f"Can't find end of {_NAMES.get(kind, kind)} entity at byte offset {index}"
        return f"Can't find end of the entity starting at byte offset {self._offset(index)}"

    def _toggle(self, marker: str, i: int) -> int:
        markers = _V2_MARKERS if self.v2 else _V1_MARKERS
        if self.open and self.open[-1][0] == marker:
            _, start, _ = self.open.pop()
            self.out.entity(markers[marker], start)
        elif any(m == marker for m, _, _ in self.open):
            raise EntityParseError(self._unclosed(markers[marker], self._offset(i)))
        else:
            self.open.append((marker, self.out.pos, self._offset(i)))
        return i + len(marker)

    def _literal_until(self, i: int, end_marker: str) -> tuple[str, int]:
        """Raw content up to ``end_marker``; inside code only ` and \\ are escapable."""
        chunk: list[str] = []
        text = self.text
        while i < len(text):
            if text.startswith(end_marker, i):
                return "".join(chunk), i + len(end_marker)
            if self.v2 and text[i] == "\\" and i + 1 < len(text):
                chunk.append(text[i + 1])
                i += 2
                continue
            chunk.append(text[i])
            i += 1
        raise EntityParseError(self._unclosed("code", self._offset(i)))

    def _code(self, i: int) -> int:
        start = self.out.pos
        if self.text.startswith("```", i):
            body, end = self._literal_until(i + 3, "```")
            language, newline, rest = body.partition("\n")
            if newline and language and re.fullmatch(r"[\w+-]+", language):
                self.out.add(rest)
                self.out.entity("pre", start, language=language)
            else:
                self.out.add(body)
                self.out.entity("pre", start)
            return end
        body, end = self._literal_until(i + 1, "`")
        self.out.add(body)
        self.out.entity("code", start)
        return end

    def _quote(self, i: int) -> int:
        """A ``>`` line is a blockquote; its content is ordinary MarkdownV2."""
        end = self.text.find("\n", i)
        end = len(self.text) if end < 0 else end
        plain, entities = _MarkdownParser(self.text[i + 1 : end], v2=True).parse()
        start = self.out.pos
        self.out.add(plain)
        for entity in entities:
            self.out.entities.append({**entity, "offset": entity["offset"] + start})
        self.out.entity("blockquote", start)
        return end

    def _link(self, i: int) -> int:
        close = self.text.find("](", i)
        end = self.text.find(")", close + 2) if close >= 0 else -1
        if close < 0 or end < 0:
            if self.v2:
                raise EntityParseError("Can't find end of a url at byte offset " + str(i))
            self.out.add("[")
            return i + 1
        label = _MarkdownParser(self.text[i + 1 : close], v2=self.v2).parse()[0]
        start = self.out.pos
        self.out.add(label)
        url = self.text[close + 2 : end].replace("\\)", ")").replace("\\\\", "\\")
        self.out.entity("text_link", start, url=url)
        return end + 1
