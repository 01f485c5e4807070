"""Faults: the bot keeps answering when its database fails, and loses nothing it was asked to log."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.pipeline import Pipeline
from bot.store import Store
from guardrails import Guardrails
from guardrails.replies import Status
from knowledge.base import KnowledgeBase
from knowledge.loader import KnowledgeError

UNKNOWN = "is kratom zorblax friendly {}"


@pytest.fixture
async def fragile(tmp_path: Path, knowledge: KnowledgeBase) -> AsyncIterator[Pipeline]:
    """A pipeline whose store gives up on a lock quickly and retries failed writes quickly."""
    store = await Store.open(tmp_path / "bot.sqlite3", busy_timeout_ms=100)
    pipeline = Pipeline(knowledge, store, Guardrails.load())
    pipeline.writer.first_delay, pipeline.writer.max_delay = 0.02, 0.1
    yield pipeline
    await pipeline.close()


async def ask_unknown(pipeline: Pipeline, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        reply = await pipeline.ask(UNKNOWN.format(i))
        assert reply.status is Status.UNANSWERED
        assert "clinician" in reply.text


async def logged_questions(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return sorted(q for (q,) in db.execute("SELECT question FROM unanswered"))


async def wait_until_saved(pipeline: Pipeline) -> None:
    for _ in range(200):
        if pipeline.writer.pending == 0:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{pipeline.writer.pending} writes still pending")


def expected(count: int) -> list[str]:
    return sorted(UNKNOWN.format(i) for i in range(count))


async def test_read_only_database(fragile: Pipeline, caplog: pytest.LogCaptureFixture) -> None:
    await fragile.store._db.execute("PRAGMA query_only = ON")
    with caplog.at_level(logging.WARNING):
        await ask_unknown(fragile, 5)
    assert fragile.writer.pending > 0
    assert "kept in memory" in caplog.text
    await fragile.store._db.execute("PRAGMA query_only = OFF")
    await wait_until_saved(fragile)
    assert await logged_questions(fragile.store.path) == expected(5)


async def test_disk_full(fragile: Pipeline) -> None:
    db = fragile.store._db
    async with db.execute("PRAGMA page_count") as cursor:
        (pages,) = await cursor.fetchone()
    await db.execute(f"PRAGMA max_page_count = {pages}")
    await ask_unknown(fragile, 40)  # more than fits in the pages left
    assert fragile.writer.pending > 0
    await db.execute("PRAGMA max_page_count = 1000000")
    await wait_until_saved(fragile)
    assert await logged_questions(fragile.store.path) == expected(40)


async def test_locked_by_another_process_past_the_busy_timeout(fragile: Pipeline) -> None:
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        textwrap.dedent(
            f"""
                import sqlite3, sys, time
                db = sqlite3.connect({str(fragile.store.path)!r}, isolation_level=None)
                db.execute("BEGIN EXCLUSIVE")
                print("locked", flush=True)
                time.sleep(1.0)
                db.execute("COMMIT")
                """
        ),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None
        assert (await holder.stdout.readline()).strip() == b"locked"
        await ask_unknown(fragile, 3)
        assert fragile.writer.pending > 0
    finally:
        await asyncio.wait_for(holder.wait(), 10)
    await wait_until_saved(fragile)
    assert await logged_questions(fragile.store.path) == expected(3)


async def test_database_deleted_while_running(fragile: Pipeline, caplog: pytest.LogCaptureFixture) -> None:
    await ask_unknown(fragile, 2)
    for suffix in ("", "-wal", "-shm"):
        await asyncio.to_thread(Path(f"{fragile.store.path}{suffix}").unlink, missing_ok=True)
    with caplog.at_level(logging.WARNING):
        await ask_unknown(fragile, 3, start=2)
    assert "was deleted" in caplog.text
    await wait_until_saved(fragile)
    # What was written before the deletion went with the file; everything after is in the new one.
    assert await logged_questions(fragile.store.path) == sorted(UNKNOWN.format(i) for i in range(2, 5))


async def test_unwritable_at_shutdown_is_reported_loudly(
    fragile: Pipeline, caplog: pytest.LogCaptureFixture
) -> None:
    await fragile.store._db.execute("PRAGMA query_only = ON")
    await ask_unknown(fragile, 2)
    with caplog.at_level(logging.ERROR):
        await fragile.writer.close()
    assert "could not be saved" in caplog.text


def test_a_crash_after_a_write_keeps_what_was_committed(tmp_path: Path) -> None:
    path = tmp_path / "crash.sqlite3"
    script = f"""
import asyncio, os
from bot.store import Store, UnansweredEntry

async def main():
    store = await Store.open({str(path)!r})
    await store.log_unanswered(UnansweredEntry(question="before the crash", normalized="before the crash"))
    os._exit(9)  # no close, no checkpoint

asyncio.run(main())
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[1], timeout=60)
    assert done.returncode == 9
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT question FROM unanswered").fetchall() == [("before the crash",)]


async def test_a_broken_file_at_reload_keeps_the_previous_knowledge(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    (tmp_path / "broken.yaml").write_text("snippets:\n  - id: x\n")
    before = pipeline.knowledge
    with pytest.raises(KnowledgeError, match=r"broken.yaml: snippet 'x', field 'title': missing or empty"):
        await pipeline.reload(tmp_path)
    assert pipeline.knowledge is before
    assert (await pipeline.ask("what is kratom")).status is Status.ANSWERED


def test_a_broken_file_at_start_up_exits_2_naming_it(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("snippets:\n  - id: x\n    title: T\n")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "what is kratom"],
        cwd=Path(__file__).parents[1],
        env={"SNIPPETS_DIR": str(tmp_path), "DATABASE_PATH": str(tmp_path / "db.sqlite3"), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "broken.yaml: snippet 'x', field 'questions': missing or empty" in done.stderr
    assert "Traceback" not in done.stderr
