"""The user's terminal as rezume writes to it: the session's output, and the outage over it.

Does I/O (writes to the terminal).  The session's bytes are written up
to the last whole escape sequence -- a cut one waits for the rest -- and
watched for which screen they leave the terminal on
(:class:`~sessmux.remote.outage.Screens`), so that the outage display
goes where it can be taken away again without touching the session's
screen: an overlay on the alternate screen the terminal restores, or, over
a full-screen program, the bottom line the host repaints.
"""

from __future__ import annotations

import os

from sessmux.remote import outage
from sessmux.system.ready import ready
from sessmux.system.ttyio import get_winsize


class Display:
    """The terminal at ``stdout``: what rezume has written to it, and what shows."""

    def __init__(self, stdout: int) -> None:
        self.stdout = stdout
        self.shown = ""  # the outage display up: "overlay", "line" (or nothing)
        self.screens = outage.Screens()  # which screen the session is on
        self.tail = b""  # output cut inside a sequence: written with what follows

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.stdout, view)
            except BlockingIOError:
                ready([], [self.stdout])
                continue
            view = view[n:]

    def show_output(self, data: bytes) -> None:
        """The session's bytes to the terminal, up to the last whole sequence."""
        data = self.tail + data
        n = outage.complete(data)
        if len(data) - n > 4096:
            n = len(data)  # a string that never ends: no cue is worth holding it back
        self.tail = data[n:]
        if n:
            self.write(data[:n])
            self.screens.feed(data[:n])

    def status(self, lines: list[str]) -> None:
        """The outage display: an overlay the terminal takes away, or the bottom line."""
        rows, cols = get_winsize(self.stdout) or (24, 80)
        if self.screens.alternate or self.shown == "line":
            # A full-screen program: no other screen to borrow; the host repaints it.
            rest = " ".join([lines[1], "Enter ~ . quits", *lines[3:]])
            room = max(24, cols - 2 - len(rest))  # a long host name gives way
            text = lines[0][:room] + " " + rest
            self.write(outage.bottom_line(text, rows, cols))
            self.shown = "line"
            return
        self.write((outage.ENTER if not self.shown else b"") + outage.overlay(lines, cols))
        self.shown = "overlay"

    def unshow(self) -> None:
        """Take the outage display down: the terminal gives the main screen back."""
        if self.shown == "overlay":
            self.write(outage.LEAVE)
        elif self.shown == "line":
            self.write(outage.LINE_CLEAR)
        self.shown = ""
