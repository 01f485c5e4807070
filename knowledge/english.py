"""Whether a word is correctly spelt English, so the spelling corrector leaves real words alone.

Without this, a word the knowledge base does not use was "corrected" to the nearest word it does: "point"
became "joint", "blood" became "flood", "bring" became "burning", so "can I bring kratom on a plane" was
matched to the neuropathy snippet. A real word the snippets do not use is an unknown word (and counts
against a match), not a typo. The word list is pyspellchecker's English frequency list (about 160,000
words built from subtitles and checked against dictionaries); it holds real words, not their common
misspellings ("seratonin", "fibromialgia" and "alot" are not in it).

Kept as a sorted array of 32-bit CRCs rather than a set of strings: about 0.6 MB instead of 15 MB, which
matters beside a 10,000-snippet index. A CRC collision can only make a misspelling count as a real word
(left uncorrected), with a chance of about 1 in 27,000 per misspelling.
"""

from __future__ import annotations

import gzip
import re
import zlib
from array import array
from bisect import bisect_left
from functools import cache
from importlib.resources import files

_WORD_LIST = ("spellchecker", "resources/en.json.gz")  # {"word": count, ...}
_ENTRY = re.compile(rb'"([^"\\]+)":')


@cache
def load() -> array:
    """The word list's sorted CRCs, read once. Call it before building a large index: reading takes about
    10 MB for a moment, which is then free for the index instead of adding to the process's peak."""
    package, path = _WORD_LIST
    data = gzip.decompress(files(package).joinpath(path).read_bytes())
    table = array("I", sorted(zlib.crc32(entry.group(1)) for entry in _ENTRY.finditer(data)))
    if not table:
        raise RuntimeError(f"the English word list in {package} ({path}) is empty or unreadable")
    return table


def is_english(word: str) -> bool:
    """True when `word` (folded, lower case) is in the English word list."""
    table = load()
    crc = zlib.crc32(word.encode())
    index = bisect_left(table, crc)
    return index < len(table) and table[index] == crc
