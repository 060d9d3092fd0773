"""Where sessions live: the per-user socket directory.

``candidate`` is pure; ``session_dir`` checks and creates the directory.
First usable of: an explicit directory, ``$SESSMUX_DIR``,
``$XDG_RUNTIME_DIR/sessmux``, ``${TMPDIR:-/tmp}/sessmux-UID`` (DESIGN §2).
The directory must be ours and mode 0700, as tmux and abduco insist, and
every directory on the way to it must be root's or ours (a sticky one,
like /tmp, may be open to all): the checks are made on directories
opened one part at a time (``openat`` with ``O_NOFOLLOW``), never on a
path that could be swapped between the check and its use.
"""

from __future__ import annotations

import errno
import os
import stat

from sessmux.core.errors import (
    DIRECTORY,
    RESOURCE_ERRNOS,
    RESOURCES,
    NoDirectory,
    OutOfResources,
    SessError,
    UnsafeDirectory,
)
from sessmux.core.names import check, is_valid

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


def candidate(env: Mapping[str, str], uid: int, explicit: str | None = None) -> str:
    """The session directory these settings point at (no checks)."""
    if explicit:
        return explicit
    if env.get("SESSMUX_DIR"):
        return env["SESSMUX_DIR"]
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime):
        return os.path.join(runtime, "sessmux")
    return os.path.join(env.get("TMPDIR") or "/tmp", f"sessmux-{uid}")


def verify(path: str, uid: int) -> None:
    """Refuse a directory that is not ours or that others can reach (by path; no symlink)."""
    fd = _open_dir(path, uid, create=False)
    os.close(fd)


def session_dir(
    env: Mapping[str, str] | None = None, explicit: str | None = None, create: bool = True
) -> str:
    """Return the checked session directory, creating it 0700 if asked."""
    env = os.environ if env is None else env
    uid = os.getuid()
    # Absolute: masters and the fork server leave the working directory.
    path = os.path.abspath(candidate(env, uid, explicit))
    os.close(_open_dir(path, uid, create))
    return path


def shared_dir(shared: str, user: str, create: bool = True) -> str:
    """atsr ``-g``: ``shared/user``, private, in a shared (sticky) directory.

    ``shared`` is made if missing and, when it is ours, set to 1777 -- on
    the directory opened, never by path, so that a symlink cannot turn
    somebody's private directory into a shared one.  It must belong to us
    or to root like every directory on the way to it: a parent that
    another user controls could swap our directory for theirs.
    """
    uid = os.getuid()
    shared = os.path.abspath(shared)
    parent = _open_path(os.path.dirname(shared), uid, shared)
    try:
        if create:
            try:
                os.mkdir(os.path.basename(shared), 0o700, dir_fd=parent)
            except FileExistsError:
                pass
    except OSError as e:
        os.close(parent)
        raise _cannot(f"cannot use shared directory {shared}", e) from None
    os.close(parent)
    top = _open_path(shared, uid, shared)
    try:
        st = os.fstat(top)
        if st.st_uid == uid and stat.S_IMODE(st.st_mode) != 0o1777:
            os.fchmod(top, 0o1777)  # ours to set up: sticky, for everyone
        path = os.path.join(shared, user)
        os.close(_open_private(top, path, uid, create))
    except OSError as e:
        raise _cannot(f"cannot use shared directory {shared}", e) from None
    finally:
        os.close(top)
    return path


def _open_dir(path: str, uid: int, create: bool) -> int:
    """The private directory ``path``, opened and checked (its parents too)."""
    parent = _open_path(os.path.dirname(path), uid, path, missing=not create)
    try:
        return _open_private(parent, path, uid, create)
    finally:
        os.close(parent)


def _open_private(parent: int, path: str, uid: int, create: bool) -> int:
    """``path``'s last part in directory ``parent``: a real directory, ours, 0700."""
    name = os.path.basename(path)
    try:
        if create:
            try:
                os.mkdir(name, 0o700, dir_fd=parent)
            except FileExistsError:
                pass
        st = os.stat(name, dir_fd=parent, follow_symlinks=False)
        if stat.S_ISLNK(st.st_mode):
            raise UnsafeDirectory(path, "it is a symbolic link")
        if not stat.S_ISDIR(st.st_mode):
            raise SessError(f"session directory {path} is not a directory", DIRECTORY)
        fd = os.open(name, _DIR | os.O_NOFOLLOW, dir_fd=parent)
    except FileNotFoundError:
        raise NoDirectory(path) from None
    except OSError as e:
        what = "create" if create else "change to"
        raise _cannot(f"cannot {what} session directory {path}", e) from None
    # The checks are on the directory opened, not on whatever the path names now.
    st = os.fstat(fd)
    why = ""
    if st.st_uid != uid:
        why = f"owned by uid {st.st_uid}, not {uid}"
    elif st.st_mode & 0o077:
        why = f"mode {stat.S_IMODE(st.st_mode):04o}, must be 0700"
    if why:
        os.close(fd)
        raise UnsafeDirectory(path, why)
    return fd


def _open_path(path: str, uid: int, target: str, missing: bool = False) -> int:
    """Open directory ``path`` one part at a time from ``/``, trusting only root and us.

    Every directory on the way must belong to root or to ``uid`` and must
    not be writable by others unless sticky (as /tmp is); a symbolic link
    on the way is followed only if root or ``uid`` made it, and what it
    points to is checked part by part the same way.  ``target`` is the
    directory being looked for, for messages.
    """
    parts = path.split("/")[::-1]  # a stack: the next part last
    fd = os.open("/", _DIR)
    here = "/"
    hops = 0
    try:
        while parts:
            part = parts.pop()
            if part in ("", "."):
                continue
            st = os.stat(part, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                hops += 1
                link = os.path.join(here, part)
                if st.st_uid not in (0, uid):
                    raise UnsafeDirectory(target, f"{link} is a symbolic link of uid {st.st_uid}")
                if hops > 40:
                    raise UnsafeDirectory(target, f"too many symbolic links at {link}")
                dest = os.readlink(part, dir_fd=fd)
                parts.extend(dest.split("/")[::-1])
                if dest.startswith("/"):
                    os.close(fd)
                    fd, here = os.open("/", _DIR), "/"
                continue
            inner = os.open(part, _DIR | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd, here = inner, os.path.normpath(os.path.join(here, part))
            st = os.fstat(fd)
            if st.st_uid not in (0, uid):
                raise UnsafeDirectory(target, f"{here} belongs to uid {st.st_uid}")
            if st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
                raise UnsafeDirectory(target, f"others may write in {here}")
    except SessError:
        os.close(fd)
        raise
    except OSError as e:
        os.close(fd)
        if isinstance(e, FileNotFoundError) and missing:
            raise NoDirectory(target) from None
        raise _cannot(f"cannot create session directory {target}", e) from None
    return fd


def _cannot(what: str, e: OSError) -> SessError:
    """``what``: the reason; running out of descriptors, space or inodes is its own code."""
    short = e.errno in (errno.EMFILE, errno.ENFILE, errno.ENOSPC, errno.EDQUOT, errno.ENOMEM)
    return SessError(f"{what}: {e.strerror}", RESOURCES if short else DIRECTORY)


def existing_dir(env: Mapping[str, str] | None = None, explicit: str | None = None) -> str | None:
    """The checked session directory, or None where there is none yet.

    A fresh account has no sessions and no directory for them: a listing
    then lists nothing, and makes no directory (starting a session does).
    Only a plain absence counts: a directory reached through somebody
    else's symbolic link is refused as :func:`session_dir` refuses it.
    """
    try:
        return session_dir(env, explicit, create=False)
    except NoDirectory:
        return None


def socket_path(directory: str, name: str) -> str:
    """The socket of session ``name``; the name is checked first."""
    return os.path.join(directory, check(name))


def session_names(directory: str) -> list[str]:
    """Names of the sockets in ``directory`` (unsorted, as a listing finds them)."""
    try:
        entries = os.listdir(directory)
    except OSError as e:
        if e.errno in RESOURCE_ERRNOS:
            raise OutOfResources(f"cannot read session directory: {e.strerror}") from None
        return []
    return [n for n in entries if is_valid(n)]
