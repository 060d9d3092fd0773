"""Listing many hosts: ``sesslist -H`` against ``ssh HOST sesslist`` one after another.

    python3 -m bench.hosts [--hosts N] [--sessions N] [--rounds N]

Does I/O; a program, not a test.  Starts N private sshd on 127.0.0.1
(tests/support/hosts_support.py; needs root), each a "host" with its own session
directory holding the given number of sessions, and measures, in seconds
until every host's sessions are listed:

* ``ssh, one by one``: ``ssh HOST sesslist`` for each host in turn, as a
  user with one terminal tab per host does (a login each time);
* ``sesslist -H, first``: all hosts at once, no shared connection yet
  (a fresh control directory each round: a login per host);
* ``sesslist -H, warm``: the same again within minutes: the shared
  connections are reused, nobody logs in.

Every process it starts is killed by pid at the end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import Table, render
from bench.runner import Context

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "support"))

import sshd  # noqa: E402  (test helpers, reused)
from hosts_support import Hosts, hosts  # noqa: E402
from terminal import kill_by_home  # noqa: E402

PEERS = ("ssh, one by one", "sesslist -H, first", "sesslist -H, warm")
ROWS = ("ssh", "sessmux", "sessmux-warm")  # the same rows in python3 -m bench, named as peers
SIZES = {"full": (3, 50, 5), "quick": (3, 10, 2), "smoke": (2, 2, 1)}  # hosts, sessions, rounds


def _timed(argv: list[str], env: dict[str, str], expect: int) -> float:
    t0 = time.monotonic()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    took = time.monotonic() - t0
    lines = sum(1 for line in done.stdout.splitlines() if " session " in f" {line}")
    if done.returncode != 0 or lines != expect:
        raise AssertionError(f"{argv}: exit {done.returncode}, {lines} of {expect} sessions; "
                             f"{done.stderr.strip()[-300:]}")
    return took


def _sequential(h: Hosts, aliases: list[str], expect: int) -> float:
    t0 = time.monotonic()
    for alias in aliases:
        _timed(["ssh", "-F", str(h.config), "-T", alias, "sesslist"], h.env, expect)
    return time.monotonic() - t0


def measure(n_hosts: int, sessions: int, rounds: int, table: Table,
            rows: tuple[str, ...] = PEERS) -> None:
    aliases = [chr(ord("a") + i) for i in range(n_hosts)]
    with hosts(tuple(aliases), root=True) as h:
        names = [f"s{i:03d}" for i in range(sessions)]
        for alias in aliases:
            h.start(alias, *names)
        every = ["sesslist", *(w for a in aliases for w in ("-H", a))]
        total = n_hosts * sessions
        for _ in range(rounds):
            table.add(rows[0], _sequential(h, aliases, sessions))
            local = Path(tempfile.mkdtemp(prefix="b", dir=h.top))  # a fresh control directory
            env = dict(h.env, HOME=str(local), SESSMUX_DIR=str(local / "s"))
            try:
                table.add(rows[1], _timed(every, env, total))
                for _ in range(3):
                    table.add(rows[2], _timed(every, env, total))
            finally:
                kill_by_home(local)  # the shared connections of this round


def measure_bench(ctx: Context) -> list[Table]:
    """The measurement ``hosts`` of ``python3 -m bench`` (rows: ssh, sessmux, sessmux-warm)."""
    n_hosts, sessions, rounds = SIZES.get(ctx.config.name, SIZES["quick"])
    table = Table("hosts_list", f"hosts: listing {n_hosts} hosts x {sessions} sessions over "
                  "loopback ssh (ssh = ssh HOST sesslist one by one; sessmux = sesslist -H, "
                  "first; sessmux-warm = again, connections shared)", "s")
    why = "needs root, to start private sshd" if os.geteuid() != 0 else sshd.unavailable()
    if why:
        for row in ROWS:
            table.skip(row, f"n/a: {why}")
        return [table]
    os.environ.pop("SESSMUX_SSH", None)
    measure(n_hosts, sessions, rounds, table, ROWS)
    return [table]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m bench.hosts",
                                description=(__doc__ or "").splitlines()[0])
    p.add_argument("--hosts", type=int, default=3, help="hosts (private sshd)")
    p.add_argument("--sessions", type=int, default=50, help="sessions on each host")
    p.add_argument("--rounds", type=int, default=5, help="rounds")
    args = p.parse_args(argv)
    why = sshd.unavailable()
    if why:
        print(f"bench.hosts: fatal: {why}", file=sys.stderr)
        return 1
    os.environ.pop("SESSMUX_SSH", None)
    table = Table("hosts_list", f"listing {args.hosts} hosts x {args.sessions} sessions "
                  "over loopback ssh", "s")
    measure(args.hosts, args.sessions, args.rounds, table)
    print(render(table, list(PEERS)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
