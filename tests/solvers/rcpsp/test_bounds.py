"""`solvers.rcpsp.bounds`: the static lower bounds and the conflicts they prove before CP-SAT."""

from __future__ import annotations

import math

from solvers.rcpsp.bounds import lower_bound
from tests.solvers.rcpsp.instances import make, solved


def test_lower_bound_is_critical_path_or_energy(chain_and_branch, three_on_one_machine):
    assert lower_bound(chain_and_branch) == 12  # critical path
    assert lower_bound(three_on_one_machine) == 9  # energy 9 / capacity 1


def test_clique_bound_proves_without_cp_sat(pairwise_exclusive):
    assert lower_bound(pairwise_exclusive) == 10  # the public bound: critical path, energy
    result = solved(pairwise_exclusive)
    assert (result.status, result.makespan, result.bound) == ("optimal", 15, 15)
    assert "greedy" in result.message


def test_head_counts_what_the_predecessors_need():
    """a(1) -> b(3), c(3) -> d(1) on capacity 1: a, b and c cannot overlap, so d starts at 7.

    The longest chain only says d starts at 4; the resource its predecessors need says
    1 + 3 + 3 = 7, so a deadline of 6 on d is infeasible before CP-SAT starts, and with
    a deadline of 8 the optimum is 8.
    """
    problem = make(
        [1, 3, 3, 1],
        capacities=(1,),
        precedence=[(0, 1), (0, 2), (1, 3), (2, 3)],
        deadline=(None, None, None, 6),
    )
    result = solved(problem)
    assert result.status == "infeasible"
    assert "'d'" in result.message and "predecessors need" in result.message
    relaxed = make(
        [1, 3, 3, 1],
        capacities=(1,),
        precedence=[(0, 1), (0, 2), (1, 3), (2, 3)],
        deadline=(None, None, None, 8),
    )
    result = solved(relaxed)
    assert (result.status, result.makespan, result.bound) == ("optimal", 8, 8)


def test_deadline_infeasible_by_precedence_is_quick():
    """a(3) -> b(3) but b must end by 5: it cannot end before 6, found without CP-SAT."""
    problem = make([3, 3], capacities=(1,), precedence=[(0, 1)], deadline=(None, 5))
    result = solved(problem)
    assert result.status == "infeasible"
    assert result.starts == ()
    assert result.makespan == math.inf
    assert "'b'" in result.message
    assert result.runtime < 1.0
