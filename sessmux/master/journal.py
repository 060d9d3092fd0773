"""The master's journal writer: every chunk of output, stamped, appended to disk.

Does I/O.  Each chunk the master reads from the pty is one record
(:mod:`sessmux.core.journal_format`) appended to the newest segment file
(``O_APPEND``, mode 0600) in the session's private journal directory
(:mod:`sessmux.system.journal`).  Records are gathered and written
together: one ``write`` once :data:`BATCH` bytes are gathered, or
:data:`LINGER` seconds after the first of them (the master's loop wakes
for it, :meth:`Writer.due`), busy or idle.  A flood of small pty reads
(4 KiB each) so costs a system call per 64 KiB, not per read; a master
killed outright loses at most what it gathered in that last moment.  A
segment takes an eighth of the bound; when the segments together pass
the bound the oldest is deleted, so dropping old output costs one
``unlink``.  The
replay ring in memory stays a cache of the journal's tail.

A journal that cannot be written (a full disk, a quota, a removed
directory) is turned off with one log line; the session goes on.

Events (``event(kind, fields)``) are records of their own, in order with
the output; readers that do not know a kind skip it.
"""

from __future__ import annotations

import os
import time

from sessmux.core import journal_format as fmt
from sessmux.core import jsonframe
from sessmux.core.errors import SessError
from sessmux.system import journal as disk
from sessmux.system.ttyio import get_winsize

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from sessmux.master.loop import Master

MIN_SEGMENT = 1 << 16
BATCH = 1 << 16  # bytes of records gathered before they are written
LINGER = 0.05  # seconds a gathered record waits at most before it is written
_WRITE = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC


class Writer:
    """Appends one session's output to its journal, within ``bound`` bytes."""

    def __init__(self, sessdir: str, name: str, bound: int,
                 log: Callable[[str], None]) -> None:
        self.bound = bound
        self.log = log
        self.segment = max(MIN_SEGMENT, bound // 8)
        self.dir_fd = disk.open_dir(sessdir, name, create=True)
        # A session of the same name that ended before us left its journal: ours replaces it.
        for entry in os.listdir(self.dir_fd):
            os.unlink(entry, dir_fd=self.dir_fd)
        self.segs: list[tuple[str, int]] = []  # (file name, size), oldest first
        self.total = 0
        self.fd = -1
        self.on = True
        self.reader = disk.Reader(self.dir_fd)
        self.pending = bytearray()  # records not yet written, all for the newest segment
        self.since = 0.0  # monotonic time the oldest pending record was gathered

    def _open(self, offset: int) -> None:
        self.flush()
        if not self.on:
            return
        if self.fd >= 0:
            os.close(self.fd)
        name = f"{offset:016x}{disk.SUFFIX}"
        self.fd = os.open(name, _WRITE, 0o600, dir_fd=self.dir_fd)
        self.segs.append((name, 0))
        while self.total > self.bound - self.segment and len(self.segs) > 1:
            old, size = self.segs.pop(0)
            self.total -= size
            try:
                os.unlink(old, dir_fd=self.dir_fd)
            except FileNotFoundError:
                pass  # a user removed it: it is gone either way

    def _append(self, kind: int, offset: int, when: float, data: bytes) -> None:
        if not self.on:
            return
        size = fmt.HEADER.size + len(data)
        try:
            if self.fd < 0 or self.segs[-1][1] >= self.segment:
                self._open(offset)
        except OSError as e:
            self.off(f"journal cannot be written ({e.strerror or e}); journal off")
            return
        if not self.on:
            return
        if not self.pending:
            self.since = time.monotonic()
        self.pending += fmt.HEADER.pack(kind, offset, when, len(data))  # fmt.encode, one copy less
        self.pending += data
        name, written = self.segs[-1]
        self.segs[-1] = (name, written + size)
        self.total += size
        if len(self.pending) >= BATCH:
            self.flush()

    def due(self) -> float | None:
        """When the gathered records must be written at the latest (None: nothing gathered)."""
        return self.since + LINGER if self.pending else None

    def flush(self) -> None:
        """Write what was gathered (the loop calls this when it is due; readers before reading)."""
        if not self.pending or self.fd < 0:
            return
        try:
            while self.pending:
                n = os.write(self.fd, self.pending)
                if n <= 0:
                    raise OSError(28, "short write (disk full?)")
                del self.pending[:n]
        except OSError as e:
            self.off(f"journal cannot be written ({e.strerror or e}); journal off")

    def output(self, offset: int, when: float, data: bytes) -> None:
        """The program's output from ``offset`` on, read at ``when``."""
        self._append(fmt.OUTPUT, offset, when, data)

    def event(self, kind: str, fields: dict[str, object], offset: int, when: float) -> None:
        """Something that happened at output ``offset``: a bell, a prompt, the end."""
        body = jsonframe.dumps({"kind": kind, **fields}).encode()
        self._append(fmt.EVENT, offset, when, body)

    def read(self, offset: int, limit: int) -> bytes | None:
        """Output kept on disk (for readers the ring no longer serves)."""
        if not self.on:
            return None
        self.flush()
        try:
            return self.reader.read(offset, limit)
        except OSError:
            return None

    def start(self) -> int | None:
        """The oldest offset the journal can still give (None: none)."""
        if not self.on or not self.segs:
            return None
        start = int(self.segs[0][0].split(".")[0], 16)
        return start

    def off(self, why: str) -> None:
        """Turn the journal off for good, saying so once."""
        self.pending.clear()
        if self.on:
            self.on = False
            self.log(why)
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def close(self) -> None:
        self.flush()
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        os.close(self.dir_fd)


def prepare(directory: str, name: str, bound: int,
            keep_days: str = "") -> tuple[Writer | None, str]:
    """The journal of a new session (``bound`` bytes at most; 0: none), or why there is none.

    Made before the master says it is ready, so that a tool that finds the
    session finds its journal too.  ``keep_days`` (``SESSMUX_JOURNAL_KEEP``
    in the session's environment): the journals of ended sessions that
    have not been written for longer are removed first.
    """
    if keep_days:
        try:
            prune(directory, float(keep_days) * 86400, exclude=name)
        except (OSError, SessError, ValueError):
            pass  # a journal that cannot be pruned is kept: never a reason to fail
    if bound <= 0:
        return None, ""
    try:
        return Writer(directory, name, bound, lambda text: None), ""
    except (OSError, SessError) as e:
        return None, f"no journal: {getattr(e, 'strerror', None) or e}"


def prune(directory: str, age: float, exclude: str) -> None:
    """Remove the journals of ended sessions last written more than ``age`` seconds ago."""
    if not age >= 0:
        raise ValueError("not an age")
    now = time.time()
    for other in disk.names(directory):
        if other == exclude or not disk.ended(directory, other):
            continue
        fd = disk.open_dir(directory, other)
        try:
            newest = max((os.stat(seg, dir_fd=fd).st_mtime for _, seg in disk.segments(fd)),
                         default=os.fstat(fd).st_mtime)
        finally:
            os.close(fd)
        if now - newest > age:
            disk.remove(directory, other)


def adopt(master: Master, writer: Writer | None, why: str) -> None:
    """Give ``master`` its journal: the ring reads what it lost from it."""
    if why:
        master.log(why)
    if writer is None:
        return
    writer.log = master.log
    master.journal = writer
    master.ring.older = writer.read
    rows, cols = get_winsize(master.pty_fd) or (24, 80)
    writer.event("size", {"rows": rows, "cols": cols}, master.ring.end, time.time())
