"""``sesswait``: block until something happens in a session, then say what.

Does I/O: asks the session's master for its status (the same request as
``sesslist``) every :data:`EVERY` seconds on one connection, until the
condition holds.  The master looks at the kernel only when asked, so a
waiting sesswait costs it a few ``/proc`` reads a second, and nothing
once sesswait is gone.
"""

from __future__ import annotations

import sys
import time

from sessmux.client import channel
from sessmux.commands import cli
from sessmux.core import control_protocol, happened
from sessmux.core.errors import TIMED_OUT, SessError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sessmux.core.control_protocol import Message

USAGE = ("usage: sesswait [-s name] [--until exit|input|prompt|output|idle=SECONDS] "
         "[--timeout SECONDS]")
HELP = USAGE + """

Wait until something happens in a session, print it as one line
(NAME: what happened) and exit 0.  For scripts and agents:
  sessmux -n build make; sesswait -s build --until exit

  -s NAME          the session (default: $PTY)
  --until exit     the program has ended (default); the line says its status
  --until input    the program waits to read the terminal
  --until prompt   a shell that marks its prompts (OSC 133) shows a new one
  --until output   the program writes anything new
  --until idle=S   the program has written nothing for S seconds
  --timeout S      give up after S seconds

exit and input hold at once if they already do; prompt and output wait for
something new.  Exit status: 0 it happened; 1 usage; 2 no such session, or
the session ended before it happened; 124 the timeout passed first;
12 out of resources.  See sesswait(1).
"""
EVERY = 0.25  # seconds between status requests
UNTIL = ("exit", "input", "prompt", "output", "idle")


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    return cli.run("sesswait", USAGE, lambda: _sesswait(args))


def _seconds(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise cli.Usage(f"bad {what} {text!r}") from None
    if not 0 <= value <= 1e9:  # (nan fails this too)
        raise cli.Usage(f"bad {what} {text!r}")
    return value


def parse(argv: Sequence[str]) -> tuple[str | None, str, float, float | None]:
    """``(name, until, idle seconds, timeout)`` from the command line."""
    if list(argv[:1]) in (["--help"], ["--version"]):
        cli.parse(argv, "", HELP)
    opts, rest = cli.getopt(argv, "s:", ("until=", "timeout="))
    if rest:
        raise cli.Usage(f"unexpected argument {rest[0]!r}")
    name, until, idle, timeout = None, "exit", 0.0, None
    for opt, value in opts:
        if opt == "-s":
            name = value
        elif opt == "--timeout":
            timeout = _seconds(value, "timeout")
        else:
            until, eq, seconds = value.partition("=")
            if until not in UNTIL or (until == "idle") != bool(eq):
                raise cli.Usage(f"bad --until {value!r}")
            if eq:
                idle = _seconds(seconds, "idle time")
    return name, until, idle, timeout


def condition(until: str, idle: float, first: Message) -> Callable[[Message, float], str | None]:
    """A test of each status: the line to print once ``until`` holds, else None."""

    def clock(t: float) -> str:
        return time.strftime("%H:%M:%S", time.localtime(t))

    def test(st: Message, now: float) -> str | None:
        if until == "exit" and st.get("exited") is not None:
            ended = next((ev for ev in reversed(st.get("events") or [])
                          if isinstance(ev, dict) and ev.get("kind") == "exit"), None)
            return happened.event_phrase(ended, now) if ended else \
                f"exited with status {st['exited']}"
        if until == "input" and st.get("waiting") is not None:
            return happened.state_phrase(st, now, clock)
        if until == "prompt" and _number(st, "prompts") > _number(first, "prompts"):
            last = next((ev for ev in reversed(st.get("events") or [])
                         if isinstance(ev, dict) and ev.get("kind") == "command"
                         and _number(ev, "seq") > _number(first, "seq")), None)
            return "prompt" + (f" ({happened.event_phrase(last, now)})" if last else "")
        if until == "output" and _number(st, "output") > _number(first, "output"):
            return f"output ({_number(st, 'output') - _number(first, 'output')} bytes)"
        if until == "idle":
            at = st.get("activity")
            if isinstance(at, int | float) and now - at >= idle:
                return f"idle for {happened.span(now - at)}"
        return None

    return test


def _number(msg: Message, key: str) -> int:
    value = msg.get(key)
    return value if isinstance(value, int) else 0


def _sesswait(argv: Sequence[str]) -> int:
    given, until, idle, timeout = parse(argv)
    name = cli.target("sesswait", given)
    deadline = None if timeout is None else time.monotonic() + timeout
    chan = channel.connect(cli.tool_dir(), name)
    try:
        first = _status(chan, name, until)
        test = condition(until, idle, first)
        st = first
        while True:
            said = test(st, time.time())
            if said is not None:
                print(f"{name}: {said}")
                return 0
            if deadline is not None and time.monotonic() >= deadline:
                raise SessError(f"timed out waiting for {until} in session {name}", TIMED_OUT)
            pause = EVERY if deadline is None else min(EVERY, deadline - time.monotonic())
            time.sleep(max(0.0, pause))
            st = _status(chan, name, until)
    finally:
        chan.close()


def _status(chan: channel.Channel, name: str, until: str) -> Message:
    try:
        chan.send(control_protocol.status())
        reply = chan.receive()
    except SessError:
        raise SessError(f"session {name} ended before {until}") from None
    if reply.get("t") != "status":
        raise SessError(f"session {name} refuses to respond")
    return reply
