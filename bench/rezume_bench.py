"""rezume against plain ``ssh -t`` over loopback ssh (does I/O; a program, not a test).

    python3 -m bench.rezume_bench [--mb N] [--keys N] [--cuts N]

Starts a private sshd on 127.0.0.1 (tests/sshd.py; needs root), and in
the same run measures, for ``rezume`` and for ``ssh -t``:

* throughput: ``cat`` of a file of N MB to a raw pty, first byte to last;
* keystroke latency: one byte typed into ``cat`` on a raw remote pty,
  until it comes back;
* (rezume only) recovery after a cut: a fault proxy between ssh and sshd
  closes the link, and a byte typed at that moment comes back when the
  session has been resumed.

Prints the tables; every process it starts is killed by pid at the end.
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

from bench.report import Table, render

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import sshd  # noqa: E402  (a test helper, reused: tests/sshd.py)
from faultproxy import FaultProxy  # noqa: E402
from terminal import Terminal, base_env  # noqa: E402

PEERS = ("ssh -t", "rezume")
DEADLINE = 60.0
UNIQUE_KEYS = b"JKVWXZjkvzGHIMNOPQUY"


class Pty:
    """A terminal we read into a bytearray (the program is the command itself)."""

    def __init__(self, env: dict[str, str], argv: list[str]) -> None:
        self.term = Terminal(env, argv, rows=24, cols=80)
        self.data = bytearray()

    def wait_for(self, needle: bytes, start: int = 0, timeout: float = DEADLINE) -> int:
        end = time.monotonic() + timeout
        while True:
            at = self.data.find(needle, max(0, start - len(needle)))
            if at >= 0:
                return at
            if time.monotonic() > end:
                raise RuntimeError(f"no {needle!r}; got {bytes(self.data[-300:])!r}")
            ready, _, _ = select.select([self.term.fd], [], [], 0.2)
            if ready:
                try:
                    self.data += os.read(self.term.fd, 1 << 16)
                except OSError:
                    pass

    def close(self) -> None:
        try:
            procs = psutil.Process(self.term.pid).children(recursive=True)
        except psutil.Error:
            procs = []
        for proc in procs:
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except OSError:
                pass
        self.term.close()


@contextmanager
def server(workdir: Path) -> Iterator[tuple[sshd.Sshd, Path, dict[str, str]]]:
    """sshd that lets root in with our key; a --sessmux wrapper for this run."""
    keys = workdir / "authorized_keys"
    srv = sshd.start(workdir / "sshd", accept_env=(),
                     extra=["Match User root", "PermitRootLogin yes",
                            f"AuthorizedKeysFile {keys}"])
    keys.write_text(srv.public_key)
    sessdir = workdir / "sessions"
    wrapper = workdir / "sessmux"
    wrapper.write_text(
        "#!/bin/sh\n"
        f"export SESSMUX_DIR={sessdir} SESSMUX_PYTHON={sys.executable} "
        f"SESSMUX_REGISTRY={workdir / 'registry'}\n"
        f"exec {ROOT / 'bin' / 'sessmux'} -b 64m \"$@\"\n")
    wrapper.chmod(0o755)
    env = base_env(workdir, workdir / "local-sessions")
    try:
        yield srv, wrapper, env
    finally:
        srv.stop()
        from terminal import kill_sessions

        kill_sessions(sessdir)


def command(peer: str, srv: sshd.Sshd, wrapper: Path, remote: str,
            port: int | None = None) -> list[str]:
    ssh = srv.ssh(port=port)
    if peer == "ssh -t":
        return [*ssh, "-t", f"root@{srv.host}", remote]
    return ["rezume", *ssh[1:], "--keepalive", "0.5", "--sessmux", str(wrapper),
            f"root@{srv.host}", "sh", "-c", remote]


def throughput(srv: sshd.Sshd, wrapper: Path, env: dict[str, str], path: Path,
               table: Table) -> None:
    size = path.stat().st_size
    remote = f"stty raw -echo; echo B''EGIN; cat {path}; echo E''ND"
    for peer in PEERS:
        pty = Pty(env, command(peer, srv, wrapper, remote))
        try:
            begin = pty.wait_for(b"BEGIN\n")
            t0 = time.monotonic()
            pty.wait_for(b"END\n", begin + size)
            table.add(peer, size / (time.monotonic() - t0) / 1e6)
        finally:
            pty.close()


def latency(srv: sshd.Sshd, wrapper: Path, env: dict[str, str], keys: int,
            table: Table) -> None:
    remote = "stty raw -echo; echo RE''ADY; exec cat"
    for peer in PEERS:
        pty = Pty(env, command(peer, srv, wrapper, remote))
        try:
            pty.wait_for(b"READY")
            samples = []
            for i in range(keys):
                key = b"abcdefghijklmnopqrstuvwxyz"[i % 26 : i % 26 + 1]
                mark = len(pty.data)
                t0 = time.monotonic()
                pty.term.send(key)
                pty.wait_for(key, mark + 1)
                samples.append((time.monotonic() - t0) * 1000)
            table.add_round(peer, samples)
        finally:
            pty.close()


def recovery(srv: sshd.Sshd, wrapper: Path, env: dict[str, str], cuts: int,
             table: Table) -> None:
    proxy = FaultProxy(srv.port)
    remote = "stty raw -echo; echo RE''ADY; exec cat"
    pty = Pty(env, command("rezume", srv, wrapper, remote, port=proxy.port))
    try:
        pty.wait_for(b"READY")
        for i in range(cuts):
            # A key seen nowhere else: not in the status line, not on the screen yet.
            key = UNIQUE_KEYS[i : i + 1]
            mark = len(pty.data)
            t0 = time.monotonic()
            proxy.cut()
            pty.term.send(key)  # typed as the link drops: comes back after resync
            pty.wait_for(key, mark + 1)
            table.add("rezume", (time.monotonic() - t0) * 1000)
            pty.wait_for(b"\x1b[?25h", mark)  # the repaint that removes the status line
        table.skip("ssh -t", "the session ends with the link")
    finally:
        pty.close()
        proxy.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m bench.rezume_bench",
                                description=__doc__.splitlines()[0])
    p.add_argument("--mb", type=int, default=20, help="throughput file size (MB)")
    p.add_argument("--keys", type=int, default=200, help="keystrokes for latency")
    p.add_argument("--cuts", type=int, default=10, help="cuts for recovery")
    p.add_argument("--rounds", type=int, default=3, help="throughput rounds")
    args = p.parse_args(argv)
    args.cuts = min(args.cuts, len(UNIQUE_KEYS))
    why = sshd.unavailable()
    if why:
        print(f"rezume_bench: fatal: {why}", file=sys.stderr)
        return 1
    tput = Table("rezume-tput", f"throughput, cat {args.mb} MB over loopback ssh", "MB/s",
                 higher_is_better=True)
    lat = Table("rezume-latency", "keystroke latency over loopback ssh", "ms", show_p99=True)
    rec = Table("rezume-recovery", "recovery after a cut (keepalive 0.5 s)", "ms")
    with tempfile.TemporaryDirectory(prefix="rezume-bench-") as tmp:
        work = Path(tmp)
        path = work / "payload.txt"
        with path.open("wb") as f:
            line = b"0123456789abcdefghijklmnopqrstuvwxyz" * 2 + b"\n"
            f.write(line * (args.mb * 1000 * 1000 // len(line)))
        with server(work) as (srv, wrapper, env):
            print("-- throughput", file=sys.stderr)
            for _ in range(args.rounds):
                throughput(srv, wrapper, env, path, tput)
            print("-- latency", file=sys.stderr)
            latency(srv, wrapper, env, args.keys, lat)
            print("-- recovery", file=sys.stderr)
            recovery(srv, wrapper, env, args.cuts, rec)
    for table in (tput, lat, rec):
        print()
        print(render(table, list(PEERS)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
