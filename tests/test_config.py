"""plan.toml (`planner.config`): unknown keys and wrong types are errors naming the key, and
the example configuration `planner plan --init` writes parses."""

from __future__ import annotations

import pytest

from exports.errors import PlannerError
from planner.config import parse_config


def test_config_unknown_key_names_it() -> None:
    parse_config("[calendar]\nmax_waves = 3\n")  # the passing twin
    with pytest.raises(PlannerError) as caught:
        parse_config("[calendar]\nmax_wave = 3\n")
    assert str(caught.value) == "plan.toml: calendar.max_wave: unknown key"
    with pytest.raises(PlannerError) as caught:
        parse_config("[capacity]\nserver = 8\n[colour]\nred = 1\n", "my.toml")
    assert str(caught.value) == "my.toml: colour: unknown key"


def test_config_wrong_type_names_the_key() -> None:
    parse_config("[rules]\nramp_up_waves = 3\n")
    with pytest.raises(PlannerError) as caught:
        parse_config('[rules]\nramp_up_waves = "three"\n')
    assert str(caught.value) == (
        "plan.toml: rules.ramp_up_waves: Input should be a valid integer, unable to parse "
        "string as an integer (got 'three')"
    )
    with pytest.raises(PlannerError) as caught:
        parse_config('[windows]\n"Nordby/server/S1" = { earliest = "soon" }\n')
    assert str(caught.value).startswith(
        "plan.toml: windows.Nordby/server/S1.earliest: Input should be a valid integer"
    )


def test_example_config_parses() -> None:
    from planner.config import EXAMPLE

    config = parse_config(EXAMPLE)
    assert config.calendar.max_waves == 40 and config.rules.critical_not_before == 3
