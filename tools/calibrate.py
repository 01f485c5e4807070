"""Choose the matcher's threshold, margin and weights on labelled question sets.

    python tools/calibrate.py tests/data/calibration.yaml tests/data/tuning.yaml \
        --check tests/data/holdout.yaml --check ../shared/eval/dev.yaml

Uses the `answered` and `unanswered` cases of the sets in the evaluation format (see
../shared/eval/score.py), pooled: an answered case counts when the best snippet's reply matches one of
its `accept` patterns and clears the threshold and margin; an unanswered case counts when nothing does.
Chooses the settings that answer the most answerable questions rightly while declining at least
--min-unanswered of the unanswerable ones (default 94.5%, above the 90% target: curators read the tuning
set's unanswerable questions, so its rate is optimistic, and the floor keeps room for new ones; most of
them were written to tempt a word matcher, near-topic and in an answerable question's words, so they are
harder than members' usual ones); ties go to the higher threshold, the safer side. Prints them, then the
same settings scored on each set and on --check sets, which are never used to choose.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.pipeline import load_knowledge
from guardrails import Guardrails
from guardrails import replies as compose
from knowledge.base import KnowledgeBase
from knowledge.matcher import Matcher, MatchWeights, Thresholds

THRESHOLDS = [round(0.30 + 0.01 * i, 2) for i in range(41)]
# A near tie is put to the member as "Did you mean ...?" rather than decided by a hair: the margin has a
# floor even where the data would take the top candidate every time.
MIN_MARGIN = 0.01
MARGINS = [MIN_MARGIN, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.10]
LONG_MESSAGE_BARS = [
    Thresholds(long_after=after, long_step=step, long_floor=floor)
    for after in (6, 8, 10, 12, 14)
    for step in (0.01, 0.02, 0.03, 0.04)
    for floor in (0.2, 0.25, 0.3)
]
WEIGHTS = [
    MatchWeights(coverage=blend, unknown=unknown, recall=recall, context=context)
    for blend in (0.4, 0.5, 0.6, 0.7)
    for unknown in (1.5, 2.0, 2.5)
    for recall in (1.0, 1.5, 2.0)
    for context in (0.1, 0.2, 0.35)
]


@dataclass(frozen=True, slots=True)
class Case:
    question: str
    answerable: bool
    accept: tuple[re.Pattern[str], ...]
    source: Path  # the set it came from, for the per-set rates


def load_cases(path: Path) -> list[Case]:
    """The answered and unanswered cases that pass the guardrails (the matcher never sees the others)."""
    guardrails = Guardrails.load()
    cases = []
    for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
        if case["expect"] in ("answered", "unanswered") and guardrails.check(case["q"]) is None:
            accept = tuple(re.compile(p, re.IGNORECASE) for p in case.get("accept", []))
            cases.append(Case(case["q"], case["expect"] == "answered", accept, path))
    return cases


@dataclass(frozen=True, slots=True)
class Outcome:
    case: Case
    score: float
    lead: float  # over the runner-up
    terms: int  # the question's distinct terms
    asks_unknown: bool  # its asking sentences hold a word no snippet knows
    right: bool  # the best snippet's reply matches an accept pattern
    picked: str | None  # the best snippet's id


def outcomes(matcher: Matcher, cases: list[Case]) -> list[Outcome]:
    out = []
    for case in cases:
        match = matcher.match(case.question)
        right = bool(match.best) and any(
            p.search(compose.answer(match.best.snippet).text) for p in case.accept
        )
        picked = match.best.snippet.id if match.best else None
        out.append(Outcome(case, match.score, match.lead, match.terms, match.asks_unknown, right, picked))
    return out


def correct(outcome: Outcome, thresholds: Thresholds) -> bool:
    """An answerable case answered with a right snippet, or an unanswerable one declined."""
    answers = thresholds.answers(outcome.score, outcome.lead, outcome.terms, outcome.asks_unknown)
    return outcome.right and answers if outcome.case.answerable else not answers


def rates(results: list[Outcome], thresholds: Thresholds) -> tuple[float, float]:
    answered = [r for r in results if r.case.answerable]
    unanswered = [r for r in results if not r.case.answerable]
    hit = sum(correct(r, thresholds) for r in answered)
    rejected = sum(correct(r, thresholds) for r in unanswered)
    return hit / max(len(answered), 1), rejected / max(len(unanswered), 1)


# What settings are ranked by: the floor met, answered, declined, then the safer side on ties.
RankKey = tuple[bool, float, float, float, int, float, float]


def best_thresholds(
    results: list[Outcome], floor: float, long_bars: list[Thresholds]
) -> tuple[RankKey, Thresholds]:
    """The settings answering the most while declining at least `floor`, with the key they won on.

    Ties go to the safer side: the higher threshold, then the later, gentler and higher long-message bars.
    """
    best: tuple[RankKey, Thresholds] | None = None
    for answer, margin, bars in itertools.product(THRESHOLDS, MARGINS, long_bars):
        thresholds = dataclasses.replace(bars, answer=answer, margin=margin)
        answered, unanswered = rates(results, thresholds)
        key = (
            unanswered >= floor,
            answered,
            unanswered,
            answer,
            bars.long_after,
            -bars.long_step,
            bars.long_floor,
        )
        if best is None or key > best[0]:
            best = (key, thresholds)
    assert best is not None
    return best


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("cases", type=Path, nargs="+")
    parser.add_argument("--check", type=Path, action="append", default=[])
    parser.add_argument("--show", action="store_true", help="list the cases the chosen settings get wrong")
    parser.add_argument(
        "--min-unanswered", type=float, default=0.945, help="least share of unanswerable cases declined"
    )
    args = parser.parse_args()

    knowledge: KnowledgeBase = load_knowledge()
    cases = [case for path in args.cases for case in load_cases(path)]
    floor = args.min_unanswered
    # Weights first, with the long-message bars as they are; then, on the chosen weights' outcomes, the
    # threshold, margin and long-message bars together (the joint grid would take hours).
    chosen, pooled = max(
        ((weights, outcomes(Matcher(knowledge.snippets, weights=weights), cases)) for weights in WEIGHTS),
        key=lambda pair: best_thresholds(pair[1], floor, [Thresholds()])[0],
    )
    _, thresholds = best_thresholds(pooled, floor, LONG_MESSAGE_BARS)
    matcher = Matcher(knowledge.snippets, weights=chosen)
    print(f"chosen on {len(cases)} cases: {chosen}, {thresholds}")
    for path in [*args.cases, *args.check]:
        if path in args.cases:  # already matched with the chosen weights in the sweep
            results = [outcome for outcome in pooled if outcome.case.source == path]
        else:
            results = outcomes(matcher, load_cases(path))
        answered, unanswered = rates(results, thresholds)
        print(f"  {path}: answered {answered:.1%}, unanswered {unanswered:.1%}")
        if args.show:
            for outcome in results:
                if not correct(outcome, thresholds):
                    kind = "ANS" if outcome.case.answerable else "UNA"
                    print(
                        f"    {kind} {outcome.score:.2f} lead {outcome.lead:.2f} terms {outcome.terms}"
                        f" right={outcome.right} {outcome.picked}: {outcome.case.question}"
                    )


if __name__ == "__main__":
    main()
