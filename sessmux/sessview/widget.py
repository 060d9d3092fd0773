"""A urwid widget that draws a session's screen from a sessmux screen model.

No I/O.  :func:`draw` turns a ``TerminalScreen`` (the model of #3, fed
with what the master sends a watcher) into a urwid canvas of any size:
cells with their colours and attributes (mapped down to what the user's
terminal has, :mod:`~sessmux.sessview.colours`), wide characters, and the
cursor -- the terminal's own cursor in the focused tile, a reversed cell
elsewhere.  A screen larger than the widget is clipped around the cursor
and says so in its bottom-right corner.

>>> from sessmux.core.screen import ScreenModel
>>> m = ScreenModel(rows=2, cols=6)
>>> m.feed(b"\\x1b[31mhi\\x1b[m \\xe4\\xb8\\xad")
>>> [line.decode() for line in draw(m.screen, 8, 3, 256).text]
['hi 中   ', '        ', '        ']
>>> [line.decode() for line in draw(m.screen, 4, 2, 256).text]  # follows the cursor
[' 中 ', '6x2+']
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from typing import Any

import urwid
from pyte.screens import wcwidth

from sessmux.core import tmuxlike
from sessmux.core.render import row_cells
from sessmux.sessview.colours import Key, attr_spec

DEFAULT_KEY: Key = ("default", "default", False, False, False, False, False, False)
HIDDEN = tmuxlike.Cell._fields.index("hidden") - 1  # SGR 8 in a full key (row_cells(full=True))
LABEL_KEY: Key = ("default", "default", True, False, False, False, True, False)
Size = tuple[()] | tuple[int] | tuple[int, int]  # what urwid passes to render
Cell = tuple[str, Key]  # text ("" for the right half of a wide character), attributes


def box(size: Size) -> tuple[int, int]:
    """(cols, rows) of a box widget's size."""
    if len(size) != 2:
        raise ValueError(f"a screen is drawn as a box widget, not {size!r}")
    return size


@functools.lru_cache(maxsize=8192)
def _shown(text: str, width: int, utf8: bool) -> str:
    """``text`` as urwid will measure it: ``width`` columns, or question marks."""
    if not utf8 and not text.isascii():
        return "?" * width
    return text if urwid.calc_width(text, 0, len(text)) == width else "?" * width


def clip_label(rows: int, cols: int, width: int) -> str:
    """The indicator of a clipped screen: its real size, shortened to fit ``width``.

    >>> clip_label(50, 132, 40), clip_label(50, 132, 7), clip_label(50, 132, 6)
    (' 132x50 clipped ', '132x50+', '+')
    """
    for label in (f" {cols}x{rows} clipped ", f"{cols}x{rows}+", "+"):
        if len(label) <= width:
            return label
    return ""


def viewport(cursor: int, size: int, visible: int) -> int:
    """First row (or column) to show so that the cursor stays in view."""
    if size <= visible:
        return 0
    return min(max(0, cursor - visible + 1), size - visible)


def _grid(screen: Any, cols: int, rows: int, top: int, left: int) -> list[list[Cell]]:
    """The visible part of ``screen`` as one cell per column, padded with blanks."""
    blank: Cell = (" ", DEFAULT_KEY)
    grid = []
    for y in range(top, top + rows):
        line = [blank] * cols
        if y < screen.lines:
            for x, text, key in row_cells(screen.buffer[y], screen.columns, full=True):
                at = x - left
                if at < 0 or at >= cols:
                    continue
                wide = wcwidth(text[0]) == 2
                if key[HIDDEN]:  # SGR 8: a terminal shows blanks in its colours
                    line[at] = (" ", key)
                    if wide and at + 1 < cols:
                        line[at + 1] = (" ", key)
                    continue
                line[at] = (text, key)
                if wide and at + 1 < cols:
                    line[at + 1] = ("", key)
        grid.append(line)
    return grid


def _encode(line: list[Cell], colors: int, utf8: bool, cursor_at: int | None,
            ) -> tuple[bytes, list[tuple[Hashable, int]]]:
    """One canvas line and its attribute runs (lengths in bytes, as urwid counts them)."""
    out = bytearray()
    runs: list[tuple[Hashable, int]] = []
    for at, (text, key) in enumerate(line):
        if text == "":
            continue  # the right half of the wide character before it
        wide = wcwidth(text[0]) == 2
        if wide and (at + 1 >= len(line) or line[at + 1][0] != ""):
            text, wide = " ", False  # its right half is clipped or overwritten
        data = _shown(text, 2 if wide else 1, utf8).encode("utf-8")
        spec = attr_spec(key, colors, at == cursor_at)
        if runs and runs[-1][0] is spec:
            runs[-1] = (spec, runs[-1][1] + len(data))
        else:
            runs.append((spec, len(data)))
        out += data
    return bytes(out), runs


def draw(screen: Any, cols: int, rows: int, colors: int, real_cursor: bool = False,
         ) -> urwid.TextCanvas:
    """A ``cols`` x ``rows`` canvas showing ``screen`` (a ``TerminalScreen``)."""
    cursor = screen.cursor
    cy, cx = min(cursor.y, screen.lines - 1), min(cursor.x, screen.columns - 1)
    top, left = viewport(cy, screen.lines, rows), viewport(cx, screen.columns, cols)
    grid = _grid(screen, cols, rows, top, left)
    clipped = screen.lines > rows or screen.columns > cols
    if clipped and rows and cols:
        label = clip_label(screen.lines, screen.columns, cols)
        last = grid[-1]
        for i, char in enumerate(label):
            last[cols - len(label) + i] = (char, LABEL_KEY)
    shown = not cursor.hidden and 0 <= cy - top < rows and 0 <= cx - left < cols
    utf8 = urwid.util.get_encoding_mode() == "utf8"
    text, attr = [], []
    for y, line in enumerate(grid):
        marked = cx - left if shown and not real_cursor and y == cy - top else None
        data, runs = _encode(line, colors, utf8, marked)
        text.append(data)
        attr.append(runs)
    canvas = urwid.TextCanvas(text, attr, maxcol=cols, check_width=False)
    if shown and real_cursor:
        canvas.cursor = (cx - left, cy - top)
    return canvas


class ScreenView(urwid.Widget):
    """A box widget showing a screen model; tell it :meth:`changed` after feeding.

    ``resized`` is called with ``(rows, cols)`` when the widget is drawn at
    a new size: the focused tile makes its session follow its size.
    """

    _sizing = frozenset([urwid.BOX])
    ignore_focus = False

    def __init__(self, model: Any = None, colors: int = 256,
                 resized: Callable[[int, int], None] | None = None,
                 selectable: bool = True) -> None:
        super().__init__()
        self._selectable = selectable  # a preview is not: the list keeps the keys
        self.model = model
        self.colors = colors
        self.resized = resized
        self.real_cursor = False  # the terminal's cursor is ours (the focused tile)
        self.size: tuple[int, int] | None = None
        self.note = ""  # shown instead of a screen: "connecting", "ended"

    def changed(self) -> None:
        """The model changed: draw again."""
        self._invalidate()

    def render(self, size: Size, focus: bool = False) -> urwid.Canvas:
        cols, rows = box(size)
        if self.size != (rows, cols):
            self.size = (rows, cols)
            if self.resized is not None:
                self.resized(rows, cols)
        if self.model is None or self.note:
            lines = [self.note.encode("utf-8")[:cols]] + [b""] * (rows - 1)
            return urwid.TextCanvas(lines[:rows], maxcol=cols)
        return draw(self.model.screen, cols, rows, self.colors, self.real_cursor and focus)

    def keypress(self, size: Size, key: str) -> str | None:
        return key  # the owner decides where keys go
