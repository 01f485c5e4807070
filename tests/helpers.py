"""Spec'd mocks of discord.py objects, for unit tests of the cogs where the fake Discord is overkill; and the
labelled question sets in tests/data, read the same way by every test that uses them.

`spec_set` (or `spec`) makes a mock reject attributes the real class lacks, so a test cannot pass against
an API that does not exist; `isinstance(mock_member(), discord.Member)` holds.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any
from unittest import mock

import discord
import yaml

from bot.client import KratomBot
from bot.config import Settings
from bot.pipeline import Pipeline
from bot.store import Store
from bot.writer import RetryingWriter
from guardrails import replies
from guardrails.replies import Reply, Suggestion
from knowledge.models import Snippet

DATA = Path(__file__).parent / "data"


def question_set(path: Path) -> list[tuple[str, str]]:
    """The (question, expected status) pairs of a set in the evaluation format (../shared/eval/score.py)."""
    with path.open(encoding="utf-8") as file:
        return [(case["q"], case["expect"]) for case in yaml.safe_load(file)["cases"]]


_ids = itertools.count(1_200_000_000_000_000_000)


def next_id() -> int:
    return next(_ids)


def mock_role(role_id: int | None = None, name: str = "role") -> mock.MagicMock:
    role = mock.MagicMock(spec_set=discord.Role)
    role.id = role_id or next_id()
    role.name = name
    role.mention = f"<@&{role.id}>"
    return role


def mock_guild(guild_id: int | None = None, self_role: discord.Role | None = None) -> mock.MagicMock:
    guild = mock.MagicMock(spec_set=discord.Guild)
    guild.id = guild_id or next_id()
    guild.self_role = self_role
    return guild


def mock_member(
    user_id: int | None = None, *, roles: list[Any] | None = None, bot: bool = False, guild: Any = None
) -> mock.MagicMock:
    member = mock.MagicMock(spec=discord.Member)  # spec: `_roles` is read by the moderator check
    member.id = user_id or next_id()
    member.bot = bot
    member.roles = roles or []
    member._roles = [role.id for role in member.roles]
    member.guild = guild
    member.mention = f"<@{member.id}>"
    return member


def mock_user(user_id: int | None = None, *, bot: bool = False) -> mock.MagicMock:
    user = mock.MagicMock(spec_set=discord.User)
    user.id = user_id or next_id()
    user.bot = bot
    user.mention = f"<@{user.id}>"
    return user


def mock_interaction(
    user: Any = None,
    *,
    guild: Any = None,
    permissions: discord.Permissions | None = None,
    message: Any = None,
    channel_id: int | None = None,
) -> mock.MagicMock:
    """An interaction whose `response` and `followup` record what the cog sent."""
    interaction = mock.MagicMock(spec_set=discord.Interaction)
    interaction.id = next_id()
    interaction.user = user if user is not None else mock_member(guild=guild)
    interaction.guild = guild
    interaction.guild_id = guild.id if guild is not None else None
    interaction.channel_id = channel_id or next_id()
    interaction.permissions = permissions or discord.Permissions.none()
    interaction.message = message
    interaction.response = mock.MagicMock(spec_set=discord.InteractionResponse)
    for name in ("send_message", "edit_message", "defer", "autocomplete"):
        setattr(interaction.response, name, mock.AsyncMock())
    interaction.response.is_done.return_value = False
    interaction.delete_original_response = mock.AsyncMock()
    interaction.followup = mock.MagicMock(spec_set=discord.Webhook)
    interaction.followup.send = mock.AsyncMock()
    return interaction


def mock_message(
    content: str = "",
    *,
    author: Any = None,
    guild: Any = None,
    channel_id: int | None = None,
    mentions: list[Any] | None = None,
    embeds: list[discord.Embed] | None = None,
    reference: Any = None,
) -> mock.MagicMock:
    """A message; `message.channel.send` records the bot's reply."""
    message = mock.MagicMock(spec_set=discord.Message)
    message.id = next_id()
    message.content = content
    message.author = author if author is not None else mock_member(guild=guild)
    message.guild = guild
    message.webhook_id = None
    message.type = discord.MessageType.default
    message.mentions = mentions or []
    message.raw_mentions = [int(m) for m in re.findall(r"<@!?([0-9]+)>", content)]
    message.raw_role_mentions = [int(m) for m in re.findall(r"<@&([0-9]+)>", content)]
    message.embeds = embeds or []
    message.reference = reference
    message.jump_url = f"https://discord.com/channels/{guild.id if guild else '@me'}/0/{message.id}"
    message.channel = mock.MagicMock(spec=discord.TextChannel if guild else discord.DMChannel)
    message.channel.id = channel_id or next_id()
    message.channel.send = mock.AsyncMock()
    return message


def mock_pipeline() -> mock.MagicMock:
    """A `Pipeline` with AsyncMock coroutines and a spec'd store (spec'd on an instance, for its attributes)."""
    instance = Pipeline(mock.Mock(), mock.Mock(), mock.Mock())
    pipeline = mock.MagicMock(spec_set=instance)
    for name in ("ask", "teach", "reload", "close"):
        setattr(pipeline, name, mock.AsyncMock())
    pipeline.store = mock.MagicMock(spec_set=Store)
    for name in ("record_feedback", "log_unanswered", "groups", "dismiss", "export_csv", "stats", "get"):
        setattr(pipeline.store, name, mock.AsyncMock())
    pipeline.writer = RetryingWriter(pipeline.store)  # real: what reaches the mocked store is what counts
    return pipeline


def mock_bot(
    settings: Settings | None = None, pipeline: Any = None, user_id: int | None = None
) -> mock.MagicMock:
    """A `KratomBot` (spec'd on a real, unconnected instance) with settings, a pipeline and a user."""
    settings = settings or Settings(database_path=Path("unused.sqlite3"))
    pipeline = pipeline if pipeline is not None else mock_pipeline()
    bot = mock.MagicMock(spec_set=KratomBot(settings, pipeline))
    bot.settings = settings
    bot.pipeline = pipeline
    bot.user = mock.MagicMock(spec_set=discord.ClientUser)
    bot.user.id = user_id or next_id()
    return bot


SNIPPET = Snippet(
    id="kratom-side-effects",
    title="Reported side effects of kratom",
    questions=("what are the side effects of kratom?",) * 4,
    answer="Side effects may include nausea, sweating, or insomnia.",
    article="dosage.txt",
    section="Dosage and Side Effects",
    source_title="Kratom for chronic pain",
    caution="The FDA reports serious adverse events with kratom.",
)


def every_reply() -> dict[str, Reply]:
    """One reply of every kind a member can get, by name: every status, and the variants within one."""
    return {
        "answered": replies.answer(SNIPPET, 0.9),
        "unanswered": replies.unanswered(),
        "ambiguous": replies.unanswered((Suggestion("a", "Topic A", 0.6), Suggestion("b", "Topic B", 0.59))),
        "refused": replies.refused(),
        "emergency": replies.emergency(),
        "self-harm": replies.emergency(self_harm=True),
        "error": replies.error(),
        "cooldown": replies.cooldown(42.4),
        "cooldown-1": replies.cooldown(0.2),
        "help": replies.help_reply(),
        "denied": replies.denied(),
        "denied-dm": replies.denied("server_only"),
    }
