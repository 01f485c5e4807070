"""`python -m bot run` and `python -m bot sync`, against the fake Discord."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import cli, client
from bot.config import Settings
from bot.store import Store
from tests.fake_discord import FakeDiscord, make_world

TOKEN = "fake-token.do-not-log-me"
COMMANDS = {"ask", "unanswered", "kb"}


@pytest.fixture
def no_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "bot.sqlite3"))
    monkeypatch.chdir(tmp_path)  # no stray .env


@pytest.fixture
def root_logging() -> Iterator[None]:
    """`run` installs discord.py's log handler on the root logger: put it back as it was."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize("command", ["run", "sync"])
def test_without_a_token_exits_2_naming_the_variable(
    command: str, no_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([command]) == 2
    err = capsys.readouterr().err
    assert "DISCORD_TOKEN" in err and "Traceback" not in err
    if command == "run":
        assert "python -m bot chat" in err


def test_sync_guild_without_an_id_needs_dev_guild_id(
    no_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    os.environ["DISCORD_TOKEN"] = TOKEN  # removed by monkeypatch with the fixture
    assert cli.main(["sync", "--guild"]) == 2
    assert "DEV_GUILD_ID" in capsys.readouterr().err


async def test_sync_publishes_the_tree_globally_or_to_one_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world, _ = make_world()
    settings = Settings(
        discord_token=TOKEN, database_path=tmp_path / "bot.sqlite3", dev_guild_id=world.guild.id
    )
    async with FakeDiscord(guilds=world.guilds, users=world.users) as fake:
        synced = await client.sync(settings)
        assert {c.name for c in synced} == COMMANDS
        assert {c["name"] for c in fake.commands[None]} == COMMANDS
        moderation = {c["name"]: c for c in fake.commands[None]}["unanswered"]
        assert int(moderation["default_member_permissions"]) == 1 << 13 and moderation["contexts"] == [0]

        assert await cli.cmd_sync(argparse.Namespace(guild=0, clear=False), settings) == 0
        assert {c["name"] for c in fake.commands[world.guild.id]} == COMMANDS
        assert f"to server {world.guild.id}" in capsys.readouterr().out
        assert fake.gateway_ops == []  # synced over REST only: no gateway session


async def test_run_serves_until_sigterm_then_closes_the_store_without_logging_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, root_logging: None
) -> None:
    world, _ = make_world()
    settings = Settings(discord_token=TOKEN, database_path=tmp_path / "bot.sqlite3", log_level="DEBUG")
    closed: list[Store] = []
    real_close = Store.close

    async def close(self: Store) -> None:
        closed.append(self)
        await real_close(self)

    monkeypatch.setattr(Store, "close", close)
    caplog.set_level(logging.DEBUG)
    async with FakeDiscord(guilds=world.guilds, users=world.users) as fake:
        task = asyncio.create_task(client.run(settings))
        await fake.wait_for(lambda: fake.identifies == 1 and fake._live.is_set(), what="the bot's session")
        sent = await fake.message(world.member, "what is kratom?")  # a DM
        await fake.reply_to(sent["id"])
        os.kill(os.getpid(), signal.SIGTERM)
        assert await asyncio.wait_for(task, 10) == 0
    assert len(closed) == 1
    assert caplog.records and TOKEN not in caplog.text
    assert "SIGTERM received" in caplog.text


async def test_sync_clear_removes_the_commands_from_a_server(tmp_path: Path) -> None:
    world, _ = make_world()
    settings = Settings(discord_token=TOKEN, database_path=tmp_path / "bot.sqlite3")
    async with FakeDiscord(guilds=world.guilds, users=world.users) as fake:
        await client.sync(settings, world.guild.id)
        assert len(fake.commands[world.guild.id]) == len(COMMANDS)
        assert await cli.cmd_sync(argparse.Namespace(guild=world.guild.id, clear=True), settings) == 0
        assert fake.commands[world.guild.id] == []


@pytest.mark.parametrize("command", [cli.cmd_run, cli.cmd_sync])
async def test_a_rejected_token_is_a_user_error(tmp_path: Path, command, root_logging: None) -> None:
    world, _ = make_world()
    settings = Settings(discord_token="wrong-token", database_path=tmp_path / "bot.sqlite3")
    async with FakeDiscord(guilds=world.guilds, users=world.users, token=TOKEN):
        with pytest.raises(cli.UsageError, match="rejected DISCORD_TOKEN"):
            await command(argparse.Namespace(guild=None, clear=False), settings)
