"""Load through the fake Discord (issue 5): 200 member messages pushed at once, every one answered once.

The real discord.py client, pipeline, knowledge and SQLite store, set up by `test_discord_e2e.running_bot`.
Latency (the fake's timestamp on the member's message to the one on the bot's reply) is printed, never
asserted.
"""

from __future__ import annotations

import asyncio
import random
import statistics
from collections import Counter
from datetime import datetime
from itertools import cycle, islice
from pathlib import Path

import pytest

import tests.test_discord_e2e as e2e
from bot.embeds import COLOURS
from guardrails.replies import Status
from tests.fake_discord import FakeUser, Sent, make_world
from tests.helpers import DATA, question_set
from tests.test_discord_e2e import NOTE, poll, running_bot

MESSAGES = 200
MEMBERS = 50  # 4 messages each: far under any per-member cooldown
MIX = {"answered": 90, "unanswered": 60, "refused": 30, "emergency": 20}
PIPELINE_STATUSES = (Status.ANSWERED, Status.UNANSWERED, Status.REFUSED, Status.EMERGENCY)
STATUS_BY_COLOUR = {COLOURS[s].value: s for s in PIPELINE_STATUSES}  # each of the four has its own colour
TIMEOUT = 10.0  # seconds, for each wait below


def question_mix() -> list[str]:
    """MESSAGES calibration questions, MIX[kind] of each kind (cycled where a kind has fewer), shuffled."""
    by_kind: dict[str, list[str]] = {kind: [] for kind in MIX}
    for question, expect in question_set(DATA / "calibration.yaml"):
        by_kind[expect].append(question)
    questions = [q for kind, count in MIX.items() for q in islice(cycle(by_kind[kind]), count)]
    assert len(questions) == MESSAGES
    random.Random(5).shuffle(questions)
    return questions


def status_of(sent: Sent) -> Status | None:
    return STATUS_BY_COLOUR.get(sent.embed.get("color"))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def test_200_concurrent_messages_each_answered_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, members = make_world(extra_members=MEMBERS)
    # running_bot builds its world with make_world(): serve this one, with its many members, instead.
    monkeypatch.setattr(e2e, "make_world", lambda: (world, members))
    async with running_bot(tmp_path) as h:
        fake, pipeline = h.fake, h.pipeline
        mention = f"<@{h.bot.user.id}>"

        # Mentions in two channels of the server and direct messages, round robin; many members.
        plan: list[tuple[FakeUser, str, int | None]] = []
        for i, question in enumerate(question_mix()):
            author = members[i % MEMBERS]
            match i % 3:
                case 0:
                    plan.append((author, f"{mention} {question}", world.general))
                case 1:
                    plan.append((author, f"{question} {mention}", world.ask_channel))
                case _:
                    plan.append((author, question, None))

        async with asyncio.timeout(TIMEOUT):
            pushed = await asyncio.gather(
                *(fake.message(author, content, channel_id=channel) for author, content, channel in plan)
            )
        by_id = {int(m["id"]): m for m in pushed}
        assert len(by_id) == MESSAGES

        def all_replied() -> bool:
            return {s.reply_to for s in fake.sent} >= by_id.keys()

        await fake.wait_for(all_replied, TIMEOUT, f"replies to all {MESSAGES} messages")
        # One more message, answered after everything above was handled, so that a late duplicate shows.
        last = await fake.message(members[0], "what exactly is kratom?")
        await fake.reply_to(last["id"], timeout=TIMEOUT)
        last_id = int(last["id"])
        by_id[last_id] = last

        async def drained() -> bool:
            return pipeline.writer.pending == 0

        await poll(drained, TIMEOUT)

        # Every message answered exactly once, in its own channel, and nothing else sent.
        targets = Counter(s.reply_to for s in fake.sent)
        assert not [t for t, n in targets.items() if n > 1], "some messages were answered more than once"
        assert set(targets) == set(by_id), "replies missing, or replying to something not pushed"
        assert len(fake.sent) == len(by_id)
        for sent in fake.sent:
            assert sent.kind == "channel"
            assert sent.channel_id == int(by_id[sent.reply_to]["channel_id"])
            # The clinician note on every reply.
            assert NOTE in (sent.embed.get("footer") or {}).get("text", ""), sent.text
        # Only the pipeline's four outcomes (no error, cooldown or help replies), and every kind exercised.
        statuses = {s.reply_to: status_of(s) for s in fake.sent}
        assert set(statuses.values()) == set(PIPELINE_STATUSES), Counter(statuses.values())

        # Every unanswered question logged exactly once: the same multiset of questions.
        asked = {
            message_id: " ".join(m["content"].replace(mention, " ").split())
            for message_id, m in by_id.items()
        }
        expected = Counter(asked[i] for i, status in statuses.items() if status is Status.UNANSWERED)
        logged = Counter(row.question for row in await pipeline.store.unanswered())
        assert logged == expected

        pushed_at = {i: datetime.fromisoformat(m["timestamp"]) for i, m in by_id.items()}
        latencies = sorted(
            (datetime.fromisoformat(s.message["timestamp"]) - pushed_at[s.reply_to]).total_seconds() * 1000
            for s in fake.sent
            if s.reply_to != last_id
        )
        print(
            f"\n{MESSAGES} messages from {MEMBERS} members through the fake Discord "
            f"({dict(Counter(s.value for i, s in statuses.items() if i != last_id))}, "
            f"{sum(expected.values())} unanswered logged): "
            f"latency p50 {percentile(latencies, 50):.1f} ms, p99 {percentile(latencies, 99):.1f} ms, "
            f"max {latencies[-1]:.1f} ms, mean {statistics.fmean(latencies):.1f} ms"
        )
