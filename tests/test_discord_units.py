"""Unit tests of the Discord layer with spec'd mocks (tests/helpers.py): no server, no network."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from unittest import mock

import discord
import pytest
from discord import app_commands

from bot import embeds
from bot.checks import NotModerator, check_moderator, is_moderator
from bot.client import intents_for
from bot.config import Settings
from bot.exts import asking
from bot.exts.asking import MAX_QUESTION_LENGTH, Asking, MemberCooldown, looks_like_question
from bot.exts.feedback import Feedback, question_of
from bot.exts.review import stats_embed
from bot.ui import SuggestionButton, VoteButton, reply_view
from guardrails import replies
from guardrails.replies import Reply, Status, Suggestion
from tests.helpers import (
    SNIPPET,
    every_reply,
    mock_bot,
    mock_guild,
    mock_interaction,
    mock_member,
    mock_message,
    mock_role,
)

NOTE = replies.messages()["clinician_note"]
LONGEST_ID = "a" * 60 + "-b"  # longer than any curated snippet id

# -- the embed --------------------------------------------------------------------------------------------


def test_answer_embed_layout() -> None:
    reply = replies.answer(SNIPPET, 0.9)
    embed = embeds.reply_embed(reply, question="what are the side effects?")
    assert embed.title == SNIPPET.title
    assert embed.description == reply.body and SNIPPET.answer in embed.description
    fields = {f.name: f.value for f in embed.fields}
    assert fields[embeds.CAUTION_FIELD] == SNIPPET.caution
    assert fields[embeds.SOURCE_FIELD] == SNIPPET.citation
    assert embeds.question_from(embed) == "what are the side effects?"
    assert embed.footer.text == embeds.NOTE_PREFIX + NOTE


@pytest.mark.parametrize("reply", every_reply().values(), ids=every_reply().keys())
def test_every_embed_carries_the_note_and_only_the_replys_text(reply: Reply) -> None:
    embed = embeds.reply_embed(reply)
    assert embed.footer.text and NOTE in embed.footer.text
    assert embed.description and reply.body in embed.description
    assert embeds.question_from(embed) is None
    shown = " ".join(filter(None, [embed.title, embed.description, *(f.value for f in embed.fields)]))
    for part in (reply.heading, reply.caution, reply.source, *(s.title for s in reply.suggestions)):
        if part:
            assert part in shown
    assert len(embed) <= 6000


def test_embed_clips_to_discord_limits() -> None:
    embed = embeds.reply_embed(replies.answer(SNIPPET), question="x" * 5000)
    value = embeds.question_from(embed)
    assert value is not None and len(value) == embeds.FIELD_VALUE_LIMIT and value.endswith("…")
    assert embeds.clip("short", 10) == "short"


# -- buttons ----------------------------------------------------------------------------------------------


def test_answer_gets_persistent_vote_buttons() -> None:
    view = reply_view(replies.answer(SNIPPET), asker_id=1)
    assert view is not None and view.timeout is None
    ids = [item.custom_id for item in view.children]  # type: ignore[attr-defined]
    assert ids == ["kb:vote:up:kratom-side-effects", "kb:vote:down:kratom-side-effects"]
    assert all(item.is_persistent() for item in view.children)


def test_suggestions_get_at_most_three_choice_buttons() -> None:
    suggestions = tuple(Suggestion(f"s-{i}", f"Topic {i}", 0.6) for i in range(5))
    view = reply_view(replies.unanswered(suggestions), asker_id=42)
    assert view is not None
    assert [item.custom_id for item in view.children] == [
        "kb:pick:42:s-0",
        "kb:pick:42:s-1",
        "kb:pick:42:s-2",
    ]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "reply", [r for r in every_reply().values() if r.status is not Status.ANSWERED and not r.suggestions]
)
def test_other_replies_get_no_buttons(reply: Reply) -> None:
    assert reply_view(reply, asker_id=1) is None


async def test_custom_ids_fit_and_parse_back() -> None:
    vote = VoteButton(LONGEST_ID, helpful=False)
    pick = SuggestionButton(2**63 - 1, LONGEST_ID, "t" * 200)
    for item in (vote, pick):
        assert len(item.custom_id) <= 100
    assert len(pick.item.label or "") <= 80
    match = VoteButton.__discord_ui_compiled_template__.fullmatch(vote.custom_id)
    assert match is not None
    parsed = await VoteButton.from_custom_id(mock_interaction(), vote.item, match)
    assert (parsed.snippet_id, parsed.helpful) == (LONGEST_ID, False)
    match = SuggestionButton.__discord_ui_compiled_template__.fullmatch(pick.custom_id)
    assert match is not None
    parsed_pick = await SuggestionButton.from_custom_id(mock_interaction(), pick.item, match)
    assert (parsed_pick.asker_id, parsed_pick.snippet_id) == (2**63 - 1, LONGEST_ID)


# -- who is a moderator -----------------------------------------------------------------------------------


def test_manage_messages_makes_a_moderator() -> None:
    guild = mock_guild()
    interaction = mock_interaction(guild=guild, permissions=discord.Permissions(manage_messages=True))
    assert is_moderator(interaction, frozenset())
    assert check_moderator(interaction, frozenset())


def test_a_configured_role_makes_a_moderator() -> None:
    guild, role = mock_guild(), mock_role()
    interaction = mock_interaction(mock_member(roles=[role], guild=guild), guild=guild)
    assert is_moderator(interaction, frozenset({role.id}))
    assert not is_moderator(interaction, frozenset({role.id + 1}))


def test_a_member_is_refused_whatever_the_client_shows() -> None:
    guild = mock_guild()
    interaction = mock_interaction(mock_member(roles=[mock_role()], guild=guild), guild=guild)
    with pytest.raises(NotModerator) as refused:
        check_moderator(interaction, frozenset({123}))
    assert "moderators" in str(refused.value).lower()
    assert isinstance(refused.value, app_commands.CheckFailure)


def test_moderator_commands_are_refused_in_direct_messages() -> None:
    interaction = mock_interaction(mock_member(), guild=None, permissions=discord.Permissions.all())
    assert not is_moderator(interaction, frozenset())
    with pytest.raises(app_commands.NoPrivateMessage):
        check_moderator(interaction, frozenset())


async def test_the_cog_check_runs_on_the_server_side() -> None:
    from bot.exts.review import Review

    bot = mock_bot(Settings(mod_role_ids=frozenset({5})))
    cog = Review(bot)
    guild = mock_guild()
    with pytest.raises(NotModerator):
        await cog.interaction_check(mock_interaction(guild=guild))
    assert await cog.interaction_check(mock_interaction(mock_member(roles=[mock_role(5)]), guild=guild))


# -- intents ----------------------------------------------------------------------------------------------


def test_message_content_intent_only_with_ask_channels() -> None:
    assert not intents_for(Settings()).message_content
    intents = intents_for(Settings(ask_channel_ids=frozenset({1})))
    assert intents.message_content and intents.guilds and intents.guild_messages and intents.dm_messages
    assert not intents.members and not intents.presences


# -- cooldown ---------------------------------------------------------------------------------------------


def test_cooldown_per_member() -> None:
    cooldown = MemberCooldown(rate=2, per=10.0)
    assert cooldown.hit(1, now=100.0) is None
    assert cooldown.hit(1, now=101.0) is None
    retry = cooldown.hit(1, now=102.0)
    assert retry is not None and 0 < retry <= 10
    assert cooldown.hit(2, now=102.0) is None  # another member
    assert cooldown.hit(1, now=111.0) is None  # the window has passed


def test_cooldown_notice_once_per_wait() -> None:
    cooldown = MemberCooldown(rate=1, per=10.0)
    assert cooldown.should_notify(1, 8.0, now=100.0)
    assert not cooldown.should_notify(1, 7.0, now=101.0)
    assert cooldown.should_notify(1, 5.0, now=109.0)


# -- asking -----------------------------------------------------------------------------------------------


def sent_embed(send: mock.AsyncMock) -> discord.Embed:
    send.assert_awaited_once()
    return send.await_args.kwargs["embed"]


async def test_ask_failure_sends_the_error_reply_and_logs_the_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = mock_bot()
    bot.pipeline.ask.side_effect = RuntimeError("database on fire")
    interaction = mock_interaction(guild=mock_guild())
    with caplog.at_level(logging.ERROR):
        await Asking.ask.callback(Asking(bot), interaction, "what is kratom?")
    embed = sent_embed(interaction.response.send_message)
    assert replies.error().body in (embed.description or "") and NOTE in (embed.footer.text or "")
    assert interaction.response.send_message.await_args.kwargs["ephemeral"] is True
    assert "database on fire" in caplog.text and "Traceback" in caplog.text


@pytest.mark.parametrize(
    ("reply", "ephemeral"),
    [
        (replies.refused(), True),
        (replies.emergency(), True),
        (replies.answer(SNIPPET), False),
        (replies.unanswered(), False),
    ],
    ids=["refused", "emergency", "answered", "unanswered"],
)
async def test_ask_is_ephemeral_for_private_replies(reply: Reply, ephemeral: bool) -> None:
    bot = mock_bot()
    bot.pipeline.ask.return_value = reply
    interaction = mock_interaction(guild=mock_guild())
    await Asking.ask.callback(Asking(bot), interaction, "a question?")
    assert interaction.response.send_message.await_args.kwargs["ephemeral"] is ephemeral
    assert NOTE in (sent_embed(interaction.response.send_message).footer.text or "")


@pytest.mark.parametrize("reply", [replies.refused(), replies.answer(SNIPPET)], ids=["refused", "answered"])
async def test_a_slow_answer_is_acknowledged_then_followed_up(
    reply: Reply, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(asking, "ACK_DEADLINE", 0.01)
    bot = mock_bot()

    async def slow(*args: object) -> Reply:
        await asyncio.sleep(0.2)
        return reply

    bot.pipeline.ask.side_effect = slow
    interaction = mock_interaction(guild=mock_guild())
    await Asking.ask.callback(Asking(bot), interaction, "a question?")
    interaction.response.defer.assert_awaited_once_with(thinking=True)
    interaction.response.send_message.assert_not_awaited()
    embed = sent_embed(interaction.followup.send)
    assert NOTE in (embed.footer.text or "")
    kwargs = interaction.followup.send.await_args.kwargs
    if reply.status is Status.REFUSED:  # private: the public "thinking" message is removed
        interaction.delete_original_response.assert_awaited_once()
        assert kwargs["ephemeral"] is True
    else:
        interaction.delete_original_response.assert_not_awaited()
        assert "view" in kwargs and "ephemeral" not in kwargs


async def test_an_error_handling_a_message_sends_the_error_reply(caplog: pytest.LogCaptureFixture) -> None:
    bot = mock_bot()
    cog = Asking(bot)
    message = mock_message("what is kratom?", guild=None)
    with (
        mock.patch.object(cog, "handle_message", side_effect=RuntimeError("boom")),
        caplog.at_level(logging.ERROR),
    ):
        await cog.on_message(message)
    assert replies.error().body in (sent_embed(message.channel.send).description or "")
    assert "boom" in caplog.text


async def test_ask_cooldown_is_ephemeral_with_the_note() -> None:
    bot = mock_bot(Settings(cooldown_questions=1, cooldown_seconds=60.0))
    bot.pipeline.ask.return_value = replies.answer(SNIPPET)
    cog, member = Asking(bot), mock_member()
    await Asking.ask.callback(cog, mock_interaction(member, guild=mock_guild()), "first?")
    second = mock_interaction(member, guild=mock_guild())
    await Asking.ask.callback(cog, second, "second?")
    embed = sent_embed(second.response.send_message)
    assert second.response.send_message.await_args.kwargs["ephemeral"] is True
    assert "wait" in (embed.description or "") and NOTE in (embed.footer.text or "")
    assert bot.pipeline.ask.await_count == 1


async def test_ask_too_long_gets_help() -> None:
    bot = mock_bot()
    interaction = mock_interaction(guild=mock_guild())
    await Asking.ask.callback(Asking(bot), interaction, "x" * (MAX_QUESTION_LENGTH + 1))
    assert replies.help_reply().body in (sent_embed(interaction.response.send_message).description or "")
    bot.pipeline.ask.assert_not_awaited()


async def test_messages_from_bots_are_ignored() -> None:
    bot = mock_bot()
    message = mock_message(
        f"<@{bot.user.id}> what is kratom?", author=mock_member(bot=True), guild=mock_guild()
    )
    await Asking(bot).on_message(message)
    message.channel.send.assert_not_awaited()
    bot.pipeline.ask.assert_not_awaited()


async def test_a_mention_only_gets_help_and_an_everyone_ping_is_not_a_mention() -> None:
    bot = mock_bot()
    cog, guild = Asking(bot), mock_guild()
    only = mock_message(f"<@{bot.user.id}>", guild=guild)
    await cog.on_message(only)
    assert replies.help_reply().body in (sent_embed(only.channel.send).description or "")
    everyone = mock_message("@everyone what is kratom?", guild=guild)
    await cog.on_message(everyone)
    everyone.channel.send.assert_not_awaited()


async def test_a_mention_of_the_bots_role_is_a_mention() -> None:
    role = mock_role()
    bot = mock_bot()
    bot.pipeline.ask.return_value = replies.answer(SNIPPET)
    message = mock_message(f"{role.mention} what is kratom?", guild=mock_guild(self_role=role))
    await Asking(bot).on_message(message)
    bot.pipeline.ask.assert_awaited_once()
    assert bot.pipeline.ask.await_args.args[0] == "what is kratom?"


def test_question_like_messages() -> None:
    assert looks_like_question("does kratom help with back pain")
    assert looks_like_question("kratom and sleep?")
    assert not looks_like_question("thanks everyone, see you tomorrow")
    assert not looks_like_question("")


# -- feedback ---------------------------------------------------------------------------------------------


def test_question_of_falls_back_to_the_replied_message() -> None:
    asked = mock_message("<@123> does kratom help sleep?")
    reference = mock.MagicMock(spec_set=discord.MessageReference)
    reference.resolved = asked
    reference.cached_message = None
    answer = mock_message(embeds=[embeds.reply_embed(replies.answer(SNIPPET))], reference=reference)
    assert question_of(answer) == "does kratom help sleep?"
    echoed = mock_message(embeds=[embeds.reply_embed(replies.answer(SNIPPET), question="is it safe?")])
    assert question_of(echoed) == "is it safe?"
    assert question_of(None) is None


async def test_a_repeated_thumbs_down_logs_once() -> None:
    bot = mock_bot()
    cog, guild = Feedback(bot), mock_guild()
    answer = mock_message(
        embeds=[embeds.reply_embed(replies.answer(SNIPPET), question="is it safe?")], guild=guild
    )
    member = mock_member()
    for _ in range(2):
        await cog.vote(mock_interaction(member, guild=guild, message=answer), SNIPPET.id, helpful=False)
    assert bot.pipeline.store.record_feedback.await_count == 2
    bot.pipeline.store.log_unanswered.assert_awaited_once()
    entry = bot.pipeline.store.log_unanswered.await_args.args[0]
    assert (entry.question, entry.reason, entry.best_snippet_id) == ("is it safe?", "thumbs_down", SNIPPET.id)


async def test_a_failed_vote_tells_the_member(caplog: pytest.LogCaptureFixture) -> None:
    bot = mock_bot()
    bot.pipeline.store.record_feedback.side_effect = RuntimeError("disk full")
    interaction = mock_interaction(guild=mock_guild(), message=mock_message(embeds=[]))
    interaction.response.is_done.return_value = True
    with caplog.at_level(logging.ERROR):
        await Feedback(bot).vote(interaction, SNIPPET.id, helpful=True)
    embed = sent_embed(interaction.followup.send)
    assert NOTE in (embed.footer.text or "") and "disk full" in caplog.text


async def test_a_thumbs_down_while_the_database_fails_is_kept_for_retry() -> None:
    bot = mock_bot()
    bot.pipeline.writer.first_delay = 60  # no retry during the test
    bot.pipeline.store.record_feedback.side_effect = sqlite3.OperationalError("database is locked")
    interaction = mock_interaction(guild=mock_guild(), message=mock_message(embeds=[]))
    await Feedback(bot).vote(interaction, SNIPPET.id, helpful=True)
    assert bot.pipeline.writer.pending == 1
    interaction.followup.send.assert_not_called()
    await bot.pipeline.writer.close()


# -- moderator views --------------------------------------------------------------------------------------


def test_stats_embed() -> None:
    stats = {
        "unanswered_by_status": {"new": 3, "resolved": 1, "dismissed": 0},
        "unanswered_by_reason": {"no_match": 2, "ambiguous": 1, "thumbs_down": 1},
        "days": 7,
        "replies": {"answered": 6, "unanswered": 2, "emergency": 1, "refused": 1},
        "asked": 10,
        "answered_rate": 0.6,
        "unanswered_rate": 0.2,
        "feedback": [{"snippet_id": "kratom-side-effects", "up": 1, "down": 3}],
    }
    text = "\n".join(f"{f.name}: {f.value}" for f in stats_embed(stats).fields)
    for expected in (
        "new: 3",
        "thumbs_down: 1",
        "answered: 60%",
        "unanswered: 20%",
        "emergencies: 1",
        "refusals: 1",
    ):
        assert expected in text
    assert "`kratom-side-effects`: 👎 3" in text
