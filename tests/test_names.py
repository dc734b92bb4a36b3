"""Full names: what members type on their phones, and what the register keeps."""

from __future__ import annotations

import pytest

from domain.names import MAX_LENGTH, NameProblem, NameResult, parse_full_name


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        # Typed as it should be: kept exactly.
        ("Arben Hoxha", "Arben Hoxha"),
        # All lower case, the usual phone habit: title-cased.
        ("arben hoxha", "Arben Hoxha"),
        # Caps lock with Albanian letters: Ç and Ë fold to lower case correctly.
        ("ÇELIKU ARBEN", "Çeliku Arben"),
        ("ËNGJËLL ÇELA", "Ëngjëll Çela"),
        # Mixed case is tidied word by word: a word in one case is title-cased...
        ("arben HOXHA", "Arben Hoxha"),
        ("Ëngjëll ÇELA", "Ëngjëll Çela"),
        ("Arben hoxha", "Arben Hoxha"),
        # ...and so is one that starts with a small letter, whatever follows.
        ("aRBEN hoxha", "Arben Hoxha"),
        # A capital first with small letters after it is a real spelling: kept.
        ("Arben McDonald", "Arben McDonald"),
        ("ARBEN McDonald", "Arben McDonald"),
        ("Marco DeLuca", "Marco DeLuca"),
        ("Jeronim de Rada", "Jeronim de Rada"),
        # A particle the member capitalised stays so (the usual spelling of De Rada).
        ("Jeronim De Rada", "Jeronim De Rada"),
        # A particle in capitals is written small.
        ("Jeronim DE Rada", "Jeronim de Rada"),
        # Each part of a hyphenated name on its own.
        ("mary-JANE smith", "Mary-Jane Smith"),
        ("Mary-jane Smith", "Mary-Jane Smith"),
        # After an apostrophe: a one-letter prefix takes a capital behind it.
        ("patrick o'BRIEN", "Patrick O'Brien"),
        # A surname particle stays lower case when we title-case.
        ("JERONIM DE RADA", "Jeronim de Rada"),
        # ...but not as the first or last word, where it is a name itself.
        ("de rada", "De Rada"),
        # Irish and Italian apostrophes: capital after a one-letter prefix.
        ("o'brien patrick", "O'Brien Patrick"),
        ("D’ANGELO MARCO", "D'Angelo Marco"),
        # An apostrophe inside a longer word (Arabic transliteration) does not capitalise.
        ("ma'mun ali", "Ma'mun Ali"),
        # Hyphenated names: each part capitalised; spaces around the hyphen removed.
        ("MARY-JANE SMITH", "Mary-Jane Smith"),
        ("Mary - Jane Smith", "Mary-Jane Smith"),
        # Autocorrect dashes become hyphens.
        ("Mary–Jane Smith", "Mary-Jane Smith"),
        # Curly and back-tick apostrophes become a plain one.
        ("Patrick O’Brien", "Patrick O'Brien"),
        ("Patrick O`Brien", "Patrick O'Brien"),
        # Extra and odd whitespace collapses.
        ("  Arben \t  Hoxha  ", "Arben Hoxha"),
        ("Arben\u00a0Hoxha", "Arben Hoxha"),
        # Invisible bidi marks phones insert are dropped; a zero-width space splits words.
        ("\u200fArben Hoxha", "Arben Hoxha"),
        ("Arben\u200bHoxha", "Arben Hoxha"),
        # Decomposed input (e + combining diaeresis) is stored composed (NFC).
        ("Ënge\u0308ll Hoxha", "Ëngëll Hoxha"),
        # Father's initial, the Albanian habit; a glued initial is spaced.
        ("Arben B. Hoxha", "Arben B. Hoxha"),
        ("arben b.hoxha", "Arben B. Hoxha"),
        # Other scripts: Greek (with final sigma), Cyrillic, Arabic, Chinese.
        ("ΓΙΏΡΓΟΣ ΠΑΠΑΔΌΠΟΥΛΟΣ", "Γιώργος Παπαδόπουλος"),
        ("иван петров", "Иван Петров"),
        ("محمد علي", "محمد علي"),
        ("王 伟", "王 伟"),
        # One-letter words count as words (the minimum is three characters in all).
        ("A B", "A B"),
        # Three names is fine.
        ("arben bujar hoxha", "Arben Bujar Hoxha"),
    ],
)
def test_accepted_names(typed: str, kept: str) -> None:
    assert parse_full_name(typed) == NameResult(value=kept, error=None)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        # Nothing typed.
        ("", NameProblem.EMPTY),
        ("   \n ", NameProblem.EMPTY),
        # Only invisible characters.
        ("\u200e\u200f", NameProblem.EMPTY),
        # A single name: the register needs name and surname.
        ("Arben", NameProblem.ONE_WORD),
        # Spaces around a hyphen are removed, which leaves one double-barrelled word.
        ("Arben - Hoxha", NameProblem.ONE_WORD),
        # An initial is not a first name.
        ("A. Hoxha", NameProblem.ONE_WORD),
        ("A. B. Hoxha", NameProblem.ONE_WORD),
        # Too short to be a name at all.
        ("Ab", NameProblem.TOO_SHORT),
        ("A", NameProblem.TOO_SHORT),
        # Over the limit.
        ("Arben " + "x" * MAX_LENGTH, NameProblem.TOO_LONG),
        # Digits, also of other scripts and superscripts.
        ("Arben Hoxha2", NameProblem.HAS_DIGITS),
        ("Arben Hoxha ٣", NameProblem.HAS_DIGITS),
        ("Arben Hoxha²", NameProblem.HAS_DIGITS),
        # Digits win over symbols: the more specific message.
        ("Arben #2", NameProblem.HAS_DIGITS),
        # Emoji and symbols.
        ("Arben 😀 Hoxha", NameProblem.HAS_SYMBOLS),
        ("Arben_Hoxha", NameProblem.HAS_SYMBOLS),
        ("Arben, Hoxha", NameProblem.HAS_SYMBOLS),
        ("Arben@Hoxha", NameProblem.HAS_SYMBOLS),
        ("<b>Arben</b> Hoxha", NameProblem.HAS_SYMBOLS),
        # A dot that is not an initial's.
        ("Dr. Hoxha", NameProblem.HAS_SYMBOLS),
        ("arben.hoxha", NameProblem.HAS_SYMBOLS),
        ("A.. Hoxha", NameProblem.HAS_SYMBOLS),
        # Hyphens or apostrophes at a word's edge, or doubled.
        ("Arben Hoxha-", NameProblem.HAS_SYMBOLS),
        ("-Arben Hoxha", NameProblem.HAS_SYMBOLS),
        ("Mary--Jane Smith", NameProblem.HAS_SYMBOLS),
        ("Arben 'Hoxha", NameProblem.HAS_SYMBOLS),
        ("O''Brien Patrick", NameProblem.HAS_SYMBOLS),
    ],
)
def test_refused_names(typed: str, problem: NameProblem) -> None:
    result = parse_full_name(typed)
    assert result == NameResult(value=None, error=problem)
    assert not result.ok


def test_length_limits_are_inclusive() -> None:
    # Exactly MAX_LENGTH characters is accepted, one more is not.
    longest = "Arben X" + "x" * (MAX_LENGTH - 7)
    assert parse_full_name(longest).value == longest
    assert parse_full_name(longest + "x").error is NameProblem.TOO_LONG


def test_problems_are_machine_codes() -> None:
    # Handlers map these stable strings to translated messages.
    assert {problem.value for problem in NameProblem} == {
        "empty",
        "too_short",
        "too_long",
        "one_word",
        "has_digits",
        "has_symbols",
    }


def test_search_queries_read_a_phone_or_words_of_a_name() -> None:
    from domain.search import SearchQuery, read_query

    assert read_query("069 212 3456") == SearchQuery(phone_e164="+355692123456")
    assert read_query("  Arbën   HOXHA ") == SearchQuery(words=("arben", "hoxha"))
    assert read_query("a") == SearchQuery()  # one letter finds too much: asked again
    assert read_query("12") == SearchQuery()  # not a number, not a name
    assert read_query("a b c d e f g h").empty
    assert len(read_query("ab cd ef gh ij").words) == 4
