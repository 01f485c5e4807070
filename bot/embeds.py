"""Lay out a `guardrails.replies.Reply` as a Discord embed.

The reply's parts decide everything a member reads: the heading is the title, the body the description,
the caution and the source are fields, and the clinician note is the footer, on every embed. The only
text added here is the member's own question ("You asked"), echoed so that a later thumbs-down can log it
without any other state.
"""

from __future__ import annotations

import discord

from guardrails.replies import Reply, Status

# Discord's embed limits.
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048

CAUTION_FIELD = "⚠️ Caution"
SOURCE_FIELD = "Source"
QUESTION_FIELD = "You asked"
NOTE_PREFIX = "🩺 "

COLOURS: dict[Status, discord.Colour] = {
    Status.ANSWERED: discord.Colour.blurple(),
    Status.UNANSWERED: discord.Colour.light_grey(),
    Status.REFUSED: discord.Colour.orange(),
    Status.EMERGENCY: discord.Colour.red(),
    Status.ERROR: discord.Colour.dark_grey(),
    Status.COOLDOWN: discord.Colour.dark_grey(),
    Status.HELP: discord.Colour.teal(),
    Status.DENIED: discord.Colour.dark_grey(),
}


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def reply_embed(reply: Reply, *, question: str | None = None) -> discord.Embed:
    """The embed for `reply`; `question` is echoed in a "You asked" field under answers and choices."""
    description = reply.body
    if reply.suggestions:
        description += "\n" + "\n".join(f"{i}. {s.title}" for i, s in enumerate(reply.suggestions, 1))
    embed = discord.Embed(
        title=clip(reply.heading, TITLE_LIMIT) if reply.heading else None,
        description=clip(description, DESCRIPTION_LIMIT),
        colour=COLOURS.get(reply.status, discord.Colour.default()),
    )
    if reply.caution:
        embed.add_field(name=CAUTION_FIELD, value=clip(reply.caution, FIELD_VALUE_LIMIT), inline=False)
    if reply.source:
        embed.add_field(name=SOURCE_FIELD, value=clip(reply.source, FIELD_VALUE_LIMIT), inline=False)
    # Only replies with buttons echo the question (a vote or a choice needs it later): a refused or
    # emergency message is never repeated back, so an amount it named cannot appear in the bot's voice.
    if question and (reply.status is Status.ANSWERED or reply.suggestions):
        embed.add_field(name=QUESTION_FIELD, value=clip(question, FIELD_VALUE_LIMIT), inline=False)
    embed.set_footer(text=clip(NOTE_PREFIX + reply.note, FOOTER_LIMIT))
    return embed


def question_from(embed: discord.Embed) -> str | None:
    """The question echoed in an embed made by `reply_embed`, if any."""
    for field in embed.fields:
        if field.name == QUESTION_FIELD and field.value:
            return field.value
    return None
