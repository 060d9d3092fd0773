"""Several "hosts" on 127.0.0.1 for the many-hosts tests and benchmark.

Does I/O.  :func:`hosts` starts one real sshd per alias (tests/support/sshd.py),
lets ``user`` in with a key, and gives each host its own session directory
through the server's ``SetEnv`` (SESSMUX_DIR, SESSMUX_PYTHON, SESSMUX_REGISTRY,
PATH): one copy of the checkout, readable by everyone, is sessmux on every
host.  The local side gets an environment whose ``SESSMUX_SSH`` reads a test
ssh_config naming the hosts by alias, and ``SESSMUX_REMOTE_BIN`` points at
the copy's commands.  Every process started is killed by pid at the end.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sshd
from terminal import base_env, kill_by_home, kill_sessions
from users import as_user, ensure_user, python_for, world_copy

USER = "sessmux-hosts"  # our own login user: other files' cleanups never touch it
USER_HOME = Path("/var/tmp/sessmux-hosts-home")


@dataclass
class Hosts:
    top: Path  # the world copy (sessmux on every host); local files under it too
    servers: dict[str, sshd.Sshd]
    sessdirs: dict[str, Path]  # each host's session directory
    config: Path  # the ssh_config naming the hosts
    user: pwd.struct_passwd
    python: str
    env: dict[str, str]  # the local side's environment

    def start(self, alias: str, *names: str, program: str = "sleep 600") -> None:
        """Start sessions ``names`` on host ``alias`` (as its user, directly: no ssh)."""
        script = "".join(f"sessmux -n {name} {program} || exit 1\n" for name in names)
        subprocess.run(as_user(self.user, "/bin/sh", "-c", script),
                       env=self.remote_env(alias), check=True, capture_output=True, timeout=120)

    def remote_env(self, alias: str) -> dict[str, str]:
        return {"PATH": f"{self.top / 'bin'}:/usr/bin:/bin", "HOME": str(self.top / "home"),
                "SESSMUX_DIR": str(self.sessdirs[alias]), "SESSMUX_PYTHON": self.python,
                "SESSMUX_REGISTRY": str(self.sessdirs[alias].parent / "registry"),
                "LANG": "C.UTF-8", "SHELL": "/bin/sh"}

    def logins(self) -> int:
        """Logins all the hosts have accepted so far."""
        return sum(sshd.logins(s) for s in self.servers.values())


def _user(root: bool) -> pwd.struct_passwd:
    if root:
        return pwd.getpwnam("root")
    user = ensure_user(USER, shell="/bin/sh", login=True, home=USER_HOME)
    USER_HOME.mkdir(mode=0o755, exist_ok=True)
    os.chown(USER_HOME, user.pw_uid, user.pw_gid)
    return user


@contextmanager
def hosts(aliases: tuple[str, ...], dead: tuple[str, ...] = (), root: bool = False
          ) -> Iterator[Hosts]:
    """sshd per alias, a session directory each; ``dead``: aliases that never answer.

    Raises RuntimeError (with the reason) when it cannot run here: the
    caller skips.
    """
    why = sshd.unavailable()
    if why:
        raise RuntimeError(why)
    user = _user(root)
    top = world_copy("sessmux-hosts-")
    home = top / "home"
    home.mkdir()
    try:
        python = sys.executable if root else python_for(user, top)
        if python is None:
            raise RuntimeError("no python the test user can run sessmux's master with")
        keys = top / "authorized_keys"
        sessdirs = {alias: home / alias / "sessions" for alias in aliases}
        for sessdir in sessdirs.values():
            sessdir.parent.mkdir()
        subprocess.run(["chown", "-R", f"{user.pw_uid}:{user.pw_gid}", str(home)], check=True)
        extras = {alias: [
            f"SetEnv SESSMUX_DIR={sessdirs[alias]} SESSMUX_PYTHON={python} "
            f"SESSMUX_REGISTRY={sessdirs[alias].parent / 'registry'} "
            f"PATH={top / 'bin'}:/usr/bin:/bin LANG=C.UTF-8",
            f"Match User {user.pw_name}", f"AuthorizedKeysFile {keys}",
            *(["PermitRootLogin yes"] if root else [])]
            for alias in aliases}
        local = top / "local"  # short: the control sockets go in local/s/.ssh
        local.mkdir()
        with sshd.fleet(top / "sshd", extras) as servers, _silent(dead) as ports:
            keys.write_text("".join(s.public_key for s in servers.values()))
            keys.chmod(0o644)
            config = sshd.client_config(top / "ssh_config", servers, user.pw_name, ports)
            env = base_env(local, local / "s", {
                "SESSMUX_SSH": f"ssh -F {config}", "SESSMUX_REMOTE_BIN": str(top / "bin")})
            try:
                yield Hosts(top, servers, sessdirs, config, user, python, env)
            finally:
                kill_by_home(local)  # the shared connections' ssh, rezume, sessview
    finally:
        for alias in aliases:
            kill_sessions(home / alias / "sessions")
        shutil.rmtree(top, ignore_errors=True)


@contextmanager
def _silent(aliases: tuple[str, ...]) -> Iterator[dict[str, int]]:
    if not aliases:
        yield {}
        return
    with sshd.silent_port() as port:
        yield {alias: port for alias in aliases}
