"""Idle sessions: memory of the managers, and listing them (does I/O).

N detached sessions each run ``sleep``; the manager's processes are the
run's tagged processes that are not the payload (tmux: one server; screen,
dtach: one backend per session; sessmux: one master per session, plus any
helper).  Their RSS and PSS come from /proc/PID/smaps_rollup.  The list
measurement times ``tmux ls``, ``screen -ls`` and ``sesslist`` over the
same population; when both are asked for, one population serves both.
"""

from __future__ import annotations

import re
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
PER_SESSION = 60.0  # seconds one session may take to be created


# A screenful of coloured lines, then the same idle payload: what a shell
# session that is left alone looks like to its manager.
PRINTED = ["sh", "-c", 'i=0; while [ $i -lt 60 ]; do i=$((i+1)); '
           'printf "\\033[3%dmline %d of a screenful, in colour\\033[0m\\n" $((i % 8)) $i; '
           'done; exec "$@"', "sh", *PAYLOAD]
SETTLE = 0.5  # seconds for the managers to take in what was printed


def populate(peer: Peer, run: Run, count: int, program: list[str] = PAYLOAD) -> list[str]:
    """Start *count* detached idle sessions; their names, once all run."""
    names = [peer.create_detached(run, program, deadline(PER_SESSION)) for _ in range(count)]
    until = deadline(PER_SESSION)
    while (running := _payloads(run)) < count:
        if time.monotonic() > until:
            raise TimeoutError(f"only {running} of {count} sessions run their program")
        time.sleep(0.01)  # bounded poll
    return names


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


def time_list(argv: list[str], run: Run, names: list[str]) -> float:
    """Milliseconds for one listing; checks that every session is listed."""
    start = time.perf_counter()
    out = subprocess.run(argv, env=run.env, stdin=subprocess.DEVNULL, capture_output=True,
                         timeout=60, check=False).stdout.decode(errors="replace")
    elapsed = (time.perf_counter() - start) * 1000
    absent = [n for n in names if not re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", out)]
    if absent:
        raise RuntimeError(f"{len(absent)} of {len(names)} sessions not listed, e.g. {absent[0]}")
    return elapsed


def _measure(ctx: Context, memory: bool, listing: bool) -> tuple[list[Table], list[Table]]:
    mem_tables: list[Table] = []
    list_tables: list[Table] = []
    for count in ctx.config.idle_counts:
        tables = []
        if memory:
            what = f"{count} idle session" + ("s" if count > 1 else "")
            rss = Table(f"memory_rss_{count}", f"memory: RSS of managers, {what}", "MiB",
                        per=count)
            pss = Table(f"memory_pss_{count}", f"memory: PSS of managers, {what}", "MiB",
                        per=count)
            mem_tables += [rss, pss]
            tables += [rss, pss]
        if listing:
            lst = Table(f"list_{count}", f"list: {count} sessions", "ms")
            list_tables.append(lst)
            tables.append(lst)

        def body(peer: Peer, run: Run, rnd: int, count: int = count,
                 tables: list[Table] = tables) -> None:
            if peer.name == "raw":
                raise Unsupported("no manager process, no sessions")
            argv = None
            if listing:
                try:
                    argv = peer.list_cmd(run)
                except Unsupported as exc:
                    if not memory:
                        raise
                    tables[-1].skip(peer.name, f"n/a: {exc}")
            start = time.monotonic()
            names = populate(peer, run, count)
            line = f"  N={count} round {rnd + 1}: {peer.name} built in " \
                   f"{time.monotonic() - start:.1f} s"
            if memory:
                mem, procs = manager_memory(run)
                tables[0].add(peer.name, mem.rss / MIB)
                tables[1].add(peer.name, mem.pss / MIB)
                line += f"; {procs} processes, RSS {mem.rss / MIB:.1f} MiB, " \
                        f"PSS {mem.pss / MIB:.1f} MiB"
            if argv is not None:
                samples = [time_list(argv, run, names) for _ in range(ctx.config.list_repeats)]
                tables[-1].add(peer.name, *samples)
                line += f"; list {min(samples):.1f}..{max(samples):.1f} ms"
            ctx.log(line)

        # Hundreds of sessions per peer are slow to build; one round is enough.
        rounds = ctx.config.idle_rounds if count < 100 else 1
        interleave(ctx, tables, rounds, body)
    return mem_tables, list_tables


def measure_memory(ctx: Context) -> list[Table]:
    both = "list" in ctx.selected
    mem_tables, list_tables = _measure(ctx, memory=True, listing=both)
    if both:
        ctx.made["list"] = list_tables
    return mem_tables


def measure_printed(ctx: Context) -> list[Table]:
    """Memory of idle sessions that have printed a screenful (the screen model is in use)."""
    count = ctx.config.idle_counts[min(1, len(ctx.config.idle_counts) - 1)]
    what = f"{count} idle session{'s' if count > 1 else ''} that printed a screenful"
    rss = Table(f"printed_rss_{count}", f"memory: RSS of managers, {what}", "MiB", per=count)
    pss = Table(f"printed_pss_{count}", f"memory: PSS of managers, {what}", "MiB", per=count)

    def body(peer: Peer, run: Run, rnd: int) -> None:
        if peer.name == "raw":
            raise Unsupported("no manager process, no sessions")
        populate(peer, run, count, PRINTED)
        time.sleep(SETTLE)
        mem, procs = manager_memory(run)
        rss.add(peer.name, mem.rss / MIB)
        pss.add(peer.name, mem.pss / MIB)
        ctx.log(f"  printed N={count} round {rnd + 1}: {peer.name}; {procs} processes, "
                f"RSS {mem.rss / MIB:.1f} MiB, PSS {mem.pss / MIB:.1f} MiB")

    interleave(ctx, [rss, pss], ctx.config.idle_rounds, body)
    return [rss, pss]


def measure_list(ctx: Context) -> list[Table]:
    if "list" in ctx.made:
        return ctx.made.pop("list")
    return _measure(ctx, memory=False, listing=True)[1]
