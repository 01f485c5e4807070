"""The buttons members press, as dynamic items: the custom_id carries all their state, so they keep
working after a restart. `KratomBot.setup_hook` registers them; the cogs hold the logic they call.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.embeds import clip
from guardrails.replies import Reply, Status

if TYPE_CHECKING:
    from bot.exts.asking import Asking
    from bot.exts.feedback import Feedback

log = logging.getLogger(__name__)

SNIPPET_ID = r"[a-z0-9]+(?:-[a-z0-9]+)*"
BUTTON_LABEL_LIMIT = 80


class VoteButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=rf"kb:vote:(?P<vote>up|down):(?P<snippet>{SNIPPET_ID})",
):
    """👍 / 👎 under an answer; the custom_id names the snippet answered with."""

    def __init__(self, snippet_id: str, helpful: bool) -> None:
        self.snippet_id = snippet_id
        self.helpful = helpful
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.secondary,
                emoji="👍" if helpful else "👎",
                custom_id=f"kb:vote:{'up' if helpful else 'down'}:{snippet_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> VoteButton:
        return cls(match["snippet"], match["vote"] == "up")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        cog: Feedback | None = interaction.client.get_cog("Feedback")
        if cog is None:
            log.warning("vote on %s ignored: the feedback extension is not loaded", self.snippet_id)
            await interaction.response.defer()
            return
        await cog.vote(interaction, self.snippet_id, self.helpful)


class SuggestionButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=rf"kb:pick:(?P<user>[0-9]+):(?P<snippet>{SNIPPET_ID})",
):
    """One "Did you mean ...?" choice; the custom_id names the snippet and who asked."""

    def __init__(self, asker_id: int, snippet_id: str, title: str = "…") -> None:
        self.asker_id = asker_id
        self.snippet_id = snippet_id
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.primary,
                label=clip(title, BUTTON_LABEL_LIMIT),
                custom_id=f"kb:pick:{asker_id}:{snippet_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> SuggestionButton:
        return cls(int(match["user"]), match["snippet"], item.label or "…")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        cog: Asking | None = interaction.client.get_cog("Asking")
        if cog is None:
            log.warning("suggestion %s ignored: the asking extension is not loaded", self.snippet_id)
            await interaction.response.defer()
            return
        await cog.pick(interaction, self.asker_id, self.snippet_id)


def reply_view(reply: Reply, asker_id: int) -> discord.ui.View | None:
    """The buttons under a reply: votes under an answer, choices under "Did you mean ...?", else none."""
    if reply.status is Status.ANSWERED and reply.snippet_id:
        view = discord.ui.View(timeout=None)
        view.add_item(VoteButton(reply.snippet_id, True))
        view.add_item(VoteButton(reply.snippet_id, False))
        return view
    if reply.status is Status.UNANSWERED and reply.suggestions:
        view = discord.ui.View(timeout=None)
        for suggestion in reply.suggestions[:3]:
            view.add_item(SuggestionButton(asker_id, suggestion.snippet_id, suggestion.title))
        return view
    return None
