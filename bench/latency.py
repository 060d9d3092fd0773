"""Latency: one keystroke to its echo, through each peer (does I/O).

Inside the session a tiny Python program puts its tty in raw mode and
echoes every byte.  The benchmark writes one byte to the outer terminal
and times until that byte is read back.  The bytes cycle through
punctuation that no peer's redraw sequences contain, and the echo goes to
column 0 each time, so a repaint can only show the previous probe.
Sampling starts a second (``Config.latency_settle``) after the echo
program is ready, for every peer: what is measured is a session in use,
not the moments after its manager started (sessmux's fork server loads
then, for the next session, and on a 2-core machine that shows in the
tail).
"""

from __future__ import annotations

import sys
import time

from bench.peers import Peer, Run
from bench.report import Table
from bench.runner import Context, interleave
from bench.term import BenchTimeout, OuterTerminal, deadline

READY = b"@@ready@@"
ECHO = (
    "import os, tty\n"
    "tty.setraw(0)\n"
    "os.write(1, b'@@' + b'ready@@\\r\\n')\n"
    "while True:\n"
    "    b = os.read(0, 1)\n"
    "    if not b or b == b'\\x04':\n"
    "        break\n"
    "    os.write(1, b'\\r' + b)\n"
)
PROBES = b"%&+|"


def measure(ctx: Context) -> list[Table]:
    cfg = ctx.config
    per_round = max(1, cfg.latency_samples // cfg.latency_rounds)
    table = Table("latency", "latency: keystroke to echo", "us",
                  show_p99=True, show_added=True)

    def body(peer: Peer, run: Run, rnd: int) -> None:
        argv = peer.attached(run, [sys.executable, "-c", ECHO])
        samples = []
        with OuterTerminal() as term:
            term.spawn(argv, run.env)
            term.read_until(READY, deadline(60))
            term.wait_raw(deadline(30))  # the echo program or the client sets it
            time.sleep(cfg.latency_settle)
            for i in range(per_round):
                probe = PROBES[i % len(PROBES) : i % len(PROBES) + 1]
                term.drain()
                start = time.perf_counter_ns()
                term.write(probe)
                term.read_until(probe, deadline(10))
                samples.append((time.perf_counter_ns() - start) / 1000)
            term.write(b"\x04")
            try:
                term.wait_exit(deadline(20))
            except BenchTimeout:
                ctx.log(f"  {peer.name}: client did not exit after the echo program")
        table.add_round(peer.name, samples)
        mid = sorted(samples)[len(samples) // 2]
        ctx.log(f"  latency round {rnd + 1}: {peer.name} median {mid:.0f} us")

    interleave(ctx, [table], cfg.latency_rounds, body)
    return [table]
