"""Telling the formats apart (`inventories.detect`): every sample gets its format, and an
unknown or ambiguous file gets one sentence naming what was looked for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from exports.errors import PlannerError
from inventories.detect import detect_format, read_any
from tests.importer_files import (
    RV,
)


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("rvtools/SizingWorkshop-RVTools.xlsx", "rvtools"),
        ("rvtools/rvtools-small-complete.xlsx", "rvtools"),
        ("rvtools/csv-4x-fixture", "rvtools"),
        ("rvtools/csv-4x-fixture/RVTools_tabvInfo.csv", "rvtools"),
        ("aws-cmf/server-list.csv", "aws-cmf"),
        ("aws-cmf/test_valid.xlsx", "aws-cmf"),
    ],
)
def test_detection_picks_the_format_of_every_sample(
    samples: Path, sample: str, expected: str
) -> None:
    assert detect_format(samples / sample) == expected


def test_ipam_export_is_a_clear_unsupported_format_error(samples: Path) -> None:
    with pytest.raises(PlannerError) as caught:
        read_any(samples / "ipam" / "ipam.csv", municipality="Nordby")
    message = str(caught.value)
    assert message.startswith(f"{samples / 'ipam' / 'ipam.csv'}: unsupported format")
    assert (
        "looked for RVTools" in message
        and "found headers: IP Address, Name, MAC Address" in message
    )
    assert "--format" in message


def test_template_is_detected_and_read_without_municipality(book: Any) -> None:
    path = book.write()
    assert detect_format(path) == "template"
    assert read_any(path, municipality=None).municipality == "Østerå Kommune"


def test_foreign_formats_need_a_municipality(samples: Path) -> None:
    with pytest.raises(
        PlannerError,
        match=r"a rvtools file does not name its municipality; give it with --municipality",
    ):
        read_any(RV / "csv-4x-fixture", municipality=None)
    assert read_any(RV / "csv-4x-fixture", municipality="Nordby").municipality == "Nordby"


def test_unknown_format_name_and_explicit_format(samples: Path) -> None:
    with pytest.raises(PlannerError, match="unknown format 'vmware'"):
        read_any(RV / "csv-4x-fixture", municipality="Nordby", format="vmware")
    # --format wins over detection: the CMF CSV read as Azure Migrate lacks its columns
    with pytest.raises(
        PlannerError,
        match=r"server-list\.csv:1: not an Azure Migrate import file: "
        r"no \*Cores, \*Memory \(In MB\), \*OS name columns",
    ):
        read_any(
            samples / "aws-cmf" / "server-list.csv", municipality="Nordby", format="azure-migrate"
        )


def test_a_folder_without_rvtools_files_says_so(tmp_path: Path) -> None:
    with pytest.raises(PlannerError, match="holds no RVTools_tab\\*.csv files"):
        detect_format(tmp_path)
