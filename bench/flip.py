"""Reconnect flip, sessmux only: ``reconnect B; disconnect`` (does I/O).

Two sessions, A and B, run ``sh``.  Typing ``flip B flipA`` in A runs
``reconnect B; disconnect`` and then, once A is really detached, prints
A's marker ``@@flipA@@`` into A.  The clock runs from typing until B's
marker shows: the shell runs two tools, the signaller swaps sessions, B
shows what it printed while detached (pty 4.0: undelivered output is
flushed to the new connection; a repainting master shows it on screen
anyway).  The next sample flips back.  Typed text never contains a marker.
"""

from __future__ import annotations

import time

from bench.peers import Peer, Run, wait_for
from bench.report import Table
from bench.runner import Context, interleave
from bench.term import OuterTerminal, deadline

# A session's program reports its name (inside a session, PTY names it)
# through a file, then execs.
REPORT_NAME = 'printf %s "$PTY" > "$0.tmp" && mv "$0.tmp" "$0"; '
# pty 4.0 semantics: output a connection already received is not replayed,
# so a program meant to print "while detached" starts once it is.
WAIT_DETACHED = ('until sesslist | grep -q "^session $PTY .*disconnected"; '
                 "do sleep 0.01; done; ")

# Read by the interactive sh through $ENV.
FLIP_FUNCTION = ('flip() { reconnect "$1"; disconnect; ' + WAIT_DETACHED
                 + "printf '@@%s@@\\n' \"$2\"; }\n")
# B prints its marker once detached; A at once (it is attached).
B_SHELL = WAIT_DETACHED + 'printf "@@%s@@\\n" flipB; exec sh'
A_SHELL = REPORT_NAME + 'printf "@@%s@@\\n" flipA; exec sh'


def _marker(tag: str) -> bytes:
    return f"@@{tag}@@".encode()


def measure(ctx: Context) -> list[Table]:
    table = Table("reconnect", "reconnect: `reconnect B; disconnect` until B shows", "ms")
    peers = [p for p in ctx.peers if p.name == "sessmux"]

    def body(peer: Peer, run: Run, rnd: int) -> None:
        rc = run.dir / "flip.sh"
        rc.write_text(FLIP_FUNCTION)
        run.env.update(PS1="$ ", ENV=str(rc))
        b_name = peer.create_detached(run, ["sh", "-c", B_SHELL], deadline(60))
        a_file = run.dir / "nameA"
        with OuterTerminal() as term:
            term.spawn(peer.attached(run, ["sh", "-c", A_SHELL, str(a_file)]), run.env)
            term.read_until(_marker("flipA"), deadline(60))
            term.wait_raw(deadline(30))
            wait_for(a_file.exists, deadline(10), "session A's name")
            names = {"flipA": a_file.read_text().strip(), "flipB": b_name}
            here, there = "flipA", "flipB"
            samples = []
            for _ in range(ctx.config.flip_samples):
                term.drain()
                start = time.perf_counter()
                term.write(f"flip {names[there]} {here}\r".encode())
                term.read_until(_marker(there), deadline(60))
                samples.append((time.perf_counter() - start) * 1000)
                here, there = there, here
        table.add(peer.name, *samples)
        ctx.log(f"  reconnect round {rnd + 1}: {peer.name} "
                f"{min(samples):.0f}..{max(samples):.0f} ms")

    interleave(ctx, [table], 1, body, peers=peers)
    if not peers:
        table.skip("sessmux", "sessmux peer not configured")
    return [table]
