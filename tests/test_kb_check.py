"""`kb check` on the shipped knowledge base, and on broken files: every problem, with file, snippet, field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main
from knowledge import matcher
from knowledge.loader import SNIPPETS_DIR, KnowledgeError, load_snippets

GOOD = """
snippets:
  - id: chronic-pain-definition
    title: What counts as chronic pain
    questions: [what is chronic pain, chronic pain definition, when is pain chronic, how long is chronic pain]
    answer: It's defined as pain lasting for more than 12 weeks, often persisting despite initial treatment.
    source: {article: 000_7f859985a803666d.txt, section: Understanding Chronic Pain and Its Impact}
"""


def check(
    tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> str:
    folder = tmp_path / "snippets"
    folder.mkdir(exist_ok=True)
    (folder / "broken.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("SNIPPETS_DIR", str(folder))
    monkeypatch.chdir(tmp_path)
    assert main(["kb", "check"]) == 2
    return capsys.readouterr().err


def test_the_shipped_knowledge_base_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "check"]) == 0
    assert capsys.readouterr().out.startswith("OK:")


def test_a_valid_file_passes(tmp_path: Path) -> None:
    folder = tmp_path / "snippets"
    folder.mkdir()
    (folder / "good.yaml").write_text(GOOD)
    (snippet,) = load_snippets(folder)
    assert (
        snippet.citation == "Kratom, prolactin and chronic pain (Understanding Chronic Pain and Its Impact)"
    )


def test_every_problem_is_reported_with_file_snippet_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = (
        GOOD
        + """
  - id: chronic-pain-definition
    title: ""
    questions: [what is chronic pain, x, y]
    answer: Kratom cures everything.
    source: {article: nope.txt, section: Summary}
  - id: Bad_Id
    title: Dose
    questions: [a one, b two, c three, d four]
    answer: Take 5 g daily.
    source: {article: 001_5cbfce670089283b.txt, section: No Such Section}
    colour: red
  - id: unsafe-claim
    title: Addiction
    questions: [is kratom addictive really, kratom addiction risk, kratom dependence risk, addiction kratom risk]
    answer: >-
      It’s important to note that kratom does not directly increase dopamine levels like some other
      substances, but its interaction with opioid receptors may provide pain relief similar to opiates without
      the same level of addiction risk.
    source: {article: 001_5cbfce670089283b.txt, section: Practical Guidance for Safe Kratom Use in Pain Management}
"""
    )
    err = check(tmp_path, broken, capsys, monkeypatch)
    file = str(tmp_path / "snippets" / "broken.yaml")
    expected = [
        f"{file}: snippet 'chronic-pain-definition', field 'title': missing or empty",
        f"{file}: snippet 'chronic-pain-definition', field 'questions': has 3; expected 4 to 10",
        f"{file}: snippet 'chronic-pain-definition', field 'source.article': 'nope.txt' is not one of the articles",
        f"{file}: snippet 'Bad_Id', field 'id': must be lowercase letters, digits and single hyphens",
        f"{file}: snippet 'Bad_Id', field 'colour': unknown field",
        f"{file}: snippet 'Bad_Id', field 'source.section': 'No Such Section' is not a section",
        f"{file}: snippet 'Bad_Id', field 'answer': not found word for word in 001_5cbfce670089283b.txt",
        f"{file}: snippet 'Bad_Id', field 'answer': states an amount or frequency ('5 g')",
        f"{file}: snippet 'unsafe-claim', field 'caution': required",
    ]
    for line in expected:
        assert line in err, line
    assert "Traceback" not in err


def test_duplicate_ids_and_shared_questions_across_files(tmp_path: Path) -> None:
    folder = tmp_path / "snippets"
    folder.mkdir()
    (folder / "a.yaml").write_text(GOOD)
    (folder / "b.yaml").write_text(
        GOOD.replace("how long is chronic pain", "how long does chronic pain last")
    )
    with pytest.raises(KnowledgeError) as error:
        load_snippets(folder)
    text = str(error.value)
    assert "b.yaml: snippet 'chronic-pain-definition', field 'id': duplicate id (also in" in text
    assert (
        "'what is chronic pain' matches the same as 'what is chronic pain' on 'chronic-pain-definition'"
        in text
    )


def test_invalid_yaml_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    err = check(tmp_path, "snippets:\n  - id: [unclosed\n", capsys, monkeypatch)
    assert "broken.yaml: invalid YAML at line" in err


def test_a_reply_over_discords_limit_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "snippets"
    shutil.copytree(SNIPPETS_DIR, folder)
    with pytest.raises(KnowledgeError, match="over Discord's 2000"):
        load_snippets(folder, render=lambda snippet: "x" * 2001)


def test_vocabulary_problems_are_all_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bare yes (YAML reads a boolean) and a synonym listed twice (YAML keeps the last, silently)."""
    vocabulary = tmp_path / "vocabulary.yaml"
    vocabulary.write_text("stopwords: [the, yes]\nsynonyms:\n  fibro: fibromyalgia\n  fibro: fibre\n")
    monkeypatch.setattr(matcher, "VOCABULARY_FILE", vocabulary)
    matcher._vocabulary.cache_clear()
    try:
        with pytest.raises(KnowledgeError) as error:
            matcher._vocabulary()
    finally:
        matcher._vocabulary.cache_clear()
    text = str(error.value)
    assert "field 'stopwords': True is not text (quote it)" in text
    assert "field 'synonyms': 'fibro' twice (line 4)" in text
