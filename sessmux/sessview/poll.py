"""Asking the masters how their sessions are, away from the view.

Does I/O: a worker thread queries every master (``client.statuses``, which
gives up on one that does not answer within its timeout) and reads
``/proc`` for each session's foreground command and size, then wakes the
main loop through a pipe.  So a stuck master can make the list late, but
never freezes the view; and when idle it asks once per interval, no more.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from sessmux.client import channel
from sessmux.sessview.info import foreground, session_size

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sessmux.core.control_protocol import Message

T = TypeVar("T")

INTERVAL = 1.0  # seconds between rounds: "a few times a second" at most
LIST_TIMEOUT = 0.5


class Snapshot:
    """One session as the last round saw it."""

    def __init__(self, status: Message, command: str | None, size: tuple[int, int] | None) -> None:
        self.status = status
        self.name = str(status["name"])
        self.command = command
        self.size = size  # (rows, cols), None once the program has gone


def survey(directory: str) -> list[Snapshot]:
    """Every session in ``directory``, by name."""
    found = []
    for st in channel.statuses(directory, timeout=LIST_TIMEOUT):
        slave = st.get("slave")
        if isinstance(slave, int) and st.get("exited") is None:
            found.append(Snapshot(st, foreground(slave), session_size(slave)))
        else:
            found.append(Snapshot(st, None, None))  # its program has gone
    return sorted(found, key=lambda s: s.name)


class Rounds(Generic[T]):
    """A daemon thread that calls ``ask`` every ``interval`` seconds and wakes the view.

    Each round's answer waits in :meth:`take`; a byte on ``wake_fd`` (``tag``)
    tells the view's loop.  A round that fails is ``failed(error)`` instead:
    retried next round, never fatal.
    """

    def __init__(self, ask: Callable[[], T], failed: Callable[[Exception], T], wake_fd: int,
                 tag: bytes, interval: float = INTERVAL, name: str = "sessview-poll") -> None:
        self.ask, self.failed = ask, failed
        self.wake_fd, self.tag = wake_fd, tag
        self.interval = interval
        self.lock = threading.Lock()
        self.latest: T | None = None
        self.asked = threading.Event()
        self.stopping = False
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def now(self) -> None:
        """Ask again at once (after a kill, a new session, a rename)."""
        self.asked.set()

    def stop(self) -> None:
        self.stopping = True
        self.asked.set()

    def take(self) -> T | None:
        """The newest answer not yet taken, or None."""
        with self.lock:
            latest, self.latest = self.latest, None
        return latest

    def _run(self) -> None:
        while not self.stopping:
            started = time.monotonic()
            try:
                answer = self.ask()
            except Exception as e:  # noqa: BLE001 -- a failed round is retried, never fatal
                answer = self.failed(e)
            with self.lock:
                self.latest = answer
            try:
                os.write(self.wake_fd, self.tag)
            except OSError:
                return  # the view has gone
            self.asked.wait(max(0.05, self.interval - (time.monotonic() - started)))
            self.asked.clear()


def poller(directory: str, wake_fd: int, interval: float = INTERVAL) -> Rounds[list[Snapshot]]:
    """The local sessions, surveyed every ``interval`` seconds."""
    return Rounds(lambda: survey(directory), lambda e: [], wake_fd, b"s", interval)
