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

from sessmux.client import channel
from sessmux.sessview.info import foreground, session_size

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sessmux.core.control_protocol import Message

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


class Poller:
    """A daemon thread surveying ``directory`` every ``interval`` seconds."""

    def __init__(self, directory: str, wake_fd: int, interval: float = INTERVAL) -> None:
        self.directory = directory
        self.wake_fd = wake_fd
        self.interval = interval
        self.lock = threading.Lock()
        self.latest: list[Snapshot] | None = None
        self.asked = threading.Event()
        self.stopping = False
        self.thread = threading.Thread(target=self._run, name="sessview-poll", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def now(self) -> None:
        """Survey again at once (after a kill, a new session, a rename)."""
        self.asked.set()

    def stop(self) -> None:
        self.stopping = True
        self.asked.set()

    def take(self) -> list[Snapshot] | None:
        """The newest survey not yet taken, or None."""
        with self.lock:
            latest, self.latest = self.latest, None
        return latest

    def _run(self) -> None:
        while not self.stopping:
            started = time.monotonic()
            try:
                snapshots = survey(self.directory)
            except Exception:  # noqa: BLE001 -- a failed round is retried, never fatal
                snapshots = []
            with self.lock:
                self.latest = snapshots
            try:
                os.write(self.wake_fd, b"s")
            except OSError:
                return  # the view has gone
            wait = self.interval - (time.monotonic() - started)
            self.asked.wait(max(0.05, wait))
            self.asked.clear()
