"""What every command shares: option parsing and the error contract.

Does I/O only to stderr.  A command is ``main(argv=None) -> int``; it
raises :class:`~sessmux.core.errors.SessError` for anything the user should
read, and :func:`run` turns that into one ``prog: level: message`` line
and the documented exit code — never a traceback (STYLE habit 6).
"""

from __future__ import annotations

import errno
import os
import sys

from sessmux.core import names
from sessmux.core.errors import INTERRUPTED, SessError
from sessmux.core.errors import Usage as Usage  # commands raise cli.Usage

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import NoReturn


Options = list[tuple[str, str]]


def parse(argv: Sequence[str], letters: str, usage: str) -> tuple[Options, list[str]]:
    """POSIX getopt: options stop at the first operand (``sess prog -x``).

    ``--help`` or ``--version`` first: print to stdout and exit 0.
    """
    if list(argv[:1]) == ["--help"]:
        print(usage)
        raise SystemExit(0)
    if list(argv[:1]) == ["--version"]:
        version(usage.split()[1])  # every usage text begins "usage: PROG"
    return getopt(argv, letters)


def version(prog: str) -> NoReturn:
    """``--version``: ``PROG (sessmux) VERSION`` on stdout, exit 0 (as coreutils)."""
    from sessmux import __version__

    print(f"{prog} (sessmux) {__version__}")
    raise SystemExit(0)


def getopt(
    argv: Sequence[str], letters: str, longs: Sequence[str] = ()
) -> tuple[Options, list[str]]:
    """``getopt.getopt``'s contract (the module drags gettext into every tool).

    ``letters`` as in getopt(3), ``b:`` taking an argument; ``longs`` as
    ``name`` or ``name=``, given as ``--name``, ``--name=value`` or
    ``--name value``, or any unique prefix of a name.  Options stop at the
    first operand or at ``--``.
    """
    args = list(argv)
    opts: Options = []
    while args and args[0].startswith("-") and args[0] != "-":
        arg = args.pop(0)
        if arg == "--":
            break
        if arg.startswith("--"):
            opts.append(_long(arg[2:], longs, args))
            continue
        i = 1
        while i < len(arg):
            letter = arg[i]
            at = letters.find(letter)
            if letter == ":" or at < 0:
                raise Usage(f"unrecognized option -{letter}")
            if letters[at + 1 : at + 2] != ":":
                opts.append(("-" + letter, ""))
                i += 1
                continue
            value = arg[i + 1 :]
            if not value:
                if not args:
                    raise Usage(f"option -{letter} requires an argument")
                value = args.pop(0)
            opts.append(("-" + letter, value))
            break
    return opts, args


def _long(text: str, longs: Sequence[str], args: list[str]) -> tuple[str, str]:
    name, eq, value = text.partition("=")
    matches = [n for n in longs if n.rstrip("=") == name]
    if not matches:
        matches = [n for n in longs if n.startswith(name)]
    if not matches:
        raise Usage(f"unrecognized option --{name}")
    if len(matches) > 1:
        raise Usage(f"option --{name} is ambiguous: " + ", ".join(
            "--" + n.rstrip("=") for n in matches))
    full = matches[0]
    if not full.endswith("="):
        if eq:
            raise Usage(f"option --{full} takes no argument")
        return "--" + full, ""
    if not eq:
        if not args:
            raise Usage(f"option --{full[:-1]} requires an argument")
        value = args.pop(0)
    return "--" + full[:-1], value


def run(prog: str, usage: str, body: Callable[[], int]) -> int:
    """Call ``body``; turn a SessError into pty 4.0's one-line message."""
    try:
        return body()
    except SessError as e:
        say(prog, e.level, e.message)
        if isinstance(e, Usage):
            sys.stderr.write(usage + "\n")
        return e.code
    except KeyboardInterrupt:
        return INTERRUPTED
    except BrokenPipeError:
        # A reader that went away (sesslist | head) is not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except (OSError, MemoryError) as e:
        # Out of descriptors, memory, disk space or inodes where no better
        # message was ready: still one line, never a traceback.
        return _failed(prog, e)


def _failed(prog: str, e: OSError | MemoryError) -> int:
    from sessmux.core.errors import INTERNAL, RESOURCES

    if isinstance(e, MemoryError):
        say(prog, "fatal", "out of memory")
        return RESOURCES
    short = e.errno in (errno.EMFILE, errno.ENFILE, errno.ENOSPC, errno.EDQUOT, errno.ENOMEM,
                        errno.ENOBUFS)
    where = f" ({e.filename})" if isinstance(e.filename, str) else ""
    say(prog, "fatal", f"{e.strerror or e}{where}")
    return RESOURCES if short else INTERNAL


def leave(code: int) -> NoReturn:
    """End the command with ``code`` now: what it wrote flushed, no interpreter teardown.

    Tearing down the modules of a command that is about to vanish costs a
    few milliseconds at every command; the launchers call this instead of
    ``sys.exit``.  Where something still has work to do at exit (an
    ``atexit`` handler, a thread that is not a daemon), it exits the
    ordinary way.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader gone, a stream closed: nothing left to say
            pass
    atexit = sys.modules.get("atexit")
    threading = sys.modules.get("threading")
    if (atexit is not None and atexit._ncallbacks()) or (threading is not None and any(
            not t.daemon for t in threading.enumerate() if t is not threading.main_thread())):
        sys.exit(code)
    os._exit(code)


def say(prog: str, level: str, message: str) -> None:
    """``prog: level: message`` on stderr: the one line a command says about itself."""
    if level == "silent":  # already said, in the signaller's own words
        return
    sys.stderr.write(f"{prog}: {level}: {message}\n")
    sys.stderr.flush()


def tool_dir() -> str:
    """The session directory, for a tool: any failure is pty 4.0's exit 2."""
    from sessmux.system import paths

    try:
        return paths.session_dir(create=False)
    except SessError as e:
        raise SessError(e.message) from None


def listing_dir() -> str | None:
    """As :func:`tool_dir`, but None where there is no directory yet.

    A listing in a fresh account lists nothing (and makes no directory).
    """
    from sessmux.system import paths

    try:
        return paths.existing_dir()
    except SessError as e:
        raise SessError(e.message) from None


def target(prog: str, given: str | None) -> str:
    """The session a tool acts on: ``-s name``, else ``$PTY`` (pty 4.0)."""
    name = given if given is not None else os.environ.get("PTY")
    if name is None:
        raise SessError("no -s specified, and PTY not set; are we under a session?")
    return names.check(name)
