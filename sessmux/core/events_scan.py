"""What a session's output says happened: bells, prompt marks, notifications.

No I/O, no clock.  A :class:`Scanner` is fed each chunk of the program's
output as the master reads it, and returns the events found in it:

* ``("bell", "")`` -- a BEL in the text, not one that ends a string;
* ``("prompt", "")`` -- OSC 133;A, the shell shows its prompt;
* ``("start", COMMAND)`` -- OSC 133;C, a command begins: COMMAND is what
  was echoed between the end of the prompt (OSC 133;B) and now, or the
  ``cmdline=`` the shell gave with the mark;
* ``("done", STATUS)`` -- OSC 133;D;STATUS, the command ended (STATUS is
  ``""`` when the shell did not say);
* ``("notify", TEXT)`` -- OSC 9;TEXT, or OSC 777;notify;TITLE;BODY.

It is on the output's hot path, without the screen model: a chunk with no
ESC and no BEL costs two ``bytes.find`` calls.  State lives across chunk
boundaries (a mark cut in two is still found) and is bounded: a string is
kept up to :data:`STRING_MAX` bytes and an echoed command up to
:data:`ECHO_MAX` characters, whatever the program prints.

>>> s = Scanner()
>>> s.feed(b"\\x1b]133;B\\x07fa") + s.feed(b"lse\\r\\n\\x1b]133;C\\x07")
[('start', 'false')]
>>> s.feed(b"\\x1b]133;D;1\\x1b\\\\\\x07\\x1b]9;built\\x07")
[('done', '1'), ('bell', ''), ('notify', 'built')]
"""

from __future__ import annotations

STRING_MAX = 512  # bytes of one OSC kept: longer ones are cut (never grow)
ECHO_MAX = 200  # characters of an echoed command kept
ESC, BEL, CAN, SUB = 0x1B, 0x07, 0x18, 0x1A
# Introducers after ESC of strings that end at ST, where BEL is not a bell.
_STRINGS = frozenset(b"PX^_")  # DCS, SOS, PM, APC
# What ends plain text: a BEL, or ESC and a string introducer (OSC, DCS).  SOS, PM
# and APC are looked for only where a chunk boundary cuts their introducer: each
# needle costs a pass over every chunk, and they carry no BEL in practice (kitty's
# APC graphics are base64).
_NEEDLES = (b"\x07", b"\x1b]", b"\x1bP")
_GROUND, _ESC, _OSC, _OSC_ESC, _STR, _STR_ESC = range(6)


class Scanner:
    """Incremental: feed output in any pieces, get events out (see the module)."""

    def __init__(self) -> None:
        self.state = _GROUND
        self.osc = bytearray()
        self.echo: bytearray | None = None  # collecting a command line (after 133;B)

    def feed(self, data: bytes) -> list[tuple[str, str]]:
        events: list[tuple[str, str]] = []
        if (self.state == _GROUND and self.echo is None
                and data.find(b"\x1b") < 0 and data.find(b"\x07") < 0):
            return events  # the fast path: plain text
        i, n = 0, len(data)
        while i < n:
            state = self.state
            if state == _GROUND:
                i = self._ground(data, i, events)
                continue
            byte = data[i]
            i += 1
            if state == _ESC:
                if byte == 0x5D:  # ]
                    self.state, self.osc = _OSC, bytearray()
                elif byte in _STRINGS:
                    self.state = _STR
                elif byte == ESC:
                    continue
                else:
                    self.state = _GROUND  # CSI and the rest: nothing we look at
            elif state == _OSC:
                if byte == BEL:
                    self._osc_done(events)
                elif byte == ESC:
                    self.state = _OSC_ESC
                elif byte in (CAN, SUB):
                    self.state = _GROUND
                else:
                    # Find the end at C speed; keep only the head of a long string.
                    end = _find_end(data, i - 1, n)
                    room = STRING_MAX - len(self.osc)
                    if room > 0:
                        self.osc += data[i - 1 : min(end, i - 1 + room)]
                    i = end
            elif state == _OSC_ESC:
                if byte == 0x5C:  # ST
                    self._osc_done(events)
                else:
                    self.state, i = _ESC, i - 1  # an ESC cuts the string: a new sequence
            elif state == _STR:
                if byte == ESC:
                    self.state = _STR_ESC
                elif byte in (CAN, SUB):
                    self.state = _GROUND
            elif state == _STR_ESC:
                if byte == 0x5C:
                    self.state = _GROUND
                else:
                    self.state, i = _ESC, i - 1
        return events

    def _ground(self, data: bytes, i: int, events: list[tuple[str, str]]) -> int:
        """Text: find the next BEL or string introducer (CSIs and the rest pass at C speed)."""
        if self.echo is not None:
            return self._echoed(data, i, events)
        n = stop = len(data)
        for needle in _NEEDLES:
            at = data.find(needle, i, min(n, stop + 1))
            if 0 <= at < stop:
                stop = at
        if stop == n:
            if n > i and data[n - 1] == ESC:
                self.state = _ESC  # the sequence goes on in the next chunk
            return n
        if data[stop] == BEL:
            events.append(("bell", ""))
            return stop + 1
        if data[stop + 1] == 0x5D:  # ]
            self.state, self.osc = _OSC, bytearray()
        else:
            self.state = _STR
        return stop + 2

    def _echoed(self, data: bytes, i: int, events: list[tuple[str, str]]) -> int:
        """After a prompt (133;B): collect the echoed command line up to the next ESC or BEL."""
        esc, bel = data.find(b"\x1b", i), data.find(b"\x07", i)
        stop = min(esc if esc >= 0 else len(data), bel if bel >= 0 else len(data))
        self._collect(data[i:stop])
        if stop == len(data):
            return stop
        if stop == bel:
            events.append(("bell", ""))
        else:
            self.state = _ESC
            if data[stop + 1 : stop + 2] == b"[":
                # A CSI in the echo (readline's redraws): skip it, not into the command.
                j = stop + 2
                while j < len(data) and not 0x40 <= data[j] <= 0x7E:
                    j += 1
                if j < len(data):
                    self.state = _GROUND
                    return j + 1
        return stop + 1

    def _collect(self, text: bytes) -> None:
        assert self.echo is not None
        for byte in text:
            if byte in (8, 127):
                if self.echo:
                    self.echo.pop()
            elif byte in (10, 13, 9):
                if self.echo and self.echo[-1:] != b" ":
                    self.echo.append(0x20)
            elif byte >= 0x20 and len(self.echo) < ECHO_MAX:
                self.echo.append(byte)

    def _osc_done(self, events: list[tuple[str, str]]) -> None:
        self.state = _GROUND
        body = bytes(self.osc).decode("utf-8", "replace")
        self.osc = bytearray()
        kind, _, rest = body.partition(";")
        if kind == "133":
            mark, _, params = rest.partition(";")
            if mark == "A":
                events.append(("prompt", ""))
            elif mark == "B":
                self.echo = bytearray()
            elif mark == "C":
                line = _param(params, "cmdline") or (self.echo or b"").decode("utf-8", "replace")
                self.echo = None
                events.append(("start", printable(line).strip()))
            elif mark == "D":
                self.echo = None
                status = params.partition(";")[0]
                events.append(("done", status if status.lstrip("-").isdigit() else ""))
        elif kind == "9" and rest and not rest.startswith("4;"):
            # (OSC 9;4 is ConEmu's progress bar, not a message.)
            events.append(("notify", printable(rest)))
        elif kind == "777" and rest.startswith("notify;"):
            title, _, text = rest[len("notify;"):].partition(";")
            events.append(("notify", printable(f"{title}: {text}" if text else title)))


def _find_end(data: bytes, i: int, n: int) -> int:
    """Index of the first BEL, ESC, CAN or SUB at or after ``i`` (``n`` if none)."""
    end = n
    for stop in (b"\x07", b"\x1b", b"\x18", b"\x1a"):
        at = data.find(stop, i, end)
        if at >= 0:
            end = at
    return end


def _param(params: str, key: str) -> str:
    for item in params.split(";"):
        name, eq, value = item.partition("=")
        if eq and name == key:
            return value
    return ""


def printable(text: str) -> str:
    """``text`` with control characters dropped (it is shown on terminals).

    >>> printable("a\\x1b[2Jb\\x9bc")
    'a[2Jbc'
    """
    return "".join(c for c in text if c.isprintable())
