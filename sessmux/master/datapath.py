"""The master's data path: the program's output to terminals, keys to the program.

Does I/O on the descriptors a :class:`~sessmux.master.loop.Master` holds; these
are its methods, kept apart (as :mod:`sessmux.master.requests` keeps the control
requests) so each part stays small.  Output read from the pty goes into
the ring and straight out to every connection that is caught up; one
that fell out of the ring is repainted.  Keys are queued and written to
the pty as it takes them; a resuming client's come in data frames.
"""

from __future__ import annotations

import os
import time

from sessmux.core import control_protocol, resume_protocol
from sessmux.master import ending

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sessmux.master.connection import Conn
    from sessmux.master.loop import Master

READ_SIZE = 65536
EXIT_GRACE = 0.5  # seconds to wait for a pty's last output after the program ends
TOKENS = 64  # resuming clients whose input offsets are remembered
QUERIES = (b"\x1b[6n", b"\x1b[5n", b"\x1b[c", b"\x1b[0c", b"\x1b[>c")  # need an answer


def read_output(master: Master) -> None:
    room = master.resume_room()
    if room is not None and room <= 0:
        return  # a resuming client would lose what we read: the program waits
    try:
        data = os.read(master.pty_fd, READ_SIZE if room is None else min(READ_SIZE, room))
    except BlockingIOError:
        return
    except OSError:
        data = b""
    if not data:
        master.pty_open = False  # EIO: no process holds the slave any more
        return
    master.activity = time.time()
    master.ring.append(data)
    master.events.output(data)
    if master.journal is not None:
        master.journal.output(master.ring.end - len(data), master.activity, data)
    if master.rw is not None and master.rw.tty:
        master.answered.add(master.ring.end - len(data), master.ring.end)  # it answers queries
    if master._view is None and b"\x1b[" in data and (master.rw is None or not master.rw.tty):
        master.wants_view = any(query in data for query in QUERIES)
    if master.status is not None:
        master.exit_deadline = time.monotonic() + EXIT_GRACE
    for conn in master.attached():
        if master.live(conn) and conn.offset == master.ring.end - len(data):
            deliver(master, conn)


def deliver(master: Master, conn: Conn) -> None:
    # Caught up: the screen now is the stream's end.  Frames already queued
    # (an ack, a pong) go first; the repaint follows them in order.  (Waiting
    # for an empty queue never came while keepalives kept it full.)
    if conn.want_repaint and conn.offset == master.ring.end:
        what, conn.want_repaint = conn.want_repaint, ""
        screen = bottom_line(master) if what == "bottom" else repaint(master, conn, since=None)
        conn.blob += resume_protocol.encode_repaint(conn.offset, screen)
    outcome = conn.push(master.ring)
    if outcome == "behind":
        # Fell out of the ring: resynchronise with a repaint, not memory.
        master.log("a connection fell behind; repainting it")
        screen = repaint(master, conn, since=None)
        conn.offset = master.ring.end
        if conn.framed:
            screen = resume_protocol.encode_repaint(conn.offset, screen)
        conn.blob = bytearray(screen)
        outcome = conn.push(master.ring)
    if outcome == "error":
        # pty 4.0: an output error (EPIPE, EIO) disconnects.
        ending.detach(master, conn, notify="disconnected")


def repaint(master: Master, conn: Conn, since: int | None,
            older: list[bytes] | None = None, shown: list[bytes] | None = None) -> bytes:
    if not master.screen_model:
        return b""
    if conn.tty:
        return master.view.repaint(master.ring, since, older, shown)
    master.view.catch_up(master.ring)
    return master.view.screen()


HISTORY_BYTES = 1 << 20  # a fresh terminal's history is looked for this far back at most


def history(master: Master, count: int) -> list[bytes]:
    """The last ``count`` lines that left the screen, for a fresh terminal's scrollback.

    The screen model's scrolled lines first; where it began after older
    output (it starts blank, or skips ahead), the lines before that come
    from the journal as plain text -- each line once, none from the screen.
    """
    if not master.screen_model or count <= 0:
        return []
    view = master.view
    view.catch_up(master.ring)
    lines = [line for offset, line in view.lines if offset > view.origin][-count:]
    full = view.lines.maxlen is not None and len(view.lines) >= view.lines.maxlen
    if len(lines) >= count or full or view.origin <= 0:
        return lines
    from sessmux.core.journal_format import PlainText

    kept = master.journal.start() if master.journal is not None else None
    floor = master.ring.start if kept is None else min(kept, master.ring.start)
    start = max(floor, view.origin - HISTORY_BYTES)
    data = bytearray()
    while start + len(data) < view.origin:
        got = master.ring.read(start + len(data), view.origin - start - len(data))
        if not got:
            return lines
        data += got
    text = PlainText()
    older = text.feed(bytes(data)) + text.end()
    if start > 0:
        older = older[1:]  # it began in the middle of a line
    return older[-(count - len(lines)) :] + lines


def bottom_line(master: Master) -> bytes:
    """Only the screen's bottom line, where the client's outage status was.

    The cursor, pen and character set are saved and restored around it
    (DECSC/DECRC), as the status line itself was drawn.
    """
    if not master.screen_model:
        return b""
    from sessmux.core.render import render_line

    master.view.catch_up(master.ring)
    screen = master.view.model.screen
    row = screen.buffer[screen.lines - 1]
    return (b"\x1b7\x1b(B\x0f\x1b[%d;1H\x1b[0m\x1b[2K" % screen.lines
            + render_line(row, screen.columns) + b"\x1b8")


def read_input(master: Master, conn: Conn) -> None:
    try:
        data = os.read(conn.in_fd, 4096)
    except BlockingIOError:
        return
    except OSError:
        data = b""
    if conn.framed and data:
        read_frames(master, conn, data)
        return
    if not conn.writer:
        conn.input_eof = not data  # a watcher's keys are read and dropped
        return
    if not data:
        # pty 4.0: EOF on a session's input is a disconnect.
        ending.detach(master, conn, notify="disconnected")
        return
    if conn.detach_key is not None:
        data, detach = conn.filter_detach_key(data)
        master.inbuf += data
        write_input(master)
        if detach:
            ending.detach(master, conn, notify="detached")
        return
    master.inbuf += data
    write_input(master)


def read_frames(master: Master, conn: Conn, data: bytes) -> None:
    """Input from a resuming client: data frames, pings, window sizes."""
    try:
        frames = conn.frames.feed(data)
        for frame in frames:
            if frame.kind == resume_protocol.DATA:
                new = conn.inbox.accept(frame.offset, frame.data)
                if conn.writer:
                    master.inbuf += new
                # The newest of them only: a client may make up a token per attach.
                master.tokens.pop(conn.token, None)
                master.tokens[conn.token] = conn.inbox.received
                if len(master.tokens) > TOKENS:
                    del master.tokens[next(iter(master.tokens))]
            elif frame.kind == resume_protocol.ACK:
                master.acknowledged(conn, frame.offset)  # that output may go now
            elif frame.kind == resume_protocol.PING:
                conn.blob += resume_protocol.encode_pong(frame)
            elif frame.kind == resume_protocol.WINSIZE and conn is master.rw:
                master.resize(*resume_protocol.winsize(frame), force=False)
            elif frame.kind == resume_protocol.REPAINT:
                # After its outage status: the screen, or only the line it covered.
                conn.want_repaint = "bottom" if frame.data == b"bottom" else "screen"
            elif frame.kind in (resume_protocol.HELLO, resume_protocol.ERROR, resume_protocol.EXIT):
                raise resume_protocol.ResumeError(f"unexpected {frame.kind} frame from a client")
    except resume_protocol.ResumeError as e:
        master.log(f"resume protocol error, disconnecting: {e}")
        conn.blob += resume_protocol.encode_error(str(e))
        conn.push(master.ring)
        conn.send(control_protocol.disconnected(str(e)))  # sessmux -s exits 11
        ending.detach(master, conn, notify=None)
        return
    if any(f.kind == resume_protocol.DATA for f in frames):
        conn.blob += resume_protocol.encode_ack(conn.inbox.received)  # the client may drop them
    write_input(master)
    deliver(master, conn)


def write_input(master: Master) -> None:
    if not master.inbuf:
        return
    try:
        n = os.write(master.pty_fd, master.inbuf)
    except BlockingIOError:
        return
    except OSError:
        master.inbuf.clear()
        return
    master.input_offset += n
    del master.inbuf[:n]
