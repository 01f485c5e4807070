"""Text normalisation shared by the matcher and the guardrails, written once.

`fold` gives the canonical form of any text: Unicode NFKC, zero-width and control characters removed,
look-alike letters (Cyrillic, Greek) mapped to Latin, typographic quotes and dashes made plain, case
folded and whitespace collapsed. The matcher tokenises and stems folded text; the guardrails also undo
leetspeak and spaced-out letters, which would damage ordinary matching (numbers, short words).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection
from functools import lru_cache

import snowballstemmer

# Characters that render as nothing (or nearly) and are used to split words past a filter.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u034f"), None
)

# Letters from other scripts that look like Latin ones; NFKC leaves these alone.
_LOOKALIKES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "с": "c", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j",
        "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "ѕ": "s", "т": "t", "у": "y", "х": "x",
        "ԁ": "d", "ԛ": "q", "ԝ": "w", "ɡ": "g",
        # Greek
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
        "τ": "t", "υ": "u", "χ": "x", "ω": "w", "μ": "u",
        # Typography
        "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'", "´": "'",
        "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"',
        "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-",
    }
)  # fmt: skip

# Cyrillic letters read by sound rather than by shape ("р" is "r", not "p"): a second reading that the
# guardrails also check, since people who type look-alikes do not agree on which Latin letter they mean.
_CYRILLIC_SOUNDS = str.maketrans(
    {
        "р": "r", "н": "n", "в": "v", "у": "u", "х": "h", "с": "s", "к": "k", "т": "t", "м": "m",
        "г": "g", "д": "d", "л": "l", "п": "p", "и": "i", "з": "z", "б": "b", "ф": "f", "ь": "", "ъ": "",
    }
)  # fmt: skip

_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
)

_SPACE = re.compile(r"\s+")
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Runs of three or more single letters separated by spaces, dots or dashes: "m u c h", "d.o.s.e".
_SPACED_LETTERS = re.compile(r"\b(?:[a-z0-9][ .\-_*]+){2,}[a-z0-9]\b")

_stemmer = snowballstemmer.stemmer("english")


def fold(text: str) -> str:
    """Canonical, case-folded form of `text` with whitespace collapsed."""
    if text.isascii():  # the common case, and NFKC leaves ASCII alone: skip the per-character pass
        text = _ASCII_CONTROL.sub(" ", text)
    else:
        text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
        text = "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\n\t" else " " for ch in text)
    # Fold case before look-alikes so upper-case Cyrillic/Greek letters are covered by the lower-case map.
    text = text.casefold().translate(_LOOKALIKES)
    return _SPACE.sub(" ", text).strip()


def words(text: str) -> list[str]:
    """Folded words of `text`: letters and digits, with an apostrophe suffix kept ("don't", "it's")."""
    return _WORD.findall(fold(text))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def despace(folded: str, split: Callable[[str], str] | None = None) -> str:
    """Join letters spelled out one at a time: "m u c h" -> "much".

    A run of spelled-out letters often holds several words ("h o w m u c h"); `split`, if given, is applied
    to each joined run and may cut it back into words (see `segment`).
    """

    def join(match: re.Match[str]) -> str:
        run = re.sub(r"[ .\-_*]+", "", match.group(0))
        return split(run) if split is not None else run

    return _SPACED_LETTERS.sub(join, folded)


def segment(run: str, vocabulary: Collection[str], max_word: int = 16) -> str:
    """Cut `run` into the fewest words of `vocabulary` ("howmuch" -> "how much"), or return it unchanged."""
    if run in vocabulary or not run:
        return run
    n = len(run)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for end in range(1, n + 1):
        for start in range(max(0, end - max_word), end):
            head = best[start]
            if head is not None and run[start:end] in vocabulary:
                candidate = [*head, run[start:end]]
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    words_found = best[n]
    return " ".join(words_found) if words_found else run


_REPEATS = re.compile(r"([a-z])\1{2,}")


def squeeze(folded: str) -> str:
    """Collapse a letter repeated three or more times: "muchhhh" -> "much", "pleeease" -> "please"."""
    return _REPEATS.sub(r"\1", folded)


def deleet(folded: str) -> str:
    """Undo leetspeak inside words ("d0se" -> "dose"); standalone numbers are left as they are."""
    return re.sub(
        r"[a-z0-9@$!]+",
        lambda m: m.group(0).translate(_LEET) if re.search(r"[a-z]", m.group(0)) else m.group(0),
        folded,
    )


def has_cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


def transliterate(text: str) -> str:
    """`fold`, reading Cyrillic letters by their sound: "gр\u0430ms" -> "grams" (fold alone gives "gpams")."""
    return fold(unicodedata.normalize("NFKC", text).casefold().translate(_CYRILLIC_SOUNDS))


def canonical_question(text: str) -> str:
    """The grouping key for a logged question: folded words joined by single spaces."""
    return " ".join(words(text))
