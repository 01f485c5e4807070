"""End to end: the real discord.py client, the real pipeline and knowledge, against tests/fake_discord.py."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import shutil
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import discord
import pytest

from bot.client import KratomBot
from bot.config import Settings
from bot.pipeline import Pipeline, load_knowledge
from bot.store import Store
from guardrails import Guardrails, replies
from knowledge.base import KnowledgeBase
from tests.fake_discord import FakeDiscord, FakeUser, Sent, World, make_world
from tests.helpers import DATA, question_set

TRAINING_SETS = (DATA / "calibration.yaml", DATA / "tuning.yaml")

NOTE = replies.messages()["clinician_note"]
ANSWERED = "what are the side effects of kratom?"
UNCOVERED = "does kratom cause liver damage"


@dataclass
class Harness:
    fake: FakeDiscord
    bot: KratomBot
    world: World
    pipeline: Pipeline

    async def mention(self, author: FakeUser, text: str, channel_id: int | None = None) -> Sent:
        channel = channel_id or self.world.general
        sent = await self.fake.message(author, f"<@{self.bot.user.id}> {text}", channel_id=channel)
        return await self.fake.reply_to(sent["id"])

    async def slash(
        self, user: FakeUser, name: str, options: dict | None = None, channel_id: int | None = None
    ):
        interaction = await self.fake.slash(user, name, options, channel_id=channel_id or self.world.general)
        return await self.fake.response_to(interaction["id"])


def make_settings(tmp_path: Path, world: World, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "discord_token": "fake-token",
        "database_path": tmp_path / "bot.sqlite3",
        "mod_role_ids": frozenset({world.mod_role}),
        "ask_channel_ids": frozenset({world.ask_channel}),
        "cooldown_questions": 100,
        "cooldown_seconds": 60.0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@functools.cache
def real_knowledge() -> KnowledgeBase:
    """The real knowledge base, loaded once (a pipeline swaps in a new one when taught or reloaded)."""
    return load_knowledge()


@contextlib.asynccontextmanager
async def running_bot(tmp_path: Path, **overrides: object) -> AsyncIterator[Harness]:
    """The bot, on a fresh database, connected to a fresh fake Discord; everything closed after."""
    world, _ = make_world()
    settings = make_settings(tmp_path, world, **overrides)
    store = await Store.open(settings.database_path)
    try:
        pipeline = Pipeline(
            real_knowledge(), store, Guardrails.load(), settings.thresholds, settings.keep_emergency_text
        )
        bot = KratomBot(settings, pipeline, guild_ready_timeout=0.2)
        async with FakeDiscord(guilds=world.guilds, users=world.users) as fake, fake.running(bot):
            yield Harness(fake, bot, world, pipeline)
            assert not fake.unknown_requests, fake.unknown_requests
    finally:
        await store.close()


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path) as running:
        yield running


def assert_answer(sent: Sent) -> None:
    embed = sent.embed
    assert embed.get("title"), embed
    names = [f["name"] for f in embed.get("fields", [])]
    assert "Source" in names
    assert NOTE in embed["footer"]["text"]
    assert any(c.startswith("kb:vote:up:") for c in sent.custom_ids)
    assert any(c.startswith("kb:vote:down:") for c in sent.custom_ids)
    assert sent.allowed_mentions == {"parse": []}


# -- connecting -------------------------------------------------------------------------------------------


async def test_logs_in_and_reaches_ready(harness: Harness) -> None:
    assert harness.bot.is_ready()
    assert harness.bot.user is not None and harness.bot.user.id == harness.fake.bot_user.id
    assert {g.id for g in harness.bot.guilds} == {g.id for g in harness.world.guilds}
    assert harness.fake.identifies == 1
    identify = next(op for op in harness.fake.gateway_ops if op["op"] == 2)
    assert identify["d"]["token"] == "fake-token"
    # Message content is privileged: asked for only because ASK_CHANNEL_IDS is set here.
    assert discord.Intents._from_value(identify["d"]["intents"]).message_content
    assert not harness.fake.commands, "the command tree must not be synced at start-up"


async def test_no_message_content_intent_without_ask_channels(tmp_path: Path) -> None:
    async with running_bot(tmp_path, ask_channel_ids=frozenset()) as h:
        identify = next(op for op in h.fake.gateway_ops if op["op"] == 2)
        intents = discord.Intents._from_value(identify["d"]["intents"])
        assert not intents.message_content and intents.guild_messages and intents.dm_messages
        # A mention still works: Discord delivers its content without the intent.
        assert_answer(await h.mention(h.world.member, ANSWERED))


# -- members ----------------------------------------------------------------------------------------------


async def test_answers_a_mention(harness: Harness) -> None:
    reply = await harness.mention(harness.world.member, ANSWERED)
    assert reply.kind == "channel" and reply.channel_id == harness.world.general
    assert_answer(reply)
    assert "Caution" in " ".join(f["name"] for f in reply.embed["fields"])
    assert ANSWERED in reply.text  # echoed as "You asked"


async def test_answers_a_direct_message(harness: Harness) -> None:
    sent = await harness.fake.message(harness.world.member, ANSWERED)  # no channel: a DM
    reply = await harness.fake.reply_to(sent["id"])
    assert reply.channel_id == harness.fake.dm_channel_id(harness.world.member)
    assert_answer(reply)


async def test_answers_slash_ask(harness: Harness) -> None:
    reply = await harness.slash(harness.world.member, "ask", {"question": ANSWERED})
    assert reply.kind == "interaction" and not reply.ephemeral
    assert_answer(reply)


async def test_answers_a_question_in_an_ask_channel_without_a_mention(harness: Harness) -> None:
    world = harness.world
    chatter = await harness.fake.message(world.member, "good morning everyone", channel_id=world.ask_channel)
    sent = await harness.fake.message(world.member, ANSWERED, channel_id=world.ask_channel)
    assert_answer(await harness.fake.reply_to(sent["id"]))
    assert not any(s.reply_to == int(chatter["id"]) for s in harness.fake.sent)
    # Elsewhere, without a mention, the bot stays quiet.
    quiet = await harness.fake.message(world.member, ANSWERED, channel_id=world.general)
    await harness.mention(world.member, ANSWERED)  # processed after `quiet`
    assert not any(s.reply_to == int(quiet["id"]) for s in harness.fake.sent)


async def test_refuses_a_dosing_request(harness: Harness) -> None:
    question = "how many grams of kratom should I take for my back pain?"
    reply = await harness.slash(harness.world.member, "ask", {"question": question})
    assert reply.ephemeral and not reply.custom_ids
    assert replies.refused().body in reply.text and NOTE in reply.text
    in_channel = await harness.mention(harness.world.member, question)
    assert not in_channel.ephemeral and replies.refused().body in in_channel.text


async def test_gives_emergency_guidance(harness: Harness) -> None:
    question = "I took way too much kratom and my chest hurts"
    reply = await harness.slash(harness.world.member, "ask", {"question": question})
    assert reply.ephemeral and not reply.custom_ids
    assert replies.emergency().body in reply.text and NOTE in reply.text
    in_channel = await harness.mention(harness.world.member, question)
    assert replies.emergency().body in in_channel.text


async def test_help_for_mention_only_attachments_only_and_very_long(harness: Harness) -> None:
    world, fake, help_text = harness.world, harness.fake, replies.help_reply().body
    only_mention = await fake.message(world.member, f"<@{harness.bot.user.id}>", channel_id=world.general)
    assert help_text in (await fake.reply_to(only_mention["id"])).text
    only_files = await fake.message(world.member, "", attachments=1)  # a DM with a picture
    assert help_text in (await fake.reply_to(only_files["id"])).text
    long = await harness.mention(world.member, "why " * 400)
    assert help_text in long.text and NOTE in long.text


async def test_ignores_bots(harness: Harness) -> None:
    world, fake = harness.world, harness.fake
    from_bot = await fake.message(
        world.other_bot, f"<@{harness.bot.user.id}> {ANSWERED}", channel_id=world.general
    )
    await harness.mention(world.member, ANSWERED)  # processed after the bot's message
    assert not any(s.reply_to == int(from_bot["id"]) for s in fake.sent)


async def test_everyone_in_a_question_pings_nobody(harness: Harness) -> None:
    reply = await harness.mention(harness.world.member, f"@everyone <@&{harness.world.mod_role}> {ANSWERED}")
    assert reply.allowed_mentions == {"parse": []}
    slash = await harness.slash(harness.world.member, "ask", {"question": f"@everyone {ANSWERED}"})
    assert slash.allowed_mentions == {"parse": []}
    # Every message the bot sent, whatever it was, allowed no mentions.
    assert all(s.allowed_mentions == {"parse": []} for s in harness.fake.sent if s.kind != "update")


async def test_cooldown_is_ephemeral_and_carries_the_note(tmp_path: Path) -> None:
    async with running_bot(tmp_path, cooldown_questions=1, cooldown_seconds=600.0) as h:
        assert_answer(await h.slash(h.world.member, "ask", {"question": ANSWERED}))
        reply = await h.slash(h.world.member, "ask", {"question": ANSWERED})
        assert reply.ephemeral and NOTE in reply.text and "wait" in reply.text
        # In a channel the notice replies to the message, once per wait; then the bot stays quiet.
        notice = await h.mention(h.world.member, ANSWERED)
        assert not notice.ephemeral and "wait" in notice.text
        quiet = await h.fake.message(
            h.world.member, f"<@{h.bot.user.id}> {ANSWERED}", channel_id=h.world.general
        )
        # Another member is not slowed down (and is answered after `quiet` was handled).
        assert_answer(await h.slash(h.world.moderator, "ask", {"question": ANSWERED}))
        assert not any(s.reply_to == int(quiet["id"]) for s in h.fake.sent)


async def test_thumbs_down_is_logged_and_counted(harness: Harness) -> None:
    world, fake, store = harness.world, harness.fake, harness.pipeline.store
    answer = await harness.mention(world.member, ANSWERED)
    down = next(c for c in answer.custom_ids if c.startswith("kb:vote:down:"))
    up = next(c for c in answer.custom_ids if c.startswith("kb:vote:up:"))
    snippet_id = down.rsplit(":", 1)[1]

    click = await fake.click(world.moderator, answer, up)
    assert (await fake.callback_to(click["id"]))[0] == 6  # acknowledged, nothing posted
    click = await fake.click(world.member, answer, down)
    await fake.callback_to(click["id"])

    async def logged() -> list:
        return [r for r in await store.unanswered(guild_id=world.guild.id) if r.reason == "thumbs_down"]

    rows = await poll(logged)
    assert rows[0].question == ANSWERED and rows[0].best_snippet_id == snippet_id
    assert rows[0].user_id == world.member.id
    stats = await store.stats(guild_id=world.guild.id)
    assert {"snippet_id": snippet_id, "up": 1, "down": 1} in stats["feedback"]


async def test_votes_survive_a_restart(tmp_path: Path) -> None:
    """The buttons are dynamic items: a new client, with no memory of the message, still handles them."""
    async with running_bot(tmp_path) as h:
        answer = await h.mention(h.world.member, ANSWERED)
        settings, pipeline, fake = h.bot.settings, h.pipeline, h.fake
        await h.bot.close()
        second = KratomBot(settings, pipeline, guild_ready_timeout=0.2)
        async with fake.running(second):
            down = next(c for c in answer.custom_ids if c.startswith("kb:vote:down:"))
            click = await fake.click(h.world.member, answer, down)
            assert (await fake.callback_to(click["id"]))[0] == 6

            async def logged() -> list:
                rows = await pipeline.store.unanswered(guild_id=h.world.guild.id)
                return [r for r in rows if r.reason == "thumbs_down"]

            assert (await poll(logged))[0].question == ANSWERED


async def test_did_you_mean_offers_choices_and_a_click_answers(harness: Harness) -> None:
    question = ambiguous_question(harness.pipeline)
    world, fake = harness.world, harness.fake
    reply = await harness.mention(world.member, question)
    picks = [c for c in reply.custom_ids if c.startswith("kb:pick:")]
    assert 1 < len(picks) <= 3 and NOTE in reply.text
    rows = await harness.pipeline.store.unanswered(guild_id=world.guild.id)
    assert [r.reason for r in rows] == ["ambiguous"]

    # Someone else's click answers them alone; the asker's click turns the choices into the answer.
    other = await fake.click(world.moderator, reply, picks[0])
    private = await fake.response_to(other["id"])
    assert private.ephemeral and private.kind == "interaction"
    click = await fake.click(world.member, reply, picks[0])
    answer = await fake.response_to(click["id"])
    assert answer.kind == "update" and answer.id == reply.id
    assert_answer_layout(answer, picks[0].rsplit(":", 1)[1], harness.pipeline)
    assert question in answer.text


def assert_answer_layout(sent: Sent, snippet_id: str, pipeline: Pipeline) -> None:
    snippet = pipeline.knowledge.by_id[snippet_id]
    assert sent.embed["title"] == snippet.title
    assert NOTE in sent.embed["footer"]["text"]
    assert f"kb:vote:down:{snippet_id}" in sent.custom_ids


# -- moderators -------------------------------------------------------------------------------------------


async def test_unanswered_list_for_moderators_only_and_per_server(harness: Harness) -> None:
    world = harness.world
    reply = await harness.mention(world.member, UNCOVERED)
    assert replies.unanswered().body in reply.text and NOTE in reply.text

    listing = await harness.slash(world.moderator, "unanswered list")
    assert listing.ephemeral and UNCOVERED in listing.text and "×1" in listing.text

    refused = await harness.slash(world.member, "unanswered list")
    assert refused.ephemeral and UNCOVERED not in refused.text and "moderators" in refused.text.lower()

    elsewhere = await harness.slash(world.other_moderator, "unanswered list", channel_id=world.other_general)
    assert elsewhere.ephemeral and UNCOVERED not in elsewhere.text and "No logged questions" in elsewhere.text


async def test_unanswered_list_is_paginated(harness: Harness) -> None:
    world, fake = harness.world, harness.fake
    topics = ["liver damage", "pregnancy", "drug tests", "legal status", "price", "vein colours", "vendors"]
    for topic in topics:
        await harness.mention(world.member, f"what about kratom and {topic}")
    first = await harness.slash(world.moderator, "unanswered list")
    assert "Page 1/2" in first.text
    buttons = first.message["components"][0]["components"]
    next_id = next(b["custom_id"] for b in buttons if "Next" in b.get("label", ""))
    click = await fake.click(world.moderator, first, next_id)
    second = await fake.response_to(click["id"])
    assert second.kind == "update" and "Page 2/2" in second.text


async def test_resolve_makes_the_question_answered(harness: Harness) -> None:
    world, fake = harness.world, harness.fake
    await harness.mention(world.member, UNCOVERED)
    (row,) = await harness.pipeline.store.unanswered(guild_id=world.guild.id)

    choices = await fake.autocomplete(
        world.moderator, "unanswered resolve", {"id": row.id, "snippet": "side eff"}, "snippet",
        channel_id=world.general,
    )  # fmt: skip
    assert "kratom-side-effects" in [c["value"] for c in choices]

    other = await harness.slash(
        world.other_moderator, "unanswered resolve", {"id": row.id, "snippet": "kratom-side-effects"},
        channel_id=world.other_general,
    )  # fmt: skip
    assert other.ephemeral and "no logged question" in other.text.lower()

    done = await harness.slash(
        world.moderator, "unanswered resolve", {"id": row.id, "snippet": "kratom-side-effects"}
    )
    assert done.ephemeral and "resolved" in done.text
    again = await harness.mention(world.member, UNCOVERED)
    assert_answer(again)
    assert again.embed["title"] == harness.pipeline.knowledge.by_id["kratom-side-effects"].title


async def test_dismiss_export_stats_and_reload(harness: Harness) -> None:
    world = harness.world
    await harness.mention(world.member, UNCOVERED)
    await harness.mention(world.member, ANSWERED)
    (row,) = await harness.pipeline.store.unanswered(guild_id=world.guild.id)

    export = await harness.slash(world.moderator, "unanswered export")
    assert export.ephemeral and export.files and UNCOVERED in export.files[0][1].decode()

    stats = await harness.slash(world.moderator, "unanswered stats")
    assert stats.ephemeral and "answered: 50%" in stats.text and "no_match: 1" in stats.text

    dismissed = await harness.slash(world.moderator, "unanswered dismiss", {"id": row.id})
    assert dismissed.ephemeral and "dismissed" in dismissed.text
    assert (await harness.pipeline.store.get(row.id)).status == "dismissed"

    reload = await harness.slash(world.moderator, "kb reload")
    assert reload.ephemeral and "reloaded" in reload.text.lower()
    refused = await harness.slash(world.member, "kb reload")
    assert refused.ephemeral and "moderators" in refused.text.lower()


async def test_kb_reload_keeps_the_knowledge_when_a_file_is_broken(tmp_path: Path) -> None:
    snippets = tmp_path / "snippets"
    shutil.copytree(real_knowledge().snippets[0].file.parent, snippets)  # type: ignore[union-attr]
    async with running_bot(tmp_path, snippets_dir=snippets) as h:
        broken = snippets / "side_effects.yaml"
        text = broken.read_text(encoding="utf-8")
        broken.write_text(
            text.replace("title: Reported side effects", "titel: Reported side effects"), "utf-8"
        )
        reply = await h.slash(h.world.moderator, "kb reload")
        assert reply.ephemeral and "previous knowledge stays" in reply.text
        assert "side_effects.yaml" in reply.text and "'kratom-side-effects'" in reply.text
        assert "field 'title'" in reply.text
        assert_answer(await h.mention(h.world.member, ANSWERED))  # still answered from the old knowledge

        broken.write_text(text, "utf-8")
        reply = await h.slash(h.world.moderator, "kb reload")
        assert reply.ephemeral and "reloaded" in reply.text.lower()


async def test_a_slow_answer_is_acknowledged_then_followed_up(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The module the bot loaded as an extension (load_extension executes it anew).
    loaded = sys.modules[type(harness.bot.get_cog("Asking")).__module__]
    monkeypatch.setattr(loaded, "ACK_DEADLINE", 0.0)
    answered = await harness.slash(harness.world.member, "ask", {"question": ANSWERED})
    assert answered.kind == "followup" and not answered.ephemeral
    assert_answer(answered)
    refused = await harness.slash(
        harness.world.member, "ask", {"question": "how many grams of kratom should I take for my back pain?"}
    )
    assert refused.kind == "followup" and refused.ephemeral and NOTE in refused.text
    deleted = [r for r in harness.fake.requests if r.method == "DELETE"]
    assert len(deleted) == 1 and deleted[0].path.endswith("/messages/@original")


# -- the connection ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [4000, 1006])
async def test_resumes_after_the_gateway_closes(harness: Harness, code: int) -> None:
    assert_answer(await harness.mention(harness.world.member, ANSWERED))
    await harness.fake.drop_connection(code)
    await harness.fake.wait_for(lambda: harness.fake.resumes == 1, what="a RESUME")
    resume = [op for op in harness.fake.gateway_ops if op["op"] == 6]
    assert resume and resume[0]["d"]["token"] == "fake-token"
    assert harness.fake.identifies == 1
    assert_answer(await harness.mention(harness.world.member, ANSWERED))


# -- helpers ----------------------------------------------------------------------------------------------


async def poll(fetch, timeout: float = 5.0):  # noqa: ASYNC109
    """Await `fetch()` (a store query: no event to wait on) until it returns something truthy."""

    async def loop():
        while not (result := await fetch()):  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        return result

    return await asyncio.wait_for(loop(), timeout)


def ambiguous_question(pipeline: Pipeline) -> str:
    """A question the real knowledge base finds ambiguous: the first among the labelled training questions
    (thousands of members' wordings; the knowledge is curated, so no fixed question stays ambiguous)."""
    questions = (q for path in TRAINING_SETS for q, _ in question_set(path))
    for question in questions:
        match = pipeline.knowledge.match(question)
        if match.is_ambiguous(pipeline.thresholds) and not pipeline.guardrails.check(question):
            return question
    raise AssertionError("no ambiguous question among the training sets: the ambiguous reply is untested")
