"""Load: 1,000 questions from 50 concurrent members through the pipeline, nothing lost, nothing doubled.

Prints p50 and p99 latency; no time is asserted (the figures come from `python -m bench.run`).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter

import pytest

from bench.questions import question_stream
from bot.pipeline import Asker, Pipeline
from guardrails.replies import Reply, Status, messages

MEMBERS = 50
QUESTIONS_EACH = 20


def percentile(sorted_ms: list[float], p: float) -> float:
    return sorted_ms[max(0, math.ceil(p * len(sorted_ms)) - 1)]


async def test_1000_questions_from_50_concurrent_members(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    stream = [case.question for case in question_stream(MEMBERS * QUESTIONS_EACH)]
    asked = {
        member: stream[member * QUESTIONS_EACH : (member + 1) * QUESTIONS_EACH] for member in range(MEMBERS)
    }
    latencies: list[float] = []

    async def member(user_id: int) -> list[tuple[str, Reply]]:
        asker = Asker(user_id=1000 + user_id, guild_id=1, channel_id=10 + user_id % 5)
        out = []
        for question in asked[user_id]:
            started = time.perf_counter_ns()
            reply = await pipeline.ask(question, asker)
            latencies.append((time.perf_counter_ns() - started) / 1e6)
            out.append((question, reply))
            await asyncio.sleep(0)  # members interleave between messages, as they would on Discord
        return out

    results = await asyncio.gather(*(member(m) for m in range(MEMBERS)))
    await pipeline.writer.close()  # every queued write is flushed (none should be queued)

    # Every question got exactly one reply, in order, each carrying the clinician note.
    assert [[q for q, _ in replies] for replies in results] == [asked[m] for m in range(MEMBERS)]
    replies = [reply for member_replies in results for _, reply in member_replies]
    assert len(replies) == MEMBERS * QUESTIONS_EACH
    note = messages()["clinician_note"]
    assert all(note in reply.text for reply in replies)
    assert all(
        reply.status in (Status.ANSWERED, Status.UNANSWERED, Status.REFUSED, Status.EMERGENCY)
        for reply in replies
    )
    assert pipeline.writer.pending == 0

    # Every reply was counted once, and every unanswered question was logged exactly once.
    stats = await pipeline.store.stats(days=1)
    assert stats["asked"] == MEMBERS * QUESTIONS_EACH
    unanswered = Counter(
        question for replies in results for question, reply in replies if reply.status is Status.UNANSWERED
    )
    logged = Counter(row.question for row in await pipeline.store.unanswered())
    assert logged == unanswered
    assert sum(unanswered.values()) > 0
    by_status = Counter(str(reply.status) for reply in replies)
    assert stats["replies"] == dict(by_status)

    latencies.sort()
    with capsys.disabled():
        print(
            f"\nload: {len(latencies)} questions from {MEMBERS} concurrent members:"
            f" p50 {percentile(latencies, 0.50):.2f} ms, p99 {percentile(latencies, 0.99):.2f} ms,"
            f" max {latencies[-1]:.2f} ms; replies {dict(sorted(by_status.items()))}"
        )
