"""sessmenu at a real terminal (tmux plays the user's), and on a raw pipe.

Disconnected sessions are made with ``sess -d`` and stdin at end of file
(the signaller attaches, reads EOF, disconnects).  Each test has its own
HOME, session directory and registry; every session is killed by pid.
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from terminal import DEADLINE, Terminal, base_env, sessions, start_detached, wait_until
from tmuxterm import TMUX, TmuxTerminal

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")

PROMPT_LAST = "To instead start a new session as usual, just press return: "
INNER = r"^in>"  # the prompt of the shells in the sessions


@pytest.fixture
def menv(home: Path, sessdir: Path, tmp_path: Path) -> dict[str, str]:
    # The sessions' shell has a prompt of its own, so a test can tell it
    # from the outer shell's.
    inner = home / "inner"
    inner.write_text("#!/bin/sh\nPS1='in> ' exec bash --norc --noprofile\n")
    inner.chmod(0o755)
    return base_env(home, sessdir, {"SESSMUX_REGISTRY": str(tmp_path / "registry"),
                                    "SESSMUX_CONF": str(tmp_path / "sessmux.conf"),
                                    "PROGRAM": str(inner)})


# Polled while sessions are still being made (the directory may not exist yet).
sesslist = partial(sessions, check=False, timeout=30)


@pytest.fixture
def tmux(menv: dict[str, str], tmp_path: Path) -> Iterator[TmuxTerminal]:
    t = TmuxTerminal(menv, tmp_path, rows=40, cols=120)
    yield t
    t.close()


def in_session(t: TmuxTerminal, reconnected: str | None = None) -> str:
    """The name of the session the terminal's shell now runs in.

    Keys typed before the session is there would go to sessmenu, or to the
    throwaway session that ``sess reconnect`` runs: wait for it first.
    """
    if reconnected:
        t.wait_for(rf"successfully connected to {reconnected}", where="history")
    t.wait_for(INNER)
    t.line("echo now-in-${PTY:-none}-$((6*7))")
    screen = t.wait_for(r"now-in-\S+-42")
    return re.findall(r"now-in-(\S+)-42", screen)[-1]


def test_no_disconnected_session_starts_one_silently(
    tmux: TmuxTerminal, menv: dict[str, str]
) -> None:
    connected = subprocess.Popen(["sess", "-d", "sleep", "1000"], env=menv,
                                 stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        # A session that is connected elsewhere is not offered.
        wait_until(lambda: sesslist(menv), what="the connected session")
        (busy,) = sesslist(menv)
        tmux.line("sessmenu $PROGRAM")
        name = in_session(tmux)
        assert name not in ("none", busy)
        history = tmux.history()
        after = history.split("sessmenu $PROGRAM", 1)[1]
        assert after.strip().splitlines()[0].startswith("in> echo now-in-"), after
        assert "disconnected" not in history and "Would you like" not in history
    finally:
        connected.kill()
        connected.wait()


def test_inside_a_session_runs_the_program_itself(menv: dict[str, str]) -> None:
    # sessmenu typed in a session: no session in the session.
    start_detached(menv, menv["PROGRAM"])
    out = subprocess.run(["sessmenu", "sh", "-c", "echo direct-$PTY"], env=dict(menv, PTY="p0"),
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    assert out.stdout == "direct-p0\n", out
    assert len(sesslist(menv)) == 1


def test_one_named_session_texts_table_and_reconnect(
    tmux: TmuxTerminal, menv: dict[str, str]
) -> None:
    name = start_detached(menv, "sh", "-c", "sleep 31415 & exec $PROGRAM")
    # A long name with an escape sequence in it: shown, never obeyed.
    subprocess.run(["sessname", "-s", name, "paper\x1b[7m.3"], env=menv, check=True,
                   capture_output=True)
    tmux.line("sessmenu $PROGRAM")
    screen = tmux.wait_for(re.escape(PROMPT_LAST.rstrip()))
    m = re.search(rf"^You have a disconnected session {name} on (/dev/pts/\d+), with these "
                  r"processes:$", screen, re.M)
    assert m, screen
    tty = m.group(1).removeprefix("/dev/")
    header = r"^USER +PID %CPU %MEM +VSZ +RSS TT +STAT START +TIME COMMAND$"
    assert re.search(header, screen, re.M), screen
    row = re.search(rf"^\S+ +(\d+) +[\d.]+ +[\d.]+ +\d+ +\d+ {tty} +\S+ +\S+ +\d+:\d\d "
                    r"sleep 31415$", screen, re.M)
    assert row, screen
    assert f"Session {name} is named: paper^[[7m.3." in screen
    assert "Would you like to reconnect to that session?" in screen
    assert f"If so, type its two-character extension, {name}." in screen
    assert "\x1b[7m" not in tmux.screen(escapes=True).split("named:")[1].split("\n")[0]
    tmux.line(name)
    assert in_session(tmux, reconnected=name) == name
    assert re.search(r" connected\b", sesslist(menv)[name])


def test_two_sessions_plural_and_wrong_names(tmux: TmuxTerminal, menv: dict[str, str]) -> None:
    first = start_detached(menv, menv["PROGRAM"])
    second = start_detached(menv, menv["PROGRAM"])
    tmux.line("sessmenu $PROGRAM")
    screen = tmux.wait_for(re.escape(PROMPT_LAST.rstrip()))
    assert screen.count("You have a disconnected session") == 2
    assert screen.index(f"session {first} on") < screen.index(f"session {second} on")
    assert "Would you like to reconnect to one of those sessions?" in screen
    assert f"If so, type its two-character extension, like {second} for the last one." in screen
    # A name that is no session, and one taken meanwhile: a clear line, asked again.
    tmux.line("zz")
    screen = tmux.wait_for(r"^There is no session named zz\.$")
    holder = subprocess.Popen(["sess", "-d", "reconnect", first], env=menv,
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: " connected" in sesslist(menv).get(first, ""), what="taken")
        tmux.line(first)
        tmux.wait_for(rf"^Session {first} is connected somewhere else\.$")
        assert tmux.screen().count("Would you like to reconnect to one of those") == 3
        tmux.line(second)
        assert in_session(tmux, reconnected=second) == second
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("answer", ["Enter", "C-d", "timeout"])
def test_enter_eof_or_timeout_start_a_new_session(
    tmux: TmuxTerminal, menv: dict[str, str], answer: str
) -> None:
    old = start_detached(menv, menv["PROGRAM"])
    timeout = "--timeout 2 " if answer == "timeout" else ""
    tmux.line(f"sessmenu {timeout}$PROGRAM")
    tmux.wait_for(re.escape(PROMPT_LAST.rstrip()))
    if answer != "timeout":
        tmux.keys(answer)
    name = in_session(tmux)
    assert name not in ("none", old)
    assert "disconnected" in sesslist(menv)[old]


# -- pty 4.0's byte-at-a-time mode ---------------------------------------------


class Pipe:
    """sessmenu with pipes for stdin and stdout, as from a raw network connection."""

    def __init__(self, env: dict[str, str], *argv: str) -> None:
        self.proc = subprocess.Popen(list(argv), env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.out = b""
        self.pos = 0

    def send(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def expect(self, data: bytes) -> None:
        assert self.proc.stdout is not None
        end = time.monotonic() + DEADLINE
        while data not in self.out[self.pos:]:
            left = end - time.monotonic()
            assert left > 0, f"timed out waiting for {data!r}; got {self.out[-800:]!r}"
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                assert chunk, f"EOF waiting for {data!r}; got {self.out[-800:]!r}"
                self.out += chunk
        self.pos = self.out.index(data, self.pos) + len(data)

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


def test_dumb_pipe_reads_bytes_with_own_echo(menv: dict[str, str]) -> None:
    name = start_detached(menv, menv["PROGRAM"])
    pipe = Pipe(dict(menv, TERM="dumb"), "sessmenu", menv["PROGRAM"])
    try:
        pipe.expect(b"Would you like to reconnect to that session?\r\n"
                    b"If so, type its two-character extension, " + name.encode() + b".\r\n"
                    + PROMPT_LAST.encode())
        assert b"with these processes:\r\nUSER " in pipe.out
        # Its own echo; BS and DEL rub out; what is not a name character rings.
        pipe.send(b"qx\x7f\x08z\x1bz")
        pipe.expect(b"qx\b \b\b \bz\az")
        pipe.send(b"\r")
        pipe.expect(b"\r\nThere is no session named zz.\r\nWould you like")
        pipe.expect(PROMPT_LAST.encode())
        pipe.send(name.encode() + b"\n")
        pipe.expect(name.encode() + b"\r\n")
        pipe.expect(f"successfully connected to {name}".encode())
        pipe.send(b"echo back-in-$PTY-$((6*7))\n")
        pipe.expect(f"back-in-{name}-42".encode())
    finally:
        pipe.close()


def test_dumb_terminal_echoes_once(menv: dict[str, str]) -> None:
    name = start_detached(menv, menv["PROGRAM"])
    term = Terminal(dict(menv, TERM="dumb"))
    try:
        term.expect(r"\$ ")
        term.line("sessmenu $PROGRAM")
        term.expect(re.escape(PROMPT_LAST))
        term.send("pq\x7f")
        term.expect(r"pq\x08 \x08")
        assert "ppqq" not in term.text  # the terminal's own echo is off
        term.send("\x15" + name + "\r")
        term.expect(rf"successfully connected to {name}")
        term.line("echo back-in-$PTY-$((6*7))")
        term.expect(rf"back-in-{name}-42")
    finally:
        term.close()


def test_dumb_pipe_timeout_starts_a_new_session(menv: dict[str, str]) -> None:
    old = start_detached(menv, menv["PROGRAM"])
    pipe = Pipe(dict(menv, TERM="dumb"), "sessmenu", "--timeout", "1", menv["PROGRAM"])
    try:
        pipe.expect(PROMPT_LAST.encode())
        wait_until(lambda: any(re.search(r" connected\b", line) for name, line
                               in sesslist(menv).items() if name != old), what="new session")
        assert "disconnected" in sesslist(menv)[old]
    finally:
        pipe.close()
