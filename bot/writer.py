"""Store writes that survive a failing database: kept in memory, retried with backoff, never dropped.

The pipeline must keep answering when the database is read-only, locked past its busy timeout, deleted or
on a full disk. A write that fails is queued; a background task retries the queue in order, doubling its
wait up to a ceiling, and logs a warning on every failure. Nothing is lost while the process lives; at
shutdown, whatever still could not be written is logged as an error with its count.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.store import Store

log = logging.getLogger(__name__)

Write = Callable[[Store], Awaitable[object]]
# What a failing database raises: sqlite3's errors (locked, read-only, full, I/O) and OS errors.
STORE_FAILURES = (sqlite3.Error, OSError)


@dataclass(frozen=True, slots=True)
class Pending:
    write: Write
    what: str  # for logs: what kind of record, never the member's text


class RetryingWriter:
    def __init__(self, store: Store, *, first_delay: float = 0.25, max_delay: float = 30.0) -> None:
        self.store = store
        self.first_delay = first_delay
        self.max_delay = max_delay
        self._pending: deque[Pending] = deque()
        self._retrying: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def submit(self, write: Write, what: str) -> None:
        """Write now if the store works and nothing is queued before this; else queue it for retry."""
        if not self._pending:
            try:
                await write(self.store)
                return
            except STORE_FAILURES as error:
                log.warning("could not write %s to the store (%s); kept in memory, will retry", what, error)
        self._pending.append(Pending(write, what))
        if self._retrying is None or self._retrying.done():
            self._retrying = asyncio.create_task(self._retry(), name="store-retry")

    async def _retry(self) -> None:
        delay = self.first_delay
        while self._pending:
            await asyncio.sleep(delay)
            try:
                await self._flush()
            except STORE_FAILURES as error:
                delay = min(delay * 2, self.max_delay)
                log.warning(
                    "store still failing (%s); %d write(s) kept in memory, next try in %.1fs",
                    error,
                    len(self._pending),
                    delay,
                )
        log.info("store recovered; every kept write is saved")

    async def _flush(self) -> None:
        while self._pending:
            await self._pending[0].write(self.store)
            self._pending.popleft()

    async def close(self) -> None:
        """Stop retrying after one last attempt; loudly report anything still unwritten."""
        if self._retrying is not None:
            self._retrying.cancel()
        try:
            await self._flush()
        except STORE_FAILURES as error:
            log.error(
                "store unavailable at shutdown (%s): %d write(s) could not be saved", error, self.pending
            )
