"""The master's picture of a session's screen, kept off the output path.

No I/O.  A :class:`View` holds a screen model fed *lazily* from the replay
ring: the master feeds it a little at a time when it is idle, and catches
it up when a terminal attaches, so pyte (about 1 MB/s) never bounds the
session's throughput (DESIGN §4).  If output left the ring before the
model saw it, the model skips ahead to what is still there; the tolerant
parser copes with starting in the middle of a sequence.

Whatever the program prints, the model never holds the master for long:
it is fed in slices with an eye on the clock (an idle step, a catch-up
for an attach), skips to the newest output when it cannot keep up, and a
failure inside it costs only the model, which is rebuilt and logged.

It also keeps the lines that scrolled off the top of the main screen,
each tagged with the output offset at which it left, so that a terminal
coming back gets exactly the lines it missed in its own scrollback.

Terminal queries (``ESC [ c``, ``ESC [ 6 n``) in output that a terminal
was shown as it came were answered by that terminal; :class:`Answered`
remembers that output, and the model stays silent over it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from sessmux.core.ring import Ring

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from sessmux.core.screen import ScreenModel

SCROLLBACK_LINES = 5000
STEP = 16384  # bytes fed per idle step: ~15 ms of pyte
STEP_TIME = 0.02  # ... but never much longer than this (seconds)
SLICE = 256  # bytes fed between looks at the clock
# At most this much unseen output is fed to the model: with a large replay
# buffer (-b 32m) feeding it all would hold the master for many seconds
# (pyte: ~1 MB/s) when a client attaches; older output has left the screen.
FEED_LIMIT = 1 << 20
# An attach waits at most about this long for the model (seconds) ...
CATCH_UP_TIME = 0.1
# ... after which only the newest output is modelled, this much of it: a
# flood's (or a hostile stream's) last screenfuls.  That takes a few ms for
# ordinary output; TAIL_TIME bounds output built to be slow.
TAIL = 16384
TAIL_TIME = 0.2
# Even that too slow: the last LAST bytes, whatever their cost (at worst
# ~0.1 s on a 24x80 screen, for output that rewrites the screen every 3 bytes).
LAST = 2048


class Answered:
    """Output offsets a terminal was shown live: it answered their queries itself.

    >>> a = Answered()
    >>> a.add(10, 20); a.add(20, 30); a.add(40, 50)
    >>> a.split(0, 100), a.split(15, 100), a.split(30, 45)
    ((False, 10), (True, 30), (False, 40))
    >>> a.cut(45); a.split(45, 100)
    (False, 100)
    """

    def __init__(self) -> None:
        self.spans: deque[tuple[int, int]] = deque(maxlen=1024)

    def add(self, start: int, end: int) -> None:
        if self.spans and self.spans[-1][1] == start:
            start = self.spans.pop()[0]
        self.spans.append((start, end))

    def cut(self, offset: int) -> None:
        """Output after ``offset`` never reached the terminal (it detached first)."""
        while self.spans and self.spans[-1][0] >= offset:
            self.spans.pop()
        if self.spans and self.spans[-1][1] > offset:
            self.spans.append((self.spans.pop()[0], offset))

    def split(self, start: int, end: int) -> tuple[bool, int]:
        """Whether output at ``start`` was answered, and up to where (< ``end``) that holds."""
        for a, b in self.spans:
            if start < a:
                return False, min(a, end)
            if start < b:
                return True, min(b, end)
        return False, end


class View:
    """A lazily fed screen model with captured scrollback."""

    def __init__(self, rows: int, cols: int, replies: Callable[[bytes], None],
                 answered: Answered | None = None,
                 log: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.replies = replies
        self.answered = answered or Answered()
        self.log = log or (lambda text: None)
        self.clock = clock
        self.fed = 0  # ring offset the model has consumed up to
        self.origin = 0  # where the model last began (blank) or skipped to: no lines from before
        self.lines: deque[tuple[int, bytes]] = deque(maxlen=SCROLLBACK_LINES)
        self._quiet = False  # the output being fed now was answered by a terminal
        self.model = self._new_model(rows, cols)

    def _new_model(self, rows: int, cols: int) -> ScreenModel:
        # pyte is imported here, in the master, never by the small tools.
        from sessmux.core.screen import ScreenModel

        return ScreenModel(rows, cols, self._reply, self._scrolled)

    def _reply(self, data: bytes) -> None:
        if not self._quiet:
            self.replies(data)

    def _scrolled(self, row: Any) -> None:
        from sessmux.core.render import render_line

        self.lines.append((self.fed, render_line(row, self.model.cols)))

    def behind(self, ring: Ring) -> int:
        """Bytes of output the model has not seen yet."""
        return ring.end - self.fed

    def step(self, ring: Ring, budget: int = STEP, seconds: float = STEP_TIME) -> None:
        """Feed at most ``budget`` bytes for about ``seconds`` (the master calls this when idle)."""
        if self.fed < max(ring.start, ring.end - FEED_LIMIT):
            # Gone from the ring, or too far back to be worth pyte's time: skip ahead.
            self.fed = self.origin = max(ring.start, ring.end - FEED_LIMIT)
        data = ring.since(self.fed, budget)
        if not data:
            return
        deadline = self.clock() + seconds
        at = 0
        while at < len(data):
            quiet, stop = self.answered.split(self.fed, self.fed + min(SLICE, len(data) - at))
            piece = data[at : at + stop - self.fed]
            at += len(piece)
            # Lines scrolled by this piece are tagged with its end offset.
            self.fed = stop
            self._feed(piece, quiet, ring)
            if self.clock() >= deadline:
                return

    def _feed(self, data: bytes, quiet: bool, ring: Ring) -> None:
        self._quiet = quiet
        try:
            self.model.feed(data)
        except Exception as e:  # noqa: BLE001 - a failure in the model costs the model only
            self._rebuild(ring, f"{type(e).__name__}: {e}")
        finally:
            self._quiet = False

    def _rebuild(self, ring: Ring, why: str) -> None:
        """A fresh model, given the newest output before ``fed`` again (silently)."""
        self.log(f"screen model failed ({why}); rebuilding it")
        rows, cols = self.model.size
        self.model = self._new_model(rows, cols)
        start = max(ring.start, self.fed - TAIL)
        data = ring.since(start, self.fed - start) or b""
        self._quiet = True
        try:
            deadline = self.clock() + TAIL_TIME
            for at in range(0, len(data), SLICE):
                self.model.feed(data[at : at + SLICE])
                if self.clock() >= deadline:
                    break
        except Exception:  # noqa: BLE001 - fails again: a blank screen, then what follows
            self.model = self._new_model(rows, cols)
        self.model.reset_parser()

    def catch_up(self, ring: Ring, seconds: float = CATCH_UP_TIME) -> None:
        """Feed everything still unseen, or as much as ``seconds`` allow and then the newest."""
        deadline = self.clock() + seconds
        while self.behind(ring) > 0:
            left = deadline - self.clock()
            if left <= 0:
                break
            self.step(ring, FEED_LIMIT, left)
        if self.behind(ring) > TAIL:
            skipped = ring.end - TAIL - self.fed
            self.log(f"screen model too slow for this output; skipping {skipped} bytes")
            self.fed = self.origin = ring.end - TAIL
            self.model.reset_parser()
        deadline = self.clock() + TAIL_TIME
        while self.behind(ring) > 0 and self.clock() < deadline:
            self.step(ring, TAIL, deadline - self.clock())
        if self.behind(ring) > LAST:
            self.fed = self.origin = ring.end - LAST
            self.model.reset_parser()
        while self.behind(ring) > 0:  # the last screenful, however long it takes: LAST is small
            self.step(ring, LAST, float("inf"))

    def resize(self, ring: Ring, rows: int, cols: int) -> None:
        if (rows, cols) != self.model.size:
            self.catch_up(ring)  # what came before was written for the old size
            self.model.resize(rows, cols)

    def screen(self) -> bytes:
        """Bytes that repaint a terminal of the model's size."""
        from sessmux.core.render import render

        try:
            return render(self.model.screen)
        except Exception as e:  # noqa: BLE001 - a model render cannot paint: a blank one can
            self.log(f"screen model cannot be painted ({type(e).__name__}: {e}); cleared")
            self.model = self._new_model(*self.model.size)
            return render(self.model.screen)

    def reset_sequence(self, ring: Ring) -> bytes:
        """What a detaching terminal is given back sane with (``render.reset_sequence``)."""
        from sessmux.core.render import reset_sequence

        self.catch_up(ring)
        return reset_sequence(self.model.screen)

    def rows(self) -> list[bytes]:
        """The screen's lines as they would scroll off: what a leaving terminal showed."""
        from sessmux.core.render import render_line

        screen = self.model.screen
        return [render_line(screen.buffer[y], self.model.cols) for y in range(screen.lines)]

    def repaint(self, ring: Ring, since: int | None, older: list[bytes] | None = None,
                shown: list[bytes] | None = None) -> bytes:
        """What a terminal gets on attach: missed lines into its scrollback, then the screen.

        ``since`` is the output offset this terminal had seen (None: it saw
        nothing, so no lines are owed).  When lines are owed, whatever the
        terminal showed goes into its scrollback ahead of them.  ``older``
        lines (a fresh terminal's history) go into the scrollback first.
        ``shown``: the screen's lines when this terminal left; the first
        lines to scroll off since then, if they are those, it still shows.
        """
        self.catch_up(ring)
        missed = [] if since is None else [line for offset, line in self.lines if offset > since]
        skip = 0
        for was, line in zip(shown or (), missed, strict=False):
            if was != line:
                break
            skip += 1
        missed = (older or []) + missed[skip:]
        if not missed:
            return self.screen()
        # From the bottom line, each CRLF pushes the top line into the
        # terminal's scrollback: first what it showed, then the missed lines.
        out = [b"\x1b[?1049l\x1b[m\x1b[r\x1b[999;1H"]
        out.extend(b"\r\n" + line for line in missed)
        out.append(b"\r\n" * self.model.rows)
        out.append(self.screen())
        return b"".join(out)
