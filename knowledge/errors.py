"""Problems found in the knowledge files, each naming its file, snippet and field."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    snippet: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.snippet:
            where += f": snippet {self.snippet!r}"
        if self.field:
            where += f", field {self.field!r}"
        return f"{where}: {self.message}"


class KnowledgeError(Exception):
    """The knowledge files are invalid; `problems` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))
