"""A real OpenSSH server on 127.0.0.1 for end-to-end tests.

Does I/O.  :func:`start` runs ``sshd -D`` (as root: sshd needs it to
switch to the logged-in user) on a free port, with a host key, a user key
and an ``sshd_config`` of its own in a temporary directory: key
authentication only, ``UsePAM no``, ``StrictModes no`` (temporary homes),
``AcceptEnv SESSMUX_ID``.  The returned :class:`Sshd` knows the ssh
command line that reaches it, and :meth:`Sshd.stop` kills it by pid.

    with running(workdir) as server:
        server.authorize(home, uid, gid)
        subprocess.run([*server.ssh(), "user@" + server.host, "true"])

A later test can put a proxy between ssh and this server: ``ssh(port=...)``
builds the same command line for another port.

Several servers, one per "host": :func:`fleet` starts them side by side
(each its own port, keys, log and ``SetEnv`` lines, so each host has its
own session directory), and :func:`client_config` writes the ssh_config
that names each by an alias, as a user's ``~/.ssh/config`` would.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SSHD = shutil.which("sshd") or ("/usr/sbin/sshd" if os.path.exists("/usr/sbin/sshd") else None)
SSH = shutil.which("ssh")
KEYGEN = shutil.which("ssh-keygen")
PRIVSEP_DIR = Path("/run/sshd")  # sshd refuses to start without it
START_DEADLINE = 15.0


def unavailable() -> str | None:
    """Why these tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "running sshd for a login needs root"
    if not (SSHD and SSH and KEYGEN):
        return "OpenSSH (sshd, ssh, ssh-keygen) is not installed"
    return None


@dataclass
class Sshd:
    host: str
    port: int
    pid: int
    workdir: Path
    key: Path  # the user's private key (the matching .pub is authorised)
    config: Path
    log: Path
    process: subprocess.Popen[bytes]

    def ssh(self, *options: str, port: int | None = None) -> list[str]:
        """The ssh command line that reaches this server (host not included)."""
        assert SSH
        return [
            SSH, "-F", "/dev/null", "-i", str(self.key), "-o", "IdentitiesOnly=yes",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=no",
            "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
            "-p", str(self.port if port is None else port), *options,
        ]

    @property
    def public_key(self) -> str:
        return self.key.with_suffix(".pub").read_text()

    def authorize(self, home: Path, uid: int, gid: int) -> None:
        """Let the user whose home is ``home`` log in with our key."""
        dot_ssh = home / ".ssh"
        dot_ssh.mkdir(mode=0o700, exist_ok=True)
        keys = dot_ssh / "authorized_keys"
        keys.write_text(self.public_key)
        keys.chmod(0o600)
        for path in (dot_ssh, keys):
            os.chown(path, uid, gid)

    def stop(self) -> None:
        """Kill the listening sshd by pid (its per-connection children too)."""
        for child in _children(self.pid):
            _kill(child)
        _kill(self.pid)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def _children(pid: int) -> list[int]:
    import psutil

    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _keygen(path: Path) -> None:
    assert KEYGEN
    subprocess.run([KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", "sessmux-test",
                    "-f", str(path)], check=True, capture_output=True, timeout=30)


def write_config(workdir: Path, port: int, accept_env: Sequence[str], extra: Sequence[str]
                 ) -> Path:
    config = workdir / "sshd_config"
    lines = [
        f"Port {port}",
        "ListenAddress 127.0.0.1",
        f"HostKey {workdir / 'host_ed25519'}",
        f"PidFile {workdir / 'sshd.pid'}",
        "AuthorizedKeysFile .ssh/authorized_keys",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",  # homes under /tmp: their parents are not root's 0755
        "PermitRootLogin no",
        "PrintMotd no",
        "PrintLastLog no",
        "UseDNS no",
        "LogLevel VERBOSE",
        # One name per line, never a wildcard (CVE-2014-2532).
        *(f"AcceptEnv {name}" for name in accept_env),
        *extra,
    ]
    config.write_text("\n".join(lines) + "\n")
    return config


def start(workdir: Path, accept_env: Sequence[str] = ("SESSMUX_ID",),
          extra: Sequence[str] = ()) -> Sshd:
    """Start sshd in ``workdir`` (keys, config, log there); wait until it listens."""
    assert SSHD
    workdir.mkdir(parents=True, exist_ok=True)
    PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
    _keygen(workdir / "host_ed25519")
    _keygen(workdir / "user_ed25519")
    log = workdir / "sshd.log"
    last = ""
    for _ in range(3):  # a free port can be taken between asking and binding
        port = free_port()
        config = write_config(workdir, port, accept_env, extra)
        check = subprocess.run([SSHD, "-t", "-f", str(config)], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"sshd refuses its config: {check.stderr.strip()}")
        with log.open("ab") as out:
            process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)],
                                       stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        server = Sshd("127.0.0.1", port, process.pid, workdir, workdir / "user_ed25519",
                      config, log, process)
        if _wait_listening(server):
            return server
        server.stop()
        last = log.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"sshd did not start listening; its log:\n{last}")


def _wait_listening(server: Sshd) -> bool:
    end = time.monotonic() + START_DEADLINE
    while time.monotonic() < end:
        if server.process.poll() is not None:
            return False
        try:
            with socket.create_connection((server.host, server.port), timeout=1) as s:
                if s.recv(4).startswith(b"SSH-"):
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


@contextmanager
def running(workdir: Path, accept_env: Sequence[str] = ("SESSMUX_ID",),
            extra: Sequence[str] = ()) -> Iterator[Sshd]:
    """:func:`start`, and :meth:`Sshd.stop` on the way out."""
    server = start(workdir, accept_env, extra)
    try:
        yield server
    finally:
        server.stop()


def client_config(path: Path, servers: Mapping[str, Sshd], user: str,
                  dead: Mapping[str, int] | None = None) -> Path:
    """An ssh_config with one ``Host ALIAS`` per server (``dead``: aliases of bare ports)."""
    blocks = []
    ports = {alias: (server.port, server.key) for alias, server in servers.items()}
    for alias, port in (dead or {}).items():
        ports[alias] = (port, next(iter(servers.values())).key)
    for alias, (port, key) in ports.items():
        blocks.append("\n".join([
            f"Host {alias}", "  HostName 127.0.0.1", f"  Port {port}", f"  User {user}",
            f"  IdentityFile {key}", "  IdentitiesOnly yes", "  UserKnownHostsFile /dev/null",
            "  StrictHostKeyChecking no", "  LogLevel ERROR"]))
    path.write_text("\n\n".join(blocks) + "\n")
    return path


@contextmanager
def fleet(workdir: Path, extras: Mapping[str, Sequence[str]]) -> Iterator[dict[str, Sshd]]:
    """One server per alias in ``extras`` (its extra sshd_config lines); all stopped after."""
    servers: dict[str, Sshd] = {}
    try:
        for alias, extra in extras.items():
            servers[alias] = start(workdir / alias, accept_env=(), extra=extra)
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def logins(server: Sshd) -> int:
    """How many logins ``server`` has accepted (its log, at LogLevel VERBOSE)."""
    try:
        return server.log.read_text(errors="replace").count("Accepted publickey for")
    except OSError:
        return 0


@contextmanager
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never says a word (a host gone quiet)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield int(s.getsockname()[1])
