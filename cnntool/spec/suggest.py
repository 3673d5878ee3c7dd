"""'Did you mean ...?' hints for misspelt layer and option names."""

from __future__ import annotations

import difflib


def did_you_mean(word: str, choices: list[str]) -> str:
    """A hint naming the closest choice, or "" when nothing is close."""
    close = difflib.get_close_matches(word.lower(), [c.lower() for c in choices], n=1, cutoff=0.6)
    if not close:
        return ""
    original = next(c for c in choices if c.lower() == close[0])
    return f"did you mean '{original}'?"
