"""`python -m guardrails`: validate the rules file, and show what the guardrails make of messages.

    python -m guardrails                      # validate guardrails/rules.yaml
    python -m guardrails --rules my.yaml      # validate another rules file
    python -m guardrails "how much should I take"  "is kratom safe"
    python -m guardrails --explain "h o w  m u c h for me"   # readings and matching signals too
    python -m guardrails - < messages.txt     # one message per line

Exit code 2 (and one line naming the file, the rule and the problem) when the rules file is invalid.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from guardrails.detect import DEFAULT_RULES, Guardrails, GuardrailsError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m guardrails", description=__doc__.split("\n\n")[0])
    parser.add_argument("messages", nargs="*", help="messages to check ('-' reads one per line from stdin)")
    parser.add_argument("--rules", default=str(DEFAULT_RULES), help="the rules file (default: %(default)s)")
    parser.add_argument("--explain", action="store_true", help="show the readings and the signals that match")
    args = parser.parse_args(argv)
    try:
        guardrails = Guardrails.load(args.rules)
    except GuardrailsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    messages = args.messages
    if messages == ["-"]:
        messages = [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not messages:
        print(f"OK: {len(guardrails.rules)} rules, {len(guardrails.signals)} signals in {args.rules}")
        return 0
    for message in messages:
        verdict = guardrails.check(message)
        label = f"{verdict.kind.value:9s} {verdict.rule}" if verdict else "-         (no rule: matcher)"
        print(f"{label}  <- {message!r}")
        if args.explain:
            for reading in guardrails.readings(message).splitlines():
                print(f"    reading: {reading}")
            matched = [name for name, hit in guardrails.explain(message).items() if hit]
            print(f"    signals: {', '.join(matched) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
