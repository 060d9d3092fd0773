"""One client of a master: its socket, and for an attached one, its data fds.

Does I/O on the fds it owns.  An attached connection reads the session's
output from the replay ring at its own offset, so a slow or stopped reader
only falls behind; it never holds the program or other readers back.
"""

from __future__ import annotations

import os
import time

from sessmux.core import control_protocol, resume_protocol
from sessmux.core.ring import Ring
from sessmux.system import unix

WRITE_LIMIT = 1 << 18
FRAME_DATA = 1 << 15  # output bytes per data frame


class Conn:
    """A client socket; after ``attach``, also a data connection."""

    def __init__(self, sock: unix.Socket) -> None:
        self.sock = sock
        self.decoder = control_protocol.Decoder()
        self.control = bytearray()  # frames waiting to be sent
        self.fds: list[int] = []  # descriptors received, not yet used
        self.greeted = False
        self.closing = False  # close once ``control`` is flushed
        self.attached = False
        self.writer = False  # the read-write connection (else a watcher)
        self.tty = False  # its output goes to a terminal
        self.held = False  # output waits for the signaller's "go"
        self.in_fd = -1
        self.out_fd = -1
        self.input_eof = False
        self.offset = 0  # next output offset this connection gets
        self.deep = False  # output that left the ring comes from the journal (pipes, resume)
        self.terminal = -1  # its terminal's device number (-1: not a terminal)
        self.blob = bytearray()  # bytes due before the ring's (a repaint)
        self.progress = time.monotonic()  # last time it took output, or had none due
        self.remote = ""
        self.notify = ""  # "9" or "777": tell its terminal when the session needs attention
        self.detach_key: int | None = None  # atsr -e: typed once detaches, twice sends it
        self.escape_at: float | None = None  # when a lone detach key was typed
        # A resume-protocol connection (rezume over ssh): frames both ways.
        self.framed = False
        self.token = ""  # the client's own id, for its input offsets
        self.frames = resume_protocol.Decoder()
        self.inbox = resume_protocol.Inbox()
        self.exit_sent = False
        self.want_repaint = ""  # asked by the client: "screen", or "bottom" (its line)

    def send(self, msg: control_protocol.Message) -> None:
        self.control += control_protocol.encode(msg)

    def backlog(self, ring: Ring) -> int:
        return len(self.blob) + ring.end - self.offset

    def push(self, ring: Ring) -> str | None:
        """Write what is due without blocking.

        Returns None when done for now, ``"behind"`` when the ring no longer
        holds this connection's next bytes, ``"error"`` when the fd failed.
        """
        while True:
            if self.framed and not self.blob:
                # Output goes in data frames that carry their offsets.
                chunk = (ring.read if self.deep else ring.since)(self.offset, FRAME_DATA)
                if chunk is None:
                    return "behind"
                if chunk:
                    self.blob += resume_protocol.encode_data(self.offset, chunk)
                    self.offset += len(chunk)
            if self.blob:
                data: bytes | bytearray = self.blob
            else:
                got = (ring.read if self.deep else ring.since)(self.offset, WRITE_LIMIT)
                if got is None:
                    return "behind"
                data = got
            if not data:
                self.progress = time.monotonic()
                return None
            try:
                n = os.write(self.out_fd, data)
            except BlockingIOError:
                return None
            except OSError:
                return "error"
            self.progress = time.monotonic()
            if self.blob:
                del self.blob[:n]
            else:
                self.offset += n
            if n < len(data):
                return None

    def filter_detach_key(self, data: bytes) -> tuple[bytes, bool]:
        """Take the detach key out of typed ``data``; say whether to detach.

        The key twice in a row sends it once; the key followed by anything
        else, or by nothing for a moment, detaches (like screen's C-a d).
        """
        key = self.detach_key
        assert key is not None
        out = bytearray()
        i = 0
        if self.escape_at is not None:
            self.escape_at = None
            if data[:1] == bytes([key]):
                out.append(key)
                i = 1
            else:
                return bytes(out), True
        while i < len(data):
            byte = data[i]
            if byte != key:
                out.append(byte)
                i += 1
                continue
            if i + 1 == len(data):
                self.escape_at = time.monotonic()  # wait a moment for a second one
                break
            if data[i + 1] == key:
                out.append(key)
                i += 2
                continue
            return bytes(out), True
        return bytes(out), False

    def close_data(self) -> None:
        """Close the data fds (the socket stays, for last words)."""
        for fd in {self.in_fd, self.out_fd}:
            if fd >= 0:
                os.close(fd)
        self.in_fd = self.out_fd = -1
        self.attached = False
        self.blob.clear()
