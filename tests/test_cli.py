"""The command-line contract: `ask --json`, the unanswered review commands, kb commands, user errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

CONTRACT_KEYS = {"question", "status", "reply", "snippet_id", "source", "score"}


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("DATABASE_PATH", str(path))
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str, stdin: str | None = None) -> tuple[int, str, str]:
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        code = main(list(argv))
    finally:
        sys.stdin = sys.__stdin__
    out, err = capsys.readouterr()
    return code, out, err


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_ask_json_one_object_per_stdin_line_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ask", "--json", stdin="what is kratom\n\nwho won the football game\n")
    assert code == 0
    first, second = json_lines(out)
    assert set(first) >= CONTRACT_KEYS and set(second) >= CONTRACT_KEYS
    assert (first["question"], first["status"]) == ("what is kratom", "answered")
    assert first["snippet_id"] and first["source"] and first["score"] > 0
    assert (second["status"], second["snippet_id"]) == ("unanswered", None)
    assert all("clinician" in r["reply"] for r in (first, second))


def test_ask_arguments_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ask", "what is kratom")
    assert code == 0 and "Source:" in out and "clinician" in out


def test_unanswered_review_round_trip(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    question = "is kratom zorblax friendly"
    run(capsys, "ask", question, question.upper())
    code, out, _ = run(capsys, "unanswered", "list", "--json")
    rows = json.loads(out)
    assert code == 0 and [r["question"] for r in rows] == [question.upper(), question]
    code, out, _ = run(capsys, "unanswered", "list")
    assert "x2" in out  # grouped by normalised text

    code, out, _ = run(capsys, "kb", "export", "--json")
    snippet_id = json.loads(out)[0]["id"]
    code, out, _ = run(capsys, "unanswered", "resolve", str(rows[1]["id"]), snippet_id)
    assert code == 0 and "resolved" in out
    code, out, _ = run(capsys, "ask", "--json", question)
    assert json_lines(out)[0]["snippet_id"] == snippet_id
    exported = {s["id"]: s for s in json.loads(run(capsys, "kb", "export", "--json")[1])}
    assert question in exported[snippet_id]["questions"]

    run(capsys, "ask", "who won the cup final")
    newest = json.loads(run(capsys, "unanswered", "list", "--json", "--status", "new")[1])[0]
    assert run(capsys, "unanswered", "dismiss", str(newest["id"]))[0] == 0
    csv_path = tmp_path / "log.csv"
    assert run(capsys, "unanswered", "export", "--csv", str(csv_path))[0] == 0
    assert "who won the cup final" in csv_path.read_text()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["unanswered", "resolve", "999", "what-is-kratom"], "no logged question with id 999"),
        (["unanswered", "dismiss", "999"], "no logged question with id 999"),
        (["run"], "DISCORD_TOKEN"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert err.count("\n") == 1


def test_unknown_snippet_on_resolve(capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "ask", "who won the cup final")
    code, _, err = run(capsys, "unanswered", "resolve", "1", "no-such-snippet")
    assert code == 2 and "no snippet with id 'no-such-snippet'" in err


def test_bad_config_names_the_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATCH_THRESHOLD", "high")
    code, _, err = run(capsys, "ask", "what is kratom")
    assert code == 2 and "MATCH_THRESHOLD must be a number from 0 to 1; got 'high'" in err


def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["unanswered", "resolve", "not-a-number", "x"])
    assert exit_info.value.code == 2


def test_runs_as_a_module(database: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json"],
        input="what is kratom\n",
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(done.stdout)["status"] == "answered"
