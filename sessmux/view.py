"""The master's picture of a session's screen, kept off the output path.

No I/O.  A :class:`View` holds a screen model fed *lazily* from the replay
ring: the master feeds it a little at a time when it is idle, and catches
it up when a terminal attaches, so pyte (about 1 MB/s) never bounds the
session's throughput (DESIGN §4).  If output left the ring before the
model saw it, the model skips ahead to what is still there; the tolerant
parser copes with starting in the middle of a sequence.

It also keeps the lines that scrolled off the top of the main screen,
each tagged with the output offset at which it left, so that a terminal
coming back gets exactly the lines it missed in its own scrollback.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from sessmux.ring import Ring

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SCROLLBACK_LINES = 5000
STEP = 16384  # bytes fed per idle step: ~15 ms of pyte
# At most this much unseen output is fed to the model: with a large replay
# buffer (-b 32m) feeding it all would hold the master for many seconds
# (pyte: ~1 MB/s) when a client attaches; older output has left the screen.
FEED_LIMIT = 1 << 20


class View:
    """A lazily fed screen model with captured scrollback."""

    def __init__(self, rows: int, cols: int, replies: Callable[[bytes], None]) -> None:
        # pyte is imported here, in the master, never by the small tools.
        from sessmux.screen import ScreenModel

        self.model = ScreenModel(rows, cols, replies, self._scrolled)
        self.fed = 0  # ring offset the model has consumed up to
        self.lines: deque[tuple[int, bytes]] = deque(maxlen=SCROLLBACK_LINES)

    def _scrolled(self, row: Any) -> None:
        from sessmux.render import render_line

        self.lines.append((self.fed, render_line(row, self.model.cols)))

    def behind(self, ring: Ring) -> int:
        """Bytes of output the model has not seen yet."""
        return ring.end - self.fed

    def step(self, ring: Ring, budget: int = STEP) -> None:
        """Feed at most ``budget`` bytes (the master calls this when idle)."""
        if self.fed < max(ring.start, ring.end - FEED_LIMIT):
            # Gone from the ring, or too far back to be worth pyte's time: skip ahead.
            self.fed = max(ring.start, ring.end - FEED_LIMIT)
        data = ring.since(self.fed, budget)
        if data:
            # Lines scrolled by this chunk are tagged with its end offset.
            self.fed += len(data)
            self.model.feed(data)

    def catch_up(self, ring: Ring) -> None:
        """Feed everything still unseen."""
        while self.behind(ring) > 0:
            self.step(ring, 1 << 20)

    def resize(self, ring: Ring, rows: int, cols: int) -> None:
        if (rows, cols) != self.model.size:
            self.catch_up(ring)  # what came before was written for the old size
            self.model.resize(rows, cols)

    def screen(self) -> bytes:
        """Bytes that repaint a terminal of the model's size."""
        from sessmux.render import render

        return render(self.model.screen)

    def repaint(self, ring: Ring, since: int | None) -> bytes:
        """What a terminal gets on attach: missed lines into its scrollback, then the screen.

        ``since`` is the output offset this terminal had seen (None: it saw
        nothing, so no lines are owed).  When lines are owed, whatever the
        terminal showed goes into its scrollback ahead of them.
        """
        self.catch_up(ring)
        missed = [] if since is None else [line for offset, line in self.lines if offset > since]
        if not missed:
            return self.screen()
        # From the bottom line, each CRLF pushes the top line into the
        # terminal's scrollback: first what it showed, then the missed lines.
        out = [b"\x1b[?1049l\x1b[m\x1b[r\x1b[999;1H"]
        out.extend(b"\r\n" + line for line in missed)
        out.append(b"\r\n" * self.model.rows)
        out.append(self.screen())
        return b"".join(out)
