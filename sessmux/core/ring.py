"""The replay buffer: the last N bytes of a session's output, by offset.

No I/O.  Every byte the program writes gets an absolute offset; the ring
keeps the newest ``capacity`` of them (DESIGN §4).  Chunks are kept as
they were read, so appending costs no copy; memory stays within
``capacity`` plus one chunk.

>>> r = Ring(8)
>>> r.append(b"hello "); r.append(b"world")
>>> r.end, r.start, r.since(6), r.since(0)
(11, 3, b'world', None)

The ring is the hot cache of the session's journal (its tail): given
``older``, a reader of output that has left the ring reads it there.

>>> r.older = lambda offset, limit: b"hello world"[offset : offset + limit]
>>> r.read(0, 100), r.read(6, 100)
(b'hel', b'world')
"""

from __future__ import annotations

from collections import deque

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


class Ring:
    """Output kept for replay, addressed by absolute offset."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(0, capacity)
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self.end = 0  # offset just past the newest byte
        # Where output that left the ring may still be read (the journal): (offset, limit).
        self.older: Callable[[int, int], bytes | None] | None = None

    @property
    def start(self) -> int:
        """Offset of the oldest byte still held."""
        return self.end - self._size

    def append(self, data: bytes) -> None:
        """Record ``data`` as the next bytes of output."""
        self.end += len(data)
        if self.capacity == 0:
            return
        if len(data) >= self.capacity:
            self._chunks.clear()
            self._chunks.append(data[-self.capacity :])
            self._size = self.capacity
            return
        self._chunks.append(data)
        self._size += len(data)
        while self._size - len(self._chunks[0]) >= self.capacity:
            self._size -= len(self._chunks.popleft())
        excess = self._size - self.capacity
        if excess > 0:
            self._chunks[0] = self._chunks[0][excess:]
            self._size -= excess

    def since(self, offset: int, limit: int | None = None) -> bytes | None:
        """The bytes after ``offset`` (at most ``limit``), or None if some are gone.

        Readers are usually close to the end, so the search for ``offset``
        starts from the newest chunk.
        """
        if offset >= self.end:
            return b""
        if offset < self.start:
            return None
        # Walk back from the newest chunk to the one holding ``offset``.
        index, chunk_start = len(self._chunks), self.end
        while chunk_start > offset:
            index -= 1
            chunk_start -= len(self._chunks[index])
        want = self.end - offset if limit is None else min(limit, self.end - offset)
        skip = offset - chunk_start
        first = self._chunks[index]
        if skip + want <= len(first):
            return first[skip : skip + want]
        out = bytearray(first[skip:])
        for i in range(index + 1, len(self._chunks)):
            out += self._chunks[i]
            if len(out) >= want:
                break
        return bytes(out[:want])

    def read(self, offset: int, limit: int) -> bytes | None:
        """As :meth:`since`, but what left the ring is read from ``older`` (up to the ring)."""
        if offset < self.start and self.older is not None:
            return self.older(offset, min(limit, self.start - offset)) or None
        return self.since(offset, limit)

    def tail(self) -> bytes:
        """Everything still held."""
        return b"".join(self._chunks)
