"""sessmux's options (AccuTerm atsr's), read into values.

Little I/O: the environment, the password database, the session
directory (:func:`socket_dir` makes it) and the diagnostics file.  Each
reader turns one option into what the command uses, or refuses it in one
line (:class:`~sessmux.commands.cli.Usage`, or the error's own code); the
detach key's reader is sessview's too.
"""

from __future__ import annotations

import errno
import os
import pwd
import sys
import time

from sessmux.client.signaller import remote_of
from sessmux.commands import cli
from sessmux.core import names
from sessmux.core.errors import RESOURCES, SessError
from sessmux.system import paths

DEFAULT_HOLD = 300.0  # seconds: a few minutes of a network outage


class Diagnostics:
    """atsr's -d LEVEL and -o FILE: ``sessmux: ...`` lines up to that level."""

    def __init__(self, level: int, path: str | None) -> None:
        self.level, self.path = level, path

    def __call__(self, level: int, text: str) -> None:
        if level > self.level:
            return
        line = f"sessmux: {text}\n"
        if not self.path:
            sys.stderr.write(line)
            return
        try:
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(time.strftime("%Y-%m-%d %H:%M:%S ") + line)
        except OSError as e:
            # A full disk (or no inodes, or no descriptor left) for the log:
            # say so once, in one line, and stop here.
            short = e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EMFILE, errno.ENFILE)
            raise SessError(f"cannot write diagnostics to {self.path}: {e.strerror}",
                            RESOURCES if short else 2) from None


def parse_key(text: str) -> int:
    """``^A``, ``C-a``, ``0x01`` or one character → the byte it sends."""
    if len(text) == 1 and ord(text) < 128:
        return ord(text)
    if len(text) == 2 and text[0] == "^":
        return ord(text[1].upper()) ^ 0x40 if text[1] != "?" else 0x7F
    if len(text) == 3 and text[:2].lower() == "c-":
        return ord(text[2].upper()) ^ 0x40
    if text.lower().startswith("0x"):
        try:
            value = int(text, 16)
        except ValueError:
            pass
        else:
            if 0 <= value < 256:
                return value
    raise cli.Usage(f"bad detach key {names.visible(text)!r}: use ^A, C-a or one character")


def socket_dir(flags: dict[str, str]) -> str:
    """-u DIR (private, ours), -g DIR (shared; DIR/USER made private), else the default."""
    if "-u" in flags:
        return paths.session_dir(explicit=flags["-u"])
    if "-g" in flags:
        user = pwd.getpwuid(os.getuid()).pw_name
        return paths.shared_dir(flags["-g"], user)
    return paths.session_dir()


def session_name(flags: dict[str, str], rest: list[str]) -> tuple[str, list[str]]:
    if "-i" in flags:
        var = flags["-i"]
        value = os.environ.get(var)
        if value is None:
            raise SessError(f"environment variable {var} is not set")
        if not value:
            raise SessError(f"environment variable {var} is empty")
        return names.check(value), rest
    if not rest:
        raise cli.Usage("no session name given")
    return names.check(rest[0]), rest[1:]


def buffer_size(flags: dict[str, str]) -> int:
    from sessmux.commands.sess import parse_size

    return parse_size(flags["-b"]) if "-b" in flags else 256 * 1024


def hold_time(flags: dict[str, str]) -> float:
    """-H SECONDS: how long a resuming client away may hold the program (DEFAULT_HOLD)."""
    if "-H" not in flags:
        return DEFAULT_HOLD
    try:
        seconds = float(flags["-H"])
    except ValueError:
        raise cli.Usage(f"bad hold time {flags['-H']!r}: seconds, e.g. 300 or 0") from None
    if not 0 <= seconds < 1e9:
        raise cli.Usage("the hold time is 0 or more seconds")
    return seconds


def orphan_timeout(flags: dict[str, str]) -> float | None:
    if "-x" not in flags:
        return None
    try:
        minutes = float(flags["-x"])
    except ValueError:
        raise cli.Usage(f"bad orphan timeout {flags['-x']!r}: minutes, e.g. 30 or 0.5") from None
    if minutes < 0:
        raise cli.Usage("the orphan timeout cannot be negative")
    return minutes * 60 or None


def utmp_host() -> str:
    """utmp's host: the address of where the login came from, as SSH tells it."""
    return remote_of(os.environ).partition(" port ")[0]
