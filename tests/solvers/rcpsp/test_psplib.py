"""`solvers.rcpsp.psplib`: the PSPLIB `.sm` reader and its reference tables."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from solvers.rcpsp.psplib import (
    instance_key,
    parse_bound_table,
    parse_makespan_table,
    read_sm,
)
from tests.solvers.rcpsp.instances import solved

TINY_SM = """\
************************************************************************
file with basedata            : tiny.bas
initial value random generator: 1
************************************************************************
projects                      :  1
jobs (incl. supersource/sink ):  5
horizon                       :  12
RESOURCES
  - renewable                 :  2   R
  - nonrenewable              :  0   N
  - doubly constrained        :  0   D
************************************************************************
PROJECT INFORMATION:
pronr.  #jobs rel.date duedate tardcost  MPM-Time
    1      3      0        7        1        7
************************************************************************
PRECEDENCE RELATIONS:
jobnr.    #modes  #successors   successors
   1        1          2           2   3
   2        1          1           4
   3        1          1           5
   4        1          1           5
   5        1          0
************************************************************************
REQUESTS/DURATIONS:
jobnr. mode duration  R 1  R 2
------------------------------------------------------------------------
  1      1     0       0    0
  2      1     3       2    0
  3      1     4       2    1
  4      1     2       1    1
  5      1     0       0    0
************************************************************************
RESOURCEAVAILABILITIES:
  R 1  R 2
    3    2
************************************************************************
"""


def test_read_sm_tiny(tmp_path: Path):
    """Jobs 2 (3 long, 2 of R1) and 3 (4 long, 2 of R1) cannot overlap on R1 = 3.

    Job 4 (2 long) follows 2. Best: 2 at 0-3, 4 at 3-5 (1 of R1 next to 3), 3 at 3-7:
    R1 use 2 + 1 = 3, R2 use 1 + 1 = 2, so 7. The other order, 3 then 2 then 4, is 9.
    """
    path = tmp_path / "j301_1.sm"
    path.write_text(TINY_SM)
    problem = read_sm(path)
    assert problem.names == ("1", "2", "3", "4", "5")
    assert problem.durations == (0, 3, 4, 2, 0)
    assert problem.capacities == (3, 2)
    assert problem.demands[2] == (2, 1)
    assert set(problem.precedence) == {(0, 1), (0, 2), (1, 3), (2, 4), (3, 4)}
    assert instance_key(path) == (1, 1)
    result = solved(problem)
    assert (result.status, result.makespan) == ("optimal", 7)


def test_read_sm_rejects_broken_file(tmp_path: Path):
    path = tmp_path / "broken.sm"
    path.write_text(
        TINY_SM.replace(
            "   2        1          1           4", "   2        1          2           4"
        )
    )
    with pytest.raises(ValueError, match="job 2 lists 1 successors but says 2"):
        read_sm(path)
    path.write_text(TINY_SM.replace("    3    2\n", "    3\n"))
    with pytest.raises(ValueError, match="1 capacities for 2 renewable resources"):
        read_sm(path)


def test_tables_and_keys():
    opt = parse_makespan_table(
        textwrap.dedent("""\
        Average CPU-Time : 28.97
        Paramter Instance Makespan CPU-Time[sec.]
        ------------------------------------------
        1       1         43       0.30
        48      10        54       0.01
        """)
    )
    assert opt == {(1, 1): 43, (48, 10): 54}
    hrs = parse_makespan_table("Par\tInst\tMakespan\tDate\n1\t8\t75\t\tWed Aug 14 1996  Haase\n")
    assert hrs == {(1, 8): 75}
    lb = parse_bound_table(
        "Par  Inst    UB   LB\n  1   1    77    77    *    \n 13   2    90    86         Klein\n"
    )
    assert lb[1, 1].proven and lb[1, 1].lb == 77
    assert not lb[13, 2].proven and (lb[13, 2].ub, lb[13, 2].lb) == (90, 86)
    assert instance_key("j6048_10.sm") == (48, 10)
    assert instance_key("/x/j1201_3.sm") == (1, 3)
    with pytest.raises(ValueError, match="not a PSPLIB instance name"):
        instance_key("tiny.sm")
