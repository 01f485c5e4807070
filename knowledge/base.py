"""The knowledge in service: sources, curated snippets, learned phrasings and the matcher over them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from knowledge.loader import SNIPPETS_DIR, SOURCES_DIR, load_snippets, load_sources
from knowledge.matcher import Match, Matcher
from knowledge.models import Snippet, Source


class KnowledgeBase:
    """Immutable: teaching a phrasing or reloading builds a new one, swapped in whole by its owner."""

    def __init__(
        self, sources: dict[str, Source], snippets: Iterable[Snippet], learned: Iterable[tuple[str, str]] = ()
    ) -> None:
        self.sources = sources
        self.snippets = tuple(snippets)
        self.by_id = {snippet.id: snippet for snippet in self.snippets}
        self.learned = tuple((sid, question) for sid, question in learned if sid in self.by_id)
        self.matcher = Matcher(self.snippets, self.learned)

    @classmethod
    def load(
        cls,
        snippets_dir: Path = SNIPPETS_DIR,
        sources_dir: Path = SOURCES_DIR,
        learned: Iterable[tuple[str, str]] = (),
        render: Callable[[Snippet], str] | None = None,
        find_amount: Callable[[str], str | None] | None = None,
    ) -> KnowledgeBase:
        """Read and validate the knowledge files; raises `KnowledgeError` listing every problem."""
        sources = load_sources(sources_dir)
        return cls(sources, load_snippets(snippets_dir, sources, render, find_amount), learned)

    def with_learned(self, snippet_id: str, question: str) -> KnowledgeBase:
        return KnowledgeBase(self.sources, self.snippets, [*self.learned, (snippet_id, question)])

    def match(self, question: str) -> Match:
        return self.matcher.match(question)

    def export(self) -> list[dict[str, Any]]:
        """Every snippet as plain data, with the phrasings moderators taught after the curated ones."""
        learned: dict[str, list[str]] = {}
        for snippet_id, question in self.learned:
            learned.setdefault(snippet_id, []).append(question)
        return [
            {
                "id": s.id,
                "title": s.title,
                "questions": [*s.questions, *learned.get(s.id, [])],
                "learned_questions": learned.get(s.id, []),
                "answer": s.answer,
                "caution": s.caution,
                "source": {"article": s.article, "title": s.source_title, "section": s.section},
            }
            for s in self.snippets
        ]
