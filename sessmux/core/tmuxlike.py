"""Where pyte and tmux disagree, the screen does what tmux does.

No I/O.  :class:`TmuxLike` is the part of the screen model that corrects
pyte 0.8.2 against tmux 3.3a, the reference terminal (``tests/golden``):
cursor moves from a pending wrap and in origin mode, DECSTBM, NEL, REP,
DECALN, erasing (background colour only, whole rows at once), ICH/DCH,
combining marks (at most ``MAX_MARKS`` a cell), SGR attributes pyte drops
(dim, hidden, underline styles and colours: :class:`Cell`), and the DEC
graphics glyphs.  Everything here stays cheap whatever numbers the
output says: it is hostile.
"""

from __future__ import annotations

import unicodedata
from typing import Any, NamedTuple

import pyte
from pyte import charsets as cs
from pyte import modes as mo
from pyte.graphics import FG_BG_256
from pyte.screens import Margins, StaticDefaultDict, wcwidth

from sessmux.core.vtcodes import UNDERLINE_STYLE

#: Combining marks kept on one cell; more are dropped (a letter followed by
#: 64,000 accents would otherwise cost pyte minutes of quadratic work).
MAX_MARKS = 16


#: DEC Special Graphics (``ESC ( 0``) as tmux draws it: pyte's table makes
#: ``_`` a blank, ``0`` a full block and ``h`` a shade.
DEC_GRAPHICS = "".join({"_": "_", "0": "\u25ae", "h": "\u2424"}.get(chr(i), c)
                       for i, c in enumerate(cs.VT100_MAP))


class Cell(NamedTuple):
    """A ``pyte.screens.Char`` with the attributes pyte drops (SGR 2, 8, 4:N, 58).

    Overline (SGR 53) is not one: tmux 3.3a, the reference, does not show it.
    """

    data: str
    fg: str = "default"
    bg: str = "default"
    bold: bool = False
    italics: bool = False
    underscore: bool = False
    strikethrough: bool = False
    reverse: bool = False
    blink: bool = False
    dim: bool = False
    hidden: bool = False
    #: 0 plain (or none); 2 double, 3 curly, 4 dotted, 5 dashed (with ``underscore``)
    underline_style: int = 0
    underline_colour: str = "default"


# SGR codes pyte does not know -> the Cell fields they set.
_SGR_EXTRA: dict[int, dict[str, Any]] = {
    2: {"dim": True}, 22: {"dim": False},
    4: {"underline_style": 0}, 21: {"underscore": True, "underline_style": 2},
    24: {"underline_style": 0},
    8: {"hidden": True}, 28: {"hidden": False},
    59: {"underline_colour": "default"},
}


class TmuxLike(pyte.Screen):
    """pyte's screen, corrected to show what tmux shows."""

    @property
    def default_char(self) -> Any:  # a Cell: pyte's Char, and more
        return Cell(" ")

    def cursor_position(self, line: int | None = None, column: int | None = None) -> None:
        """CUP: in origin mode, relative to the scroll region and held inside it, as tmux does.

        (pyte ignores a CUP below the region, and fails on one without a region.)
        """
        self.cursor.x = (column or 1) - 1
        self.cursor_to_line(line)
        self.ensure_hbounds()

    def set_margins(self, top: int | None = None, bottom: int | None = None) -> None:
        """DECSTBM as tmux does it: a region of two lines or more, then the cursor to the
        top left of the screen -- origin mode or not; ``CSI r`` homes it too."""
        first = max(0, min((top or 1) - 1, self.lines - 1))
        last = max(0, min((bottom or self.lines) - 1, self.lines - 1))
        if first >= last:
            return
        self.margins = None if (first, last) == (0, self.lines - 1) else Margins(first, last)
        self.cursor.x = self.cursor.y = 0

    # After the last column is written the cursor waits past it (x ==
    # columns) for the next character to wrap.  From there tmux moves back
    # from that position (BS: to the last column), clamps vertical moves
    # into the line, and a tab stays put; pyte did each a column off.

    def cursor_back(self, count: int | None = None) -> None:
        self.cursor.x -= count or 1
        self.ensure_hbounds()

    def cursor_up(self, count: int | None = None) -> None:
        super().cursor_up(count)
        self.ensure_hbounds()

    def cursor_down(self, count: int | None = None) -> None:
        super().cursor_down(count)
        self.ensure_hbounds()

    def tab(self) -> None:
        if self.cursor.x < self.columns:
            super().tab()

    def cursor_to_line(self, line: int | None = None) -> None:
        top = self.margins.top if mo.DECOM in self.mode and self.margins is not None else 0
        self.cursor.y = top + (line or 1) - 1
        self.ensure_vbounds()

    def define_charset(self, code: str, mode: str) -> None:
        super().define_charset(code, mode)
        if code == "0":
            if mode == "(":
                self.g0_charset = DEC_GRAPHICS
            elif mode == ")":
                self.g1_charset = DEC_GRAPHICS

    def select_graphic_rendition(self, *params: int) -> None:
        """SGR, with dim, hidden, underline styles and colours kept."""
        todo = list(params) or [0]
        plain: list[int] = []
        i = 0
        while i < len(todo):
            p = todo[i]
            width = 1
            if p in (38, 48, 58) and i + 1 < len(todo):
                width = {5: 3, 2: 5}.get(todo[i + 1], 2)
            if p == 58 or p in _SGR_EXTRA or p >= UNDERLINE_STYLE:
                if plain:
                    super().select_graphic_rendition(*plain)
                    plain = []
                if p in (4, 22, 24):  # pyte's part of them
                    super().select_graphic_rendition(p)
                self.cursor.attrs = self.cursor.attrs._replace(**self._sgr_extra(todo[i:i + width]))
            else:
                plain.extend(todo[i:i + width])
            i += width
        if plain:
            super().select_graphic_rendition(*plain)

    def _sgr_extra(self, group: list[int]) -> dict[str, Any]:
        p = group[0]
        if p == 58:
            colour = "default"
            if group[1:2] == [5] and len(group) == 3:
                colour = FG_BG_256[min(group[2], 255)]
            elif group[1:2] == [2] and len(group) == 5:
                colour = "".join(f"{min(n, 255):02x}" for n in group[2:])
            return {"underline_colour": colour}
        if p >= UNDERLINE_STYLE:
            style = p - UNDERLINE_STYLE
            return {"underscore": style > 0, "underline_style": style if style > 1 else 0}
        return _SGR_EXTRA[p]

    def draw(self, data: str) -> None:
        if data.isascii():
            super().draw(data)
            return
        # pyte stops drawing at a zero-width character that is not a
        # combining mark (ZWJ, variation selectors): drop those instead.
        # Marks are joined to their cell here, one at a time, so that the
        # cap (MAX_MARKS) means the same however the text was cut.
        run: list[str] = []
        for ch in data:
            if wcwidth(ch) > 0:
                run.append(ch)
            elif unicodedata.combining(ch):
                if run:
                    super().draw("".join(run))
                    run = []
                self._combine(ch)
        if run:
            super().draw("".join(run))

    def _combine(self, mark: str) -> None:
        """Add a combining mark to the cell before the cursor, unless it has MAX_MARKS."""
        x, y = self.cursor.x, self.cursor.y
        if x:
            x -= 1
        elif y:
            x, y = self.columns - 1, y - 1
        else:
            return
        cell = self.buffer[y][x]
        if len(cell.data) <= MAX_MARKS:
            self.buffer[y][x] = cell._replace(data=unicodedata.normalize("NFC", cell.data + mark))
            self.dirty.add(y)

    def repeat_last(self, char: str, count: int) -> None:
        """REP (``CSI n b``): ``char`` again, at most up to the end of the line as tmux does."""
        self.draw(char * min(count, max(1, self.columns - self.cursor.x)))

    def next_line(self) -> None:
        """NEL (``ESC E``): a new line at its first column, whatever LNM says."""
        self.index()
        self.carriage_return()

    def alignment_display(self) -> None:
        """DECALN: every cell a plain E, no scroll region, the cursor home (as tmux does).

        At C speed: output may repeat it forever."""
        self.margins = None
        self.cursor.x = self.cursor.y = 0
        self.dirty.update(range(self.lines))
        e: Any = self.default_char._replace(data="E")
        for y in range(self.lines):
            row = self.buffer[y]
            row.clear()
            row.update(dict.fromkeys(range(self.columns), e))

    def _blank(self) -> Any:
        """What erasing leaves: a blank in the current background colour only, as tmux does."""
        bg = self.cursor.attrs.bg
        return self.default_char if bg == "default" else Cell(" ", bg=bg)

    def erase_in_display(self, how: int = 0, *args: Any, **kwargs: Any) -> None:
        # ED 3 clears the scrollback only, never the screen.  Whole lines are
        # replaced, not rewritten cell by cell: output may repeat ED forever.
        y = self.cursor.y
        rows = {0: range(y + 1, self.lines), 1: range(y), 2: range(self.lines)}.get(how)
        if rows is None:
            return
        blank = self._blank()
        for row in rows:
            if blank is self.default_char or blank == self.default_char:
                self.buffer.pop(row, None)
            else:
                self.buffer[row] = StaticDefaultDict(blank)
        self.dirty.update(rows)
        if how != 2:
            self.erase_in_line(how)

    def erase_in_line(self, how: int = 0, *args: Any, **kwargs: Any) -> None:
        x = self.cursor.x
        columns = {0: range(x, self.columns), 1: range(min(x + 1, self.columns)),
                   2: range(self.columns)}.get(how)
        if columns is None:
            return
        self.dirty.add(self.cursor.y)
        line = self.buffer[self.cursor.y]
        line.update(dict.fromkeys(columns, self._blank()))

    def insert_characters(self, count: int | None = None) -> None:
        """ICH: cells from the cursor move right (off the edge: gone), blanks come in."""
        self._shift(max(1, count or 1))

    def delete_characters(self, count: int | None = None) -> None:
        """DCH: cells after the cursor move left over it, blanks come in at the edge."""
        self._shift(-max(1, count or 1))

    def _shift(self, by: int) -> None:
        x0, columns = min(self.cursor.x, self.columns), self.columns
        self.dirty.add(self.cursor.y)
        line = self.buffer[self.cursor.y]
        moved = {x + by: line[x] for x in range(x0, columns)
                 if x in line and x0 <= x + by < columns}
        for x in [x for x in line if x >= x0]:
            del line[x]
        line.update(moved)
        blank = self._blank()
        if blank != self.default_char:
            gap = range(x0, min(x0 + by, columns)) if by > 0 else range(max(x0, columns + by),
                                                                         columns)
            line.update(dict.fromkeys(gap, blank))

    def erase_characters(self, count: int | None = None) -> None:
        x = self.cursor.x
        columns = range(x, min(x + (count or 1), self.columns))
        self.dirty.add(self.cursor.y)
        self.buffer[self.cursor.y].update(dict.fromkeys(columns, self._blank()))
