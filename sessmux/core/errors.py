"""Every exception and exit code of sessmux, in one place.

No I/O.  A command raises :class:`SessError` (or a subclass); its
boundary (:func:`sessmux.commands.cli.run`) prints ``prog: level: message``
once and returns :attr:`SessError.code`.  The codes are pty 4.0's
(``ptyerr.h``) so scripts written for it keep working; each command's man
page lists those it returns (EXIT STATUS).  No other module spells an exit
code as a number, or defines an exception: the protocol modules re-export
theirs from here (tests/unit/test_contract.py checks).
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
NO_NAMES = 5  # sess, sessmux: every short session name is taken
INTERRUPTED = 130  # any command: ^C (128 + SIGINT, as sh)
SIGNALLED = 128  # plus the signal's number: ended by that signal (as sh)
LEFT = 255  # rezume: quit (~.) or gave up; the session goes on running on the host
RESUME = 2  # rezume: a resume protocol error, or the host reported one
SSH_FAILED = 255  # ssh's own status when ssh itself fails (not the remote command)

TIMED_OUT = 124  # sesswait: the timeout passed first (as timeout(1))

# errno values that mean "out of descriptors or memory" (Linux), not "no such thing".
RESOURCE_ERRNOS = frozenset((24, 23, 105, 12))  # EMFILE, ENFILE, ENOBUFS, ENOMEM


def by_signal(sig: int) -> int:
    """The exit status of a process ended by signal ``sig`` (128 + N, as sh)."""
    return SIGNALLED + sig


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


class Usage(SessError):
    """Bad options or arguments: the one-line message, the usage text, and exit 1."""

    def __init__(self, message: str) -> None:
        super().__init__(message, USAGE)


class Quit(SessError):
    """rezume ends without the session's status: quit (~.), gave up, or refused.

    ``code``: :data:`LEFT` (the session goes on), :data:`RESUME`, or the
    remote command's own status when it failed before the protocol began.
    """

    def __init__(self, code: int, message: str, level: str = "fatal") -> None:
        super().__init__(message, code, level)


# -- internal control flow: caught inside sessmux, never shown as they are -------


class BadHosts(ValueError):
    """A hosts file line that is not a destination with ssh options (core.hostlist)."""


class BadListing(ValueError):
    """A host's answer that is not a listing: the reason, safe to print (core.hostlist)."""


class Signalled(Exception):
    """A signal that ends us, raised where we were (sessmux.system.signals.Unwind).

    Not a SessError: nothing is said; each command gives back what it holds,
    then ends as the signal would have ended it (status ``128 + sig``).
    """

    def __init__(self, sig: int) -> None:
        super().__init__(sig)
        self.sig = sig
class ProtocolError(Exception):
    """A control frame or request that breaks the protocol: close that connection.

    Raised by :mod:`sessmux.core.control_protocol` (which re-exports it).
    """


class ResumeError(Exception):
    """A malformed resume frame or a broken promise (a gap in a stream).

    Raised by :mod:`sessmux.core.resume_protocol` (which re-exports it).
    """
