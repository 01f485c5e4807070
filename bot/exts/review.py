"""Moderators review the questions the bot could not answer: `/unanswered list|resolve|dismiss|export|stats`.

Server-side gate: a role in `MOD_ROLE_IDS` or Manage Messages (`default_permissions` is only a hint to the
client). Guild-only; each moderator sees and changes only their own server's log; every reply is ephemeral.
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import check_moderator, is_moderator
from bot.embeds import DESCRIPTION_LIMIT, FIELD_VALUE_LIMIT, clip
from bot.store import STATUSES, QuestionGroup, StoreError

if TYPE_CHECKING:
    from bot.client import KratomBot

log = logging.getLogger(__name__)

PAGE_SIZE = 5
EXAMPLE_LIMIT = 300


class GroupPages(discord.ui.View):
    """`/unanswered list`, one page at a time, with Previous and Next buttons for the moderator who asked."""

    def __init__(self, cog: Review, guild_id: int, status: str, owner_id: int) -> None:
        super().__init__(timeout=600)
        self.cog = cog
        self.guild_id = guild_id
        self.status = status
        self.owner_id = owner_id
        self.page = 0
        self.pages = 1

    async def render(self) -> discord.Embed:
        store = self.cog.bot.pipeline.store
        groups, total = await store.groups(
            guild_id=self.guild_id, status=self.status, limit=PAGE_SIZE, offset=self.page * PAGE_SIZE
        )
        self.pages = max(1, -(-total // PAGE_SIZE))
        self.previous.disabled = self.page <= 0
        self.next.disabled = self.page >= self.pages - 1
        embed = discord.Embed(title=f"Unanswered questions ({self.status})", colour=discord.Colour.blurple())
        if not groups:
            embed.description = "No logged questions."
            return embed
        embed.description = clip("\n\n".join(self.cog.describe(group) for group in groups), DESCRIPTION_LIMIT)
        embed.set_footer(
            text=f"Page {self.page + 1}/{self.pages} · {total} distinct question(s) · most frequent first"
        )
        return embed

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return interaction.user.id == self.owner_id

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        self.page = max(0, min(self.pages - 1, self.page + step))
        await interaction.response.edit_message(embed=await self.render(), view=self)

    @discord.ui.button(label="◀ Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next ▶", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._turn(interaction, +1)


@app_commands.guild_only()
@app_commands.default_permissions(manage_messages=True)
class Review(
    commands.GroupCog,
    group_name="unanswered",
    group_description="Review the questions the bot could not answer (moderators).",
):
    def __init__(self, bot: KratomBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return check_moderator(interaction, self.bot.settings.mod_role_ids)

    def _title(self, snippet_id: str | None) -> str | None:
        snippet = self.bot.pipeline.knowledge.by_id.get(snippet_id) if snippet_id else None
        return snippet.title if snippet else None

    def describe(self, group: QuestionGroup) -> str:
        line = f"**#{group.first_id}** ×{group.count} — {clip(group.example, EXAMPLE_LIMIT)}"
        if group.best_snippet_id:
            title = self._title(group.best_snippet_id) or "(no longer in the knowledge base)"
            score = f", score {group.best_score:.2f}" if group.best_score is not None else ""
            line += f"\nnearest: {title} (`{group.best_snippet_id}`){score}"
        else:
            line += "\nnearest: none"
        return line

    @app_commands.command(name="list", description="Logged questions, most frequent first.")
    @app_commands.describe(status="Which questions (default: new)")
    @app_commands.choices(status=[app_commands.Choice(name=status, value=status) for status in STATUSES])
    async def list_(self, interaction: discord.Interaction, status: str = "new") -> None:
        assert interaction.guild_id is not None
        view = GroupPages(self, interaction.guild_id, status, interaction.user.id)
        embed = await view.render()
        kwargs: dict[str, Any] = {"embed": embed}
        if view.pages > 1:
            kwargs["view"] = view
        await interaction.response.send_message(ephemeral=True, **kwargs)

    @app_commands.command(name="resolve", description="Teach the bot: answer this question with a snippet.")
    @app_commands.rename(question_id="id")
    @app_commands.describe(question_id="The question's number (#) in /unanswered list", snippet="The answer")
    async def resolve(
        self, interaction: discord.Interaction, question_id: app_commands.Range[int, 1], snippet: str
    ) -> None:
        try:
            row = await self.bot.pipeline.teach(question_id, snippet, guild_id=interaction.guild_id)
        except KeyError:
            message = f"There is no snippet `{clip(snippet, 100)}`: pick one from the suggestions."
        except StoreError as error:
            message = f"{error}."
        else:
            message = (
                f"#{row.id} resolved: “{clip(row.question, EXAMPLE_LIMIT)}” is now answered by "
                f"**{self._title(snippet)}** (`{snippet}`), from now on."
            )
        await interaction.response.send_message(message, ephemeral=True)

    @resolve.autocomplete("snippet")
    async def snippet_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if not is_moderator(interaction, self.bot.settings.mod_role_ids):
            return []
        needle = current.casefold().strip()
        found = [
            s for s in self.bot.pipeline.knowledge.snippets if needle in s.id or needle in s.title.casefold()
        ]
        return [app_commands.Choice(name=clip(f"{s.title} ({s.id})", 100), value=s.id) for s in found[:25]]

    @app_commands.command(name="dismiss", description="Dismiss a logged question (and its identical copies).")
    @app_commands.rename(question_id="id")
    @app_commands.describe(question_id="The question's number (#) in /unanswered list")
    async def dismiss(
        self, interaction: discord.Interaction, question_id: app_commands.Range[int, 1]
    ) -> None:
        try:
            row = await self.bot.pipeline.store.dismiss(question_id, guild_id=interaction.guild_id)
        except StoreError as error:
            message = f"{error}."
        else:
            message = f"#{row.id} dismissed: “{clip(row.question, EXAMPLE_LIMIT)}”."
        await interaction.response.send_message(message, ephemeral=True)

    @app_commands.command(name="export", description="This server's log of questions as a CSV file.")
    async def export(self, interaction: discord.Interaction) -> None:
        text = await self.bot.pipeline.store.export_csv(guild_id=interaction.guild_id)
        rows = max(0, text.count("\n") - 1)
        file = discord.File(
            io.BytesIO(text.encode("utf-8")), filename=f"unanswered-{interaction.guild_id}.csv"
        )
        await interaction.response.send_message(f"{rows} logged question(s).", file=file, ephemeral=True)

    @app_commands.command(name="stats", description="Counts: the log, answer rates, feedback.")
    async def stats(self, interaction: discord.Interaction) -> None:
        stats = await self.bot.pipeline.store.stats(guild_id=interaction.guild_id)
        await interaction.response.send_message(embed=stats_embed(stats), ephemeral=True)


def stats_embed(stats: dict[str, Any]) -> discord.Embed:
    replies = stats["replies"]
    embed = discord.Embed(title="Question statistics", colour=discord.Colour.blurple())
    embed.add_field(
        name="Log by status",
        value=" · ".join(f"{k}: {v}" for k, v in stats["unanswered_by_status"].items()),
        inline=False,
    )
    embed.add_field(
        name="Log by reason",
        value=" · ".join(f"{k}: {v}" for k, v in stats["unanswered_by_reason"].items()),
        inline=False,
    )
    embed.add_field(
        name=f"Last {stats['days']} days",
        value=(
            f"questions: {stats['asked']} · answered: {stats['answered_rate']:.0%}"
            f" · unanswered: {stats['unanswered_rate']:.0%}\n"
            f"emergencies: {replies.get('emergency', 0)} · refusals: {replies.get('refused', 0)}"
        ),
        inline=False,
    )
    feedback = stats["feedback"]
    embed.add_field(
        name="Most thumbs-down",
        value=clip(
            "\n".join(f"`{f['snippet_id']}`: 👎 {f['down']} · 👍 {f['up']}" for f in feedback),
            FIELD_VALUE_LIMIT,
        )
        if feedback
        else "none",
        inline=False,
    )
    return embed


async def setup(bot: KratomBot) -> None:
    await bot.add_cog(Review(bot))
