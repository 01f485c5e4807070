"""Shared fixtures: the real knowledge base (loaded once), a fresh store and pipeline per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.pipeline import Pipeline, load_knowledge
from bot.store import Store
from guardrails import Guardrails
from knowledge.base import KnowledgeBase


@pytest.fixture(scope="session")
def knowledge() -> KnowledgeBase:
    return load_knowledge()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path / "bot.sqlite3") as opened:
        yield opened


@pytest.fixture
async def pipeline(knowledge: KnowledgeBase, store: Store) -> Pipeline:
    return Pipeline(knowledge, store, Guardrails.load())
