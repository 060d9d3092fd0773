"""Process bookkeeping for the benchmark (does I/O: /proc, signals).

Every command a benchmark run starts carries ``SESSMUX_BENCH_RUN=<token>``
in its environment.  Managers daemonize (tmux server, SCREEN, dtach and
sessmux masters are not our children), but they keep the environment they
were started with, so the process table tells which processes belong to a
run: they are found by that tag and killed by pid, one by one.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from dataclasses import dataclass

import psutil

TAG_VAR = "SESSMUX_BENCH_RUN"


def new_tag() -> str:
    """A fresh token for one run's processes."""
    return uuid.uuid4().hex


def tagged_pids(tag: str) -> list[int]:
    """Pids of live processes whose environment carries *tag*."""
    me = os.getpid()
    found = []
    for proc in psutil.process_iter(["pid"]):
        pid = proc.info["pid"]
        if pid == me:
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                environ = f.read()
        except OSError:  # gone, or a kernel thread
            continue
        if f"{TAG_VAR}={tag}".encode() in environ.split(b"\0"):
            found.append(pid)
    return found


def kill_pid(pid: int, sig: int = signal.SIGKILL) -> None:
    """Signal one process by pid; a process already gone is fine."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def alive(pid: int) -> bool:
    try:
        proc = psutil.Process(pid)
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def kill_tagged(tag: str, timeout: float = 5.0) -> list[int]:
    """Kill every process of a run by pid; wait (bounded) until gone."""
    pids = tagged_pids(tag)
    for pid in pids:
        kill_pid(pid, signal.SIGKILL)
    until = time.monotonic() + timeout
    while time.monotonic() < until and any(alive(p) for p in pids):
        time.sleep(0.01)  # bounded poll for the kernel to reap
    return pids


@dataclass(frozen=True)
class Memory:
    """Resident and proportional set size, in bytes."""

    rss: int
    pss: int

    def __add__(self, other: Memory) -> Memory:
        return Memory(self.rss + other.rss, self.pss + other.pss)


def memory_of(pid: int) -> Memory:
    """RSS and PSS of one process from /proc/PID/smaps_rollup."""
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[0] in ("Rss:", "Pss:"):
                fields[parts[0]] = int(parts[1]) * 1024
    return Memory(fields.get("Rss:", 0), fields.get("Pss:", 0))


def cmdline(pid: int) -> list[str]:
    try:
        return psutil.Process(pid).cmdline()
    except psutil.Error:
        return []
