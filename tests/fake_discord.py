# Waiting helpers take a `timeout`: tests read better with one per call than with asyncio.timeout blocks.
# ruff: noqa: ASYNC109
"""A fake Discord (REST + gateway) served with aiohttp on 127.0.0.1, for the real discord.py client.

Nothing here reaches discord.com. The two seams (see ../shared/notes/discord-testing.md) are
`discord.http.Route.BASE` and `discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`; `FakeDiscord` sets both
while it runs and restores them after.

    async with FakeDiscord(guilds=[...], users=[...]) as fake, fake.running(client):
        sent = await fake.message(member, f"<@{fake.bot_user.id}> what is kratom?", channel_id=...)
        reply = await fake.reply_to(sent["id"])          # what the bot POSTed in answer
        interaction = await fake.slash(member, "ask", {"question": "..."}, guild_id=...)
        response = await fake.response_to(interaction["id"])

For load tests: `message()` only pushes a MESSAGE_CREATE (it does not wait for the bot), `sent` holds
everything the bot produced in order, and `collect(n, predicate)` awaits the first n matching.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import discord
import discord.gateway
import discord.http
import yarl
from aiohttp import WSMsgType, web

T = TypeVar("T")

API_PREFIX = "/api/v10"
GATEWAY_PATH = "/gateway"
EPHEMERAL = 1 << 6
ALL_PERMISSIONS = (1 << 53) - 1
ADMINISTRATOR = 1 << 3
DEFAULT_TIMEOUT = 5.0

_ids = itertools.count(1_300_000_000_000_000_000)


def snowflake() -> int:
    """A fresh, increasing Discord id."""
    return next(_ids)


def _now() -> str:
    return datetime.now(UTC).isoformat()


# -- the world the fake serves ---------------------------------------------------------------------------


@dataclass
class FakeUser:
    id: int
    name: str
    bot: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name,
            "global_name": self.name,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass
class FakeRole:
    id: int
    name: str
    permissions: int = 0
    managed_by: int | None = None  # a bot's own integration role

    def payload(self, position: int) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": position,
            "color": 0,
            "hoist": False,
            "managed": self.managed_by is not None,
            "mentionable": False,
            "flags": 0,
        }
        if self.managed_by is not None:
            data["tags"] = {"bot_id": str(self.managed_by)}
        return data


@dataclass
class FakeChannel:
    id: int
    name: str
    type: int = 0  # text

    def payload(self, guild_id: int, position: int) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(guild_id),
            "name": self.name,
            "position": position,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }


@dataclass
class FakeGuild:
    id: int
    name: str
    channels: list[FakeChannel]
    roles: list[FakeRole] = field(default_factory=list)  # besides @everyone
    members: dict[int, list[int]] = field(default_factory=dict)  # user id -> role ids
    everyone_permissions: int = (1 << 10) | (1 << 11) | (1 << 16)  # view, send, read history

    def permissions_of(self, user_id: int) -> int:
        """A member's permissions as Discord computes them (roles only; no channel overwrites)."""
        value = self.everyone_permissions
        for role in self.roles:
            if role.id in self.members.get(user_id, []):
                value |= role.permissions
        return ALL_PERMISSIONS if value & ADMINISTRATOR else value

    def member_payload(self, user: FakeUser, *, with_user: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": [str(r) for r in self.members.get(user.id, [])],
            "joined_at": _now(),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
        }
        if with_user:
            data["user"] = user.payload()
        return data


@dataclass
class Sent:
    """Something the bot produced: a channel message, an interaction response, a follow-up or an edit."""

    kind: str  # "channel" | "interaction" | "followup" | "update" | "edit"
    message: dict[str, Any]  # the message as stored after this request
    body: dict[str, Any]  # the JSON the bot sent (the callback's `data` for interaction responses)
    files: list[tuple[str, bytes]] = field(default_factory=list)
    interaction_id: int | None = None

    @property
    def id(self) -> int:
        return int(self.message["id"])

    @property
    def channel_id(self) -> int:
        return int(self.message["channel_id"])

    @property
    def content(self) -> str:
        return self.body.get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.body.get("embeds") or []

    @property
    def embed(self) -> dict[str, Any]:
        """The first embed (an empty dict when there is none)."""
        return self.embeds[0] if self.embeds else {}

    @property
    def text(self) -> str:
        """Everything a member reads: content and every embed's text, in one string."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            parts += [f"{f.get('name')}\n{f.get('value')}" for f in embed.get("fields", [])]
            parts.append((embed.get("footer") or {}).get("text") or "")
        return "\n".join(p for p in parts if p)

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.message.get("flags") or 0) & EPHEMERAL)

    @property
    def reply_to(self) -> int | None:
        reference = self.body.get("message_reference")
        return int(reference["message_id"]) if reference else None

    @property
    def allowed_mentions(self) -> dict[str, Any] | None:
        return self.body.get("allowed_mentions")

    @property
    def custom_ids(self) -> list[str]:
        return [
            c["custom_id"]
            for row in self.message.get("components") or []
            for c in row.get("components", [])
            if "custom_id" in c
        ]


@dataclass
class FakeRequest:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    json: Any
    files: list[tuple[str, bytes]]


class FakeDiscordError(AssertionError):
    pass


# -- the server ------------------------------------------------------------------------------------------


class FakeDiscord:
    def __init__(
        self,
        *,
        guilds: list[FakeGuild] | None = None,
        users: list[FakeUser] | None = None,
        bot_user: FakeUser | None = None,
        application_id: int | None = None,
        token: str | None = None,
    ) -> None:
        """`token`: when given, REST requests with another bot token get 401 (login fails)."""
        self.token = token
        self.bot_user = bot_user or FakeUser(snowflake(), "KratomBot", bot=True)
        self.application_id = application_id or self.bot_user.id
        self.guilds = {g.id: g for g in guilds or []}
        self.users = {u.id: u for u in users or []}
        self.users[self.bot_user.id] = self.bot_user
        self._channel_guild = {c.id: g.id for g in self.guilds.values() for c in g.channels}
        self._dm_channels: dict[int, int] = {}  # user id -> DM channel id

        # What happened, in order.
        self.requests: list[FakeRequest] = []
        self.unknown_requests: list[FakeRequest] = []
        self.sent: list[Sent] = []
        self.messages: dict[int, dict[str, Any]] = {}  # every message by id (members' and the bot's)
        self.callbacks: list[tuple[int, int, dict[str, Any]]] = []  # (interaction id, type, data)
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # synced, by guild (None = global)
        self.gateway_ops: list[dict[str, Any]] = []  # every frame the client sent
        self.identifies = 0
        self.resumes = 0

        self._interactions: dict[int, dict[str, Any]] = {}
        self._originals: dict[str, int] = {}  # interaction token -> original response message id
        self._ws: web.WebSocketResponse | None = None
        self._send_lock = asyncio.Lock()
        self._seq = 0
        self._session_id: str | None = None
        self._live = asyncio.Event()  # a session is READY or RESUMED on an open socket
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._saved_seams: tuple[str, yarl.URL] | None = None
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def gateway_url(self) -> yarl.URL:
        return yarl.URL(f"ws://127.0.0.1:{self.port}{GATEWAY_PATH}")

    async def start(self) -> None:
        app = web.Application(client_max_size=32 * 1024**2)
        app.router.add_get(GATEWAY_PATH, self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._saved_seams = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        discord.http.Route.BASE = self.base_url + API_PREFIX
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self.gateway_url

    async def stop(self) -> None:
        if self._saved_seams is not None:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._saved_seams
            self._saved_seams = None
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @contextlib.asynccontextmanager
    async def running(
        self, client: discord.Client, token: str = "fake-token", timeout: float = 10.0
    ) -> AsyncIterator[discord.Client]:
        """Start `client` against this fake, wait for READY, and close it (awaiting its task) on exit."""
        task = asyncio.create_task(client.start(token), name="fake-discord-client")
        ready = asyncio.create_task(client.wait_until_ready())
        try:
            done, _ = await asyncio.wait({task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if task in done:
                task.result()  # raises what made the client stop
                raise FakeDiscordError("the client stopped before READY")
            if ready not in done:
                raise FakeDiscordError(f"the client did not reach READY in {timeout}s")
            yield client
        finally:
            ready.cancel()
            await client.close()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout)

    # -- waiting ------------------------------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(
        self, check: Callable[[], T | None], timeout: float = DEFAULT_TIMEOUT, what: str = "a condition"
    ) -> T:
        """Wait until `check()` returns something truthy (re-checked on each change), and return it."""

        async def waiter() -> T:
            async with self._changed:
                while True:
                    result = check()
                    if result:
                        return result
                    await self._changed.wait()

        try:
            return await asyncio.wait_for(waiter(), timeout)
        except TimeoutError:
            recent = "\n".join(f"  {s.kind}: {s.text[:120]!r}" for s in self.sent[-5:]) or "  nothing"
            raise FakeDiscordError(
                f"timed out after {timeout}s waiting for {what}; last sent:\n{recent}"
            ) from None

    async def next_sent(
        self,
        predicate: Callable[[Sent], bool] = lambda s: True,
        *,
        after: int = 0,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Sent:
        """The first thing sent (at index >= `after` in `sent`) matching `predicate`."""

        def check() -> Sent | None:
            return next((s for s in self.sent[after:] if predicate(s)), None)

        return await self.wait_for(check, timeout, "a message from the bot")

    async def collect(
        self,
        count: int,
        predicate: Callable[[Sent], bool] = lambda s: True,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> list[Sent]:
        """The first `count` things sent matching `predicate` (for load tests)."""

        def check() -> list[Sent] | None:
            found = [s for s in self.sent if predicate(s)]
            return found[:count] if len(found) >= count else None

        return await self.wait_for(check, timeout, f"{count} messages from the bot")

    async def reply_to(self, message_id: int | str, timeout: float = DEFAULT_TIMEOUT) -> Sent:
        """The bot's message replying to message `message_id`."""
        return await self.next_sent(lambda s: s.reply_to == int(message_id), timeout=timeout)

    async def response_to(self, interaction_id: int | str, timeout: float = DEFAULT_TIMEOUT) -> Sent:
        """The message the bot answered interaction `interaction_id` with (response, update or follow-up)."""
        return await self.next_sent(lambda s: s.interaction_id == int(interaction_id), timeout=timeout)

    async def callback_to(
        self, interaction_id: int | str, timeout: float = DEFAULT_TIMEOUT
    ) -> tuple[int, dict]:
        """The (type, data) of the bot's callback to an interaction, whatever its type."""

        def check() -> tuple[int, dict] | None:
            return next(((t, d) for i, t, d in self.callbacks if i == int(interaction_id)), None)

        return await self.wait_for(check, timeout, f"a callback to interaction {interaction_id}")

    # -- pushing events ----------------------------------------------------------------------------------

    async def dispatch(self, event: str, data: dict[str, Any], timeout: float = DEFAULT_TIMEOUT) -> None:
        """Send a dispatch (op 0) to the client, waiting for a live session first."""
        try:
            await asyncio.wait_for(self._live.wait(), timeout)
        except TimeoutError:
            raise FakeDiscordError(f"no live gateway session to send {event}") from None
        await self._send_dispatch(event, data)

    def dm_channel_id(self, user: FakeUser) -> int:
        return self._dm_channels.setdefault(user.id, snowflake())

    def _guild_of(self, channel_id: int) -> FakeGuild | None:
        guild_id = self._channel_guild.get(channel_id)
        return self.guilds[guild_id] if guild_id is not None else None

    async def message(
        self,
        author: FakeUser,
        content: str,
        *,
        channel_id: int | None = None,
        attachments: int = 0,
        reference: int | None = None,
    ) -> dict[str, Any]:
        """Push a MESSAGE_CREATE from `author`: in `channel_id`, or a direct message when it is None."""
        if channel_id is None:
            channel_id = self.dm_channel_id(author)
        guild = self._guild_of(channel_id)
        message_id = snowflake()
        mentioned = [
            self.users[int(uid)] for uid in re.findall(r"<@!?([0-9]+)>", content) if int(uid) in self.users
        ]
        data: dict[str, Any] = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "author": author.payload(),
            "content": content,
            "timestamp": _now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": "@everyone" in content or "@here" in content,
            "mentions": [],
            "mention_roles": re.findall(r"<@&([0-9]+)>", content),
            "attachments": [
                {
                    "id": str(snowflake()),
                    "filename": f"photo{i}.png",
                    "size": 1024,
                    "url": f"{self.base_url}/attachments/photo{i}.png",
                    "proxy_url": f"{self.base_url}/attachments/photo{i}.png",
                    "content_type": "image/png",
                }
                for i in range(attachments)
            ],
            "embeds": [],
            "components": [],
            "pinned": False,
            "type": 19 if reference else 0,
            "flags": 0,
        }
        if reference is not None:
            data["message_reference"] = {"message_id": str(reference), "channel_id": str(channel_id)}
            if guild is not None:
                data["message_reference"]["guild_id"] = str(guild.id)
        for user in mentioned:
            entry = user.payload()
            if guild is not None:
                entry["member"] = guild.member_payload(user, with_user=False)
            data["mentions"].append(entry)
        if guild is not None:
            data["guild_id"] = str(guild.id)
            data["member"] = guild.member_payload(author, with_user=False)
        self.messages[message_id] = data
        await self.dispatch("MESSAGE_CREATE", data)
        return data

    def _interaction_base(
        self, kind: int, user: FakeUser, data: dict[str, Any], channel_id: int | None
    ) -> dict[str, Any]:
        if channel_id is None:
            channel_id = self.dm_channel_id(user)
        guild = self._guild_of(channel_id)
        interaction_id = snowflake()
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": kind,
            "token": f"itoken-{interaction_id}-{secrets.token_hex(4)}",
            "version": 1,
            "data": data,
            "channel_id": str(channel_id),
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 8 * 1024 * 1024,
            "app_permissions": str(ALL_PERMISSIONS),
        }
        if guild is not None:
            channel = next(c for c in guild.channels if c.id == channel_id)
            member = guild.member_payload(user)
            member["permissions"] = str(guild.permissions_of(user.id))
            payload.update(
                guild_id=str(guild.id),
                guild_locale="en-US",
                member=member,
                channel=channel.payload(guild.id, 0),
                context=0,
                authorizing_integration_owners={"0": str(guild.id)},
            )
        else:
            payload.update(
                user=user.payload(),
                channel={"id": str(channel_id), "type": 1, "recipients": [user.payload()]},
                context=1,
                authorizing_integration_owners={"0": str(user.id)},
            )
        self._interactions[interaction_id] = payload
        return payload

    @staticmethod
    def _options(options: dict[str, Any] | None, focused: str | None = None) -> list[dict[str, Any]]:
        result = []
        for name, value in (options or {}).items():
            kind = (
                4
                if isinstance(value, int) and not isinstance(value, bool)
                else 5
                if isinstance(value, bool)
                else 3
            )
            option: dict[str, Any] = {"name": name, "type": kind, "value": value}
            if name == focused:
                option["focused"] = True
            result.append(option)
        return result

    def _command_data(
        self, name: str, options: dict[str, Any] | None, focused: str | None = None
    ) -> dict[str, Any]:
        """`name` may be "group sub": a subcommand nests as an option of type 1."""
        top, _, sub = name.partition(" ")
        opts = self._options(options, focused)
        if sub:
            opts = [{"name": sub, "type": 1, "options": opts}]
        return {"id": str(snowflake()), "name": top, "type": 1, "options": opts}

    async def slash(
        self,
        user: FakeUser,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        channel_id: int | None = None,
    ) -> dict[str, Any]:
        """Push a slash command (`name` like "ask" or "unanswered list"); a DM when `channel_id` is None."""
        payload = self._interaction_base(2, user, self._command_data(name, options), channel_id)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def autocomplete(
        self,
        user: FakeUser,
        name: str,
        options: dict[str, Any],
        focused: str,
        *,
        channel_id: int | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> list[dict[str, Any]]:
        """Push an autocomplete request and return the choices the bot answered with."""
        payload = self._interaction_base(4, user, self._command_data(name, options, focused), channel_id)
        await self.dispatch("INTERACTION_CREATE", payload)
        kind, data = await self.callback_to(payload["id"], timeout)
        assert kind == 8, f"expected an autocomplete result, got callback type {kind}"
        return data.get("choices", [])

    async def click(self, user: FakeUser, message: Sent | dict[str, Any], custom_id: str) -> dict[str, Any]:
        """Push a button click on one of the bot's messages."""
        stored = message.message if isinstance(message, Sent) else message
        stored = self.messages.get(int(stored["id"]), stored)
        data = {"custom_id": custom_id, "component_type": 2}
        channel_id = int(stored["channel_id"])
        in_guild = self._guild_of(channel_id) is not None
        payload = self._interaction_base(3, user, data, channel_id if in_guild else None)
        payload["message"] = stored
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def drop_connection(self, code: int = 4000) -> None:
        """Close the gateway socket (a close code the client resumes after, by default)."""
        self._live.clear()
        ws = self._ws
        if ws is not None and not ws.closed:
            await ws.close(code=code, message=b"fake discord: closing")

    # -- gateway ------------------------------------------------------------------------------------------

    async def _send(self, payload: dict[str, Any]) -> None:
        ws = self._ws
        if ws is None or ws.closed:
            raise FakeDiscordError("the gateway socket is closed")
        async with self._send_lock:
            await ws.send_str(json.dumps(payload))

    async def _send_dispatch(self, event: str, data: dict[str, Any]) -> None:
        async with self._send_lock:
            ws = self._ws
            if ws is None or ws.closed:
                raise FakeDiscordError(f"the gateway socket is closed; {event} not sent")
            self._seq += 1
            await ws.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": data}))

    def _ready_payload(self) -> dict[str, Any]:
        return {
            "v": 10,
            "user": {**self.bot_user.payload(), "verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": str(g), "unavailable": True} for g in self.guilds],
            "session_id": self._session_id,
            "session_type": "normal",
            "resume_gateway_url": str(self.gateway_url),
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "user_settings": {},
            "_trace": ["fake-discord"],
        }

    def _guild_payload(self, guild: FakeGuild) -> dict[str, Any]:
        everyone = FakeRole(guild.id, "@everyone", guild.everyone_permissions)
        roles = [everyone, *guild.roles]
        members = [guild.member_payload(self.bot_user)]
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "owner_id": str(next(iter(guild.members), self.bot_user.id)),
            "roles": [role.payload(i) for i, role in enumerate(roles)],
            "channels": [c.payload(guild.id, i) for i, c in enumerate(guild.channels)],
            "members": members,
            "member_count": len(guild.members) + 1,
            "threads": [],
            "emojis": [],
            "stickers": [],
            "features": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "unavailable": False,
            "large": False,
            "joined_at": _now(),
            "preferred_locale": "en-US",
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "system_channel_flags": 0,
            "afk_timeout": 300,
        }

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        if self._ws is not None and not self._ws.closed:
            await self._ws.close(code=4000)
        self._ws = ws
        self._live.clear()
        await self._send({"op": 10, "d": {"heartbeat_interval": 41250}})
        try:
            async for frame in ws:
                if frame.type is not WSMsgType.TEXT:
                    continue
                payload = json.loads(frame.data)
                self.gateway_ops.append(payload)
                op = payload.get("op")
                if op == 1:
                    await self._send({"op": 11})
                elif op == 2:
                    await self._identify()
                elif op == 6:
                    await self._resume(payload["d"])
                await self._notify()
        finally:
            if self._ws is ws:
                self._live.clear()
        return ws

    async def _identify(self) -> None:
        self.identifies += 1
        self._session_id = secrets.token_hex(8)
        self._seq = 0
        await self._send_dispatch("READY", self._ready_payload())
        for guild in self.guilds.values():
            await self._send_dispatch("GUILD_CREATE", self._guild_payload(guild))
        self._live.set()

    async def _resume(self, data: dict[str, Any]) -> None:
        if data.get("session_id") != self._session_id:
            await self._send({"op": 9, "d": False})  # invalid session: the client identifies again
            return
        self.resumes += 1
        await self._send_dispatch("RESUMED", {"_trace": ["fake-discord"]})
        self._live.set()

    # -- REST ---------------------------------------------------------------------------------------------

    @staticmethod
    def _json(data: Any, status: int = 200) -> web.Response:
        # Exactly "application/json": discord.py does not read "; charset=utf-8" as JSON.
        return web.Response(body=json.dumps(data).encode(), status=status, content_type="application/json")

    async def _read_body(self, request: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
        if request.content_type.startswith("multipart/"):
            body: Any = None
            files: list[tuple[str, bytes]] = []
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if part.name == "payload_json":  # type: ignore[union-attr]
                    body = json.loads(await part.text())  # type: ignore[union-attr]
                else:
                    files.append((part.filename or "", bytes(await part.read())))  # type: ignore[union-attr]
            return body, files
        if request.can_read_body:
            text = await request.text()
            return (json.loads(text) if text else None), []
        return None, []

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body, files = await self._read_body(request)
        record = FakeRequest(request.method, path, dict(request.query), body, files)
        self.requests.append(record)
        parts = path.strip("/").split("/")
        if self.token is not None and request.headers.get("Authorization") != f"Bot {self.token}":
            return self._json({"message": "401: Unauthorized", "code": 0}, status=401)
        try:
            response = await self._route(request.method, parts, body or {}, files)
        finally:
            await self._notify()
        if response is None:
            self.unknown_requests.append(record)
            return self._json({"message": "404: Not Found", "code": 0}, status=404)
        return response

    async def _route(
        self, method: str, parts: list[str], body: dict[str, Any], files: list[tuple[str, bytes]]
    ) -> web.StreamResponse | None:
        match method, parts:
            case "GET", ["users", "@me"]:
                return self._json(self.bot_user.payload())
            case "GET", ["oauth2", "applications", "@me"]:
                return self._json(self._application())
            case "POST", ["channels", channel_id, "messages"]:
                message = self._new_message(int(channel_id), body, files)
                self.sent.append(Sent("channel", message, body, files))
                return self._json(message)
            case "PATCH", ["channels", _, "messages", message_id]:
                message = self._edit_message(int(message_id), body)
                self.sent.append(Sent("edit", message, body))
                return self._json(message)
            case "POST", ["interactions", interaction_id, _, "callback"]:
                return self._json(self._callback(int(interaction_id), body, files))
            case "POST", ["webhooks", _, token]:
                interaction_id = self._interaction_by_token(token)
                channel_id = int(self._interactions[interaction_id]["channel_id"]) if interaction_id else 0
                message = self._new_message(channel_id, body, files)
                self.sent.append(Sent("followup", message, body, files, interaction_id))
                return self._json(message)
            case "GET", ["webhooks", _, token, "messages", "@original"]:
                message = self.messages.get(self._originals.get(token, 0))
                return self._json(message) if message else None
            case "PATCH", ["webhooks", _, token, "messages", which]:
                message_id = self._originals.get(token, 0) if which == "@original" else int(which)
                if message_id not in self.messages:
                    return None
                message = self._edit_message(message_id, body)
                self.sent.append(Sent("edit", message, body, files, self._interaction_by_token(token)))
                return self._json(message)
            case "DELETE", ["webhooks", _, _, "messages", _] | ["channels", _, "messages", _]:
                return web.Response(status=204)
            case "PUT", ["applications", _, "commands"]:
                return self._json(self._sync(None, body))
            case "PUT", ["applications", _, "guilds", guild_id, "commands"]:
                return self._json(self._sync(int(guild_id), body))
            case "GET", ["applications", _, "commands"]:
                return self._json(self.commands.get(None, []))
            case "GET", ["applications", _, "guilds", guild_id, "commands"]:
                return self._json(self.commands.get(int(guild_id), []))
        return None

    def _application(self) -> dict[str, Any]:
        return {
            "id": str(self.application_id),
            "name": self.bot_user.name,
            "description": "",
            "icon": None,
            "owner": {**self.users[self.bot_user.id].payload(), "bot": False, "id": str(snowflake())},
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": 0,
        }

    def _sync(self, guild_id: int | None, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
        synced = [
            {
                **command,
                "id": str(snowflake()),
                "application_id": str(self.application_id),
                "version": str(snowflake()),
                **({"guild_id": str(guild_id)} if guild_id else {}),
            }
            for command in commands
        ]
        self.commands[guild_id] = synced
        return synced

    def _interaction_by_token(self, token: str) -> int | None:
        return next((i for i, p in self._interactions.items() if p["token"] == token), None)

    def _new_message(
        self, channel_id: int, body: dict[str, Any], files: list[tuple[str, bytes]]
    ) -> dict[str, Any]:
        message_id = snowflake()
        guild = self._guild_of(channel_id)
        message: dict[str, Any] = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "author": self.bot_user.payload(),
            "content": body.get("content") or "",
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "attachments": [
                {
                    "id": str(snowflake()),
                    "filename": name,
                    "size": len(data),
                    "url": f"{self.base_url}/attachments/{name}",
                    "proxy_url": f"{self.base_url}/attachments/{name}",
                }
                for name, data in files
            ],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": bool(body.get("tts")),
            "timestamp": _now(),
            "edited_timestamp": None,
            "flags": int(body.get("flags") or 0),
            "type": 19 if body.get("message_reference") else 0,
        }
        if guild is not None:
            message["guild_id"] = str(guild.id)
        if body.get("message_reference"):
            message["message_reference"] = body["message_reference"]
        self.messages[message_id] = message
        return message

    def _edit_message(self, message_id: int, body: dict[str, Any]) -> dict[str, Any]:
        message = self.messages[message_id]
        for key in ("content", "embeds", "components", "flags"):
            if key in body:
                message[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        message["edited_timestamp"] = _now()
        return message

    def _callback(
        self, interaction_id: int, body: dict[str, Any], files: list[tuple[str, bytes]]
    ) -> dict[str, Any]:
        interaction = self._interactions.get(interaction_id)
        if interaction is None:
            raise web.HTTPNotFound(text='{"message": "Unknown interaction", "code": 10062}')
        kind = int(body["type"])
        data = body.get("data") or {}
        self.callbacks.append((interaction_id, kind, data))
        channel_id = int(interaction["channel_id"])
        message: dict[str, Any] | None = None
        if kind in (4, 5):  # a message (or "thinking...") answering the interaction
            message = self._new_message(channel_id, data, files)
            if kind == 5:
                message["flags"] |= 1 << 7  # loading
            message["interaction_metadata"] = {
                "id": str(interaction_id),
                "type": interaction["type"],
                "user": (interaction.get("member") or {}).get("user") or interaction.get("user"),
                "authorizing_integration_owners": interaction.get("authorizing_integration_owners", {}),
            }
            self._originals[interaction["token"]] = int(message["id"])
            if kind == 4:
                self.sent.append(Sent("interaction", message, data, files, interaction_id))
        elif kind == 7:  # update the message the component is on
            message = self._edit_message(int(interaction["message"]["id"]), data)
            self.sent.append(Sent("update", message, data, files, interaction_id))
        response: dict[str, Any] = {
            "interaction": {
                "id": str(interaction_id),
                "type": interaction["type"],
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(message and message["flags"] & EPHEMERAL),
            }
        }
        if message is not None:
            response["interaction"]["response_message_id"] = message["id"]
            response["resource"] = {"type": kind, "message": message}
        return response


# -- a world for tests -----------------------------------------------------------------------------------


@dataclass
class World:
    """Two servers, a member, a moderator in each server, and another bot."""

    guild: FakeGuild
    other_guild: FakeGuild
    member: FakeUser
    moderator: FakeUser
    other_moderator: FakeUser
    other_bot: FakeUser
    general: int  # a channel id in `guild`
    ask_channel: int  # a channel id in `guild`, for ASK_CHANNEL_IDS
    other_general: int  # a channel id in `other_guild`
    mod_role: int  # a role for MOD_ROLE_IDS

    @property
    def guilds(self) -> list[FakeGuild]:
        return [self.guild, self.other_guild]

    @property
    def users(self) -> list[FakeUser]:
        return [self.member, self.moderator, self.other_moderator, self.other_bot]


def make_world(extra_members: int = 0) -> tuple[World, list[FakeUser]]:
    """A `World`, plus `extra_members` more plain members of the first server (for load tests)."""
    member = FakeUser(snowflake(), "member")
    moderator = FakeUser(snowflake(), "moderator")
    other_moderator = FakeUser(snowflake(), "other-moderator")
    other_bot = FakeUser(snowflake(), "other-bot", bot=True)
    extras = [FakeUser(snowflake(), f"member-{i}") for i in range(extra_members)]
    mod_role = FakeRole(snowflake(), "Moderators")  # no permissions: a moderator through MOD_ROLE_IDS
    manage = FakeRole(snowflake(), "Helpers", permissions=1 << 13)  # Manage Messages
    general, ask = FakeChannel(snowflake(), "general"), FakeChannel(snowflake(), "ask-kratom")
    guild = FakeGuild(
        snowflake(),
        "Pain Support",
        [general, ask],
        roles=[mod_role],
        members={member.id: [], moderator.id: [mod_role.id], other_bot.id: [], **{u.id: [] for u in extras}},
    )
    other_general = FakeChannel(snowflake(), "general")
    other_guild = FakeGuild(
        snowflake(),
        "Other Server",
        [other_general],
        roles=[manage],
        members={other_moderator.id: [manage.id]},
    )
    world = World(
        guild=guild,
        other_guild=other_guild,
        member=member,
        moderator=moderator,
        other_moderator=other_moderator,
        other_bot=other_bot,
        general=general.id,
        ask_channel=ask.id,
        other_general=other_general.id,
        mod_role=mod_role.id,
    )
    return world, extras
