"""The command line: `python -m bot` (or `kratom-bot`). A thin adapter over the pipeline and the store.

A user error (bad arguments, bad configuration, unknown id, broken knowledge file) prints one line per
problem and exits with code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Coroutine, Iterable, Sequence
from pathlib import Path
from typing import Any

from bot.config import ConfigError, Settings
from bot.pipeline import load_knowledge, open_pipeline
from bot.store import STATUSES, Store, StoreError, rows_as_dicts
from guardrails import Guardrails, GuardrailsError
from guardrails.replies import Reply
from knowledge.loader import KnowledgeError

USAGE_ERROR = 2


class UsageError(Exception):
    """A mistake the user can fix; printed as one line."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        return asyncio.run(args.handler(args, settings)) or 0
    except KnowledgeError as error:
        print(f"The knowledge base has {len(error.problems)} problem(s):", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return USAGE_ERROR
    except (ConfigError, GuardrailsError, StoreError, UsageError) as error:
        print(f"error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Answers questions about kratom and chronic pain from curated sources.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ask = commands.add_parser(
        "ask", help="answer questions given as arguments, or one per line on standard input"
    )
    ask.add_argument("question", nargs="*", help="a question (each argument is one question)")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.set_defaults(handler=cmd_ask)

    chat = commands.add_parser("chat", help="an interactive session in the terminal")
    chat.set_defaults(handler=cmd_chat)

    unanswered = commands.add_parser(
        "unanswered", help="review the log of questions the bot could not answer"
    )
    review = unanswered.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = review.add_parser("list", help="list logged questions, grouped by normalised text")
    listing.add_argument("--json", action="store_true", help="every logged question as a JSON array")
    listing.add_argument("--status", choices=STATUSES, help="only questions with this status")
    listing.set_defaults(handler=cmd_unanswered_list)
    resolve = review.add_parser("resolve", help="teach the bot: add the question as a phrasing of a snippet")
    resolve.add_argument("id", type=int)
    resolve.add_argument("snippet_id")
    resolve.set_defaults(handler=cmd_unanswered_resolve)
    dismiss = review.add_parser("dismiss", help="dismiss a logged question (and its identical copies)")
    dismiss.add_argument("id", type=int)
    dismiss.set_defaults(handler=cmd_unanswered_dismiss)
    export = review.add_parser("export", help="write the log as CSV")
    export.add_argument(
        "--csv", type=Path, required=True, metavar="FILE", help="where to write ('-' for stdout)"
    )
    export.add_argument("--status", choices=STATUSES)
    export.set_defaults(handler=cmd_unanswered_export)

    kb = commands.add_parser("kb", help="check or export the knowledge base")
    kb_actions = kb.add_subparsers(dest="action", required=True, metavar="ACTION")
    kb_actions.add_parser("check", help="validate every knowledge file").set_defaults(handler=cmd_kb_check)
    kb_export = kb_actions.add_parser("export", help="every snippet, with learned phrasings")
    kb_export.add_argument("--json", action="store_true", required=True, help="as JSON (the only format)")
    kb_export.set_defaults(handler=cmd_kb_export)

    run = commands.add_parser("run", help="start the Discord bot (needs DISCORD_TOKEN)")
    run.set_defaults(handler=cmd_run)

    sync = commands.add_parser(
        "sync", help="publish the slash commands to Discord (needs DISCORD_TOKEN), then exit"
    )
    sync.add_argument(
        "--guild",
        type=int,
        nargs="?",
        const=0,
        metavar="ID",
        help="only to this server, at once (without ID: DEV_GUILD_ID); default: every server (global)",
    )
    sync.add_argument("--clear", action="store_true", help="remove the commands from that scope instead")
    sync.set_defaults(handler=cmd_sync)
    return parser


def _reply_json(question: str, reply: Reply) -> str:
    return json.dumps(
        {
            "question": question,
            "status": str(reply.status),
            "reply": reply.text,
            "snippet_id": reply.snippet_id,
            "source": reply.source,
            "score": reply.score,
        },
        ensure_ascii=False,
    )


def _questions(args: argparse.Namespace) -> Iterable[str]:
    if args.question:
        yield from args.question
    else:
        yield from (line.strip() for line in sys.stdin if line.strip())


async def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    pipeline = await open_pipeline(settings)
    try:
        for question in _questions(args):
            reply = await pipeline.ask(question)
            print(_reply_json(question, reply) if args.json else f"{reply.text}\n", flush=True)
    finally:
        await pipeline.close()
    return 0


async def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    pipeline = await open_pipeline(settings)
    print("Ask a question about kratom or chronic pain (an empty line or Ctrl-D ends the session).")
    try:
        while True:
            try:
                question = (await asyncio.to_thread(input, "\nyou> ")).strip()
            except EOFError:
                break
            if not question:
                break
            reply = await pipeline.ask(question)
            print(f"\nbot [{reply.status}]>\n{reply.text}")
    finally:
        await pipeline.close()
    return 0


async def _with_store(
    settings: Settings, work: Callable[[Store], Coroutine[Any, Any, int | None]]
) -> int | None:
    async with await Store.open(settings.database_path) as store:
        return await work(store)


async def cmd_unanswered_list(args: argparse.Namespace, settings: Settings) -> int | None:
    async def work(store: Store) -> int:
        if args.json:
            print(
                json.dumps(
                    rows_as_dicts(await store.unanswered(status=args.status)), ensure_ascii=False, indent=1
                )
            )
            return 0
        groups, _ = await store.groups(status=args.status or "new", limit=1000)
        if not groups:
            print("No logged questions.")
        for group in groups:
            near = f"{group.best_snippet_id} ({group.best_score:.2f})" if group.best_snippet_id else "none"
            print(f"#{group.first_id:<5} x{group.count:<3} {group.example}\n        nearest: {near}")
        return 0

    return await _with_store(settings, work)


async def cmd_unanswered_resolve(args: argparse.Namespace, settings: Settings) -> int:
    pipeline = await open_pipeline(settings)
    try:
        try:
            row = await pipeline.teach(args.id, args.snippet_id)
        except KeyError:
            raise UsageError(f"no snippet with id {args.snippet_id!r} (see `kb export --json`)") from None
    finally:
        await pipeline.close()
    print(f"#{row.id} resolved: {row.question!r} is now a phrasing of {args.snippet_id}.")
    return 0


async def cmd_unanswered_dismiss(args: argparse.Namespace, settings: Settings) -> int | None:
    async def work(store: Store) -> int:
        row = await store.dismiss(args.id)
        print(f"#{row.id} dismissed: {row.question!r}")
        return 0

    return await _with_store(settings, work)


async def cmd_unanswered_export(args: argparse.Namespace, settings: Settings) -> int | None:
    async def work(store: Store) -> int:
        text = await store.export_csv(status=args.status)
        if str(args.csv) == "-":
            sys.stdout.write(text)
        else:
            try:
                args.csv.write_text(text, encoding="utf-8", newline="")
            except OSError as error:
                raise UsageError(f"cannot write {args.csv}: {error.strerror}") from None
            print(f"Wrote {text.count(chr(10)) - 1} question(s) to {args.csv}.")
        return 0

    return await _with_store(settings, work)


async def cmd_kb_check(args: argparse.Namespace, settings: Settings) -> int:
    knowledge = load_knowledge(settings.snippets_dir)
    Guardrails.load()
    phrasings = sum(len(s.questions) for s in knowledge.snippets)
    print(f"OK: {len(knowledge.snippets)} snippets, {phrasings} phrasings, {len(knowledge.sources)} sources.")
    return 0


async def cmd_kb_export(args: argparse.Namespace, settings: Settings) -> int | None:
    async def work(store: Store) -> int:
        knowledge = load_knowledge(settings.snippets_dir, await store.learned_phrasings())
        print(json.dumps(knowledge.export(), ensure_ascii=False, indent=1))
        return 0

    return await _with_store(settings, work)


async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.discord_token:
        raise UsageError(
            "DISCORD_TOKEN is not set. Put the bot token in the environment or .env to connect to Discord, "
            "or try the same answers in the terminal with `python -m bot chat`."
        )
    import discord

    from bot import client

    try:
        return await client.run(settings)
    except discord.LoginFailure:
        raise UsageError("Discord rejected DISCORD_TOKEN: copy the bot token again from the portal") from None
    except discord.PrivilegedIntentsRequired:
        raise UsageError(
            "Discord refused the Message Content intent that ASK_CHANNEL_IDS needs: enable it on the Bot "
            "page of the developer portal, or leave ASK_CHANNEL_IDS empty"
        ) from None


async def cmd_sync(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.discord_token:
        raise UsageError("DISCORD_TOKEN is not set: syncing the commands needs the bot's token.")
    guild_id = args.guild
    if guild_id == 0:
        if settings.dev_guild_id is None:
            raise UsageError("--guild without an ID needs DEV_GUILD_ID (a Discord server id)")
        guild_id = settings.dev_guild_id
    import discord

    from bot import client

    try:
        synced = await client.sync(settings, guild_id, clear=args.clear)
    except discord.LoginFailure:
        raise UsageError("Discord rejected DISCORD_TOKEN: copy the bot token again from the portal") from None
    except discord.HTTPException as error:
        raise UsageError(f"Discord refused the commands: {error}") from None
    if args.clear:
        print(f"Removed the commands {f'from server {guild_id}' if guild_id else 'globally'}.")
    else:
        where = f"to server {guild_id}" if guild_id else "globally"
        print(f"Synced {len(synced)} command(s) {where}: {', '.join('/' + c.name for c in synced)}.")
    return 0
