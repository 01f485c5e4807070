"""The store: migrations, concurrent writes, grouping, resolving and scoping by guild."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.store import MIGRATIONS, Store, StoreError, UnansweredEntry
from knowledge.text import canonical_question


def entry(question: str, guild_id: int | None = 1, **kwargs: object) -> UnansweredEntry:
    return UnansweredEntry(
        question=question, normalized=canonical_question(question), guild_id=guild_id, **kwargs
    )


async def test_open_creates_folder_and_migrates(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "folder" / "bot.sqlite3"
    async with await Store.open(path):
        pass
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_migrates_an_empty_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    path.touch()
    async with await Store.open(path) as store:
        assert await store.unanswered() == []


async def test_refuses_a_schema_newer_than_the_code(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(StoreError, match="newer"):
        await Store.open(path)


async def test_500_concurrent_inserts_are_all_kept_and_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    async with await Store.open(path) as store:
        ids = await asyncio.gather(*(store.log_unanswered(entry(f"question {i}")) for i in range(500)))
    assert len(set(ids)) == 500
    async with await Store.open(path) as store:
        rows = await store.unanswered()
    assert sorted(row.question for row in rows) == sorted(f"question {i}" for i in range(500))


async def test_groups_by_normalised_text_most_frequent_first(store: Store) -> None:
    for question in ["Is kratom legal?", "is kratom LEGAL", "is  kratom legal!!", "kratom and dogs?"]:
        await store.log_unanswered(entry(question, best_snippet_id="what-is-kratom", best_score=0.4))
    groups, total = await store.groups(guild_id=1)
    assert total == 2
    assert [(g.normalized, g.count) for g in groups] == [("is kratom legal", 3), ("kratom and dogs", 1)]
    assert groups[0].example == "Is kratom legal?"
    assert groups[0].best_snippet_id == "what-is-kratom"


async def test_guild_scoping(store: Store) -> None:
    mine = await store.log_unanswered(entry("is kratom legal", guild_id=1))
    await store.log_unanswered(entry("is kratom legal in texas", guild_id=2))
    assert [row.id for row in await store.unanswered(guild_id=1)] == [mine]
    with pytest.raises(StoreError, match="no logged question"):
        await store.dismiss(mine, guild_id=2)
    assert len(await store.unanswered()) == 2  # the command line sees every guild


async def test_resolve_teaches_and_closes_identical_questions(store: Store) -> None:
    first = await store.log_unanswered(entry("Is kratom legal?"))
    second = await store.log_unanswered(entry("is kratom legal"))
    other = await store.log_unanswered(entry("kratom and dogs"))
    row = await store.resolve(first, "what-is-kratom", guild_id=1)
    assert (row.status, row.resolved_snippet_id) == ("resolved", "what-is-kratom")
    assert (await store.get(second)).status == "resolved"
    assert (await store.get(other)).status == "new"
    assert await store.learned_phrasings() == [("what-is-kratom", "Is kratom legal?")]


async def test_dismiss_and_status_filter(store: Store) -> None:
    question = await store.log_unanswered(entry("who won the match"))
    await store.dismiss(question)
    assert [r.id for r in await store.unanswered(status="dismissed")] == [question]
    assert await store.unanswered(status="new") == []
    with pytest.raises(StoreError, match="unknown status"):
        await store.unanswered(status="bogus")


async def test_export_csv_has_a_header_and_every_row(store: Store) -> None:
    await store.log_unanswered(entry('a question, with "quotes"'))
    text = await store.export_csv()
    header, row = text.splitlines()
    assert header.startswith("id,question,normalized")
    assert '"a question, with ""quotes"""' in row


async def test_stats_count_replies_reasons_and_feedback(store: Store) -> None:
    for status in ["answered", "answered", "unanswered", "refused", "emergency"]:
        await store.record_reply(status, guild_id=1)
    await store.log_unanswered(entry("x", reason="thumbs_down"))
    await store.record_feedback(message_id=10, user_id=5, snippet_id="a", helpful=True, guild_id=1)
    await store.record_feedback(
        message_id=10, user_id=5, snippet_id="a", helpful=False, guild_id=1
    )  # changes vote
    await store.record_feedback(message_id=10, user_id=6, snippet_id="a", helpful=False, guild_id=1)
    stats = await store.stats(guild_id=1)
    assert stats["asked"] == 5
    assert stats["answered_rate"] == pytest.approx(0.4)
    assert stats["replies"]["emergency"] == 1
    assert stats["unanswered_by_reason"]["thumbs_down"] == 1
    assert stats["feedback"] == [{"snippet_id": "a", "up": 0, "down": 2}]
