"""The screen model: what the program's terminal shows right now.

No I/O.  ``TerminalScreen`` is a ``pyte.Screen`` that never raises on odd
sequences, keeps the alternate screen apart from the main one, tracks the
input modes a repaint must restore (cursor keys, keypad, bracketed paste,
mouse, focus events), and hands terminal replies (cursor position reports,
device attributes) to a callback instead of writing them anywhere.
``ScreenModel`` pairs it with the tolerant ``VTParser``; the master feeds
it off the output hot path, with chunks cut anywhere.

tmux is the reference terminal: where pyte and tmux differ (NEL, DECCOLM,
DECSTBM, moves from a pending wrap, erasing in the background colour, SGR
dim and underline styles, the DEC graphics glyphs) this does what tmux
does (``tests/golden``).  Output is hostile: every sequence costs little
whatever its numbers say (REP stops at the line's end, a cell keeps at
most ``MAX_MARKS`` combining marks, whole-screen operations replace rows).

>>> replies: list[bytes] = []
>>> model = ScreenModel(rows=3, cols=10, replies=replies.append)
>>> model.feed(b"\\x1b[31mhi\\x1b[?4m \\xe4\\xb8")
>>> model.feed(b"\\xad\\x1b[?1049h\\x1b[HX\\x1b[6n")
>>> model.screen.display, replies
(['X         ', '          ', '          '], [b'\\x1b[1;2R'])
>>> model.feed(b"\\x1b[?1049l")
>>> model.screen.display[0], model.screen.buffer[0][0].fg
('hi 中     ', 'red')
"""

from __future__ import annotations

import copy
import functools
import inspect
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from typing import Any, NamedTuple

import pyte
from pyte import charsets as cs
from pyte import modes as mo
from pyte.graphics import FG_BG_256
from pyte.screens import Margins, StaticDefaultDict, wcwidth

from sessmux.vtparse import UNDERLINE_STYLE, VTParser

Buffer = dict[int, Any]  # row -> StaticDefaultDict[int, pyte.screens.Char]
Replies = Callable[[bytes], None]

# Private modes, stored the pyte way (number << 5).
DECCKM = 1 << 5
FOCUS_EVENTS = 1004 << 5
BRACKETED_PASTE = 2004 << 5
MOUSE_TRACKING = (1000, 1002, 1003)  # one at a time, as in xterm and tmux
MOUSE_ENCODINGS = (1005, 1006, 1015)
ALT_SCREEN_MODES = (47, 1047, 1049)
#: Private input modes a repaint re-emits, in emission order.
INPUT_MODES = (1, 1004, *MOUSE_TRACKING, *MOUSE_ENCODINGS, 2004)
DECCOLM = 3
# DECCOLM would make pyte resize to 132 columns and DECSCNM rewrites every
# cell's reverse flag; real terminals do neither to the cells: ignore both
# (DECCOLM's clear and home are done here, see ``_column_mode``).
_IGNORED_PRIVATE = frozenset({DECCOLM, 5})
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


class TerminalScreen(pyte.Screen):
    """A ``pyte.Screen`` that tolerates anything and knows the input modes."""

    def __init__(
        self,
        columns: int,
        lines: int,
        replies: Replies | None = None,
        scrolled: Callable[[Any], None] | None = None,
    ) -> None:
        self.replies = replies
        #: Called with each main-screen line that scrolls off the top, so the
        #: master can hand it to a reattaching terminal's own scrollback.
        self.scrolled = scrolled
        super().__init__(columns, lines)

    # -- state beyond pyte ------------------------------------------------

    @property
    def default_char(self) -> Any:  # a Cell: pyte's Char, and more
        return Cell(" ")

    def reset(self) -> None:
        super().reset()
        self.cursor.attrs = self.default_char
        self.g1_charset = cs.LAT1_MAP  # tmux: SO without ESC ) 0 still prints ASCII
        #: DECKPAM (``ESC =``) is on: the keypad sends application sequences.
        self.application_keypad = False
        #: 0 on the main screen, else the mode (47, 1047, 1049) that left it.
        self.alt_mode = 0
        self._other_buffer: Buffer = self._new_buffer()
        self._other_savepoints: list[Any] = []
        self.savepoints = []

    def _new_buffer(self) -> Buffer:
        return defaultdict(lambda: StaticDefaultDict(self.default_char))

    @property
    def main_buffer(self) -> Buffer:
        """The main screen's cells, even while the alternate one is shown."""
        return self._other_buffer if self.alt_mode else self.buffer

    @property
    def main_savepoints(self) -> list[Any]:
        """The main screen's saved cursor (DECSC, or ``?1049h``)."""
        return self._other_savepoints if self.alt_mode else self.savepoints

    @property
    def mouse_tracking(self) -> int:
        """1000, 1002 or 1003 if the program asked for mouse reports, else 0."""
        return next((m for m in MOUSE_TRACKING if m << 5 in self.mode), 0)

    # -- modes -------------------------------------------------------------

    def set_mode(self, *modes: int, private: bool = False, **_: Any) -> None:
        if not private:
            super().set_mode(*modes)
            return
        plain = []
        for m in modes:
            if m == DECCOLM:
                self._column_mode()
            if m in ALT_SCREEN_MODES:
                self._enter_alt(m)
            elif m not in _IGNORED_PRIVATE:
                if m in MOUSE_TRACKING:
                    self.mode.difference_update(t << 5 for t in MOUSE_TRACKING)
                plain.append(m)
        super().set_mode(*plain, private=True)

    def reset_mode(self, *modes: int, private: bool = False, **_: Any) -> None:
        if not private:
            super().reset_mode(*modes)
            return
        plain = []
        for m in modes:
            if m == DECCOLM:
                self._column_mode()
            if m in ALT_SCREEN_MODES:
                self._leave_alt(m)
            elif m in MOUSE_TRACKING:
                self.mode.difference_update(t << 5 for t in MOUSE_TRACKING)
            elif m not in _IGNORED_PRIVATE:
                plain.append(m)
        super().reset_mode(*plain, private=True)

    def _column_mode(self) -> None:
        """DECCOLM either way: the width stays, but the screen is cleared and the cursor homed."""
        self.erase_in_display(2)
        self.cursor_position()  # tmux keeps the scroll region, and origin mode counts

    def keypad_application(self) -> None:  # ESC =  (DECKPAM)
        self.application_keypad = True

    def keypad_numeric(self) -> None:  # ESC >  (DECKPNM)
        self.application_keypad = False

    def _swap_screens(self) -> None:
        self.buffer, self._other_buffer = self._other_buffer, self.buffer
        self.savepoints, self._other_savepoints = self._other_savepoints, self.savepoints
        self.dirty.update(range(self.lines))

    def _enter_alt(self, m: int) -> None:
        if self.alt_mode:
            return
        if m == 1049:
            self.save_cursor()
        self._swap_screens()
        # xterm keeps the alternate screen's cells across ?47 switches; tmux
        # (and most programs' expectations) start every alternate screen blank.
        self.buffer.clear()
        self.alt_mode = m

    def _leave_alt(self, m: int) -> None:
        if not self.alt_mode:
            return
        if m == 1047:
            self.buffer.clear()
        self._swap_screens()
        self.alt_mode = 0
        if m == 1049 and self.savepoints:
            self.restore_cursor()

    def soft_reset(self) -> None:
        """DECSTR (``CSI ! p``)."""
        self.mode.difference_update({mo.IRM, mo.DECOM, DECCKM})
        self.mode.add(mo.DECTCEM)
        self.cursor.hidden = False
        self.application_keypad = False
        self.margins = None
        self.select_graphic_rendition(0)
        self.savepoints = []

    # -- fixes to pyte behaviour --------------------------------------------

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

    def save_cursor(self) -> None:
        # One slot per screen, as in xterm: DECRC may restore it many times.
        super().save_cursor()
        del self.savepoints[:-1]

    def restore_cursor(self) -> None:
        hidden = self.cursor.hidden  # DECRC does not bring a hidden cursor back (tmux, xterm)
        self._restore_cursor()
        self.cursor.hidden = hidden

    def _restore_cursor(self) -> None:
        if not self.savepoints:
            super().restore_cursor()  # pyte: home, origin mode off
            return
        saved = self.savepoints[-1]
        super().restore_cursor()
        self.savepoints = [saved._replace(cursor=copy.copy(saved.cursor))]

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

    def resize(self, lines: int | None = None, columns: int | None = None) -> None:
        """Resize like a terminal: drop top lines only to keep the cursor on screen."""
        lines, columns = lines or self.lines, columns or self.columns
        if (lines, columns) == (self.lines, self.columns):
            return
        shift = max(0, self.cursor.y - (lines - 1))
        for buf in (self.buffer, self._other_buffer):
            rows = {y - shift: row for y, row in buf.items() if shift <= y < shift + lines}
            for row in rows.values():
                for x in [x for x in row if x >= columns]:
                    del row[x]
            buf.clear()
            buf.update(rows)
        self.lines, self.columns = lines, columns
        self.cursor.y -= shift
        self.cursor.x = min(self.cursor.x, columns - 1)
        self.margins = None
        self.tabstops = {t for t in self.tabstops if t < columns} | set(range(8, columns, 8))
        self.dirty.update(range(lines))

    def scroll_up(self, count: int | None = None) -> None:
        """SU: lines in the scroll region move up, blank lines come in below."""
        top, bottom = self.margins or Margins(0, self.lines - 1)
        n = min(count or 1, bottom - top + 1)
        for y in range(top, bottom + 1):
            if y + n <= bottom and y + n in self.buffer:
                self.buffer[y] = self.buffer[y + n]
            else:
                self.buffer.pop(y, None)
        self.dirty.update(range(top, bottom + 1))

    def scroll_down(self, count: int | None = None) -> None:
        """SD: lines in the scroll region move down, blank lines come in above."""
        top, bottom = self.margins or Margins(0, self.lines - 1)
        n = min(count or 1, bottom - top + 1)
        for y in range(bottom, top - 1, -1):
            if y - n >= top and y - n in self.buffer:
                self.buffer[y] = self.buffer[y - n]
            else:
                self.buffer.pop(y, None)
        self.dirty.update(range(top, bottom + 1))

    def index(self) -> None:
        """IND/LF: at the bottom of a full-height region the top line leaves."""
        top, bottom = self.margins or Margins(0, self.lines - 1)
        if (self.scrolled is not None and not self.alt_mode and top == 0
                and self.cursor.y == bottom):
            self.scrolled(self.buffer[0])
        super().index()

    # -- replies -----------------------------------------------------------

    def write_process_input(self, data: str) -> None:
        if self.replies is not None:
            self.replies(data.encode())

    def report_device_status(self, mode: int = 0, *args: Any, private: bool = False) -> None:
        if private:
            return  # ?6n (DECXCPR), ?996n (colour scheme), ...: no answer
        if mode == 5:
            self.write_process_input("\x1b[0n")
        elif mode == 6:
            y = self.cursor.y + 1
            if mo.DECOM in self.mode and self.margins is not None:
                y -= self.margins.top
            x = min(self.cursor.x, self.columns - 1) + 1  # pending wrap: last column
            self.write_process_input(f"\x1b[{y};{x}R")

    def report_device_attributes(self, mode: int = 0, *args: Any, private: bool = False,
                                 **_: Any) -> None:
        if mode == 0 and not private:
            self.write_process_input("\x1b[?62;22c")  # VT220 with ANSI colour

    def report_secondary_device_attributes(self, *args: int) -> None:
        if not args or args[0] == 0:
            self.write_process_input("\x1b[>1;10;0c")


def _tolerant(method: Callable[..., Any]) -> Callable[..., Any]:
    """Make a CSI handler ignore ``private=True`` and surplus parameters.

    pyte's own stream calls ``handler(*params, private=True)`` for any
    ``CSI ? ...``; most pyte handlers then raise (``CSI ?4m`` from vim 9).
    """
    sig = inspect.signature(method)
    kinds = [p.kind for p in sig.parameters.values()]
    takes_private = "private" in sig.parameters or inspect.Parameter.VAR_KEYWORD in kinds
    limit = None
    if inspect.Parameter.VAR_POSITIONAL not in kinds:
        limit = sum(k is inspect.Parameter.POSITIONAL_OR_KEYWORD for k in kinds) - 1

    @functools.wraps(method)
    def handler(self: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("private") and not takes_private:
            return None
        if not takes_private:
            kwargs.pop("private", None)
        return method(self, *(args if limit is None else args[:limit]), **kwargs)

    return handler


for _name in {*pyte.Stream.csi.values(), "scroll_up", "scroll_down"}:
    setattr(TerminalScreen, _name, _tolerant(getattr(TerminalScreen, _name)))


class ScreenModel:
    """A ``TerminalScreen`` fed with raw program output."""

    def __init__(
        self,
        rows: int = 24,
        cols: int = 80,
        replies: Replies | None = None,
        scrolled: Callable[[Any], None] | None = None,
    ) -> None:
        self.screen = TerminalScreen(cols, rows, replies, scrolled)
        self._parser = VTParser(self.screen)

    def feed(self, data: bytes) -> None:
        """Apply program output; ``data`` may end anywhere."""
        self._parser.feed(data)

    def resize(self, rows: int, cols: int) -> None:
        self.screen.resize(rows, cols)

    def reset_parser(self) -> None:
        """Forget an unfinished sequence: the next bytes do not follow the last ones."""
        self._parser.reset()

    def reset(self) -> None:
        """Back to a blank screen with default modes (a new program starts)."""
        self._parser.reset()
        self.screen.reset()

    @property
    def rows(self) -> int:
        return int(self.screen.lines)

    @property
    def cols(self) -> int:
        return int(self.screen.columns)

    @property
    def size(self) -> tuple[int, int]:
        """``(rows, cols)``."""
        return self.rows, self.cols
