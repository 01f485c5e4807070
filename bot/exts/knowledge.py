"""`/kb reload` (moderators): re-read the knowledge files without a restart. A broken file keeps the
knowledge in service and reports every problem with its file, snippet and field."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import check_moderator
from bot.embeds import DESCRIPTION_LIMIT, clip
from knowledge.loader import KnowledgeError

if TYPE_CHECKING:
    from bot.client import KratomBot

log = logging.getLogger(__name__)


@app_commands.guild_only()
@app_commands.default_permissions(manage_messages=True)
class Knowledge(commands.GroupCog, group_name="kb", group_description="The knowledge base (moderators)."):
    def __init__(self, bot: KratomBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return check_moderator(interaction, self.bot.settings.mod_role_ids)

    @app_commands.command(name="reload", description="Re-read the knowledge files, keeping them if broken.")
    async def reload(self, interaction: discord.Interaction) -> None:
        try:
            knowledge = await self.bot.pipeline.reload(self.bot.settings.snippets_dir)
        except KnowledgeError as error:
            log.warning("knowledge reload refused: %d problem(s)", len(error.problems))
            embed = discord.Embed(
                title="Not reloaded: the previous knowledge stays in service",
                description=clip(
                    f"{len(error.problems)} problem(s):\n" + "\n".join(f"• {p}" for p in error.problems),
                    DESCRIPTION_LIMIT,
                ),
                colour=discord.Colour.red(),
            )
        else:
            phrasings = sum(len(s.questions) for s in knowledge.snippets)
            log.info("knowledge reloaded: %d snippets", len(knowledge.snippets))
            embed = discord.Embed(
                title="Knowledge reloaded",
                description=(
                    f"{len(knowledge.snippets)} snippets, {phrasings} curated phrasings, "
                    f"{len(knowledge.learned)} learned, {len(knowledge.sources)} sources."
                ),
                colour=discord.Colour.green(),
            )
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: KratomBot) -> None:
    await bot.add_cog(Knowledge(bot))
