"""Run sizes, the round-by-round interleaving, the header line (does I/O).

Peers are interleaved round by round (round 1: raw, dtach, screen, tmux,
sessmux; round 2: …) so that a slow drift of the machine hits every peer
alike.  A peer that cannot do a measurement is skipped with its reason; a
peer that fails is reported with the error and not retried.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.peers import Peer, Run, Unsupported
from bench.report import Table


@dataclass(frozen=True)
class Config:
    """Sizes of one benchmark run."""

    name: str
    throughput_mb: float
    throughput_rounds: int
    latency_samples: int
    latency_rounds: int
    idle_counts: tuple[int, ...]
    idle_rounds: int
    list_repeats: int
    attach_rounds: int
    spawn_rounds: int
    flip_samples: int
    #: seconds a session runs before its keystrokes are timed (latency)
    latency_settle: float = 1.0


FULL = Config("full", 50, 3, 500, 5, (1, 20, 200), 2, 5, 5, 10, 20)
QUICK = Config("quick", 5, 2, 50, 2, (1, 5), 1, 3, 2, 3, 6)
SMOKE = Config("smoke", 1, 1, 20, 1, (1, 2), 1, 1, 1, 1, 2, latency_settle=0.1)

Body = Callable[[Peer, Run, int], None]


@dataclass
class Context:
    """What every measurement gets: sizes, a scratch dir, the peers, a log."""

    config: Config
    workdir: Path
    peers: Sequence[Peer]
    log: Callable[[str], None]
    verbose: bool = False
    #: names of the measurements asked for (memory and list share sessions)
    selected: frozenset[str] = frozenset()
    #: tables a measurement made for a later one (list, made by memory)
    made: dict[str, list[Table]] = field(default_factory=dict)


def interleave(ctx: Context, tables: Sequence[Table], rounds: int, body: Body,
               peers: Sequence[Peer] | None = None) -> None:
    """Call ``body(peer, run, round)`` for each round and each peer."""
    failed: set[str] = set()
    for rnd in range(rounds):
        for peer in peers if peers is not None else ctx.peers:
            reason = peer.missing()
            if reason is None and peer.name in failed:
                continue
            if reason is not None:
                for t in tables:
                    t.skip(peer.name, reason)
                continue
            try:
                with peer.open_run(ctx.workdir) as run:
                    body(peer, run, rnd)
            except Unsupported as exc:
                failed.add(peer.name)
                for t in tables:
                    t.skip(peer.name, f"n/a: {exc}")
            except Exception as exc:  # a peer's failure must not stop the others
                failed.add(peer.name)
                ctx.log(f"  {peer.name}: failed: {type(exc).__name__}: {exc}")
                if ctx.verbose:
                    ctx.log(traceback.format_exc())
                for t in tables:
                    t.skip(peer.name, f"failed: {type(exc).__name__}: {exc}"[:160])


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown cpu"


def _version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "missing"
    text = (out.stdout + out.stderr).decode(errors="replace").strip().splitlines()
    return text[0] if text else "unknown"


def machine() -> dict[str, str]:
    """Date and machine for the header line."""
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "python_exe": sys.executable,
        "dtach": _version(["dtach", "--help"]).split(" - ")[-1],
        "screen": _version(["screen", "-v"]),
        "tmux": _version(["tmux", "-V"]),
    }


def header_line(info: dict[str, str], config: Config) -> str:
    return (f"sessmux bench ({config.name}) {info['date']} | {info['cpu']}, "
            f"{info['cores']} cores | Linux {info['kernel']} | Python {info['python']} | "
            f"{info['tmux']}; {info['screen']}; dtach {info['dtach']}")
