"""Signals, taken one of two ways: as a readable fd, or as an unwind.

Does I/O (signal handlers, a pipe).  A loop that polls takes its signals
as a :class:`SignalFD`: each one arrives as a byte on a pipe
(``signal.set_wakeup_fd``), the loop wakes, and :meth:`SignalFD.drain`
says which came.  Code that must give something back when a signal ends
it -- the terminal, above all (STYLE habit 7) -- takes them as an
:class:`Unwind`: the signal becomes :class:`~sessmux.core.errors.Signalled`
raised in the main thread, so every ``finally`` and ``with`` on the way
out runs.  Both put back the handlers (and wakeup fd) they found.  The
master, the signaller, rezume and sessview take their signals here and
nowhere else.

Like :mod:`sessmux.system.unix`, it uses ``_signal``: the ``signal``
module's enums would cost every command milliseconds.

>>> import os
>>> with SignalFD(signal.SIGUSR1) as sigs:
...     os.kill(os.getpid(), signal.SIGUSR1)
...     sigs.drain() == {signal.SIGUSR1}, sigs.drain()
(True, set())
>>> with Unwind(signal.SIGUSR2):
...     try:
...         os.kill(os.getpid(), signal.SIGUSR2)
...     except Signalled as s:
...         s.sig == signal.SIGUSR2
True
"""

from __future__ import annotations

import os

from sessmux.core.errors import Signalled

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal
    from types import FrameType, TracebackType
else:  # the signal module's enums cost every command milliseconds
    import _signal as signal

__all__ = ["SignalFD", "Signalled", "Unwind", "ignore", "take_default"]


def _note(sig: int, frame: FrameType | None) -> None:
    """A handler that does nothing: the wakeup fd carries the signal."""


def _raise(sig: int, frame: FrameType | None) -> None:
    raise Signalled(sig)


class SignalFD:
    """``sigs`` as bytes on a pipe, for a poll or select loop (a context manager)."""

    def __init__(self, *sigs: int) -> None:
        self.sigs = sigs
        self.fd, self._w = os.pipe()
        for fd in (self.fd, self._w):
            os.set_blocking(fd, False)
        self._old = {sig: signal.signal(sig, _note) for sig in sigs}
        self._old_wakeup = signal.set_wakeup_fd(self._w)

    def fileno(self) -> int:
        return self.fd

    def drain(self) -> set[int]:
        """The signals that arrived since the last drain (each once)."""
        arrived: set[int] = set()
        while True:
            try:
                data = os.read(self.fd, 256)
            except BlockingIOError:
                return arrived
            arrived.update(data)
            if len(data) < 256:
                return arrived

    def close(self) -> None:
        """Put back the handlers and the wakeup fd found; close the pipe."""
        if self._w < 0:
            return
        signal.set_wakeup_fd(self._old_wakeup)
        for sig, handler in self._old.items():
            signal.signal(sig, handler)
        os.close(self.fd)
        os.close(self._w)
        self._w = -1

    def __enter__(self) -> SignalFD:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class Unwind:
    """``sigs`` raise :class:`Signalled` in the main thread while in the block."""

    def __init__(self, *sigs: int) -> None:
        self.sigs = sigs
        self._old = {sig: signal.getsignal(sig) for sig in sigs}  # (again on entry)

    def __enter__(self) -> Unwind:
        self._old = {sig: signal.signal(sig, _raise) for sig in self.sigs}
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)


def ignore(sigs: tuple[int, ...]) -> None:
    """Ignore ``sigs`` from now on (an :class:`Unwind` around it puts them back)."""
    for sig in sigs:
        signal.signal(sig, signal.SIG_IGN)


def take_default(sig: int) -> None:
    """Take ``sig`` as if unhandled -- stop, or die -- then put its handler back."""
    previous = signal.signal(sig, signal.SIG_DFL)
    try:
        os.kill(os.getpid(), sig)
    finally:
        signal.signal(sig, previous)
