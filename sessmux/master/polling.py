"""The master's poll set: which descriptors it waits on, and for what.

Does I/O (``select.poll``).  The loop says each turn what every
descriptor should wait for; :class:`Poller` remembers what each is
registered for, so saying it again costs no system call, and a
descriptor that wants nothing is taken out of the set.
"""

from __future__ import annotations

import select

IN, OUT = select.POLLIN, select.POLLOUT
ERR = select.POLLERR | select.POLLHUP | select.POLLNVAL


class Poller:
    """``select.poll`` with what each descriptor is registered for."""

    def __init__(self) -> None:
        self.poll = select.poll()
        self.registered: dict[int, int] = {}

    def want(self, fd: int, events: int) -> None:
        """Wait on ``fd`` for ``events`` (none: not at all)."""
        if fd < 0:
            return
        old = self.registered.get(fd)
        if old == events:
            return
        if events == 0:
            if old is not None:
                self.poll.unregister(fd)
                del self.registered[fd]
            return
        if old is None:
            self.poll.register(fd, events)
        else:
            self.poll.modify(fd, events)
        self.registered[fd] = events

    def forget(self, fd: int) -> None:
        """``fd`` is closing: out of the set."""
        if fd in self.registered:
            self.poll.unregister(fd)
            del self.registered[fd]
