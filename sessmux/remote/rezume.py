"""The rezume client: a terminal session over ssh that survives network drops.

Does I/O: it runs the real OpenSSH client to start ``sessmux -s`` on the
host, relays the user's keys and the session's output in resume frames
(:mod:`sessmux.core.resume_protocol`), watches the link with its own keepalives, and
when the link dies starts ssh again and resynchronises byte-exactly: the
server resends the output we missed, we resend the keys it missed (typed
during the outage too, up to the key buffer).  The terminal is raw while
we run and given back on every exit path.

While the link is down the user sees so (:mod:`sessmux.remote.outage`) without
anything of the session's output being touched: when contact returns the
replay lands on the screen the session left, and no byte is shown twice.
Output is acknowledged as it arrives, so the host keeps what we have not
got and holds the program, rather than drop it, while we are away.

Here is the client's state that outlives each ssh process, and its
loops; one ssh process is a :mod:`~sessmux.remote.link`, the terminal
a :mod:`~sessmux.remote.display`, the keys' escapes
:mod:`~sessmux.remote.escapes`.  It stays over 300 lines: relaying,
resynchronising and reconnecting share the outage, the key buffer and
what was acknowledged, and apart they would pass all of it back and forth.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field

from sessmux.core import resume_protocol
from sessmux.core.errors import LEFT, RESUME, SSH_FAILED, Quit, Signalled, by_signal
from sessmux.core.ring import Ring
from sessmux.remote import escapes, outage
from sessmux.remote.display import Display
from sessmux.remote.link import Link
from sessmux.system import signals
from sessmux.system.ready import ready as fds_ready
from sessmux.system.ttyio import TerminalGuard, get_winsize

HANGUPS = (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM)  # they end rezume


@dataclass
class Settings:
    ssh: list[str]  # the ssh command line up to and including the host
    remote: list[str]  # the command run on the host (sessmux -s ...)
    session: str
    token: str
    buffer: int = 512 * 1024
    interval: float = 5.0  # keepalive interval, seconds
    count: int = 3  # keepalives missed before the link counts as dead
    give_up: float = 0.0  # seconds of outage before giving up (0: never)
    hold: float | None = None  # seconds the host may hold the program for us (None: its own)
    manual: bool = False  # reconnect on a key press only
    host: str = ""
    extra: dict[str, object] = field(default_factory=dict)




class Client:
    """The state that outlives each ssh process."""

    def __init__(self, settings: Settings, stdin: int = 0, stdout: int = 1) -> None:
        self.s = settings
        self.stdin, self.stdout = stdin, stdout
        self.keys = Ring(settings.buffer)  # keys sent, until the server has them
        self.inbox = resume_protocol.Inbox()  # the session's output, by offset
        self.fresh = True  # first contact: the server repaints rather than replays
        self.outage: float | None = None
        self.attempts = 0
        self.term = Display(stdout)  # the session's output, and the outage display
        self.repaint_at: int | None = None  # after the replay: the status line's screen
        self.acked = 0  # output acknowledged to the host
        self.retry_now = False
        self.escapes = escapes.Escapes()  # ssh-like: after Enter, "~" is special
        self.sigs: signals.SignalFD | None = None  # while running: window changes
        self.tty = os.isatty(stdin)
        # For REZUME_STATS: resyncs, output bytes replayed, longest time without contact.
        self.resyncs = self.replayed = 0
        self.longest = 0.0
        self.lost_contact: float | None = None

    # -- the terminal ------------------------------------------------------

    def size(self) -> tuple[int, int]:
        return get_winsize(self.stdin) or get_winsize(self.stdout) or (24, 80)

    # -- keys ----------------------------------------------------------------

    def keys_typed(self, data: bytes, guard: TerminalGuard, link: Link | None) -> None:
        """Escapes first (Enter ~ .), then the keys go to the buffer and the link."""
        out = bytearray()
        retries = self.s.manual and self.outage is not None  # --manual: Enter reconnects
        for part in self.escapes.feed(data, enter_retries=retries):
            if part == escapes.QUIT:
                raise Quit(LEFT, "connection closed by the user (~.)", "info")
            if part == escapes.SUSPEND:
                self.suspend(guard, link)
            elif part == escapes.SHOW_HELP:
                self.term.write(escapes.HELP)
            elif part == escapes.RETRY:
                self.retry_now = True
            elif isinstance(part, bytes):
                out += part
        if out:
            offset = self.keys.end
            self.keys.append(bytes(out))
            if link is not None and link.hello is not None:
                link.send(resume_protocol.encode_data(offset, bytes(out)))

    def suspend(self, guard: TerminalGuard, link: Link | None) -> None:
        if self.term.shown == "overlay":
            self.term.unshow()  # the shell gets the main screen; the next status puts it back
        guard.restore()
        signals.take_default(signal.SIGTSTP)
        guard.raw()
        if link is not None and link.hello is not None:
            link.send(resume_protocol.encode_winsize(*self.size()))

    # -- one ssh connection --------------------------------------------------

    def connect(self) -> Link:
        link = Link([*self.s.ssh, *self.s.remote])
        rows, cols = self.size()
        hold = {} if self.s.hold is None else {"hold": self.s.hold}
        link.send(resume_protocol.encode_hello(id=self.s.session, token=self.s.token,
                                      recv=self.inbox.received, fresh=self.fresh,
                                      rows=rows, cols=cols, acks=True, **hold))
        return link

    def on_frame(self, link: Link, frame: resume_protocol.Frame) -> int | None:
        """Act on one frame; return the exit status once the session has ended."""
        if frame.kind == resume_protocol.HELLO:
            hello = resume_protocol.read_hello(frame)
            link.hello = hello
            self.fresh = False
            self.resync(link, hello)
        elif frame.kind == resume_protocol.DATA:
            self.term.show_output(self.inbox.accept(frame.offset, frame.data))
            self.replayed_to(link)
        elif frame.kind == resume_protocol.REPAINT:
            if frame.offset != self.inbox.received:
                self.term.tail = b""  # output was skipped: its cut sequence ends nowhere
            self.inbox.received = frame.offset
            self.term.write(frame.data)
            self.term.screens.feed(frame.data)
            self.repaint_at = None
        elif frame.kind == resume_protocol.EXIT:
            return resume_protocol.exit_status(frame)
        elif frame.kind == resume_protocol.ERROR:
            raise Quit(RESUME, "the host says: " + frame.payload.decode("utf-8", "replace"))
        return None

    def resync(self, link: Link, hello: dict[str, object]) -> None:
        """Send the keys the server lacks; take the outage display down before the replay."""
        have = hello.get("recv", 0)
        assert isinstance(have, int)
        missing = self.keys.since(have)
        if missing is None:
            # More was typed than the key buffer holds: say so, and go on
            # numbering from what the host has (never a silent splice).
            self.note = "some keys typed during the outage were lost (the key buffer was full)"
            self.keys = Ring(self.keys.capacity)
            self.keys.end = have
        elif missing:
            link.send(resume_protocol.encode_data(have, missing))
        end, offset = hello.get("end"), hello.get("offset")
        if self.lost_contact is not None and isinstance(end, int) and isinstance(offset, int):
            self.resyncs += 1
            self.replayed += max(0, end - offset)
            self.longest = max(self.longest, time.monotonic() - self.lost_contact)
            self.lost_contact = None
        if hello.get("behind"):
            self.note = "the outage was longer than the host's buffer: some output was skipped"
        link.send(resume_protocol.encode_winsize(*self.size()))
        if self.term.shown == "line" and not hello.get("behind"):
            # Our line covered part of a full-screen program's screen: once the
            # replay is in, that screen is repainted if the session is still on it.
            self.repaint_at = end if isinstance(end, int) else self.inbox.received
        self.term.unshow()
        self.outage = None
        self.attempts = 0
        self.replayed_to(link)

    def replayed_to(self, link: Link) -> None:
        """After the replay: the repaint our bottom line needs, if its screen is still up."""
        if self.repaint_at is not None and self.inbox.received >= self.repaint_at:
            self.repaint_at = None
            if self.term.screens.alternate:
                link.send(resume_protocol.encode_repaint(0, b"bottom"))  # only what it covered

    def acknowledge(self, link: Link) -> None:
        """Tell the host what arrived: it may let that go, and the program on."""
        if self.inbox.received > self.acked and link.hello is not None:
            self.acked = self.inbox.received
            link.send(resume_protocol.encode_ack(self.acked))

    note = ""

    def stats(self) -> str:
        return (f"{self.resyncs} resyncs, {self.replayed} bytes replayed, "
                f"longest outage {self.longest:.2f} s")

    # -- the whole run -------------------------------------------------------

    def run(self) -> int:
        """Connect, relay, reconnect; return the remote program's exit status.

        A hang-up or termination unwinds: ssh is ended and the terminal
        given back, then we die of the same signal (as the signaller does).
        """
        try:
            with signals.Unwind(*HANGUPS), signals.SignalFD(signal.SIGWINCH) as self.sigs, \
                    TerminalGuard((self.stdin, self.stdout), self.stdin if self.tty else None) as g:
                g.raw()
                try:
                    return self.loop(g)
                finally:
                    self.term.unshow()
                    if self.term.tail:
                        self.term.write(self.term.tail)  # the session's last bytes, whole or not
        except Signalled as s:
            signals.take_default(s.sig)
            raise Quit(by_signal(s.sig), f"killed by signal {s.sig}") from None

    def loop(self, guard: TerminalGuard) -> int:
        link: Link | None = None
        next_try = time.monotonic()
        fast_failures = 0
        try:
            while True:
                now = time.monotonic()
                if link is None and self.may_try(now, next_try):
                    self.attempts += 1
                    link = self.connect()
                if link is not None:
                    code = self.serve(link, guard)
                    if code is not None:
                        return code
                    greeted = link.hello is not None
                    rc = link.close()
                    why = link.errors.decode("utf-8", "replace").strip().splitlines()
                    if link.hello is None and rc is not None and rc >= 0 and (
                            rc != SSH_FAILED or self.fresh):
                        # The host ran the command and it refused, or the very first
                        # ssh failed (a wrong name, a refused key): nothing to retry.
                        raise Quit(rc, why[-1] if why else f"ssh exited with status {rc}")
                    self.last_error = link.errors.decode("utf-8", "replace").strip()
                    if self.outage is None:
                        self.outage = time.monotonic()
                        self.lost_contact = link.contact
                    link = None
                    # A link that resynchronised was no failure, however short (a flaky
                    # network cut it): only attempts that never got the host's hello
                    # count as fast failures (each costs a whole ssh handshake anyway).
                    fast_failures = 0 if greeted else fast_failures + 1
                    # autossh: retry at once, then back off after repeated fast failures.
                    delay = 0.0 if fast_failures <= 1 else min(30.0, 2.0 ** (fast_failures - 2))
                    next_try = time.monotonic() + delay
                self.wait_outage(guard, next_try)
        finally:
            if link is not None:
                link.close()

    last_error = ""

    def may_try(self, now: float, next_try: float) -> bool:
        if self.outage is None:
            return True
        if self.s.give_up and now - self.outage > self.s.give_up:
            raise Quit(LEFT, f"gave up after {self.s.give_up:g} s without the host")
        if self.s.manual:
            asked, self.retry_now = self.retry_now, False
            return asked
        return now >= next_try

    def wait_outage(self, guard: TerminalGuard, until: float) -> None:
        """Between attempts: keep reading keys (buffered), keep the status line fresh."""
        how = "press Enter to reconnect" if self.s.manual else "reconnecting"
        self.show_outage(how)
        # --manual waits for Enter, not for the retry time (which has passed):
        # without this the status line was redrawn in a busy loop.
        timeout = 1.0 if self.s.manual else max(0.0, min(1.0, until - time.monotonic()))
        assert self.sigs is not None
        ready, _ = fds_ready([self.stdin, self.sigs.fd], [], timeout)
        if self.sigs.fd in ready:
            self.sigs.drain()  # the size is sent when contact returns
        if self.stdin in ready:
            data = os.read(self.stdin, 4096)
            if data:
                self.keys_typed(data, guard, None)

    def show_outage(self, how: str) -> None:
        """The status line of an outage: how long, which attempt, what now."""
        assert self.outage is not None
        lost = time.monotonic() - (self.lost_contact or self.outage)  # since the last word
        hint = outage.printable((self.last_error.splitlines() or [""])[-1][:60])
        self.term.status([f"rezume: no contact with {self.s.host}",
                     f"for {int(lost)}s, attempt {max(1, self.attempts)}, {how};",
                     "Enter ~ . quits; keys typed now are sent when contact returns.",
                     *([f"({hint})"] if hint else [])])

    def serve(self, link: Link, guard: TerminalGuard) -> int | None:
        """Relay until the session ends (its status) or the link dies (None)."""
        dead_after = self.s.interval * self.s.count
        next_ping = time.monotonic() + self.s.interval
        next_status = 0.0
        while True:
            now = time.monotonic()
            if now - link.contact > dead_after + (0 if link.hello else 10):
                return None  # no sign of life: the link is dead
            if link.hello is None and self.outage is not None and now >= next_status:
                # A connection attempt into a dead network can take a while: the
                # status line goes on counting (the select wakes once a second).
                self.show_outage("connecting")
                next_status = now + 1.0
            if link.hello is not None and now >= next_ping:
                link.send(resume_protocol.encode_ping(int(now * 1000)))
                next_ping = now + self.s.interval
            assert self.sigs is not None
            watch = [link.rfd, link.efd, self.sigs.fd, self.stdin]
            wait = max(0.0, min(next_ping, link.contact + dead_after) - now)
            writers = [link.wfd] if link.out else []
            ready, writable = fds_ready(watch, writers, min(wait, 1.0))
            if writable:
                link.flush()
            if (self.sigs.fd in ready and signal.SIGWINCH in self.sigs.drain()
                    and link.hello is not None):
                link.send(resume_protocol.encode_winsize(*self.size()))
            if link.efd in ready:
                chunk = os.read(link.efd, 4096)
                link.errors = (link.errors + chunk)[-4096:]
            if self.stdin in ready:
                data = os.read(self.stdin, 4096)
                if data:
                    self.keys_typed(data, guard, link)
            if link.rfd in ready:
                data = os.read(link.rfd, 1 << 16)
                if not data:
                    link.eof = True
                    return None
                link.contact = time.monotonic()
                try:
                    for frame in link.decoder.feed(data):
                        code = self.on_frame(link, frame)
                        if code is not None:
                            return code
                    self.acknowledge(link)
                except resume_protocol.ResumeError as e:
                    link.send(resume_protocol.encode_error(str(e)))
                    raise Quit(RESUME, f"protocol error: {e}") from None
