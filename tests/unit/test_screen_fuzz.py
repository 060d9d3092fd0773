"""Fuzzing the screen model with random and hostile byte streams (issue 12).

Whatever the bytes, feeding them never raises, keeps the model inside its
screen and caps, does not depend on where the stream was cut, and the
repaint of the result shows the same screen.  The default run is short;
``SESSMUX_FUZZ=long`` (or a number of examples) runs it for longer.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessmux.core.render import render, row_cells
from sessmux.core.screen import MAX_MARKS, ScreenModel

_RUN = os.environ.get("SESSMUX_FUZZ", "")
EXAMPLES = 3000 if _RUN == "long" else int(_RUN) if _RUN.isdigit() else 40
fuzz = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

number = st.one_of(st.integers(0, 30), st.integers(0, 10**12), st.just(999999999)).map(str)
digits = st.one_of(number, st.integers(1, 9000).map(lambda n: "9" * n), st.just(""))
params = st.lists(st.one_of(digits, st.lists(digits, min_size=2, max_size=6).map(":".join)),
                  max_size=40).map(";".join)
csi = st.tuples(st.sampled_from(["", "?", ">", "<", "="]), params,
                st.sampled_from(["", "", "", " ", "!", "$", "'"]),
                st.sampled_from(list("@ABCDEFGHIJKLMPSTXZ`abcdefghlmnqrstu"))).map(
    lambda t: f"\x1b[{t[0]}{t[1]}{t[2]}{t[3]}")
esc = st.sampled_from(["\x1bE", "\x1bD", "\x1bM", "\x1b7", "\x1b8", "\x1b=", "\x1b>", "\x1bc",
                       "\x1b#8", "\x1b(0", "\x1b(B", "\x1b)0", "\x0e", "\x0f", "\x1b", "\x1b["])
strings = st.tuples(st.sampled_from(["\x1b]2;", "\x1b]0;", "\x1bP", "\x1b_", "\x1b^", "\x9d"]),
                    st.integers(0, 20000),
                    st.sampled_from(["\x07", "\x1b\\", "\x18", "", "\x1b[m"])).map(
    lambda t: t[0] + "x" * t[1] + t[2])
marks = st.tuples(st.sampled_from(["a", "e", "中", ""]), st.integers(0, 3000),
                  st.sampled_from(["\u0301", "\u0353", "\u200d", "\ufe0f"])).map(
    lambda t: t[0] + t[2] * t[1])
text = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
controls = st.sampled_from(["\r", "\n", "\b", "\t", "\x0b", "\x0c", "\x07", "\x00", "\x7f"])
piece = st.one_of(csi, csi, esc, strings, marks, text, text, controls)
structured = st.lists(piece, max_size=40).map(lambda ps: "".join(ps).encode("utf-8", "replace"))
stream = st.one_of(structured, structured, st.binary(max_size=3000))
sizes = st.tuples(st.integers(1, 12), st.integers(1, 40))


def snapshot(m: ScreenModel) -> dict[str, Any]:
    s = m.screen
    return {
        "cells": [row_cells(s.buffer[y], s.columns, True) for y in range(s.lines)],
        "cursor": (s.cursor.x, s.cursor.y, s.cursor.hidden),
        "margins": s.margins, "mode": set(s.mode), "alt": s.alt_mode,
        "keypad": s.application_keypad,
    }


def check_bounds(m: ScreenModel) -> None:
    s = m.screen
    assert 0 <= s.cursor.y < s.lines and 0 <= s.cursor.x <= s.columns
    for y, row in s.buffer.items():
        assert 0 <= y < s.lines
        for x, cell in row.items():
            assert 0 <= x < s.columns
            assert len(cell.data) <= 1 + MAX_MARKS
    assert len(s.title) <= 4096


@fuzz
@given(stream, sizes, st.lists(st.integers(1, 5000), min_size=1, max_size=8))
def test_any_stream_cut_anywhere(data: bytes, size: tuple[int, int], cuts: list[int]) -> None:
    whole = ScreenModel(*size)
    whole.feed(data)
    check_bounds(whole)
    pieces = ScreenModel(*size)
    at, i = 0, 0
    while at < len(data):
        step = cuts[i % len(cuts)]
        pieces.feed(data[at:at + step])
        at, i = at + step, i + 1
    assert snapshot(pieces) == snapshot(whole)


@fuzz
@given(stream, sizes)
def test_any_stream_repaints_the_same(data: bytes, size: tuple[int, int]) -> None:
    first = ScreenModel(*size)
    first.feed(data)
    second = ScreenModel(*size)
    second.feed(render(first.screen))
    a, b = snapshot(first), snapshot(second)
    assert b["cells"] == a["cells"]
    assert b["cursor"] == a["cursor"]
    assert b["keypad"] == a["keypad"] and b["alt"] == a["alt"]
