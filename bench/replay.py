"""Replay memory: a master's size after 100 MB written while nobody is connected.

Does I/O.  A detached sessmux session writes 100 MB (20 MB with --quick,
5 MB with --smoke) and the master's RSS is read afterwards, with the
default 256 KiB replay buffer and with a 16 MiB one: memory must stay
within the buffer plus a bounded constant, whatever the program writes
(DESIGN §4).  Each session keeps its default 64 MiB journal on disk,
which must cost the master no memory: a row without one (``-J 0``) and
the idle master's RSS (before anything was written) are beside them.
Only sessmux keeps a replay buffer, so only it is measured.
"""

from __future__ import annotations

from bench.peers import Peer, Run, run_quiet, wait_for
from bench.report import Table
from bench.runner import Context, interleave
from bench.term import deadline

WRITER = 'head -c {size} /dev/zero | tr "\\0" x | fold -w 100; : > "$0"; exec sleep 99999.5'
SIZES = {"full": 100, "quick": 20, "smoke": 5}
# (options, label): the defaults first (256 KiB buffer, 64 MiB journal).
BUFFERS = ((("-b", "256k", "-J", "64m"), "sessmux"), (("-b", "16m"), "sessmux -b 16m"),
           (("-b", "256k", "-J", "0"), "sessmux -J 0"))


def _rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def measure(ctx: Context) -> list[Table]:
    megabytes = SIZES.get(ctx.config.name, 100)
    table = Table("replay", f"replay buffer: master RSS after {megabytes} MB written while "
                  "disconnected", "MiB")
    peers = [p for p in ctx.peers if p.name == "sessmux"]

    def body(peer: Peer, run: Run, rnd: int) -> None:
        from bench.sessmux_peer import Sessmux, sessmux_cmd

        assert isinstance(peer, Sessmux)
        for options, label in BUFFERS:
            name = run.next_name()
            done = run.dir / f"written-{name}"
            program = ["sh", "-c", WRITER.format(size=megabytes * 1_000_000), str(done)]
            argv = sessmux_cmd("sessmux", "-n", "-w", *options, name, *program)
            if run_quiet(argv, run.env, timeout=60) != 0:
                raise RuntimeError(f"sessmux -n {' '.join(options)} failed")
            run.sessions.append(name)
            pid = peer.masters(run)[name]
            idle = _rss_mib(pid)
            if options == BUFFERS[0][0]:
                table.add("sessmux idle", idle)
            wait_for(done.exists, deadline(60 + 3 * megabytes), "the output to be written")
            after = _rss_mib(pid)
            table.add(label, after)
            ctx.log(f"  replay: {label}: RSS {idle:.1f} MiB before, {after:.1f} MiB after "
                    f"{megabytes} MB")

    interleave(ctx, [table], 1, body, peers)
    return [table]
