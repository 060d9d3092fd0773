"""The README's first command: install.sh into a fresh HOME, then the installed commands.

Real: a virtual environment made by the machine's python3, sessmux and its
dependencies installed by pip from the package registry, the commands it
writes run against real masters.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from terminal import ROOT, Terminal, kill_sessions, wait_until
from users import as_user, ensure_user, kill_user_processes

COMMANDS = ("sess", "disconnect", "reconnect", "sessname", "sesslist", "sesskill", "sessmux",
            "rezume", "sessmenu", "sesswho", "sesswhere", "sessview", "rezumable", "sesslog")


SOURCES = ("install.sh", "pyproject.toml", "README.md", "sessmux", "bin", "man")


@pytest.mark.timeout(600)
def test_install_sh_then_the_installed_commands(tmp_path: Path) -> None:
    check_install(tmp_path, ROOT, [])


@pytest.mark.timeout(600)
@pytest.mark.skipif(os.geteuid() != 0, reason="creates an ordinary user (needs root)")
def test_an_ordinary_user_installs_from_a_tree_they_cannot_write() -> None:
    user = ensure_user("sessmux-test")
    top = Path(tempfile.mkdtemp(prefix="sessmux-install-"))
    try:
        top.chmod(0o755)
        source = top / "source"  # root's: readable, not writable, for the user
        source.mkdir()
        for part in SOURCES:
            copy = shutil.copytree if (ROOT / part).is_dir() else shutil.copy
            copy(ROOT / part, source / part)
        subprocess.run(["chmod", "-R", "a+rX,go-w", str(source)], check=True)
        work = top / "work"
        work.mkdir()
        os.chown(work, user.pw_uid, user.pw_gid)
        check_install(work, source, as_user(user), user)
    finally:
        kill_user_processes(user.pw_uid)
        shutil.rmtree(top, ignore_errors=True)


def check_install(tmp_path: Path, source: Path, prefix: list[str],
                  user: pwd.struct_passwd | None = None) -> None:
    """install.sh from ``source`` into a fresh HOME, then the commands it installed."""
    home = tmp_path / "home"
    home.mkdir()
    if user is not None:
        os.chown(home, user.pw_uid, user.pw_gid)
    sessdir = tmp_path / "sessions"
    env = {"HOME": str(home), "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
           "SESSMUX_DIR": str(sessdir), "SESSMUX_REGISTRY": str(tmp_path / "registry")}
    done = subprocess.run([*prefix, "sh", str(source / "install.sh")], env=env,
                          capture_output=True, text=True, timeout=540,
                          stdin=subprocess.DEVNULL, cwd="/")
    assert done.returncode == 0, done.stderr[-3000:]
    bindir = home / ".local" / "bin"
    assert f"commands in {bindir}" in done.stdout
    for command in COMMANDS:
        assert os.access(bindir / command, os.X_OK), command
    # The commands start Python without site, with the environment's packages on the path.
    first = (bindir / "sess").read_text().splitlines()[0]
    assert first.startswith("#!") and first.endswith(" -S"), first
    assert (home / ".local" / "share" / "man" / "man1" / "sess.1").is_file()

    env["PATH"] = f"{bindir}:{env['PATH']}"

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*prefix, *argv], env=env, capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL, cwd="/")

    try:
        helped = run("sess", "--help")
        assert helped.returncode == 0 and helped.stdout.startswith("usage: sess ")
        made = run("sessmux", "-n", "-w", "installed", "sh", "-c",
                   "printf '\\033[32minstalled\\033[0m\\n'; exec sleep 300")
        assert made.returncode == 0, made.stderr
        assert run("sesslist").stdout.startswith("session installed pid ")
        # A fresh terminal is repainted from the screen model (pyte, from the environment).
        term = Terminal({**env, "TERM": "xterm"},
                        argv=[*prefix, "sessmux", "-a", "-r", "installed"],
                        owner=(user.pw_uid, user.pw_gid) if user else None)
        try:
            term.expect(r"\x1b\[[0-9;]*32m\s*installed")
        finally:
            term.close()
        assert run("sesskill", "-y", "-s", "installed").returncode == 0
        wait_until(lambda: "installed" not in run("sesslist").stdout, what="the session to end")
    finally:
        kill_sessions(sessdir)
