"""Plain integer forms of graphs and task sets, shared by the searches and their compiled kernels.

The numba kernels (`solvers.rcpsp.kernels`, `solvers.salbp.kernels`) take adjacency lists
in compressed sparse row form; the Python searches keep task sets as bitmask integers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["bits", "csr"]


def csr(lists: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Adjacency lists as (ptr, idx): the items of row t are idx[ptr[t]:ptr[t + 1]]."""
    ptr = np.zeros(len(lists) + 1, np.int64)
    for t, items in enumerate(lists):
        ptr[t + 1] = ptr[t] + len(items)
    idx = np.asarray([x for items in lists for x in items], np.int64)
    return ptr, idx


def bits(mask: int) -> list[int]:
    """Indices of the set bits of `mask`, lowest first."""
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out
