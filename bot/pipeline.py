"""The answer pipeline: a question in, a reply out. Discord and the command line are thin adapters over it.

Order: the guardrails (emergency, then personalised dosing) before any lookup; then the matcher; a
question it cannot answer is logged for moderators with its best candidate. Every reply is composed by
`guardrails.replies`, which adds the clinician note.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.store import Store, UnansweredEntry, UnansweredRow
from bot.writer import RetryingWriter
from guardrails import Guardrails, VerdictKind
from guardrails import replies as compose
from guardrails.replies import Reply, Suggestion
from knowledge.base import KnowledgeBase
from knowledge.loader import SNIPPETS_DIR
from knowledge.matcher import DEFAULT_THRESHOLDS, Match, Thresholds
from knowledge.text import canonical_question

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Asker:
    """Who asked, and where: kept with a logged question so moderators can find it."""

    user_id: int | None = None
    guild_id: int | None = None
    channel_id: int | None = None
    message_link: str | None = None


def load_knowledge(
    snippets_dir: Path = SNIPPETS_DIR, learned: Iterable[tuple[str, str]] = ()
) -> KnowledgeBase:
    """The knowledge base, validated against the guardrails' rules for replies (no amount, length)."""
    return KnowledgeBase.load(
        snippets_dir,
        learned=learned,
        render=lambda snippet: compose.answer(snippet).text,
        find_amount=compose.amount_in,
    )


class Pipeline:
    def __init__(
        self,
        knowledge: KnowledgeBase,
        store: Store,
        guardrails: Guardrails,
        thresholds: Thresholds = DEFAULT_THRESHOLDS,
        keep_emergency_text: bool = False,
    ) -> None:
        self.knowledge = knowledge
        self.store = store
        self.writer = RetryingWriter(store)  # logging never blocks or breaks an answer
        self.guardrails = guardrails
        self.thresholds = thresholds
        self.keep_emergency_text = keep_emergency_text
        # One rebuild at a time: two built from the same base would each drop the other's phrasing.
        self._rebuilding = asyncio.Lock()

    async def ask(self, question: str, asker: Asker = Asker()) -> Reply:
        verdict = self.guardrails.check(question)
        if verdict is not None and verdict.kind in (VerdictKind.EMERGENCY, VerdictKind.SELF_HARM):
            log.warning("emergency guidance given (rule %s, guild %s)", verdict.rule, asker.guild_id)
            reply = compose.emergency(self_harm=verdict.kind is VerdictKind.SELF_HARM)
            kept = question if self.keep_emergency_text else None
            await self._count(reply, asker, question=kept)
            return reply
        if verdict is not None:
            log.info("dosing request refused (rule %s)", verdict.rule)
            reply = compose.refused()
            await self._count(reply, asker)
            return reply

        match = self.knowledge.match(question)
        snippet = match.answer(self.thresholds)
        if snippet is not None:
            reply = compose.answer(snippet, match.score)
            await self._count(reply, asker)
            return reply
        return await self._unanswered(question, asker, match)

    async def _unanswered(self, question: str, asker: Asker, match: Match) -> Reply:
        ambiguous = match.is_ambiguous(self.thresholds)
        suggestions = tuple(
            Suggestion(c.snippet.id, c.snippet.title, c.score) for c in match.suggestions(self.thresholds)
        )
        best = match.best
        entry = UnansweredEntry(
            question=question,
            normalized=canonical_question(question),
            reason="ambiguous" if ambiguous else "no_match",
            guild_id=asker.guild_id,
            channel_id=asker.channel_id,
            user_id=asker.user_id,
            message_link=asker.message_link,
            best_snippet_id=best.snippet.id if best else None,
            best_score=best.score if best else None,
        )
        await self.writer.submit(lambda store: store.log_unanswered(entry), "an unanswered question")
        reply = compose.unanswered(suggestions, match.score if best else None)
        await self._count(reply, asker)
        return reply

    async def _count(self, reply: Reply, asker: Asker, question: str | None = None) -> None:
        async def write(store: Store) -> None:
            await store.record_reply(
                reply.status, guild_id=asker.guild_id, snippet_id=reply.snippet_id, question=question
            )

        await self.writer.submit(write, f"a reply count ({reply.status})")

    def answer_with(self, snippet_id: str) -> Reply:
        """The answer from a chosen snippet ("Did you mean ...?"); raises KeyError for an unknown id."""
        return compose.answer(self.knowledge.by_id[snippet_id])

    async def teach(
        self, unanswered_id: int, snippet_id: str, *, guild_id: int | None = None
    ) -> UnansweredRow:
        """Resolve a logged question as a phrasing of `snippet_id`; answered from now on, no restart."""
        if snippet_id not in self.knowledge.by_id:
            raise KeyError(snippet_id)
        async with self._rebuilding:
            row = await self.store.resolve(unanswered_id, snippet_id, guild_id=guild_id)
            # Rebuilding the index takes seconds at scale: off the event loop, so answering goes on.
            self.knowledge = await asyncio.to_thread(self.knowledge.with_learned, snippet_id, row.question)
        return row

    async def reload(self, snippets_dir: Path = SNIPPETS_DIR) -> KnowledgeBase:
        """Re-read the knowledge files. On error (KnowledgeError) the knowledge in service stays."""
        async with self._rebuilding:
            learned = await self.store.learned_phrasings()
            self.knowledge = await asyncio.to_thread(load_knowledge, snippets_dir, learned)
        return self.knowledge

    async def close(self) -> None:
        await self.writer.close()
        await self.store.close()


async def open_pipeline(settings: Settings) -> Pipeline:
    """Open the store, load the knowledge (with the phrasings moderators taught) and the guardrails."""
    store = await Store.open(settings.database_path)
    try:
        knowledge = load_knowledge(settings.snippets_dir, await store.learned_phrasings())
        guardrails = Guardrails.load()
    except BaseException:
        await store.close()
        raise
    return Pipeline(knowledge, store, guardrails, settings.thresholds, settings.keep_emergency_text)
