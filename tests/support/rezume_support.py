"""Test helpers for rezume: its own status sequences, and the soak program.

No I/O of its own.  ``own_status`` takes rezume's outage display out of
the bytes its terminal got -- only those sequences, matched exactly as
rezume writes them -- and returns what it took, so a test can assert that
none of the session's output was among it.  ``SOAK_PROGRAM`` writes
numbered, checksummed lines at full speed and records every key; the test
and the benchmark run it on the host and compare.
"""

from __future__ import annotations

import re

# The overlay on the terminal's alternate screen: entered once, redrawn
# (home, clear, rezume's lines) each second, left when contact returns.
_TEXT = rb"[^\x1b\r\n]*"
_OVERLAY_PAGE = (rb"\x1b\[H\x1b\[2Jrezume: no contact with " + _TEXT
                 + rb"\r\nfor \d+s, attempt \d+, [A-Za-z ]+;"
                 + rb"\r\nEnter ~ \. quits; keys typed now are sent when contact returns\."
                 + rb"(?:\r\n\(" + _TEXT + rb"\))?")
OVERLAY = re.compile(rb"\x1b\[\?1049h(?:" + _OVERLAY_PAGE + rb")+\x1b\[\?1049l")
# Over a full-screen program: the bottom line, cursor saved and restored.
BOTTOM_LINE = re.compile(rb"\x1b7\x1b\[\d+;1H\x1b\[0;7m\x1b\[2Krezume: no contact with "
                         + _TEXT + rb"\x1b\[0m\x1b8")
LINE_CLEAR = re.compile(re.escape(b"\x1b7\x1b[999;1H\x1b[2K\x1b8"))


def own_status(captured: bytes) -> tuple[bytes, list[bytes]]:
    """``captured`` without rezume's status sequences, and the sequences taken out."""
    removed: list[bytes] = []

    def take(m: re.Match[bytes]) -> bytes:
        removed.append(m.group(0))
        return b""

    for pattern in (OVERLAY, BOTTOM_LINE, LINE_CLEAR):
        captured = pattern.sub(take, captured)
    return captured, removed


def count_overlays(captured: bytes) -> int:
    return len(OVERLAY.findall(captured))


SOAK_PROGRAM = r'''
"""Numbered, checksummed lines at full speed; every key received is recorded.

argv: total bytes of lines, output copy, keys file, waits file.  The pty is
raw, so the bytes written are the bytes the terminal should get.  Each read
of keys adds a line "<rx N>" (N: key bytes so far), so the test sees when
keys arrive.  Keys end at ^D; then, all lines written, END-SOAK and exit 3.
The waits file gets the longest time the program waited to write (held).
"""
import os, random, select, sys, time, tty, zlib

total, out_path, keys_path, waits_path = (int(sys.argv[1]), sys.argv[2], sys.argv[3],
                                          sys.argv[4])
tty.setraw(0)
rng = random.Random(20)
table = bytes(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"[i % 64]
              for i in range(256))
copy, keys = open(out_path, "wb"), open(keys_path, "wb")
pending = bytearray(b"BEGIN-SOAK\n")
made = number = received = 0
keys_done = False
longest, blocked = 0.0, None
os.set_blocking(1, False)  # the same open file as 0: reads only after select
while True:
    while made < total and len(pending) < 1 << 16:
        body = rng.randbytes(rng.randint(10, 150)).translate(table)
        line = b"%08d %s %08x\n" % (number, body, zlib.crc32(body))
        pending += line
        made += len(line)
        number += 1
    if not pending and made >= total and keys_done:
        break
    t0 = time.monotonic()
    ready, writable, _ = select.select([0], [1] if pending else [], [])
    if ready:
        data = os.read(0, 4096)
        if b"\x04" in data:
            data, keys_done = data[: data.index(b"\x04")], True
        keys.write(data)
        keys.flush()
        received += len(data)
        pending += b"<rx %d>\n" % received
    if pending and not writable:
        blocked = blocked or t0
    if writable:
        try:
            n = os.write(1, pending)
        except BlockingIOError:
            blocked = blocked or t0
            continue
        longest = max(longest, time.monotonic() - (blocked or t0))
        blocked = None
        copy.write(pending[:n])
        del pending[:n]
os.set_blocking(1, True)
os.write(1, b"END-SOAK\n")
copy.write(b"END-SOAK\n")
copy.close()
keys.close()
with open(waits_path, "w") as f:
    f.write("%.2f\n" % longest)
sys.exit(3)
'''

SOAK_LINE = re.compile(rb"(\d{8}) ([-_a-zA-Z0-9]+) ([0-9a-f]{8})\n")


def soak_lines(data: bytes) -> tuple[int, int, int]:
    """Of the soak's numbered lines in ``data``: (distinct, lost, duplicated)."""
    numbers = [int(m.group(1)) for m in SOAK_LINE.finditer(data)]
    seen = set(numbers)
    top = max(seen) + 1 if seen else 0
    return len(seen), top - len(seen), len(numbers) - len(seen)
