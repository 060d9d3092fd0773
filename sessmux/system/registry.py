"""The system-wide record of sessions, read by sesswho and sesswhere.

Does I/O (files, /proc).  The registry is one shared directory (default
``/tmp/sessmux-registry``, mode 1777 like /tmp; ``$SESSMUX_REGISTRY``
elsewhere), created by whoever comes first.  Each master keeps one file
there, ``UID.NAME.MASTERPID``, replaced atomically on every change and
holding JSON: name, master pid, created, state (connected, disconnected,
ended), remote, changed.  It plays pty 4.0's sesslog and scnow files.

Trust: anyone can write a file there, so nothing in it says who owns a
session.  The owner is the file's owner as the kernel reports it; a file
whose name claims another uid, or whose contents disagree with its name,
is not believed and not listed.  A master pid that is dead, or that
belongs to somebody else, makes the entry an ended one.

A master keeps its entry with :mod:`sessmux.system.registry_entry`, and
never harms a session doing so.  Ended entries are kept for :data:`KEEP`
seconds so ``-l`` can show them, then removed (:func:`prune`) by their
owner's next master.  Here are the readers' side and the rules both keep.
"""

from __future__ import annotations

import os
import stat

from sessmux.core import jsonframe
from sessmux.core.names import is_valid

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT = "/tmp/sessmux-registry"
KEEP = 24 * 3600  # seconds an ended entry stays readable
MAX_ENTRY = 4096  # bytes: a bigger file is not an entry
MAX_FILES = 10000  # entries looked at per user, so a flood cannot stall a listing
STATES = ("connected", "disconnected", "ended")


def directory(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return env.get("SESSMUX_REGISTRY") or DEFAULT


def usable(path: str, create: bool) -> bool:
    """A real directory (never a symlink), sticky if others may write in it."""
    if create:
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        except OSError:
            return False
        else:
            try:  # after mkdir (the umask would strip it), on what was made, not by path
                fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
            except OSError:
                return False
            try:
                if os.fstat(fd).st_uid == os.getuid():
                    os.fchmod(fd, 0o1777)
            except OSError:
                return False
            finally:
                os.close(fd)
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        return False
    return not (st.st_mode & 0o002 and not st.st_mode & stat.S_ISVTX)


def prune(folder: str, uid: int, now: float) -> None:
    """Remove this user's entries that ended (or whose master died) over a day ago."""
    for base in _entry_names(folder).get(uid, []):
        path = os.path.join(folder, base)
        rec = read_entry(folder, base)
        if rec is None or rec.owner != uid:
            continue
        over = rec.state == "ended" or not master_alive(rec)
        if over and (rec.changed is None or now - rec.changed > KEEP):
            try:
                os.unlink(path)
            except OSError:
                pass


# -- the readers' side --------------------------------------------------------


class Record:
    """One session as the registry shows it; ``owner`` is the kernel's.

    ``created`` and ``changed`` are None where the file held something
    that is not a time (shown as ``?``): entries are other users' words.
    (A plain class: a dataclass or NamedTuple would cost the master
    milliseconds of start-up for nothing.)
    """

    __slots__ = ("name", "owner", "pid", "created", "state", "remote", "changed")

    def __init__(self, name: str, owner: int, pid: int, created: float | None, state: str,
                 remote: str, changed: float | None) -> None:
        self.name, self.owner, self.pid, self.created = name, owner, pid, created
        self.state, self.remote, self.changed = state, remote, changed

    def __repr__(self) -> str:
        return f"Record({self.name!r}, uid {self.owner}, pid {self.pid}, {self.state})"


def _split(base: str) -> tuple[int, str, int] | None:
    """``UID.NAME.PID`` → its parts, or None for any other name."""
    head, _, rest = base.partition(".")
    name, _, pid_text = rest.rpartition(".")
    if not (head.isascii() and head.isdigit() and pid_text.isascii() and pid_text.isdigit()
            and len(head) < 12 and len(pid_text) < 12 and is_valid(name)):
        return None
    return int(head), name, int(pid_text)


def _entry_names(folder: str) -> dict[int, list[str]]:
    """The names that could be entries, by their files' owners, at most MAX_FILES each.

    Only a file its claimed uid owns counts (:func:`read_entry`), and the
    share is the owner's as the kernel says: a flood of files, under any
    names, fills only its maker's share, and hides nobody else's sessions.
    """
    by_uid: dict[int, list[str]] = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            parts = _split(entry.name)
            if parts is None:
                continue
            try:
                owner = entry.stat(follow_symlinks=False).st_uid
            except OSError:
                continue
            if owner == parts[0]:
                by_uid.setdefault(owner, []).append(entry.name)
    return {uid: sorted(bases)[:MAX_FILES] for uid, bases in by_uid.items()}


def _time(value: object) -> float | None:
    """A time from an entry, or None for anything that is not a plausible one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        when = float(value)
    except OverflowError:
        return None
    return when if 0 <= when < 1 << 36 else None  # finite, and before the year 4000


def read_entry(folder: str, base: str) -> Record | None:
    """The record in ``folder/base``, or None if it is not a believable entry."""
    parts = _split(base)
    if parts is None:
        return None
    uid, name, pid = parts
    try:
        fd = os.open(os.path.join(folder, base), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != uid:
            return None  # named for another user: forged
        raw = os.read(fd, MAX_ENTRY + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        data = jsonframe.loads(raw.decode("utf-8")) if len(raw) <= MAX_ENTRY else None
        if not isinstance(data, dict) or data.get("name") != name:
            return None
        state = data.get("state")
        if data.get("pid") != pid or not isinstance(state, str) or state not in STATES:
            return None
        remote = data.get("remote")
        return Record(name, st.st_uid, pid, _time(data.get("created")), state,
                      remote if isinstance(remote, str) else "?" if remote else "",
                      _time(data.get("changed")))
    except (ValueError, TypeError, KeyError, RecursionError, MemoryError):
        return None


def master_alive(rec: Record) -> bool:
    """Whether ``rec``'s master still runs: same pid, same owner, old enough."""
    try:
        with open(f"/proc/{rec.pid}/status", encoding="ascii", errors="replace") as f:
            status = dict(ln.partition(":")[::2] for ln in f)
        started = _start_time(rec.pid)
    except OSError:
        return False
    uids = status.get("Uid", "").split()
    if status.get("State", "Z").split()[0] in ("Z", "X"):
        return False  # dead, not yet reaped
    if not uids or int(uids[0]) != rec.owner:
        return False  # a reused pid, or a claim on somebody else's process
    return started is None or rec.created is None or started <= rec.created + 5


def _start_time(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch), from /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rpartition(b")")[2].split()
        with open("/proc/stat", "rb") as f:
            btime = next(int(ln.split()[1]) for ln in f if ln.startswith(b"btime"))
        return btime + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, StopIteration, IndexError, ValueError):
        return None


def read_all(folder: str) -> list[Record]:
    """Every believable entry, with dead masters' entries shown as ended.

    Raises OSError when the registry exists but cannot be read or is not a
    safe directory; a registry that does not exist yet is empty.
    """
    if not os.path.lexists(folder):
        return []
    if not usable(folder, create=False):
        raise OSError(f"{folder} is not a safe directory")
    found = []
    for bases in _entry_names(folder).values():
        for base in bases:
            rec = read_entry(folder, base)
            if rec is None:
                continue
            if rec.state != "ended" and not master_alive(rec):
                rec.state, rec.remote = "ended", ""
            found.append(rec)
    return found
