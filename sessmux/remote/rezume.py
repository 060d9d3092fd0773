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
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from sessmux.core import resume_protocol
from sessmux.core.errors import LEFT, RESUME, SSH_FAILED, Quit
from sessmux.core.ring import Ring
from sessmux.remote import outage
from sessmux.system.ttyio import TerminalGuard, get_winsize

HELP = b"""\r
Supported escape sequences (after Enter):\r
 ~.   quit (the session goes on running on the host)\r
 ~^Z  suspend rezume\r
 ~?   this help\r
 ~~   send one ~\r
"""


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


class Link:
    """One ssh process and the frames on its pipes."""

    def __init__(self, argv: Sequence[str]) -> None:
        self.proc = subprocess.Popen(
            list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True,  # ssh must not read our terminal
        )
        assert self.proc.stdin and self.proc.stdout and self.proc.stderr
        self.wfd, self.rfd, self.efd = (self.proc.stdin.fileno(), self.proc.stdout.fileno(),
                                        self.proc.stderr.fileno())
        self.decoder = resume_protocol.Decoder()
        self.started = self.contact = time.monotonic()
        self.hello: dict[str, object] | None = None
        self.errors = b""
        self.out = bytearray()
        self.eof = False  # ssh closed its output
        os.set_blocking(self.wfd, False)

    def send(self, frame: bytes) -> None:
        self.out += frame
        self.flush()

    def flush(self) -> None:
        try:
            while self.out:
                n = os.write(self.wfd, self.out)
                del self.out[:n]
        except BlockingIOError:
            pass
        except OSError:
            self.out.clear()

    def close(self) -> int | None:
        if self.eof:
            # ssh closed its output: it is exiting with the remote status.  A
            # SIGTERM now would turn that status into ssh's own 255.
            try:
                self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if self.proc.poll() is not None:
                break
            try:
                self.proc.send_signal(sig)
                self.proc.wait(timeout=1)
            except (OSError, subprocess.TimeoutExpired):
                pass
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                if f:
                    f.close()
            except OSError:
                pass
        return self.proc.returncode


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
        self.shown = ""  # the outage display up: "overlay", "line" (or nothing)
        self.screens = outage.Screens()  # which screen the session is on
        self.tail = b""  # output cut inside a sequence: written with what follows
        self.repaint_at: int | None = None  # after the replay: the status line's screen
        self.acked = 0  # output acknowledged to the host
        self.retry_now = False
        self.escape = "start"  # ssh-like escapes: after Enter, "~" is special
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        self.tty = os.isatty(stdin)
        # For REZUME_STATS: resyncs, output bytes replayed, longest time without contact.
        self.resyncs = self.replayed = 0
        self.longest = 0.0
        self.lost_contact: float | None = None

    # -- the terminal ------------------------------------------------------

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.stdout, view)
            except BlockingIOError:
                select.select([], [self.stdout], [])
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

    def size(self) -> tuple[int, int]:
        return get_winsize(self.stdin) or get_winsize(self.stdout) or (24, 80)

    # -- keys ----------------------------------------------------------------

    def keys_typed(self, data: bytes, guard: TerminalGuard, link: Link | None) -> None:
        """Escapes first (Enter ~ .), then the keys go to the buffer and the link."""
        out = bytearray()
        for byte in data:
            ch = bytes([byte])
            if self.escape == "tilde":
                self.escape = "text"
                if ch == b".":
                    raise Quit(LEFT, "connection closed by the user (~.)", "info")
                if ch == b"\x1a":
                    self.suspend(guard, link)
                    continue
                if ch == b"?":
                    self.write(HELP)
                    continue
                if ch != b"~":
                    out += b"~"
                out += ch
                continue
            if ch == b"~" and self.escape == "start":
                self.escape = "tilde"
                continue
            if self.s.manual and self.outage is not None and ch in b"\r\n":
                self.escape = "start"
                self.retry_now = True  # --manual: Enter reconnects
                continue
            self.escape = "start" if ch in b"\r\n" else "text"
            out += ch
        if out:
            offset = self.keys.end
            self.keys.append(bytes(out))
            if link is not None and link.hello is not None:
                link.send(resume_protocol.encode_data(offset, bytes(out)))

    def suspend(self, guard: TerminalGuard, link: Link | None) -> None:
        if self.shown == "overlay":
            self.unshow()  # the shell gets the main screen; the next status puts it back
        guard.restore()
        os.kill(os.getpid(), signal.SIGTSTP)
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
            self.show_output(self.inbox.accept(frame.offset, frame.data))
            self.replayed_to(link)
        elif frame.kind == resume_protocol.REPAINT:
            if frame.offset != self.inbox.received:
                self.tail = b""  # output was skipped: its cut sequence ends nowhere
            self.inbox.received = frame.offset
            self.write(frame.data)
            self.screens.feed(frame.data)
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
        if self.shown == "line" and not hello.get("behind"):
            # Our line covered part of a full-screen program's screen: once the
            # replay is in, that screen is repainted if the session is still on it.
            self.repaint_at = end if isinstance(end, int) else self.inbox.received
        self.unshow()
        self.outage = None
        self.attempts = 0
        self.replayed_to(link)

    def replayed_to(self, link: Link) -> None:
        """After the replay: the repaint our bottom line needs, if its screen is still up."""
        if self.repaint_at is not None and self.inbox.received >= self.repaint_at:
            self.repaint_at = None
            if self.screens.alternate:
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
        """Connect, relay, reconnect; return the remote program's exit status."""
        old = signal.signal(signal.SIGWINCH, lambda sig, frame: None)
        old_wakeup = signal.set_wakeup_fd(self.wake_w)
        try:
            with TerminalGuard((self.stdin, self.stdout), self.stdin if self.tty else None) as g:
                g.raw()
                try:
                    return self.loop(g)
                finally:
                    self.unshow()
                    if self.tail:
                        self.write(self.tail)  # the session's last bytes, whole or not
        finally:
            signal.set_wakeup_fd(old_wakeup)
            signal.signal(signal.SIGWINCH, old)

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
        ready, _, _ = select.select([self.stdin, self.wake_r], [], [], timeout)
        if self.wake_r in ready:
            os.read(self.wake_r, 64)
        if self.stdin in ready:
            data = os.read(self.stdin, 4096)
            if data:
                self.keys_typed(data, guard, None)

    def show_outage(self, how: str) -> None:
        """The status line of an outage: how long, which attempt, what now."""
        assert self.outage is not None
        lost = time.monotonic() - (self.lost_contact or self.outage)  # since the last word
        hint = outage.printable((self.last_error.splitlines() or [""])[-1][:60])
        self.status([f"rezume: no contact with {self.s.host}",
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
            watch = [link.rfd, link.efd, self.wake_r, self.stdin]
            wait = max(0.0, min(next_ping, link.contact + dead_after) - now)
            writers = [link.wfd] if link.out else []
            ready, writable, _ = select.select(watch, writers, [], min(wait, 1.0))
            if writable:
                link.flush()
            if self.wake_r in ready:
                sigs = os.read(self.wake_r, 64)
                if signal.SIGWINCH in sigs and link.hello is not None:
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
