"""The spec editor: a TextArea, one layer a line, that underlines the token a spec error points at.

The mark comes from the error itself (`SpecError.offset` and `length`, offsets into the
editor's text), so it always sits under the token the message names.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import TextArea

from cnntool.spec.parser import tokenize

ERROR_STYLE = Style(underline=True, color="red", bold=True)

Mark = tuple[int, int, int]  # (line, first column, end column), 0-based, end exclusive


def mark_of(text: str, offset: int, length: int) -> Mark | None:
    """The (line, start, end) to underline for an error at character `offset` of `text`, or None."""
    if offset < 0 or offset > len(text):
        return None
    line = text.count("\n", 0, offset)
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end < 0 else line_end
    start = offset - line_start
    end = max(start + 1, min(start + length, line_end - line_start))
    return line, start, end


def one_layer_a_line(text: str) -> str:
    """Spec text with every top-level '|' turned into a line break (brackets and comments kept).

    `3x32x32 | conv 8 k3 | relu` becomes three lines; a `res[ a | b ]` block stays on its line,
    since its '|' separate the block's own layers.
    """
    depth, cuts = 0, []
    for token in tokenize(text):
        if token.kind == "lb":
            depth += 1
        elif token.kind == "rb":
            depth = max(0, depth - 1)
        elif token.kind == "sep" and token.text == "|" and depth == 0:
            cuts.append(token.offset)
    out, start = [], 0
    for cut in cuts:
        out.append(text[start:cut].rstrip())
        start = cut + 1
    out.append(text[start:])
    return "\n".join(part.strip(" \t") for part in "\n".join(out).split("\n")).strip("\n")


class SpecEditor(TextArea):
    """A TextArea for spec text; `mark` (line, start, end) is drawn underlined in red."""

    DEFAULT_CSS = """
    SpecEditor {
        height: 1fr;
        min-height: 3;
        border: round $primary 50%;
        &:focus { border: round $primary; }
        &.-invalid { border: round $error; }
    }
    """

    mark: reactive[Mark | None] = reactive(None)

    def __init__(self, text: str = "", **kwargs) -> None:
        super().__init__(text, soft_wrap=False, show_line_numbers=False, tab_behavior="focus", **kwargs)

    def watch_mark(self, mark: Mark | None) -> None:
        self.set_class(mark is not None, "-invalid")
        self.notify_style_update()  # drops the cached lines, so the underline moves with the mark
        self.refresh()

    def get_line(self, line_index: int) -> Text:
        line = super().get_line(line_index)
        if self.mark is not None and self.mark[0] == line_index:
            _, start, end = self.mark
            line.stylize(ERROR_STYLE, start, max(end, start + 1))
            if start >= len(line.plain):  # an error at the end of the line: mark the place after it
                line.append(" ", ERROR_STYLE)
        return line
