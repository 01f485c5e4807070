"""Checks that run on every message before the knowledge base is consulted, and the replies they produce."""

from guardrails.detect import Guardrails, GuardrailsError, Verdict, VerdictKind

__all__ = ["Guardrails", "GuardrailsError", "Verdict", "VerdictKind"]
