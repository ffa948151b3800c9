"""`plan.csv`: the Items sheet as CSV, UTF-8 with a byte-order mark so Excel shows æøå/åäö.

Text that a spreadsheet would evaluate (`=`, `+`, `-`, `@`, tab, CR first) gets a leading
`'` (see `safe_text`); dates are ISO 8601; numbers use a decimal point.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from exports.model import ExportPlan
from exports.safe_text import csv_text
from exports.xlsx import ITEM_COLUMNS, item_rows


def write_csv(plan: ExportPlan, path: Path) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([name for name, _ in ITEM_COLUMNS])
        for row in item_rows(plan):
            writer.writerow(["" if v is None else v.isoformat() if isinstance(v, date) else csv_text(v)
                             for v in row])
    return path
