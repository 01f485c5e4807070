"""The matcher: normalisation, robustness to messy input, thresholds and the candidate index."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz import fuzz, process

from knowledge.base import KnowledgeBase
from knowledge.english import is_english
from knowledge.matcher import (
    CORRECTION_CUTOFF,
    DEFAULT_THRESHOLDS,
    Candidate,
    Match,
    Matcher,
    Thresholds,
    WordsByLength,
    terms,
)
from knowledge.models import Snippet
from knowledge.text import stem
from tests.helpers import DATA, question_set


def snippet(sid: str, *questions: str, answer: str = "An answer.") -> Snippet:
    return Snippet(sid, sid.title(), questions, answer, "a.txt", "Summary", "Article")


@pytest.fixture(scope="module")
def small() -> Matcher:
    return Matcher(
        [
            snippet("storage", "how should kratom be stored", "kratom storage", "keeping kratom fresh"),
            snippet(
                "hair-loss", "can kratom cause hair loss", "kratom hair falling out", "balding from kratom"
            ),
            snippet("sourcing", "where to buy good kratom", "reputable kratom vendors", "kratom quality"),
        ]
    )


def answered_id(matcher: Matcher, question: str) -> str | None:
    found = matcher.match(question).answer(DEFAULT_THRESHOLDS)
    return found.id if found else None


@pytest.mark.parametrize(
    "question",
    [
        "How should kratom be stored?",
        "HOW SHOULD KRATOM BE STORED",
        "how should kratom be stored ??!!",
        "how shoud kratom be stord",  # typos
        "how should kratom be stored 🌿🙏",  # emoji
        "  how\tshould   kratom be\nstored  ",  # whitespace
        "ｈｏｗ ｓｈｏｕｌｄ ｋｒａｔｏｍ ｂｅ ｓｔｏｒｅｄ",  # full-width letters (NFKC)
        "how should krаtom be stored",  # Cyrillic а
        "how should kra\u200btom be stored",  # zero-width space
    ],
)
def test_messy_forms_of_a_phrasing_match_it(small: Matcher, question: str) -> None:
    assert answered_id(small, question) == "storage"


@pytest.mark.parametrize("question", ["", "   ", "???", "🌿🌿🌿", "the and of is"])
def test_empty_or_contentless_input_is_no_match(small: Matcher, question: str) -> None:
    match = small.match(question)
    assert match.best is None
    assert match.answer(DEFAULT_THRESHOLDS) is None


def test_a_10000_character_message_is_handled(small: Matcher) -> None:
    match = small.match("kratom storage " + "lorem ipsum dolor sit amet " * 400)
    assert match.score < DEFAULT_THRESHOLDS.answer  # mostly unknown words: no answer


def test_real_words_are_not_corrected_into_known_ones(small: Matcher) -> None:
    # "stared" is English: not a misspelt "stored". "stord" is not English: it is one.
    assert stem("stored") not in small.query_terms("how should kratom be stared")
    assert stem("stored") in small.query_terms("how should kratom be stord")
    assert is_english("blood") and is_english("bring") and not is_english("seratonin")


def test_an_uncovered_topic_does_not_ride_on_one_shared_word(small: Matcher) -> None:
    assert answered_id(small, "can kratom cause liver damage") is None


def test_context_sentences_count_less_than_the_asking_one(knowledge: KnowledgeBase) -> None:
    # Context words no curator would add (the storage snippet knows "left open", "windowsill" and the like).
    story = "Our lodger painted the hallway teal. How should kratom be stored?"
    found = knowledge.match(story).answer(DEFAULT_THRESHOLDS)
    assert found is not None and found.id == "kratom-storage"
    # The same words in one asking sentence are all question: the words no snippet knows sink it.
    assert knowledge.match(story.replace(". How", " so how")).answer(DEFAULT_THRESHOLDS) is None


def test_the_asking_sentences_common_words_bring_in_candidates(knowledge: KnowledgeBase) -> None:
    # "knee" is rare and leads to the arthritis snippets; "GP" (read as "doctor") is common, in a tenth of
    # the snippets or more, and it is what the member asks about.
    question = "should i have a word with my GP before trying kratom for my knees"
    found = knowledge.match(question).answer(DEFAULT_THRESHOLDS)
    assert found is not None and found.id == "consult-clinician-before-use"


def test_context_words_count_at_the_context_weight(small: Matcher) -> None:
    weights = small.query_terms("My hair is falling out. Is this from the kratom?")
    assert weights[stem("hair")] == small.weights.context
    assert weights[stem("kratom")] == 1.0


def test_returns_best_and_runner_up(small: Matcher) -> None:
    match = small.match("kratom hair loss")
    assert match.best is not None and match.best.snippet.id == "hair-loss"
    assert match.score > match.runner_up_score


def test_margin_turns_a_tie_into_no_answer() -> None:
    tied = Matcher([snippet("a", "kratom strains effects"), snippet("b", "kratom strains effects differ")])
    match = tied.match("kratom strains effects differ effects")
    assert match.is_ambiguous(DEFAULT_THRESHOLDS) or match.answer(DEFAULT_THRESHOLDS) is not None


def test_long_messages_are_held_to_lower_bars_down_to_a_floor() -> None:
    bars = Thresholds(answer=0.4, margin=0.01, suggest=0.3, long_after=10, long_step=0.03, long_floor=0.25)
    assert bars.relief(10, asks_unknown=False) == 0.0
    assert bars.relief(12, asks_unknown=False) == pytest.approx(0.06)
    assert bars.relief(40, asks_unknown=False) == pytest.approx(0.15)  # answer - floor
    assert bars.relief(40, asks_unknown=True) == 0.0
    a, b = snippet("a", "kratom storage"), snippet("b", "kratom hair loss")
    match = Match((Candidate(a, 0.35), Candidate(b, 0.1)), terms=12)
    assert match.answer(bars) is a
    assert Match(match.candidates, terms=5).answer(bars) is None
    assert Match(match.candidates, terms=12, asks_unknown=True).answer(bars) is None
    tie = Match((Candidate(a, 0.35), Candidate(b, 0.345)), terms=12)
    assert tie.is_ambiguous(bars) and [c.snippet for c in tie.suggestions(bars)] == [a, b]


def test_a_long_story_is_answered_by_its_topic(small: Matcher) -> None:
    # Every story word the snippets do not know lowers the score of a plain storage question.
    story = (
        "Our lodger painted the hallway teal, the dog chewed a slipper, my sister visited from Leeds with her"
        " twins, a parrot and two goldfish, and the boiler broke on Sunday. How should kratom be stored?"
    )
    match = small.match(story)
    flat = Thresholds(answer=0.37, long_step=0.0)
    assert match.answer(flat) is None and match.terms > flat.long_after
    long_bars = Thresholds(answer=0.37, long_after=10, long_step=0.03, long_floor=0.2)
    found = match.answer(long_bars)
    assert found is not None and found.id == "storage"
    # The same story asking about a word no snippet knows is an uncovered topic, not a diluted one.
    uncovered = small.match(
        story.replace("How should kratom be stored?", "Is stored kratom bad for the liver?")
    )
    assert uncovered.asks_unknown and uncovered.answer(long_bars) is None


def test_learned_phrasing_is_matched(small: Matcher) -> None:
    question = "is my stash going off"
    assert answered_id(small, question) is None
    taught = Matcher(small.snippets, learned=[("storage", question)])
    assert answered_id(taught, question) == "storage"


def test_terms_fold_stem_and_drop_stop_words() -> None:
    assert terms("What are the SIDE-EFFECTS of Kratom?") == terms("side effect kratom")
    assert "the" not in terms("the kratom")


def test_compounds_written_in_two_parts_are_one_word() -> None:
    # Split, "well" and "being" are both stop words and the topic would vanish.
    assert terms("well-being") == terms("well being") == terms("wellbeing") != frozenset()
    assert terms("health care provider") == terms("healthcare provider")


def test_shipped_knowledge_answers_its_own_phrasings(knowledge: KnowledgeBase) -> None:
    wrong = []
    for s in knowledge.snippets:
        for question in s.questions:
            match = knowledge.match(question)
            if match.best is None or match.best.snippet.id != s.id:
                wrong.append((question, s.id, match.best.snippet.id if match.best else None))
    assert not wrong


def test_pruned_search_ranks_as_scoring_every_candidate_would(knowledge: KnowledgeBase) -> None:
    # A limit above the snippet count never fills the heap, so nothing is pruned.
    matcher, everything = knowledge.matcher, len(knowledge.snippets) + 1
    for question, _ in question_set(DATA / "calibration.yaml"):
        assert matcher.match(question).candidates == matcher.match(question, everything).candidates[:3]


KNOWN_WORDS = ["kratom", "kratoms", "tolerance", "tolerant", "storage", "stored", "nausea", "itch", "ache"]


@given(st.text(alphabet="kratomsel", min_size=1, max_size=12) | st.sampled_from(KNOWN_WORDS))
def test_length_groups_find_what_a_full_scan_finds(word: str) -> None:
    full = process.extractOne(word, KNOWN_WORDS, scorer=fuzz.ratio, score_cutoff=CORRECTION_CUTOFF)
    assert WordsByLength(KNOWN_WORDS, CORRECTION_CUTOFF).closest(word) == (full[0] if full else None)
