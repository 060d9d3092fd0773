"""``sessmux``: named sessions with AccuTerm atsr's options.

``sessmux [options] NAME COMMAND...`` (or ``-i VAR`` for the name) with
exactly one action: ``-a`` attach, ``-t`` attach or create, ``-c``
create and attach, ``-n`` create with nobody attached; ``-l [DIR]``
lists.  People moving from atsr change one path in their login profile.
"""

from __future__ import annotations

import errno
import os
import pwd
import sys
import termios
import time

from sessmux.client import channel
from sessmux.client.signaller import Signaller, remote_of, steer
from sessmux.commands import cli
from sessmux.core import names
from sessmux.core.errors import ELSEWHERE, NO_SESSION, RESOURCES, SessError
from sessmux.master import spawn
from sessmux.system import paths
from sessmux.system.ttyio import get_winsize

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

USAGE = "usage: sessmux -a|-t|-c|-n [options] [NAME] COMMAND...   or   sessmux -l [DIR]"
HELP = USAGE + """

Run COMMAND in session NAME, which survives the loss of its connection.
Exactly one action:
  -a, --attach             attach to the existing session NAME
  -t, --attach-or-create   attach if NAME exists, else create it
  -c, --create             create NAME and attach to it
  -n, --new-detached       create NAME with nobody attached (returns when running)
  -l, --list [DIR]         list sessions; connected ones are marked with *
Options:
  -i, --id-var VAR         take NAME from environment variable VAR (SESSMUX_ID, ATSR_ID)
  -f, --force              take over a session connected elsewhere
  -r, --read-only          attach as a read-only watcher (^C leaves)
  -s, --sync               resume protocol on stdin/stdout (reserved: see sessmux(1))
  -H, --hold SECONDS       -s: while the client is away, a full buffer holds the program
                           this long at most (default 300; 0: never hold)
  -w, --no-utmp            write no login record (utmp)
  -b, --buffer SIZE        replay buffer (bytes, or 64k, 16m; default 256k)
  -J, --journal SIZE       journal on disk (default $SESSMUX_JOURNAL or 64m; 0: none)
  -x, --orphan-timeout MIN end the session after MIN minutes with no client (0: never)
  -e, --detach-key KEY     typing KEY (^A, C-a or one character) detaches; twice sends it
  -g, --shared-dir DIR     shared socket directory; a private DIR/USER is made in it
  -u, --user-dir DIR       your own socket directory (must be private)
  -d, --debug LEVEL        diagnostics on stderr: 1 errors and status, 2 details, 3 all
  -o, --log FILE           append diagnostics to FILE instead

Exit status: COMMAND's when it ends while attached; 0 after a detach or -n;
1 usage (also a NAME that begins with -); 2 bad or missing name, or NAME exists
(-c, -n); 8 socket directory refused; 12 out of descriptors, memory, disk space
or inodes; 16 connected elsewhere; 17 no session NAME (-a)."""

SHORT = "atcnli:frswH:b:J:x:e:g:u:d:o:h"
_WORDS = {"a": "attach", "t": "attach-or-create", "c": "create", "n": "new-detached",
          "l": "list", "i": "id-var", "f": "force", "r": "read-only", "s": "sync",
          "w": "no-utmp", "H": "hold", "b": "buffer", "J": "journal", "x": "orphan-timeout",
          "e": "detach-key", "g": "shared-dir", "u": "user-dir", "d": "debug", "o": "log",
          "h": "help"}
LONG = [word + ("=" if f"{letter}:" in SHORT else "") for letter, word in _WORDS.items()]
LONG.append("version")
SHORT_FOR = {"--" + word: "-" + letter for letter, word in _WORDS.items()}
DEFAULT_HOLD = 300.0  # seconds: a few minutes of a network outage
ACTIONS = {"-a": "attach", "-t": "attach-or-create", "-c": "create", "-n": "new-detached",
           "-l": "list"}


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    return cli.run("sessmux", USAGE, lambda: _sessmux(args))


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


def _parse(argv: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    opts, rest = cli.getopt(argv, SHORT, LONG)
    flags = {SHORT_FOR.get(opt, opt): value for opt, value in opts}
    if "-h" in flags:
        print(HELP)
        raise SystemExit(0)
    if "--version" in flags:
        cli.version("sessmux")
    return flags, rest


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


def _sessmux(argv: Sequence[str]) -> int:
    flags, rest = _parse(argv)
    actions = [ACTIONS[f] for f in flags if f in ACTIONS]
    if len(actions) != 1:
        raise cli.Usage("give exactly one of -a, -t, -c, -n, -l")
    try:
        level = int(flags.get("-d", "0"))
    except ValueError:
        raise cli.Usage(f"bad diagnostics level {flags['-d']!r}") from None
    diag = Diagnostics(level, flags.get("-o"))
    if actions[0] == "list":
        return list_sessions(flags, rest)
    # The name first: a bad one is refused before any directory is made.
    name, command = session_name(flags, rest)
    directory = socket_dir(flags)
    if not command:
        command = [os.environ.get("SHELL") or "/bin/sh"]
    diag(2, f"session {name} in {directory}")
    options = spawn.Options(
        ring_size=_buffer(flags), orphan_timeout=_orphan(flags), utmp="-w" not in flags,
        utmp_host=_host(), log_path=flags.get("-o") if level >= 3 else None,
        journal_size=_journal(flags),
    )
    mode = "ro" if "-r" in flags else "rw"
    key = parse_key(flags["-e"]) if "-e" in flags else None
    hold = _hold(flags)
    hello = read_client_hello() if "-s" in flags else None
    if hello is not None:
        # The client's own choice first (rezume --hold); one that sends no
        # acknowledgements could never let the program go: it holds nothing.
        asked = hello.get("hold")
        if isinstance(asked, (int, float)) and not isinstance(asked, bool) and 0 <= asked < 1e9:
            hold = asked
        hello["hold_for"] = hold if hello.get("acks") else 0
    signaller = Signaller(directory, "sessmux", quiet=level == 0, detach_key=key,
                          tell_takeover=True, resume=hello)
    action = actions[0]
    if action in ("attach", "attach-or-create"):
        try:
            st = channel.request(directory, name, {"t": "status"})
        except SessError:
            if action == "attach":
                raise SessError(f"no session {name}", NO_SESSION) from None
        else:
            if st.get("connected") and mode == "rw" and "-f" not in flags:
                raise SessError(f"session {name} already connected somewhere else"
                                " (use -f to take over)", ELSEWHERE)
            diag(1, f"attaching to session {name}")
            return _attach(signaller, name, mode, "-f" in flags)
    created, pid, note = _create(directory, name, command, options, action, diag)
    diag(1, f"created session {created} (master pid {pid})")
    diag(1 if note.startswith("no utmp") and "-w" not in flags else 2,
         ("warning: " if note.startswith("no utmp") else "") + note)
    if action == "new-detached":
        return 0
    return _attach(signaller, created, mode, "-f" in flags)


def read_client_hello(fd: int = 0) -> dict[str, object]:
    """-s: the resuming client's hello, read byte-exactly (what follows is the master's)."""
    from sessmux.core import resume_protocol

    def exactly(n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = os.read(fd, n - len(data))
            if not chunk:
                raise SessError("the client went away before saying hello", 11)
            data += chunk
        return data

    kind, size = resume_protocol.HEADER.unpack(exactly(resume_protocol.HEADER.size))
    try:
        if kind != resume_protocol.HELLO.encode() or size > 65536:
            raise resume_protocol.ResumeError("the client did not open with a hello")
        return resume_protocol.read_hello(
            resume_protocol.Frame(resume_protocol.HELLO, exactly(size))
        )
    except resume_protocol.ResumeError as e:
        os.write(1, resume_protocol.encode(resume_protocol.ERROR, str(e).encode()))
        raise SessError(f"resume protocol: {e}", 11) from None


def _create(directory: str, name: str, command: list[str], options: spawn.Options,
            action: str, diag: Diagnostics) -> tuple[str, int, str]:
    attrs = None
    size = None
    if action != "new-detached":
        for fd in (0, 1):
            if os.isatty(fd):
                attrs = attrs or termios.tcgetattr(fd)
                size = size or get_winsize(fd)
    try:
        return spawn.start(spawn.Plan(directory, command, os.environ, attrs, size or (24, 80),
                                      options, name=name, gate=action != "new-detached"))
    except SessError as e:
        if "already exists" in e.message:
            raise SessError(f"session {name} already exists", 2) from None
        raise


def _attach(signaller: Signaller, name: str, mode: str, force: bool) -> int:
    # The signaller says its own failures (one line); the session was
    # checked just before, so these are only races with another client.
    return steer(signaller, name, first=True, mode=mode, force=force)


def _buffer(flags: dict[str, str]) -> int:
    from sessmux.commands.sess import parse_size

    return parse_size(flags["-b"]) if "-b" in flags else 256 * 1024


def _journal(flags: dict[str, str]) -> int:
    from sessmux.commands.sess import journal_size

    return journal_size(flags.get("-J"))


def _hold(flags: dict[str, str]) -> float:
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


def _orphan(flags: dict[str, str]) -> float | None:
    if "-x" not in flags:
        return None
    try:
        minutes = float(flags["-x"])
    except ValueError:
        raise cli.Usage(f"bad orphan timeout {flags['-x']!r}: minutes, e.g. 30 or 0.5") from None
    if minutes < 0:
        raise cli.Usage("the orphan timeout cannot be negative")
    return minutes * 60 or None


def _host() -> str:
    """utmp's host: the address of where the login came from, as SSH tells it."""
    return remote_of(os.environ).partition(" port ")[0]


def list_sessions(flags: dict[str, str], rest: list[str]) -> int:
    """atsr -l: one line per session, ``*`` before the connected ones."""
    if rest:
        directory = paths.session_dir(explicit=rest[0], create=False)
    elif "-g" not in flags:
        try:
            found = paths.existing_dir(explicit=flags.get("-u"))
        except SessError as e:
            raise SessError(e.message) from None
        if found is None:
            return 0  # a fresh account: no sessions yet, and no directory made for them
        directory = found
    else:
        try:
            directory = socket_dir(flags)
        except SessError as e:
            raise SessError(e.message) from None
    now = time.time()
    for st in sorted(channel.statuses(directory), key=lambda s: str(s["name"])):
        print(format_entry(st, now))
    return 0


def format_entry(st: dict[str, object], now: float) -> str:
    from sessmux.commands.sesslist import orphaned_for

    mark = "*" if st.get("connected") else " "
    line = f"{mark}{st['name']}  pid {st['pid']}"
    if st.get("connected"):
        line += f"  connected from {names.visible(str(st.get('remote') or '(unknown)'))}"
    else:
        line += f"  orphaned for {orphaned_for(st, now)}"
    if st.get("exited") is not None:
        line += f"  (exited, status {st['exited']})"
    if st.get("longname"):
        line += f": {names.visible(str(st['longname']))}"
    return line
