"""Two-wave exchange of whole fragments: the splits phase's move for a community cut in two.

At national scale the applications of each municipality form one soft-connected community
of 120-180 move groups, and the application and server teams fill their waves to the hour.
A community that a full wave cut roughly in half splits 100-200 soft pairs, and the LNS
neighbourhoods (`solvers.waves.lns`) rarely mend it: its smaller side only joins the other
if as much work leaves that wave, and tasks drawn for room split pairs of their own. Here
every task of two waves is free, but as whole *fragments* (tasks soft-connected to each
other inside their wave) and single tasks without soft pairs: a fragment moved whole splits
no pair inside it, so what the sub-model chooses is which fragments of the two waves
trade places, such that both waves keep within capacity and every hard rule holds.

The model has one boolean per movable block (1: the later of the two waves) instead of a
boolean per task and wave, so it is small (at national scale some 30 fragments and 600-700
single tasks, about 2,000 tasks in all) and CP-SAT solves it in hundredths of a second.
Its objective is the weight of the soft pairs between blocks that end in different waves;
a pair with a task outside the two waves is split whatever the blocks do, and is left out.
The same blocks tied together in the LNS's task-level sub-model took 0.8 s each to build
and presolve; this model takes about 0.08 s (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass
from typing import Protocol

from ortools.sat.python import cp_model

from solvers.waves.problem import WaveProblem


class PlanView(Protocol):
    """What the exchange reads of the LNS's incumbent (`solvers.waves.lns._Search`)."""

    p: WaveProblem
    horizon: int
    waves: list[int]
    in_wave: list[set[int]]
    load: list[list[int]]
    lo: Sequence[int]
    hi: Sequence[int]
    banned: Sequence[set[int]]
    preds: list[list[tuple[int, int]]]
    succs: list[list[tuple[int, int]]]
    soft_of: list[list[tuple[int, int]]]


@dataclass
class ExchangeModel:
    """The two waves' block model: the blocks (tasks that move together), per block its
    boolean (None: it cannot leave its wave) and its wave now, the split weight of the soft
    pairs between blocks now (`before`), and the model with its objective set."""

    early: int
    late: int
    blocks: list[list[int]]
    late_var: list[cp_model.IntVar | None]
    now_late: list[bool]
    before: int
    model: cp_model.CpModel

    def moves(self, value: Callable[[cp_model.LinearExprT], int]) -> dict[int, int]:
        """The tasks whose wave the solution changes, with their new wave."""
        moved: dict[int, int] = {}
        for block, var, late in zip(self.blocks, self.late_var, self.now_late):
            if var is not None and bool(value(var)) != late:
                target = self.late if not late else self.early
                moved.update((t, target) for t in block)
        return moved


def blocks_of(view: PlanView, early: int, late: int) -> list[list[int]]:
    """The tasks of the two waves as blocks: every fragment (soft-connected inside its wave)
    whole, every task without soft pairs alone, and alone too every task that cannot take
    the other wave (a payroll system's blackout, a fixed neighbour): it stays, and its
    fragment may move without it. Tasks with a successor and no soft pair (networks,
    directories: their move would drag others along) are no block and stay where they are."""
    candidates = {
        t for w in (early, late) for t in view.in_wave[w] if view.soft_of[t] or not view.succs[t]
    }
    blocks: list[list[int]] = []
    seen: set[int] = set()
    for t in sorted(candidates):
        if t in seen:
            continue
        seen.add(t)
        other = late if view.waves[t] == early else early
        if not view.soft_of[t] or not _can_take(view, [t], candidates, other):
            blocks.append([t])
            continue
        block = [t]
        for x in block:
            for u, _ in view.soft_of[x]:
                if u in candidates and u not in seen and view.waves[u] == view.waves[t]:
                    if _can_take(view, [u], candidates, other):
                        seen.add(u)
                        block.append(u)
        blocks.append(block)
    return blocks


def build_exchange(view: PlanView, early: int, late: int) -> ExchangeModel | None:
    """The block model of waves `early` < `late`; None when no block can move."""
    blocks = blocks_of(view, early, late)
    block_of = {t: i for i, block in enumerate(blocks) for t in block}
    model = cp_model.CpModel()
    now_late = [view.waves[block[0]] == late for block in blocks]
    late_var: list[cp_model.IntVar | None] = []
    for block, late_now in zip(blocks, now_late):
        allowed = _allowed(view, block, block_of, early, late)
        if len(allowed) < 2:
            late_var.append(None)
            continue
        var = model.new_bool_var("")
        model.add_hint(var, late_now)
        late_var.append(var)
    if not any(var is not None for var in late_var):
        return None
    gap = late - early
    for a, b, lag in _block_arcs(view, blocks, block_of):
        model.add(
            _wave_of(late_var[a], now_late[a], gap) + lag <= _wave_of(late_var[b], now_late[b], gap)
        )
    _capacity(view, model, blocks, late_var, now_late, early, late)
    terms, before = _split_terms(view, model, blocks, block_of, late_var, now_late)
    model.minimize(sum(terms))
    return ExchangeModel(early, late, blocks, late_var, now_late, before, model)


def _wave_of(var: cp_model.IntVar | None, late_now: bool, gap: int) -> cp_model.LinearExprT:
    """A block's wave relative to the early wave: 0 or `gap`."""
    if var is None:
        return gap if late_now else 0
    return gap * var


def _allowed(
    view: PlanView, block: list[int], inside: Container[int], early: int, late: int
) -> list[int]:
    """The waves of the two a block may take."""
    return [w for w in (early, late) if _can_take(view, block, inside, w)]


def _can_take(view: PlanView, block: list[int], inside: Container[int], wave: int) -> bool:
    """Whether every task of a block may take `wave`: its window, its blackouts, and its
    neighbours not `inside` (they stay where they are) with their lags."""
    for t in block:
        lo, hi = window(view, t, inside)
        if not lo <= wave <= hi or wave in view.banned[t]:
            return False
    return True


def window(view: PlanView, t: int, inside: Container[int]) -> tuple[int, int]:
    """Task t's first and last wave: its window, narrowed by its neighbours not `inside`
    (they stay where they are) with their lags."""
    lo, hi = view.lo[t], view.hi[t]
    for a, lag in view.preds[t]:
        if a not in inside:
            lo = max(lo, view.waves[a] + lag)
    for b, lag in view.succs[t]:
        if b not in inside:
            hi = min(hi, view.waves[b] - lag)
    return lo, hi


def _block_arcs(
    view: PlanView, blocks: list[list[int]], block_of: dict[int, int]
) -> list[tuple[int, int, int]]:
    """The hard rules between different blocks, as (block, block, largest lag)."""
    lags: dict[tuple[int, int], int] = {}
    for i, block in enumerate(blocks):
        for t in block:
            for b, lag in view.succs[t]:
                j = block_of.get(b)
                if j is not None and j != i:
                    lags[(i, j)] = max(lags.get((i, j), 0), lag)
    return [(i, j, lag) for (i, j), lag in sorted(lags.items())]


def _capacity(
    view: PlanView,
    model: cp_model.CpModel,
    blocks: list[list[int]],
    late_var: list[cp_model.IntVar | None],
    now_late: list[bool],
    early: int,
    late: int,
) -> None:
    """Each resource of both waves within capacity: the load of the tasks outside the
    blocks, plus the blocks that end there."""
    k = len(view.load[early])
    for wave, is_late in ((early, False), (late, True)):
        free = [0] * k
        movers: list[tuple[list[int], cp_model.LinearExprT]] = []
        for block, var, late_now in zip(blocks, late_var, now_late):
            if var is None:  # stays: its load is the incumbent's
                continue
            demand = [sum(view.p.demand[t][r] for t in block) for r in range(k)]
            if late_now == is_late:
                free = [x + d for x, d in zip(free, demand)]
            movers.append((demand, var if is_late else 1 - var))
        for r in range(k):
            if not any(demand[r] for demand, _ in movers):
                continue
            room = view.p.capacity[wave - 1][r] - (view.load[wave][r] - free[r])
            model.add(sum(demand[r] * here for demand, here in movers if demand[r]) <= room)


def _split_terms(
    view: PlanView,
    model: cp_model.CpModel,
    blocks: list[list[int]],
    block_of: dict[int, int],
    late_var: list[cp_model.IntVar | None],
    now_late: list[bool],
) -> tuple[list[cp_model.LinearExprT], int]:
    """Per pair of blocks with soft pairs between them, their weight if the two end apart;
    and that weight split now."""
    weight: dict[tuple[int, int], int] = {}
    for i, block in enumerate(blocks):
        for t in block:
            for u, w in view.soft_of[t]:
                j = block_of.get(u)
                if j is not None and j > i:
                    weight[(i, j)] = weight.get((i, j), 0) + w
    terms: list[cp_model.LinearExprT] = []
    before = 0
    for (i, j), w in sorted(weight.items()):
        if now_late[i] != now_late[j]:
            before += w
        a, b = late_var[i], late_var[j]
        if a is None and b is None:
            terms.append(w if now_late[i] != now_late[j] else 0)
        elif a is None and b is not None:
            terms.append(w * (1 - b) if now_late[i] else w * b)
        elif b is None and a is not None:
            terms.append(w * (1 - a) if now_late[j] else w * a)
        elif a is not None and b is not None:
            apart = model.new_bool_var("")
            model.add(apart >= a - b)
            model.add(apart >= b - a)
            terms.append(w * apart)
    return terms, before
