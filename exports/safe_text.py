"""Spreadsheet formula injection: inventory text must never become a formula.

Names, owners and notes come from 30 municipalities' workbooks; a cell that reads
`=HYPERLINK("http://evil", "click")` or `@SUM(...)` must show as text. Two cases:

* **xlsx**: openpyxl turns any string starting with `=` into a formula (`<f>` in the XML)
  and `#N/A`-like strings into error cells. `text_cell` forces the cell back to a string
  (written as an inline string, `t="inlineStr"`) and sets the cell's quote prefix, the
  flag Excel and LibreOffice set when a user types `'=…`: the text stays exactly what the
  inventory said (so ids round-trip through `import-pins`) and stays text even when a user
  edits the cell.
* **csv**: a CSV cell has no type, so risky text gets a `'` before it (OWASP's advice);
  Excel hides nothing then, but evaluates nothing either. Not only at the start: the
  reader may split on another separator than the writer used — `;` is the list
  separator of Danish and Swedish Excel, and LibreOffice evaluated `=2*21` in a server
  named `Løn;=2*21;x` — so a risky character after any plausible separator (`,` `;` tab,
  line breaks, `|`, optionally followed by spaces) gets its `'` too: `Løn;'=2*21;x`.
"""

from __future__ import annotations

import re
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

#: First characters that spreadsheet programs read as the start of a formula.
RISKY_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def is_risky(text: str) -> bool:
    return text.startswith(RISKY_PREFIXES)


def clean(text: str) -> str:
    """Drop control characters the xlsx format cannot hold (openpyxl refuses them)."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def text_cell(cell: Cell, value: Any) -> Cell:
    """Put `value` in `cell`; strings always as strings, never a formula or error value."""
    if not isinstance(value, str):
        cell.value = value
        return cell
    text = clean(value)[:32767]  # Excel's limit per cell
    cell.value = text
    cell.data_type = "s"
    if is_risky(text) or text.startswith("#"):
        cell.quotePrefix = True
    return cell


#: A formula prefix at the start of the text or of any field a reader might split it into.
_FIELD_START_FORMULA = re.compile(r"(^|[,;\t\r\n|])([ \u00a0]*)(?=[=+\-@\t\r])")


def csv_text(value: Any) -> Any:
    """A CSV field that no spreadsheet evaluates, whichever separator it is opened with."""
    if isinstance(value, str):
        return _FIELD_START_FORMULA.sub(r"\1\2'", value)
    return value
