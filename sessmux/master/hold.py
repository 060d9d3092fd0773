"""The resume hold: output kept for a resuming client, the program held for it.

Pure bookkeeping: no fds, the clock passed in.  A resuming client
(``sessmux -s``) is expected back after an outage, so the master keeps
every byte it has not acknowledged, and holds the program while the
replay buffer is full of them -- for at most the client's hold time
(``sessmux -H``), after which the session runs free again until the
client catches up.  A terminal is repainted instead: nothing is held for
it.  (The buffer, not the journal, bounds this on purpose: it is also
the most a cut can make the master send again, and a program let run
ahead by the journal's 64 MiB then waits, after the outage, while the
client catches all of it up.)

>>> class Conn:                         # a resuming client's connection
...     framed, token, offset = True, "t1", 0
>>> conn, hold = Conn(), Hold(replay=100)
>>> hold.attached(conn, 30.0)
>>> hold.room(end=60), hold.room(end=100)
(40, 0)
>>> hold.started(now=5.0); hold.run_out(now=20.0), hold.run_out(now=35.0)
(False, True)
>>> hold.room(end=100) is None           # runs free: nobody is held for
True
>>> conn.offset = 100                   # it was sent all, and says it has 80
>>> hold.acknowledged(conn, 80, end=100); hold.room(end=100)   # caught up: held again
80
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sessmux.master.connection import Conn


class Hold:
    """Whom the output is kept for, what it has acknowledged, how long it may hold."""

    def __init__(self, replay: int) -> None:
        self.replay = replay  # the replay buffer: what a reconnect may be given back
        self.resumer: str | None = None  # the resuming client expected back (its token)
        self.acked = 0  # the output it has acknowledged
        self.seconds = 0.0  # how long it may hold the program ...
        self.since: float | None = None  # ... and since when it does

    def room(self, end: int) -> int | None:
        """Output that may still be read (up to ``end``) before the resuming client's is lost.

        None when no resuming client holds the program: there is none, its
        hold is off (0) or has run out, or there is no replay buffer.
        """
        if self.resumer is None or self.seconds <= 0 or self.replay <= 0:
            return None
        return self.replay - (end - self.acked)

    def started(self, now: float) -> None:
        """The program is held (the buffer is full): the hold time counts from the first time."""
        if self.since is None:
            self.since = now

    def run_out(self, now: float) -> bool:
        """Whether the hold time has just run out: the program runs free (said once)."""
        if self.room(0) is None or self.since is None or now - self.since < self.seconds:
            return False
        self.resumer = None  # until the client comes back (it is then told)
        return True

    def attached(self, conn: Conn, hold_for: object) -> None:
        """A new read-write connection: a resuming client is expected back after it."""
        self.since = None
        if not conn.framed:
            self.resumer = None  # a terminal: it is repainted, nothing is held for it
            return
        self.resumer, self.acked = conn.token, conn.offset
        # A client that says no hold (or cannot acknowledge) holds nothing.
        seconds = hold_for if isinstance(hold_for, (int, float)) else 0.0
        self.seconds = float(seconds) if 0 <= seconds < 1e9 else 0.0  # (nan, inf: no)

    def acknowledged(self, conn: Conn, offset: int, end: int) -> None:
        """The resuming client has the output before ``offset``: that much is free."""
        if not conn.framed:
            return
        self.acked = max(self.acked, min(offset, conn.offset))
        if end - self.acked < self.replay:
            # Caught up (after a repaint, even after its hold ran out): hold again.
            self.since = None
            self.resumer = conn.token
