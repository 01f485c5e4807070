"""Load the source articles and curated snippets, validating everything at once.

Every problem is collected, not just the first, and each names the file, the snippet and the field, so
that a curator can fix a whole file in one pass (`python -m bot kb check`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from knowledge.errors import KnowledgeError, Problem
from knowledge.matcher import terms
from knowledge.models import Snippet, Source
from knowledge.text import canonical_question

PACKAGE_DIR = Path(__file__).resolve().parent
SOURCES_DIR = PACKAGE_DIR / "sources"
SNIPPETS_DIR = PACKAGE_DIR / "snippets"
SOURCE_TITLES_FILE = "sources.yaml"

MIN_QUESTIONS, MAX_QUESTIONS = 4, 10
DISCORD_MESSAGE_LIMIT = 2000
SUMMARY_SECTION, CONCLUSION_SECTION = "Summary", "Conclusion"

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_REQUIRED = ("id", "title", "questions", "answer", "source")
_OPTIONAL = ("caution", "keywords")
# Promotional claims that safety.md forbids serving as plain fact: a snippet quoting one needs a caution.
_CLAIMS_NEEDING_CAUTION = re.compile(
    r"addiction risk|risk of addiction|potential for addiction|addiction and dependen|considered safe"
    r"|safe and effective|without the side effects|lower risk",
    re.IGNORECASE,
)


def quote_form(text: str) -> str:
    """Text as compared for quoting: plain quote marks, single spaces."""
    text = text.translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "\u00a0": " "}))
    return " ".join(text.split())


def article_sections(text: str) -> dict[str, str]:
    """Split an article into its sections by heading line.

    The articles open with summary paragraphs and a bullet list of the section headings; the headings then
    recur alone on a line. Text before the first heading is the summary; the paragraph after the last
    section is the conclusion.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    headings = [line[2:].strip() for line in lines if line.startswith("- ")]
    sections: dict[str, list[str]] = {SUMMARY_SECTION: []}
    current = SUMMARY_SECTION
    for line in lines:
        if line in headings:
            current = line
            sections[current] = []
        else:
            sections[current].append(line)
    if current != SUMMARY_SECTION and len(sections[current]) > 1:
        sections[CONCLUSION_SECTION] = sections[current][-1:]
        sections[current] = sections[current][:-1]
    return {name: quote_form(" ".join(body)) for name, body in sections.items()}


def load_sources(directory: Path = SOURCES_DIR) -> dict[str, Source]:
    titles_path = directory / SOURCE_TITLES_FILE
    problems: list[Problem] = []
    titles = _read_yaml(titles_path, problems)
    if problems:
        raise KnowledgeError(problems)
    if not isinstance(titles, dict):
        raise KnowledgeError(
            [Problem(str(titles_path), None, None, "expected a mapping of file name to title")]
        )
    sources = {}
    for file, title in titles.items():
        path = directory / str(file)
        if not path.is_file():
            problems.append(Problem(str(titles_path), None, str(file), "no such article file"))
        elif not isinstance(title, str) or not title.strip():
            problems.append(Problem(str(titles_path), None, str(file), "title must be a non-empty string"))
        else:
            sources[str(file)] = Source(str(file), title.strip(), path.read_text(encoding="utf-8"))
    if problems:
        raise KnowledgeError(problems)
    return sources


def load_snippets(
    directory: Path = SNIPPETS_DIR,
    sources: dict[str, Source] | None = None,
    render: Callable[[Snippet], str] | None = None,
    find_amount: Callable[[str], str | None] | None = None,
) -> list[Snippet]:
    """Load and validate every `*.yaml` file in `directory`.

    The rules for what members are told live in the guardrails, which build on this package, so they come
    in as functions: `render` gives the full reply a member would see for a snippet (replies longer than a
    Discord message are reported); `find_amount` finds an amount or frequency stated in a text (an answer
    or caution stating one is reported).
    """
    sources = load_sources() if sources is None else sources
    sections = {name: article_sections(source.text) for name, source in sources.items()}
    problems: list[Problem] = []
    snippets: list[Snippet] = []
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise KnowledgeError([Problem(str(directory), None, None, "no snippet files (*.yaml) found")])
    for path in files:
        data = _read_yaml(path, problems)
        if data is None:
            continue
        entries = data.get("snippets") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            problems.append(
                Problem(str(path), None, "snippets", "expected a top-level list named 'snippets'")
            )
            continue
        for index, entry in enumerate(entries):
            snippet = _parse_snippet(path, index, entry, sources, sections, problems, find_amount)
            if snippet is not None:
                snippets.append(snippet)
    problems.extend(_cross_check(snippets, render))
    if problems:
        raise KnowledgeError(problems)
    return snippets


def _read_yaml(path: Path, problems: list[Problem]) -> Any:
    """The parsed file, or None with a problem recorded."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        problems.append(Problem(str(path), None, None, f"cannot read file: {error}"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark else ""
        problems.append(
            Problem(str(path), None, None, f"invalid YAML{line}: {getattr(error, 'problem', error)}")
        )
    return None


def _parse_snippet(
    path: Path,
    index: int,
    entry: Any,
    sources: dict[str, Source],
    sections: dict[str, dict[str, str]],
    problems: list[Problem],
    find_amount: Callable[[str], str | None] | None,
) -> Snippet | None:
    file = str(path)
    if not isinstance(entry, dict):
        problems.append(
            Problem(file, f"#{index + 1}", None, "expected a mapping with id, title, questions, ...")
        )
        return None
    sid = entry.get("id")
    name = sid if isinstance(sid, str) and sid else f"#{index + 1}"
    found = len(problems)

    def problem(field: str, message: str) -> None:
        problems.append(Problem(file, name, field, message))

    for field in _REQUIRED:
        if entry.get(field) in (None, "", [], {}):
            problem(field, "missing or empty")
    for field in entry.keys() - {*_REQUIRED, *_OPTIONAL}:
        problem(str(field), f"unknown field (expected one of {', '.join(_REQUIRED + _OPTIONAL)})")
    if isinstance(sid, str) and sid and not _ID.match(sid):
        problem("id", "must be lowercase letters, digits and single hyphens")
    for field in ("title", "answer", "caution"):
        if field in entry and entry[field] is not None and not isinstance(entry[field], str):
            problem(field, "must be text")

    questions = entry.get("questions")
    if questions not in (None, []):
        if not isinstance(questions, list) or not all(isinstance(q, str) and q.strip() for q in questions):
            problem("questions", "must be a list of non-empty strings")
            questions = []
        elif not MIN_QUESTIONS <= len(questions) <= MAX_QUESTIONS:
            problem("questions", f"has {len(questions)}; expected {MIN_QUESTIONS} to {MAX_QUESTIONS}")
    keywords = entry.get("keywords") or []
    if not isinstance(keywords, list) or not all(isinstance(k, str | int) for k in keywords):
        problem("keywords", "must be a list of words")
        keywords = []

    source = entry.get("source")
    article = section = None
    if isinstance(source, dict):
        article, section = source.get("article"), source.get("section")
        extra = source.keys() - {"article", "section"}
        if extra:
            problem("source", f"unknown keys {sorted(extra)} (expected article and section)")
        if article not in sources:
            problem("source.article", f"{article!r} is not one of the articles in {SOURCE_TITLES_FILE}")
        elif section not in sections[article]:
            known = ", ".join(sections[article])
            problem("source.section", f"{section!r} is not a section of {article} (sections: {known})")
    elif source is not None:
        problem("source", "expected a mapping with article and section")

    answer, caution = entry.get("answer"), entry.get("caution")
    if isinstance(answer, str) and answer.strip():
        quoted = quote_form(answer)
        if article in sources and quoted not in quote_form(sources[article].text):
            problem("answer", f"not found word for word in {article}")
        elif article in sources and section in sections[article] and quoted not in sections[article][section]:
            problem("answer", f"not found in section {section!r} of {article}")
        elif not re.match(r"^[A-Z“\"'‘]", quoted) or not re.search(r"[.!?][”\"’']?$", quoted):
            problem("answer", "must be whole sentences (start with a capital letter, end with . ! or ?)")
        if _CLAIMS_NEEDING_CAUTION.search(answer) and not (isinstance(caution, str) and caution.strip()):
            problem("caution", "required: the answer quotes a safety claim that must not be served as fact")
    for field in ("answer", "caution"):
        value = entry.get(field)
        if find_amount is not None and isinstance(value, str) and (figure := find_amount(value)):
            problem(field, f"states an amount or frequency ({figure!r}); replies never may")

    if len(problems) > found:
        return None
    return Snippet(
        id=sid,
        title=entry["title"].strip(),
        questions=tuple(q.strip() for q in questions),
        answer=quote_form(answer),
        article=article,
        section=section,
        source_title=sources[article].title,
        caution=" ".join(caution.split()) if caution else None,
        keywords=tuple(str(k) for k in keywords),
        file=path,
    )


def _cross_check(snippets: Iterable[Snippet], render: Callable[[Snippet], str] | None) -> list[Problem]:
    problems = []
    by_id: dict[str, Snippet] = {}
    by_question: dict[frozenset[str], tuple[Snippet, str]] = {}
    for snippet in snippets:
        if (other := by_id.setdefault(snippet.id, snippet)) is not snippet:
            problems.append(
                Problem(str(snippet.file), snippet.id, "id", f"duplicate id (also in {other.file})")
            )
        seen: set[str] = set()
        for question in snippet.questions:
            if canonical_question(question) in seen:
                problems.append(Problem(str(snippet.file), snippet.id, "questions", f"{question!r} twice"))
            seen.add(canonical_question(question))
            # Phrasings that reduce to the same matching terms cannot tell two snippets apart.
            key = terms(question) or frozenset([canonical_question(question)])
            other, other_question = by_question.setdefault(key, (snippet, question))
            if other is not snippet:
                message = f"{question!r} matches the same as {other_question!r} on {other.id!r}"
                problems.append(Problem(str(snippet.file), snippet.id, "questions", message))
        if render is not None and (length := len(render(snippet))) > DISCORD_MESSAGE_LIMIT:
            problems.append(
                Problem(
                    str(snippet.file),
                    snippet.id,
                    "answer",
                    f"the full reply is {length} characters, over Discord's {DISCORD_MESSAGE_LIMIT}",
                )
            )
    return problems
