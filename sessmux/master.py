"""The master: one daemon per session, owner of the pty and the socket.

Does I/O.  It reads the program's output from the pty master and writes it
straight to the connected signaller's own stdout (passed to it over the
socket), and reads the user's keys straight from the signaller's stdin:
the data path has this one Python process in it (pty 4.0, DESIGN §1).
It never blocks on a client: every fd is non-blocking, a slow or stopped
reader only holds back itself, and a malformed frame closes that one
connection.  Output is also kept in a :class:`~sessmux.ring.Ring` so a
later connection gets what it missed.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import struct
import time

from sessmux import protocol
from sessmux.names import clip_long_name
from sessmux.ring import Ring
from sessmux.ttyio import get_winsize, reopen_private, set_winsize

READ_SIZE = 65536
CONTROL_LIMIT = 1 << 20  # a tool that reads nothing is dropped past this
INPUT_LIMIT = 1 << 16
EXIT_GRACE = 0.5  # seconds to wait for a pty's last output after the program ends
IN, OUT, ERR = select.POLLIN, select.POLLOUT, select.POLLERR | select.POLLHUP | select.POLLNVAL
_UCRED = struct.Struct("3i")


class Conn:
    """One client socket; after ``attach`` also a data connection."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.decoder = protocol.Decoder()
        self.control = bytearray()  # frames waiting to be sent
        self.fds: list[int] = []  # descriptors received, not yet used
        self.greeted = False
        self.attached = False
        self.in_fd = -1
        self.out_fd = -1
        self.pending = bytearray()  # output not yet written to out_fd
        self.remote = ""
        self.closing = False  # close once ``control`` is flushed

    def send(self, msg: protocol.Message) -> None:
        self.control += protocol.encode(msg)


class Master:
    """The event loop of one session."""

    def __init__(
        self,
        name: str,
        directory: str,
        listener: socket.socket,
        pty_fd: int,
        pid: int,
        gate_fd: int,
        ring_size: int,
        log_fd: int = -1,
    ) -> None:
        self.name = name
        self.path = os.path.join(directory, name)
        self.inode = os.stat(self.path).st_ino  # remove only our own socket at the end
        self.listener = listener
        self.pty_fd = pty_fd
        self.pid = pid
        self.gate_fd = gate_fd  # released on first attach: the program waits for it
        self.ring = Ring(ring_size)
        self.log_fd = log_fd
        self.uid = os.getuid()
        self.conns: dict[int, Conn] = {}
        self.rw: Conn | None = None
        self.sent = 0  # output offset the last read-write connection had received
        self.longname = ""
        self.reco: str | None = None
        self.stopped = False
        self.status: int | None = None  # exit code once the program has ended
        self.exit_deadline = 0.0
        self.pty_open = True
        self.created = time.time()
        self.activity = self.created
        self.disconnected_at: float | None = self.created
        self.inbuf = bytearray()
        self.done = False
        self.poll = select.poll()
        self.registered: dict[int, int] = {}
        self.sig_r, self.sig_w = os.pipe()
        for fd in (self.sig_r, self.sig_w, pty_fd):
            os.set_blocking(fd, False)
        listener.setblocking(False)

    # -- lifecycle ---------------------------------------------------------

    def log(self, text: str) -> None:
        if self.log_fd >= 0:
            stamp = time.strftime("%H:%M:%S")
            os.write(self.log_fd, f"{stamp} master {self.name}: {text}\n".encode())

    def run(self) -> None:
        """Serve until the session ends."""
        signal.set_wakeup_fd(self.sig_w)
        signal.signal(signal.SIGCHLD, lambda s, f: None)
        self.reap()
        while not self.done:
            self.update_polling()
            timeout = -1
            if self.status is not None and self.pty_open:
                timeout = max(0, int((self.exit_deadline - time.monotonic()) * 1000))
            try:
                events = self.poll.poll(timeout)
            except InterruptedError:
                continue
            for fd, ev in events:
                self.dispatch(fd, ev)
            if self.status is not None and self.pty_open and time.monotonic() >= self.exit_deadline:
                self.pty_open = False
            self.maybe_finish()
        self.log("ending")
        self.cleanup()

    def cleanup(self) -> None:
        try:
            if os.stat(self.path).st_ino == self.inode:
                os.unlink(self.path)
        except OSError:
            pass
        if self.status is None:
            # pty 4.0 sesskill: the program gets a HUP as the session ends.
            for sig in (signal.SIGHUP, signal.SIGCONT):
                try:
                    os.killpg(self.pid, sig)
                except OSError:
                    pass
        for conn in list(self.conns.values()):
            self.flush_blocking(conn)
            self.drop(conn)

    def flush_blocking(self, conn: Conn, limit: float = 1.0) -> None:
        """Last words to a client before the master exits, bounded in time."""
        deadline = time.monotonic() + limit
        while conn.control and time.monotonic() < deadline:
            try:
                n = conn.sock.send(conn.control)
                del conn.control[:n]
            except BlockingIOError:
                select.select([], [conn.sock], [], max(0.0, deadline - time.monotonic()))
            except OSError:
                break

    def maybe_finish(self) -> None:
        """End when the program is gone, its output drained and delivered."""
        if self.status is None or self.pty_open or self.done:
            return
        rw = self.rw
        if rw is None:
            return  # pty 4.0: wait, with the last output, for a reconnect
        if rw.pending:
            return
        rw.send({"t": "exited", "code": self.status})
        self.detach(rw, notify=None)
        self.done = True

    # -- polling -----------------------------------------------------------

    def want(self, fd: int, events: int) -> None:
        if fd < 0:
            return
        old = self.registered.get(fd)
        if old == events:
            return
        if events == 0:
            if old is not None:
                self.poll.unregister(fd)
                del self.registered[fd]
            return
        if old is None:
            self.poll.register(fd, events)
        else:
            self.poll.modify(fd, events)
        self.registered[fd] = events

    def forget(self, fd: int) -> None:
        if fd in self.registered:
            self.poll.unregister(fd)
            del self.registered[fd]

    def update_polling(self) -> None:
        rw = self.rw
        live = rw is not None and not self.stopped
        reading_pty = self.pty_open and not (live and rw is not None and rw.pending)
        if self.stopped and rw is not None:
            reading_pty = False
        pty_events = (IN if reading_pty else 0) | (OUT if self.inbuf else 0)
        self.want(self.pty_fd, pty_events if self.pty_open else 0)
        self.want(self.sig_r, IN)
        self.want(self.listener.fileno(), IN)
        for fd, conn in self.conns.items():
            self.want(fd, IN | (OUT if conn.control else 0))
        if rw is not None:
            reading_in = live and len(self.inbuf) < INPUT_LIMIT and self.status is None
            self.want(rw.in_fd, IN if reading_in else 0)
            self.want(rw.out_fd, OUT if rw.pending and live else 0)

    def dispatch(self, fd: int, ev: int) -> None:
        rw = self.rw
        if fd == self.pty_fd:
            if ev & OUT:
                self.write_input()
            if ev & (IN | ERR):
                self.read_output()
        elif fd == self.sig_r:
            try:
                os.read(self.sig_r, 256)
            except BlockingIOError:
                pass
            self.reap()
        elif fd == self.listener.fileno():
            self.accept()
        elif fd in self.conns:
            conn = self.conns[fd]
            if ev & OUT:
                self.write_control(conn)
            if ev & (IN | ERR) and fd in self.conns:
                self.read_control(conn)
        elif rw is not None and fd == rw.in_fd:
            self.read_input(rw)
        elif rw is not None and fd == rw.out_fd:
            self.write_output(rw)

    # -- the data path -----------------------------------------------------

    def read_output(self) -> None:
        try:
            data = os.read(self.pty_fd, READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            # EIO: no process holds the slave any more.
            self.pty_open = False
            return
        self.activity = time.time()
        self.ring.append(data)
        if self.status is not None:
            self.exit_deadline = time.monotonic() + EXIT_GRACE
        rw = self.rw
        if rw is not None and not self.stopped:
            if rw.pending:
                rw.pending += data
            else:
                self.write_to(rw, data)

    def write_to(self, conn: Conn, data: bytes | bytearray) -> None:
        try:
            n = os.write(conn.out_fd, data)
        except BlockingIOError:
            n = 0
        except OSError as e:
            # pty 4.0: an output error (EPIPE, EIO) disconnects.
            self.log(f"output error {e.strerror}; disconnecting")
            self.detach(conn, notify="disconnected")
            return
        if n < len(data):
            conn.pending = bytearray(data[n:])

    def write_output(self, conn: Conn) -> None:
        data, conn.pending = conn.pending, bytearray()
        self.write_to(conn, data)

    def read_input(self, conn: Conn) -> None:
        try:
            data = os.read(conn.in_fd, 4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            # pty 4.0: EOF on a session's input is a disconnect.
            self.detach(conn, notify="disconnected")
            return
        self.inbuf += data
        self.write_input()

    def write_input(self) -> None:
        if not self.inbuf:
            return
        try:
            n = os.write(self.pty_fd, self.inbuf)
        except BlockingIOError:
            return
        except OSError:
            self.inbuf.clear()
            return
        del self.inbuf[:n]

    # -- the program -------------------------------------------------------

    def reap(self) -> None:
        while self.status is None:
            try:
                pid, st = os.waitpid(self.pid, os.WUNTRACED | os.WCONTINUED | os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if os.WIFSTOPPED(st):
                self.stopped = True
                if self.rw is not None:
                    self.rw.send({"t": "stopped", "sig": os.WSTOPSIG(st)})
            elif os.WIFCONTINUED(st):
                self.stopped = False
            else:
                self.status = os.waitstatus_to_exitcode(st)
                if self.status < 0:
                    self.status = 128 - self.status
                self.stopped = False
                self.exit_deadline = time.monotonic() + EXIT_GRACE
                self.log(f"program ended, status {self.status}")

    def continue_program(self) -> None:
        self.stopped = False
        try:
            os.killpg(self.pid, signal.SIGCONT)
        except OSError:
            pass

    def resize(self, rows: int, cols: int, force: bool) -> None:
        if self.status is not None or rows <= 0 or cols <= 0:
            return
        if get_winsize(self.pty_fd) != (rows, cols):
            set_winsize(self.pty_fd, rows, cols)
        elif force:
            # The kernel drops a same-size resize; the program still gets one.
            try:
                os.killpg(os.tcgetpgrp(self.pty_fd), signal.SIGWINCH)
            except OSError:
                pass

    # -- connections -------------------------------------------------------

    def accept(self) -> None:
        try:
            sock, _ = self.listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            self.log(f"accept failed: {e}")
            return
        _, uid, _ = _UCRED.unpack(
            sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size)
        )
        if uid not in (self.uid, 0):
            # Only the owner (and root) may talk to a session.
            self.log(f"refused a connection from uid {uid}")
            try:
                sock.send(protocol.encode({"t": "error", "code": 2, "msg": "permission denied"}))
            except OSError:
                pass
            sock.close()
            return
        sock.setblocking(False)
        self.conns[sock.fileno()] = Conn(sock)

    def read_control(self, conn: Conn) -> None:
        try:
            data, fds, _, _ = socket.recv_fds(conn.sock, 65536, 4)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data, fds = b"", []
        conn.fds.extend(fds)
        if not data:
            self.drop(conn)
            return
        try:
            for msg in conn.decoder.feed(data):
                self.handle(conn, msg)
                if conn.sock.fileno() < 0:
                    return
        except (protocol.ProtocolError, KeyError, TypeError, ValueError) as e:
            self.log(f"closing a connection: {e}")
            self.drop(conn)

    def write_control(self, conn: Conn) -> None:
        try:
            n = conn.sock.send(conn.control)
        except BlockingIOError:
            return
        except OSError:
            self.drop(conn)
            return
        del conn.control[:n]
        if not conn.control and conn.closing:
            self.drop(conn)

    def drop(self, conn: Conn) -> None:
        """Forget a connection; a read-write one becomes a disconnect."""
        if conn is self.rw:
            self.detach(conn, notify=None)
        fd = conn.sock.fileno()
        self.forget(fd)
        self.conns.pop(fd, None)
        for extra in conn.fds:
            os.close(extra)
        conn.fds.clear()
        conn.sock.close()

    def detach(self, conn: Conn, notify: str | None) -> None:
        """End ``conn``'s data connection; tell its signaller why."""
        for fd in {conn.in_fd, conn.out_fd}:
            if fd >= 0:
                self.forget(fd)
                os.close(fd)
        conn.in_fd = conn.out_fd = -1
        if conn is self.rw:
            self.sent = self.ring.end - len(conn.pending)
            self.rw = None
            self.reco = None  # pty 4.0: a disconnect clears the reconnect target
            self.disconnected_at = time.time()
            self.log("disconnected")
        conn.pending.clear()
        conn.attached = False
        if notify:
            conn.send({"t": notify})
        conn.closing = True
        if not conn.control:
            self.drop(conn)

    def handle(self, conn: Conn, msg: protocol.Message) -> None:
        kind = msg["t"]
        if not conn.greeted:
            if kind != "hello" or msg.get("v") != protocol.VERSION:
                conn.send({"t": "error", "code": 11, "msg": "protocol version mismatch"})
                conn.closing = True
                return
            conn.greeted = True
            return
        handler = getattr(self, "on_" + kind, None)
        if handler is None:
            raise protocol.ProtocolError(f"unknown request {kind!r}")
        handler(conn, msg)

    def on_status(self, conn: Conn, msg: protocol.Message) -> None:
        conn.send(self.status_message())

    def status_message(self) -> protocol.Message:
        return {
            "t": "status",
            "name": self.name,
            "longname": self.longname,
            "pid": os.getpid(),
            "slave": self.pid,
            "connected": self.rw is not None,
            "reco": self.reco,
            "created": self.created,
            "activity": self.activity,
            "disconnected_at": None if self.rw else self.disconnected_at,
            "exited": self.status,
            "remote": self.rw.remote if self.rw else "",
        }

    def on_setname(self, conn: Conn, msg: protocol.Message) -> None:
        self.longname = clip_long_name(str(msg["name"]))
        conn.send({"t": "ok"})

    def on_disconnect(self, conn: Conn, msg: protocol.Message) -> None:
        if self.rw is None:
            conn.send({"t": "error", "code": 2, "msg": "already disconnected"})
            return
        self.detach(self.rw, notify="disconnected")
        conn.send({"t": "ok"})

    def on_reco(self, conn: Conn, msg: protocol.Message) -> None:
        target = msg.get("target")
        if self.rw is None:
            conn.send({"t": "error", "code": 2, "msg": "not connected"})
            return
        self.reco = str(target) if target else None
        self.rw.send({"t": "reco", "target": self.reco})
        conn.send({"t": "ok"})

    def on_kill(self, conn: Conn, msg: protocol.Message) -> None:
        self.log("killed by request")
        if self.rw is not None:
            self.rw.send({"t": "killed"})
            self.detach(self.rw, notify=None)
        conn.send({"t": "ok"})
        self.done = True

    def on_winsize(self, conn: Conn, msg: protocol.Message) -> None:
        if conn is self.rw:
            self.resize(int(msg["rows"]), int(msg["cols"]), bool(msg.get("force")))

    def on_cont(self, conn: Conn, msg: protocol.Message) -> None:
        if conn is self.rw:
            self.continue_program()

    def on_attach(self, conn: Conn, msg: protocol.Message) -> None:
        fds, conn.fds = conn.fds[:2], conn.fds[2:]
        if len(fds) != 2:
            for fd in fds:
                os.close(fd)
            raise protocol.ProtocolError("attach without its two descriptors")
        if self.rw is not None:
            if not msg.get("force"):
                for fd in fds:
                    os.close(fd)
                conn.send({"t": "error", "code": 16, "msg": "already connected"})
                return
            old = self.rw
            old.send({"t": "takenover"})
            self.detach(old, notify=None)
        try:
            conn.in_fd = reopen_private(fds[0], write=False)
            conn.out_fd = reopen_private(fds[1], write=True)
        finally:
            for fd in fds:
                os.close(fd)
        conn.attached = True
        conn.remote = str(msg.get("remote", ""))[:256]
        self.rw = conn
        self.disconnected_at = None
        conn.send({"t": "attached", "name": self.name})
        self.log(f"connected from {conn.remote or '(unknown)'}")
        missed = self.ring.since(self.sent)
        conn.pending = bytearray(self.ring.tail() if missed is None else missed)
        if self.gate_fd >= 0:
            os.write(self.gate_fd, b"k")  # pty 4.0: the program starts on first connect
            os.close(self.gate_fd)
            self.gate_fd = -1
        if msg.get("rows") and msg.get("cols"):
            self.resize(int(msg["rows"]), int(msg["cols"]), force=True)
        if self.stopped:
            self.continue_program()  # pty 4.0 continues the program on any reconnect
        if conn.pending:
            self.write_output(conn)

