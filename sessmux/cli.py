"""What every command shares: option parsing and the error contract.

Does I/O only to stderr.  A command is ``main(argv=None) -> int``; it
raises :class:`~sessmux.errors.SessError` for anything the user should
read, and :func:`run` turns that into one ``prog: level: message`` line
and the documented exit code — never a traceback (STYLE habit 6).
"""

from __future__ import annotations

import getopt
import os
import sys
from collections.abc import Callable, Sequence

from sessmux import names
from sessmux.errors import USAGE, SessError


class Usage(SessError):
    """Bad options or arguments: the usage text and exit 1."""

    def __init__(self, message: str) -> None:
        super().__init__(message, USAGE)


def parse(
    argv: Sequence[str], letters: str, usage: str
) -> tuple[list[tuple[str, str]], list[str]]:
    """POSIX getopt: options stop at the first operand (``sess prog -x``)."""
    if list(argv[:1]) == ["--help"]:
        print(usage)
        raise SystemExit(0)
    try:
        return getopt.getopt(list(argv), letters)
    except getopt.GetoptError as e:
        if e.msg.startswith("option -") and "requires" in e.msg:
            raise Usage(f"option -{e.opt} requires an argument") from None
        raise Usage(f"unrecognized option -{e.opt}") from None


def run(prog: str, usage: str, body: Callable[[], int]) -> int:
    """Call ``body``; turn a SessError into pty 4.0's one-line message."""
    try:
        return body()
    except SessError as e:
        _say(prog, e.level, e.message)
        if isinstance(e, Usage):
            sys.stderr.write(usage + "\n")
        return e.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # A reader that went away (sesslist | head) is not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _say(prog: str, level: str, message: str) -> None:
    if level == "silent":  # already said, in the signaller's own words
        return
    sys.stderr.write(f"{prog}: {level}: {message}\n")
    sys.stderr.flush()


def tool_dir() -> str:
    """The session directory, for a tool: any failure is pty 4.0's exit 2."""
    from sessmux import paths

    try:
        return paths.session_dir(create=False)
    except SessError as e:
        raise SessError(e.message) from None


def target(prog: str, given: str | None) -> str:
    """The session a tool acts on: ``-s name``, else ``$PTY`` (pty 4.0)."""
    name = given if given is not None else os.environ.get("PTY")
    if name is None:
        raise SessError("no -s specified, and PTY not set; are we under a session?")
    return names.check(name)
