"""sessview's drawing without a terminal: a synthetic screen into urwid's canvas.

The screen model is fed bytes a program would write (colours of every
depth, attributes, wide characters, a cursor); the widget's canvas is read
back cell by cell through ``canvas.content()``.
"""

from __future__ import annotations

import doctest
from typing import Any

import pytest
import urwid

from sessmux.core.screen import ScreenModel
from sessmux.sessview import colours, info, keys, tiles, widget
from sessmux.sessview.widget import ScreenView, draw

urwid.set_encoding("utf8")


def model(data: bytes, rows: int = 4, cols: int = 20) -> ScreenModel:
    m = ScreenModel(rows=rows, cols=cols)
    m.feed(data)
    return m


def cells(canvas: Any) -> list[list[tuple[Any, str]]]:
    """Each row as (attribute, text) runs."""
    return [[(attr, text.decode("utf-8")) for attr, _, text in row] for row in canvas.content()]


def attr_of(canvas: Any, row: int, text: str) -> Any:
    for attr, run in cells(canvas)[row]:
        if text in run:
            return attr
    raise AssertionError(f"{text!r} not in row {row}: {cells(canvas)[row]}")


def text_rows(canvas: Any) -> list[str]:
    return [line.decode("utf-8") for line in canvas.text]


SAMPLE = (b"\x1b[31mred\x1b[m \x1b[1;38;5;208morange\x1b[m \x1b[38;2;10;20;30;48;5;21mtrue"
          b"\x1b[m \x1b[7mrev\x1b[m\r\n\x1b[92mbright\x1b[m")


@pytest.mark.parametrize("depth", [256, 2**24, 16, 1])
def test_colours_at_every_depth(depth: int) -> None:
    canvas = draw(model(SAMPLE, cols=30).screen, 30, 4, depth)
    red, orange, true = (attr_of(canvas, 0, t) for t in ("red", "orange", "true"))
    rev, bright = attr_of(canvas, 0, "rev"), attr_of(canvas, 1, "bright")
    assert orange.bold and rev.standout and not red.bold
    if depth == 1:
        assert {a.foreground.split(",")[0] for a in (red, orange, true, bright)} == {"default"}
        return
    assert red.foreground == "dark red" and bright.foreground == "light green"
    if depth == 16:
        assert orange.foreground_number < 16 and true.foreground_number < 16
        assert true.background == "dark blue"  # palette 21 (#0000ff), the nearest named
    elif depth == 256:
        assert orange.foreground_number == 208
        assert true.background_number == 21
        assert true.foreground_number == colours.nearest_256(0x0A141E)
    else:
        assert true.foreground == "#0a141e" and true.colors == 2**24


def test_dim_shows_faint_and_hidden_text_shows_blank() -> None:
    data = (b"\x1b[2mdimmed\x1b[m \x1b[8msecret\x1b[m \x1b[4:3mcurly\x1b[m "
            b"\x1b[8m\xe4\xb8\xad\x1b[m!")  # a concealed wide character too
    canvas = draw(model(data, cols=40).screen, 40, 2, 256)
    (row, _) = text_rows(canvas)
    assert row.startswith("dimmed " + " " * 6 + " curly " + "  " + "!")
    assert "secret" not in row
    assert attr_of(canvas, 0, "dimmed").faint
    assert not attr_of(canvas, 0, "curly").faint and attr_of(canvas, 0, "curly").underline


def test_wide_characters_take_two_columns_and_are_never_cut_in_half() -> None:
    m = model("ab中文cd\r\n中".encode(), rows=2, cols=10)
    canvas = draw(m.screen, 10, 2, 256)
    assert text_rows(canvas)[0] == "ab中文cd  "
    assert canvas.cols() == 10 and all(urwid.calc_width(r, 0, len(r)) == 10
                                       for r in text_rows(canvas))
    # Five columns end in the middle of 文: its half is a blank, not half a glyph.
    m.feed(b"\x1b[H")
    narrow = draw(m.screen, 5, 3, 256)
    assert text_rows(narrow)[0].startswith("ab中 ")
    assert all(urwid.calc_width(r, 0, len(r)) == 5 for r in text_rows(narrow))


def test_a_screen_larger_than_the_widget_is_clipped_with_an_indicator() -> None:
    m = model(b"top line\r\n" + b"\r\n".join(b"line %d" % i for i in range(1, 10)),
              rows=10, cols=40)
    canvas = draw(m.screen, 30, 5, 256)
    rows = text_rows(canvas)
    assert len(rows) == 5 and all(len(r) == 30 for r in rows)
    assert rows[-1].endswith(" 40x10 clipped ")
    assert "line 9" in rows[-1]  # follows the cursor down to the last line
    assert "top line" not in "".join(rows)
    label = attr_of(canvas, 4, "clipped")
    assert label.standout and label.bold
    # Nothing to clip: no indicator.
    assert "clipped" not in "".join(text_rows(draw(m.screen, 40, 10, 256)))
    # A widget larger than the screen is padded with blanks.
    big = text_rows(draw(m.screen, 50, 12, 256))
    assert big[0] == "top line".ljust(50) and big[11] == " " * 50


def test_cursor_is_the_terminals_own_or_a_reversed_cell() -> None:
    m = model(b"abc\x1b[1;2H", rows=2, cols=5)
    watched = draw(m.screen, 5, 2, 256)
    assert watched.cursor is None
    assert attr_of(watched, 0, "b").standout and not attr_of(watched, 0, "a").standout
    focused = draw(m.screen, 5, 2, 256, real_cursor=True)
    assert focused.cursor == (1, 0) and not attr_of(focused, 0, "b").standout
    m.feed(b"\x1b[?25l")  # hidden by the program: not drawn
    assert draw(m.screen, 5, 2, 256, real_cursor=True).cursor is None
    assert not any(a.standout for a, _ in cells(draw(m.screen, 5, 2, 256))[0])


def test_screen_view_as_a_urwid_widget() -> None:
    sizes: list[tuple[int, int]] = []
    m = model(b"hello")
    view = ScreenView(m, colors=256, resized=lambda r, c: sizes.append((r, c)))
    canvas = view.render((12, 3), focus=False)
    assert text_rows(canvas)[0] == "hello       " and sizes == [(3, 12)]
    view.render((12, 3))
    assert sizes == [(3, 12)]  # told only when the size changes
    m.feed(b" world")
    view.changed()
    assert text_rows(view.render((12, 3)))[0] == "hello world "
    view.note = "session aa: killed"
    assert text_rows(view.render((12, 3)))[0] == "session aa: "
    assert view.keypress((12, 3), "x") == "x"  # the owner routes keys


def test_keys_and_layout() -> None:
    assert keys.key_bytes("left", application=True) == b"\x1bOD"
    assert keys.key_bytes("shift tab") == b"\x1b[Z"
    assert keys.key_bytes("ctrl ]") == b"\x1d"
    assert keys.key_bytes("meta enter") == b"\x1b\r"
    assert keys.key_bytes("ctrl delete") == b"\x1b[3;5~"
    assert keys.key_bytes("f1") == b"\x1bOP" and keys.key_bytes("shift f1") == b"\x1b[1;2P"
    assert tiles.grid_shape(3, 160, 30) == (3, 1)
    assert tiles.grid_shape(3, 80, 60) == (1, 3)
    assert tiles.grid_shape(9, 240, 72) == (3, 3)


def test_list_lines() -> None:
    st = {"name": "p3", "connected": True, "activity": 50.0, "remote": "10.0.0.1 port 22",
          "longname": "build", "watchers": 0}
    assert info.describe(st, 100.0, "make -j8") == (
        "p3  connected idle 50s  make -j8", "build  from 10.0.0.1 port 22")
    gone = {"name": "q0", "connected": False, "exited": 3, "longname": ""}
    assert info.describe(gone, 100.0, None) == ("q0  exited 3", "")


@pytest.mark.parametrize("module", [colours, keys, widget, info, tiles])
def test_docstring_examples(module: Any) -> None:
    result = doctest.testmod(module)
    assert result.attempted and not result.failed
