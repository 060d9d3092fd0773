"""A session's own entry in the registry, kept by its master.

Does I/O (one file in the registry, replaced atomically).  The master
opens its entry once (:func:`open_entry`), then says each change of
state; every failure is swallowed: the registry never harms a session.
What the file holds and who may believe it: :mod:`sessmux.system.registry`.
"""

from __future__ import annotations

import os
import time

from sessmux.core import jsonframe
from sessmux.system import settings
from sessmux.system.registry import directory, prune, usable


class Entry:
    """A session's file in the registry; every method swallows every failure."""

    def __init__(self, folder: str | None, name: str, master_pid: int, created: float,
                 record_remote: bool = True) -> None:
        self.folder = folder
        self.name = name
        self.pid = master_pid
        self.created = created
        self.record_remote = record_remote
        self.base = f"{os.getuid()}.{name}.{master_pid}"

    def connected(self, remote: str) -> None:
        """A read-write connection from ``remote`` ("" when unknown)."""
        self._write("connected", remote if self.record_remote else "")

    def disconnected(self) -> None:
        """The read-write connection went away; the session lives on."""
        self._write("disconnected", "")

    def ended(self) -> None:
        """The session is over."""
        self._write("ended", "")

    def prune(self) -> None:
        """Remove this user's long-dead entries (the master does it once, when idle)."""
        if self.folder is None:
            return
        try:
            prune(self.folder, os.getuid(), time.time())
        except Exception:  # noqa: BLE001 - the registry must never harm a session
            pass

    def _write(self, state: str, remote: str) -> None:
        if self.folder is None:
            return
        try:
            data = jsonframe.dumps({
                "name": self.name, "pid": self.pid, "created": self.created,
                "state": state, "remote": remote[:256], "changed": time.time(),
            }).encode()
            _replace(self.folder, self.base, data)
        except Exception:  # noqa: BLE001 - the registry must never harm a session
            pass


def _replace(folder: str, base: str, data: bytes) -> None:
    """Write ``folder/base`` atomically (a private temporary file, then rename).

    The temporary name is random and made with ``O_EXCL``: a name that
    someone else made first (to keep this entry out) is passed over, not
    removed or written through.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    for _ in range(8):
        tmp = os.path.join(folder, f".{base}.{os.urandom(6).hex()}.tmp")
        try:
            fd = os.open(tmp, flags, 0o644)
            break
        except FileExistsError:
            continue
    else:
        raise FileExistsError(tmp)
    try:
        try:
            os.fchmod(fd, 0o644)
            os.write(fd, data)
        finally:
            os.close(fd)
        os.rename(tmp, os.path.join(folder, base))
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def open_entry(name: str, directory_: str, master_pid: int, created: float) -> Entry:
    """The entry of a new session (called once, in the master).

    ``directory_`` is the session directory (unused: the registry is
    system-wide).  pty 4.0: a session starts out disconnected.
    """
    try:
        conf = settings.load()
        folder: str | None = directory()
        if not conf.get("registry", True) or not usable(str(folder), create=True):
            folder = None
        entry = Entry(folder, name, master_pid, created, conf.get("where", True))
        entry.disconnected()
        return entry
    except Exception:  # noqa: BLE001 - the registry must never harm a session
        return Entry(None, name, master_pid, created)
