"""Terminal helpers for the signaller: raw mode, window size, fd flags.

Does I/O on the fds it is given.  ``TerminalGuard`` is the one place that
changes a user's terminal, and it gives everything back on exit, whatever
the exit path (STYLE habit 7): tty modes and the ``O_NONBLOCK`` flag, which
lives on the open file description shared with the user's shell.
:data:`MODES_OFF` is what the signaller writes when a session's program
can no longer be trusted to have left the screen sane (``give_back``).
"""

from __future__ import annotations

import fcntl
import os
import struct
import termios
import time

from sessmux.system.ready import ready

_WINSZ = struct.Struct("HHHH")

#: Every mode a full-screen program may have left on, turned off, for a
#: signaller that ends without its master's goodbye (a signal, a fatal
#: error, a dead master).  Kept here, not taken from ``render.reset_sequence``:
#: render brings pyte, some 50 ms, into a process that is dying.  Turning
#: origin mode off and resetting the scroll region both home the cursor, and
#: DECRC would turn origin mode back on, so both are done out of sight: on
#: the alternate screen, entered with ``?1049h`` (which saves the main
#: screen's cursor, unless the program is there already and saved it) and
#: left with ``?1049l``, which brings back the main screen and that cursor.
#: The user's prompt comes back where it was.
MODES_OFF = (
    b"\x1b[?1049h\x1b[?6l\x1b[r\x1b[?1049l"  # origin mode, scroll region; main screen
    b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1005l\x1b[?1006l\x1b[?1015l"  # mouse
    b"\x1b[?1004l\x1b[?2004l\x1b[?1l\x1b>"  # focus, paste, cursor keys, keypad
    b"\x1b[0m\x1b[4l\x1b(B\x0f\x1b[?7h\x1b[?25h"  # attributes, insert, charset, wrap, cursor
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Any

    Attrs = list[Any]  # termios.tcgetattr's list: flags, speeds, control chars


def get_winsize(fd: int) -> tuple[int, int] | None:
    """(rows, cols) of the terminal on ``fd``, or None if it is not one."""
    try:
        rows, cols, _, _ = _WINSZ.unpack(fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
    except OSError:
        return None
    return (rows, cols) if rows and cols else None


def set_winsize(fd: int, rows: int, cols: int) -> None:
    """Set the window size of the terminal (or pty master) on ``fd``."""
    fcntl.ioctl(fd, termios.TIOCSWINSZ, _WINSZ.pack(rows, cols, 0, 0))


def make_raw(attrs: Attrs, keep_signals: bool = False) -> Attrs:
    """pty 4.0's "zero mode": no echo, no line editing, no signals, 8 bits."""
    new = list(attrs)
    iflag, oflag, cflag, lflag = (int(x) for x in new[:4])
    iflag &= ~(
        termios.IGNBRK | termios.BRKINT | termios.PARMRK | termios.ISTRIP
        | termios.INLCR | termios.IGNCR | termios.ICRNL | termios.IXON
    )
    oflag &= ~termios.OPOST
    cflag = (cflag & ~(termios.CSIZE | termios.PARENB)) | termios.CS8
    lflag &= ~(termios.ECHO | termios.ECHONL | termios.ICANON | termios.IEXTEN)
    if not keep_signals:
        lflag &= ~termios.ISIG
    new[:4] = [iflag, oflag, cflag, lflag]
    cc = list(new[6])
    cc[termios.VMIN] = 1
    cc[termios.VTIME] = 0
    new[6] = cc
    return new


class TerminalGuard:
    """Save a terminal's modes and fd flags; restore them on every exit path.

    ``raw()`` and ``restore()`` may be called repeatedly (job control).
    """

    def __init__(self, fds: tuple[int, ...], tty_fd: int | None) -> None:
        self.fds = fds
        self.tty_fd = tty_fd
        self.saved_attrs: Attrs | None = None
        self.keep_signals = False
        self.saved_flags = {fd: _getfl(fd) for fd in fds}
        if tty_fd is not None:
            try:
                self.saved_attrs = termios.tcgetattr(tty_fd)
            except termios.error:
                self.tty_fd = None

    def raw(self, keep_signals: bool | None = None) -> None:
        """Put the terminal in zero mode (again, after a stop: same signals as before)."""
        if keep_signals is not None:
            self.keep_signals = keep_signals
        if self.tty_fd is not None and self.saved_attrs is not None:
            # TCSADRAIN, not TCSAFLUSH: keys typed ahead belong to the session.
            raw = make_raw(self.saved_attrs, self.keep_signals)
            termios.tcsetattr(self.tty_fd, termios.TCSADRAIN, raw)

    def restore(self) -> None:
        """Give back the modes and flags saved at the start."""
        for fd, flags in self.saved_flags.items():
            if flags is not None and _getfl(fd) != flags:
                try:
                    fcntl.fcntl(fd, fcntl.F_SETFL, flags)
                except OSError:
                    pass
        if self.tty_fd is not None and self.saved_attrs is not None:
            try:
                termios.tcsetattr(self.tty_fd, termios.TCSADRAIN, self.saved_attrs)
            except termios.error:
                pass

    def __enter__(self) -> TerminalGuard:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.restore()


def _getfl(fd: int) -> int | None:
    try:
        return fcntl.fcntl(fd, fcntl.F_GETFL)
    except OSError:
        return None


def write_within(fd: int, data: bytes, limit: float) -> None:
    """Write ``data`` to ``fd``, giving up after ``limit`` seconds or on an error.

    For last words to a terminal that may not be reading (a stalled
    network, output stopped with ^S): a dying signaller must not hang on
    it.  The write goes through a description of its own, so the
    ``O_NONBLOCK`` it needs never reaches the user's shell.
    """
    try:
        out = reopen_private(fd, write=True)
    except OSError:
        return
    deadline = time.monotonic() + limit
    try:
        while data:
            try:
                data = data[os.write(out, data):]
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0 or not ready([], [out], left)[1]:
                    return
    except OSError:
        return
    finally:
        os.close(out)


def reopen_private(fd: int, write: bool) -> int:
    """A non-blocking descriptor for the same tty or pipe as ``fd``.

    ``O_NONBLOCK`` set on a passed fd would leak into the user's shell
    (it shares the open file description), so the master opens the object
    again through ``/proc`` and gets a description of its own.  Regular
    files never block and are used as they are; other objects fall back
    to the shared description (the signaller restores its flags).
    """
    mode = os.fstat(fd).st_mode
    import stat

    if stat.S_ISREG(mode):
        return os.dup(fd)
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        flags = (os.O_WRONLY if write else os.O_RDONLY) | os.O_NONBLOCK | os.O_NOCTTY
        try:
            return os.open(f"/proc/self/fd/{fd}", flags | os.O_CLOEXEC)
        except OSError:
            pass
    new = os.dup(fd)
    os.set_blocking(new, False)
    return new
