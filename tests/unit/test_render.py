"""Round trip: program output -> ScreenModel -> render() -> a fresh ScreenModel.

The fresh model must end up with the same cells, cursor, saved cursor,
scroll region and modes as the first one.  No pty, no terminal.
"""

from __future__ import annotations

from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from pyte.screens import wcwidth

from sessmux.core.render import colour, render, reset_sequence, sgr
from sessmux.core.screen import Cell, ScreenModel, TerminalScreen

CSI = "\x1b["

# -- what a program may write ------------------------------------------------

_ALPHABET = list("abcxyzQ09 .,;:-_/=|~") + list("中文字한글") + ["😀", "🎉", "é", "e\u0301", "❤️"]
text = st.lists(st.sampled_from(_ALPHABET), min_size=1, max_size=14).map("".join)

_SGR_SIMPLE = [0, 1, 3, 4, 5, 7, 9, 22, 23, 24, 25, 27, 29, 39, 49,
               *range(30, 38), *range(40, 48), *range(90, 98), *range(100, 108)]
sgr_param = st.one_of(
    st.sampled_from(_SGR_SIMPLE).map(str),
    st.tuples(st.sampled_from(["38", "48"]), st.integers(0, 255)).map(lambda t: f"{t[0]};5;{t[1]}"),
    st.tuples(st.sampled_from(["38", "48"]), st.integers(0, 255), st.integers(0, 255),
              st.integers(0, 255)).map(lambda t: f"{t[0]};2;{t[1]};{t[2]};{t[3]}"),
)
sgr_seq = st.lists(sgr_param, max_size=4).map(lambda ps: f"{CSI}{';'.join(ps)}m")

small = st.integers(0, 12).map(lambda n: "" if n == 0 else str(n))
cursor_move = st.one_of(
    st.tuples(st.integers(0, 14), st.integers(0, 30)).map(lambda t: f"{CSI}{t[0]};{t[1]}H"),
    st.tuples(small, st.sampled_from("ABCDEFGd`")).map(lambda t: CSI + t[0] + t[1]),
)
erase = st.tuples(st.sampled_from(["", "0", "1", "2"]), st.sampled_from("JK"))
counted = st.tuples(small, st.sampled_from("XPML@ST"))
edit = st.one_of(erase, counted).map(lambda t: CSI + "".join(t))
margins = st.one_of(
    st.just(f"{CSI}r"),
    st.tuples(st.integers(1, 8), st.integers(1, 12)).map(lambda t: f"{CSI}{t[0]};{t[1]}r"),
)
controls = st.sampled_from(["\r", "\n", "\r\n", "\b", "\t", "\x1bM", "\x1bD", "\x1bE",
                            "\x1b7", "\x1b8", "\x1b=", "\x1b>", "\x1b(0", "\x1b(B", "\x1b)0",
                            "\x1b)B", "\x0e", "\x0f"])
_MODES = ["?1", "?25", "?7", "?6", "4", "?2004", "?1000", "?1002", "?1003", "?1006",
          "?1015", "?1004", "?1049", "?1047", "?47"]
mode = st.tuples(st.sampled_from(_MODES), st.sampled_from("hl")).map(lambda t: CSI + "".join(t))
op = st.one_of(text, text, text, sgr_seq, sgr_seq, cursor_move, edit, margins, controls, mode)
program_output = st.lists(op, max_size=40).map("".join)
sizes = st.tuples(st.integers(2, 9), st.integers(3, 16))

# -- what must survive the round trip -----------------------------------------


def cells(buffer: Any, lines: int, columns: int) -> list[list[tuple[str, tuple[Any, ...]]]]:
    """Cells as a terminal shows them: broken halves of wide characters are blanks."""
    rows = []
    for y in range(lines):
        row, out = buffer[y], []
        for x in range(columns):
            char = row[x]
            data = char.data
            orphan = data == "" and not (x and out[-1][0] and wcwidth(out[-1][0][0]) == 2)
            halved = data and wcwidth(data[0]) == 2 and x + 1 < columns and row[x + 1].data != ""
            if orphan or halved:
                data = " "
            out.append((data, tuple(char[1:])))
        rows.append(out)
    return rows


def saved(savepoints: list[Any], columns: int) -> Any:
    if not savepoints:
        return None
    cur = savepoints[-1].cursor
    return min(cur.x, columns - 1), cur.y, tuple(cur.attrs[1:])


def snapshot(screen: TerminalScreen) -> dict[str, Any]:
    lines, columns = screen.lines, screen.columns
    return {
        "main": cells(screen.main_buffer, lines, columns),
        "alt": cells(screen.buffer, lines, columns) if screen.alt_mode else None,
        "cursor": (screen.cursor.x, screen.cursor.y, screen.cursor.hidden),
        "pen": tuple(screen.cursor.attrs[1:]),
        "modes": sorted(screen.mode),
        "margins": screen.margins,
        "alt_mode": screen.alt_mode,
        "keypad": screen.application_keypad,
        "charsets": (screen.g0_charset, screen.g1_charset, screen.charset),
        "saved_main": saved(screen.main_savepoints, columns),
        "saved_alt": saved(screen.savepoints, columns) if screen.alt_mode else None,
    }


def round_trip(data: bytes, rows: int, cols: int) -> tuple[dict[str, Any], dict[str, Any]]:
    first = ScreenModel(rows, cols)
    first.feed(data)
    second = ScreenModel(rows, cols)
    # The new terminal is not necessarily fresh: junk state must not leak through.
    second.feed(b"\x1b[?47h\x1b[5;6r\x1b[?6h\x1b[4h\x1b(0JUNK\x1b[1;41m")
    second.feed(render(first.screen))
    return snapshot(first.screen), snapshot(second.screen)


@settings(max_examples=300, deadline=None)
@given(program_output, sizes)
# Origin mode, then a scroll region: the cursor is homed to the screen's corner.
@example("\x1b[?6h\x1b[2;3r", (3, 3))
@example("\x1b[?6h\x1b[2;3rab", (3, 5))
@example("\x1b[?6h\x1b[3;4r\n", (4, 3))
@example("\x1b[?6h\x1b[3;4r\nxy", (4, 5))
def test_round_trip(output: str, size: tuple[int, int]) -> None:
    expected, got = round_trip(output.encode(), *size)
    assert got == expected


@settings(max_examples=100, deadline=None)
@given(program_output, sizes, st.integers(1, 7))
def test_round_trip_any_chunking(output: str, size: tuple[int, int], step: int) -> None:
    """Chunks cut anywhere (inside UTF-8, inside escapes) give the same screen."""
    data = output.encode()
    whole = ScreenModel(*size)
    whole.feed(data)
    pieces = ScreenModel(*size)
    for i in range(0, len(data), step):
        pieces.feed(data[i : i + step])
    assert snapshot(pieces.screen) == snapshot(whole.screen)


# -- specific cases ---------------------------------------------------------------


def test_wide_characters_are_written_once() -> None:
    model = ScreenModel(2, 10)
    model.feed("中😀x".encode())
    out = render(model.screen).decode()
    assert "中😀x" in out
    assert out.count("中") == 1


def test_broken_wide_characters_show_as_blanks() -> None:
    """Overwriting either half of a wide character leaves a blank, as in xterm."""
    model = ScreenModel(2, 8)
    model.feed("中文字\x1b[1;2Ha\x1b[1;3Hb".encode())  # right half of 中, left half of 文
    term = ScreenModel(2, 8)
    term.feed(render(model.screen))
    assert term.screen.display[0] == " ab 字  "
    assert snapshot(term.screen)["main"] == snapshot(model.screen)["main"]


def test_sgr_only_on_change() -> None:
    model = ScreenModel(2, 20)
    model.feed(b"\x1b[1;32mgreen text\x1b[0m plain")
    out = render(model.screen).decode()
    assert out.count("\x1b[0;1;32m") == 1
    assert "\x1b[0;1;32mgreen text\x1b[0m plain" in out


def test_colours() -> None:
    assert colour("red", 30) == "31"
    assert colour("brown", 40) == "43"
    assert colour("brightmagenta", 30) == "95"
    assert colour("bfightmagenta", 40) == "105"  # pyte's spelling of SGR 105
    assert colour("5f87af", 30) == "38;5;67"
    assert colour("cd0000", 30) == "38;5;1"
    assert colour("ffffff", 30) == "38;5;231"
    assert colour("010203", 48 - 8) == "48;2;1;2;3"
    assert sgr(Cell(" ", *(["default"] * 2), *([True] * 8), 3, "ff0000")[1:]) == (
        "\x1b[0;1;2;3;4:3;5;7;8;9;58;5;196m")


def test_bottom_right_cell_does_not_scroll() -> None:
    model = ScreenModel(3, 5)
    model.feed(b"top\x1b[3;1Habcde")
    out = render(model.screen)
    assert out.index(b"\x1b[?7l") < out.index(b"abcde")
    again = ScreenModel(3, 5)
    again.feed(out + b"X")  # the program's next character wraps and scrolls
    model.feed(b"X")
    assert again.screen.display == model.screen.display == ["     ", "abcde", "X    "]


def test_alt_screen_repaint_keeps_main_screen_for_later() -> None:
    model = ScreenModel(3, 10)
    model.feed(b"shell $ vi\r\n\x1b[?1049h\x1b[H\x1b[2Jeditor\x1b[?2004h\x1b[?1h\x1b=")
    out = render(model.screen)
    assert b"\x1b[?1049h" in out and b"\x1b[?2004h" in out and b"\x1b[?1h" in out
    term = ScreenModel(3, 10)
    term.feed(out)
    assert term.screen.display[0].startswith("editor")
    term.feed(b"\x1b[?1049l")
    model.feed(b"\x1b[?1049l")
    assert term.screen.display == model.screen.display
    assert term.screen.display[0].startswith("shell $ vi")
    assert (term.screen.cursor.x, term.screen.cursor.y) == (0, 1)


def test_pending_wrap_survives() -> None:
    model = ScreenModel(3, 4)
    model.feed(b"abcd")
    term = ScreenModel(3, 4)
    term.feed(render(model.screen) + b"e")
    assert term.screen.display == ["abcd", "e   ", "    "]


def test_reset_sequence_gives_the_terminal_back() -> None:
    model = ScreenModel(4, 10)
    model.feed(b"\x1b[?1049h\x1b[?1000h\x1b[?1006h\x1b[?2004h\x1b[?1h\x1b=\x1b[?25l"
               b"\x1b[2;3r\x1b[?7l\x1b[1;31m\x1b[?1004h")
    model.feed(reset_sequence())
    screen = model.screen
    assert screen.alt_mode == 0 and screen.mouse_tracking == 0
    assert not screen.application_keypad and not screen.cursor.hidden
    assert screen.margins is None
    assert screen.cursor.attrs[1:] == screen.default_char[1:]
    assert {1 << 5, 1006 << 5, 2004 << 5, 1004 << 5}.isdisjoint(screen.mode)
    assert 7 << 5 in screen.mode


def test_reset_sequence_leaves_the_cursor_where_the_prompt_was() -> None:
    model = ScreenModel(6, 20)
    model.feed(b"line one\r\nline two\r\n$ ")
    model.feed(b"\x1b[?1049h\x1b[H\x1b[2Jfull screen\x1b[3;5r\x1b[6;1H")
    model.feed(reset_sequence())
    assert (model.screen.cursor.y, model.screen.cursor.x) == (2, 2)
    assert model.screen.display[:2] == ["line one".ljust(20), "line two".ljust(20)]
