"""Errors that carry a message fit to show a user.

Every module raises one of these for bad input; only the CLI turns them into
an exit code (2) and a message on stderr, so library users can catch them.
"""

from __future__ import annotations


class CnnToolError(Exception):
    """Bad input that the user can fix; `str()` is the whole message."""


class SpecError(CnnToolError, ValueError):
    """A spec text that does not parse: names the token and points at it.

    `source` is the whole text, `offset` the 0-based character offset of the
    bad token, `length` its length, `hint` a suggested fix (or "").
    """

    def __init__(
        self, message: str, source: str = "", offset: int = -1, length: int = 1, hint: str = ""
    ) -> None:
        self.message = message
        self.source = source
        self.offset = offset
        self.length = max(1, length)
        self.hint = hint
        super().__init__(self.render())

    @property
    def line_and_column(self) -> tuple[int, int]:
        """1-based line and column of the bad token."""
        before = self.source[: self.offset]
        line = before.count("\n") + 1
        column = self.offset - (before.rfind("\n") + 1) + 1
        return line, column

    def summary(self) -> str:
        """The message on one line, with where it is ("at column 15") but without the caret picture."""
        if self.offset < 0 or not self.source:
            return self.message
        line, column = self.line_and_column
        where = f"column {column}" if "\n" not in self.source else f"line {line}, column {column}"
        return f"{self.message} (at {where})"

    def render(self) -> str:
        """The message, the offending line and a caret under the token."""
        if self.offset < 0 or not self.source:
            text = self.message
        else:
            line, column = self.line_and_column
            where = f"column {column}" if "\n" not in self.source else f"line {line}, column {column}"
            text_line = self.source.split("\n")[line - 1].rstrip("\r") if self.source.strip() else ""
            text_line, column = _window(text_line, column)
            caret = " " * (column - 1) + "^" * min(self.length, max(1, len(text_line) - column + 1))
            text = f"{self.message} (at {where})\n  {text_line}\n  {caret}"
        if self.hint:
            text += f"\n{self.hint}"
        return text


def _window(line: str, column: int, width: int = 100) -> tuple[str, int]:
    """At most `width` characters of a long line around `column` (… marks the cuts); the new column."""
    if len(line) <= width:
        return line, column
    start = max(0, min(column - 1 - width // 4, len(line) - width))
    cut = line[start : start + width]
    prefix = "…" if start else ""
    suffix = "…" if start + width < len(line) else ""
    return prefix + cut + suffix, column - start + len(prefix)


class ShapeError(SpecError):
    """A layer that cannot run on the shape it receives (kernel too large, ...): points at the layer."""


class InputError(CnnToolError, ValueError):
    """A bad value given to a library function (a dtype, an empty batch, NaN input): also a ValueError,
    so Python callers can catch it as one, and the CLI shows it as one line like every CnnToolError."""


class OutputExistsError(CnnToolError):
    """A file the user asked to write exists already; `path` names it (the caller says how to allow it)."""

    def __init__(self, path: object, what: str = "output", why: str = "already exists") -> None:
        self.path = path
        super().__init__(f"{what}: {path} {why} (nothing was written)")
