"""Mapping files (`inventories.mapping`): every mistake in one is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from exports.errors import ImportFailed, PlannerError
from inventories.mapping import load_mapping
from tests.importer_files import (
    write_text,
)


def test_mapping_file_errors_are_clear(tmp_path: Path) -> None:
    good = load_mapping(
        write_text(
            tmp_path / "good.toml",
            '[columns]\nAppOwner = "owner"\nSystemejer = "application.owner"\n',
        )
    )
    assert good == {"AppOwner": "owner", "Systemejer": "application.owner"}
    with pytest.raises(ImportFailed) as caught:
        load_mapping(
            write_text(
                tmp_path / "bad.toml", '[columns]\nAppOwner = "ownr"\nX = "robot.owner"\nY = 3\n'
            )
        )
    bad = str(tmp_path / "bad.toml")
    assert caught.value.problems[0].startswith(
        f"{bad}: [columns] AppOwner = 'ownr': unknown field 'ownr'; use one of "
    )
    assert caught.value.problems[1].startswith(
        f"{bad}: [columns] X = 'robot.owner': unknown kind 'robot'"
    )
    assert (
        caught.value.problems[2]
        == f"{bad}: [columns] Y: the field must be a string such as \"owner\", got '3'"
    )
    with pytest.raises(
        PlannerError, match="unknown table or key colums; only \\[columns\\], \\[format\\] and "
    ):
        load_mapping(write_text(tmp_path / "typo.toml", "[colums]\n"))
    with pytest.raises(PlannerError, match="no \\[columns\\] table and no \\[\\[sheets\\]\\]"):
        load_mapping(write_text(tmp_path / "empty.toml", "# nothing yet\n"))
    with pytest.raises(PlannerError, match="not valid TOML"):
        load_mapping(write_text(tmp_path / "broken.toml", "[columns\n"))
