"""CPU of an idle sessview with 10 sessions listed (a program, not a test; does I/O).

    python3 bench/sessview_idle.py [--sessions N] [--seconds S]

Starts N idle sessions (``sessmux -n``, each running ``sleep``) in a
private session directory, runs ``sessview`` on a pty of its own
(120x40, TERM=xterm-256color) and keeps reading that pty like a terminal
would.  Once the list shows all N sessions and a second of warm-up has
passed, it measures over S seconds the CPU time of sessview (all its
threads) and of the N masters it polls, as a percentage of one CPU, and
prints the numbers.  Everything it started is killed by pid at the end.
"""

from __future__ import annotations

import argparse
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "bin"
sys.path.insert(0, str(ROOT / "tests" / "support"))

from terminal import Terminal  # noqa: E402  (a test helper, reused: tests/support/terminal.py)


def environment(base: Path) -> dict[str, str]:
    (base / "home").mkdir()
    return {"PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin", "HOME": str(base / "home"),
            "SESSMUX_DIR": str(base / "sessions"), "SESSMUX_REGISTRY": str(base / "registry"),
            "SESSMUX_PYTHON": sys.executable, "TERM": "xterm-256color", "LANG": "C.UTF-8",
            "SHELL": "/bin/sh"}


def read_until(fd: int, needle: bytes, seconds: float) -> None:
    """Read the view's output (as a terminal does) until ``needle`` shows or time is up."""
    seen = b""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
        if ready:
            try:
                seen = (seen + os.read(fd, 65536))[-65536:]
            except OSError:
                raise SystemExit("sessview ended early") from None
            if needle and needle in seen:
                return
    if needle:
        raise SystemExit(f"timed out waiting for {needle!r}")


def cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def tagged(directory: str) -> list[tuple[int, list[str]]]:
    """Every process with ``directory`` as its SESSMUX_DIR: pid and command line."""
    found = []
    for proc in psutil.process_iter(["pid", "environ", "cmdline"]):
        environ = proc.info.get("environ") or {}
        if environ.get("SESSMUX_DIR") == directory and proc.info["pid"] != os.getpid():
            found.append((proc.info["pid"], proc.info.get("cmdline") or []))
    return found


def masters(directory: str) -> list[int]:
    """The session masters: the parents of the ``sleep`` programs (not the fork server)."""
    return [psutil.Process(pid).ppid() for pid, argv in tagged(directory)
            if argv[:1] == ["sleep"] and psutil.pid_exists(pid)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="sessview-idle-"))
    env = environment(base)
    term: Terminal | None = None
    try:
        for i in range(args.sessions):
            subprocess.run([str(BIN / "sessmux"), "-n", "-w", f"idle{i:02d}", "sleep", "99999"],
                           env=env, check=True, timeout=60, stdin=subprocess.DEVNULL)
        term = Terminal(env, argv=[str(BIN / "sessview")], rows=40, cols=120)
        view, fd = term.pid, term.fd
        read_until(fd, f"{args.sessions} sessions".encode(), 30)
        read_until(fd, b"", 1.0)  # warm-up: the first preview, the first refreshes
        watched = masters(env["SESSMUX_DIR"])
        view_before, masters_before = cpu([view]), cpu(watched)
        started = time.monotonic()
        read_until(fd, b"", args.seconds)
        elapsed = time.monotonic() - started
        view_cpu = (cpu([view]) - view_before) / elapsed * 100
        masters_cpu = (cpu(watched) - masters_before) / elapsed * 100
        rss = psutil.Process(view).memory_info().rss / (1 << 20)
        print(f"sessview idle, {args.sessions} sessions listed, {elapsed:.1f} s:")
        print(f"  sessview CPU      {view_cpu:6.2f} %  (RSS {rss:.1f} MiB)")
        print(f"  masters CPU total {masters_cpu:6.2f} %  ({len(watched)} processes polled)")
    finally:
        if term is not None:
            term.close()
        for pid, _ in tagged(env["SESSMUX_DIR"]):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
