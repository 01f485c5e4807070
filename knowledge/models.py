"""The curated knowledge: source articles and the answer snippets quoted from them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Source:
    """One source article: its file name, human title and text."""

    file: str
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class Snippet:
    """A curated answer: whole sentences quoted from one article, with the phrasings that ask for it."""

    id: str
    title: str
    questions: tuple[str, ...]
    answer: str
    article: str
    section: str
    source_title: str
    caution: str | None = None
    keywords: tuple[str, ...] = ()
    file: Path | None = None  # the YAML file it was curated in, for error messages

    @property
    def citation(self) -> str:
        """Where the answer comes from, as members see it."""
        return f"{self.source_title} ({self.section})"
