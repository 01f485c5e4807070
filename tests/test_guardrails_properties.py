"""Property tests: any text, any Unicode, through the guardrails and the whole pipeline."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.pipeline import Pipeline
from bot.store import Store
from guardrails import Guardrails, Verdict, VerdictKind
from guardrails.replies import messages, states_amount
from knowledge.base import KnowledgeBase
from tests.helpers import DATA

GUARDRAILS = Guardrails.load()
CORPUS = yaml.safe_load((DATA / "guardrail_corpus.yaml").read_text(encoding="utf-8"))
# Plain-text dosing requests (the obfuscated ones are covered by the corpus test).
PLAIN_REQUESTS = [m for m in CORPUS["dosing_requests"] if m.isascii() and "  " not in m][:60]

# Words from the rules' world, odd characters and separators: texts that reach deep into the rules.
VOCABULARY = [
    "how", "much", "many", "kratom", "dose", "d0se", "grams", "5g", "mg", "should", "i", "my", "take",
    "overdosed", "not", "breathing", "kill", "myself", "seizure", "chest", "pain", "after", "twice", "a", "day",
    "\u200b", "\u0430", "\u043e", "\ufeff", "m u c h", "?", "!", "'", "-", "/", "+", "&", "=", "\n", "\t",
    "ｈｏｗ", "ﬁ", "İ", "ß", "🙂", "\u0301", "\x00", "1-800-222-1222", "988",
]  # fmt: skip
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

any_text = st.text(max_size=10_000)
rule_words = st.lists(st.sampled_from(VOCABULARY), max_size=60).map(" ".join)
messages_ = st.one_of(any_text, rule_words, st.text(alphabet=st.characters(codec="utf-8"), max_size=300))


@SETTINGS
@given(messages_)
def test_check_never_raises(text: str) -> None:
    verdict = GUARDRAILS.check(text)
    assert verdict is None or isinstance(verdict, Verdict)
    assert GUARDRAILS.check(text) == verdict


@SETTINGS
@given(st.sampled_from(PLAIN_REQUESTS), st.data())
def test_dosing_requests_survive_casing_and_invisible_characters(request: str, data: st.DataObject) -> None:
    """Random casing and zero-width characters slipped between letters do not get a request through."""
    chars = []
    for ch in request:
        chars.append(ch.upper() if data.draw(st.booleans()) else ch)
        if ch.isalpha() and data.draw(st.integers(0, 9)) == 0:
            chars.append(
                data.draw(st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]))
            )
    mangled = "".join(chars)
    verdict = GUARDRAILS.check(mangled)
    assert verdict is not None and verdict.kind is VerdictKind.DOSING, repr(mangled)


def test_pipeline_replies_to_anything(tmp_path: Path, knowledge: KnowledgeBase) -> None:
    """Any text through the real pipeline (real knowledge base, SQLite store): a reply with the note, no
    dose figure, under Discord's limit, never an exception."""
    note = messages()["clinician_note"]
    loop = asyncio.new_event_loop()
    store = loop.run_until_complete(Store.open(tmp_path / "bot.sqlite3"))
    pipeline = Pipeline(knowledge, store, GUARDRAILS)

    @SETTINGS
    @given(messages_)
    def ask(text: str) -> None:
        reply = loop.run_until_complete(pipeline.ask(text))
        assert note in reply.text
        assert not states_amount(reply.text)
        assert len(reply.text) < 2000

    try:
        ask()
    finally:
        loop.run_until_complete(pipeline.close())
        loop.close()


@pytest.mark.parametrize("text", ["", " ", "\x00", "\u200b" * 50, "🙂" * 3000, "a\u0301" * 4000])
async def test_pipeline_edge_cases(pipeline: Pipeline, text: str) -> None:
    reply = await pipeline.ask(text)
    assert messages()["clinician_note"] in reply.text
