"""The processes on one terminal, as ``ps u`` shows them (for sessmenu).

Does I/O: reads the process table through psutil and ``/proc``.
:func:`format_row` is pure.  Columns: USER PID %CPU %MEM VSZ RSS TT STAT
START TIME COMMAND, with procps' widths and meanings (VSZ and RSS in KiB,
STAT with ``s`` session leader, ``+`` foreground, ``l`` threads, ``<``/``N``
priority).  Commands have their control characters made visible.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import psutil

from sessmux.core.names import visible

HEADER = (f"{'USER':<8} {'PID':>5} {'%CPU':>4} {'%MEM':>4} {'VSZ':>6} {'RSS':>5} "
          f"{'TT':<8} {'STAT':<4} {'START':>5} {'TIME':>6} COMMAND")
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(frozen=True)
class Row:
    user: str
    pid: int
    cpu: float  # percent of its lifetime spent on a CPU
    mem: float  # percent of physical memory
    vsz: int  # KiB
    rss: int  # KiB
    tty: str  # "pts/5"
    stat: str
    started: float
    cputime: float  # seconds
    command: str


def format_start(started: float, now: float) -> str:
    """procps' START: ``13:05`` today, ``Nov20`` this year, else ``2023``."""
    tm, today = time.localtime(started), time.localtime(now)
    if now - started < 24 * 3600:
        return f"{tm.tm_hour:02d}:{tm.tm_min:02d}"
    if tm.tm_year == today.tm_year:
        return f"{MONTHS[tm.tm_mon - 1]}{tm.tm_mday:02d}"
    return str(tm.tm_year)


def format_row(row: Row, now: float, width: int | None = None) -> str:
    """One line of the table; cut at ``width`` columns as ps cuts at the terminal."""
    seconds = int(row.cputime)
    # procps truncates the percentages rather than rounding them.
    cpu, mem = int(row.cpu * 10) / 10, int(row.mem * 10) / 10
    user = visible(row.user)
    if len(user) > 8:
        user = user[:7] + "+"  # as procps shows a long user name
    line = (f"{user:<8} {row.pid:>5} {cpu:>4.1f} {mem:>4.1f} "
            f"{row.vsz:>6} {row.rss:>5} {row.tty:<8} {row.stat:<4} "
            f"{format_start(row.started, now):>5} {seconds // 60:>3}:{seconds % 60:02d} "
            f"{visible(row.command)}")
    return line[:width] if width else line


def _stat_fields(pid: int) -> list[str]:
    """``/proc/PID/stat`` from the state on (field 3 is index 0)."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        return f.read().rpartition(b")")[2].decode("ascii", "replace").split()


def _stat_letters(pid: int, nice: int, threads: int) -> str:
    fields = _stat_fields(pid)
    state, pgrp, session, tpgid = fields[0], int(fields[2]), int(fields[3]), int(fields[5])
    return "".join((
        state,
        "<" if nice < 0 else "N" if nice > 0 else "",
        "s" if session == pid else "",
        "l" if threads > 1 else "",
        "+" if pgrp == tpgid else "",
    ))


ATTRS = ["pid", "terminal", "username", "cpu_times", "memory_info", "create_time",
         "cmdline", "name", "nice", "num_threads"]


def rows_on(tty: str, now: float | None = None) -> list[Row]:
    """Every process whose controlling terminal is ``tty`` (``/dev/pts/5``), by pid."""
    now = time.time() if now is None else now
    total = psutil.virtual_memory().total or 1
    found = []
    for proc in psutil.process_iter(ATTRS):
        info = proc.info
        if info.get("terminal") != tty:
            continue
        try:
            times, memory = info["cpu_times"], info["memory_info"]
            cputime = times.user + times.system if times else 0.0
            age = max(now - info["create_time"], 1e-3)
            stat = _stat_letters(info["pid"], info["nice"] or 0, info["num_threads"] or 1)
        except (OSError, IndexError, ValueError, TypeError, AttributeError):
            continue  # it ended while we looked
        cmdline = info.get("cmdline") or []
        found.append(Row(
            user=str(info.get("username") or "?"),
            pid=info["pid"],
            cpu=min(cputime / age * 100, 999.9),
            mem=memory.rss / total * 100 if memory else 0.0,
            vsz=memory.vms // 1024 if memory else 0,
            rss=memory.rss // 1024 if memory else 0,
            tty=tty.removeprefix("/dev/"),
            stat=stat,
            started=info["create_time"],
            cputime=cputime,
            command=" ".join(cmdline) if cmdline else f"[{info.get('name') or '?'}]",
        ))
    return sorted(found, key=lambda r: r.pid)


def terminal_of(pid: int) -> str | None:
    """The terminal a session's program runs on, e.g. ``/dev/pts/5``."""
    try:
        return psutil.Process(pid).terminal()
    except psutil.Error:
        return None


def table(tty: str, width: int | None = None) -> list[str]:
    """The header and one line per process on ``tty``."""
    now = time.time()
    return [HEADER[:width] if width else HEADER] + [
        format_row(r, now, width) for r in rows_on(tty, now)]
