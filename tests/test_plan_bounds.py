"""Issue 23: a verified greedy plan before any search, split bounds users can trust, and exact
decomposition — checked through `make_plan` on real databases and by the independent verifier.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.engine import Engine

from inventories.demo_data import write_demo_data
from planner.config import parse_config
from planner.importing import import_files
from planner.planning import make_plan, plan_waves
from planner.verify import verify_plan
from solvers.limits import StopRequest
from solvers.waves.problem import ProgressEvent

CONFIG = """[calendar]
start = 2027-01-09
wave_length_days = 14
max_waves = 40
[capacity]
network = 60
directory = 60
server = 400
application = 900
workplace = 1000
[solver]
seed = 1
workers = 1
"""


def test_a_search_stopped_at_the_greedy_plan_stores_that_plan_verified(
    engine: Engine, tmp_path: Path
) -> None:
    # One generated municipality; the search is stopped the moment the greedy plan is announced
    # (the first progress event), before any CP-SAT search: the stored plan is the greedy plan,
    # item for item, and the independent verifier accepts it.
    import_files(engine, write_demo_data(tmp_path / "demo", 1, 1))
    stop = StopRequest()
    events: list[ProgressEvent] = []

    def progress(event: ProgressEvent) -> None:
        events.append(event)
        if event.phase == "greedy":
            stop.request()

    config = parse_config(CONFIG)
    outcome = make_plan(
        engine, config, CONFIG, time_limit=60, workers=1, seed=1, progress=progress, stop=stop
    )
    result = outcome.result
    assert events[0].phase == "greedy" and result.greedy is not None
    assert events[0].objective == result.greedy.objective["waves"]
    assert result.waves == result.greedy.waves
    assert any(note.startswith("stopped by the user") for note in result.notes)
    assert verify_plan(engine, outcome.plan) == []
    assert plan_waves(engine, outcome.plan.id or 0) == outcome.item_waves
    groups = outcome.planning.groups
    by_group = {g: result.greedy.waves[i] for i, g in enumerate(groups)}
    assert all(
        by_group[outcome.graph.group_of[node]] == wave for node, wave in outcome.item_waves.items()
    )
    assert json.loads(outcome.plan.greedy_json)["objective"]["waves"] == max(result.waves)


def test_the_splits_bound_and_its_parts_are_stored(engine: Engine, tmp_path: Path) -> None:
    # One generated municipality with tight teams (the big-instance path): whatever bound the
    # parts prove is stored with the plan, never above its splits; the stored phase bound is the
    # stored parts' bounds added up, or the full splits model's bound where it proved more (its
    # note says so).
    import_files(engine, write_demo_data(tmp_path / "demo", 1, 1))
    config = parse_config(CONFIG)
    outcome = make_plan(engine, config, CONFIG, time_limit=20, workers=1, seed=1)
    assert verify_plan(engine, outcome.plan) == []
    phases = {p["name"]: p for p in json.loads(outcome.plan.phases_json)}
    splits = phases["splits"]
    parts = sum(part["bound"] for part in splits["parts"])
    full = [
        float(note.rsplit("bound ", 1)[1])
        for note in outcome.result.notes
        if note.startswith("splits: full model")
    ]
    assert splits["parts"] and splits["bound"] == max([parts, *full])
    assert 0 <= splits["bound"] <= splits["objective"]
    assert json.loads(outcome.plan.bound_json)["splits"] == splits["bound"]
