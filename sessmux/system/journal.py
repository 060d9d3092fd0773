"""A session's journal on disk: its private directory, and reading it by offset.

Does I/O.  The journal of session ``NAME`` is ``DIR/.journal/NAME/`` in
the session directory ``DIR`` (``.journal`` is not a session name, so no
tool takes it for a socket): a directory of mode 0700 holding segment
files of mode 0600, named after the offset of their first byte
(``%016x.seg``), each a run of :mod:`sessmux.core.journal_format`
records.  Directories are opened one part at a time with ``O_NOFOLLOW``
and checked on the descriptor (ours, nobody else's way in), as
:mod:`sessmux.system.paths` does for the session directory: a journal is
never written or read through a link.

The writer is the master's (:mod:`sessmux.master.journal`); the
:class:`Reader` serves both the master (a reader whose offset left the
replay ring) and ``sesslog``.
"""

from __future__ import annotations

import os
import stat

from sessmux.core import journal_format as fmt
from sessmux.core.errors import UnsafeDirectory
from sessmux.core.names import check, is_valid

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

SUBDIR = ".journal"
SUFFIX = ".seg"
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC | os.O_NOFOLLOW


def _private(parent: int, name: str, create: bool, shown: str) -> int:
    """Directory ``name`` in ``parent``: made 0700 if asked; must be ours and 0700."""
    if create:
        try:
            os.mkdir(name, 0o700, dir_fd=parent)
        except FileExistsError:
            pass
    try:
        fd = os.open(name, _DIR, dir_fd=parent)
    except OSError as e:
        if e.errno in (40, 20):  # ELOOP, ENOTDIR: a link (or a file) where it should be
            raise UnsafeDirectory(shown, "it is not a directory of its own") from None
        raise
    st = os.fstat(fd)
    if st.st_uid != os.getuid() or stat.S_IMODE(st.st_mode) & 0o077:
        os.close(fd)
        raise UnsafeDirectory(shown, f"owned by uid {st.st_uid}, mode "
                              f"{stat.S_IMODE(st.st_mode):04o} (must be ours, 0700)")
    return fd


def open_dir(sessdir: str, name: str, create: bool = False) -> int:
    """The journal directory of session ``name`` (FileNotFoundError if it has none)."""
    check(name)
    top = os.open(sessdir, _DIR)
    try:
        mid = _private(top, SUBDIR, create, os.path.join(sessdir, SUBDIR))
    finally:
        os.close(top)
    try:
        return _private(mid, name, create, os.path.join(sessdir, SUBDIR, name))
    finally:
        os.close(mid)


def names(sessdir: str) -> list[str]:
    """Sessions that have a journal in ``sessdir`` (unsorted)."""
    try:
        fd = open_dir_top(sessdir)
    except (OSError, UnsafeDirectory):
        return []
    try:
        return [n for n in os.listdir(fd) if is_valid(n)]
    finally:
        os.close(fd)


def open_dir_top(sessdir: str) -> int:
    top = os.open(sessdir, _DIR)
    try:
        return _private(top, SUBDIR, False, os.path.join(sessdir, SUBDIR))
    finally:
        os.close(top)


def segments(fd: int) -> list[tuple[int, str]]:
    """The journal's segments, oldest first: (offset of their first byte, file name)."""
    found = []
    for entry in os.listdir(fd):
        stem, dot, ext = entry.partition(".")
        if dot and ext == SUFFIX[1:] and len(stem) == 16:
            try:
                found.append((int(stem, 16), entry))
            except ValueError:
                continue
    return sorted(found)


def remove(sessdir: str, name: str) -> None:
    """Delete session ``name``'s journal (its segments, then its directory)."""
    fd = open_dir(sessdir, name)
    try:
        for entry in os.listdir(fd):
            os.unlink(entry, dir_fd=fd)
    finally:
        os.close(fd)
    top = open_dir_top(sessdir)
    try:
        os.rmdir(name, dir_fd=top)
    finally:
        os.close(top)


class _Segment:
    """One segment file, open for reading."""

    def __init__(self, dir_fd: int, name: str) -> None:
        self.name = name
        self.fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
        self.size = os.fstat(self.fd).st_size

    def close(self) -> None:
        os.close(self.fd)

    def headers(self, pos: int = 0) -> Iterator[tuple[int, int, int, float, int]]:
        """(position, kind, offset, time, length) of each whole record from ``pos`` on."""
        while pos + fmt.HEADER.size <= self.size:
            head = os.pread(self.fd, fmt.HEADER.size, pos)
            if len(head) < fmt.HEADER.size:
                return
            kind, offset, when, length = fmt.HEADER.unpack(head)
            if length > fmt.MAX_DATA or pos + fmt.HEADER.size + length > self.size:
                return  # cut short: the segment ends here
            yield pos, kind, offset, when, length
            pos += fmt.HEADER.size + length

    def body(self, pos: int, length: int) -> bytes:
        return os.pread(self.fd, length, pos + fmt.HEADER.size)


class Reader:
    """Records and bytes of one journal, by absolute output offset."""

    def __init__(self, fd: int) -> None:
        self.fd = fd  # the journal's directory (the caller's to close)
        # Where the last read ended: a reader going forward scans on from there.
        self._at: tuple[str, int, int] = ("", 0, 0)  # (segment, file position, offset)

    def _open(self, name: str) -> _Segment | None:
        try:
            return _Segment(self.fd, name)
        except FileNotFoundError:
            return None  # dropped as the journal reached its bound

    def start(self) -> int | None:
        """Offset of the oldest byte kept (None: no segment)."""
        segs = segments(self.fd)
        return segs[0][0] if segs else None

    def size(self) -> int:
        total = 0
        for _, name in segments(self.fd):
            try:
                total += os.stat(name, dir_fd=self.fd).st_size
            except OSError:
                pass
        return total

    def records(self, since: int = 0) -> Iterator[tuple[int, int, float, bytes]]:
        """Every record (kind, offset, time, data) from the segment holding ``since`` on."""
        segs = segments(self.fd)
        first = max((i for i, (s, _) in enumerate(segs) if s <= since), default=0)
        for _, name in segs[first:]:
            seg = self._open(name)
            if seg is None:
                continue
            try:
                for pos, kind, offset, when, length in seg.headers():
                    if kind == fmt.OUTPUT and offset + length <= since:
                        continue
                    yield kind, offset, when, seg.body(pos, length)
            finally:
                seg.close()

    def end(self) -> int:
        """Offset just past the newest byte kept."""
        segs = segments(self.fd)
        if not segs:
            return 0
        end = segs[-1][0]
        seg = self._open(segs[-1][1])
        if seg is not None:
            try:
                for _, kind, offset, _, length in seg.headers():
                    if kind == fmt.OUTPUT:
                        end = offset + length
            finally:
                seg.close()
        return end

    def read(self, offset: int, limit: int) -> bytes | None:
        """Up to ``limit`` bytes of output from ``offset``; None if they are gone.

        b"" when the journal does not reach ``offset`` (yet).
        """
        segs = segments(self.fd)
        if not segs or offset < segs[0][0]:
            return None
        index = max(i for i, (s, _) in enumerate(segs) if s <= offset)
        out = bytearray()
        for _, name in segs[index:]:
            seg = self._open(name)
            if seg is None:
                return None if not out else bytes(out)
            pos = self._at[1] if self._at[0] == name and self._at[2] <= offset else 0
            try:
                for at, kind, start, _, length in seg.headers(pos):
                    if kind != fmt.OUTPUT or start + length <= offset + len(out):
                        continue
                    skip = offset + len(out) - start
                    if skip < 0:
                        return bytes(out) if out else None  # a gap: not kept
                    out += seg.body(at, length)[skip : skip + limit - len(out)]
                    self._at = (name, at, start)
                    if len(out) >= limit:
                        return bytes(out)
            finally:
                seg.close()
        return bytes(out)




def ended(sessdir: str, name: str) -> bool:
    """Whether session ``name``'s master is gone: its socket absent, or refusing."""
    from sessmux.system import unix

    path = os.path.join(sessdir, check(name))
    try:
        if not stat.S_ISSOCK(os.lstat(path).st_mode):
            return True
    except FileNotFoundError:
        return True
    probe = unix.Socket()
    try:
        probe.connect(path)
    except (ConnectionRefusedError, FileNotFoundError):
        return True
    except OSError:
        return False
    finally:
        probe.close()
    return False


def summary(sessdir: str, name: str) -> tuple[int, float | None]:
    """An ended session's journal: its size in bytes, and when it last had output."""
    fd = open_dir(sessdir, name)
    try:
        last: float | None = None
        reader = Reader(fd)
        segs = segments(fd)
        if segs:
            seg = reader._open(segs[-1][1])
            if seg is not None:
                try:
                    for _, _, _, when, _ in seg.headers():
                        last = when
                finally:
                    seg.close()
        return reader.size(), last
    finally:
        os.close(fd)
