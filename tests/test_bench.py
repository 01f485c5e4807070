"""The benchmark script runs and prints every figure (`python -m bench.run --quick`); no time is asserted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from bench.questions import KINDS, counts, question_mix
from bench.synthetic import synthesize
from knowledge.base import KnowledgeBase

ROOT = Path(__file__).resolve().parents[1]

LABELS = (
    "Machine:",
    "cores",
    "Python",
    "pinned to CPU",
    "Question mix:",
    "answerable",
    "unanswerable",
    "dosing",
    "emergency",
    "Knowledge base",
    "snippets",
    "generate ms",
    "load ms",
    "RSS MB",
    "peak RSS MB",
    "Latency per question (ms)",
    "p50",
    "p99",
    "max",
    "shipped",
    "synthetic",
    "matcher",
    "pipeline + store write",
    "WRatio scan",
    "difflib scan",
    "vs matcher",
    "Answer quality",
    "answered top-1",
    "answered right",
    "unanswered declined",
    "project matcher",
    "Targets:",
    "< 1 ms p99",
    "< 5 ms p99",
    "Targets checked:",
    "Total benchmark time:",
)


def test_quick_benchmark_prints_every_figure() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    missing = [label for label in LABELS if label not in out]
    assert not missing, f"missing {missing} in:\n{out}"
    # Both baselines are put side by side with the matcher at every size.
    assert len(re.findall(r"WRatio scan .*x (?:slower|faster)", out)) == 3
    assert len(re.findall(r"difflib scan .*x (?:slower|faster)", out)) == 3
    assert len(re.findall(r"pipeline \+ store write\s+\d+", out)) == 3


def test_question_mix_is_fixed_and_has_every_kind() -> None:
    mix = question_mix()
    assert [c.question for c in mix] == [c.question for c in question_mix()]
    assert all(counts(mix)[kind] > 0 for kind in KINDS)


def test_synthetic_snippets_have_unique_ids_and_are_deterministic(knowledge: KnowledgeBase) -> None:
    snippets = synthesize(knowledge.snippets, 500)
    assert len(snippets) == 500
    assert len({s.id for s in snippets}) == 500
    assert snippets == synthesize(knowledge.snippets, 500)
    assert snippets[: len(knowledge.snippets)] == list(knowledge.snippets)  # the real ones come first
    copies = snippets[len(knowledge.snippets) :]
    assert all(s.questions for s in copies)
    assert sum(s.questions != knowledge.by_id[s.id.rsplit("-", 1)[0]].questions for s in copies) > 400
    built = KnowledgeBase(knowledge.sources, snippets)
    assert len(built.by_id) == 500
