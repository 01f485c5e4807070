"""Members ask: `/ask`, a mention, a direct message, or (optionally) any question in `ASK_CHANNEL_IDS`.

Every question goes through the one pipeline; every reply is a `guardrails.replies.Reply` laid out as an
embed. On `/ask`, replies meant for the asker alone (refusals, emergencies, errors, cooldowns, help) are
ephemeral; in channels they reply to the message.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.embeds import question_from, reply_embed
from bot.pipeline import Asker
from bot.ui import reply_view
from guardrails import replies
from guardrails.replies import Reply, Status

if TYPE_CHECKING:
    from bot.client import KratomBot

log = logging.getLogger(__name__)

MAX_QUESTION_LENGTH = 1000  # longer messages get the help reply
ACK_DEADLINE = 2.0  # seconds before /ask is acknowledged and answered by a follow-up (Discord allows 3)
PRIVATE_STATUSES = frozenset({Status.REFUSED, Status.EMERGENCY, Status.ERROR, Status.COOLDOWN, Status.HELP})
QUESTION_WORDS = frozenset(
    """what whats what's how hows how's why is are does do did can could should would will was were
    when where which who whom whose any anyone tell explain""".split()  # noqa: SIM905
)


def reply_message(reply: Reply, asker_id: int, question: str | None = None) -> dict[str, Any]:
    """The keyword arguments that send `reply`: its embed, and its buttons when it has any."""
    message: dict[str, Any] = {"embed": reply_embed(reply, question=question)}
    if (view := reply_view(reply, asker_id)) is not None:
        message["view"] = view
    return message


def looks_like_question(text: str) -> bool:
    """A message in an ask channel worth answering without a mention: a question mark or a question word."""
    if "?" in text:
        return True
    words = text.split(maxsplit=1)
    return bool(words) and words[0].lower().strip(",.!:;") in QUESTION_WORDS


class MemberCooldown:
    """At most `rate` questions per `per` seconds for each member, and one cooldown notice per wait."""

    def __init__(self, rate: int, per: float) -> None:
        self._buckets: commands.CooldownMapping[int] = commands.CooldownMapping(
            commands.Cooldown(rate, per), lambda user_id: user_id
        )
        self._warned_until: dict[int, float] = {}

    def hit(self, user_id: int, now: float | None = None) -> float | None:
        """Count a question; the seconds to wait when over the limit, else None."""
        now = time.time() if now is None else now
        return self._buckets.get_bucket(user_id, now).update_rate_limit(now)  # type: ignore[union-attr]

    def should_notify(self, user_id: int, retry_after: float, now: float | None = None) -> bool:
        """True the first time a member hits the limit in a wait; later hits in it stay silent."""
        now = time.time() if now is None else now
        if self._warned_until.get(user_id, 0.0) > now:
            return False
        if len(self._warned_until) > 10_000:
            self._warned_until = {k: v for k, v in self._warned_until.items() if v > now}
        self._warned_until[user_id] = now + retry_after
        return True


class Asking(commands.Cog):
    def __init__(self, bot: KratomBot) -> None:
        self.bot = bot
        self.cooldown = MemberCooldown(bot.settings.cooldown_questions, bot.settings.cooldown_seconds)

    async def answer(self, question: str, asker: Asker) -> Reply:
        """The pipeline's reply; any failure is logged with its traceback and becomes the error reply."""
        try:
            return await self.bot.pipeline.ask(question, asker)
        except Exception:
            log.exception("error while answering a question (server %s)", asker.guild_id)
            return replies.error()

    # -- /ask ----------------------------------------------------------------------------------------------

    @app_commands.command(name="ask", description="Ask a question about kratom or chronic pain.")
    @app_commands.describe(question="Your question, in a sentence")
    async def ask(
        self, interaction: discord.Interaction, question: app_commands.Range[str, 1, MAX_QUESTION_LENGTH]
    ) -> None:
        text = question.strip()
        if not text or len(text) > MAX_QUESTION_LENGTH:
            await self._respond(interaction, replies.help_reply())
            return
        retry_after = self.cooldown.hit(interaction.user.id)
        if retry_after is not None:
            await self._respond(interaction, replies.cooldown(retry_after))
            return
        asker = Asker(
            user_id=interaction.user.id, guild_id=interaction.guild_id, channel_id=interaction.channel_id
        )
        answering = asyncio.ensure_future(self.answer(text, asker))
        try:
            reply = await asyncio.wait_for(asyncio.shield(answering), ACK_DEADLINE)
        except TimeoutError:
            # Slow (a busy database): acknowledge before Discord's 3 seconds run out, then follow up.
            await self._respond_late(interaction, answering, text)
            return
        await self._respond(interaction, reply, question=text)

    async def _respond_late(
        self, interaction: discord.Interaction, answering: asyncio.Future[Reply], question: str
    ) -> None:
        try:
            await interaction.response.defer(thinking=True)
        except discord.HTTPException:
            log.exception("could not acknowledge /ask (interaction %s)", interaction.id)
        reply = await answering
        message = reply_message(reply, interaction.user.id, question)
        try:
            if reply.status in PRIVATE_STATUSES:
                # The "thinking" message is public: replace it with an ephemeral follow-up.
                await interaction.delete_original_response()
                await interaction.followup.send(**message, ephemeral=True)
            else:
                await interaction.followup.send(**message)
        except discord.HTTPException:
            log.exception("could not follow up /ask (interaction %s)", interaction.id)

    async def _respond(
        self, interaction: discord.Interaction, reply: Reply, question: str | None = None
    ) -> None:
        message = reply_message(reply, interaction.user.id, question)
        try:
            await interaction.response.send_message(**message, ephemeral=reply.status in PRIVATE_STATUSES)
        except discord.HTTPException:
            log.exception("could not answer /ask (interaction %s)", interaction.id)

    # -- mentions, direct messages, ask channels ---------------------------------------------------------

    def _mentions_me(self, message: discord.Message) -> bool:
        me = self.bot.user
        if me is None:
            return False
        if me.id in message.raw_mentions or any(user.id == me.id for user in message.mentions):
            return True
        role = message.guild.self_role if message.guild else None
        return role is not None and role.id in message.raw_role_mentions

    def _in_ask_channel(self, message: discord.Message) -> bool:
        channels = self.bot.settings.ask_channel_ids
        if not channels or message.guild is None:
            return False
        return message.channel.id in channels or getattr(message.channel, "parent_id", None) in channels

    def _without_my_mentions(self, message: discord.Message) -> str:
        me = self.bot.user
        text = message.content
        if me is not None:
            text = re.sub(rf"<@!?{me.id}>", " ", text)
        role = message.guild.self_role if message.guild else None
        if role is not None:
            text = text.replace(role.mention, " ")
        return " ".join(text.split())

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        try:
            await self.handle_message(message)
        except Exception:
            log.exception("error while handling message %s", message.id)
            await self.send_reply(message, replies.error())

    async def handle_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if message.author.bot or message.webhook_id is not None or me is None or message.author.id == me.id:
            return
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        addressed = message.guild is None or self._mentions_me(message)
        if not addressed and not self._in_ask_channel(message):
            return
        text = self._without_my_mentions(message)
        if not text or len(text) > MAX_QUESTION_LENGTH:
            # Only a mention, only attachments, or far too long: how to ask. In an ask channel, a message
            # with nothing to read is not meant for the bot.
            if addressed or text:
                await self.send_reply(message, replies.help_reply())
            return
        if not addressed and not looks_like_question(text):
            return
        retry_after = self.cooldown.hit(message.author.id)
        if retry_after is not None:
            if self.cooldown.should_notify(message.author.id, retry_after):
                await self.send_reply(message, replies.cooldown(retry_after))
            return
        asker = Asker(
            user_id=message.author.id,
            guild_id=message.guild.id if message.guild else None,
            channel_id=message.channel.id,
            message_link=message.jump_url,
        )
        await self.send_reply(message, await self.answer(text, asker), question=text)

    async def send_reply(self, message: discord.Message, reply: Reply, question: str | None = None) -> None:
        """`reply` as an embed replying to `message` (even if it was deleted meanwhile)."""
        parts = reply_message(reply, message.author.id, question)
        try:
            await message.channel.send(**parts, reference=message.to_reference(fail_if_not_exists=False))
        except discord.Forbidden:
            log.warning("not allowed to reply in channel %s", message.channel.id)
        except discord.HTTPException:
            log.exception("could not reply to message %s", message.id)

    # -- "Did you mean ...?" -----------------------------------------------------------------------------

    async def pick(self, interaction: discord.Interaction, asker_id: int, snippet_id: str) -> None:
        """A "Did you mean ...?" choice: answer with that snippet (the question was logged as ambiguous)."""
        message = interaction.message
        question = question_from(message.embeds[0]) if message and message.embeds else None
        try:
            reply = self.bot.pipeline.answer_with(snippet_id)
        except KeyError:
            log.warning("suggested snippet %r is no longer in the knowledge base", snippet_id)
            reply = replies.error()
        except Exception:
            log.exception("error while answering with snippet %r", snippet_id)
            reply = replies.error()
        parts = reply_message(reply, asker_id, question)
        try:
            if interaction.user.id == asker_id and reply.status is Status.ANSWERED:
                # The asker's choice replaces the choices with the answer, for everyone to read.
                await interaction.response.edit_message(**parts)
            else:
                await interaction.response.send_message(**parts, ephemeral=True)
        except discord.HTTPException:
            log.exception("could not answer a suggestion click (interaction %s)", interaction.id)


async def setup(bot: KratomBot) -> None:
    await bot.add_cog(Asking(bot))
