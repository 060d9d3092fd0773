"""The screen model against tmux, one behaviour at a time (issue 12).

Each expectation here was read off tmux 3.3a, the reference terminal:
what it shows after the same bytes.  ``test_golden`` replays whole
captured streams; these name the single behaviours the issue lists.
"""

from __future__ import annotations

import pytest

from sessmux.core.render import render, reset_sequence, sgr
from sessmux.core.screen import MAX_MARKS, Cell, ScreenModel


def fed(data: bytes, rows: int = 6, cols: int = 20) -> ScreenModel:
    m = ScreenModel(rows, cols)
    m.feed(data)
    return m


def cursor(m: ScreenModel) -> tuple[int, int]:
    return m.screen.cursor.x, m.screen.cursor.y


def test_nel_returns_to_the_first_column() -> None:
    m = fed(b"AB\x1b[3;3HX\x1bEY\x1b[20hZ\x1bEW")
    assert m.screen.display[2].rstrip() == "  X"
    assert m.screen.display[3].rstrip() == "YZ"
    assert m.screen.display[4].rstrip() == "W"
    assert cursor(m) == (1, 4)


def test_sgr_dim_underline_colour_and_styles_are_kept() -> None:
    m = fed(b"\x1b[2ma\x1b[22mb\x1b[58;5;1mc\x1b[4:3md\x1b[4:0;21me\x1b[24;59;8;53mf")
    row = m.screen.buffer[0]
    assert row[0].dim and not row[1].dim
    # 58;5;1 is an underline colour, not blink (5) and bold (1).
    assert row[2].underline_colour != "default" and not row[2].blink and not row[2].bold
    assert row[3].underscore and row[3].underline_style == 3  # curly, not plain
    assert row[4].underscore and row[4].underline_style == 2  # SGR 21: double
    assert row[5] == Cell("f", hidden=True)  # SGR 53 (overline): tmux does not show it


def test_sgr_extras_survive_a_repaint() -> None:
    m = fed(b"\x1b[2;4:3;58:2::255:0:0mx\x1b[0m")
    again = fed(render(m.screen))
    assert again.screen.buffer[0][0] == m.screen.buffer[0][0]
    assert sgr(m.screen.buffer[0][0][1:]) == "\x1b[0;2;4:3;58;5;196m"


def test_dec_graphics_glyphs_are_tmuxs() -> None:
    # tmux draws the whole set so (read off a tmux client on a UTF-8 terminal).
    m = fed(b"\x1b(0_`abcdefghijklmnopqrstuvwxyz{|}~+,-.0\x1b(B", cols=40)
    assert m.screen.display[0].rstrip() == "_◆▒␉␌␍␊°±␤␋┘┐┌└┼⎺⎻─⎼⎽├┤┴┬│≤≥π≠£·→←↑↓▮"


def test_shift_out_without_g1_designated_prints_ascii() -> None:
    assert fed(b"\x0eqx\x0f").screen.display[0].startswith("qx")


def test_decaln_fills_plain_es_and_resets_region_and_cursor() -> None:
    m = fed(b"AB\x1b[2;4r\x1b[3;3H\x1b[31;4mXY\x1b#8", rows=3, cols=4)
    assert m.screen.display == ["EEEE"] * 3
    assert m.screen.buffer[2][2] == Cell("E")
    assert cursor(m) == (0, 0) and m.screen.margins is None


def test_cup_in_origin_mode_stays_inside_the_region() -> None:
    m = fed(b"\x1b[2;4r\x1b[?6h\x1b[1;5H\x1b[9;2HX")
    assert cursor(m) == (2, 3)
    assert fed(b"\x1b[?6h\x1b[3d", rows=2, cols=3).screen.cursor.y == 1


def test_erase_leaves_the_background_colour_only() -> None:
    m = fed(b"\x1b[1;4;41;32mXYZ\x1b[2D\x1b[X")
    assert m.screen.buffer[0][1] == Cell(" ", bg="red")
    m = fed(b"\x1b[44;7mA\x1b[2J")
    assert m.screen.buffer[3][5] == Cell(" ", bg="blue")


def test_rep_repeats_up_to_the_line_end_only() -> None:
    m = fed(b"ab\x1b[3bc\x1b[999999999b", rows=3, cols=10)
    assert m.screen.display[0] == "abbbbccccc"
    assert m.screen.display[1].strip() == ""
    # Nothing to repeat after a control.
    assert [line.rstrip() for line in fed(b"\x1b[5bx\r\n\x1b[5b").screen.display[:2]] == ["x", ""]


def test_combining_marks_are_capped_per_cell() -> None:
    m = fed(b"a" + "\u0353".encode() * 64000 + b"b")  # no precomposed form: all kept apart
    first = m.screen.buffer[0][0].data
    assert first[0] == "a" and len(first) == 1 + MAX_MARKS
    assert m.screen.buffer[0][1].data == "b"
    # Across chunks too: the cap counts the marks already on the cell.
    m = ScreenModel(2, 10)
    for _ in range(100):
        m.feed("\u0353".encode() if m.screen.cursor.x else b"e")
    assert len(m.screen.buffer[0][0].data) == 1 + MAX_MARKS


@pytest.mark.parametrize("digits", [4301, 5000, 100000])
def test_huge_parameters_do_not_raise(digits: int) -> None:
    m = fed(b"\x1b[" + b"9" * digits + b"m" + b"\x1b[" + b"9" * digits + b";1Hok")
    assert "ok" in "".join(m.screen.display)


def test_overlong_sequence_is_ignored_to_its_end_however_it_comes() -> None:
    data = b"\x1b[" + b"1;" * 5000 + b"31mX\x1b[" + b"7" * 9000 + b"\x07AY"
    whole = fed(data)
    pieces = ScreenModel(6, 20)
    for at in range(0, len(data), 1000):
        pieces.feed(data[at:at + 1000])
    for m in (whole, pieces):
        assert m.screen.display[0].rstrip() == "XY"  # the parameters are not drawn
        assert m.screen.buffer[0][0].fg == "default"  # nor obeyed


def test_detach_reset_turns_origin_mode_off_where_the_cursor_is() -> None:
    m = fed(b"\x1b[2;5r\x1b[?6h\x1b[2;7Hx")
    user = fed(b"\x1b[2;5r\x1b[?6h\x1b[2;7Hx" + reset_sequence(m.screen) + b"y")
    assert user.screen.display[2].rstrip() == "      xy"
    assert user.screen.margins is None
    assert not user.screen.mode & {1 << 10}  # DECOM is pyte's 6 << 5
    # Without a model, the reset still resets the region without moving the cursor.
    plain = fed(b"\x1b[2;5r\x1b[3;7Hx" + reset_sequence() + b"y")
    assert plain.screen.display[2].rstrip() == "      xy" and plain.screen.margins is None
