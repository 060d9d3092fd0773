"""Where sessions live: the per-user socket directory.

``candidate`` is pure; ``session_dir`` checks and creates the directory.
First usable of: an explicit directory, ``$SESSMUX_DIR``,
``$XDG_RUNTIME_DIR/sessmux``, ``${TMPDIR:-/tmp}/sessmux-UID`` (DESIGN §2).
The directory must be ours and mode 0700, as tmux and abduco insist.
"""

from __future__ import annotations

import os
import stat

from sessmux.errors import DIRECTORY, SessError, UnsafeDirectory
from sessmux.names import check

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


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
    """Refuse a directory that is not ours or that others can reach."""
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise SessError(f"session directory {path} is not a directory", DIRECTORY)
    if st.st_uid != uid:
        raise UnsafeDirectory(path, f"owned by uid {st.st_uid}, not {uid}")
    if st.st_mode & 0o077:
        raise UnsafeDirectory(path, f"mode {stat.S_IMODE(st.st_mode):04o}, must be 0700")


def session_dir(
    env: Mapping[str, str] | None = None, explicit: str | None = None, create: bool = True
) -> str:
    """Return the checked session directory, creating it 0700 if asked."""
    env = os.environ if env is None else env
    uid = os.getuid()
    # Absolute: masters and the fork server leave the working directory.
    path = os.path.abspath(candidate(env, uid, explicit))
    if create:
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        except OSError as e:
            raise SessError(
                f"cannot create session directory {path}: {e.strerror}", DIRECTORY
            ) from None
    try:
        verify(path, uid)
    except FileNotFoundError:
        raise SessError(f"cannot change to session directory {path}", DIRECTORY) from None
    return path


def exists(env: Mapping[str, str] | None = None, explicit: str | None = None) -> bool:
    """Whether there is a session directory (checked or not) to look in.

    A fresh account has no sessions and no directory for them: a listing
    then lists nothing, and makes no directory (starting a session does).
    """
    env = os.environ if env is None else env
    return os.path.lexists(os.path.abspath(candidate(env, os.getuid(), explicit)))


def socket_path(directory: str, name: str) -> str:
    """The socket of session ``name``; the name is checked first."""
    return os.path.join(directory, check(name))
