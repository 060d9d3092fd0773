"""One connection from sessview to a session's master, feeding a screen model.

Does I/O on Unix sockets, driven by the caller's event loop (urwid's
``watch_file`` and alarms); nothing here ever waits on a master.  A
connection is a socketpair: the master gets one end as both the session
input and output of an ``attach`` (SCM_RIGHTS, as a signaller passes its
terminal), we keep the other end and feed what arrives -- the repaint,
then live output -- into a :class:`~sessmux.core.screen.ScreenModel`.

A watcher (``writer=False``) is sized like the session, because the
master paints it at the session's size; a read-write connection makes
the session its own size (the attach carries it, and the master resizes
before it repaints), sends keys, and answers the program's terminal
queries as a real terminal would.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import Any, Protocol

from sessmux.client.signaller import remote_of
from sessmux.core import control_protocol
from sessmux.core.errors import ELSEWHERE
from sessmux.core.screen import ScreenModel
from sessmux.system import unix
from sessmux.system.paths import socket_path

READ_SIZE = 16384  # per wake-up: about 15 ms of pyte, so the view stays responsive
ATTACH_TIMEOUT = 5.0
RETRY = 0.05
OUT_LIMIT = 1 << 16
ENDINGS = {"takenover": "taken over by another connection", "disconnected": "disconnected",
           "killed": "killed", "detached": "detached"}


class Loop(Protocol):
    """The part of urwid's ``MainLoop`` a connection uses."""

    def watch_file(self, fd: int, callback: Callable[[], Any]) -> Any: ...
    def remove_watch_file(self, handle: Any) -> bool: ...
    def set_alarm_in(self, sec: float, callback: Callable[[Any, Any], Any]) -> Any: ...
    def remove_alarm(self, handle: Any) -> bool: ...


class Watch:
    """A watcher or the read-write connection of one session."""

    def __init__(self, loop: Loop, directory: str, name: str, writer: bool,
                 size: tuple[int, int], changed: Callable[[Watch], None]) -> None:
        self.loop = loop
        self.directory = directory
        self.name = name
        self.writer = writer
        self.changed = changed
        self.model = ScreenModel(size[0], size[1], replies=self._reply)
        self.state = "connecting"
        self.reason = ""  # why it ended, for the view
        self.exit_status: int | None = None
        self.ctl: socket.socket | None = None
        self.data: socket.socket | None = None
        self.decoder = control_protocol.Decoder()
        self.out = bytearray()  # keys not yet taken by the socket
        self.ctl_out = bytearray()
        self.handles: list[Any] = []
        self.alarms: dict[str, Any] = {}  # "timeout", "retry"

    # -- lifecycle -----------------------------------------------------------

    def start(self, force: bool = False) -> None:
        """Connect and ask to attach; the answer comes through the event loop."""
        ctl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ctl.setblocking(False)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        rows, cols = self.model.size
        msg = control_protocol.attach("rw" if self.writer else "ro", force, True, rows, cols,
                                      remote_of(os.environ))
        try:
            ctl.connect(socket_path(self.directory, self.name))
            if not unix.trusted_peer(ctl):  # another user's socket: send it nothing
                raise PermissionError("the session's socket is another user's")
            frames = control_protocol.encode(control_protocol.hello()) + control_protocol.encode(
                msg
            )
            socket.send_fds(ctl, [frames], [theirs.fileno(), theirs.fileno()])
        except OSError:
            ctl.close()
            ours.close()
            self._end("no such session" if not self._exists() else "not responding")
            return
        finally:
            theirs.close()
        ours.setblocking(False)
        self.ctl, self.data = ctl, ours
        self.handles = [self.loop.watch_file(ctl.fileno(), self._on_control),
                        self.loop.watch_file(ours.fileno(), self._on_data)]
        self.alarms["timeout"] = self.loop.set_alarm_in(ATTACH_TIMEOUT, self._timeout)

    def _exists(self) -> bool:
        return os.path.exists(socket_path(self.directory, self.name))

    def close(self) -> None:
        """Hang up (a read-write connection leaves its session disconnected)."""
        for handle in self.handles:
            self.loop.remove_watch_file(handle)
        for alarm in self.alarms.values():
            self.loop.remove_alarm(alarm)
        self.handles, self.alarms = [], {}
        for sock in (self.ctl, self.data):
            if sock is not None:
                sock.close()
        self.ctl = self.data = None

    def _end(self, reason: str) -> None:
        if self.state == "ended":
            return
        self.close()
        self.state, self.reason = "ended", reason
        self.changed(self)

    def _timeout(self, loop: Any = None, data: Any = None) -> None:
        self.alarms.pop("timeout", None)
        if self.state == "connecting":
            self._end("not responding")

    # -- from the master -----------------------------------------------------

    def _on_control(self) -> None:
        if self.ctl is None:
            return
        try:
            data = self.ctl.recv(65536)
            msgs = self.decoder.feed(data) if data else None
        except BlockingIOError:
            return
        except (OSError, control_protocol.ProtocolError):
            msgs = None
        if msgs is None:
            self._end("session ended" if self.exit_status is None
                      else f"session ended, status {self.exit_status}")
            return
        for msg in msgs:
            kind = msg.get("t")
            if kind == "attached" and self.state == "connecting":
                self.state = "live"
                self._send_control(control_protocol.go())
                self.changed(self)
            elif kind == "error":
                code = msg.get("code")
                self._end("connected somewhere else" if code == ELSEWHERE else str(msg.get("msg")))
            elif kind == "exited":
                self.exit_status = int(msg.get("code", 0))
            elif kind in ENDINGS:
                self._end(ENDINGS[str(kind)])

    def _on_data(self) -> None:
        if self.data is None:
            return
        try:
            data = self.data.recv(READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            # The master closed our data connection; the control message says why.
            if self.handles:
                self.loop.remove_watch_file(self.handles.pop())
            return
        self.model.feed(data)
        self.changed(self)

    # -- to the master -------------------------------------------------------

    def _reply(self, data: bytes) -> None:
        """The program asked its terminal something (``ESC [6n``): we are that terminal."""
        if self.writer:
            self.send(data)

    def send(self, data: bytes) -> None:
        """Keys for the session (a watcher's are dropped by the master anyway)."""
        if self.data is None or not self.writer or len(self.out) > OUT_LIMIT:
            return  # a master that takes no keys: drop them, as a full pty would
        self.out += data
        self._flush()

    def _send_control(self, msg: control_protocol.Message) -> None:
        self.ctl_out += control_protocol.encode(msg)
        self._flush()

    def _flush(self, loop: Any = None, data: Any = None) -> None:
        if loop is not None:
            self.alarms.pop("retry", None)  # this is the retry
        for sock, buf in ((self.data, self.out), (self.ctl, self.ctl_out)):
            if sock is None or not buf:
                continue
            try:
                sent = sock.send(buf)
            except BlockingIOError:
                sent = 0
            except OSError:
                buf.clear()
                continue
            del buf[:sent]
        if (self.out or self.ctl_out) and "retry" not in self.alarms and self.ctl is not None:
            # A master that is not reading: try again shortly, never wait for it.
            self.alarms["retry"] = self.loop.set_alarm_in(RETRY, self._flush)
