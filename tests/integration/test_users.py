"""The key scenarios as an ordinary user, not root (created by the test)."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from terminal import Terminal
from users import as_user, ensure_user, kill_user_processes, python_for, world_copy

USER = "sessmux-test"

pytestmark = pytest.mark.skipif(os.getuid() != 0, reason="creating a user needs root")


@pytest.fixture(scope="module")
def user() -> pwd.struct_passwd:
    return ensure_user(USER)


@pytest.fixture
def world(user: pwd.struct_passwd) -> Iterator[tuple[Path, str]]:
    """A copy of the checkout the user can read, and a python that imports it."""
    top = world_copy("sessmux-user-")
    home = top / "home"
    home.mkdir()
    os.chown(home, user.pw_uid, user.pw_gid)
    python = python_for(user, top)
    if python is None:
        shutil.rmtree(top, ignore_errors=True)
        pytest.skip("no python the test user can run with sessmux's dependencies")
    yield top, python
    kill_user_processes(user.pw_uid)
    shutil.rmtree(top, ignore_errors=True)


def test_sessions_of_an_ordinary_user(user: pwd.struct_passwd, world: tuple[Path, str]) -> None:
    top, python = world
    home = top / "home"
    env = {
        "PATH": f"{top / 'bin'}:/usr/bin:/bin",
        "HOME": str(home),
        "SESSMUX_PYTHON": python,
        "TMPDIR": str(home),
        "TERM": "xterm",
        "LANG": "C.UTF-8",
        "PS1": "$ ",
        "USER": USER,
        "INPUTRC": str(top / "inputrc"),
    }
    term = Terminal(
        env, argv=as_user(user, "bash", "--norc", "--noprofile", "-i"),
        cwd=str(home), owner=(user.pw_uid, user.pw_gid),
    )
    try:
        term.expect(r"\$ ")
        assert term.run("id -u").strip() == str(user.pw_uid)
        term.line("PS1='in''> ' sess bash --norc --noprofile")
        term.expect(r"in> ")
        term.line("echo name=$PTY")
        name = term.expect(r"name=(\w+)").group(1)
        sessdir = home / f"sessmux-{user.pw_uid}"
        st = os.stat(sessdir)
        assert st.st_uid == user.pw_uid and st.st_mode & 0o777 == 0o700
        term.line("disconnect; sleep 1; echo while-away-$((40+2)) >/dev/tty")
        term.expect(r"\$ ")
        assert f"session {name} pid" in term.run("sesslist")
        term.line(f"sess reconnect {name}")
        term.expect(rf"successfully connected to {name}|while-away-42")
        term.expect(r"while-away-42|successfully connected")
        term.line("exit 4")
        term.expect(r"\$ ")
        assert "rc=4" in term.run("echo rc=$?")
        # The user's own terminal modes and flags come back.
        assert "-icanon" not in term.run("stty -a")
    finally:
        term.close()


def test_an_ordinary_users_second_session_comes_from_their_own_fork_server(
        user: pwd.struct_passwd, world: tuple[Path, str]) -> None:
    top, python = world
    sessdir = top / "home" / "sessions"
    script = (
        "sessmux -n -w one sleep 300 || exit 1\n"
        "i=0; while [ $i -lt 400 ] && ! ls -a \"$SESSMUX_DIR\" | grep -q '^.forkserver-[0-9a-f]*$';"
        " do\n"
        "  sleep 0.05; i=$((i+1)); done\n"
        "sessmux -n -w two sleep 300 || exit 1\n"
        "sesslist\n"
    )
    env = {"PATH": f"{top / 'bin'}:/usr/bin:/bin", "HOME": str(top / "home"),
           "SESSMUX_PYTHON": python, "SESSMUX_DIR": str(sessdir), "LANG": "C.UTF-8",
           "SESSMUX_REGISTRY": str(top / "home" / "registry")}
    result = subprocess.run(as_user(user, "/bin/sh", "-c", script), env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    pids = dict(re.findall(r"^session (\w+) pid (\d+)", result.stdout, re.M))
    assert set(pids) == {"one", "two"}, result.stdout
    two = Path(f"/proc/{pids['two']}")
    assert b"forkserver" in (two / "cmdline").read_bytes()  # made by the server ...
    assert two.stat().st_uid == user.pw_uid  # ... which is the user's own
    servers = [p for p in sessdir.iterdir() if p.name.startswith(".forkserver-")]
    assert len(servers) == 2 and all(p.stat().st_uid == user.pw_uid for p in servers)  # + lock
