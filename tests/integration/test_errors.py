"""Bad input gets one clear line and a documented exit code; nothing is harmed."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from conftest import MakeTerminal
from terminal import Terminal, kill_sessions, sessions, start_session, wait_until

BAD_NAMES = ["../x", "a/b", "", "x" * 65, "a\nb", "esc\x1b[2J", ".hidden", "-s"]
TOOLS = [
    ["disconnect", "-s"],
    ["reconnect", "-s"],
    ["sessname", "-s"],
    ["sesskill", "-y", "-s"],
]


def run(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), env=env, capture_output=True, text=True, timeout=20)


def one_line_error(result: subprocess.CompletedProcess[str], prog: str) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{prog}: "), lines[0]
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize("bad", BAD_NAMES)
@pytest.mark.parametrize("tool", TOOLS, ids=lambda t: t[0])
def test_bad_names_refused_by_every_tool(
    tool: list[str], bad: str, env: dict[str, str], sessdir: Path, tmp_path: Path
) -> None:
    sessdir.mkdir(mode=0o700)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = run(env, *tool, bad)
    assert result.returncode == 2 if bad != "-s" else result.returncode in (1, 2)
    line = one_line_error(result, tool[0])
    if bad != "-s":
        assert "bad session name" in line
        assert "\n" not in line and "\x1b" not in line
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_bad_reconnect_target_refused(term: Terminal) -> None:
    start_session(term)
    out = term.run("reconnect ../../etc")
    assert "reconnect: fatal: bad session name ../../etc" in out
    assert term.last_status == 2


def test_tools_need_a_session(env: dict[str, str]) -> None:
    for tool in ("disconnect", "reconnect", "sessname", "sesskill"):
        result = run(env, tool, *(["-y"] if tool == "sesskill" else []))
        line = one_line_error(result, tool)
        assert line == f"{tool}: fatal: no -s specified, and PTY not set; are we under a session?"
        assert result.returncode == 2


def test_unknown_option_is_usage_error(env: dict[str, str]) -> None:
    for tool in ("sess", "disconnect", "reconnect", "sessname", "sesslist", "sesskill"):
        result = run(env, tool, "-Z")
        assert result.returncode == 1, tool
        assert result.stderr.startswith(f"{tool}: fatal: unrecognized option -Z\n")
        assert "usage:" in result.stderr
        assert run(env, tool, "--help").returncode == 0


def test_missing_session(env: dict[str, str], sessdir: Path) -> None:
    sessdir.mkdir(mode=0o700)
    result = run(env, "disconnect", "-s", "zz")
    assert one_line_error(result, "disconnect") == (
        "disconnect: fatal: cannot find session zz; if it exists, do you own it?"
    )
    assert result.returncode == 2


def test_disconnect_twice_warns(term: Terminal, env: dict[str, str]) -> None:
    name = start_session(term)
    term.line("disconnect")
    term.expect(r"\$ ")
    result = run(env, "disconnect", "-s", name)
    assert one_line_error(result, "disconnect") == (
        f"disconnect: warning: session {name} already disconnected"
    )
    assert result.returncode == 2


def test_sesskill_guards_and_hangup(term: Terminal, env: dict[str, str], home: Path) -> None:
    name = start_session(term)
    trap = f'trap "echo hup > {home}/got-hup; exit 1" HUP'
    term.line(f"sh -c '{trap}; while :; do sleep 1; done' &")
    term.expect(r"\[1\] \d+")
    out = term.run("sesskill")
    assert "sesskill: fatal: -y not specified, so no action taken" in out
    assert term.last_status == 2
    out = term.run("sesskill -y")
    assert "sesskill: fatal: that session is us, and -m not specified, so no action taken" in out
    assert term.last_status == 2
    assert name in sessions(env)
    result = run(env, "sesskill", "-y", "-s", name)
    assert result.returncode == 0, result.stderr
    term.expect(r"\$ ")
    wait_until(lambda: (home / "got-hup").exists(), what="program got HUP")
    wait_until(lambda: name not in sessions(env), what="session gone")


def test_unsafe_directory_refused(env: dict[str, str], sessdir: Path) -> None:
    sessdir.mkdir(mode=0o755)
    os.chmod(sessdir, 0o755)
    result = run(env, "sess", "true")
    line = one_line_error(result, "sess")
    assert "unsafe permissions" in line and str(sessdir) in line
    assert result.returncode == 8
    result = run(env, "sesslist")
    assert "unsafe permissions" in one_line_error(result, "sesslist")
    assert result.returncode == 2


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to make a directory someone else's")
def test_directory_of_another_owner_refused(env: dict[str, str], sessdir: Path) -> None:
    sessdir.mkdir(mode=0o700)
    os.chown(sessdir, 65534, 65534)
    result = run(env, "sess", "true")
    line = one_line_error(result, "sess")
    assert "unsafe permissions" in line and "owned by uid 65534" in line
    assert result.returncode == 8


PROBE = r"""
import socket, struct, json, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
for m in ({"t": "hello", "v": 1}, {"t": "status"}):
    b = json.dumps(m).encode()
    try:
        s.sendall(struct.pack(">I", len(b)) + b)
    except OSError:
        pass  # the master may already have hung up on us
data = b""
while True:
    try:
        chunk = s.recv(4096)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
print(data[4:].decode() if data else "closed")
"""


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to act as another uid")
def test_master_refuses_another_uid(make_terminal: MakeTerminal, env: dict[str, str]) -> None:
    # A directory another user can traverse, so only the master's own check stands.
    outer = Path(tempfile.mkdtemp(prefix="sessmux-uid-"))
    outer.chmod(0o711)
    sessdir = outer / "s"
    term = make_terminal(env={**env, "SESSMUX_DIR": str(sessdir)})
    try:
        name = start_session(term)
        os.chmod(sessdir, 0o711)
        os.chmod(sessdir / name, 0o777)
        result = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             "/usr/bin/python3", "-c", PROBE, str(sessdir / name)],
            capture_output=True, text=True, timeout=20,
        )
        assert "permission denied" in result.stdout, result.stdout + result.stderr
        assert "slave" not in result.stdout
        os.chmod(sessdir, 0o700)
        term.line("echo still-alive-$PTY")
        term.expect(rf"still-alive-{name}")
    finally:
        kill_sessions(sessdir)
        shutil.rmtree(outer, ignore_errors=True)


def test_what_is_not_a_socket_in_the_directory_is_left_alone(
        env: dict[str, str], sessdir: Path) -> None:
    """A listing or a new session refused by a plain file must not remove it."""
    assert run(env, "sessmux", "-n", "-w", "first", "sleep", "300").returncode == 0
    notes = sessdir / "notes"
    notes.write_text("mine\n")
    assert run(env, "sesslist").returncode == 0
    taken = run(env, "sessmux", "-n", "-w", "notes", "sleep", "300")
    assert taken.returncode == 2
    assert one_line_error(taken, "sessmux") == "sessmux: fatal: session notes already exists"
    assert notes.read_text() == "mine\n"
    assert set(sessions(env)) == {"first"}


def test_a_dead_masters_socket_is_taken_over(env: dict[str, str], sessdir: Path) -> None:
    import socket

    assert run(env, "sessmux", "-n", "-w", "first", "sleep", "300").returncode == 0
    with socket.socket(socket.AF_UNIX) as dead:
        dead.bind(str(sessdir / "gone"))  # what a killed master leaves: nobody listens
    assert run(env, "sessmux", "-n", "-w", "gone", "sleep", "300").returncode == 0
    assert set(sessions(env)) == {"first", "gone"}
