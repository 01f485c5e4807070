"""All configuration, typed, in one place: read from the environment and an optional `.env` file.

A bad value stops start-up with a message naming the variable and what it expects (`ConfigError`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from dotenv import dotenv_values

from knowledge.loader import SNIPPETS_DIR
from knowledge.matcher import DEFAULT_THRESHOLDS, Thresholds

T = TypeVar("T")
DEFAULT_DATABASE_PATH = Path("data") / "bot.sqlite3"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(Exception):
    """A setting has a value the bot cannot use."""

    def __init__(self, variable: str, expected: str, value: str) -> None:
        super().__init__(f"{variable} must be {expected}; got {value!r}")
        self.variable = variable


@dataclass(frozen=True, slots=True)
class Settings:
    discord_token: str | None = field(default=None, repr=False)  # never shown in logs or reprs
    database_path: Path = DEFAULT_DATABASE_PATH
    snippets_dir: Path = SNIPPETS_DIR
    mod_role_ids: frozenset[int] = frozenset()
    ask_channel_ids: frozenset[int] = frozenset()
    dev_guild_id: int | None = None
    cooldown_questions: int = 5
    cooldown_seconds: float = 60.0
    thresholds: Thresholds = DEFAULT_THRESHOLDS
    log_level: str = "INFO"
    keep_emergency_text: bool = False

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
    ) -> Settings:
        """Settings from `environ` (default: the process environment) over the values in `env_file`."""
        values: dict[str, str] = {}
        if env_file is not None and env_file.is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)

        def get(name: str, parse: Callable[[str], T], expected: str, default: T) -> T:
            raw = values.get(name, "").strip()
            if not raw:
                return default
            try:
                return parse(raw)
            except ValueError:
                raise ConfigError(name, expected, raw) from None

        defaults = DEFAULT_THRESHOLDS
        return cls(
            discord_token=values.get("DISCORD_TOKEN", "").strip() or None,
            database_path=get("DATABASE_PATH", Path, "a file path", DEFAULT_DATABASE_PATH),
            snippets_dir=get(
                "SNIPPETS_DIR", _directory, "an existing folder of snippet YAML files", SNIPPETS_DIR
            ),
            mod_role_ids=get("MOD_ROLE_IDS", _ids, "comma-separated Discord role ids", frozenset()),
            ask_channel_ids=get("ASK_CHANNEL_IDS", _ids, "comma-separated Discord channel ids", frozenset()),
            dev_guild_id=get("DEV_GUILD_ID", _snowflake, "a Discord server (guild) id", None),
            cooldown_questions=get("COOLDOWN_QUESTIONS", _positive_int, "a whole number of at least 1", 5),
            cooldown_seconds=get("COOLDOWN_SECONDS", _positive_float, "a number of seconds above 0", 60.0),
            thresholds=Thresholds(
                answer=get("MATCH_THRESHOLD", _fraction, "a number from 0 to 1", defaults.answer),
                margin=get("MATCH_MARGIN", _fraction, "a number from 0 to 1", defaults.margin),
                suggest=defaults.suggest,
            ),
            log_level=get("LOG_LEVEL", _log_level, f"one of {', '.join(LOG_LEVELS)}", "INFO"),
            keep_emergency_text=get("KEEP_EMERGENCY_TEXT", _boolean, "true or false", False),
        )


def _ids(raw: str) -> frozenset[int]:
    return frozenset(_snowflake(part) for part in raw.replace(" ", "").split(",") if part)


def _snowflake(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError(raw)
    return value


def _positive_int(raw: str) -> int:
    return _snowflake(raw)


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError(raw)
    return value


def _fraction(raw: str) -> float:
    value = float(raw)
    if not 0 <= value <= 1:
        raise ValueError(raw)
    return value


def _log_level(raw: str) -> str:
    if raw.upper() not in LOG_LEVELS:
        raise ValueError(raw)
    return raw.upper()


def _boolean(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


def _directory(raw: str) -> Path:
    path = Path(raw)
    if not path.is_dir():
        raise ValueError(raw)
    return path
