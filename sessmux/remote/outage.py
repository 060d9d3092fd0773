"""The rezume client's outage display, and what it must know of the output stream.

No I/O.  While the link is down, rezume shows the user that it is down
without touching the session's output:

* on the main screen, the status goes on the terminal's own alternate
  screen (``CSI ?1049h``), and when contact returns ``CSI ?1049l`` gives the
  main screen, its scrollback and the cursor back as the terminal kept them;
  the replayed bytes then land exactly where they would have;
* when the session is itself on the alternate screen (a full-screen
  program), there is no second one: the status is the bottom line, drawn
  with the cursor saved and restored, and the host repaints that screen
  after the replay (an alternate screen has no scrollback to spoil).

Either way the display may only be put up between two whole pieces of
output: an escape sequence or UTF-8 character cut by the link would
swallow it.  :func:`complete` says how much of a chunk ends cleanly, and
:class:`Screens` follows which screen the session is on.

>>> data = b"ok\\x1b[?1049hvi\\x1b["
>>> n = complete(data); data[:n], data[n:]
(b'ok\\x1b[?1049hvi', b'\\x1b[')
>>> s = Screens(); s.feed(data[:n]); s.alternate
True
"""

from __future__ import annotations

ENTER = b"\x1b[?1049h"  # the overlay: save the cursor, switch to the alternate screen
LEAVE = b"\x1b[?1049l"  # ... back to the main screen and the saved cursor
HOME_CLEAR = b"\x1b[H\x1b[2J"
LINE_START = b"\x1b7\x1b[%d;1H\x1b[0;7m\x1b[2K"  # save cursor, bottom line, reverse video
LINE_END = b"\x1b[0m\x1b8"
LINE_CLEAR = b"\x1b7\x1b[999;1H\x1b[2K\x1b8"  # the bottom line taken away at exit
_OSC_LIKE = b"]P_^X"  # strings ended by ST (or BEL for OSC)
_SWITCHES = {b"1049", b"1047", b"47"}


def overlay(lines: list[str], cols: int) -> bytes:
    """The outage screen on the alternate screen: each line cut to the width."""
    body = b"\r\n".join(line[: max(1, cols - 1)].encode("utf-8", "replace") for line in lines)
    return HOME_CLEAR + body


def printable(text: str) -> str:
    """Text from outside (ssh's last error) without control characters."""
    return "".join(c if c.isprintable() else "?" for c in text)


def bottom_line(text: str, rows: int, cols: int) -> bytes:
    """The status as the bottom line over a full-screen program."""
    return (LINE_START % rows + text[: max(1, cols - 1)].encode("utf-8", "replace")
            + LINE_END)


def complete(data: bytes) -> int:
    """How many bytes of ``data`` end outside any escape sequence or UTF-8 character."""
    n = len(data)
    esc = data.rfind(b"\x1b")
    if esc >= 0 and not _sequence_done(data, esc):
        return esc
    # A UTF-8 character cut at the end: its lead byte and what came of it.
    for back in range(1, min(4, n) + 1):
        byte = data[n - back]
        if byte < 0x80:
            break
        if byte >= 0xC0:  # a lead byte: does its character fit?
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return n - back if back < need else n
    return n


def _sequence_done(data: bytes, esc: int) -> bool:
    rest = data[esc + 1 :]
    if not rest:
        return False
    kind = rest[0]
    if kind == 0x5B:  # CSI: parameters and intermediates, then a final byte
        return any(0x40 <= b <= 0x7E for b in rest[1:])
    if kind in _OSC_LIKE:
        # The string's own ESC of an ST would have been the last ESC; only BEL is left.
        return kind == 0x5D and 0x07 in rest
    if 0x20 <= kind <= 0x2F:  # ESC, intermediates, a final byte (ESC ( B)
        return any(0x30 <= b <= 0x7E for b in rest[1:])
    return True  # ESC and one byte (ESC 7, ESC \\)


class Screens:
    """Which screen the session's output has put the terminal on."""

    def __init__(self) -> None:
        self.alternate = False

    def feed(self, data: bytes) -> None:
        if b"\x1b[?" not in data:
            return
        at = data.find(b"\x1b[?")
        while at >= 0:
            end = at + 3
            while end < len(data) and (0x30 <= data[end] <= 0x3F):
                end += 1
            if end < len(data) and data[end] in b"hl" and _SWITCHES & set(
                    data[at + 3 : end].split(b";")):
                self.alternate = data[end] == 0x68  # "h"
            at = data.find(b"\x1b[?", end)
