"""Plan, then verify: what `planner plan`, `planner replan` and `planner demo` all do.

The independent verifier re-checks every new plan against the inventory it was made from
(not today's, which a colleague may have changed while the search ran). The callers only
present the outcome: the CLI prints each violation, the demo stops at the first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from planner.config import PlanConfig
from planner.planning import PlanOutcome, make_plan
from planner.progress_replan import ProgressBasis
from planner.stored import open_plan
from planner.verify import Violation, verify_plan
from solvers.limits import StopRequest
from solvers.waves.problem import ProgressEvent


@dataclass(frozen=True)
class VerifiedPlan:
    """A stored plan and what the independent verifier found wrong with it (usually nothing)."""

    outcome: PlanOutcome
    violations: list[Violation]
    basis: ProgressBasis | None = None  # a re-plan from progress: its warnings and move count


def plan_and_verify(
    engine: Engine,
    config: PlanConfig,
    config_text: str = "",
    *,
    time_limit: float | None = None,
    workers: int | None = None,
    seed: int | None = None,
    progress: Callable[[ProgressEvent], None] | None = None,
    stop: StopRequest | None = None,
    replan: bool = False,
    parent_id: int | None = None,
    freeze_through: int = 0,
    from_progress: bool = False,
) -> VerifiedPlan:
    """Make and store a plan (with `replan`, a revision of plan `parent_id`, default the
    newest; with `from_progress` too, from the progress recorded on it), then verify it;
    `make_plan` says what each option does."""
    parent = open_plan(engine, parent_id).plan if replan else None
    basis = (
        ProgressBasis.load(engine, parent, freeze_through)
        if from_progress and parent is not None
        else None
    )
    outcome = make_plan(
        engine,
        config,
        config_text,
        time_limit=time_limit,
        workers=workers,
        seed=seed,
        progress=progress,
        parent=parent,
        freeze_through=freeze_through,
        stop=stop,
        basis=basis,
    )
    return VerifiedPlan(outcome, verify_plan(engine, outcome.plan, outcome.graph.snapshot), basis)
