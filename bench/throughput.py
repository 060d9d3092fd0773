"""Throughput: ``cat`` of a big mixed-text file through each peer (does I/O).

The file is generated deterministically: short and long lines (long ones
wrap), words, tabs and SGR colour sequences (16- and 256-colour, bold,
reset).  The payload waits for a key so that start-up is not timed, then
cats the file and prints an end marker; the clock stops when the marker
reaches the outer terminal, which is read as fast as possible.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from bench.peers import Peer, Run
from bench.report import Table
from bench.runner import Context, interleave
from bench.term import BenchTimeout, OuterTerminal, deadline

BLOCK = 1 << 18  # bytes per generated block; blocks cycle through 16 seeds
READY, DONE = b"@@ready@@", b"@@done@@"
# Markers are printed with %s so their literal text never appears in argv.
# The payload waits for a second key before it exits: tmux and screen may
# tear the session down before drawing the last output of a dying program.
PAYLOAD = 'printf "@@%s@@\\n" ready; read x; cat "$0"; printf "\\n@@%s@@\\n" done; read x'


def _words(rng: random.Random, count: int) -> str:
    out = []
    for _ in range(count):
        word = "".join(rng.choice("etaoinshrdlucmfwyp") for _ in range(rng.randint(1, 9)))
        roll = rng.random()
        if roll < 0.08:
            word = f"\x1b[{rng.choice('01')};3{rng.randint(0, 7)}m{word}\x1b[0m"
        elif roll < 0.12:
            word = f"\x1b[38;5;{rng.randint(16, 255)}m{word}\x1b[m"
        elif roll < 0.14:
            word = "\t" + word
        out.append(word)
    return " ".join(out)


def _block(seed: int) -> bytes:
    rng = random.Random(seed)
    lines: list[str] = []
    size = 0
    while size < BLOCK:
        roll = rng.random()
        if roll < 0.55:
            line = _words(rng, rng.randint(0, 8))  # short
        elif roll < 0.85:
            line = _words(rng, rng.randint(10, 20))  # about a screen width
        else:
            line = _words(rng, rng.randint(40, 300))  # long: wraps
        lines.append(line)
        size += len(line) + 1
    return ("\n".join(lines) + "\n").encode()


def make_text(path: Path, megabytes: float) -> int:
    """Write the deterministic test file; its size in bytes."""
    total = int(megabytes * 1_000_000)
    blocks = [_block(seed) for seed in range(16)]
    written = 0
    with open(path, "wb") as f:
        i = 0
        while written < total:
            chunk = blocks[i % len(blocks)]
            if written + len(chunk) > total:
                # Cut at a line end: a cut escape sequence would eat the
                # end marker in a peer that parses the output.
                chunk = chunk[: chunk.rfind(b"\n", 0, total - written) + 1]
                chunk += b"\x1b[m\n"
                f.write(chunk)
                written += len(chunk)
                break
            f.write(chunk)
            written += len(chunk)
            i += 1
    return written


def measure(ctx: Context) -> list[Table]:
    cfg = ctx.config
    path = ctx.workdir / f"text-{cfg.throughput_mb}MB.txt"
    size = make_text(path, cfg.throughput_mb)
    table = Table("throughput", f"throughput: cat {size / 1e6:.3g} MB of mixed text", "MB/s",
                  higher_is_better=True)

    def body(peer: Peer, run: Run, rnd: int) -> None:
        argv = peer.attached(run, ["sh", "-c", PAYLOAD, str(path)])
        with OuterTerminal() as term:
            term.spawn(argv, run.env)
            term.read_until(READY, deadline(60))
            if peer.raw_client:
                term.wait_raw(deadline(30))
            start = time.perf_counter()
            term.write(b"\r")
            term.read_until(DONE, deadline(60 + 6 * cfg.throughput_mb))
            elapsed = time.perf_counter() - start
            term.write(b"\r")
            try:
                term.wait_exit(deadline(20))
            except BenchTimeout:
                ctx.log(f"  {peer.name}: client did not exit after the payload ended")
        table.add(peer.name, size / 1e6 / elapsed)
        ctx.log(f"  throughput round {rnd + 1}: {peer.name} {size / 1e6 / elapsed:.1f} MB/s")

    peers = list(ctx.peers)
    if any(p.name == "sessmux" for p in peers):
        from bench.sessmux_peer import SessmuxNoJournal, SessmuxNoScreen

        peers.append(SessmuxNoScreen())  # the screen model's cost (DESIGN §4)
        peers.append(SessmuxNoJournal())  # the journal's cost (sessmux keeps one by default)
    interleave(ctx, [table], cfg.throughput_rounds, body, peers)
    path.unlink()
    return [table]
