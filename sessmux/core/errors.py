"""Errors and exit codes shared by every sessmux command.

No I/O.  A command catches :class:`SessError` at its boundary, prints
``prog: level: message`` and returns :attr:`SessError.code`.  The codes
are pty 4.0's (``ptyerr.h``) so scripts written for it keep working.
"""

from __future__ import annotations

USAGE = 1  # bad option or arguments
TOOL = 2  # every error of disconnect, reconnect, sessname, sesslist, sesskill
NO_TTY = 2  # sess: cannot find controlling tty
DIRECTORY = 8  # session directory missing, unusable or unsafe
INTERNAL = 10  # cannot fork, create a pipe or a pty
COMMS = 11  # signaller having trouble talking to its master
ELSEWHERE = 16  # session already connected somewhere else
NO_SESSION = 17  # signaller cannot reach the session
RESOURCES = 12  # out of file descriptors, memory, disk space or inodes
CANNOT_RUN = 126  # sess, sessmux: the program is there but cannot be run (as sh)
NOT_FOUND = 127  # sess, sessmux: no such program (as sh)
TIMED_OUT = 124  # sesswait: the timeout passed first (as timeout(1))

# errno values that mean "out of descriptors or memory" (Linux), not "no such thing".
RESOURCE_ERRNOS = frozenset((24, 23, 105, 12))  # EMFILE, ENFILE, ENOBUFS, ENOMEM


class SessError(Exception):
    """A failure to report to the user as one line, with an exit code."""

    def __init__(self, message: str, code: int = TOOL, level: str = "fatal") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.level = level


class BadName(SessError):
    """A session name that is not a valid name (never turned into a path)."""

    def __init__(self, shown: str) -> None:
        # ``shown``: the name made safe to print (names.visible), by the caller.
        super().__init__(f"bad session name {shown}", TOOL)


class OptionName(BadName):
    """A session name that begins with ``-`` (``-rf``): it would read as options.

    A usage error (exit 1) in every tool, wherever the name comes from.
    """

    def __init__(self, shown: str) -> None:
        SessError.__init__(self, f"bad session name {shown}: it looks like an option", USAGE)


class OutOfResources(SessError):
    """The system ran out of something (descriptors, memory, disk space, inodes)."""

    def __init__(self, what: str) -> None:
        super().__init__(what, RESOURCES)


class WrongPeer(SessError):
    """The socket of a session is held by another user's process: never talk to it."""

    def __init__(self, name: str, uid: int) -> None:
        super().__init__(f"session {name} is served by uid {uid}, not by you; refused", TOOL)


class UnsafeDirectory(SessError):
    """The session directory is group/other accessible or not ours."""

    def __init__(self, path: str, why: str) -> None:
        super().__init__(f"unsafe permissions on session directory {path}: {why}", DIRECTORY)


class NoDirectory(SessError):
    """The session directory is not there (yet): a fresh account's listing is empty."""

    def __init__(self, path: str) -> None:
        super().__init__(f"cannot change to session directory {path}", DIRECTORY)


class NoSession(SessError):
    """Nothing answers at that session's socket."""

    def __init__(self, name: str) -> None:
        super().__init__(f"cannot find session {name}; if it exists, do you own it?", TOOL)
