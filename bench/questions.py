"""The fixed question mix the benchmark and the load test ask: tests/data/calibration.yaml, all four kinds."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

CALIBRATION_FILE = Path(__file__).resolve().parents[1] / "tests" / "data" / "calibration.yaml"
KINDS = ("answered", "unanswered", "refused", "emergency")
KIND_LABELS = {
    "answered": "answerable",
    "unanswered": "unanswerable",
    "refused": "dosing",
    "emergency": "emergency",
}
SEED = 20240605


@dataclass(frozen=True, slots=True)
class Case:
    question: str
    expect: str  # one of KINDS
    accept: tuple[re.Pattern[str], ...] = ()


@cache
def cases(path: Path = CALIBRATION_FILE) -> tuple[Case, ...]:
    """Every case of the calibration set, in file order."""
    out = []
    for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
        if case["expect"] not in KINDS:
            raise ValueError(f"{path}: unknown expect {case['expect']!r} for {case['q']!r}")
        accept = tuple(re.compile(p, re.IGNORECASE) for p in case.get("accept", []))
        out.append(Case(str(case["q"]), case["expect"], accept))
    return tuple(out)


def question_mix(seed: int = SEED) -> list[Case]:
    """Every case once, in a fixed shuffled order (the same for the same seed)."""
    mix = list(cases())
    random.Random(seed).shuffle(mix)
    return mix


def question_stream(count: int, seed: int = SEED) -> list[Case]:
    """`count` cases: the mix repeated, each repetition shuffled again, cut to length."""
    out: list[Case] = []
    rng = random.Random(seed)
    while len(out) < count:
        batch = list(cases())
        rng.shuffle(batch)
        out.extend(batch)
    return out[:count]


def counts(mix: list[Case]) -> dict[str, int]:
    return {kind: sum(case.expect == kind for case in mix) for kind in KINDS}
