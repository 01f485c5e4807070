"""Text normalisation shared by the matcher and the guardrails, written once.

`fold` gives the canonical form of any text: Unicode NFKC, zero-width and control characters removed,
look-alike letters (Cyrillic, Greek) mapped to Latin, typographic quotes and dashes made plain, case
folded and whitespace collapsed. The matcher tokenises and stems folded text; the guardrails also undo
leetspeak and spaced-out letters, which would damage ordinary matching (numbers, short words).
"""

from __future__ import annotations

import re
import unicodedata
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

_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
)

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Runs of three or more single letters separated by spaces, dots or dashes: "m u c h", "d.o.s.e".
_SPACED_LETTERS = re.compile(r"\b(?:[a-z0-9][ .\-_*]+){2,}[a-z0-9]\b")

_stemmer = snowballstemmer.stemmer("english")


def fold(text: str) -> str:
    """Canonical, case-folded form of `text` with whitespace collapsed."""
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


def despace(folded: str) -> str:
    """Join letters spelled out one at a time: "m u c h" -> "much"."""
    return _SPACED_LETTERS.sub(lambda m: re.sub(r"[ .\-_*]+", "", m.group(0)), folded)


def deleet(folded: str) -> str:
    """Undo leetspeak inside words ("d0se" -> "dose"); standalone numbers are left as they are."""
    return re.sub(
        r"[a-z0-9@$!]+",
        lambda m: m.group(0).translate(_LEET) if re.search(r"[a-z]", m.group(0)) else m.group(0),
        folded,
    )


def canonical_question(text: str) -> str:
    """The grouping key for a logged question: folded words joined by single spaces."""
    return " ".join(words(text))
