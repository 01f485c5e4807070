"""Who may use the moderator commands: checked on the server side, whatever Discord's
`default_permissions` hint shows in the client."""

from __future__ import annotations

from collections.abc import Collection

import discord
from discord import app_commands

from guardrails.replies import messages


class NotModerator(app_commands.CheckFailure):
    """The member is neither in a moderator role nor allowed to manage messages."""

    def __init__(self) -> None:
        super().__init__(messages()["moderators_only"])


def is_moderator(interaction: discord.Interaction, mod_role_ids: Collection[int]) -> bool:
    """In a server, by a member with a configured moderator role or Manage Messages there."""
    user = interaction.user
    if interaction.guild_id is None or not isinstance(user, discord.Member):
        return False
    # The member's permissions in this channel as Discord computed them (roles, overwrites, administrator).
    if interaction.permissions.manage_messages or interaction.permissions.administrator:
        return True
    # `Member.roles` needs the server in the cache; the ids the interaction carried do not.
    role_ids = {role.id for role in user.roles} | set(getattr(user, "_roles", ()))
    return not role_ids.isdisjoint(mod_role_ids)


def check_moderator(interaction: discord.Interaction, mod_role_ids: Collection[int]) -> bool:
    """`is_moderator`, raising the check failure the command tree reports to the member."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    if not is_moderator(interaction, mod_role_ids):
        raise NotModerator()
    return True
