"""The checks that run on every message before the knowledge base is consulted.

The rules are data (`rules.yaml`): word lists, named signals (regular expressions over the normalised
message) and rules that combine signals. They are validated and compiled once, by `Guardrails.load`.

`check` normalises the message into a few readings (see `Normaliser`), then tries the rules in order of
urgency: self-harm, then emergencies, then personalised dosing requests. The first rule that fires gives
the verdict; no rule, no verdict (the question goes on to the knowledge base).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz.distance import OSA

from knowledge.text import deleet, despace, fold, has_cyrillic, segment, squeeze, transliterate

DEFAULT_RULES = Path(__file__).with_name("rules.yaml")


class VerdictKind(StrEnum):
    EMERGENCY = "emergency"
    SELF_HARM = "self_harm"
    DOSING = "dosing"


# Rules are tried in this order whatever their order in the file: the most urgent verdict wins.
PRIORITY = (VerdictKind.SELF_HARM, VerdictKind.EMERGENCY, VerdictKind.DOSING)


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: VerdictKind
    rule: str  # which rule fired, for logs and the corpus report


class GuardrailsError(Exception):
    """The rules file is invalid; the message names the file, the rule and what is wrong."""


# ---------------------------------------------------------------------------------------------- normalising

# A token: a number (possibly decimal, possibly glued to a unit: "2.5g") or a word (apostrophes inside kept
# for the spelling table: "od'd", then dropped: "i'm" -> "im").
_TOKEN = re.compile(r"\d+(?:\.\d+)?[a-z]*|[a-z0-9]+(?:'[a-z0-9]+)*")
_NUMBER_UNIT = re.compile(r"(\d+(?:\.\d+)?)([a-z]+)")
_SYMBOLS = (
    (re.compile(r"\bw/(?=\s|[a-z])"), " with "),
    (re.compile(r"\b1/2\b"), " half "),
    (re.compile(r"&"), " and "),
    (re.compile(r"\+"), " plus "),
    (re.compile(r"="), " equals "),
)


class Normaliser:
    """Turns a message into the readings the rules are matched against.

    Every reading is folded (`knowledge.text.fold`: NFKC, case, zero-width characters, look-alike letters),
    tokenised, with spellings mapped ("shud" -> "should", "amt" -> "amount"), near-misses of key words
    corrected ("dosege" -> "dosage", one edit away, same first letter), letters repeated three times or
    more squeezed, apostrophes dropped and numbers cut from their unit ("80kg" -> "80 kg"). The readings:
    the folded text; with spelled-out letters joined ("m u c h"); with leetspeak undone ("d0se"), kept
    apart so that real numbers survive in the others ("80kg", "2 or 3 teaspoons"); and, when the message
    holds Cyrillic letters, with those read by sound. The readings are joined one per line: a rule's
    pattern sees each on its own line and `.` never crosses from one to the next.
    """

    def __init__(
        self,
        spellings: Mapping[str, str],
        fuzzy_targets: Iterable[str],
        fuzzy_keep: Iterable[str],
        fuzzy_min_length: int,
        vocabulary: Iterable[str],
    ) -> None:
        self.spellings = dict(spellings)
        self.targets = tuple(sorted(set(fuzzy_targets)))
        self.fuzzy_min_length = fuzzy_min_length
        self.vocabulary = frozenset(vocabulary)
        self.known = frozenset(fuzzy_keep) | frozenset(self.targets) | frozenset(self.spellings)
        self._by_initial: dict[str, tuple[str, ...]] = {}
        for target in self.targets:
            self._by_initial[target[0]] = (*self._by_initial.get(target[0], ()), target)
        self._word = lru_cache(maxsize=8192)(self._word_uncached)

    def _split(self, run: str) -> str:
        return segment(run, self.vocabulary)

    def _correct(self, token: str) -> str:
        if len(token) < self.fuzzy_min_length or token in self.known or not token.isalpha():
            return token
        for target in self._by_initial.get(token[0], ()):
            if abs(len(target) - len(token)) <= 1 and OSA.distance(token, target, score_cutoff=1) <= 1:
                return target
        return token

    def _word_uncached(self, token: str) -> str:
        token = squeeze(token)
        mapped = self.spellings.get(token)
        if mapped is None and "'" in token:
            token = token.replace("'", "")
            mapped = self.spellings.get(token)
        if mapped is not None:
            return mapped
        number = _NUMBER_UNIT.fullmatch(token)
        if number:
            return f"{number.group(1)} {self._word(number.group(2))}"
        return self._correct(token)

    def canonical(self, folded: str) -> str:
        for pattern, replacement in _SYMBOLS:
            folded = pattern.sub(replacement, folded)
        return " ".join(self._word(token) for token in _TOKEN.findall(folded))

    def readings(self, text: str) -> str:
        folded = fold(text)
        spaced = despace(folded, self._split)
        forms = [folded, spaced, deleet(folded)]
        if spaced != folded:
            forms.append(deleet(spaced))
        if has_cyrillic(text):
            sounded = transliterate(text)
            forms += [sounded, despace(sounded, self._split)]
        seen: dict[str, None] = {}
        for form in dict.fromkeys(forms):
            seen.setdefault(self.canonical(form), None)
        return "\n".join(seen)


# ------------------------------------------------------------------------------------------------ the rules

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_NAME = re.compile(r"[a-z][a-z0-9_.]*")
_RULE_KEYS = {"name", "kind", "all", "any", "unless"}
_TOP_KEYS = {"spellings", "fuzzy", "vocabulary", "lists", "signals", "rules"}


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    kind: VerdictKind
    all: tuple[str, ...]
    any: tuple[str, ...]
    unless: tuple[str, ...]


class _Loader:
    """Reads and validates a rules file; every problem raises GuardrailsError naming file and rule."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> GuardrailsError:
        return GuardrailsError(f"{self.path}: {where}: {problem}")

    def read(self) -> dict[str, Any]:
        try:
            with self.path.open(encoding="utf-8") as file:
                data = yaml.safe_load(file)
        except OSError as error:
            raise GuardrailsError(f"{self.path}: cannot read the rules file: {error.strerror}") from None
        except yaml.YAMLError as error:
            raise GuardrailsError(f"{self.path}: not valid YAML: {error}") from None
        if not isinstance(data, dict):
            raise self.fail("top level", "expected a mapping with keys " + ", ".join(sorted(_TOP_KEYS)))
        unknown = set(data) - _TOP_KEYS
        if unknown:
            raise self.fail("top level", f"unknown key(s) {', '.join(sorted(map(str, unknown)))}")
        for key in ("signals", "rules"):
            if key not in data:
                raise self.fail("top level", f"missing key {key!r}")
        return data

    def strings(self, value: Any, where: str, *, allow_empty: bool = False) -> list[str]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
            raise self.fail(where, "expected a list of strings")
        items = [str(v) for v in value]
        if not items and not allow_empty:
            raise self.fail(where, "is empty")
        if any(not item.strip() for item in items):
            raise self.fail(where, "holds an empty string")
        return items

    def spellings(self, data: dict[str, Any]) -> dict[str, str]:
        table = data.get("spellings") or {}
        if not isinstance(table, dict):
            raise self.fail("spellings", "expected a mapping: word -> list of spellings read as that word")
        result: dict[str, str] = {}
        for word, variants in table.items():
            for variant in self.strings(variants, f"spellings {word!r}"):
                if variant in result and result[variant] != str(word):
                    raise self.fail(
                        f"spellings {word!r}", f"{variant!r} is already read as {result[variant]!r}"
                    )
                result[variant.casefold()] = str(word)
        return result

    def fuzzy(self, data: dict[str, Any]) -> tuple[list[str], list[str], int]:
        section = data.get("fuzzy") or {}
        if not isinstance(section, dict) or set(section) - {"targets", "keep", "min_length"}:
            raise self.fail("fuzzy", "expected a mapping with keys targets, keep, min_length")
        targets = self.strings(section.get("targets", []), "fuzzy targets", allow_empty=True)
        keep = self.strings(section.get("keep", []), "fuzzy keep", allow_empty=True)
        min_length = section.get("min_length", 5)
        if not isinstance(min_length, int) or min_length < 3:
            raise self.fail("fuzzy min_length", "expected a whole number, at least 3")
        return targets, keep, min_length

    def lists(self, data: dict[str, Any]) -> dict[str, str]:
        """Each list as one regex fragment, placeholders resolved (lists may use other lists)."""
        raw = data.get("lists") or {}
        if not isinstance(raw, dict):
            raise self.fail("lists", "expected a mapping: name -> list of alternatives (or one regex)")
        resolved: dict[str, str] = {}

        def resolve(name: str, chain: tuple[str, ...]) -> str:
            if name in resolved:
                return resolved[name]
            if name in chain:
                raise self.fail(f"list {chain[0]!r}", f"refers to itself through {' -> '.join(chain)}")
            if name not in raw:
                raise self.fail(f"list {chain[-1]!r}", f"unknown list {{{name}}}")
            value = raw[name]
            if isinstance(value, str):
                fragment = value
            else:
                items = self.strings(value, f"list {name!r}")
                fragment = "|".join(sorted(items, key=len, reverse=True))
            fragment = _PLACEHOLDER.sub(lambda m: resolve(m.group(1), (*chain, name)), fragment)
            fragment = f"(?:{fragment})"
            self.compile(fragment, f"list {name!r}")
            resolved[name] = fragment
            return fragment

        for name in raw:
            if not isinstance(name, str) or not _NAME.fullmatch(name):
                raise self.fail(f"list {name!r}", "names are lower-case letters, digits and _")
            resolve(name, ())
        return resolved

    def compile(self, pattern: str, where: str) -> re.Pattern[str]:
        try:
            return re.compile(pattern, re.MULTILINE)
        except re.error as error:
            raise self.fail(where, f"the regular expression does not compile: {error}") from None

    def signals(self, data: dict[str, Any], lists: dict[str, str]) -> dict[str, re.Pattern[str]]:
        raw = data["signals"]
        if not isinstance(raw, dict) or not raw:
            raise self.fail("signals", "expected a mapping: name -> regular expression")
        compiled: dict[str, re.Pattern[str]] = {}
        for name, pattern in raw.items():
            where = f"signal {name!r}"
            if not isinstance(name, str) or not _NAME.fullmatch(name):
                raise self.fail(where, "names are lower-case letters, digits, _ and .")
            if not isinstance(pattern, str) or not pattern.strip():
                raise self.fail(where, "expected a regular expression (a string)")

            def expand(match: re.Match[str], where: str = where) -> str:
                if match.group(1) not in lists:
                    raise self.fail(where, f"unknown list {{{match.group(1)}}}")
                return lists[match.group(1)]

            regex = self.compile(_PLACEHOLDER.sub(expand, pattern), where)
            if regex.search(""):
                raise self.fail(where, "matches the empty text, so it would match every message")
            compiled[name] = regex
        return compiled

    def rules(self, data: dict[str, Any], signals: Mapping[str, re.Pattern[str]]) -> list[Rule]:
        raw = data["rules"]
        if not isinstance(raw, list) or not raw:
            raise self.fail("rules", "expected a list of rules")
        rules: list[Rule] = []
        names: set[str] = set()
        for index, entry in enumerate(raw, 1):
            if not isinstance(entry, dict):
                raise self.fail(f"rule #{index}", "expected a mapping with name, kind, all/any, unless")
            name = entry.get("name")
            where = f"rule {name!r}" if isinstance(name, str) else f"rule #{index}"
            if not isinstance(name, str) or not _NAME.fullmatch(name):
                raise self.fail(where, "missing or invalid key 'name'")
            if name in names:
                raise self.fail(where, "duplicate rule name")
            names.add(name)
            unknown = set(entry) - _RULE_KEYS
            if unknown:
                raise self.fail(where, f"unknown key(s) {', '.join(sorted(map(str, unknown)))}")
            if "kind" not in entry:
                raise self.fail(where, "missing key 'kind'")
            try:
                kind = VerdictKind(entry["kind"])
            except ValueError:
                choices = ", ".join(k.value for k in VerdictKind)
                raise self.fail(where, f"kind {entry['kind']!r} is not one of {choices}") from None
            if "all" not in entry and "any" not in entry:
                raise self.fail(where, "needs 'all' (every signal must match) or 'any' (at least one)")
            parts = {
                key: tuple(self.strings(entry[key], f"{where} {key}")) if key in entry else ()
                for key in ("all", "any", "unless")
            }
            for key, refs in parts.items():
                for ref in refs:
                    if ref not in signals:
                        raise self.fail(where, f"{key}: unknown signal {ref!r}")
            rules.append(Rule(name, kind, parts["all"], parts["any"], parts["unless"]))
        used = {ref for rule in rules for refs in (rule.all, rule.any, rule.unless) for ref in refs}
        for name in signals:
            if name not in used:
                raise self.fail(f"signal {name!r}", "is not used by any rule (remove it or use it)")
        return sorted(rules, key=lambda rule: PRIORITY.index(rule.kind))


class Guardrails:
    def __init__(
        self, normaliser: Normaliser, signals: Mapping[str, re.Pattern[str]], rules: Iterable[Rule]
    ) -> None:
        self.normaliser = normaliser
        self.signals = dict(signals)
        self.rules = tuple(rules)

    @classmethod
    def load(cls, path: Path | str = DEFAULT_RULES) -> Guardrails:
        """Read, validate and compile the rules file; raises GuardrailsError naming what is wrong."""
        loader = _Loader(Path(path))
        data = loader.read()
        spellings = loader.spellings(data)
        targets, keep, min_length = loader.fuzzy(data)
        vocabulary = loader.strings(data.get("vocabulary", []), "vocabulary", allow_empty=True)
        lists = loader.lists(data)
        signals = loader.signals(data, lists)
        rules = loader.rules(data, signals)
        words = set(vocabulary) | set(targets) | set(spellings.values())
        words |= {w for value in spellings.values() for w in value.split()}
        normaliser = Normaliser(spellings, targets, keep, min_length, words)
        return cls(normaliser, signals, rules)

    def readings(self, text: str) -> str:
        """The normalised readings of `text`, one per line (what the rules see)."""
        return self.normaliser.readings(text)

    def check(self, text: str) -> Verdict | None:
        """The most urgent verdict for a message, or None when no rule fires."""
        if not isinstance(text, str) or not text.strip():
            return None
        return self._check_readings(self.readings(text))

    def explain(self, text: str) -> dict[str, bool]:
        """Which signals match `text` (for the command line and for tuning rules)."""
        readings = self.readings(text)
        return {name: bool(regex.search(readings)) for name, regex in self.signals.items()}

    def _check_readings(self, readings: str) -> Verdict | None:
        cache: dict[str, bool] = {}

        def hit(name: str) -> bool:
            found = cache.get(name)
            if found is None:
                found = cache[name] = self.signals[name].search(readings) is not None
            return found

        for rule in self.rules:
            if (
                all(map(hit, rule.all))
                and (not rule.any or any(map(hit, rule.any)))
                and not any(map(hit, rule.unless))
            ):
                return Verdict(rule.kind, rule.name)
        return None
