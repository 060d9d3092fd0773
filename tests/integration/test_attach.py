"""What a new connection gets (DESIGN §4), on real terminals played by tmux."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from terminal import sessions, wait_until
from tmuxterm import PROMPT, TMUX, TmuxTerminal

from sessmux.client import channel

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
MakeTmux = Callable[..., TmuxTerminal]


@pytest.fixture
def make_tmux(env: dict[str, str], tmp_path: Path) -> Iterator[MakeTmux]:
    made: list[TmuxTerminal] = []

    def make(**kwargs: object) -> TmuxTerminal:
        t = TmuxTerminal(env, tmp_path, name=str(len(made)), **kwargs)  # type: ignore[arg-type]
        made.append(t)
        return t

    yield make
    for t in made:
        t.close()


def start(t: TmuxTerminal, program: str = "bash --norc --noprofile") -> str:
    t.line(f"PS1='in''> ' sess {program}")
    t.wait_for(r"^in>")
    t.line("echo name=$PTY")
    screen = t.wait_for(r"^name=\w+")
    m = re.search(r"^name=(\w+)", screen, re.M)
    assert m
    return m.group(1)


def test_full_screen_program_repainted_in_cleared_terminal(make_tmux: MakeTmux) -> None:
    a = make_tmux()
    name = start(a)
    a.line("printf '\\033[?1049h\\033[H\\033[2J\\033[7mTOP BAR\\033[m\\033[12;30Hmiddle "
           "text\\033[24;1H-- status --'; read x")
    a.wait_for(r"middle text")
    subprocess.run(["disconnect", "-s", name], env=a.env, check=True)
    a.wait_for(PROMPT)
    b = make_tmux()
    b.line("clear")
    b.line(f"sess reconnect {name}")
    screen = b.wait_for(r"middle text")
    lines = screen.splitlines()
    assert lines[0].startswith("TOP BAR")
    assert lines[11].strip() == "middle text" and lines[11].index("middle") == 29
    assert "-- status --" in screen
    # Reverse video of the bar came back too.
    assert "\x1b[7mTOP BAR" in b.screen(escapes=True)
    # And the shell's own screen is restored when the program leaves the alt screen.
    b.keys("Enter")
    b.wait_for(r"^in>")


def test_lines_written_while_disconnected_reach_scrollback(make_tmux: MakeTmux) -> None:
    a = make_tmux()
    name = start(a)
    a.line("disconnect; seq -f 'away-%g' 1 1000")
    a.wait_for(PROMPT)
    b = make_tmux()
    b.line(f"sess reconnect {name}")
    b.wait_for(r"away-1000")
    history = b.wait_for(r"^away-1$", where="history")
    got = [int(x) for x in re.findall(r"^away-(\d+)$", history, re.M)]
    assert got == list(range(1, 1001))


def test_pipe_gets_exactly_the_missed_bytes(make_tmux: MakeTmux, home: Path,
                                            env: dict[str, str]) -> None:
    a = make_tmux()
    a.line("sess sh -c 'echo ready; read x; disconnect; seq 1 3000; sleep 600'")
    a.wait_for(r"^ready")
    (name,) = sessions(env)
    a.line("")
    a.wait_for(PROMPT)
    wait_until(lambda: "disconnected" in sessions(env).get(name, ""), what="disconnect")
    record = home / "record"
    a.line(f"sess reconnect {name} | cat > {record}")
    wait_until(lambda: record.exists() and record.read_bytes().endswith(b"3000\r\n"),
               what="the missed output")
    data = record.read_bytes()
    expected = "".join(f"{i}\r\n" for i in range(1, 3001)).encode()
    head, _, body = data.partition(b"is done\r\n")
    assert b"reconnect: will connect to session" in head
    assert body == expected


def test_force_takeover(make_tmux: MakeTmux, env: dict[str, str]) -> None:
    a = make_tmux()
    name = start(a)
    b = make_tmux()
    b.line(f"sess reconnect {name}")
    b.wait_for(r"session already connected somewhere else")
    b.wait_for(PROMPT)
    b.line(f"sess -f reconnect {name}")
    b.wait_for(rf"successfully connected to {name}", where="history")
    a.wait_for(rf"session {name} was taken over by another connection")
    a.line("echo a-is-back-in-its-shell-$?")
    a.wait_for(r"^a-is-back-in-its-shell-0")
    b.line("echo b-typed-$PTY")
    b.wait_for(rf"^b-typed-{name}")
    assert " connected" in sessions(env)[name]


def test_watcher_sees_output_and_its_input_is_ignored(make_tmux: MakeTmux, home: Path) -> None:
    a = make_tmux()
    name = start(a)
    w = make_tmux()
    w.line(f"sess -R reconnect {name}")
    w.wait_for(rf"successfully connected to {name}", where="history")
    a.line("echo from-the-writer-$((3*3))")
    w.wait_for(r"from-the-writer-9")
    w.line(f"touch {home}/watcher-typed")
    a.line("echo writer-still-here")
    w.wait_for(r"writer-still-here")
    assert not (home / "watcher-typed").exists()
    assert "watcher-typed" not in a.screen()
    w.keys("C-c")  # a watcher leaves with ^C
    w.wait_for(PROMPT)
    a.line("echo session-unharmed")
    a.wait_for(r"^session-unharmed")


def test_stopped_watcher_does_not_slow_the_writer(make_tmux: MakeTmux, env: dict[str, str],
                                                 sessdir: Path) -> None:
    a = make_tmux()
    name = start(a)
    # A watcher whose reader never reads: its pipe fills at once.
    watcher = subprocess.Popen(
        ["sess", "-R", "reconnect", name], env=env, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: any(st["name"] == name and st["watchers"] == 1
                               for st in channel.statuses(str(sessdir))), what="a watcher")
        a.line("head -c 4000000 /dev/zero | tr '\\0' x | fold -w 79; echo; echo ALL-DONE")
        a.wait_for(r"^ALL-DONE", timeout=60)
        # The watcher is resynchronised with a repaint once it reads again.
        assert watcher.stdout is not None
        seen = b""
        while b"ALL-DONE" not in seen:
            chunk = watcher.stdout.read1(1 << 16)
            assert chunk, "watcher ended without catching up"
            seen += chunk
    finally:
        watcher.kill()
        watcher.wait()


def test_vi_survives_detach_and_reattach(make_tmux: MakeTmux, home: Path) -> None:
    editor = "vim" if shutil.which("vim") else "vi"
    a = make_tmux()
    name = start(a)
    a.line(f"{editor} -u NONE -N {home}/notes.txt")
    a.wait_for(r'notes.txt" \[New')  # the editor's own message: it is ready
    a.keys("i")
    a.wait_for(r"-- INSERT --")
    a.keys("-l", "first line of notes")
    a.keys("Enter")
    a.keys("-l", "second line")
    a.keys("Escape")
    a.wait_for(r"second line")
    subprocess.run(["disconnect", "-s", name], env=a.env, check=True)
    a.wait_for(PROMPT)
    b = make_tmux(rows=30, cols=100)
    b.line("clear")
    b.line(f"sess reconnect {name}")
    screen = b.wait_for(r"second line")
    assert "first line of notes" in screen
    b.keys("-l", ":wq")
    b.keys("Enter")
    b.wait_for(r"^in>")
    assert (home / "notes.txt").read_text() == "first line of notes\nsecond line\n"
