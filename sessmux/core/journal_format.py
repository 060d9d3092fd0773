"""The session journal's records, and what is made of them: plain lines, asciicast.

No I/O.  A journal is a run of segment files (:mod:`sessmux.system.journal`
reads them, :mod:`sessmux.master.journal` writes them); each segment is a
run of records, one per chunk of output the master read, each stamped:

========  ======  ==========================================================
bytes     field   meaning
========  ======  ==========================================================
1         kind    0 = output, 1 = event (a JSON object, UTF-8)
8         offset  output offset of the chunk's first byte (big-endian);
                  an event: the output offset it happened at
8         time    wall-clock seconds since the epoch (IEEE double)
4         length  bytes of data that follow
length    data    the program's output, byte for byte; or the event's JSON
========  ======  ==========================================================

Output records follow each other without gaps; an event takes no offset.
A record cut short (the disk filled, the master was killed mid-write) ends
its segment: readers stop there.  Events are ``{"kind": ..., ...}``; the
master writes ``size`` (``rows``, ``cols``) when it starts; other kinds
(bell, exit, prompt marks) may come: readers skip kinds they do not know.

>>> rec = encode(OUTPUT, 100, 1.5, b"hi\\n")
>>> split(rec + encode(EVENT, 103, 2.0, b'{"kind":"bell"}') + rec[:7])
([(0, 100, 1.5, b'hi\\n'), (1, 103, 2.0, b'{"kind":"bell"}')], 60)
>>> text = PlainText(); text.feed(b"abc\\rX\\x1b[1mY\\x1b[m\\n1\\n2")
[b'XYc', b'1']
>>> text.end()
[b'2']
"""

from __future__ import annotations

import codecs
import struct

OUTPUT, EVENT = 0, 1
HEADER = struct.Struct(">BQdI")
MAX_DATA = 1 << 24  # a longer record is damage, not output (the master writes <= 64 KiB)


def encode(kind: int, offset: int, when: float, data: bytes) -> bytes:
    return HEADER.pack(kind, offset, when, len(data)) + data


def split(buf: bytes) -> tuple[list[tuple[int, int, float, bytes]], int]:
    """The whole records at the start of ``buf``, and how many bytes they take."""
    out = []
    at = 0
    while len(buf) - at >= HEADER.size:
        kind, offset, when, length = HEADER.unpack_from(buf, at)
        if length > MAX_DATA or len(buf) - at - HEADER.size < length:
            break
        start = at + HEADER.size
        out.append((kind, offset, when, bytes(buf[start : start + length])))
        at = start + length
    return out, at


class PlainText:
    """Output as the terminal showed it, a line at a time, without escape sequences.

    Carriage returns and backspaces move the column, so overwritten text is
    overwritten; ``ESC [ K`` erases to the end of the line; every other
    control or escape sequence is dropped.  UTF-8 in, UTF-8 lines out.
    """

    def __init__(self) -> None:
        self._decode = codecs.getincrementaldecoder("utf-8")("replace").decode
        self._line: list[str] = []
        self._col = 0
        self._esc = ""  # an escape sequence in progress ("" = none)

    def feed(self, data: bytes) -> list[bytes]:
        done: list[bytes] = []
        for ch in self._decode(data):
            if self._esc:
                self._escape(ch)
            elif ch == "\n":
                done.append("".join(self._line).rstrip(" ").encode())
                self._line, self._col = [], 0
            elif ch == "\r":
                self._col = 0
            elif ch == "\b":
                self._col = max(0, self._col - 1)
            elif ch == "\t":
                self._put(" " * (8 - self._col % 8))
            elif ch == "\x1b":
                self._esc = ch
            elif ch >= " " and ch != "\x7f" and not "\x80" <= ch <= "\x9f":
                self._put(ch)
        return done

    def end(self) -> list[bytes]:
        """The last line, if it has anything in it."""
        line = "".join(self._line).rstrip(" ")
        self._line, self._col = [], 0
        return [line.encode()] if line else []

    def _put(self, text: str) -> None:
        for ch in text:
            if self._col < len(self._line):
                self._line[self._col] = ch
            else:
                self._line.extend(" " * (self._col - len(self._line)))
                self._line.append(ch)
            self._col += 1

    def _escape(self, ch: str) -> None:
        seq = self._esc = self._esc + ch
        if len(seq) > 256:  # runaway: drop it
            self._esc = ""
        elif len(seq) == 2:
            if ch not in "[]PX^_(()*+#%":
                self._esc = ""  # a two-byte sequence (ESC 7, ESC M, ...)
        elif seq[1] == "[":
            if "@" <= ch <= "~":
                if ch == "K" and seq[2:-1] in ("", "0"):
                    del self._line[self._col :]
                self._esc = ""
        elif seq[1] in "]PX^_":  # strings end with BEL or ESC \
            if ch == "\x07" or seq.endswith("\x1b\\"):
                self._esc = ""
        else:
            self._esc = ""  # ESC ( B and the like: one more byte


def asciicast_header(width: int, height: int, timestamp: float,
                     idle_limit: float | None = None) -> dict[str, object]:
    """The first line of an asciicast v2 file (as a dict, to be JSON-encoded)."""
    head: dict[str, object] = {"version": 2, "width": width, "height": height,
                               "timestamp": int(timestamp)}
    if idle_limit is not None:
        head["idle_time_limit"] = idle_limit
    return head


class Timeline:
    """Wall-clock stamps as asciicast times: from 0, never backwards, pauses capped.

    >>> t = Timeline(100.0, idle_limit=2.0)
    >>> [t.at(w) for w in (100.0, 100.5, 110.0, 109.0, 111.0)]
    [0.0, 0.5, 2.5, 2.5, 3.5]
    """

    def __init__(self, start: float, idle_limit: float | None = None) -> None:
        self.last_wall = start
        self.now = 0.0
        self.idle_limit = idle_limit

    def at(self, wall: float) -> float:
        gap = max(0.0, wall - self.last_wall)
        self.last_wall = max(self.last_wall, wall)
        if self.idle_limit is not None:
            gap = min(gap, self.idle_limit)
        self.now += gap
        return round(self.now, 6)
