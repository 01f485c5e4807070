"""Every reply the bot sends is composed here, and only here, so that each one carries the clinician note.

A `Reply` keeps its parts (heading, body, caution, source, note) for adapters that lay them out, such as a
Discord embed, and `text`, the whole message as a member reads it. The fixed wording lives in
`messages.yaml`.

The last step of `compose` is the output check: a reply whose text would state an amount with a unit
("5 g", "2 teaspoons", "300mg", "half a teaspoon") or a counted frequency ("twice a day", "every 4 hours"),
whatever its origin, is withheld and replaced with the refusal, and the event is logged at ERROR (status
and snippet id, never the text).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

import yaml

from knowledge.models import Snippet
from knowledge.text import fold

MESSAGES_FILE = Path(__file__).with_name("messages.yaml")

log = logging.getLogger(__name__)

_NUMBER = (
    r"(?:\d+(?:[.,]\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
    r"thirty|forty|fifty|a hundred|hundred|a couple(?: of)?|a few|several|half|a half|a quarter|quarter)"
)
_UNIT = (
    r"(?:g|gr|gm|gms|grams?|grammes?|mg|mgs|milligrams?|milligrammes?|mcg|µg|ug|micrograms?|kg|kilograms?|"
    r"tsp|tsps|teaspoons?|teaspoonfuls?|tbsp|tbsps|tbs|tablespoons?|tablespoonfuls?|spoons?|spoonfuls?|"
    r"scoops?|caps|capsules?|pills?|tablets?|tabs|ml|mls|millilit(?:er|re)s?|cc|oz|ounces?|drops?|"
    r"doses?|servings?|shots?)"
)
# An amount with a unit: "5 g", "2-3 teaspoons", "300mg", "2 or 3 capsules", "half a teaspoon", "one gram".
DOSE_FIGURE = re.compile(
    rf"\b{_NUMBER}(?:\s*(?:-|to|or|and)\s*{_NUMBER})?[\s-]*(?:an?\s+)?{_UNIT}\b", re.IGNORECASE
)
# A counted frequency or schedule: "twice a day", "3 times a day", "3x daily", "every 4 hours".
FREQUENCY_FIGURE = re.compile(
    rf"\b(?:{_NUMBER}\s*(?:times?|x)|once|twice|thrice)\s+(?:a|an|per|each|every)\s+(?:day|night|week|hour)s?\b"
    rf"|\b{_NUMBER}\s*(?:times?|x)\s+daily\b"
    rf"|\bevery\s+{_NUMBER}(?:\s*(?:-|to|or)\s*{_NUMBER})?\s*(?:hours?|hrs?|days?|minutes?|mins?)\b",
    re.IGNORECASE,
)


def amount_in(text: str) -> str | None:
    """The first amount with a unit or counted frequency `text` states (folded text checked too), or None."""
    for form in (text, fold(text)):
        for pattern in (DOSE_FIGURE, FREQUENCY_FIGURE):
            if found := pattern.search(form):
                return found.group(0)
    return None


def states_amount(text: str) -> bool:
    """Whether `text` states an amount with a unit or a counted frequency."""
    return amount_in(text) is not None


class Status(StrEnum):
    ANSWERED = "answered"
    UNANSWERED = "unanswered"
    REFUSED = "refused"
    EMERGENCY = "emergency"
    # Adapter-level outcomes; the answer pipeline itself returns only the four above.
    ERROR = "error"
    COOLDOWN = "cooldown"
    HELP = "help"
    DENIED = "denied"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A snippet the question nearly matched, offered as "Did you mean ...?"."""

    snippet_id: str
    title: str
    score: float


@dataclass(frozen=True, slots=True)
class Reply:
    status: Status
    body: str
    note: str
    heading: str | None = None
    caution: str | None = None
    source: str | None = None
    snippet_id: str | None = None
    score: float | None = None
    suggestions: tuple[Suggestion, ...] = ()

    @property
    def text(self) -> str:
        """The whole reply as one message (Discord markdown)."""
        parts = []
        if self.heading:
            parts.append(f"**{self.heading}**")
        parts.append(self.body)
        parts.extend(f"{i}. {s.title}" for i, s in enumerate(self.suggestions, 1))
        if self.caution:
            parts.append(f"⚠️ **Caution:** {self.caution}")
        if self.source:
            parts.append(f"Source: {self.source}")
        parts.append(f"🩺 {self.note}")
        return "\n\n".join(parts)


@cache
def messages() -> dict[str, str]:
    """The fixed reply wording, read once."""
    with MESSAGES_FILE.open(encoding="utf-8") as file:
        return {key: " ".join(str(value).split()) for key, value in yaml.safe_load(file).items()}


def compose(
    status: Status,
    body: str,
    *,
    heading: str | None = None,
    caution: str | None = None,
    source: str | None = None,
    snippet_id: str | None = None,
    score: float | None = None,
    suggestions: tuple[Suggestion, ...] = (),
) -> Reply:
    """The one constructor of outgoing replies: adds the clinician note, then runs the output check."""
    reply = Reply(
        status=status,
        body=body,
        note=messages()["clinician_note"],
        heading=heading,
        caution=caution,
        source=source,
        snippet_id=snippet_id,
        score=score,
        suggestions=suggestions,
    )
    if states_amount(reply.text):
        log.error(
            "OUTPUT CHECK: reply withheld, it would state an amount or a frequency "
            "(status %s, snippet %s); the refusal was sent instead",
            status,
            snippet_id,
        )
        return _refusal()
    return reply


def _refusal() -> Reply:
    return Reply(status=Status.REFUSED, body=messages()["refused"], note=messages()["clinician_note"])


def answer(snippet: Snippet, score: float | None = None) -> Reply:
    return compose(
        Status.ANSWERED,
        f"{messages()['answer_lead']}\n> {snippet.answer}",
        heading=snippet.title,
        caution=snippet.caution,
        source=snippet.citation,
        snippet_id=snippet.id,
        score=score,
    )


def unanswered(suggestions: tuple[Suggestion, ...] = (), score: float | None = None) -> Reply:
    key = "ambiguous" if suggestions else "unanswered"
    return compose(Status.UNANSWERED, messages()[key], suggestions=suggestions, score=score)


def refused() -> Reply:
    return compose(Status.REFUSED, messages()["refused"])


def emergency(self_harm: bool = False) -> Reply:
    return compose(Status.EMERGENCY, messages()["self_harm" if self_harm else "emergency"])


def error() -> Reply:
    return compose(Status.ERROR, messages()["error"])


def cooldown(retry_after: float) -> Reply:
    seconds = max(1, round(retry_after))
    wait = f"{seconds} second{'s' if seconds != 1 else ''}"
    return compose(Status.COOLDOWN, messages()["cooldown"].format(retry_after=wait))


def help_reply() -> Reply:
    return compose(Status.HELP, messages()["help"])


def denied(reason: str = "moderators_only") -> Reply:
    """A command the member may not use here; `reason` names the wording in messages.yaml."""
    return compose(Status.DENIED, messages()[reason])
