"""Waiting for descriptors to be ready, with poll(2): no ceiling on their numbers.

Does I/O (it waits).  ``select()`` refuses a descriptor numbered 1024 or
more, which a process with many open files reaches; :func:`ready` has the
same answers without that limit.  A descriptor that hung up or failed
counts as ready both ways, as ``select()`` reports it: the read or write
that follows tells what happened.
"""

from __future__ import annotations

import select

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

_IN, _OUT = select.POLLIN, select.POLLOUT
_BAD = select.POLLERR | select.POLLHUP | select.POLLNVAL


def ready(read: Iterable[int] = (), write: Iterable[int] = (),
          timeout: float | None = None) -> tuple[list[int], list[int]]:
    """The descriptors of ``read`` and ``write`` that are ready, waiting at most ``timeout`` s.

    >>> import os
    >>> r, w = os.pipe()
    >>> ready([r], [w], 0) == ([], [w])  # nothing to read yet; room to write
    True
    >>> os.write(w, b"x"), ready([r], [], 0) == ([r], [])
    (1, True)
    """
    wanted: dict[int, int] = {}
    for fd in read:
        wanted[fd] = wanted.get(fd, 0) | _IN
    for fd in write:
        wanted[fd] = wanted.get(fd, 0) | _OUT
    poller = select.poll()
    for fd, events in wanted.items():
        poller.register(fd, events)
    ms = None if timeout is None else max(0, int(timeout * 1000 + 0.999))
    readable, writable = [], []
    for fd, ev in poller.poll(ms):
        if wanted[fd] & _IN and ev & (_IN | _BAD):
            readable.append(fd)
        if wanted[fd] & _OUT and ev & (_OUT | _BAD):
            writable.append(fd)
    return readable, writable
