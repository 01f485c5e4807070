"""Thumbs-up and thumbs-down under answers: counted per snippet; a thumbs-down also logs the question
for moderators (reason `thumbs_down`). The buttons themselves are `bot.ui.VoteButton`."""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.client import send_ephemeral
from bot.embeds import question_from, reply_embed
from bot.store import Store, UnansweredEntry
from guardrails import replies
from knowledge.text import canonical_question

if TYPE_CHECKING:
    from bot.client import KratomBot

log = logging.getLogger(__name__)

REMEMBERED_VOTES = 10_000
_MENTION = re.compile(r"<@[!&]?[0-9]+>")


def question_of(message: discord.Message | None) -> str | None:
    """The question an answer was given to: echoed in its embed, else the message it replied to."""
    if message is None:
        return None
    for embed in message.embeds:
        question = question_from(embed)
        if question:
            return question
    reference = message.reference
    referenced = reference.resolved or reference.cached_message if reference else None
    if isinstance(referenced, discord.Message) and referenced.content:
        text = " ".join(_MENTION.sub(" ", referenced.content).split())
        return text or None
    return None


class Feedback(commands.Cog):
    def __init__(self, bot: KratomBot) -> None:
        self.bot = bot
        # The last vote of each member on each answer since start: a repeated thumbs-down logs once.
        self._votes: OrderedDict[tuple[int, int], bool] = OrderedDict()

    def _remember(self, message_id: int, user_id: int, helpful: bool) -> bool | None:
        key = (message_id, user_id)
        previous = self._votes.pop(key, None)
        self._votes[key] = helpful
        while len(self._votes) > REMEMBERED_VOTES:
            self._votes.popitem(last=False)
        return previous

    async def vote(self, interaction: discord.Interaction, snippet_id: str, helpful: bool) -> None:
        message = interaction.message
        try:
            await interaction.response.defer()  # acknowledged; the answer stays as it is
        except discord.HTTPException:
            log.warning("could not acknowledge a vote (interaction %s)", interaction.id, exc_info=True)
        if message is None:
            return
        # Through the pipeline's writer: with the database failing, votes and logged questions are kept
        # in memory and retried like every other log write, never dropped.
        writer = self.bot.pipeline.writer
        user_id, guild_id = interaction.user.id, interaction.guild_id

        async def count(store: Store) -> None:
            await store.record_feedback(
                message_id=message.id,
                user_id=user_id,
                snippet_id=snippet_id,
                helpful=helpful,
                guild_id=guild_id,
            )

        try:
            await writer.submit(count, "a vote")
            previous = self._remember(message.id, user_id, helpful)
            if helpful or previous is False:
                return
            question = question_of(message)
            if question is None:
                log.warning("thumbs-down on %s: the question could not be recovered", snippet_id)
                return
            entry = UnansweredEntry(
                question=question,
                normalized=canonical_question(question),
                reason="thumbs_down",
                guild_id=guild_id,
                channel_id=interaction.channel_id,
                user_id=user_id,
                message_link=message.jump_url,
                best_snippet_id=snippet_id,
            )
            await writer.submit(lambda store: store.log_unanswered(entry), "a thumbs-down question")
        except Exception:
            log.exception("could not record a vote on %s", snippet_id)
            await send_ephemeral(interaction, embed=reply_embed(replies.error()))


async def setup(bot: KratomBot) -> None:
    await bot.add_cog(Feedback(bot))
