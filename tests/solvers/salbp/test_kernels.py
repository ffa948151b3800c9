"""`solvers.salbp.kernels`: the compiled station search must be exact, plans and refutations."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from solvers.salbp import kernels
from solvers.salbp.branch_and_bound import BBResult, _Direction, _kernel_arrays
from tests.solvers.salbp.instances import brute_force, check, preds_of, random_instances


def kernel_search(
    times: Sequence[int], cap: int, pairs: Sequence[tuple[int, int]], m: int
) -> tuple[list[int] | None, int]:
    """The compiled search alone, forwards, at m stations: (1-based stations or None, status)."""
    n = len(times)
    d = _Direction(times, cap, preds_of(n, pairs))
    arrays = _kernel_arrays(d)
    zob = np.random.default_rng(0).integers(1, 2**62, n, dtype=np.int64).astype(np.uint64)
    keys = np.zeros((1 << 10, (n + 63) // 64), np.uint64)
    vals = np.full(1 << 10, -1, np.int64)
    st, _, status = kernels.search(m, arrays[0], cap, *arrays[1:], zob, keys, vals, 10**6, 0, 5000)
    if status != 1:
        return None, status
    out = [0] * n
    for k, s in enumerate(st):
        out[d.perm[k]] = int(s)
    return out, status


def test_compiled_search_finds_the_optimum_and_nothing_below() -> None:
    # station_bb uses both the compiled search's plans and its refutations, so it must be
    # exact: at the optimum it finds a plan that passes the independent check, one station
    # below it finds none and says its search ended (status -1), never a plan.
    for times, cap, pairs in random_instances(5, 40, (2, 9), (5, 14), 0.25):
        opt = brute_force(times, cap, pairs)
        plan, status = kernel_search(times, cap, pairs, opt)
        assert status == 1 and plan is not None
        assert max(plan) <= opt
        check(times, cap, pairs, BBResult(tuple(plan), True, opt, opt, 0, 0.0))
        if opt > 1:
            plan, status = kernel_search(times, cap, pairs, opt - 1)
            assert plan is None and status == -1
