"""Resource-constrained project scheduling: minimise the makespan under renewable resources,
finish-to-start precedence, releases and deadlines.

Modules, lowest first: `problem` (the problem, the result, `check_schedule`), `bounds`
(static bounds and conflicts), `greedy` (priority rules, serial SGS), `model` (the CP-SAT
model and its tuning), `kernels` and `genetic` (the compiled genetic search), `psplib` (the
PSPLIB reader), `solve` (the hybrid: `solve()`).
"""
