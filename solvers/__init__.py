"""Solvers: plain problems in, honest results out; no database, no graph library.

- `solvers.waves`: migration waves (the planner's optimiser).
- `solvers.rcpsp`: resource-constrained project scheduling (cutover runbooks, PSPLIB).
- `solvers.salbp`: the exact station branch and bound for pure SALBP-1 (the waves phase
  hands it pure assembly-line instances).
- `solvers.cpsat`: the one way to run CP-SAT; `solvers.limits`: the time budget and the
  user's stop request every solve takes; `solvers.arrays`: integer forms the searches and
  their compiled kernels share.

Imports point one way: a package's `solve` module imports its other modules, those import
its `problem` module, and everything may import `cpsat`, `limits` and `arrays`, which
import nothing of ours but each other (`cpsat` imports `limits`).
"""
