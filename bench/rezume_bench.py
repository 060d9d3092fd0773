"""rezume against plain ``ssh -t`` over loopback ssh (does I/O; a program, not a test).

    python3 -m bench.rezume_bench [--mb N] [--keys N] [--cuts N]
    python3 -m bench --only rezume     (the same, sized like the other measurements)

Starts a private sshd on 127.0.0.1 (tests/support/sshd.py; needs root), and in
the same run measures, for ``rezume`` and for ``ssh -t``:

* throughput: ``cat`` of a file of N MB to a raw pty, first byte to last;
* keystroke latency: one byte typed into ``cat`` on a raw remote pty,
  until it comes back;
* (rezume only) recovery after a cut: a fault proxy between ssh and sshd
  closes the link, and a byte typed at that moment comes back when the
  session has been resumed;
* (rezume only) the soak at default settings (the host's 256 KiB buffer
  and hold): numbered lines at full speed through cuts and black holes,
  and of them, in the raw bytes rezume wrote to its terminal (its own
  status sequences aside), the lines lost and duplicated; rezume's
  resyncs and bytes replayed; the longest time the program was held.

Prints the tables; every process it starts is killed by pid at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shlex
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

from bench.report import Table, render
from bench.runner import Context

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "support"))

import sshd  # noqa: E402  (a test helper, reused: tests/support/sshd.py)
from faultproxy import FaultProxy  # noqa: E402
from rezume_support import SOAK_LINE, SOAK_PROGRAM, own_status, soak_lines  # noqa: E402
from terminal import Capture, Terminal, base_env  # noqa: E402

PEERS = ("ssh -t", "rezume")
DEADLINE = 60.0
UNIQUE_KEYS = b"JKVWXZjkvzGHIMNOPQUY"


class Pty(Capture):
    """A terminal we read into a bytearray (the program is the command itself)."""

    def __init__(self, env: dict[str, str], argv: list[str]) -> None:
        super().__init__(Terminal(env, argv, rows=24, cols=80), DEADLINE)

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
    # The same at the host's default settings (no -b), for the soak.
    (workdir / "sessmux-default").write_text(wrapper.read_text().replace(" -b 64m", ""))
    (workdir / "sessmux-default").chmod(0o755)
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
    if peer == PEERS[0]:
        return [*ssh, "-t", f"root@{srv.host}", remote]
    return ["rezume", *ssh[1:], "--keepalive", "0.5", "--sessmux", str(wrapper),
            f"root@{srv.host}", "sh", "-c", remote]


def throughput(srv: sshd.Sshd, wrapper: Path, env: dict[str, str], path: Path,
               table: Table, peers: tuple[str, str] = PEERS) -> None:
    size = path.stat().st_size
    remote = f"stty raw -echo; echo B''EGIN; cat {path}; echo E''ND"
    for peer in peers:
        pty = Pty(env, command(peer, srv, wrapper, remote))
        try:
            begin = pty.wait_for(b"BEGIN\n")
            t0 = time.monotonic()
            pty.wait_for(b"END\n", begin + size)
            table.add(peer, size / (time.monotonic() - t0) / 1e6)
        finally:
            pty.close()


def latency(srv: sshd.Sshd, wrapper: Path, env: dict[str, str], keys: int,
            table: Table, peers: tuple[str, str] = PEERS) -> None:
    remote = "stty raw -echo; echo RE''ADY; exec cat"
    for peer in peers:
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
             table: Table, peers: tuple[str, str] = PEERS) -> None:
    proxy = FaultProxy(srv.port)
    remote = "stty raw -echo; echo RE''ADY; exec cat"
    pty = Pty(env, command(peers[1], srv, wrapper, remote, port=proxy.port))
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
            table.add(peers[1], (time.monotonic() - t0) * 1000)
            pty.wait_for(b"\x1b[?1049l", mark)  # the outage display taken down
        table.skip(peers[0], "the session ends with the link")
    finally:
        pty.close()
        proxy.close()


def soak(srv: sshd.Sshd, work: Path, env: dict[str, str], mb: int, faults: int,
         tables: list[Table], peer: str) -> None:
    """The soak at default settings: what reached the terminal, against what was written."""
    proxy = FaultProxy(srv.port)
    program = work / "soak.py"
    program.write_text(SOAK_PROGRAM)
    copy, keys, waits = work / "soak.out", work / "soak.keys", work / "soak.waits"
    total = mb * 1000 * 1000
    remote = shlex.join([sys.executable, str(program), str(total), str(copy), str(keys),
                         str(waits)])
    argv = command(PEERS[1], srv, work / "sessmux-default", remote, port=proxy.port)
    pty = Pty({**env, "REZUME_STATS": "1"}, argv)
    try:
        begin = pty.wait_for(b"BEGIN-SOAK\n")
        rng = random.Random(2026)
        for moment in sorted(rng.sample(range(100_000, total), faults)):
            deadline = time.monotonic() + DEADLINE
            while len(pty.data) - begin < moment:
                if time.monotonic() > deadline:
                    raise AssertionError(f"soak output stopped at {len(pty.data) - begin}")
                pty.pump(0.05)
            mark = len(pty.data)
            blackhole = rng.random() < 0.5
            if blackhole:
                proxy.blackhole(True)
            else:
                proxy.cut()
            pty.wait_for(b"rezume: no contact with", mark)
            proxy.blackhole(False)
        pty.term.send(b"\x04")
        end = pty.wait_for(b"END-SOAK\n", begin, timeout=300)
        at = pty.wait_for(b"rezume: stats:", end)
        # wait_for looks from one needle's length before where it is told.
        eol = pty.wait_for(b"\n", at + 1)
        stats = bytes(pty.data[at:eol]).decode()
        shown, _ = own_status(bytes(pty.data[begin:end]))
        written = len(SOAK_LINE.findall(copy.read_bytes()))
        distinct, _, twice = soak_lines(shown)
        m = re.search(r"(\d+) resyncs, (\d+) bytes replayed", stats)
        lost, dup, resyncs, replayed, hold = tables
        lost.add(peer, written - distinct)
        dup.add(peer, twice)
        if m:
            resyncs.add(peer, int(m.group(1)))
            replayed.add(peer, int(m.group(2)) / 1e6)
        hold.add(peer, float(waits.read_text()))
    finally:
        pty.close()
        proxy.close()


# Sizes for ``python3 -m bench``: MB, keystrokes, cuts, throughput rounds, soak MB, faults.
SIZES = {"full": (20, 200, 10, 3, 20, 20), "quick": (5, 50, 3, 1, 5, 5),
         "smoke": (1, 10, 1, 1, 1, 2)}


def measure(ctx: Context) -> list[Table]:
    """The measurement ``rezume`` of ``python3 -m bench``: sessmux's row is rezume's."""
    mb, keys, cuts, rounds, soak_mb, faults = SIZES.get(ctx.config.name, SIZES["quick"])
    peers = (PEERS[0], "sessmux")
    tables = make_tables(mb, "rezume (sessmux) against ssh -t: ", soak_mb, faults)
    why = "needs root, to start a private sshd" if os.geteuid() != 0 else sshd.unavailable()
    if why:
        for table in tables:
            for peer in peers:
                table.skip(peer, f"n/a: {why}")
        return tables
    run(mb, keys, cuts, rounds, tables, peers, ctx.log, soak_mb, faults)
    return tables


def make_tables(mb: int, prefix: str = "", soak_mb: int = 20, faults: int = 20) -> list[Table]:
    soak = f"{prefix}soak at default settings, {soak_mb} MB, {faults} cuts/black holes: "
    return [
        Table("rezume_tput", f"{prefix}throughput, cat {mb} MB over loopback ssh", "MB/s",
              higher_is_better=True),
        Table("rezume_latency", f"{prefix}keystroke latency over loopback ssh", "ms",
              show_p99=True),
        Table("rezume_recovery", f"{prefix}recovery after a cut (keepalive 0.5 s)", "ms"),
        Table("rezume_soak_lost", f"{soak}lines lost", "lines"),
        Table("rezume_soak_twice", f"{soak}lines duplicated", "lines"),
        Table("rezume_soak_resyncs", f"{soak}resyncs", "resyncs"),
        Table("rezume_soak_replayed", f"{soak}bytes replayed", "MB"),
        Table("rezume_soak_hold", f"{soak}longest hold of the program", "s"),
    ]


def run(mb: int, keys: int, cuts: int, rounds: int, tables: list[Table],
        peers: tuple[str, str], log: Callable[[str], None], soak_mb: int = 20,
        faults: int = 20) -> None:
    tput, lat, rec = tables[:3]
    cuts = min(cuts, len(UNIQUE_KEYS))
    with tempfile.TemporaryDirectory(prefix="rezume-bench-") as tmp:
        work = Path(tmp)
        path = work / "payload.txt"
        with path.open("wb") as f:
            line = b"0123456789abcdefghijklmnopqrstuvwxyz" * 2 + b"\n"
            f.write(line * (mb * 1000 * 1000 // len(line)))
        with server(work) as (srv, wrapper, env):
            log("  rezume: throughput")
            for _ in range(rounds):
                throughput(srv, wrapper, env, path, tput, peers)
            log("  rezume: latency")
            latency(srv, wrapper, env, keys, lat, peers)
            log("  rezume: recovery")
            recovery(srv, wrapper, env, cuts, rec, peers)
            log("  rezume: soak at default settings")
            soak(srv, work, env, soak_mb, faults, tables[3:], peers[1])
            for table in tables[3:]:
                table.skip(peers[0], "the session ends with the link")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m bench.rezume_bench",
                                description=__doc__.splitlines()[0])
    p.add_argument("--mb", type=int, default=20, help="throughput file size (MB)")
    p.add_argument("--keys", type=int, default=200, help="keystrokes for latency")
    p.add_argument("--cuts", type=int, default=10, help="cuts for recovery")
    p.add_argument("--rounds", type=int, default=3, help="throughput rounds")
    p.add_argument("--soak-mb", type=int, default=20, help="soak size (MB)")
    p.add_argument("--faults", type=int, default=20, help="cuts and black holes in the soak")
    args = p.parse_args(argv)
    why = sshd.unavailable()
    if why:
        print(f"rezume_bench: fatal: {why}", file=sys.stderr)
        return 1
    tables = make_tables(args.mb, soak_mb=args.soak_mb, faults=args.faults)
    run(args.mb, args.keys, args.cuts, args.rounds, tables, PEERS,
        lambda line: print(line, file=sys.stderr), args.soak_mb, args.faults)
    for table in tables:
        print()
        print(render(table, list(PEERS)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
