"""sessview at a real terminal (tmux plays the user's), against real sessions.

Sessions are made with ``sessmux -n`` (nobody attached, the program runs
at once); each test has its own HOME and session directory, and every
process is killed by pid (the tmux server, then every master of the
directory).  Screens are polled until a deadline, never slept on.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from terminal import Terminal, sessions, wait_until
from tmuxterm import PROMPT, TMUX, TmuxTerminal

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
MakeTmux = Callable[..., TmuxTerminal]
SHELL = "PS1='in''> ' exec bash --norc --noprofile"


@pytest.fixture
def make_tmux(env: dict[str, str], tmp_path: Path) -> Iterator[MakeTmux]:
    made: list[TmuxTerminal] = []

    def make(rows: int = 30, cols: int = 120) -> TmuxTerminal:
        t = TmuxTerminal(env, tmp_path, rows=rows, cols=cols, name=str(len(made)))
        made.append(t)
        return t

    yield make
    for t in made:
        t.close()


def new_session(env: dict[str, str], name: str, script: str, longname: str = "") -> None:
    """A session nobody is connected to, whose program runs ``script`` then a shell."""
    subprocess.run(["sessmux", "-n", "-w", name, "sh", "-c", f"{script}; {SHELL}"],
                   env=env, check=True, timeout=30, stdin=subprocess.DEVNULL)
    if longname:
        subprocess.run(["sessname", "-s", name, longname], env=env, check=True, timeout=30)


def browse(t: TmuxTerminal, *args: str, expect: str = r"sessions?, \d+ connected") -> str:
    t.line("clear; sessview " + " ".join(args) + "; echo sessview-rc=$?")
    return t.wait_for(expect)


def row_of(screen: str, pattern: str) -> str:
    m = re.search(rf"^.*{pattern}.*$", screen, re.M)
    assert m, f"no line matching {pattern!r} in:\n{screen}"
    return m.group(0)


def test_list_shows_sessions_with_states_and_long_names(
    make_tmux: MakeTmux, env: dict[str, str], term: Terminal
) -> None:
    new_session(env, "idle1", "echo one", "writing net test program")
    new_session(env, "busy2", "echo two", "the busy one")
    subprocess.run(["sessmux", "-n", "-w", "done3", "sh", "-c", "exit 3"], env=env, check=True,
                   timeout=30)
    wait_until(lambda: "exited, status 3" in sessions(env).get("done3", ""), what="done3 exits")
    term.line("sessmux -a busy2")  # busy2 is connected from another terminal
    wait_until(lambda: " connected" in sessions(env).get("busy2", ""), what="busy2 connected")
    t = make_tmux()
    screen = browse(t, expect=r"done3\s+exited 3")
    assert "3 sessions, 1 connected" in screen
    assert re.search(r"idle1\s+disconnected \d+s", screen)
    assert re.search(r"busy2\s+connected idle \d+s", screen)
    assert "writing net test program" in row_of(screen, r"^\W*writing net")
    assert "the busy one" in screen
    t.keys("q")
    t.wait_for(r"sessview-rc=0")


def test_preview_shows_what_the_selected_session_printed(
    make_tmux: MakeTmux, env: dict[str, str]
) -> None:
    new_session(env, "aa", "echo first-session-says-$((6*7))")
    new_session(env, "bb", "echo second-session-says-$((7*8))")
    t = make_tmux()
    screen = browse(t, expect=r"first-session-says-42")
    assert "second-session-says-56" not in screen  # only the selected one is previewed
    assert "aa (watching)" in screen
    t.keys("Down")
    screen = t.wait_for(r"second-session-says-56")
    assert "first-session-says-42" not in screen
    # The mouse selects too: a click (SGR report) on aa's line, the third row.
    t.tmux("send-keys", "-l", "\x1b[<0;6;3M\x1b[<0;6;3m")
    t.wait_for(r"first-session-says-42")
    t.keys("Down")
    t.wait_for(r"second-session-says-56")
    # The preview is read-only: keys typed in the browser never reach a session.
    t.keys("x", "y", "z", "Enter")
    screen = t.wait_for(r"^in>")
    assert "xyz" not in row_of(screen, r"^in>")
    t.line("disconnect")
    t.wait_for(r"back from session bb")
    t.keys("q")
    t.wait_for(r"sessview-rc=0")


def test_enter_attaches_and_leaving_the_session_comes_back(
    make_tmux: MakeTmux, env: dict[str, str]
) -> None:
    new_session(env, "aa", "echo before-attach")
    t = make_tmux()
    browse(t, expect=r"before-attach")
    t.keys("Enter")
    t.wait_for(r"^in>")
    wait_until(lambda: " connected" in sessions(env).get("aa", ""), what="aa connected")
    t.line("echo inside-$PTY-$((6*7))")
    t.wait_for(r"^inside-aa-42")
    t.line("disconnect")
    t.wait_for(r"back from session aa")
    screen = t.wait_for(r"1 session, 0 connected")
    assert re.search(r"aa\s+disconnected", screen)
    # The preview watches it again (its title can come before its first picture).
    assert "aa (watching)" in t.wait_for(r"inside-aa-42")
    t.keys("q")
    t.wait_for(r"sessview-rc=0")


def _connected(env: dict[str, str], name: str) -> bool:
    line = sessions(env).get(name, "")
    return " connected" in line


def test_enter_right_after_the_preview_appears_attaches(
    make_terminal: Callable[..., Terminal], env: dict[str, str]
) -> None:
    # A bare pty, read as fast as it comes: the Enter is typed the moment the
    # preview's first picture reaches the terminal (tmux would poll later).
    new_session(env, "aa", "echo preview-of-aa-$((6*7))")
    t = make_terminal(rows=30, cols=120)
    t.line("sessview")
    t.expect(r"preview-of-aa-42")
    t.send("\r")
    wait_until(lambda: _connected(env, "aa"), what="the first Enter attaches aa")


def test_enter_typed_while_sessview_starts_attaches(
    make_terminal: Callable[..., Terminal], env: dict[str, str]
) -> None:
    # Typed ahead, before sessview has drawn anything: the Enter acts on the
    # first list (urwid alone flushed it away when it set up the terminal).
    new_session(env, "aa", "echo typed-ahead")
    t = make_terminal(rows=30, cols=120)
    t.line("read -r -p 'rea''dy> ' line; sessview")
    t.expect(r"ready> ")
    t.send("go\r\r")  # the first line lets sessview start; the second Enter is typed ahead
    wait_until(lambda: _connected(env, "aa"), what="the typed-ahead Enter attaches aa")


def test_k_kills_a_session_only_after_confirmation(
    make_tmux: MakeTmux, env: dict[str, str]
) -> None:
    new_session(env, "aa", "echo a")
    new_session(env, "bb", "echo b")
    t = make_tmux()
    browse(t, expect=r"bb\s+disconnected")
    t.keys("k")
    t.wait_for(r"Kill session aa .*\(y/n\)")
    t.keys("n")
    t.wait_for(r"^Enter attach")
    assert "aa" in sessions(env)
    t.keys("k")
    t.wait_for(r"Kill session aa .*\(y/n\)")
    t.keys("y")
    t.wait_for(r"killed session aa")
    wait_until(lambda: "aa" not in sessions(env), what="aa gone")
    screen = t.wait_for(r"1 session,")
    assert not re.search(r"aa\s+disconnected", screen) and "bb" in sessions(env)
    t.keys("q")
    t.wait_for(r"sessview-rc=0")


def test_tiles_side_by_side_and_keys_reach_only_the_focused_one(
    make_tmux: MakeTmux, env: dict[str, str]
) -> None:
    new_session(env, "left", "echo left-text")
    new_session(env, "right", "echo right-text")
    t = make_tmux(rows=30, cols=160)
    # Both tiles' repaints arrive independently: wait for the row that has both.
    screen = browse(t, "-t", "left", "right", expect=r"left-text.*right-text")
    row = row_of(screen, "left-text")
    assert "right-text" in row and row.index("left-text") < 80 <= row.index("right-text")
    assert "left (read-write)" in screen and "right (watching)" in screen
    t.line("echo typed-$((6*7))")
    screen = t.wait_for(r"typed-42\s*│")
    lines = [line for line in screen.splitlines() if "typed-42" in line]
    assert lines and all(line.index("typed-42") < 80 and line.count("typed-42") == 1
                         for line in lines)
    # ^B o: the other tile takes over read-write; keys now go there only.
    t.keys("C-b", "o")
    t.wait_for(r"right \(read-write\)")
    t.line("echo other-$((7*8))")
    screen = t.wait_for(r"other-56\s*│")
    assert all(line.index("other-56") > 80 for line in screen.splitlines() if "other-56" in line)
    t.keys("C-b", "d")
    t.wait_for(r"^Enter attach")
    t.keys("q")
    t.wait_for(r"sessview-rc=0")


def test_refuses_dumb_small_and_missing_terminals(
    make_tmux: MakeTmux, env: dict[str, str], term: Terminal
) -> None:
    out = term.run("TERM=dumb sessview; echo rc=$?")
    assert "sessview: fatal: TERM=dumb: needs a terminal that can move its cursor" in out
    assert "rc=2" in out
    out = term.run("sessview < /dev/null; echo rc=$?")
    assert "sessview: fatal: standard input and output must be a terminal" in out
    small = make_tmux(rows=8, cols=100)
    small.line("sessview; echo rc=$?")
    small.wait_for(r"sessview: fatal: terminal too small \(100x8\); needs at least 40x10")
    small.wait_for(r"^rc=2")


def test_terminal_given_back_on_quit_and_on_termination(
    make_tmux: MakeTmux, env: dict[str, str]
) -> None:
    new_session(env, "aa", "echo a")
    t = make_tmux()
    t.line("cd; stty -g > before; echo saved")
    t.wait_for(r"^saved")
    for ending in ("q", "TERM"):
        t.line("clear; sessview; stty -g > after; cmp before after && echo same")
        t.wait_for(r"aa\s+disconnected")
        if ending == "q":
            t.keys("q")
        else:
            pid = shell_child(t, "sessmux.commands.sessview")
            subprocess.run(["kill", "-TERM", str(pid)], check=True)
        screen = t.wait_for(r"^same$")
        assert "sessions" not in screen  # the alternate screen is gone
        t.wait_for(PROMPT)


def shell_child(t: TmuxTerminal, what: str) -> int:
    """The pid of the process running ``what`` in ``t``'s shell (by its command line)."""
    import psutil

    for proc in psutil.Process(t.pid).children(recursive=True):
        if what in " ".join(proc.cmdline()):
            return proc.pid
    raise AssertionError(f"no {what} running")


def test_new_session_long_name_and_filter(make_tmux: MakeTmux, env: dict[str, str]) -> None:
    new_session(env, "aa", "echo a")
    t = make_tmux()
    browse(t, expect=r"aa\s+disconnected")
    t.keys("n")
    screen = t.wait_for(r"started session \w+")
    made = re.findall(r"started session (\w+)", screen)[0]
    wait_until(lambda: made in sessions(env), what="the new session")
    screen = t.wait_for(rf"{made}\s+disconnected")
    assert re.search(rf"{made} \(watching\)", screen)  # selected and previewed
    t.keys("r")
    t.wait_for(rf"Long name for session {made}")
    t.tmux("send-keys", "-l", "fresh one")
    t.keys("Enter")
    t.wait_for(rf"session {made} is named: fresh one")
    wait_until(lambda: sessions(env)[made].endswith(": fresh one"), what="long name set")
    t.keys("/")
    t.tmux("send-keys", "-l", "fresh")
    screen = t.wait_for(r"1 matching /fresh")
    assert not re.search(r"aa\s+disconnected", screen)
    t.keys("Escape")
    t.wait_for(r"aa\s+disconnected")
    t.keys("q")
    t.wait_for(r"sessview-rc=0")


def test_a_stuck_master_never_holds_the_view(make_tmux: MakeTmux, env: dict[str, str]) -> None:
    new_session(env, "aa", "echo stuck-one")
    new_session(env, "bb", "echo fine-one")
    master = int(sessions(env)["aa"].split()[3])
    os.kill(master, signal.SIGSTOP)  # accepts connections (the kernel does), answers nothing
    try:
        t = make_tmux()
        screen = browse(t, expect=r"bb\s+disconnected")
        assert not re.search(r"aa\s+disconnected", screen)  # left out of the round
        t.wait_for(r"fine-one")
        t.keys("Down", "Up", "k")  # the view still answers keys
        t.wait_for(r"Kill session bb")
        t.keys("n")
        t.keys("q")
        t.wait_for(r"sessview-rc=0")
    finally:
        os.kill(master, signal.SIGCONT)
