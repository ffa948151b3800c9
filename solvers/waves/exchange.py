"""Exchange of whole fragments between a few waves: the splits phase's move for a community
cut in pieces.

At national scale the applications of each municipality form one soft-connected community
of 120-180 move groups, and the application and server teams fill their waves to the hour.
A community that full waves cut in pieces splits 100-200 soft pairs, and the LNS
neighbourhoods (`solvers.waves.lns`) rarely mend it: its smaller side only joins the other
if as much work leaves that wave, and tasks drawn for room split pairs of their own. Here
every task of a few waves (the LNS passes a split pair's two and the one that holds most of
the rest of their community) is free, but as whole *fragments* (tasks soft-connected to
each other inside their wave) and single tasks without soft pairs: a fragment moved whole
splits no pair inside it, so what the sub-model chooses is which fragments go to which of
the waves, such that every wave keeps within capacity and every hard rule holds. With a
third wave, trades in a ring become possible: a piece joins its community, a fragment of
the same size makes room by moving on to the third wave, and a fragment from there fills
the gap; two full waves alone rarely hold a fragment of just the right size.

The model has one boolean per movable block and wave it may take, instead of one per task
and wave, so it is small: at national scale three waves hold a median 50 fragments and
1,400 single tasks (2,900 tasks in all), which CP-SAT solves in a median 0.06 deterministic
seconds (0.47 wall seconds with finding the blocks and building the model). Its objective
is the weight of the soft pairs between blocks that end in different waves; a pair with a
task outside the waves is split whatever the blocks do, and is left out. The same blocks
tied together in the LNS's task-level sub-model took 0.8 s each to build and presolve; the
two-wave model took about 0.08 s (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass
from typing import Protocol

from ortools.sat.python import cp_model

from solvers.waves.model import not_in
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
    """The waves' block model: the blocks (tasks that move together), per block its wave
    now and its choice (wave -> boolean; empty: it cannot leave its wave), the split weight
    of the soft pairs between blocks now (`before`), and the model with its objective set."""

    waves: tuple[int, ...]
    blocks: list[list[int]]
    choice: list[dict[int, cp_model.IntVar]]
    now: list[int]
    before: int
    model: cp_model.CpModel

    def moves(self, value: Callable[[cp_model.LinearExprT], int]) -> dict[int, int]:
        """The tasks whose wave the solution changes, with their new wave."""
        moved: dict[int, int] = {}
        for block, choice, now in zip(self.blocks, self.choice, self.now):
            target = next((w for w, var in choice.items() if value(var)), now)
            if target != now:
                moved.update((t, target) for t in block)
        return moved


def blocks_of(view: PlanView, waves: Sequence[int]) -> list[list[int]]:
    """The tasks of the waves as blocks: every fragment (soft-connected inside its wave)
    whole, every task without soft pairs alone, and alone too every task that can take no
    other of the waves (a payroll system's blackout, a fixed neighbour): it stays, and its
    fragment may move without it. A fragment holds only tasks that may take every wave its
    first task may. Tasks with a successor and no soft pair (networks, directories: their
    move would drag others along) are no block and stay where they are."""
    return _blocks(view, waves)[0]


def _blocks(view: PlanView, waves: Sequence[int]) -> tuple[list[list[int]], list[list[int]]]:
    """The blocks of `blocks_of`, and per block the waves it may take: its first task's,
    which every other task of a fragment may take too (so they are the block's)."""
    candidates = {t for w in waves for t in view.in_wave[w] if view.soft_of[t] or not view.succs[t]}
    known: dict[int, list[int]] = {}  # a task's waves, worked out once (it may be met often)

    def allowed_of_task(t: int) -> list[int]:
        if t not in known:
            known[t] = _allowed(view, t, candidates, waves)
        return known[t]

    blocks: list[list[int]] = []
    allowed_of: list[list[int]] = []
    seen: set[int] = set()
    for t in sorted(candidates):
        if t in seen:
            continue
        seen.add(t)
        allowed = allowed_of_task(t)
        block = [t]
        allowed_of.append(allowed)
        blocks.append(block)
        if not view.soft_of[t] or len(allowed) < 2:
            continue
        for x in block:
            for u, _ in view.soft_of[x]:
                if u in candidates and u not in seen and view.waves[u] == view.waves[t]:
                    if set(allowed) <= set(allowed_of_task(u)):
                        seen.add(u)
                        block.append(u)
    return blocks, allowed_of


def build_exchange(view: PlanView, waves: Sequence[int]) -> ExchangeModel | None:
    """The block model of the given waves; None when no block can move."""
    waves = tuple(sorted(set(waves)))
    blocks, allowed_of = _blocks(view, waves)
    block_of = {t: i for i, block in enumerate(blocks) for t in block}
    model = cp_model.CpModel()
    now = [view.waves[block[0]] for block in blocks]
    choice: list[dict[int, cp_model.IntVar]] = []
    for allowed, wave in zip(allowed_of, now):
        if len(allowed) < 2:
            choice.append({})
            continue
        here = {w: model.new_bool_var("") for w in allowed}
        model.add_exactly_one(here.values())
        for w, var in here.items():
            model.add_hint(var, w == wave)
        choice.append(here)
    if not any(choice):
        return None
    for a, b, lag in _block_arcs(view, blocks, block_of):
        model.add(_wave_of(choice[a], now[a]) + lag <= _wave_of(choice[b], now[b]))
    _capacity(view, model, blocks, choice, now, waves)
    terms, before = _split_terms(view, model, blocks, block_of, choice, now)
    model.minimize(sum(terms))
    return ExchangeModel(waves, blocks, choice, now, before, model)


def _wave_of(choice: dict[int, cp_model.IntVar], now: int) -> cp_model.LinearExprT:
    """A block's wave: its wave now if it has no choice."""
    if not choice:
        return now
    return sum(w * var for w, var in choice.items())


def _allowed(view: PlanView, t: int, inside: Container[int], waves: Sequence[int]) -> list[int]:
    """The waves of those given task t may take: its window, its blackouts, and its
    neighbours not `inside` (they stay where they are) with their lags."""
    lo, hi = window(view, t, inside)
    return [w for w in waves if lo <= w <= hi and w not in view.banned[t]]


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
    choice: list[dict[int, cp_model.IntVar]],
    now: list[int],
    waves: Sequence[int],
) -> None:
    """Each resource of every wave within capacity: the load of the tasks that stay, plus
    the blocks that end there."""
    k = len(view.load[waves[0]])
    demand = [[sum(view.p.demand[t][r] for t in block) for r in range(k)] for block in blocks]
    for wave in waves:
        free = [0] * k
        movers: list[tuple[list[int], cp_model.IntVar]] = []
        for i, here in enumerate(choice):
            if now[i] == wave and here:  # it may leave: its load is the model's
                free = [x + d for x, d in zip(free, demand[i])]
            if wave in here:
                movers.append((demand[i], here[wave]))
        for r in range(k):
            if not any(d[r] for d, _ in movers):
                continue
            room = view.p.capacity[wave - 1][r] - (view.load[wave][r] - free[r])
            model.add(sum(d[r] * var for d, var in movers if d[r]) <= room)


def _split_terms(
    view: PlanView,
    model: cp_model.CpModel,
    blocks: list[list[int]],
    block_of: dict[int, int],
    choice: list[dict[int, cp_model.IntVar]],
    now: list[int],
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
        if now[i] != now[j]:
            before += w
        terms.append(w * _apart(model, choice[i], now[i], choice[j], now[j]))
    return terms, before


def _apart(
    model: cp_model.CpModel,
    a: dict[int, cp_model.IntVar],
    wave_a: int,
    b: dict[int, cp_model.IntVar],
    wave_b: int,
) -> cp_model.LinearExprT:
    """1 if two blocks end in different waves, else 0 (a block without choice stays)."""
    if not a and not b:
        return int(wave_a != wave_b)
    if not a or not b:
        fixed, free = (wave_a, b) if not a else (wave_b, a)
        return not_in(free, fixed)
    together = []
    for w in sorted(a.keys() & b.keys()):
        same = model.new_bool_var("")
        model.add_implication(same, a[w])
        model.add_implication(same, b[w])
        together.append(same)
    return 1 - sum(together)
