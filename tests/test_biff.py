"""Formula cells of legacy .xls files (`inventories.biff`): the tokens of a parsed formula are
written out by hand here, as Excel stores them (reverse Polish: the last token is the outermost
operation); tests/test_spreadsheet.py reads whole .xls files written by LibreOffice."""

from __future__ import annotations

import struct

import pytest

from inventories.biff import OTHER, formula_cells, outermost

AREA = bytes([0x25]) + struct.pack("<HHHH", 3, 5, 0xC001, 0xC001)  # tArea B4:B6
REF = bytes([0x24]) + struct.pack("<HH", 3, 0xC001)  # tRef B4


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        (
            AREA + bytes([0x19, 0x10, 0, 0]),
            "SUM(…)",
        ),  # =SUM(B4:B6): one argument, the tAttr "sum" form
        (
            bytes([0x1E, 9, 0]) + AREA + bytes([0x42, 2]) + struct.pack("<H", 344),
            "SUBTOTAL(…)",
        ),  # tFuncVar 344
        (AREA + AREA + bytes([0x42, 2, 4, 0]), "SUM(…)"),  # =SUM(B4:B6,B4:B6): tFuncVar 4
        (REF + bytes([0x1E, 2, 0, 0x05]), OTHER),  # =B4*2: the last token is the multiplication
        (
            AREA + bytes([0x19, 0x10, 0, 0]) + bytes([0x1E, 1, 0, 0x03]),
            OTHER,
        ),  # =SUM(B4:B6)+1: an addition
        (
            bytes([0x17, 2, 0]) + b"I " + REF + bytes([0x08]),
            OTHER,
        ),  # ="I "&B4: a text, then a concatenation
        (
            bytes([0x18, 0x00]),
            OTHER,
        ),  # a token the scan does not know: an ordinary formula, never an error
        (AREA[:4], OTHER),  # cut short
    ],
)
def test_outermost_operation_of_a_formula(tokens: bytes, expected: str) -> None:
    assert outermost(tokens) == expected


def test_only_biff8_streams_are_scanned() -> None:
    bof_biff5 = struct.pack("<HHHH", 0x0809, 4, 0x0500, 0x0005)  # Excel 5/95: no formula scan
    assert formula_cells(bof_biff5 + struct.pack("<HH", 0x000A, 0)) == {}
    assert formula_cells(b"") == {}
