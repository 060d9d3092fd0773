"""The signaller: the process the user's shell waits on, one per connection.

Does I/O.  It passes its own stdin and stdout to the session's master and
then only steers: it keeps the terminal in raw mode while connected and
gives it back on every exit path (on an abnormal one -- a signal, a fatal
error, a dead master -- with the screen modes turned off too, once the
master has let go of the terminal), forwards window-size changes, mirrors
the program's stops so the shell says "Stopped", holds the deferred
reconnect target, and decides when to exit and with which status
(pty 4.0 ``ptysigler.c``; DESIGN §1 and §5).  It stays a little over 300
lines: attaching, following a reconnect target, mirroring stops and
leaving all steer the one terminal and connection.
"""

from __future__ import annotations

import os
import time

from sessmux.client import channel as client
from sessmux.core import control_protocol
from sessmux.core.errors import (
    COMMS,
    ELSEWHERE,
    NO_SESSION,
    NoSession,
    SessError,
    Signalled,
    by_signal,
)
from sessmux.system import signals, unix
from sessmux.system.ready import ready as fds_ready
from sessmux.system.ttyio import MODES_OFF, TerminalGuard, get_winsize, write_within

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal
    from collections.abc import Mapping
else:  # the signal module's enums cost every command milliseconds (see sessmux.system.unix)
    import _signal as signal

HANGUPS = (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM)
LET_GO = 1.0  # seconds a leaving signaller waits for its master to let go of the terminal


def _notify(env: Mapping[str, str]) -> str | None:
    """Opt-in: OSC 9 or 777 on this terminal when the session needs attention."""
    wanted = env.get("SESSMUX_NOTIFY")
    return wanted if wanted in ("9", "777") else None


def remote_of(env: Mapping[str, str]) -> str:
    """Where this connection comes from, for sesswhere (SSH's own variables)."""
    for var in ("SSH_CONNECTION", "SSH_CLIENT"):
        fields = env.get(var, "").split()
        if len(fields) >= 2:
            return f"{fields[0]} port {fields[1]}"
    return ""


def history_of(env: Mapping[str, str]) -> int:
    """``SESSMUX_HISTORY``: lines of a session's journal a fresh terminal asks for."""
    text = env.get("SESSMUX_HISTORY", "")
    return min(int(text), 1 << 20) if text.isdigit() else 0


class Signaller:
    """One connection's steering process."""

    def __init__(
        self,
        directory: str,
        prog: str = "sess",
        quiet: bool = False,
        detached: bool = False,
        follow: tuple[str, bool] = ("rw", False),
        detach_key: int | None = None,
        tell_takeover: bool = False,
        resume: Mapping[str, object] | None = None,
        env: Mapping[str, str] | None = None,
        stdin: int = 0,
        stdout: int = 1,
        stderr: int = 2,
    ) -> None:
        self.directory = directory
        self.prog = prog
        self.quiet = quiet
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr
        self.env = os.environ if env is None else env
        self.tty_fd = stdin if not detached and os.isatty(stdin) else None
        size_fds = [fd for fd in (stdin, stdout) if os.isatty(fd)]
        self.size_fd = None if detached or not size_fds else size_fds[0]
        self.reco: str | None = None
        self.follow = follow  # how to follow a reconnect target: mode, force
        self.detach_key = detach_key
        self.resume = resume  # a resuming client's hello: the link speaks frames
        # atsr -f: the connection taken over is told even when quiet.
        self.tell_takeover = tell_takeover
        self.reco_mode = follow
        # A master has written to our terminal (not a framed link): an
        # abnormal end must give the screen back too, not only the tty modes.
        self.screen_lent = False

    def say(self, level: str, text: str, always: bool = False) -> None:
        """pty 4.0's messages: ``sess: level: text`` with CRLF (the tty may be raw)."""
        if self.quiet and level != "fatal" and not always:
            return
        try:
            os.write(self.stderr, f"{self.prog}: {level}: {text}\r\n".encode())
        except OSError:
            pass

    def size(self) -> tuple[int, int] | None:
        return get_winsize(self.size_fd) if self.size_fd is not None else None

    def attach(self, name: str, mode: str = "rw", force: bool = False) -> client.Channel:
        """Pass our stdin and stdout to ``name``'s master.

        The master holds the session's output until we say ``go``, so that
        our own message comes before the session's screen.
        """
        channel = client.connect(self.directory, name)
        size = self.size()
        rows, cols = size or (0, 0)
        msg = control_protocol.attach(mode, force, os.isatty(self.stdout), rows, cols,
                                      remote_of(self.env), self.detach_key, resume=self.resume,
                                      notify=_notify(self.env),
                                      history=history_of(self.env))
        try:
            channel.send(msg, [self.stdin, self.stdout])
            reply = channel.receive()
        except SessError:
            channel.close()
            raise SessError("signaller having trouble", COMMS) from None
        if reply["t"] == "attached":
            channel.sock.settimeout(None)
            return channel
        channel.close()
        if reply.get("code") == ELSEWHERE:
            raise SessError("session already connected somewhere else", ELSEWHERE)
        raise SessError("signaller having trouble", COMMS)

    def run(
        self, name: str, first: bool = True, mode: str = "rw", force: bool = False
    ) -> int:
        """Connect to ``name`` and steer until there is nothing to follow."""
        # A hang-up unwinds (the terminal is given back, then we die of it).
        with signals.Unwind(*HANGUPS), signals.SignalFD(signal.SIGWINCH) as sigs, \
                TerminalGuard((self.stdin, self.stdout), self.tty_fd) as guard:
            self.reco_mode = (mode, force)
            try:
                return self._follow(name, first, guard, sigs)
            except BaseException:
                self.give_back()  # before the guard puts the tty modes back
                raise

    def _follow(self, name: str, first: bool, guard: TerminalGuard,
                sigs: signals.SignalFD) -> int:
        while True:
            if not first:
                self.say("info", f"reconnecting to {name}")
            # A watcher's keys go nowhere, so its ^C stays a signal: the way out.
            guard.raw(keep_signals=self.reco_mode[0] == "ro")
            try:
                channel = self.attach(name, *self.reco_mode)
            except NoSession:
                if first:
                    raise SessError(
                        "signaller cannot connect; master may still be running; use sesslist"
                        " to check, then try sesskill or reconnect later",
                        NO_SESSION,
                    ) from None
                raise SessError(
                    f"signaller cannot reconnect to session {name}; does it exist?", NO_SESSION
                ) from None
            if not first:
                self.say("info", f"successfully connected to {name}")
            first = False
            self.screen_lent = self.screen_lent or (
                self.resume is None and os.isatty(self.stdout))
            try:
                try:
                    channel.send(control_protocol.go())
                except SessError:
                    pass  # gone already; what it said before it went is still to read
                code = self._serve(channel, guard, sigs)
            except BaseException:
                self.let_go(channel)
                raise
            finally:
                channel.close()
            if self.reco is None:
                return code
            name, self.reco = self.reco, None

    def _serve(self, channel: client.Channel, guard: TerminalGuard,
               sigs: signals.SignalFD) -> int:
        """Steer one connection; return the exit code it ends with."""
        while True:
            while channel.inbox:
                msg = channel.inbox.pop(0)
                kind = msg["t"]
                if kind == "reco":
                    self.reco = msg.get("target") or None
                    self.reco_mode = (
                    str(msg.get("mode") or self.follow[0]),
                    bool(msg.get("force")) or self.follow[1],
                )
                elif kind == "stopped":
                    self.mirror_stop(int(msg["sig"]), guard, channel)
                elif kind == "exited":
                    return int(msg["code"])
                elif kind == "disconnected":
                    if msg.get("error"):  # the master dropped a resuming client's bad frame
                        raise SessError(f"resume protocol: {msg['error']}", COMMS)
                    return 0
                elif kind == "detached":
                    # Only a detach key (sessmux -e) detaches: always said, as
                    # screen does, so the shell's prompt starts a line of its own.
                    self.say("info", f"detached from session {channel.name}", always=True)
                    return 0
                elif kind == "killed":
                    return by_signal(signal.SIGHUP)
                elif kind == "takenover":
                    self.say("info", f"session {channel.name} was taken over by another connection",
                             always=self.tell_takeover)
                    return 0
            ready, _ = fds_ready([channel.fileno(), sigs.fd])
            if sigs.fd in ready and signal.SIGWINCH in sigs.drain():
                self.send_size(channel, force=False)
            if channel.fileno() in ready and not channel.fill():
                # The master went without a goodbye: it died (or dropped us).
                if self.reco is not None:
                    return 0  # pty 4.0: losing the master counts as a disconnect
                raise SessError(f"signaller lost the master of session {channel.name};"
                                " use sesslist to check", COMMS)

    def let_go(self, channel: client.Channel) -> None:
        """Leaving in the middle: hang up, and wait until the master lets go of our terminal.

        The master drops a connection that hangs up (it closes our
        terminal, then the socket), so the end of the stream means no more
        of the session's output will come after our reset.  A master that
        does not answer within :data:`LET_GO` seconds is not waited for.
        """
        signals.ignore(HANGUPS)  # the first signal decides how we end; leave in peace
        try:
            channel.sock.shutdown(unix.SHUT_WR)
        except OSError:
            return
        deadline = time.monotonic() + LET_GO
        while (left := deadline - time.monotonic()) > 0:
            if not fds_ready([channel.fileno()], [], left)[0]:
                return
            try:
                if not channel.sock.recv(65536):
                    return
            except OSError:
                return

    def give_back(self) -> None:
        """Turn off whatever screen modes the session's program left on (DESIGN §1).

        Only once no master writes to the terminal any more: after
        :meth:`let_go`, after a goodbye, or after the master died.  Not
        while stopped in the background: the terminal is the shell's then.
        """
        signals.ignore(HANGUPS)
        if self.screen_lent and not (self.tty_fd is not None and _in_background(self.tty_fd)):
            write_within(self.stdout, MODES_OFF, LET_GO)
        self.screen_lent = False

    def send_size(self, channel: client.Channel, force: bool) -> None:
        size = self.size()
        if size:
            msg = control_protocol.winsize(size[0], size[1], force)
            try:
                channel.send(msg)
            except SessError:
                pass

    def mirror_stop(self, sig: int, guard: TerminalGuard, channel: client.Channel) -> None:
        """The program stopped: stop ourselves the same way, then continue it."""
        if self.tty_fd is None:
            return  # pty 4.0 -J: without a terminal the stop is not mirrored
        guard.restore()
        signals.take_default(sig)
        # Continued in the background: stop again until brought to the front.
        while _in_background(self.tty_fd):
            signals.take_default(signal.SIGTTOU)
        guard.raw()
        try:
            channel.send(control_protocol.cont())
        except SessError:
            return
        self.send_size(channel, force=False)


def _in_background(fd: int) -> bool:
    try:
        return os.tcgetpgrp(fd) != os.getpgrp()
    except OSError:
        return False


def steer(signaller: Signaller, name: str, first: bool, mode: str = "rw",
          force: bool = False) -> int:
    """Run ``signaller``; its failures are said its way, a hang-up kills us the same way."""
    try:
        return signaller.run(name, first=first, mode=mode, force=force)
    except Signalled as h:
        # pty 4.0: the terminal is given back, then we die of the same signal.
        signals.take_default(h.sig)
        raise SessError(f"killed by signal {h.sig}", by_signal(h.sig)) from None
    except SessError as e:
        signaller.say(e.level, e.message)
        e.level = "silent"
        raise
