"""Simple assembly line balancing (SALBP-1): the exact station-oriented branch and bound
(`branch_and_bound.station_bb`) and its compiled search (`kernels`)."""
