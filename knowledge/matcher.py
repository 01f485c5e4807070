"""Match a member's question to the curated snippet whose alternate phrasings it resembles most.

Scoring: the question and every curated phrasing become sets of content terms (folded words, stop words
removed, synonyms mapped, stemmed; misspellings corrected with rapidfuzz against the knowledge base's own
vocabulary, though a real English word is never "corrected"). A phrasing's similarity to the question is
the IDF-weighted F-measure of the two sets. Words no snippet contains weigh more than the rarest known
word, so a question about an uncovered topic ("does kratom cause liver damage?") cannot ride on one shared
word; words outside the sentence that asks ("My mum has had arthritis for years. ...") count less. A
snippet's score is its best phrasing's similarity, blended with how much of the question the snippet's
whole vocabulary (phrasings, answer text, title and keywords) covers. `Thresholds` then decides: answer,
ambiguous ("Did you mean ...?"), or no match.

Speed: inverted indexes from term to phrasings and to snippets give the candidates, and shared weights
are accumulated term by term; nothing else is scored. Terms in more than a tenth of the snippets
("kratom", "pain", "doctor") do not open the indexes: they add to candidates a rarer term found, and the
ones in the sentence that asks bring in only their few lightest phrasings. Each phrasing and snippet keeps
its common terms as bits of one integer, so adding them is one `&` per candidate (and no per-phrasing term
sets are kept after the build). A snippet can score no more than its coverage
allows, so snippets are scored best-covered first and the search stops once that bound falls below the
last of the best scores found: at 10,000 snippets most candidates are never scored.
"""

from __future__ import annotations

import heapq
import itertools
import math
import re
from array import array
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from knowledge import english
from knowledge.errors import KnowledgeError, Problem
from knowledge.models import Snippet
from knowledge.text import stem, words

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.yaml")
MAX_QUERY_TERMS = 48  # a 10,000-character message is scored on its first distinct terms only
MIN_CORRECTABLE_LENGTH = 4  # shorter words are too ambiguous to correct ("cbd" -> "cbt")
CORRECTION_CUTOFF = 80.0  # rapidfuzz ratio a misspelling needs to be read as a known word
STOPWORD_CORRECTION_CUTOFF = 90.0  # stricter: "shoud" is "should", but "heart" is not "hear"
COMMON_TERM_SHARE = 0.1  # terms in more than this share of snippets do not open the candidate index
BOUND_SLACK = 1e-9  # float rounding: a bound equal to a score must not end the search
COMMON_TERM_PHRASINGS = 32  # the lightest phrasings holding it that an asking common term brings in


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a match is good enough to answer with.

    `answer`: the least score answered; `margin`: how far the best snippet must lead the runner-up. A long
    message scores lower for the same fit (every story word it tells counts against it), so beyond
    `long_after` distinct terms the bars fall by `long_step` per term, never below `long_floor`; but not
    when the sentences that ask hold a word no snippet knows, the mark of a topic the articles do not cover
    ("... my pain is better, but is kratom hard on the liver?"). Calibrated by tools/calibrate.py on
    tests/data/calibration.yaml and tests/data/tuning.yaml (see README, "Matcher calibration"), questions
    written without sight of the curated phrasings; the held-out and development sets are only checked.
    """

    answer: float = 0.41
    margin: float = 0.01
    suggest: float = 0.3  # the least score offered as a "Did you mean ...?" suggestion
    long_after: int = 10
    long_step: float = 0.04
    long_floor: float = 0.2

    def relief(self, terms: int, asks_unknown: bool) -> float:
        """How far the bars fall for a question of `terms` distinct terms."""
        if asks_unknown:
            return 0.0
        longer = max(0, terms - self.long_after)
        return max(0.0, min(self.long_step * longer, self.answer - self.long_floor))

    def bar(self, terms: int, asks_unknown: bool) -> float:
        """The least score answered for such a question."""
        return self.answer - self.relief(terms, asks_unknown)

    def answers(self, score: float, lead: float, terms: int, asks_unknown: bool) -> bool:
        return score >= self.bar(terms, asks_unknown) and lead >= self.margin


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True, slots=True)
class MatchWeights:
    """How a snippet's score is made; calibrated with the thresholds (tools/calibrate.py).

    `coverage`: the share of the score given to how much of the question the snippet's whole vocabulary
    (phrasings, answer text, title, keywords) covers; the rest is the best phrasing's similarity.
    `unknown`: the weight of a word no snippet uses, relative to the rarest word the knowledge base knows.
    `recall`: the beta of the F-measure between question and phrasing: above 1, covering the phrasing
    counts more than covering the question (members add context words); 1 is the Dice coefficient.
    """

    coverage: float = 0.7
    unknown: float = 2.0
    recall: float = 1.5
    context: float = 0.2


DEFAULT_WEIGHTS = MatchWeights()


@dataclass(frozen=True, slots=True)
class Candidate:
    snippet: Snippet
    score: float


@dataclass(frozen=True, slots=True)
class Match:
    """The ranked candidates for one question, best first (at most three)."""

    candidates: tuple[Candidate, ...]
    # The question's distinct terms, and whether its asking sentences hold a word no snippet knows: long
    # messages are held to lower bars unless they ask about an unknown word (`Thresholds`).
    terms: int = 0
    asks_unknown: bool = False

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def score(self) -> float:
        return self.candidates[0].score if self.candidates else 0.0

    @property
    def runner_up_score(self) -> float:
        return self.candidates[1].score if len(self.candidates) > 1 else 0.0

    @property
    def lead(self) -> float:
        """How far the best candidate's score is ahead of the runner-up's."""
        return self.score - self.runner_up_score

    def answer(self, thresholds: Thresholds) -> Snippet | None:
        """The snippet to answer with, if the best clears the threshold and leads by the margin."""
        if self.best and thresholds.answers(self.score, self.lead, self.terms, self.asks_unknown):
            return self.best.snippet
        return None

    def is_ambiguous(self, thresholds: Thresholds) -> bool:
        """More than one snippet fits about equally well."""
        return self.score >= thresholds.bar(self.terms, self.asks_unknown) and self.lead < thresholds.margin

    def suggestions(self, thresholds: Thresholds) -> tuple[Candidate, ...]:
        """The candidates worth offering as "Did you mean ...?" when the match is ambiguous."""
        if not self.is_ambiguous(thresholds):
            return ()
        least = thresholds.suggest - thresholds.relief(self.terms, self.asks_unknown)
        return tuple(c for c in self.candidates if c.score >= least)


@cache
def _vocabulary() -> tuple[frozenset[str], dict[str, str], frozenset[str]]:
    # Parsed once into a node tree: the data is built from it, and repeated keys are read off it.
    loader = yaml.SafeLoader(VOCABULARY_FILE.read_text(encoding="utf-8"))
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    stopwords, synonyms, compounds = data["stopwords"], data["synonyms"], data.get("compounds", [])
    # YAML reads bare on/off/yes/no/true/false as booleans: such a word must be quoted.
    problems = [
        Problem(str(VOCABULARY_FILE), None, field, f"{word!r} is not text (quote it)")
        for field, entries in (
            ("stopwords", stopwords),
            ("synonyms", [*synonyms, *synonyms.values()]),
            ("compounds", compounds),
        )
        for word in entries
        if not isinstance(word, str)
    ]
    problems += _repeated_synonyms(node)
    if problems:
        raise KnowledgeError(problems)
    return frozenset(stopwords), dict(synonyms), frozenset(compounds)


def _repeated_synonyms(document: yaml.MappingNode) -> list[Problem]:
    """A synonym listed twice: YAML would silently keep the last (curators add entries in parallel)."""
    section = next(value for key, value in document.value if key.value == "synonyms")
    seen: set[str] = set()
    problems = []
    for key, _ in section.value:
        if key.value in seen:
            line = key.start_mark.line + 1
            problems.append(
                Problem(str(VOCABULARY_FILE), None, "synonyms", f"{key.value!r} twice (line {line})")
            )
        seen.add(key.value)
    return problems


def _accumulate(postings: list[tuple[Sequence[int], float]]) -> dict[int, float]:
    """Each id's summed weight over (ids, weight) postings; the longest list is laid down in one call."""
    if not postings:
        return {}
    postings = sorted(postings, key=lambda posting: len(posting[0]), reverse=True)
    ids, weight = postings[0]
    total = dict.fromkeys(ids, weight)
    for ids, weight in postings[1:]:
        for i in ids:
            total[i] = total.get(i, 0.0) + weight
    return total


class WordsByLength:
    """Words for `fuzz.ratio` look-ups at a cut-off, grouped by the lengths that can reach it.

    A ratio of r% between lengths m <= n needs 2m / (m + n) >= r / 100, so a word of length n is only
    compared with words no longer than n·(200 - r)/r and no shorter than n·r/(200 - r): at 80, from two
    thirds to one and a half times its length. Each group keeps the words' order, so ties resolve as a
    scan of the whole list would.
    """

    def __init__(self, words: list[str], cutoff: float) -> None:
        self._words = words
        self._cutoff = cutoff
        self._stretch = (200 - cutoff) / cutoff
        self._groups: dict[int, list[str]] = {}

    def closest(self, word: str) -> str | None:
        """The first word with the highest ratio to `word` at or above the cut-off, if any."""
        length = len(word)
        group = self._groups.get(length)
        if group is None:
            low, high = length / self._stretch - 1e-9, length * self._stretch + 1e-9
            group = self._groups[length] = [w for w in self._words if low <= len(w) <= high]
        found = process.extractOne(word, group, scorer=fuzz.ratio, score_cutoff=self._cutoff)
        return found[0] if found else None


@cache
def _stopwords_near_length() -> WordsByLength:
    return WordsByLength(sorted(_vocabulary()[0]), STOPWORD_CORRECTION_CUTOFF)


def _joined_compounds(found: list[str], compounds: frozenset[str]) -> list[str]:
    """`found` with each pair of words that makes a listed compound joined: "well being" -> "wellbeing"."""
    out: list[str] = []
    for word in found:
        if out and out[-1] + word in compounds:
            out[-1] += word
        else:
            out.append(word)
    return out


def _plain_terms(text: str) -> list[str]:
    """Content words of `text`, synonyms mapped, not yet stemmed."""
    stopwords, synonyms, compounds = _vocabulary()
    out = []
    for word in _joined_compounds(words(text), compounds):
        for part in synonyms.get(word, word).split():
            if part not in stopwords:
                out.append(part.replace("'", ""))
    return out


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def _asking_sentences(text: str) -> list[str]:
    """The sentences of `text` that ask something: those ending in "?", else the last one."""
    sentences = [s for s in (part.strip() for part in _SENTENCE_END.split(text)) if s]
    asking = [s for s in sentences if s.endswith("?")]
    return asking or sentences[-1:]


def terms(text: str) -> frozenset[str]:
    """The stemmed content terms of curated text."""
    return frozenset(stem(word) for word in _plain_terms(text))


class Matcher:
    """An immutable index over a list of snippets and their phrasings; build once per load."""

    def __init__(
        self,
        snippets: Iterable[Snippet],
        learned: Iterable[tuple[str, str]] = (),
        weights: MatchWeights = DEFAULT_WEIGHTS,
    ) -> None:
        """`learned`: (snippet id, question) phrasings taught by moderators, matched like curated ones."""
        english.load()  # before the index, so its passing memory is reused rather than added on top
        self.snippets = tuple(snippets)
        self.by_id = {snippet.id: snippet for snippet in self.snippets}
        self.weights = weights
        phrasings: dict[str, list[str]] = {s.id: [s.title, *s.questions] for s in self.snippets}
        for snippet_id, question in learned:
            if snippet_id in phrasings:
                phrasings[snippet_id].append(question)

        # Vocabulary for spelling correction: every plain word any snippet uses, mapped to its stem.
        self._known_words: dict[str, str] = {}
        # Terms are kept as tuples while building (a third of a frozenset's memory: the build's peak is
        # the 10,000-snippet memory figure) and postings as arrays from the start.
        docs: list[tuple[list[tuple[str, ...]], tuple[str, ...]]] = []
        for snippet in self.snippets:
            texts = phrasings[snippet.id]
            context_text = " ".join([snippet.title, *snippet.keywords, snippet.answer])
            for word in _plain_terms(" ".join([*texts, context_text])):
                self._known_words.setdefault(word, stem(word))
            phrase_terms = [tuple(terms(t)) for t in texts]
            docs.append((phrase_terms, tuple(terms(context_text).union(*phrase_terms))))

        postings: dict[str, array[int]] = defaultdict(lambda: array("I"))
        for index, (_, context) in enumerate(docs):  # a snippet's context holds its phrasings' terms too
            for term in context:
                postings[term].append(index)
        self._postings = dict(postings)
        document_frequency = {term: len(ids) for term, ids in self._postings.items()}
        n = max(len(self.snippets), 1)
        self._idf = {term: math.log(1 + n / df) for term, df in document_frequency.items()}
        self._unknown_weight = weights.unknown * math.log(1 + n)
        # Common terms are bits of one integer, so a candidate's common terms are read with one `&`.
        common = sorted(term for term, df in document_frequency.items() if df > COMMON_TERM_SHARE * n)
        self._common_bit = {term: 1 << bit for bit, term in enumerate(common)}
        masks: dict[int, int] = {}  # one int object per distinct mask: most candidates share a few

        def common_mask(held: tuple[str, ...]) -> int:
            mask = sum(self._common_bit[term] for term in held if term in self._common_bit)
            return masks.setdefault(mask, mask)

        self._context_common = [common_mask(context) for _, context in docs]

        # Phrasing-level index, in parallel lists (compact, and quick to read in the scoring loop): each
        # phrasing's snippet, common terms and weight; postings from term to phrasings, lightest phrasing
        # first (for a given overlap, the lightest phrasing scores highest).
        self._phrase_snippet = array("I")
        self._phrase_start = array("I")  # snippet i's phrasings are ids _phrase_start[i] to [i + 1] - 1
        self._phrase_common: list[int] = []
        self._phrase_weight = array("d")
        phrase_postings: dict[str, array[int]] = defaultdict(lambda: array("I"))
        for index, (phrase_terms, _) in enumerate(docs):
            self._phrase_start.append(len(self._phrase_snippet))
            for phrase in filter(None, phrase_terms):
                for term in phrase:
                    phrase_postings[term].append(len(self._phrase_snippet))
                self._phrase_snippet.append(index)
                self._phrase_common.append(common_mask(phrase))
                self._phrase_weight.append(self._weight(phrase))
        self._phrase_start.append(len(self._phrase_snippet))
        self._lightest_phrasing = array(
            "d",
            (
                min(self._phrase_weight[start:end], default=math.inf)
                for start, end in itertools.pairwise(self._phrase_start)
            ),
        )
        self._phrase_postings = {
            term: array("I", sorted(ids, key=self._phrase_weight.__getitem__))
            for term, ids in phrase_postings.items()
        }
        self._words_near_length = WordsByLength(list(self._known_words), CORRECTION_CUTOFF)

    def _weight(self, query_terms: Iterable[str]) -> float:
        return sum(self._idf.get(term, self._unknown_weight) for term in query_terms)

    def query_terms(self, question: str) -> dict[str, float]:
        """The question's terms with their share of weight, misspellings corrected to known words.

        In a message of several sentences, words outside the asking sentences (those ending in "?", or
        the last one) are context ("my mum has arthritis..."): they count at the `context` weight, unless
        the asking sentences have no content words of their own ("Never heard of prolactin. What is it?").
        """
        plain = _plain_terms(question)
        # An asking sentence with no content words ("What is it?") leaves the topic to the context.
        focus = set(_plain_terms(" ".join(_asking_sentences(question)))) or set(plain)
        out: dict[str, float] = {}
        for word in dict.fromkeys(plain):
            if len(out) >= MAX_QUERY_TERMS:
                break
            share = 1.0 if word in focus else self.weights.context
            term = self._known_words.get(word) or stem(word)
            if term not in self._idf:
                if word.isdigit():
                    continue  # "3 months": a number the snippets never use is not a topic of its own
                if len(word) >= MIN_CORRECTABLE_LENGTH and not english.is_english(word):
                    corrected = self._correct(word)
                    if corrected == "":
                        continue
                    term = corrected or term
            out[term] = max(out.get(term, 0.0), share)
        return out

    def _correct(self, word: str) -> str | None:
        """The stem of the known word `word` misspells, "" for a misspelt stop word, None for neither.

        Only for words that are not English (knowledge/english.py): "blood" is not a misspelt "flood".
        """
        found = self._words_near_length.closest(word)
        if found:
            return self._known_words[found]
        # A misspelt stop word ("shoud") is dropped rather than counted as an unknown topic word.
        return "" if _stopwords_near_length().closest(word) else None

    def match(self, question: str, limit: int = 3) -> Match:
        query = self.query_terms(question)
        known = {term: self._idf[term] * share for term, share in query.items() if term in self._idf}
        asks_unknown = any(share == 1.0 and term not in self._idf for term, share in query.items())
        if not known:
            return Match((), len(query), asks_unknown)
        query_weight = sum(self._idf.get(term, self._unknown_weight) * share for term, share in query.items())
        phrase_snippet = self._phrase_snippet
        rare = [term for term in known if term not in self._common_bit]
        common = [term for term in known if term in self._common_bit]
        shared = _accumulate([(self._phrase_postings.get(term, ()), known[term]) for term in rare])
        covered = _accumulate([(self._postings[term], known[term]) for term in rare])
        # The asking sentence's common terms each bring in their lightest phrasings, so "a word with my GP
        # before trying kratom for my knees" reaches the snippets on doctors, not only those "knee" finds
        # (every common term does, when the question has no rare term and the asking sentence no common one).
        asking = [term for term in common if query[term] == 1.0]
        leads = asking or ([] if rare else common)
        if leads:
            brought = (self._phrase_postings.get(term, ())[:COMMON_TERM_PHRASINGS] for term in leads)
            joined = dict.fromkeys(itertools.chain.from_iterable(brought), 0.0)
            shared = joined | shared
            covered = dict.fromkeys(map(phrase_snippet.__getitem__, joined), 0.0) | covered

        # Common terms count only where a rare term or an asking common term led: the candidate's common bits
        # that the question has, each distinct set of them summed once.
        bits = [(self._common_bit[term], known[term]) for term in common]
        question_mask = sum(bit for bit, _ in bits)
        common_weight = {0: 0.0}

        def common_share(mask: int) -> float:
            mask &= question_mask
            weight = common_weight.get(mask)
            if weight is None:
                weight = common_weight[mask] = sum(w for bit, w in bits if mask & bit)
            return weight

        context_common = self._context_common
        for index in covered:
            if context_common[index] & question_mask:
                covered[index] += common_share(context_common[index])

        # Score = (1 - coverage) * best phrasing's similarity + coverage * covered / question weight, the
        # similarity being the weighted F-measure (1 + b²)·shared / (b²·|phrasing| + |question|). A phrasing
        # shares at most what its snippet covers, and at most its own weight, so a snippet covering C
        # scores at most bound(C), rising with C: snippets are scored best-covered first, until that bound
        # falls below the last of the `limit` best scores found. A snippet whose lightest phrasing weighs
        # more than C is bounded tighter, by that weight, and skipped when even that falls short.
        beta2 = self.weights.recall**2
        blend = self.weights.coverage
        phrase_weight, phrase_common, phrase_start, lightest = (
            self._phrase_weight,
            self._phrase_common,
            self._phrase_start,
            self._lightest_phrasing,
        )
        top: list[tuple[float, int]] = []  # a min-heap of (score, snippet index)
        for index, cover in sorted(covered.items(), key=itemgetter(1), reverse=True):
            if len(top) == limit:
                floor = top[0][0] - BOUND_SLACK - blend * cover / query_weight
                reach = (1 - blend) * (1 + beta2) * cover
                if reach / (beta2 * cover + query_weight) < floor:
                    break
                if reach / (beta2 * max(cover, lightest[index]) + query_weight) < floor:
                    continue
            best = 0.0
            for pid in range(phrase_start[index], phrase_start[index + 1]):
                weight = shared.get(pid)
                if weight is None:
                    continue
                if phrase_common[pid] & question_mask:
                    weight += common_share(phrase_common[pid])
                similarity = (1 + beta2) * weight / (beta2 * phrase_weight[pid] + query_weight)
                if similarity > best:
                    best = similarity
            item = ((1 - blend) * best + blend * cover / query_weight, index)
            if len(top) < limit:
                heapq.heappush(top, item)
            elif item > top[0]:
                heapq.heapreplace(top, item)
        top.sort(reverse=True)
        found = tuple(Candidate(self.snippets[i], round(score, 4)) for score, i in top)
        return Match(found, len(query), asks_unknown)
