"""Small text helpers every layer of cnntool shares: shape text and "did you mean" hints.

They live at the foundation (below spec, arith, explain and check) so that each rule
is written once: a shape prints the same in a table, an error and an answer report.
"""

from __future__ import annotations

from collections.abc import Iterable


def shape_text(shape: Iterable[int], sep: str = "×") -> str:
    """(3, 32, 32) → '3×32×32'; `sep="x"` gives the typed form '3x32x32' (specs, answer files)."""
    return sep.join(str(d) for d in shape)


def closest(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The choice closest to `word` (case-insensitive), in its own spelling, or None."""
    import difflib  # only when a hint is needed: it costs a few ms of every start-up

    options = list(choices)
    close = difflib.get_close_matches(word.lower(), [c.lower() for c in options], n=1, cutoff=cutoff)
    if not close:
        return None
    return next(c for c in options if c.lower() == close[0])


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A hint naming the closest choice ("did you mean 'conv'?"), or "" when nothing is close."""
    best = closest(word, choices)
    return f"did you mean '{best}'?" if best else ""


def excerpt(text: str, limit: int = 40) -> str:
    """`text` quoted as in an error message, its first `limit` characters when longer (a 5,000-character
    word echoed back whole would bury the message), control characters escaped."""
    if len(text) <= limit:
        return f"'{printable(text)}'"
    return f"'{printable(text[:limit])}…' ({len(text):,} characters)"


def printable(text: object) -> str:
    """`text` with every control character shown as its escape (`\\x1b`, `\\n`): one line, and safe in
    a terminal, whatever a file name or a student's answer holds (an ESC could rewrite the screen)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
