"""urwid's screen, keeping the keys typed before sessview's first picture.

Does I/O on the terminal.  urwid's screen switches the terminal to cbreak
mode with ``TCSAFLUSH``, which throws away whatever the user typed while
sessview was starting: an Enter typed as the list appears was lost, and
only the second one attached.  Keys typed ahead belong to the program
they were typed for (:mod:`sessmux.system.ttyio` keeps them for a
session the same way), so the first start here takes them first: cbreak
mode without a flush, every byte waiting read, and urwid's own start
after.  The application hands them in (:meth:`Screen.typed_ahead`) once
the list they were meant for is shown.  Later starts (back from a session)
flush as urwid does: keys typed at a session's end were the session's.
"""

from __future__ import annotations

import fcntl
import os
import struct
import termios
from typing import Any

import urwid

LIMIT = 4096  # bytes of typed-ahead keys kept at most


def take_pending(fd: int) -> bytes:
    """Put the terminal ``fd`` in cbreak mode without a flush; the bytes it holds.

    In canonical mode a read gives whole lines only: cbreak first, so a
    key without its Enter is read too.  Nothing here ever blocks.
    """
    try:
        mode = termios.tcgetattr(fd)
        cbreak = list(mode)
        cbreak[3] &= ~(termios.ICANON | termios.ECHO)
        cc = list(cbreak[6])
        cc[termios.VMIN], cc[termios.VTIME] = 1, 0
        cbreak[6] = cc
        termios.tcsetattr(fd, termios.TCSANOW, cbreak)
        waiting = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0]
    except (OSError, termios.error):
        return b""
    if waiting <= 0:
        return b""
    blocking = os.get_blocking(fd)
    try:
        os.set_blocking(fd, False)
        return os.read(fd, min(waiting, LIMIT))
    except OSError:
        return b""
    finally:
        os.set_blocking(fd, blocking)


class Screen(urwid.display.raw.Screen):
    """urwid's raw screen whose first start keeps the keys typed ahead."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ahead: bytes | None = None  # None: not started yet

    def _start(self, *args: Any, **kwargs: Any) -> None:
        if self._ahead is not None:
            super()._start(*args, **kwargs)
            return
        fd = self._input_fileno()
        if fd is None or not os.isatty(fd):
            self._ahead = b""
            super()._start(*args, **kwargs)
            return
        original = termios.tcgetattr(fd)
        self._ahead = take_pending(fd)
        try:
            super()._start(*args, **kwargs)
        except BaseException:
            termios.tcsetattr(fd, termios.TCSANOW, original)  # not left in our cbreak mode
            raise
        self._old_termios_settings = original  # what urwid's stop gives back, not our cbreak

    def typed_ahead(self) -> list[Any]:
        """The keys typed before the first start, decoded as urwid's (once; then [])."""
        ahead, self._ahead = self._ahead or b"", b""
        if not ahead:
            return []
        keys, _raw = self.parse_input(None, None, list(ahead), wait_for_more=False)
        return [key for key in keys if isinstance(key, str)]
