"""The answer pipeline: statuses, logging of unanswered questions, teaching, the clinician note."""

from __future__ import annotations

import asyncio

from bot.pipeline import Asker, Pipeline
from guardrails.replies import Status, messages

NOTE_WORDS = ("clinician", "pharmacist")


def has_note(text: str) -> bool:
    return messages()["clinician_note"] in text and all(word in text for word in NOTE_WORDS)


async def test_answers_with_snippet_source_and_note(pipeline: Pipeline) -> None:
    reply = await pipeline.ask("what is kratom")
    assert reply.status is Status.ANSWERED
    assert reply.snippet_id in pipeline.knowledge.by_id
    assert reply.source and pipeline.knowledge.by_id[reply.snippet_id].source_title in reply.source
    assert reply.score is not None and reply.score > 0
    assert has_note(reply.text)


async def test_unanswered_is_logged_with_best_candidate(pipeline: Pipeline) -> None:
    asker = Asker(user_id=7, guild_id=1, channel_id=2, message_link="https://discord.com/channels/1/2/3")
    reply = await pipeline.ask("who won the football game last night", asker)
    assert reply.status is Status.UNANSWERED and reply.snippet_id is None
    assert has_note(reply.text)
    (row,) = await pipeline.store.unanswered()
    assert (row.question, row.guild_id, row.channel_id, row.user_id) == (
        "who won the football game last night",
        1,
        2,
        7,
    )
    assert row.message_link == asker.message_link
    assert row.reason in ("no_match", "ambiguous")
    assert row.status == "new"


async def test_resolve_then_ask_answers_at_once(pipeline: Pipeline) -> None:
    question = "is kratom zorblax friendly"
    assert (await pipeline.ask(question)).status is Status.UNANSWERED
    (row,) = await pipeline.store.unanswered()
    target = next(s.id for s in pipeline.knowledge.snippets if "hair" in s.answer.lower())
    await pipeline.teach(row.id, target)
    reply = await pipeline.ask(question)
    assert (reply.status, reply.snippet_id) == (Status.ANSWERED, target)


async def test_learned_phrasings_survive_a_restart(pipeline: Pipeline) -> None:
    await pipeline.ask("is kratom zorblax friendly")
    (row,) = await pipeline.store.unanswered()
    target = pipeline.knowledge.snippets[0].id
    await pipeline.teach(row.id, target)
    reloaded = await pipeline.reload()
    assert (target, row.question) in reloaded.learned
    assert any(row.question in s["learned_questions"] for s in reloaded.export())


async def test_every_reply_is_counted(pipeline: Pipeline) -> None:
    await pipeline.ask("what is kratom", Asker(guild_id=3))
    await pipeline.ask("who won the football game", Asker(guild_id=3))
    stats = await pipeline.store.stats(guild_id=3)
    assert stats["replies"] == {"answered": 1, "unanswered": 1}


async def test_concurrent_teaching_keeps_every_phrasing(pipeline: Pipeline) -> None:
    questions = [f"is kratom zorblax friendly {i}" for i in range(4)]
    for question in questions:
        await pipeline.ask(question)
    rows = await pipeline.store.unanswered()
    target = pipeline.knowledge.snippets[0].id
    await asyncio.gather(*(pipeline.teach(row.id, target) for row in rows))
    assert {q for _, q in pipeline.knowledge.learned} == set(questions)
