"""Benchmark of the answer pipeline: latency, load time, memory and two baselines, at three sizes.

    python -m bench.run                    # the full run (under two minutes on a 2-core machine)
    python -m bench.run --quick            # smoke run with tiny counts and small sizes (tests/test_bench.py)
    python -m bench.run --sizes 0,5000     # chosen sizes; 0 is the shipped knowledge base

For each knowledge-base size (the shipped one from `bot.pipeline.load_knowledge()`, and synthetic ones of
1,000 and 10,000 snippets from `bench.synthetic`), a fresh subprocess pinned to one CPU core measures:

- load: the time to build the knowledge base (shipped: read and validate the files; synthetic: generate
  the snippets, reported apart, then `KnowledgeBase(sources, snippets)`), then resident memory: current
  RSS (/proc/self/statm) and the process's peak (ru_maxrss) after the load, and the peak again after all
  the timings (the figure the memory target is judged on), in MB;
- matcher: `knowledge.match(q)` per question, after a warm-up, timed with `time.perf_counter_ns`;
- pipeline: `await pipeline.ask(q)` one at a time, with the guardrails and a real SQLite store in a
  temporary folder (every reply is counted in the store, unanswered questions are logged);
- baselines on the same knowledge base and questions: a rapidfuzz `process.extractOne(q, answers,
  scorer=fuzz.WRatio)` scan over every snippet's answer text, and a difflib
  `SequenceMatcher(None, q, answer).ratio()` scan over every answer (ChatterBot's method); each is printed
  as a ratio of its mean latency to the matcher's mean on the same questions. Slow methods stop after a
  time budget once they have a minimum number of questions, so the run stays short; `n` says how many.

The question mix is tests/data/calibration.yaml, every case once, in a fixed seeded order (answerable,
unanswerable, dosing and emergency questions; the counts are printed). With the shipped knowledge base it
also scores answer quality on the set's answered and unanswered cases: top-1 (the best snippet's reply
matches an `accept` pattern) and decisions (the project: `match(q).answer(DEFAULT_THRESHOLDS)`; the
baselines: their best score against a cut-off tuned on this very set, the best case for them).
Latencies are p50, p99 (nearest rank) and max in milliseconds; targets are printed next to them.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import json
import logging
import math
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rapidfuzz
from rapidfuzz import fuzz, process

from bench.questions import KIND_LABELS, KINDS, Case, cases, counts, question_mix

ROOT = Path(__file__).resolve().parents[1]
FULL_SIZES = (0, 1000, 10000)
QUICK_SIZES = (0, 200, 1000)
SHIPPED = 0
WORKER_TIMEOUT_S = 300

# (size, what, bound in ms or MB, label)
LATENCY_TARGETS = {(SHIPPED, "matcher"): 1.0, (SHIPPED, "pipeline"): 5.0, (10000, "matcher"): 10.0}
MEMORY_TARGETS = {10000: 150.0}


@dataclass(frozen=True, slots=True)
class Plan:
    """How much to time. A method stops at `max_n` samples, or after `budget_s` once it has `min_n`."""

    warmup: int
    matcher: tuple[int, int, float]  # min_n, max_n, budget_s
    pipeline: tuple[int, int, float]
    wratio: tuple[int, int, float]
    difflib: tuple[int, int, float]


def full_plan(mix_size: int) -> Plan:
    return Plan(
        warmup=20,
        matcher=(mix_size, 5 * mix_size, 3.0),
        pipeline=(mix_size, 3 * mix_size, 3.0),
        wratio=(20, mix_size, 3.0),
        difflib=(3, mix_size, 4.0),
    )


QUICK_PLAN = Plan(
    warmup=3, matcher=(10, 30, 0.5), pipeline=(10, 20, 0.5), wratio=(3, 5, 0.2), difflib=(2, 3, 0.2)
)


# -- figures --------------------------------------------------------------------------------------------


def percentile(sorted_ms: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of sorted values."""
    return sorted_ms[max(0, math.ceil(p * len(sorted_ms)) - 1)]


def summary(samples: Sequence[tuple[int, float]]) -> dict[str, Any]:
    """p50/p99/max/mean of (question index, ms) samples, with the mean per question index."""
    values = sorted(ms for _, ms in samples)
    per_question: dict[int, list[float]] = {}
    for index, ms in samples:
        per_question.setdefault(index, []).append(ms)
    return {
        "n": len(values),
        "p50": percentile(values, 0.50),
        "p99": percentile(values, 0.99),
        "max": values[-1],
        "mean": sum(values) / len(values),
        "per_question": {i: sum(v) / len(v) for i, v in per_question.items()},
    }


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:  # noqa: PTH123 - a proc file, read once
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{model}, {os.cpu_count()} cores; Python {platform.python_version()}"
        f" ({platform.python_implementation()}); {platform.system()} {platform.release()};"
        f" SQLite {sqlite3.sqlite_version}; rapidfuzz {rapidfuzz.__version__}"
    )


def size_label(size: int) -> str:
    return "shipped" if size == SHIPPED else f"synthetic {size:,}"


# -- one size, in its own process -------------------------------------------------------------------------


def _timed(
    run: Callable[[str], object], mix: Sequence[Case], limits: tuple[int, int, float]
) -> list[tuple[int, float]]:
    """Run questions from the mix in order (wrapping round) until the limits say stop."""
    min_n, max_n, budget_s = limits
    samples: list[tuple[int, float]] = []
    started = time.perf_counter()
    while len(samples) < max_n and (len(samples) < min_n or time.perf_counter() - started < budget_s):
        index = len(samples) % len(mix)
        question = mix[index].question
        t0 = time.perf_counter_ns()
        run(question)
        samples.append((index, (time.perf_counter_ns() - t0) / 1e6))
    return samples


async def _time_pipeline(knowledge: Any, mix: Sequence[Case], plan: Plan) -> tuple[list, dict[str, int]]:
    from bot.pipeline import Pipeline
    from bot.store import Store
    from guardrails import Guardrails

    min_n, max_n, budget_s = plan.pipeline
    guardrails = Guardrails.load()  # before the store opens: a failure here must not leave it open
    with tempfile.TemporaryDirectory(prefix="kratom-bench-") as folder:
        pipeline = Pipeline(knowledge, await Store.open(Path(folder) / "bench.sqlite3"), guardrails)
        try:
            for case in mix[: plan.warmup]:
                await pipeline.ask(case.question)
            samples: list[tuple[int, float]] = []
            statuses: Counter[str] = Counter()
            started = time.perf_counter()
            while len(samples) < max_n and (len(samples) < min_n or time.perf_counter() - started < budget_s):
                index = len(samples) % len(mix)
                t0 = time.perf_counter_ns()
                reply = await pipeline.ask(mix[index].question)
                samples.append((index, (time.perf_counter_ns() - t0) / 1e6))
                statuses[str(reply.status)] += 1
        finally:
            await pipeline.close()
    return samples, dict(statuses)


def _wratio_best(question: str, answers: Sequence[str]) -> tuple[int, float]:
    _, score, index = process.extractOne(question, answers, scorer=fuzz.WRatio)
    return index, score


def _difflib_best(question: str, answers: Sequence[str]) -> tuple[int, float]:
    best, best_score = 0, -1.0
    for index, answer in enumerate(answers):
        score = difflib.SequenceMatcher(None, question, answer).ratio()
        if score > best_score:
            best, best_score = index, score
    return best, best_score


def _quality(knowledge: Any) -> dict[str, Any]:
    """Answer quality on the calibration set's answered/unanswered cases (those the guardrails pass)."""
    from guardrails import Guardrails
    from guardrails import replies as compose
    from knowledge.matcher import DEFAULT_THRESHOLDS

    guardrails = Guardrails.load()
    chosen = [
        c for c in cases() if c.expect in ("answered", "unanswered") and guardrails.check(c.question) is None
    ]
    snippets = knowledge.snippets
    replies = [compose.answer(s).text for s in snippets]
    position = {s.id: i for i, s in enumerate(snippets)}

    def right(index: int, case: Case) -> bool:
        return any(p.search(replies[index]) for p in case.accept)

    answered = [c for c in chosen if c.expect == "answered"]
    unanswered = [c for c in chosen if c.expect == "unanswered"]
    out: dict[str, Any] = {"answered_cases": len(answered), "unanswered_cases": len(unanswered)}

    top1 = hits = declined = 0
    for case in chosen:
        match = knowledge.match(case.question)
        chosen_snippet = match.answer(DEFAULT_THRESHOLDS)
        if case.expect == "answered":
            top1 += bool(match.best) and right(position[match.best.snippet.id], case)
            hits += chosen_snippet is not None and right(position[chosen_snippet.id], case)
        else:
            declined += chosen_snippet is None
    t = DEFAULT_THRESHOLDS
    out["project"] = {
        "top1": top1,
        "answered": hits,
        "declined": declined,
        "rule": f"DEFAULT_THRESHOLDS (answer >= {t.answer}, margin {t.margin})",
    }

    answers = [s.answer for s in snippets]
    for name, best in (("wratio", _wratio_best), ("difflib", _difflib_best)):
        scored = [(case, *best(case.question, answers)) for case in chosen]
        ok = {id(case): right(index, case) for case, index, _ in scored if case.expect == "answered"}
        cutoffs = sorted({score for _, _, score in scored} | {math.inf})
        best_cut, best_key = math.inf, (-1.0, -math.inf)
        for cut in cutoffs:
            hit = sum(ok[id(c)] and s >= cut for c, _, s in scored if c.expect == "answered")
            dec = sum(s < cut for c, _, s in scored if c.expect == "unanswered")
            balanced = hit / max(len(answered), 1) + dec / max(len(unanswered), 1)
            if (balanced, cut) > best_key:
                best_key, best_cut = (balanced, cut), cut
        out[name] = {
            "top1": sum(ok.values()),
            "answered": sum(ok[id(c)] and s >= best_cut for c, _, s in scored if c.expect == "answered"),
            "declined": sum(s < best_cut for c, _, s in scored if c.expect == "unanswered"),
            "rule": f"best score >= {best_cut:.3g}, cut-off tuned on this set (best case for the baseline)",
        }
    return out


def measure(size: int, plan: Plan) -> dict[str, Any]:
    """Every figure for one knowledge-base size; run in a fresh process (see `main`)."""
    logging.basicConfig(level=logging.ERROR)  # the pipeline warns on every emergency; keep output clean
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})  # one core, before any thread (aiosqlite's) starts

    from bench.synthetic import synthesize
    from bot.pipeline import load_knowledge
    from knowledge.base import KnowledgeBase

    rss_before = rss_mb()
    result: dict[str, Any] = {"size": size, "cpu": cpu, "rss_before_mb": rss_before}
    if size == SHIPPED:
        t0 = time.perf_counter_ns()
        knowledge = load_knowledge()
        result["load_ms"] = (time.perf_counter_ns() - t0) / 1e6
        result["generate_ms"] = None
    else:
        real = load_knowledge()
        t0 = time.perf_counter_ns()
        snippets = synthesize(real.snippets, size)
        result["generate_ms"] = (time.perf_counter_ns() - t0) / 1e6
        t0 = time.perf_counter_ns()
        knowledge = KnowledgeBase(real.sources, snippets)
        result["load_ms"] = (time.perf_counter_ns() - t0) / 1e6
        del real, snippets
    result["rss_mb"] = rss_mb()
    result["peak_rss_mb"] = peak_rss_mb()
    result["snippets"] = len(knowledge.snippets)
    result["phrasings"] = sum(1 + len(s.questions) for s in knowledge.snippets)
    result["terms"] = len(getattr(knowledge.matcher, "_idf", ()))  # the matcher's vocabulary, if exposed

    mix = question_mix()
    for case in mix[: plan.warmup]:
        knowledge.match(case.question)
    matcher = summary(_timed(knowledge.match, mix, plan.matcher))
    samples, statuses = asyncio.run(_time_pipeline(knowledge, mix, plan))
    pipeline = summary(samples)

    answers = [s.answer for s in knowledge.snippets]
    baselines = {}
    for name, best in (("wratio", _wratio_best), ("difflib", _difflib_best)):
        for case in mix[:2]:
            best(case.question, answers)
        figures = summary(_timed(lambda q, best=best: best(q, answers), mix, getattr(plan, name)))
        same = figures["per_question"].keys()
        matcher_ms = sum(matcher["per_question"][i] for i in same)
        baseline_ms = sum(figures["per_question"][i] for i in same)
        figures["ratio"] = baseline_ms / matcher_ms if matcher_ms else math.inf
        baselines[name] = figures
    for figures in (matcher, pipeline, *baselines.values()):
        del figures["per_question"]
    result.update(matcher=matcher, pipeline=pipeline, statuses=statuses, **baselines)
    result["peak_rss_end_mb"] = peak_rss_mb()
    if size == SHIPPED:
        result["quality"] = _quality(knowledge)
    return result


# -- the report -------------------------------------------------------------------------------------------


def _ratio(ratio: float) -> str:
    if ratio >= 1:
        return f"{ratio:.1f}x slower"
    return f"{1 / ratio:.1f}x faster"


def _verdict(value: float, bound: float | None, unit: str) -> str:
    if bound is None:
        return ""
    return f"< {bound:g} {unit}  {'PASS' if value < bound else 'MISS'}"


def _pct(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.0f}%)" if whole else "-"


def report(results: list[dict[str, Any]], mix: list[Case], quick: bool, elapsed_s: float) -> str:
    lines = []
    add = lines.append
    mix_counts = counts(mix)
    mix_text = " + ".join(f"{mix_counts[k]} {KIND_LABELS[k]}" for k in KINDS)
    cpus = sorted({r["cpu"] for r in results})
    add(f"kratom-pain-bot benchmark: python -m bench.run{' --quick' if quick else ''}")
    add(f"Machine: {machine()}")
    add(f"Each size measured in a fresh process pinned to CPU {', '.join(map(str, cpus))} (one core).")
    add(f"Question mix: {len(mix)} questions = {mix_text} (tests/data/calibration.yaml, fixed seeded order)")
    if quick:
        add("QUICK smoke run: tiny counts and small sizes; these figures are not the benchmark.")
    add("")

    add(
        "Knowledge base         snippets phrasings  terms generate ms   load ms   RSS MB peak RSS MB"
        "  end peak MB  target"
    )
    for r in results:
        generate = "-" if r["generate_ms"] is None else f"{r['generate_ms']:.0f}"
        bound = MEMORY_TARGETS.get(r["size"])
        add(
            f"{size_label(r['size']):<22} {r['snippets']:>8,} {r['phrasings']:>9,} {r['terms']:>6,}"
            f" {generate:>11} {r['load_ms']:>9.0f} {r['rss_mb']:>8.1f} {r['peak_rss_mb']:>11.1f}"
            f" {r['peak_rss_end_mb']:>12.1f}"
            f"  {_verdict(r['peak_rss_end_mb'], bound, 'MB end peak')}"
        )
    add(
        "(RSS and peak RSS: the whole process after the load; end peak: after every timing below. About "
        f"{min(r['rss_before_mb'] for r in results):.0f} MB of it is the interpreter and imports.)"
    )
    add("")

    add("Latency per question (ms)                       n      p50      p99      max     mean  target")
    for r in results:
        for what, label in (("matcher", "matcher"), ("pipeline", "pipeline + store write")):
            f = r[what]
            bound = LATENCY_TARGETS.get((r["size"], what))
            add(
                f"{size_label(r['size']):<18} {label:<22} {f['n']:>6} {f['p50']:>8.3f} {f['p99']:>8.3f}"
                f" {f['max']:>8.3f} {f['mean']:>8.3f}  {_verdict(f['p99'], bound, 'ms p99')}"
            )
    add(
        "Pipeline replies by status (timed run): "
        + "; ".join(
            f"{size_label(r['size'])}: " + ", ".join(f"{k} {v}" for k, v in sorted(r["statuses"].items()))
            for r in results
        )
    )
    add(
        "(Dosing and emergency questions stop at the guardrails and never reach the matcher. Synthetic copies"
        " compete with their originals, so more questions there end unanswered as ambiguous.)"
    )
    add("")

    add("Baselines, same run, same knowledge base and questions (ratio: mean vs the matcher's on the same n)")
    add("                                                n      p50      p99      max     mean  vs matcher")
    for r in results:
        for what, label in (("wratio", "WRatio scan"), ("difflib", "difflib scan")):
            f = r[what]
            add(
                f"{size_label(r['size']):<18} {label:<22} {f['n']:>6} {f['p50']:>8.3f} {f['p99']:>8.3f}"
                f" {f['max']:>8.3f} {f['mean']:>8.3f}  {_ratio(f['ratio'])}"
            )
    add("")

    quality = next((r["quality"] for r in results if "quality" in r), None)
    if quality:
        na, nu = quality["answered_cases"], quality["unanswered_cases"]
        add(
            f"Answer quality, shipped knowledge base, calibration set ({na} answered, {nu} unanswered cases"
            " that pass the guardrails)"
        )
        add("method           answered top-1     answered right     unanswered declined  decision")
        for key, label in (
            ("project", "project matcher"),
            ("wratio", "WRatio scan"),
            ("difflib", "difflib scan"),
        ):
            q = quality[key]
            add(
                f"{label:<16} {_pct(q['top1'], na):<18} {_pct(q['answered'], na):<18}"
                f" {_pct(q['declined'], nu):<20} {q['rule']}"
            )
        add(
            "(top-1: the best snippet's reply matches an accept pattern; answered right: also clears the"
            " decision; declined: no answer given)"
        )
        add("")

    add(
        "Targets: shipped matcher p99 < 1 ms, pipeline p99 < 5 ms; 10,000 snippets matcher p99 < 10 ms;"
        " memory < 150 MB at 10,000 snippets."
    )
    missed = [
        f"{size_label(r['size'])} {what} p99 {r[what]['p99']:.2f} ms"
        for r in results
        for what in ("matcher", "pipeline")
        if (bound := LATENCY_TARGETS.get((r["size"], what))) is not None and r[what]["p99"] >= bound
    ] + [
        f"{size_label(r['size'])} end peak RSS {r['peak_rss_end_mb']:.0f} MB"
        for r in results
        if (bound := MEMORY_TARGETS.get(r["size"])) is not None and r["peak_rss_end_mb"] >= bound
    ]
    checked = sum((r["size"], w) in LATENCY_TARGETS for r in results for w in ("matcher", "pipeline"))
    checked += sum(r["size"] in MEMORY_TARGETS for r in results)
    add(f"Targets checked: {checked}; missed: {'; '.join(missed) if missed else 'none'}")
    add(f"Total benchmark time: {elapsed_s:.1f} s")
    return "\n".join(lines)


def _worker(size: int, quick: bool) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.run", "--worker", str(size)] + (["--quick"] if quick else [])
    try:
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=WORKER_TIMEOUT_S
        )
    except subprocess.TimeoutExpired as error:
        sys.stderr.write(error.stderr.decode(errors="replace") if error.stderr else "")
        raise SystemExit(f"benchmark worker for {size_label(size)} took over {WORKER_TIMEOUT_S} s") from None
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"benchmark worker for {size_label(size)} failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: tiny counts, small sizes")
    parser.add_argument("--sizes", help="comma-separated snippet counts; 0 is the shipped knowledge base")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    mix = question_mix()
    plan = QUICK_PLAN if args.quick else full_plan(len(mix))

    if args.worker is not None:
        print(json.dumps(measure(args.worker, plan)))
        return 0

    started = time.perf_counter()
    sizes = (
        [int(s) for s in args.sizes.split(",")] if args.sizes else (QUICK_SIZES if args.quick else FULL_SIZES)
    )
    results = []
    for size in sizes:
        print(f"measuring {size_label(size)} ...", file=sys.stderr, flush=True)
        results.append(_worker(size, args.quick))
    print(report(results, mix, args.quick, time.perf_counter() - started))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
