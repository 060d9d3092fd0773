"""The pty 4.0 core on real ptys: sess, disconnect, reconnect, sesslist."""

from __future__ import annotations

import os
import re
import signal
import stat
from pathlib import Path

from terminal import Terminal, sessions, start_session, wait_until


def test_program_gets_pty_and_socket_dir_is_private(term: Terminal, sessdir: Path) -> None:
    name = start_session(term)
    assert re.fullmatch(r"[p-za-o][0-9a-f]", name)
    assert stat.S_IMODE(os.stat(sessdir).st_mode) == 0o700
    assert stat.S_ISSOCK(os.stat(sessdir / name).st_mode)


def test_disconnect_then_reconnect_shows_output_written_meanwhile(
    term: Terminal, env: dict[str, str]
) -> None:
    name = start_session(term)
    term.line("disconnect; sleep 1; echo written-while-away-$((6*7)) > /dev/tty")
    term.expect(r"\$ ")
    assert term.run("echo status=$?").strip().endswith("status=0")
    wait_until(lambda: "disconnected" in sessions(env).get(name, ""), what="disconnected")
    term.drain(1.5)
    assert "written-while-away-42" not in term.text
    term.mark()
    term.line(f"sess reconnect {name}")
    term.expect(r"written-while-away-42")
    term.line("echo back-in-$PTY")
    term.expect(rf"back-in-{name}")


def test_sesslist_format_and_long_name(term: Terminal, env: dict[str, str]) -> None:
    name = start_session(term)
    term.line("sessname 'writing net test program'; sessname")
    term.expect(rf"session {name}: writing net test program")
    line = sessions(env)[name]
    assert re.fullmatch(
        rf"session {name} pid \d+ slave \d+ connected: writing net test program", line
    )


def test_hangup_of_signaller_leaves_session_running(
    term: Terminal, env: dict[str, str]
) -> None:
    name = start_session(term)
    term.line("echo sig=$$")
    term.expect(r"sig=\d+")
    line = sessions(env)[name]
    master_pid = int(line.split()[3])
    program_pid = int(line.split()[5])
    # The signaller is the foreground job of the outer shell: find it as
    # the process whose child is not the master (the master is a daemon).
    import psutil

    signallers = [
        p for p in psutil.Process(term.pid).children() if "sess" in " ".join(p.cmdline())
    ]
    assert len(signallers) == 1
    os.kill(signallers[0].pid, signal.SIGHUP)
    term.expect(r"\$ ")
    wait_until(lambda: "disconnected" in sessions(env).get(name, ""), what="disconnect")
    assert psutil.pid_exists(master_pid) and psutil.pid_exists(program_pid)
    assert psutil.Process(program_pid).status() != psutil.STATUS_ZOMBIE


def test_exit_status_is_the_programs(term: Terminal) -> None:
    term.run("sess sh -c 'exit 7'")
    assert term.last_status == 7
    term.run("sess sh -c 'kill -TERM $$'")
    assert term.last_status == 128 + signal.SIGTERM


def test_program_exit_while_disconnected_waits_for_reconnect(
    term: Terminal, env: dict[str, str]
) -> None:
    name = start_session(term)
    term.line("disconnect; sleep 1; echo last-words; exit 5")
    term.expect(r"\$ ")
    wait_until(lambda: "exited, status 5" in sessions(env).get(name, ""), what="exit noticed")
    out = term.run(f"sess reconnect {name}")
    assert "last-words" in out
    assert term.last_status == 5
    wait_until(lambda: name not in sessions(env), what="master gone")


def test_eof_on_input_disconnects(term: Terminal, env: dict[str, str], home: Path) -> None:
    out = term.run("sess -q sh -c 'sleep 30' </dev/null; echo rc=$?")
    assert "rc=0" in out
    assert any("disconnected" in line for line in sessions(env).values())


def test_works_with_pipes(term: Terminal) -> None:
    out = term.run(
        "(echo 'echo via-$((2+3))-pipe; exit 3'; sleep 3) | sess -q sh | cat;"
        " echo codes=${PIPESTATUS[*]}"
    )
    assert "via-5-pipe" in out
    codes = re.search(r"codes=(\d+) (\d+) (\d+)", out)
    assert codes and codes.group(2) == "3"


def test_stop_and_fg_mirror_the_program(term: Terminal) -> None:
    term.line("sess cat")
    term.send("before\r")
    term.expect(r"before\r\nbefore")
    term.send(b"\x1a")  # ^Z reaches the program through the session's pty
    term.expect(r"Stopped")
    term.expect(r"\$ ")
    term.line("fg")
    term.send("after\r")
    term.expect(r"after\r\nafter")
    term.send(b"\x04")
    term.expect(r"\$ ")


def test_window_size_follows_terminal(term: Terminal) -> None:
    term.set_size(30, 100)
    start_session(term)
    term.line("stty size")
    term.expect(r"30 100")
    term.line("trap 'echo WINCHED' WINCH")
    term.set_size(33, 90)
    term.expect(r"WINCHED")
    term.line("stty size")
    term.expect(r"33 90")


def test_reconnect_sends_sigwinch_even_at_same_size(term: Terminal) -> None:
    name = start_session(term)
    term.line("trap 'echo WINCH-$((1+1))' WINCH; disconnect")
    term.expect(r"\$ ")
    term.line(f"sess reconnect {name}")
    term.expect(r"WINCH-2")


def test_terminal_is_given_back(term: Terminal) -> None:
    before = term.run("stty -g")
    term.run("sess sh -c 'exit 0'")
    assert term.run("stty -g").strip() == before.strip()
    flags = term.run(
        "python3 -c 'import fcntl,os; print(\"nb\", fcntl.fcntl(0, fcntl.F_GETFL) & os.O_NONBLOCK)'"
    )
    assert "nb 0" in flags


def test_the_end_waits_for_the_signallers_go(env: dict[str, str], sessdir: Path) -> None:
    """A program that is gone before its signaller has said go: the signaller
    still says it, and then hears the status (a master that ended at once
    made it fail with 'refuses to listen')."""
    import subprocess

    from sessmux.client import channel as client

    made = subprocess.run(["sessmux", "-n", "-w", "quick", "sh", "-c", "exit 5"], env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    assert made.returncode == 0, made.stderr
    wait_until(lambda: "exited" in sessions(env).get("quick", ""), what="the program to end")
    channel = client.connect(str(sessdir), "quick")
    null = os.open(os.devnull, os.O_RDWR)
    try:
        channel.send({"t": "attach", "mode": "rw", "hold": True, "tty": False,
                      "rows": 0, "cols": 0}, [null, null])
        assert channel.receive()["t"] == "attached"
        assert not channel.inbox, channel.inbox
        channel.sock.settimeout(0.5)
        try:
            early: bytes | None = channel.sock.recv(1 << 16)
        except TimeoutError:
            early = None  # nothing came: the master waits for go
        assert early is None, f"the master spoke, or ended, before go: {early!r}"
    finally:
        os.close(null)
    channel.sock.settimeout(10)
    channel.send({"t": "go"})
    assert channel.receive() == {"t": "exited", "code": 5}
    channel.close()
