"""``sessmux``: named sessions with AccuTerm atsr's options.

``sessmux [options] NAME COMMAND...`` (or ``-i VAR`` for the name) with
exactly one action: ``-a`` attach, ``-t`` attach or create, ``-c``
create and attach, ``-n`` create with nobody attached; ``-l [DIR]``
lists.  People moving from atsr change one path in their login profile.
"""

from __future__ import annotations

import os
import sys
import termios
import time

from sessmux.client import channel
from sessmux.client.signaller import Signaller, steer
from sessmux.commands import cli
from sessmux.commands.sess import journal_size
from sessmux.commands.sessmux_options import (
    Diagnostics,
    buffer_size,
    hold_time,
    orphan_timeout,
    parse_key,
    session_name,
    socket_dir,
    utmp_host,
)
from sessmux.core import control_protocol, names
from sessmux.core.errors import COMMS, ELSEWHERE, NO_SESSION, TOOL, SessError
from sessmux.master import spawn
from sessmux.system import paths
from sessmux.system.ttyio import get_winsize

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

USAGE = "usage: sessmux -a|-t|-c|-n [options] [NAME] COMMAND...   or   sessmux -l [DIR]"
HELP = USAGE + """

Run COMMAND in session NAME, which survives the loss of its connection.
Exactly one action:
  -a, --attach             attach to the existing session NAME
  -t, --attach-or-create   attach if NAME exists, else create it
  -c, --create             create NAME and attach to it
  -n, --new-detached       create NAME with nobody attached (returns when running)
  -l, --list [DIR]         list sessions; connected ones are marked with *
      --ended              -l: also sessions that have ended but left a journal
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
  -N, --notify 9|777       when the session needs you (it waits for input after working
                           on its own), tell this terminal with OSC 9 or OSC 777
                           (default: $SESSMUX_NOTIFY; unset: never)
  -g, --shared-dir DIR     shared socket directory; a private DIR/USER is made in it
  -u, --user-dir DIR       your own socket directory (must be private)
  -d, --debug LEVEL        diagnostics on stderr: 1 errors and status, 2 details, 3 all
  -o, --log FILE           append diagnostics to FILE instead

Exit status: COMMAND's when it ends while attached; 0 after a detach or -n;
1 usage (also a NAME that begins with -); 2 bad or missing name, or NAME exists
(-c, -n); 8 socket directory refused; 12 out of descriptors, memory, disk space
or inodes; 16 connected elsewhere; 17 no session NAME (-a)."""

SHORT = "atcnli:frswH:b:J:x:e:g:u:d:o:hN:"
_WORDS = {"a": "attach", "t": "attach-or-create", "c": "create", "n": "new-detached",
          "l": "list", "i": "id-var", "f": "force", "r": "read-only", "s": "sync",
          "w": "no-utmp", "H": "hold", "b": "buffer", "J": "journal", "x": "orphan-timeout",
          "e": "detach-key", "g": "shared-dir", "u": "user-dir", "d": "debug", "o": "log",
          "h": "help", "N": "notify"}
LONG = [word + ("=" if f"{letter}:" in SHORT else "") for letter, word in _WORDS.items()]
LONG += ["version", "ended"]
SHORT_FOR = {"--" + word: "-" + letter for letter, word in _WORDS.items()}
ACTIONS = {"-a": "attach", "-t": "attach-or-create", "-c": "create", "-n": "new-detached",
           "-l": "list"}


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    return cli.run("sessmux", USAGE, lambda: _sessmux(args))


def _parse(argv: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    opts, rest = cli.getopt(argv, SHORT, LONG)
    flags = {SHORT_FOR.get(opt, opt): value for opt, value in opts}
    if "-h" in flags:
        print(HELP)
        raise SystemExit(0)
    if "--version" in flags:
        cli.version("sessmux")
    return flags, rest


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
    if "--ended" in flags:
        raise cli.Usage("--ended goes with -l")
    # The name first: a bad one is refused before any directory is made.
    name, command = session_name(flags, rest)
    directory = socket_dir(flags)
    if not command:
        command = [os.environ.get("SHELL") or "/bin/sh"]
    diag(2, f"session {name} in {directory}")
    options = spawn.Options(
        ring_size=buffer_size(flags), orphan_timeout=orphan_timeout(flags),
        utmp="-w" not in flags, utmp_host=utmp_host(),
        log_path=flags.get("-o") if level >= 3 else None,
        journal_size=journal_size(flags.get("-J")),
    )
    mode = "ro" if "-r" in flags else "rw"
    key = parse_key(flags["-e"]) if "-e" in flags else None
    hold = hold_time(flags)
    hello = read_client_hello() if "-s" in flags else None
    if hello is not None:
        # The client's own choice first (rezume --hold); one that sends no
        # acknowledgements could never let the program go: it holds nothing.
        asked = hello.get("hold")
        if isinstance(asked, (int, float)) and not isinstance(asked, bool) and 0 <= asked < 1e9:
            hold = asked
        hello["hold_for"] = hold if hello.get("acks") else 0
    env: Mapping[str, str] = os.environ
    if "-N" in flags:
        if flags["-N"] not in ("9", "777"):
            raise cli.Usage(f"bad --notify {names.visible(flags['-N'])!r}: use 9 or 777")
        env = {**os.environ, "SESSMUX_NOTIFY": flags["-N"]}
    signaller = Signaller(directory, "sessmux", quiet=level == 0, detach_key=key,
                          tell_takeover=True, resume=hello, env=env)
    action = actions[0]
    if action in ("attach", "attach-or-create"):
        try:
            st = channel.request(directory, name, control_protocol.status())
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
                raise SessError("the client went away before saying hello", COMMS)
            data += chunk
        return data

    try:
        size = resume_protocol.hello_length(exactly(resume_protocol.HEADER.size))
        return resume_protocol.read_hello(
            resume_protocol.Frame(resume_protocol.HELLO, exactly(size))
        )
    except resume_protocol.ResumeError as e:
        os.write(1, resume_protocol.encode_error(str(e)))
        raise SessError(f"resume protocol: {e}", COMMS) from None


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
            raise SessError(f"session {name} already exists", TOOL) from None
        raise


def _attach(signaller: Signaller, name: str, mode: str, force: bool) -> int:
    # The signaller says its own failures (one line); the session was
    # checked just before, so these are only races with another client.
    return steer(signaller, name, first=True, mode=mode, force=force)


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
    listed = sorted(channel.statuses(directory), key=lambda s: str(s["name"]))
    for st in listed:
        print(format_entry(st, now))
    if "--ended" in flags:
        from sessmux.commands.sesslist import ended_journals

        for name, size, when in ended_journals(directory, {str(st["name"]) for st in listed}):
            print(f" {name}  ended  journal {size} bytes, last output {when}")
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
