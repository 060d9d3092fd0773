"""Output built to hurt a screen model, and ways to watch a master under it.

Does I/O (``/proc``, the master's socket).  ``ATTACKS`` are the issue's
examples and variations on them: huge and many parameters, huge strings,
endless combining marks, huge repeats and cursor moves, sequences that
cost a naive model a whole screen each.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

from terminal import DEADLINE, owner_of
from tmuxterm import TMUX, TmuxTerminal

from sessmux.client import channel

ACUTE = "\u0301".encode()

ATTACKS: dict[str, bytes] = {
    # printf '\033[%sm' $(printf '9%.0s' $(seq 5000)): int() refuses 4,300+ digits.
    "huge_param": b"\x1b[" + b"9" * 5000 + b"m",
    "huge_params_many_shapes": b"".join(b"\x1b[" + b"7" * n + final for n in (4301, 20000, 70000)
                                        for final in (b"A", b"H", b";1m")),
    "many_params": b"\x1b[" + b"1;" * 60000 + b"m" + b"\x1b[?" + b"1049;" * 30000 + b"h",
    # 'a' and 64,000 acute accents: 128 KB of one cell.
    "combining": b"a" + ACUTE * 64000,
    "combining_everywhere": (b"x" + ACUTE * 300) * 800,
    "huge_rep": b"x\x1b[999999999b" * 2000,
    "huge_moves": b"\x1b[999999999;999999999H\x1b[999999999A\x1b[999999999@"
                  b"\x1b[999999999L\x1b[999999999M\x1b[999999999P\x1b[999999999X" * 3000,
    "huge_osc": b"\x1b]2;" + b"T" * 3_000_000 + b"\x07",
    "huge_dcs": b"\x1bP" + b"q" * 3_000_000 + b"\x1b\\",
    "unterminated_csi": b"\x1b[" + b"1;" * 500_000,
    "screen_fills": b"\x1b#8\x1b[41m\x1b[2J\x1b[1;1r" * 30000,
}


def rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` (VmRSS in /proc), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def timed_status(directory: Path, name: str) -> tuple[float, dict[str, object]]:
    """Seconds the master took to answer a status request, and its answer."""
    start = time.monotonic()
    reply = channel.request(str(directory), name, {"t": "status"}, owner=owner_of(directory))
    return time.monotonic() - start, dict(reply)


def pane_text(t: TmuxTerminal) -> str:
    """What ``t`` shows; tmux may cut a cell of many combining marks mid-character."""
    assert TMUX
    done = subprocess.run([TMUX, "-S", t.sock, "capture-pane", "-p"], check=True,
                          capture_output=True, timeout=20)
    return done.stdout.decode("utf-8", "replace")


def wait_for_pane(t: TmuxTerminal, pattern: str) -> str:
    """Poll ``t`` until ``pattern`` shows; the screen then."""
    regex = re.compile(pattern, re.M)
    end = time.monotonic() + DEADLINE
    while True:
        text = pane_text(t)
        if regex.search(text):
            return text
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {pattern!r}; screen:\n{text}")
        time.sleep(0.05)  # a poll interval
