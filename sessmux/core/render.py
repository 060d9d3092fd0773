"""Repaint a real terminal from a ``TerminalScreen``, tmux-style.

No I/O: ``render(screen)`` returns the bytes that make an xterm-compatible
terminal (TERM=xterm-256color) of the same size show that screen -- cells,
colours, attributes, wide characters, the scroll region, the cursor, and
the input modes (cursor keys, keypad, bracketed paste, mouse, focus, the
alternate screen).  ``reset_sequence()`` gives the terminal back sane on
detach.  The caller writes the bytes.

When the program is in the alternate screen the main screen is painted
first and then the alternate one, so that leaving the alternate screen
later shows the right main screen on the new terminal too.

>>> from sessmux.core.screen import ScreenModel
>>> a = ScreenModel(rows=2, cols=8)
>>> a.feed(b"\\x1b[1;31mred\\x1b[0m \\xe7\\x95\\x8c\\x1b[?2004h")
>>> b = ScreenModel(rows=2, cols=8)
>>> b.feed(render(a.screen))
>>> b.screen.display == a.screen.display, b.screen.buffer[0][0] == a.screen.buffer[0][0]
(True, True)
>>> b.screen.mode == a.screen.mode, (b.screen.cursor.x, b.screen.cursor.y)
(True, (6, 0))
"""

from __future__ import annotations

import functools
from typing import Any

from pyte import modes as mo
from pyte.charsets import VT100_MAP
from pyte.graphics import FG_BG_256
from pyte.screens import wcwidth

from sessmux.core.screen import DEC_GRAPHICS, INPUT_MODES, MOUSE_TRACKING, Cell, TerminalScreen

_ANSI = {"black": 0, "red": 1, "green": 2, "brown": 3, "yellow": 3,
         "blue": 4, "magenta": 5, "cyan": 6, "white": 7}
# Exact palette matches only; where a colour is both a theme colour (0-15)
# and a cube colour (16-255), prefer the cube: it looks the same everywhere.
_PALETTE = {hexa: i for i, hexa in enumerate(FG_BG_256)}
_DEFAULT_KEY = Cell(" ")[1:]
_FIELDS = len(Cell._fields)
_CUF_MIN = 6  # skip at least this many blank cells with CUF, not spaces

Key = tuple[Any, ...]  # a Cell without its data: fg, bg, bold, ... blink, dim, ...


def colour(value: str, base: int) -> str:
    """SGR parameters for a pyte colour; ``base`` is 30 (fg) or 40 (bg).

    >>> colour("brightbrown", 30), colour("ff0000", 40), colour("123456", 30)
    ('93', '48;5;196', '38;2;18;52;86')
    """
    if value == "default":
        return str(base + 9)
    name = value.replace("bfight", "bright")  # pyte 0.8.2 spells SGR 105 so
    if name in _ANSI:
        return str(base + _ANSI[name])
    if name.startswith("bright") and name[6:] in _ANSI:
        return str(base + 60 + _ANSI[name[6:]])
    index = _PALETTE.get(name.lower())
    if index is not None:
        return f"{base + 8};5;{index}"
    try:
        rgb = int(name, 16)
    except ValueError:
        return str(base + 9)  # a colour pyte does not know: keep the default
    return f"{base + 8};2;{rgb >> 16};{(rgb >> 8) & 255};{rgb & 255}"


@functools.lru_cache(maxsize=4096)
def sgr(key: Key) -> str:
    """The SGR sequence that sets exactly these attributes.

    >>> sgr(Cell(" ", dim=True, underscore=True, underline_style=3, underline_colour="ff0000")[1:])
    '\\x1b[0;2;4:3;58;5;196m'
    """
    (fg, bg, bold, italics, underscore, strikethrough, reverse, blink,
     dim, hidden, underline_style, underline_colour) = key
    underline = f"4:{underline_style}" if underline_style else "4"
    flags = ((bold, "1"), (dim, "2"), (italics, "3"), (underscore, underline), (blink, "5"),
             (reverse, "7"), (hidden, "8"), (strikethrough, "9"))
    parts = ["0"] + [code for on, code in flags if on]
    if fg != "default":
        parts.append(colour(fg, 30))
    if bg != "default":
        parts.append(colour(bg, 40))
    if underline_colour != "default":
        parts.append(colour(underline_colour, 50))
    return "\x1b[" + ";".join(parts) + "m"


def _full_key(char: Any) -> Key:
    """Every attribute of a cell (a Char made by pyte itself has only the first ones)."""
    return char[1:] if len(char) == _FIELDS else Cell(*char)[1:]


def row_cells(row: Any, columns: int, full: bool = False) -> list[tuple[int, str, Key]]:
    """``(column, text, key)`` for each cell to write, wide characters once.

    ``key`` is pyte's eight attributes (fg, bg, bold ... blink), or with
    ``full`` every attribute of a :class:`~sessmux.core.screen.Cell`.

    A wide character whose right half was overwritten, and a right half
    whose wide character was overwritten, show as blanks: that is what a
    real terminal does with them.
    """
    cells = []
    x = 0
    while x < columns:
        char = row[x]
        data = char.data
        key = _full_key(char) if full else char[1:9]
        width = wcwidth(data[0]) if data else 0
        if width == 2 and x + 1 < columns and row[x + 1].data == "":
            cells.append((x, data, key))
            x += 2
            continue
        if not data or width == 2 and x + 1 < columns or width < 1:
            data = " "
        cells.append((x, data, key))
        x += 1
    return cells


def _paint(out: list[str], buffer: Any, lines: int, columns: int, pen: Key) -> Key:
    """Write every non-blank cell of ``buffer``; the terminal was just cleared."""
    for y in range(lines):
        if y not in buffer:
            continue
        cells = row_cells(buffer[y], columns, True)
        while cells and cells[-1][1] == " " and cells[-1][2] == _DEFAULT_KEY:
            cells.pop()
        if not cells:
            continue
        out.append(f"\x1b[{y + 1}H")
        at = 0
        i = 0
        while i < len(cells):
            x, data, key = cells[i]
            if data == " " and key == _DEFAULT_KEY:
                j = i
                while j < len(cells) and cells[j][1] == " " and cells[j][2] == _DEFAULT_KEY:
                    j += 1
                if j - i >= _CUF_MIN:
                    out.append(f"\x1b[{cells[j][0] - at}C")
                    at, i = cells[j][0], j
                    continue
            if key != pen:
                out.append(sgr(key))
                pen = key
            out.append(data)
            at = x + max(1, wcwidth(data[0]))
            i += 1
    return pen


def _save_cursor(out: list[str], savepoints: list[Any], pen: Key, lines: int,
                 columns: int, emit_decsc: bool) -> Key:
    """Put the saved cursor (DECSC) where it was; the caller saves it."""
    if savepoints:
        saved = savepoints[-1].cursor
        y, x = min(saved.y, lines - 1), min(saved.x, columns - 1)
        out.append(f"\x1b[{y + 1};{x + 1}H")
        pen = Cell(*saved.attrs)[1:]
        out.append(sgr(pen))
        if emit_decsc:
            out.append("\x1b7")
    return pen


def render_line(row: Any, columns: int) -> bytes:
    """One line of a screen as text with its colours, for a terminal's scrollback.

    Trailing blanks are dropped and the attributes are reset at the end.
    """
    out: list[str] = []
    pen: Key = _DEFAULT_KEY
    # Only up to the last cell ever written: the rest is blank, and a line
    # that scrolls off is usually short (this runs for every such line).
    written = max(row, default=-1) + 2
    cells = row_cells(row, min(columns, written), True)
    while cells and cells[-1][1] == " " and cells[-1][2] == _DEFAULT_KEY:
        cells.pop()
    for _, text, key in cells:
        if key != pen:
            out.append(sgr(key))
            pen = key
        out.append(text)
    if pen != _DEFAULT_KEY:
        out.append("\x1b[m")
    return "".join(out).encode("utf-8")


def render(screen: TerminalScreen) -> bytes:
    """Bytes that repaint a same-size terminal to show ``screen`` exactly."""
    lines, columns = screen.lines, screen.columns
    # Hide the cursor, main screen, no autowrap (the bottom-right cell must not scroll),
    # absolute addressing, replace mode, ASCII charset, plain pen, clear.
    out = ["\x1b[?25l\x1b[?1049l\x1b[?7l\x1b[?6l\x1b[4l\x1b[r\x1b(B\x1b)B\x0f\x1b[0m\x1b[H\x1b[2J"]
    pen = _paint(out, screen.main_buffer, lines, columns, _DEFAULT_KEY)
    alt = screen.alt_mode
    pen = _save_cursor(out, screen.main_savepoints, pen, lines, columns, alt != 1049)
    if alt:
        # ?1049h saves the cursor itself, as the program's ?1049h did.
        out.append(f"\x1b[?{alt}h\x1b[0m\x1b[H\x1b[2J")
        pen = _paint(out, screen.buffer, lines, columns, _DEFAULT_KEY)
        pen = _save_cursor(out, screen.savepoints, pen, lines, columns, True)
    if screen.margins is not None:
        out.append(f"\x1b[{screen.margins.top + 1};{screen.margins.bottom + 1}r")
    if mo.DECOM in screen.mode:
        out.append("\x1b[?6h")  # homes the cursor, so before placing it
    if mo.DECAWM in screen.mode:
        out.append("\x1b[?7h")  # before _cursor(): a pending wrap needs it
    out.append(_cursor(screen))
    out.append(sgr(Cell(*screen.cursor.attrs)[1:]))
    out.append(_modes(screen))  # after _cursor(): insert mode and charsets
    if not screen.cursor.hidden:
        out.append("\x1b[?25h")
    return "".join(out).encode()


def _modes(screen: TerminalScreen) -> str:
    """Modes that do not move the cursor."""
    mode = screen.mode
    out = ["\x1b[4h" if mo.IRM in mode else "",
           "\x1b[20h" if mo.LNM in mode else "",
           "\x1b=" if screen.application_keypad else "\x1b>"]
    out += [f"\x1b[?{m}l" for m in INPUT_MODES if m << 5 not in mode and m not in MOUSE_TRACKING]
    if not screen.mouse_tracking:
        out.append("\x1b[?1000l")
    out += [f"\x1b[?{m}h" for m in INPUT_MODES if m << 5 in mode]
    for designator, table in (("(", screen.g0_charset), (")", screen.g1_charset)):
        if table is DEC_GRAPHICS or table is VT100_MAP:
            out.append(f"\x1b{designator}0")
    if screen.charset:
        out.append("\x0e")
    return "".join(out)


def _cursor(screen: TerminalScreen) -> str:
    """Place the cursor, including a pending wrap after the last column."""
    y, x, columns = screen.cursor.y, screen.cursor.x, screen.columns
    top = screen.margins.top if screen.margins is not None and mo.DECOM in screen.mode else 0
    if top and y < top and x < columns:
        # In origin mode the cursor leaves its region one way: DECSTBM homes
        # it to the screen's corner (as tmux does), and line feeds take it
        # down from there; so does this.
        region = f"\x1b[{top + 1};{screen.margins.bottom + 1}r"  # type: ignore[union-attr]
        return region + "\n" * y + (f"\x1b[{x}C" if x else "")
    if x < columns:
        return f"\x1b[{y - top + 1};{x + 1}H"
    # The program wrote the last column and the next character wraps:
    # write that last cell again, which leaves the terminal in the same state.
    col, data, key = row_cells(screen.buffer[y], columns, True)[-1]
    return f"\x1b[{y - top + 1};{col + 1}H{sgr(key)}{data}"


#: Every mode a program may have left on, off again, without moving the
#: cursor: main screen, mouse, focus, paste, cursor keys, keypad, SGR,
#: insert mode, scroll region (between DECSC and DECRC: DECSTBM homes the
#: cursor), charsets, autowrap, a visible cursor.  DECSTR (``CSI ! p``)
#: takes origin mode off where it can without homing the cursor (xterm,
#: VTE); where it cannot, ``reset_sequence(screen)`` does it exactly.
MODES_OFF = (
    b"\x1b[?1049l"  # main screen (and the cursor from before ?1049h)
    b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1005l\x1b[?1006l\x1b[?1015l"
    b"\x1b[?1004l\x1b[?2004l\x1b[?1l\x1b>"
    b"\x1b[0m\x1b[4l\x1b7\x1b[r\x1b8\x1b[!p\x1b(B\x0f\x1b[?7h\x1b[?25h"
)


def reset_sequence(screen: TerminalScreen | None = None) -> bytes:
    """What a detach writes so the user's terminal is usable again.

    With the screen model the terminal showed, origin mode is turned off
    and the cursor put back where the model says it is (what a terminal
    that ignores DECSTR needs); without it, :data:`MODES_OFF`.

    >>> from sessmux.core.screen import ScreenModel
    >>> m = ScreenModel(rows=5, cols=10)
    >>> m.feed(b"\\x1b[2;4r\\x1b[?6h\\x1b[2;3H")
    >>> reset_sequence(m.screen).endswith(b"\\x1b[?6l\\x1b[3;3H")
    True
    """
    if screen is None:
        return MODES_OFF
    origin, y, x = mo.DECOM in screen.mode, screen.cursor.y, screen.cursor.x
    if screen.alt_mode == 1049 and screen.main_savepoints:
        saved = screen.main_savepoints[-1]  # ?1049l goes back to it, origin mode and all
        origin, y, x = saved.origin, saved.cursor.y, saved.cursor.x
    if not origin:
        return MODES_OFF
    y, x = min(y, screen.lines - 1), min(x, screen.columns - 1)
    return MODES_OFF + f"\x1b[?6l\x1b[{y + 1};{x + 1}H".encode()
