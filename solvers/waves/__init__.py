"""Migration-wave planning: move groups into waves under capacities, precedence, windows,
pins and blackouts, with lexicographic objectives (waves, splits, downtime, moved).

Modules, lowest first: `problem` (the problem, the results, `evaluate`, `violations`),
`bounds` (combinatorial bounds and windows), `model` (the CP-SAT model's constraint
families), `greedy` (list scheduling), `lns` (large-neighbourhood search), `explain` (why a
problem is infeasible), `solve` (the phase driver: `solve()`).
"""
