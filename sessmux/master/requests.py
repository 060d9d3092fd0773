"""What a master does with each request from a tool or signaller.

Does I/O only through the master it is given.  One function per message
type (``protocol`` lists them); each gets a message whose fields
:func:`sessmux.core.control_protocol.check` has found acceptable.  An unknown type or a
bad field is a protocol error that closes that connection and nothing else.
"""

from __future__ import annotations

import os
import time

from sessmux.core import control_protocol
from sessmux.core import resume_protocol as resume
from sessmux.core.errors import COMMS, ELSEWHERE, TOOL
from sessmux.core.names import clip_long_name, is_valid
from sessmux.master import datapath, ending
from sessmux.master.connection import Conn
from sessmux.system.ttyio import reopen_private

TYPE_CHECKING = False  # typing costs a megabyte per master
if TYPE_CHECKING:
    from collections.abc import Callable

    from sessmux.master.loop import Master

    Handler = Callable[[Master, Conn, control_protocol.Message], None]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


def handle(master: Master, conn: Conn, msg: control_protocol.Message) -> None:
    kind = control_protocol.check(msg)["t"]
    if not conn.greeted:
        if kind != "hello" or msg.get("v") != control_protocol.VERSION:
            conn.send(control_protocol.error(COMMS, "protocol version mismatch"))
            conn.closing = True
            return
        conn.greeted = True
        return
    fn = HANDLERS.get(kind)
    if fn is None:
        raise control_protocol.ProtocolError(f"unexpected {kind}")
    fn(master, conn, msg)


def status(master: Master) -> control_protocol.Message:
    rw = master.rw
    return control_protocol.status_reply(
        name=master.name,
        longname=master.longname,
        pid=os.getpid(),
        slave=master.pid,
        connected=rw is not None,
        watchers=sum(1 for c in master.attached() if not c.writer),
        reco=master.reco["target"] if master.reco else None,
        created=master.created,
        activity=master.activity,
        disconnected_at=None if rw else master.disconnected_at,
        exited=master.status,
        remote=rw.remote if rw else "",
        buffer=master.replay,
        journal=master.journal.bound if master.journal is not None and master.journal.on else 0,
        journal_used=master.journal.total if master.journal is not None and master.journal.on
        else 0,
        **_happenings(master),
    )


def _happenings(master: Master) -> control_protocol.Message:
    """What ``sesslist -l``, sesswait and sessview show: events, waiting, unseen output."""
    ring, rw, ev = master.ring, master.rw, master.events
    waiting = None
    if master.status is None and master.pty_open and not master.stopped:
        waiting = ev.check_waiting(master.pty_fd, master.activity)
    running = None
    if ev.started is not None and waiting is None:
        running = {"command": ev.started[1], "since": ev.started[0]}
    return {
        "seq": ev.seq,
        "prompts": ev.prompts,
        "events": ev.recent(),
        "waiting": waiting,
        "running": running,
        "output": ring.end,
        "unseen": ring.end - (rw.offset if rw is not None else master.sent),
        "buffered": min(ring.end - ring.start, master.replay),
    }


@handler("status")
def on_status(master: Master, conn: Conn, msg: control_protocol.Message) -> None:
    conn.send(status(master))


@handler("setname")
def on_setname(master: Master, conn: Conn, msg: control_protocol.Message) -> None:
    master.longname = clip_long_name(msg["name"])
    conn.send(control_protocol.ok())


@handler("disconnect")
def on_disconnect(master: Master, conn: Conn, msg: control_protocol.Message) -> None:
    if master.rw is None:
        conn.send(control_protocol.error(TOOL, "already disconnected"))
        return
    ending.detach(master, master.rw, notify="disconnected")
    conn.send(control_protocol.ok())


@handler("reco")
def on_reco(master: Master, conn: Conn, msg: control_protocol.Message) -> None:
    """pty 4.0's deferred reconnect: stored here, relayed to the signaller."""
    if master.rw is None:
        conn.send(control_protocol.error(TOOL, "not connected"))
        return
    target = msg.get("target")
    if target is not None and not is_valid(target):
        raise control_protocol.ProtocolError("bad reconnect target")
    master.reco = None
    if target:
        master.reco = {"target": target, "mode": msg.get("mode"),
                       "force": bool(msg.get("force"))}
    master.rw.send(control_protocol.reco_notice(master.reco))
    conn.send(control_protocol.ok())


@handler("kill")
def on_kill(master: Master, conn: Conn, msg: control_protocol.Message) -> None:
    master.log("killed by request")
    for attached in master.attached():
        ending.detach(master, attached, notify="killed")
    conn.send(control_protocol.ok())
    master.done = True


@handler("winsize")
def on_winsize(master: Master, conn: Conn, msg: control_protocol.Message) -> None:
    # The latest read-write connection sets the size; watchers follow it.
    if conn is master.rw:
        master.resize(msg["rows"], msg["cols"], bool(msg.get("force")))


@handler("cont")
def on_cont(master: Master, conn: Conn, msg: control_protocol.Message) -> None:
    if conn is master.rw:
        master.continue_program()


@handler("go")
def on_go(master: Master, conn: Conn, msg: control_protocol.Message) -> None:
    """The signaller has said its piece; output may now reach its terminal."""
    conn.held = False
    if conn.attached:
        datapath.deliver(master, conn)


@handler("attach")
def on_attach(master: Master, conn: Conn, msg: control_protocol.Message) -> None:
    fds, conn.fds = conn.fds[:2], conn.fds[2:]
    if len(fds) != 2 or conn.attached:
        for fd in fds:
            os.close(fd)
        raise control_protocol.ProtocolError("attach without its two descriptors")
    writer = msg.get("mode") != "ro"
    token = msg.get("token") or ""
    if writer and master.rw is not None:
        # The same resuming client coming back replaces its half-dead self.
        same_client = bool(token) and master.rw.token == token
        if not (msg.get("force") or same_client):
            for fd in fds:
                os.close(fd)
            conn.send(control_protocol.error(ELSEWHERE, "already connected"))
            return
        master.log("taken over by a new connection")
        old = master.rw
        if old.framed and not same_client:
            # A rezume that was taken over must not come back and take it again.
            old.blob += resume.encode_error(f"session {master.name} was taken over "
                                            "by another connection")
            old.push(master.ring)
        ending.detach(master, old, notify="takenover")
    try:
        conn.in_fd = reopen_private(fds[0], write=False)
        conn.out_fd = reopen_private(fds[1], write=True)
    finally:
        for fd in fds:
            os.close(fd)
    conn.attached, conn.writer = True, writer
    conn.tty = bool(msg.get("tty"))
    if msg.get("framed"):
        conn.framed, conn.tty, conn.token = True, True, token
        conn.inbox = resume.Inbox(master.tokens.get(token, 0))
    conn.held = bool(msg.get("hold"))
    conn.remote = (msg.get("remote") or "")[:256]
    conn.detach_key = msg.get("detach_key")
    conn.notify = msg.get("notify") or ""
    conn.progress = time.monotonic()
    if writer:
        master.rw = conn
        master.disconnected_at = None
        master.entry.connected(conn.remote)
        if msg.get("rows") and msg.get("cols"):
            # A byte-exact resume owes the program no redraw: no forced SIGWINCH.
            exact = conn.framed and isinstance(msg.get("offset"), int)
            master.resize(msg["rows"], msg["cols"], force=not exact)
    reply = control_protocol.attached(master.name, master.input_offset,
                                     **_initial_output(master, conn, msg))
    if writer:
        master.writer_attached(conn, msg.get("hold_for"))
    if conn.framed:
        # The server's hello, then (if it was behind) the repaint, then data.
        hello = resume.encode_hello(id=master.name, recv=conn.inbox.received,
                                    offset=conn.offset, end=master.ring.end,
                                    behind=bool(reply.get("behind")))
        screen = bytes(conn.blob)
        conn.blob = bytearray(hello)
        if screen:
            conn.blob += resume.encode_repaint(conn.offset, screen)
    conn.send(reply)
    master.log(f"{'connected' if writer else 'watched'} from {conn.remote or '(unknown)'}")
    if master.gate_fd >= 0 and writer:
        os.write(master.gate_fd, b"k")  # pty 4.0: the program starts on first connect
        os.close(master.gate_fd)
        master.gate_fd = -1
    if writer and master.stopped:
        master.continue_program()  # pty 4.0 continues the program on any reconnect
    if not conn.held:
        datapath.deliver(master, conn)


def _initial_output(
    master: Master, conn: Conn, msg: control_protocol.Message
) -> control_protocol.Message:
    """Set what ``conn`` gets first (DESIGN §4); return what the reply says of it."""
    ring = master.ring
    floor = max(ring.start, ring.end - master.replay)  # what a reconnect may replay
    kept = master.journal.start() if master.journal is not None else None
    if kept is not None and master.replay > 0:
        floor = min(floor, kept)  # the journal has the rest (the ring is its tail)
    conn.deep = conn.framed or not conn.tty
    conn.terminal = _terminal(conn.out_fd) if conn.tty and not conn.framed else -1
    resume = msg.get("offset")
    if resume is not None:
        if floor <= resume <= ring.end:
            conn.offset = resume  # exactly the bytes after it
            conn.deep = True
            return {"resumed": True, "offset": resume}
        conn.offset = ring.end
        conn.blob = bytearray(datapath.repaint(master, conn, since=None))
        return {"resumed": False, "behind": True, "offset": ring.end}
    if conn.tty and ring.end == 0:
        conn.offset = 0  # a new session: nothing to repaint, the terminal goes on as it is
    elif conn.tty:
        since, older, shown = (master.tty_seen if conn.writer else None), None, None
        if conn.terminal in master.seen_by:
            since, shown = master.seen_by[conn.terminal]  # this terminal is back: what it missed
        elif msg.get("history"):
            # A terminal new to the session asks for history it never saw.
            since, older = None, datapath.history(master, msg["history"])
        conn.blob = bytearray(datapath.repaint(master, conn, since, older, shown))
        conn.offset = ring.end
    elif conn.writer:
        # A pipe or file: the raw bytes the last connection had not received.
        conn.offset = max(master.sent, floor)
    else:
        conn.offset = ring.end
    return {"offset": conn.offset}


def _terminal(fd: int) -> int:
    """The terminal device ``fd`` writes to (its number), -1 if none."""
    try:
        st = os.fstat(fd)
    except OSError:
        return -1
    return st.st_rdev if (st.st_mode & 0o170000) == 0o020000 else -1
