"""Synthetic knowledge bases of any size, generated deterministically from the real snippets.

The shipped snippets come first, unchanged. Copies follow, round-robin over the real snippets, each with
a unique id (`f"{id}-{n}"`) and its own phrasings: word-level variations of the original questions, title,
answer and keywords (synonym swaps, dropped and added words, a filler word, words mixed in from other
snippets) and a few invented rare words, so that the vocabulary grows with the size as a real larger
knowledge base's would. Same seed, same output. The loader's article-quote validation does not apply:
the snippets are built directly and handed to `KnowledgeBase(sources, snippets)`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import replace

from knowledge.models import Snippet

SEED = 20240605

# Word-level swaps; each also maps back, so swapped phrasings stay close to how members write.
_SWAPS = {
    "medication": ("meds", "medicine", "drugs"),
    "doctor": ("doc", "physician", "gp"),
    "fibromyalgia": ("fibro",),
    "affect": ("impact", "change", "influence"),
    "cause": ("lead to", "trigger", "bring on"),
    "help": ("relieve", "ease", "aid"),
    "long-term": ("chronic", "lasting", "ongoing"),
    "chronic": ("long-term", "persistent", "ongoing"),
    "effects": ("effect", "impact", "results"),
    "high": ("elevated", "raised"),
    "low": ("reduced", "decreased"),
    "levels": ("amounts", "concentrations"),
    "risk": ("danger", "chance", "hazard"),
    "safe": ("harmless", "okay"),
    "work": ("act", "function", "operate"),
    "body": ("system", "organism"),
    "brain": ("mind", "nervous system"),
    "take": ("use", "consume"),
    "use": ("take", "consume"),
    "pain": ("ache", "aches", "discomfort"),
    "kratom": ("kratom leaf", "kratom powder", "mitragyna"),
    "relief": ("relieving", "easing", "reduction"),
    "does": ("can", "will"),
    "what": ("which", "whats"),
    "is": ("are", "was"),
    "symptoms": ("signs", "sx"),
    "addictive": ("habit forming", "addicting"),
    "mood": ("feelings", "emotions"),
    "sleep": ("rest", "insomnia"),
    "side": ("adverse",),
}
_FILLERS = ("actually", "basically", "really", "honestly", "please", "exactly", "generally", "tbh", "pls")
_SYLLABLES = (
    "zor", "vex", "qua", "lim", "tra", "nox", "bel", "dru", "kan", "mir", "pho", "sil", "tev", "ul",
    "gra", "yen", "cor", "dax", "fen", "hul", "jor", "ket", "lun", "mab", "nir", "opa", "ris", "sut",
)  # fmt: skip
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")


def rare_words(count: int, seed: int = SEED) -> list[str]:
    """`count` distinct invented words ("zorveqa", "limtranox", ...), the same ones for the same seed."""
    rng = random.Random(f"{seed}:rare")
    out: dict[str, None] = {}
    while len(out) < count:
        out["".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(3, 4)))] = None
    return list(out)


def _vary(text: str, rng: random.Random, own: Sequence[str], mix: Sequence[str], rare: Sequence[str], *,
          strength: float) -> str:  # fmt: skip
    """One deterministic word-level variation of `text`; `strength` scales how likely each change is."""
    tokens = text.split()
    out = []
    for token in tokens:
        bare = token.lower().strip("?.,!")
        if bare in _SWAPS and rng.random() < 0.45 * strength:
            token = rng.choice(_SWAPS[bare])
        out.append(token)
    if len(out) > 3 and rng.random() < 0.35 * strength:  # drop a word, never the first
        del out[rng.randrange(1, len(out))]
    if own and rng.random() < 0.35 * strength:  # add a word the snippet itself uses
        out.insert(rng.randrange(len(out) + 1), rng.choice(own))
    if rng.random() < 0.3 * strength:  # a filler word
        out.insert(rng.randrange(len(out) + 1), rng.choice(_FILLERS))
    if mix and rng.random() < 0.3 * strength:  # vocabulary from another snippet
        out.insert(rng.randrange(len(out) + 1), rng.choice(mix))
    if rare and rng.random() < 0.3 * strength:  # an invented rare word
        out.insert(rng.randrange(len(out) + 1), rng.choice(rare))
    return " ".join(out) or text


def _vocabulary(snippet: Snippet) -> list[str]:
    text = " ".join([snippet.title, *snippet.questions, *snippet.keywords, snippet.answer])
    return sorted({w.lower() for w in _WORD.findall(text) if len(w) > 3})


def synthesize(real: Sequence[Snippet], size: int, seed: int = SEED) -> list[Snippet]:
    """`size` snippets: the real ones, then varied copies with unique ids (no duplicates)."""
    real = list(real)
    if size <= len(real):
        return real[:size]
    vocab = [_vocabulary(s) for s in real]
    # About one invented word per four snippets, each shared by a handful of snippets.
    pool = rare_words(max(16, size // 4), seed)
    out = list(real)
    ids = {s.id for s in real}
    n = 0
    while len(out) < size:
        n += 1
        for index, base in enumerate(real):
            if len(out) >= size:
                break
            rng = random.Random(f"{seed}:{base.id}:{n}")
            other = vocab[rng.randrange(len(real))]
            rare = [rng.choice(pool) for _ in range(rng.randint(1, 3))]
            own = vocab[index]
            questions: dict[str, None] = {}
            for question in base.questions:
                questions.setdefault(_vary(question, rng, own, other, rare, strength=1.0), None)
            answer = _vary(base.answer, rng, own, other, rare, strength=0.6)
            if not answer.endswith((".", "!", "?")):
                answer += "."
            sid = f"{base.id}-{n}"
            assert sid not in ids, sid
            ids.add(sid)
            out.append(
                replace(
                    base,
                    id=sid,
                    title=_vary(base.title, rng, own, other, rare, strength=0.5),
                    questions=tuple(questions),
                    answer=answer,
                    keywords=(*base.keywords, *rare[:1]),
                    file=None,
                )
            )
    return out
