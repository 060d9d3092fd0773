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
It stays over 300 lines: the modes, the alternate screen, the cursor
fixes and the replies all work on one screen's buffers, cursor and saved
state; the corrections that stand alone are :mod:`sessmux.core.tmuxlike`.

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
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pyte
from pyte import charsets as cs
from pyte import modes as mo
from pyte.screens import Margins, StaticDefaultDict

from sessmux.core.tmuxlike import DEC_GRAPHICS, MAX_MARKS, Cell, TmuxLike
from sessmux.core.vtparse import VTParser

__all__ = ["ALT_SCREEN_MODES", "BRACKETED_PASTE", "DECCKM", "DECCOLM", "DEC_GRAPHICS",
           "FOCUS_EVENTS", "INPUT_MODES", "MAX_MARKS", "MOUSE_ENCODINGS", "MOUSE_TRACKING",
           "Cell", "ScreenModel", "TerminalScreen"]

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
class TerminalScreen(TmuxLike):
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
