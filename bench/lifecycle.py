"""Attach and spawn: how fast a session is joined or made (does I/O).

attach: a detached session has printed ``seq 1 5000``; the clock runs
from starting the attach command in a fresh terminal until ``5000`` shows
there (the peer must repaint what it kept; dtach keeps no screen).
spawn: create-and-attach a session running ``true``, until the client
exits.
"""

from __future__ import annotations

import time

from bench.peers import Peer, Run, Unsupported, wait_for
from bench.report import Table
from bench.runner import Context, interleave
from bench.term import OuterTerminal, deadline

# Prints the numbers, then says so with a file, then idles.
SETTLE = 0.5  # seconds between a run's steps, for every peer alike
SEQ_PAYLOAD = 'seq 1 5000; : > "$0"; exec sleep 99999.5'


def measure_attach(ctx: Context) -> list[Table]:
    table = Table("attach", "attach: fresh terminal to a session that printed seq 1 5000", "ms")

    def body(peer: Peer, run: Run, rnd: int) -> None:
        if not peer.repaints:
            raise Unsupported(f"{peer.name} keeps no screen to repaint")
        printed = run.dir / "printed"
        name = peer.create_detached(run, ["sh", "-c", SEQ_PAYLOAD, str(printed)], deadline(60),
                                    settled=True)
        wait_for(printed.exists, deadline(30), "seq to finish")
        # An idle detached session: give every manager a moment to finish
        # reading (and modelling) what was printed, as a user coming back would.
        time.sleep(SETTLE)
        argv = peer.attach(run, name)
        with OuterTerminal() as term:
            start = time.perf_counter()
            term.spawn(argv, run.env)
            term.read_until(b"5000", deadline(60))
            elapsed = (time.perf_counter() - start) * 1000
        table.add(peer.name, elapsed)
        ctx.log(f"  attach round {rnd + 1}: {peer.name} {elapsed:.1f} ms")

    interleave(ctx, [table], ctx.config.attach_rounds, body)
    return [table]


def measure_spawn(ctx: Context) -> list[Table]:
    first = Table("spawn", "spawn: create-and-attach `true` until the client exits", "ms")
    again = Table("spawn-again", "spawn again: a second `true` in the same directory "
                  "(servers already running)", "ms")

    def body(peer: Peer, run: Run, rnd: int) -> None:
        for table in (first, again):
            argv = peer.attached(run, ["true"])
            with OuterTerminal() as term:
                start = time.perf_counter()
                term.spawn(argv, run.env)
                status = term.wait_exit(deadline(60))
                elapsed = (time.perf_counter() - start) * 1000
                said = term.last.decode(errors="replace").strip()[-300:]
            if status != 0:
                raise RuntimeError(f"client exited with status {status}: {said!r}")
            table.add(peer.name, elapsed)
            ctx.log(f"  {table.key} round {rnd + 1}: {peer.name} {elapsed:.1f} ms")
            time.sleep(SETTLE)  # whatever the first one left running has settled

    interleave(ctx, [first, again], ctx.config.spawn_rounds, body)
    return [first, again]
