"""What an officer typed into /kerko: a phone number, or words of a name."""

from __future__ import annotations

from dataclasses import dataclass

from domain.phones import PhoneStatus, parse_phone
from domain.text import fold_name

MAX_WORDS = 4
MIN_WORD = 2
MAX_QUERY = 128


@dataclass(frozen=True)
class SearchQuery:
    phone_e164: str | None = None
    # Folded words; each must begin a word of the name («ar hox» finds «Arbën Hoxha»).
    words: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return self.phone_e164 is None and not self.words


def read_query(text: str) -> SearchQuery:
    """A number (as members type them: 069 123 4567) or up to four words of a name."""
    text = text.strip()[:MAX_QUERY]
    if any(ch.isdigit() for ch in text):
        phone = parse_phone(text)
        if phone.e164 is not None and phone.status is not PhoneStatus.INVALID:
            return SearchQuery(phone_e164=phone.e164)
        return SearchQuery()
    words = tuple(w for w in fold_name(text).split(" ") if len(w) >= MIN_WORD)
    return SearchQuery(words=words[:MAX_WORDS])
