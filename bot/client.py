"""The Discord client: a `commands.Bot` over the answer pipeline, its features loaded as extensions.

Nothing here syncs the command tree: that is an explicit owner action (`python -m bot sync`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Settings
from bot.embeds import reply_embed
from bot.pipeline import Pipeline, open_pipeline
from bot.ui import SuggestionButton, VoteButton
from guardrails import replies

log = logging.getLogger(__name__)

EXTENSIONS = (
    "bot.exts.asking",
    "bot.exts.feedback",
    "bot.exts.review",
    "bot.exts.knowledge",
)


def intents_for(settings: Settings) -> discord.Intents:
    """Only what the bot uses. Message content (privileged) only when it answers in `ASK_CHANNEL_IDS`:
    Discord delivers the content of mentions and direct messages without it."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = bool(settings.ask_channel_ids)
    return intents


class KratomBot(commands.Bot):
    def __init__(self, settings: Settings, pipeline: Pipeline, **options: Any) -> None:
        options.setdefault("intents", intents_for(settings))
        # The bot has no voice: skip discord.py's warnings about voice libraries.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            chunk_guilds_at_startup=False,
            **options,
        )
        self.settings = settings
        self.pipeline = pipeline
        self.tree.on_error = self.on_app_command_error

    async def setup_hook(self) -> None:
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        # Buttons that keep working after a restart: the custom_id carries everything they need.
        self.add_dynamic_items(VoteButton, SuggestionButton)

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: messages are handled by the asking extension's listener only."""

    async def on_ready(self) -> None:
        log.info(
            "connected as %s (%s) to %d server(s)", self.user, self.user and self.user.id, len(self.guilds)
        )

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """The last resort for an app command: log it with its traceback, tell the member."""
        if isinstance(error, app_commands.CheckFailure):
            # A command used where it cannot run: said through replies.py, so it carries the note too.
            reason = "server_only" if isinstance(error, app_commands.NoPrivateMessage) else "moderators_only"
            await send_ephemeral(interaction, embed=reply_embed(replies.denied(reason)))
            return
        command = interaction.command.qualified_name if interaction.command else "?"
        log.error("error in /%s", command, exc_info=error)
        await send_ephemeral(interaction, embed=reply_embed(replies.error()))


async def send_ephemeral(interaction: discord.Interaction, **kwargs: Any) -> None:
    """Answer an interaction ephemerally, whether or not it was already answered; never raises."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(ephemeral=True, **kwargs)
        else:
            await interaction.response.send_message(ephemeral=True, **kwargs)
    except discord.HTTPException:
        log.warning("could not answer interaction %s", interaction.id, exc_info=True)


async def run(settings: Settings) -> int:
    """`python -m bot run`: connect and serve until SIGINT or SIGTERM, then close cleanly."""
    assert settings.discord_token
    discord.utils.setup_logging(level=settings.log_level)
    pipeline = await open_pipeline(settings)
    try:
        bot = KratomBot(settings, pipeline)
        loop = asyncio.get_running_loop()
        stopping: list[asyncio.Task[None]] = []

        def stop(signame: str) -> None:
            log.info("%s received, shutting down", signame)
            stopping.append(asyncio.ensure_future(bot.close()))

        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # not on every platform
                loop.add_signal_handler(sig, stop, sig.name)
        try:
            async with bot:
                await bot.start(settings.discord_token)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(sig)
            if stopping:
                await asyncio.gather(*stopping, return_exceptions=True)
    finally:
        await pipeline.close()
        log.info("stopped; the store is closed")
    return 0


async def sync(
    settings: Settings, guild_id: int | None = None, *, clear: bool = False
) -> list[app_commands.AppCommand]:
    """`python -m bot sync`: log in (no gateway), publish the command tree globally or to one server.

    `clear` publishes an empty tree instead: it removes the commands from that scope."""
    assert settings.discord_token
    pipeline = await open_pipeline(settings)
    try:
        async with KratomBot(settings, pipeline) as bot:
            await bot.login(settings.discord_token)  # runs setup_hook: the extensions fill the tree
            guild = discord.Object(id=guild_id) if guild_id is not None else None
            if clear:
                bot.tree.clear_commands(guild=guild)
            elif guild is not None:
                bot.tree.copy_global_to(guild=guild)
            return await bot.tree.sync(guild=guild)
    finally:
        await pipeline.close()
