"""Idle sessions: memory of the managers, and listing them (does I/O).

N detached sessions each run ``sleep``; the manager's processes are the
run's tagged processes that are not the payload (tmux: one server; screen,
dtach: one backend per session; sessmux: one master per session, plus any
helper).  Their RSS and PSS come from /proc/PID/smaps_rollup.  The list
measurement times ``tmux ls``, ``screen -ls`` and ``sesslist`` over the
same kind of population.
"""

from __future__ import annotations

import subprocess
import time

from bench.peers import Peer, Run, Unsupported
from bench.procs import Memory, cmdline, memory_of, tagged_pids
from bench.report import Table
from bench.runner import Context, interleave
from bench.term import deadline

SLEEP_ARG = "99999.25"  # marks the payload in the process table
PAYLOAD = ["sleep", SLEEP_ARG]
MIB = 1 << 20


def populate(peer: Peer, run: Run, count: int) -> list[str]:
    """Start *count* detached idle sessions; their names."""
    until = deadline(60 + 2 * count)
    return [peer.create_detached(run, PAYLOAD, until) for _ in range(count)]


def manager_memory(run: Run) -> tuple[Memory, int]:
    """Summed memory of the run's non-payload processes, and their count."""
    total = Memory(0, 0)
    count = 0
    for pid in tagged_pids(run.tag):
        if cmdline(pid) == PAYLOAD:
            continue
        try:
            total += memory_of(pid)
            count += 1
        except OSError:  # exited meanwhile
            continue
    return total, count


def _payloads(run: Run) -> int:
    return sum(1 for pid in tagged_pids(run.tag) if cmdline(pid) == PAYLOAD)


def _rounds(ctx: Context, count: int) -> int:
    # Hundreds of sessions per peer are slow to build; one round is enough.
    return ctx.config.idle_rounds if count < 100 else 1


def measure_memory(ctx: Context) -> list[Table]:
    tables: list[Table] = []
    for count in ctx.config.idle_counts:
        rss = Table(f"memory_rss_{count}", f"memory: RSS of managers, {count} idle sessions",
                    "MiB", per=count)
        pss = Table(f"memory_pss_{count}", f"memory: PSS of managers, {count} idle sessions",
                    "MiB", per=count)

        def body(peer: Peer, run: Run, rnd: int, count: int = count,
                 rss: Table = rss, pss: Table = pss) -> None:
            if peer.name == "raw":
                raise Unsupported("no manager process")
            populate(peer, run, count)
            # Every payload must be up, else the manager is not fully built.
            until = deadline(30)
            while _payloads(run) < count:
                if time.monotonic() > until:
                    raise TimeoutError(f"only {_payloads(run)} of {count} sessions run")
                time.sleep(0.01)  # bounded poll
            mem, procs = manager_memory(run)
            rss.add(peer.name, mem.rss / MIB)
            pss.add(peer.name, mem.pss / MIB)
            ctx.log(f"  memory N={count} round {rnd + 1}: {peer.name} {procs} processes, "
                    f"RSS {mem.rss / MIB:.1f} MiB, PSS {mem.pss / MIB:.1f} MiB")

        interleave(ctx, [rss, pss], _rounds(ctx, count), body)
        tables += [rss, pss]
    return tables


def time_list(argv: list[str], run: Run, names: list[str]) -> float:
    """Milliseconds for one listing; checks that every session is listed."""
    start = time.perf_counter()
    out = subprocess.run(argv, env=run.env, stdin=subprocess.DEVNULL, capture_output=True,
                         timeout=60, check=False).stdout.decode(errors="replace")
    elapsed = (time.perf_counter() - start) * 1000
    absent = [n for n in names if n not in out]
    if absent:
        raise RuntimeError(f"{len(absent)} of {len(names)} sessions not listed, e.g. {absent[0]}")
    return elapsed


def measure_list(ctx: Context) -> list[Table]:
    tables: list[Table] = []
    for count in ctx.config.idle_counts:
        table = Table(f"list_{count}", f"list: {count} sessions", "ms")

        def body(peer: Peer, run: Run, rnd: int, count: int = count,
                 table: Table = table) -> None:
            argv = peer.list_cmd(run)  # Unsupported before building sessions
            names = populate(peer, run, count)
            samples = [time_list(argv, run, names) for _ in range(ctx.config.list_repeats)]
            table.add(peer.name, *samples)
            ctx.log(f"  list N={count} round {rnd + 1}: {peer.name} "
                    f"{min(samples):.1f}..{max(samples):.1f} ms")

        interleave(ctx, [table], _rounds(ctx, count), body)
        tables.append(table)
    return tables
