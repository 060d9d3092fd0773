"""The paper's idioms, each on real ptys: flip, exec reconnect, recording."""

from __future__ import annotations

import re
from pathlib import Path

from terminal import Terminal, sessions, start_session, wait_until


def detached_session(term: Terminal, marker: str) -> str:
    """A disconnected session whose prompt says ``marker``."""
    name = start_session(term)
    term.line(f"PS1='{marker}''> '; disconnect")
    term.expect(r"\$ ")
    return name


def test_flip_back_and_forth(term: Terminal, env: dict[str, str]) -> None:
    other = detached_session(term, "other")
    first = start_session(term)
    for _ in range(2):
        term.line(f"reconnect {other}; disconnect")
        term.expect(rf"reconnect: will connect to session {other} when session {first} is done")
        term.expect(rf"sess: info: reconnecting to {other}")
        term.expect(rf"sess: info: successfully connected to {other}")
        term.line("echo now-in-$PTY")
        term.expect(rf"now-in-{other}")
        listing = sessions(env)
        assert "disconnected" in listing[first] and " connected" in listing[other]
        term.line(f"reconnect {first}; disconnect")
        term.expect(rf"sess: info: successfully connected to {first}")
        term.line("echo now-in-$PTY")
        term.expect(rf"now-in-{first}")


def test_reconnect_then_exit_goes_to_target(term: Terminal, env: dict[str, str]) -> None:
    other = detached_session(term, "other")
    first = start_session(term)
    term.line(f"reconnect {other}; exit")
    term.expect(rf"successfully connected to {other}")
    term.line("echo now-in-$PTY")
    term.expect(rf"now-in-{other}")
    wait_until(lambda: first not in sessions(env), what="first session gone")


def test_exec_reconnect(term: Terminal, env: dict[str, str]) -> None:
    other = detached_session(term, "other")
    first = start_session(term)
    term.line(f"exec reconnect {other}")
    term.expect(rf"successfully connected to {other}")
    term.line("echo now-in-$PTY")
    term.expect(rf"now-in-{other}")
    wait_until(lambda: first not in sessions(env), what="first session gone")


def test_sess_reconnect_from_outside(term: Terminal) -> None:
    other = detached_session(term, "other")
    term.line(f"sess reconnect {other}")
    term.expect(rf"successfully connected to {other}")
    term.line("echo now-in-$PTY")
    term.expect(rf"now-in-{other}")


def test_recording_a_running_session(term: Terminal, home: Path) -> None:
    """SESS.draft2 section 4: record a running session with tee."""
    p8 = start_session(term)
    # A program runs in p8 and is stopped with ^Z.
    loop = 'for i in 1 2 3 4 5 6 7 8; do read line; echo "tick-$i-$line"; done'
    term.line(f"sh -c 'echo re\"\"ady; {loop}'")  # the marker is not in the typed line
    term.expect(r"ready")
    term.send("a\r")
    term.expect(r"tick-1-a")
    term.send(b"\x1a")
    term.expect(r"Stopped")
    # sess sh; sessname; disconnect: a second session rf, left disconnected.
    term.line("PS1='rf''> ' sess sh")
    term.expect(r"rf> ")
    term.line("sessname; disconnect")
    rf = term.expect(r"session (\w+)").group(1)
    term.expect(r"in> ")
    # Back in p8: reconnect rf; disconnect.
    term.line(f"reconnect {rf}; disconnect")
    term.expect(rf"successfully connected to {rf}")
    # In rf: record p8 while using it.
    term.line(f"sess reconnect {p8} | tee talk-record")
    term.expect(rf"successfully connected to {p8}")
    term.line("fg")
    term.expect(r"sh -c 'echo re")  # the shell names the job it continues
    term.send("b\r")
    term.expect(r"tick-2-b")
    term.send("c\r")
    term.expect(r"tick-3-c")
    record = home / "talk-record"
    wait_until(lambda: record.exists() and "tick-3-c" in record.read_text(), what="recording")
    text = record.read_text()
    assert "tick-2-b" in text and "tick-3-c" in text
    assert "tick-1-a" not in text  # only what the session wrote after the recording began


def test_target_missing_when_it_takes_effect(term: Terminal) -> None:
    start_session(term)
    term.line("reconnect zz; disconnect")
    term.expect(r"sess: fatal: signaller cannot reconnect to session zz; does it exist\?")
    term.expect(r"\$ ")
    assert "rc=17" in term.run("echo rc=$?")
    out = term.run("sess reconnect zz; echo rc=$?")
    assert "sess: fatal: signaller cannot reconnect to session zz; does it exist?" in out
    assert "rc=17" in out


def test_target_already_connected(term: Terminal, make_terminal: object) -> None:
    other_term = make_terminal()  # type: ignore[operator]
    busy = start_session(other_term)
    start_session(term)
    term.line(f"reconnect {busy}; disconnect")
    term.expect(r"sess: fatal: session already connected somewhere else")
    out = term.run("echo rc=$?")
    assert "rc=16" in out


def test_reconnect_on_disconnected_session_fails(term: Terminal) -> None:
    name = detached_session(term, "x")
    out = term.run(f"reconnect -s {name} zz")
    assert re.search(rf"reconnect: fatal: session {name} not connected", out)
    assert term.last_status == 2
