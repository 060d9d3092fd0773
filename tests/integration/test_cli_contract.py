"""The contract every command keeps, as users of coreutils and tmux expect it.

``--version`` and ``--help`` answer on stdout with exit 0; the listing
tools in a fresh account (no session directory yet, no ``SESSMUX_DIR``,
no ``XDG_RUNTIME_DIR``) exit 0 quietly, and ``sesslist``/``sessmux -l``
print nothing and make no directory; a ``sess`` whose program cannot be
run leaves no process behind.  Real launchers from ``bin/``; the fresh
account also as an ordinary user (root only).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from terminal import BIN, ROOT, start_detached, wait_until
from users import as_user, ensure_user, kill_user_processes, python_for, world_copy

from sessmux import __version__

COMMANDS = ["disconnect", "reconnect", "rezumable", "rezume", "sess", "sesskill", "sesslist",
            "sesslog", "sessmenu", "sessmux", "sessname", "sessview", "sesswait", "sesswhere",
            "sesswho"]
LISTINGS = [["sesslist"], ["sessmux", "-l"], ["sesswho"], ["sesswhere"]]
USER = "sessmux-fresh"  # a user of this file's own: other files' cleanups never touch it


def run(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), env=env, capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)


def fresh_env(home: Path, tmp: Path, path: str = str(BIN),
              python: str = sys.executable) -> dict[str, str]:
    """An account that has never run sessmux: no session directory, nothing set for it."""
    return {"PATH": f"{path}:/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(tmp),
            "SESSMUX_PYTHON": python, "LANG": "C.UTF-8", "TERM": "xterm"}


@pytest.fixture
def fresh(home: Path, tmp_path: Path) -> tuple[dict[str, str], Path]:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    return fresh_env(home, tmp), tmp


def pids_with_home(home: Path) -> set[int]:
    found = set()
    for proc in psutil.process_iter(["pid", "environ"]):
        if (proc.info.get("environ") or {}).get("HOME") == str(home):
            found.add(proc.info["pid"])
    return found


def test_every_command_is_here() -> None:
    assert sorted(p.stem for p in (ROOT / "man" / "man1").glob("*.1")) == COMMANDS
    assert sorted(p.name for p in BIN.iterdir()) == COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_version(command: str, fresh: tuple[dict[str, str], Path]) -> None:
    out = run(fresh[0], command, "--version")
    assert (out.returncode, out.stdout, out.stderr) == (
        0, f"{command} (sessmux) {__version__}\n", "")


@pytest.mark.parametrize("command", COMMANDS)
def test_help(command: str, fresh: tuple[dict[str, str], Path]) -> None:
    out = run(fresh[0], command, "--help")
    assert (out.returncode, out.stderr) == (0, "")
    assert out.stdout.startswith(f"usage: {command}") and "\n\n" in out.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_man_page_names_version(command: str) -> None:
    text = (ROOT / "man" / "man1" / f"{command}.1").read_text(encoding="utf-8")
    options = text.partition("\n.SH OPTIONS\n")[2].partition("\n.SH ")[0]
    assert ".B \\-\\-version\n" in options
    assert text.startswith(f".TH {command.upper()} 1 ") and f'"sessmux {__version__}"' in text


@pytest.mark.parametrize("argv", LISTINGS, ids=" ".join)
def test_listing_in_a_fresh_account(argv: list[str], fresh: tuple[dict[str, str], Path]) -> None:
    env, tmp = fresh
    out = run(env, *argv)
    assert (out.returncode, out.stderr) == (0, "")
    if argv[0] in ("sesslist", "sessmux"):
        assert out.stdout == ""
    assert list(tmp.iterdir()) == []  # a listing makes no session directory


@pytest.mark.parametrize("command", ["sesswho", "sesswhere"])
def test_system_sessions_listed_from_a_fresh_account(
        command: str, env: dict[str, str], fresh: tuple[dict[str, str], Path]) -> None:
    """Another account's session, in the registry every account reads (here a private one)."""
    name = start_detached(env, "sleep", "60")
    registry = {"SESSMUX_REGISTRY": env["SESSMUX_REGISTRY"]}
    out = run({**fresh[0], **registry}, command)
    assert (out.returncode, out.stderr) == (0, "")
    assert [line.split()[0] for line in out.stdout.splitlines()] == [name]


@pytest.mark.parametrize("program", ["/nonexistent/program", "no-such-program-here", "plain"])
def test_sess_of_a_program_that_cannot_run_leaves_nothing(
        program: str, home: Path, fresh: tuple[dict[str, str], Path]) -> None:
    env, tmp = fresh
    (home / "plain").write_text("echo hi\n")  # there, but not executable
    if program == "plain":
        program = str(home / "plain")
    code, why = (126, "Permission denied") if program.endswith("plain") else (
        127, "No such file or directory")
    out = subprocess.run(["sess", program], env=env, capture_output=True, text=True,
                         timeout=30, stdin=subprocess.DEVNULL, cwd=home)
    assert (out.returncode, out.stdout) == (code, "")
    assert out.stderr == f"sess: fatal: cannot run {program}: {why}\n"
    # A fork server is forked before sess exits: it would be here already.
    assert pids_with_home(home) == set()


def test_sess_of_a_missing_program_with_a_fork_server_running(
        env: dict[str, str], home: Path, sessdir: Path) -> None:
    start_detached(env, "sleep", "60")
    wait_until(lambda: any(p.name.startswith(".forkserver-") and not p.name.endswith(".lock")
                           for p in sessdir.iterdir()), what="the fork server")
    before = pids_with_home(home)
    out = run(env, "sess", "/nonexistent/program")
    assert (out.returncode, out.stderr) == (
        127, "sess: fatal: cannot run /nonexistent/program: No such file or directory\n")
    assert pids_with_home(home) == before  # no new master
    assert run(env, "sesslist").stdout.count("\n") == 1


@pytest.fixture(scope="module")
def user() -> pwd.struct_passwd:
    if os.getuid() != 0:
        pytest.skip("creating a user needs root")
    return ensure_user(USER)


@pytest.fixture
def user_world(user: pwd.struct_passwd) -> Iterator[tuple[dict[str, str], Path]]:
    """A fresh account of an ordinary user: its own HOME and TMPDIR, a checkout it can read."""
    top = world_copy("sessmux-fresh-")
    for part in ("home", "tmp"):
        (top / part).mkdir()
        os.chown(top / part, user.pw_uid, user.pw_gid)
    python = python_for(user, top)
    if python is None:
        shutil.rmtree(top, ignore_errors=True)
        pytest.skip("no python the test user can run with sessmux's dependencies")
    yield fresh_env(top / "home", top / "tmp", str(top / "bin"), python), top / "tmp"
    kill_user_processes(user.pw_uid)
    shutil.rmtree(top, ignore_errors=True)


def test_a_fresh_ordinary_user(user: pwd.struct_passwd,
                               user_world: tuple[dict[str, str], Path]) -> None:
    env, tmp = user_world
    for argv in LISTINGS:
        out = subprocess.run(as_user(user, *argv), env=env, capture_output=True, text=True,
                             timeout=30, stdin=subprocess.DEVNULL)
        assert (out.returncode, out.stderr) == (0, ""), argv
        if argv[0] in ("sesslist", "sessmux"):
            assert out.stdout == "", argv
    assert list(tmp.iterdir()) == []
    out = subprocess.run(as_user(user, "sess", "/nonexistent/program"), env=env,
                         capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert out.returncode == 127, out.stderr
    left = [p.pid for p in psutil.process_iter(["uids"])
            if p.info.get("uids") is not None and p.info["uids"].real == user.pw_uid]
    assert left == []
