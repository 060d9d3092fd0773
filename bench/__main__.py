"""Command line of the benchmark: ``python3 -m bench`` (does I/O).

    python3 -m bench [--quick | --smoke] [--json] [--only NAME[,NAME]] [-v]

Measurements, in order: throughput, latency, memory, printed (memory of
sessions that printed a screenful), attach, spawn, list, reconnect,
replay, rezume (over loopback ssh, against ssh -t; needs root), hosts
(listing several hosts' sessions over loopback ssh; needs root).  Progress
goes to stderr; the tables (or JSON) to stdout.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench import flip as flip_mod
from bench import idle, latency, lifecycle, replay, throughput
from bench.install import ensure_peers
from bench.report import Table, render, to_json
from bench.roster import all_peers
from bench.runner import FULL, QUICK, SMOKE, Context, header_line, machine

Measure = Callable[[Context], list[Table]]


def _rezume(ctx: Context) -> list[Table]:
    # Imported when asked for: it drives ssh and sshd with the tests' helpers.
    from bench import rezume_bench

    return rezume_bench.measure(ctx)


def _hosts(ctx: Context) -> list[Table]:
    # Imported when asked for: it starts private sshd with the tests' helpers.
    from bench import hosts

    return hosts.measure_bench(ctx)


MEASUREMENTS: dict[str, Measure] = {
    "throughput": throughput.measure,
    "latency": latency.measure,
    "memory": idle.measure_memory,
    "printed": idle.measure_printed,
    "attach": lifecycle.measure_attach,
    "spawn": lifecycle.measure_spawn,
    "list": idle.measure_list,
    "reconnect": flip_mod.measure,
    "replay": replay.measure,
    "rezume": _rezume,
    "hosts": _hosts,
}


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python3 -m bench", description=__doc__.splitlines()[0])
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small sizes, few rounds")
    size.add_argument("--smoke", action="store_true", help="tiny sizes, one round (tests)")
    p.add_argument("--json", action="store_true", help="print the numbers as JSON")
    p.add_argument("--only", metavar="NAME[,NAME]",
                   help="measurements to run: " + ",".join(MEASUREMENTS))
    p.add_argument("--no-install", action="store_true", help="never run apt-get")
    p.add_argument("-v", "--verbose", action="store_true", help="tracebacks of failures")
    return p.parse_args(argv)


def _terminate(signum: int, frame: object) -> None:
    # Unwind like ^C, so every run still kills its processes by pid.
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    signal.signal(signal.SIGTERM, _terminate)
    names = list(MEASUREMENTS)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in MEASUREMENTS]
        if unknown:
            print(f"bench: fatal: unknown measurement {', '.join(unknown)}; "
                  f"choose from {', '.join(MEASUREMENTS)}", file=sys.stderr)
            return 1
    config = SMOKE if args.smoke else QUICK if args.quick else FULL

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    if not args.no_install:
        ensure_peers(log)
    peers = all_peers()
    info = machine()
    header = header_line(info, config)
    log(header)
    for peer in peers:
        reason = peer.missing()
        if reason:
            log(f"note: {peer.name} skipped: {reason}")

    workdir = Path(tempfile.mkdtemp(prefix="sessmux-bench-"))
    tables: list[Table] = []
    try:
        ctx = Context(config, workdir, peers, log, verbose=args.verbose,
                      selected=frozenset(names))
        for name in MEASUREMENTS:
            if name in names:
                log(f"-- {name}")
                tables += MEASUREMENTS[name](ctx)
    except KeyboardInterrupt:
        log("interrupted; showing what was measured")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    order = [p.name for p in peers]
    if args.json:
        doc = {"header": info, "config": config.name,
               "tables": [to_json(t) for t in tables]}
        print(json.dumps(doc, indent=2))
    else:
        print(header)
        for t in tables:
            print()
            print(render(t, [p for p in order if p in t.samples or p in t.skipped]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
