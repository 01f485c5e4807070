"""The bot's database: the unanswered-question log, learned phrasings, reply counts and feedback.

aiosqlite over one SQLite file in WAL mode. One connection serialises writes in its own thread, so any
number of tasks can write concurrently without losing a row. The schema is created and migrated at open
with numbered migrations recorded in `PRAGMA user_version`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self

import aiosqlite

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
REASONS = ("no_match", "ambiguous", "thumbs_down")
STATUSES = ("new", "resolved", "dismissed")

# Append only: a released migration is never edited, a change is a new entry.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE unanswered (
        id INTEGER PRIMARY KEY,
        question TEXT NOT NULL,
        normalized TEXT NOT NULL,
        guild_id INTEGER,
        channel_id INTEGER,
        user_id INTEGER,
        message_link TEXT,
        best_snippet_id TEXT,
        best_score REAL,
        reason TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'resolved', 'dismissed')),
        resolved_snippet_id TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX unanswered_by_guild_status ON unanswered (guild_id, status, normalized);
    CREATE TABLE learned_phrasings (
        id INTEGER PRIMARY KEY,
        snippet_id TEXT NOT NULL,
        question TEXT NOT NULL,
        normalized TEXT NOT NULL UNIQUE,
        unanswered_id INTEGER REFERENCES unanswered (id),
        created_at TEXT NOT NULL
    );
    -- One row per reply given, without the member's text: rates and counts for moderators.
    CREATE TABLE replies (
        id INTEGER PRIMARY KEY,
        status TEXT NOT NULL,
        guild_id INTEGER,
        snippet_id TEXT,
        question TEXT,  -- kept only for emergencies, and only where the server opted in
        created_at TEXT NOT NULL
    );
    CREATE INDEX replies_by_guild_time ON replies (guild_id, created_at);
    CREATE TABLE feedback (
        message_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        snippet_id TEXT NOT NULL,
        guild_id INTEGER,
        helpful INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (message_id, user_id)
    );
    """,
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class StoreError(Exception):
    """A user-facing problem with a store request (unknown id, wrong guild, ...)."""


@dataclass(frozen=True, slots=True)
class UnansweredEntry:
    """A question the bot could not answer, as logged."""

    question: str
    normalized: str
    reason: str = "no_match"
    guild_id: int | None = None
    channel_id: int | None = None
    user_id: int | None = None
    message_link: str | None = None
    best_snippet_id: str | None = None
    best_score: float | None = None


@dataclass(frozen=True, slots=True)
class UnansweredRow:
    id: int
    question: str
    normalized: str
    guild_id: int | None
    channel_id: int | None
    user_id: int | None
    message_link: str | None
    best_snippet_id: str | None
    best_score: float | None
    reason: str
    status: str
    resolved_snippet_id: str | None
    created_at: str
    updated_at: str

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class QuestionGroup:
    """Logged questions that read the same once normalised."""

    normalized: str
    count: int
    first_id: int  # the oldest row: the id to resolve or dismiss the group by
    example: str
    best_snippet_id: str | None
    best_score: float | None
    last_seen: str


_ROW_COLUMNS = ", ".join(f.name for f in fields(UnansweredRow))


class Store:
    def __init__(self, connection: aiosqlite.Connection, path: Path, busy_timeout_ms: int) -> None:
        self._db = connection
        self.path = path
        self.busy_timeout_ms = busy_timeout_ms

    @classmethod
    async def open(cls, path: Path | str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Self:
        """Open (creating the folder and file when missing) and migrate the database at `path`."""
        path = Path(path)
        return cls(await cls._connect(path, busy_timeout_ms), path, busy_timeout_ms)

    @classmethod
    async def _connect(cls, path: Path, busy_timeout_ms: int) -> aiosqlite.Connection:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(path, timeout=busy_timeout_ms / 1000)
        try:
            await connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            await connection.execute("PRAGMA journal_mode = WAL")
            await connection.execute("PRAGMA foreign_keys = ON")
            await cls._migrate(connection)
        except BaseException:
            await connection.close()
            raise
        return connection

    async def _reopen_if_deleted(self) -> None:
        """SQLite keeps writing to a deleted file, and all of it would vanish at exit: start a new one."""
        if not self.path.exists():
            log.warning("database file %s was deleted; creating it again", self.path)
            old, self._db = self._db, await self._connect(self.path, self.busy_timeout_ms)
            with contextlib.suppress(sqlite3.Error):
                await old.close()

    @staticmethod
    async def _migrate(connection: aiosqlite.Connection) -> None:
        async with connection.execute("PRAGMA user_version") as cursor:
            (version,) = await cursor.fetchone()
        if version > len(MIGRATIONS):
            raise StoreError(f"database schema {version} is newer than this bot ({len(MIGRATIONS)})")
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            # executescript commits first; the version bump rides in the same script as the change.
            await connection.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _write(self, sql: str, params: Sequence[Any] = ()) -> int:
        await self._reopen_if_deleted()
        try:
            cursor = await self._db.execute(sql, params)
            await self._db.commit()
        except sqlite3.Error:
            with contextlib.suppress(sqlite3.Error):
                await self._db.rollback()
            raise
        return cursor.lastrowid or cursor.rowcount

    async def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        async with self._db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    # -- the unanswered log ------------------------------------------------------------------------------

    async def log_unanswered(self, entry: UnansweredEntry) -> int:
        if entry.reason not in REASONS:
            raise ValueError(f"unknown reason {entry.reason!r}")
        now = _now()
        return await self._write(
            "INSERT INTO unanswered (question, normalized, guild_id, channel_id, user_id, message_link,"
            " best_snippet_id, best_score, reason, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entry.question,
                entry.normalized,
                entry.guild_id,
                entry.channel_id,
                entry.user_id,
                entry.message_link,
                entry.best_snippet_id,
                entry.best_score,
                entry.reason,
                now,
                now,
            ),
        )

    async def unanswered(
        self, *, guild_id: int | None = None, status: str | None = None, limit: int | None = None
    ) -> list[UnansweredRow]:
        """Logged questions, newest first; `guild_id` None means every guild (the command line)."""
        where, params = self._scope(guild_id, status)
        sql = f"SELECT {_ROW_COLUMNS} FROM unanswered {where} ORDER BY id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [UnansweredRow(*row) for row in await self._rows(sql, params)]

    async def groups(
        self, *, guild_id: int | None = None, status: str = "new", limit: int = 10, offset: int = 0
    ) -> tuple[list[QuestionGroup], int]:
        """Questions grouped by normalised text, most frequent first, and the number of groups.

        Each group shows its oldest question, with that question's nearest snippet and score.
        """
        where, params = self._scope(guild_id, status)
        rows = await self._rows(
            "SELECT g.normalized, g.count, g.first_id, u.question, u.best_snippet_id, u.best_score,"
            " g.last_seen"
            " FROM (SELECT normalized, COUNT(*) AS count, MIN(id) AS first_id, MAX(created_at) AS last_seen"
            f" FROM unanswered {where} GROUP BY normalized) AS g JOIN unanswered AS u ON u.id = g.first_id"
            " ORDER BY g.count DESC, g.last_seen DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        (total,) = (await self._rows(f"SELECT COUNT(DISTINCT normalized) FROM unanswered {where}", params))[0]
        return [QuestionGroup(*row) for row in rows], total

    async def get(self, unanswered_id: int, *, guild_id: int | None = None) -> UnansweredRow:
        where, params = self._scope(guild_id, None)
        where = f"{where} AND id = ?" if where else "WHERE id = ?"
        rows = await self._rows(f"SELECT {_ROW_COLUMNS} FROM unanswered {where}", (*params, unanswered_id))
        if not rows:
            raise StoreError(f"no logged question with id {unanswered_id}")
        return UnansweredRow(*rows[0])

    async def resolve(
        self, unanswered_id: int, snippet_id: str, *, guild_id: int | None = None
    ) -> UnansweredRow:
        """Teach the bot: the question becomes a phrasing of `snippet_id`.

        Every open question in the same scope that reads the same is resolved with it. Returns the row.
        """
        row = await self.get(unanswered_id, guild_id=guild_id)
        now = _now()
        where, params = self._scope(guild_id, "new")
        await self._db.execute(
            f"UPDATE unanswered SET status = 'resolved', resolved_snippet_id = ?, updated_at = ?"
            f" {where} AND (normalized = ? OR id = ?)",
            (snippet_id, now, *params, row.normalized, row.id),
        )
        await self._db.execute(
            "INSERT INTO learned_phrasings (snippet_id, question, normalized, unanswered_id, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (normalized) DO UPDATE SET snippet_id = excluded.snippet_id,"
            " question = excluded.question, unanswered_id = excluded.unanswered_id",
            (snippet_id, row.question, row.normalized, row.id, now),
        )
        await self._db.commit()
        return await self.get(unanswered_id)

    async def dismiss(self, unanswered_id: int, *, guild_id: int | None = None) -> UnansweredRow:
        """Dismiss the question and every open one in the same scope that reads the same."""
        row = await self.get(unanswered_id, guild_id=guild_id)
        where, params = self._scope(guild_id, "new")
        await self._write(
            f"UPDATE unanswered SET status = 'dismissed', updated_at = ?"
            f" {where} AND (normalized = ? OR id = ?)",
            (_now(), *params, row.normalized, row.id),
        )
        return await self.get(unanswered_id)

    async def learned_phrasings(self) -> list[tuple[str, str]]:
        return [
            (sid, q)
            for sid, q in await self._rows("SELECT snippet_id, question FROM learned_phrasings ORDER BY id")
        ]

    async def export_csv(self, *, guild_id: int | None = None, status: str | None = None) -> str:
        rows = await self.unanswered(guild_id=guild_id, status=status)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(f.name for f in fields(UnansweredRow))
        writer.writerows((*(getattr(row, f.name) for f in fields(UnansweredRow)),) for row in rows)
        return out.getvalue()

    # -- reply counts and feedback -----------------------------------------------------------------------

    async def record_reply(
        self,
        status: str,
        *,
        guild_id: int | None = None,
        snippet_id: str | None = None,
        question: str | None = None,
    ) -> None:
        await self._write(
            "INSERT INTO replies (status, guild_id, snippet_id, question, created_at) VALUES (?, ?, ?, ?, ?)",
            (status, guild_id, snippet_id, question, _now()),
        )

    async def record_feedback(
        self, *, message_id: int, user_id: int, snippet_id: str, helpful: bool, guild_id: int | None = None
    ) -> None:
        """One vote per member per answer; voting again replaces the earlier vote."""
        await self._write(
            "INSERT INTO feedback (message_id, user_id, snippet_id, guild_id, helpful, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (message_id, user_id) DO UPDATE SET helpful = excluded.helpful",
            (message_id, user_id, snippet_id, guild_id, int(helpful), _now()),
        )

    async def stats(self, *, guild_id: int | None = None, days: int = 7) -> dict[str, Any]:
        """Counts for moderators: the log by status and reason, replies over the last `days`, feedback."""
        where, params = self._scope(guild_id, None)
        by_status = dict(
            await self._rows(f"SELECT status, COUNT(*) FROM unanswered {where} GROUP BY status", params)
        )
        by_reason = dict(
            await self._rows(f"SELECT reason, COUNT(*) FROM unanswered {where} GROUP BY reason", params)
        )
        since = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")
        recent_where = f"{where} AND created_at >= ?" if where else "WHERE created_at >= ?"
        replies = dict(
            await self._rows(
                f"SELECT status, COUNT(*) FROM replies {recent_where} GROUP BY status", (*params, since)
            )
        )
        feedback = await self._rows(
            f"SELECT snippet_id, SUM(helpful), SUM(1 - helpful) FROM feedback {where}"
            " GROUP BY snippet_id ORDER BY SUM(1 - helpful) DESC, snippet_id LIMIT 5",
            params,
        )
        asked = sum(replies.values())
        return {
            "unanswered_by_status": {s: by_status.get(s, 0) for s in STATUSES},
            "unanswered_by_reason": {r: by_reason.get(r, 0) for r in REASONS},
            "days": days,
            "replies": replies,
            "asked": asked,
            "answered_rate": replies.get("answered", 0) / asked if asked else 0.0,
            "unanswered_rate": replies.get("unanswered", 0) / asked if asked else 0.0,
            "feedback": [{"snippet_id": s, "up": up, "down": down} for s, up, down in feedback if down],
        }

    @staticmethod
    def _scope(guild_id: int | None, status: str | None) -> tuple[str, tuple[Any, ...]]:
        clauses: list[str] = []
        params: list[Any] = []
        if guild_id is not None:
            clauses.append("guild_id = ?")
            params.append(guild_id)
        if status is not None:
            if status not in STATUSES:
                raise StoreError(f"unknown status {status!r}; expected one of {', '.join(STATUSES)}")
            clauses.append("status = ?")
            params.append(status)
        return ("WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)


def rows_as_dicts(rows: Iterable[UnansweredRow]) -> list[dict[str, Any]]:
    return [row.as_dict() for row in rows]
