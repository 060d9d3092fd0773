"""Test helpers for running sessmux as an ordinary user (the tests create it; root only).

Does I/O.  ``ensure_user`` makes (or adjusts) a local user (:data:`VICTIM`
runs sessions, :data:`ATTACKER` attacks them), ``as_user``
builds a command line that runs as it, ``world_copy`` puts a copy of the
checkout where that user can read it, and ``python_for`` finds an
interpreter the user can run sessmux's master with.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from terminal import ROOT

VICTIM = "sessmux-test"  # the ordinary user whose sessions the tests run
ATTACKER = "sessmux-attacker"  # another ordinary user, who attacks them


def ensure_user(name: str, shell: str = "/bin/bash", login: bool = False,
                home: Path | None = None) -> pwd.struct_passwd:
    """The user ``name``, made if missing; ``login``: one sshd lets in with a key."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--shell", shell, name],
                       check=True, capture_output=True)
    if login or home is not None:
        # Without PAM, sshd refuses a locked account ("!"): "*" is no password, not locked.
        # (usermod fails while the user is logged in elsewhere; then only that part waits.)
        change = ["usermod", "-s", shell, *(["-p", "*"] if login else [])]
        if home is not None:
            change += ["-d", str(home)]
        subprocess.run([*change, name], check=False, capture_output=True)
    return pwd.getpwnam(name)


def as_user(user: pwd.struct_passwd, *argv: str) -> list[str]:
    """``argv`` run as ``user`` (real and effective ids, its groups)."""
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups",
            "--", *argv]


def world_copy(prefix: str) -> Path:
    """A copy of sessmux/, bin/ and the tests' inputrc that everyone can read."""
    top = Path(tempfile.mkdtemp(prefix=prefix))
    top.chmod(0o755)
    for part in ("sessmux", "bin"):
        shutil.copytree(ROOT / part, top / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "tests" / "support" / "inputrc", top / "inputrc")
    subprocess.run(["chmod", "-R", "a+rX", str(top)], check=True)
    return top


def python_for(user: pwd.struct_passwd, top: Path) -> str | None:
    """An interpreter ``user`` can run sessmux's master with, from ``top``.

    Probed through a shell, as the launchers run it: every directory on the
    way to the interpreter must be open to the user (setpriv itself may
    still reach one the user's own shell cannot).
    """
    for candidate in (sys.executable, "/usr/bin/python3"):
        probe = subprocess.run(
            as_user(user, "/bin/sh", "-c", 'exec "$0" -c "import sessmux.master.loop, psutil"',
                    candidate),
            env={"PYTHONPATH": str(top), "PATH": "/usr/bin:/bin"}, capture_output=True,
        )
        if probe.returncode == 0:
            return candidate
    return None


def kill_user_processes(uid: int) -> None:
    """Kill every process of ``uid``, by pid."""
    import psutil

    for proc in psutil.process_iter(["pid", "uids"]):
        uids = proc.info.get("uids")
        if uids is not None and uids.real == uid:
            try:
                os.kill(proc.info["pid"], signal.SIGKILL)
            except OSError:
                pass


@contextlib.contextmanager
def user_world(user: pwd.struct_passwd, prefix: str) -> Iterator[tuple[Path, str, dict[str, str]]]:
    """A world copy with a ``home`` of ``user``'s, an interpreter, and an environment.

    Skips the test if no interpreter there runs sessmux for ``user``; every
    process of ``user`` is killed, by pid, at the end.
    """
    import pytest

    top = world_copy(prefix)
    home = top / "home"
    home.mkdir()
    os.chown(home, user.pw_uid, user.pw_gid)
    try:
        python = python_for(user, top)
        if python is None:
            pytest.skip("no python the test user can run with sessmux's dependencies")
        env = {"PATH": f"{top / 'bin'}:/usr/bin:/bin", "HOME": str(home), "SHELL": "/bin/sh",
               "SESSMUX_PYTHON": python, "SESSMUX_DIR": str(home / "sessions"),
               "SESSMUX_REGISTRY": str(home / "registry"), "LANG": "C.UTF-8",
               "USER": user.pw_name, "PYTHONPATH": str(top)}
        yield top, python, env
    finally:
        kill_user_processes(user.pw_uid)
        shutil.rmtree(top, ignore_errors=True)
