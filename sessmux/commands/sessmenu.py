"""``sessmenu``: at login, offer the user's disconnected sessions (pty 4.0).

Does I/O: asks the session masters, reads the process table, talks to the
user on fds 0 and 1, and finally execs ``sess``.  With no disconnected
session it starts a new one at once, silently.  Otherwise it describes
each (its processes, its long name) and asks which to reconnect to.  On a
real terminal the question is asked with prompt-toolkit
(:mod:`sessmux.commands.menu_prompt`); on a dumb terminal, a pipe or a raw network
connection it reads a byte at a time and does its own echoing, as pty 4.0
did (:class:`LineEditor`).  Lines end with CR LF, as pty 4.0's do.  It
stays a little over 300 lines: the block of each session, the question and
the byte-at-a-time editor are pty 4.0's one dialogue.
"""

from __future__ import annotations

import os
import select
import shutil
import sys
import termios
import time
from collections.abc import Sequence
from typing import NoReturn

from sessmux.client import channel
from sessmux.commands import cli
from sessmux.core.errors import SessError
from sessmux.core.names import is_valid, visible
from sessmux.system import paths, proctable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sessmux.core.control_protocol import Message

USAGE = "usage: sessmenu [--timeout seconds] program [arg ...]"
HELP = USAGE + """

For a login profile (exec sessmenu bash -l).  With no disconnected
session, start a new session running PROGRAM at once.  Otherwise show
each disconnected session with its processes and ask which one to
reconnect to: type its name and press return; just press return (or
send end of file) for a new session instead.

  --timeout SECONDS   with no key pressed for that long, start a new
                      session (default: wait for ever, as pty 4.0)

Exit status: only on trouble before sess takes over: 1 usage; 12 out of
file descriptors or memory.
See sessmenu(1).
"""
NEW = "To instead start a new session as usual, just press return: "
ERASE = (8, 127)  # BS and DEL, pty 4.0


class LineEditor:
    """pty 4.0's byte-at-a-time line reading, with its own echo (pure).

    >>> ed = LineEditor()
    >>> [ed.feed(b) for b in b"px\\x7fq\\r"][-1], ed.line
    (b'\\r\\n', 'pq')
    """

    def __init__(self, limit: int = 64) -> None:
        self.chars: list[str] = []
        self.limit = limit
        self.line: str | None = None  # set when the line is done
        self.eof = False  # ^D on an empty line, or ^C: start a new session

    def feed(self, byte: int) -> bytes:
        """Take one byte; return what to echo."""
        if byte in (10, 13):
            self.line = "".join(self.chars)
            return b"\r\n"
        if byte in ERASE:
            if not self.chars:
                return b""
            self.chars.pop()
            return b"\b \b"
        if byte == 21:  # ^U: the whole line
            erased, self.chars = len(self.chars), []
            return b"\b \b" * erased
        if byte == 3 or (byte == 4 and not self.chars):
            self.eof = True
            return b"\r\n"
        char = chr(byte)
        if len(self.chars) >= self.limit or not is_valid("a" + char):
            return b"\a"  # pty 4.0 rang the bell on a third character
        self.chars.append(char)
        return char.encode()


def disconnected(directory: str | None) -> list[Message]:
    """This user's disconnected sessions, the most recently disconnected last."""
    found = [st for st in channel.statuses(directory) if not st.get("connected")] \
        if directory else []
    return sorted(found, key=lambda st: (st.get("disconnected_at") or 0, str(st["name"])))


def describe(st: Message, width: int | None) -> list[str]:
    """pty 4.0's lines for one session: where, its processes, its long name."""
    name = str(st["name"])
    tty = proctable.terminal_of(int(st["slave"]))
    if tty:
        # pty 4.0's /dev/ttyXY carried the name; /dev/pts/N does not, so say it.
        lines = [f"You have a disconnected session {name} on {tty}, with these processes:"]
        lines += proctable.table(tty, width)
    elif st.get("exited") is not None:
        lines = [f"You have a disconnected session {name}; its program has ended"
                 f" (status {st['exited']})."]
    else:
        lines = [f"You have a disconnected session {name}, with no processes left."]
    if st.get("longname"):
        lines.append(f"Session {name} is named: {visible(str(st['longname']))}.")
    return lines + happenings(st, time.time())


def happenings(st: Message, now: float) -> list[str]:
    """What happened in the session while it was away, and whether it waits for input.

    >>> happenings({"name": "p3", "disconnected_at": 5.0, "waiting": 40.0, "events": [
    ...     {"kind": "exit", "at": 10.0, "status": 2, "program": "make"}]}, 730.0)[0]
    'While you were away, in session p3: make finished 12 minutes ago with status 2.'
    """
    from sessmux.core import happened

    def clock(t: float) -> str:
        return time.strftime("%H:%M", time.localtime(t))

    name, left = str(st["name"]), st.get("disconnected_at")
    events = [ev for ev in st.get("events") or [] if isinstance(ev, dict)
              and ev.get("kind") in happened.WORTH and isinstance(ev.get("at"), int | float)
              and (not isinstance(left, int | float) or ev["at"] >= left)]
    lines = [f"While you were away, in session {name}: {happened.event_phrase(ev, now)}."
             for ev in events[-3:]]
    if isinstance(st.get("waiting"), int | float):
        lines.append(f"Session {name} is {happened.state_phrase(st, now, clock)}.")
    return lines


def question(names: Sequence[str]) -> list[str]:
    """pty 4.0's prompt, singular or plural; the last line has no line end."""
    last = names[-1]
    kind = "two-character extension" if all(len(n) == 2 for n in names) else "name"
    if len(names) == 1:
        return ["Would you like to reconnect to that session?",
                f"If so, type its {kind}, {last}.", NEW]
    return ["Would you like to reconnect to one of those sessions?",
            f"If so, type its {kind}, like {last} for the last one.", NEW]


def problem(directory: str | None, name: str) -> str | None:
    """Why ``name`` cannot be reconnected to now, or None if it can."""
    if not is_valid(name):
        return f"{visible(name)} is not a session name."
    st = next((s for s in channel.statuses(directory) if s["name"] == name), None) \
        if directory else None
    if st is None:
        return f"There is no session named {name}."
    if st.get("connected"):
        return f"Session {name} is connected somewhere else."
    return None


def write(text: str) -> None:
    data = text.encode("utf-8", "replace")
    while data:
        data = data[os.write(1, data):]


def read_line(timeout: float | None) -> str | None:
    """pty 4.0's reading: a byte at a time, own echo; None for EOF or timeout."""
    editor = LineEditor()
    saved = None
    if os.isatty(0):
        # Character mode without the terminal's echo: we echo (pty 4.0).
        saved = termios.tcgetattr(0)
        mode = termios.tcgetattr(0)
        mode[3] &= ~(termios.ICANON | termios.ECHO | termios.ISIG)
        mode[6][termios.VMIN], mode[6][termios.VTIME] = 1, 0
        termios.tcsetattr(0, termios.TCSADRAIN, mode)
    try:
        while editor.line is None and not editor.eof:
            if timeout is not None:
                waiting = select.poll()
                waiting.register(0, select.POLLIN)
                if not waiting.poll(int(timeout * 1000)):
                    write("\r\n")
                    return None
            byte = os.read(0, 1)
            if not byte:
                write("\r\n")
                return None
            write(editor.feed(byte[0]).decode("ascii"))
    finally:
        if saved is not None:
            termios.tcsetattr(0, termios.TCSADRAIN, saved)
    return None if editor.eof else editor.line


def fancy() -> bool:
    """Whether to ask with prompt-toolkit: a real terminal on both sides."""
    term = os.environ.get("TERM", "")
    return os.isatty(0) and os.isatty(1) and term not in ("", "dumb", "unknown")


def exec_sess(args: list[str], program: list[str]) -> NoReturn:
    """Replace ourselves with ``sess ARGS`` (pty 4.0 ``execvp("pty", …)``).

    On a terminal, plain ``sess``: it puts the terminal in raw mode, passes
    the window size and mirrors stops, so the session works like any login
    (pty 4.0's ``-d`` left all that alone, because its sessmenu expected a
    raw network connection).  Without a terminal, ``sess -d``.
    """
    mode = [] if os.isatty(0) else ["-d"]
    try:
        paths.session_dir(create=True)
        sess = shutil.which("sess")
        if sess:
            os.execv(sess, ["sess", *mode, *args])
        code = ("from sessmux.commands.sess import main; "
                "from sessmux.commands.cli import leave; leave(main())")
        os.execv(sys.executable, [sys.executable, "-c", code, *mode, *args])
    except (SessError, OSError) as e:
        # A login must not be lost to a broken session setup: run it bare.
        reason = e.message if isinstance(e, SessError) else f"cannot run sess: {e.strerror}"
        write(f"sessmenu: warning: {reason}; running {visible(program[0])} without a session\r\n")
        run_bare(program)


def run_bare(program: list[str]) -> NoReturn:
    """Replace ourselves with the program itself, outside any new session."""
    try:
        os.execvp(program[0], program)
    except OSError as e:
        raise SessError(f"cannot run {visible(program[0])}: {e.strerror}") from None


def parse(argv: Sequence[str]) -> tuple[float | None, list[str]]:
    args = list(argv)
    timeout: float | None = None
    while args and args[0].startswith("-"):
        opt = args.pop(0)
        if opt == "--help":
            print(HELP)
            raise SystemExit(0)
        if opt == "--version":
            cli.version("sessmenu")
        if opt == "--":
            break
        if opt == "--timeout" or opt.startswith("--timeout="):
            value = opt.partition("=")[2] if "=" in opt else (args.pop(0) if args else "")
            try:
                timeout = float(value)
            except ValueError:
                raise cli.Usage(f"bad timeout {value!r}") from None
            if not timeout > 0:
                raise cli.Usage(f"bad timeout {value!r}")
        else:
            raise cli.Usage(f"unrecognized option {opt}")
    if not args:
        raise cli.Usage("what program do you want to run?")
    return timeout, args


def _sessmenu(argv: Sequence[str]) -> int:
    timeout, program = parse(argv)
    if os.environ.get("PTY"):
        # Already in a session: a session in a session is never what a
        # login wants.  (The profile's own `[ -z "$PTY" ]` test is what
        # keeps a login shell there from running us again and again.)
        run_bare(program)
    try:
        directory: str | None = paths.session_dir(create=False)
    except SessError:
        directory = None  # no sessions yet (or none usable): a new one
    sessions = disconnected(directory)
    if not sessions:
        exec_sess(program, program)
    width = os.get_terminal_size(1).columns if os.isatty(1) else None
    for st in sessions:
        write("".join(line + "\r\n" for line in describe(st, width)))
    names = [str(st["name"]) for st in sessions]
    longnames = {str(st["name"]): str(st.get("longname") or "") for st in sessions}
    while True:
        lines = question(names)
        write("".join(line + "\r\n" for line in lines[:-1]))
        if fancy():
            from sessmux.commands import menu_prompt

            answer = menu_prompt.ask(lines[-1], names, longnames, timeout)
        else:
            write(lines[-1])
            answer = read_line(timeout)
        name = (answer or "").strip()
        if not name:
            exec_sess(program, program)
        why = problem(directory, name)
        if why is None:
            exec_sess(["reconnect", name], program)
        write(why + "\r\n")


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    return cli.run("sessmenu", USAGE, lambda: _sessmenu(args))
