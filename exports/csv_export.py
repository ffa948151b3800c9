"""`plan.csv`: the Items sheet as CSV, UTF-8 with a byte-order mark so Excel shows æøå/åäö.

`runbook-wN.csv` likewise holds one wave's Runbook sheet.

Text that a spreadsheet would evaluate (`=`, `+`, `-`, `@`, tab, CR first) gets a leading
`'` (see `safe_text`); dates are ISO 8601; numbers use a decimal point.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

from exports.model import ExportPlan, ExportRunbook
from exports.safe_text import csv_text
from exports.xlsx import ITEM_COLUMNS, RUNBOOK_COLUMNS, item_rows, runbook_rows


def write_csv(plan: ExportPlan, path: Path) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([name for name, _ in ITEM_COLUMNS])
        for row in item_rows(plan):
            writer.writerow(
                [
                    "" if v is None else v.isoformat() if isinstance(v, date) else csv_text(v)
                    for v in row
                ]
            )
    return path


def write_runbook_csv(runbook: ExportRunbook, path: Path) -> Path:
    """`runbook-wN.csv`: a Runbook sheet's columns; times as `2027-03-06 08:00` (local, as
    planned)."""
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([name for name, _ in RUNBOOK_COLUMNS])
        for row in runbook_rows(runbook):
            writer.writerow(
                [
                    ""
                    if v is None
                    else v.isoformat(sep=" ", timespec="minutes")
                    if isinstance(v, datetime)
                    else csv_text(v)
                    for v in row
                ]
            )
    return path
