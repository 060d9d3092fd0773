"""``sesslist``: one line per session of this user (pty 4.0 format)."""

from __future__ import annotations

import sys
import time

from sessmux.client import channel
from sessmux.commands import cli
from sessmux.core.names import visible

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from sessmux.core.control_protocol import Message

USAGE = "usage: sesslist [-l]"
HELP = USAGE + """

List your sessions, one line each:
  session XY pid MASTER slave PROGRAM connected|disconnected[: long name]

  -l   long: what each session does and did, one line each:
       NAME STATE; waiting|running|busy|idle; last: EVENT; unseen BYTES;
       cpu SECONDS mem BYTES buffer PERCENT

Exit status: 0; 1 usage; 12 out of file descriptors or memory.
"""


def orphaned_for(st: Message, now: float) -> str:
    """How long a disconnected session has had no client: ``42s``, ``5m07s``, ``3h05m``."""
    since = st.get("disconnected_at")
    seconds = max(0, int(now - since)) if isinstance(since, int | float) else 0
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def format_status(st: Message, now: float | None = None) -> str:
    """``session XY pid M slave S connected|disconnected (orphaned T)[...][: name]``."""
    line = f"session {st['name']} pid {st['pid']} slave {st['slave']}"
    if st.get("connected"):
        line += " connected"
    else:
        line += f" disconnected (orphaned {orphaned_for(st, now or time.time())})"
    if st.get("exited") is not None:
        line += f" (exited, status {st['exited']})"
    if st.get("reco"):
        line += f" (will drop into {st['reco']})"
    if st.get("longname"):
        line += f": {visible(str(st['longname']))}"
    return line


def long_line(st: Message, now: float) -> str:
    """``sesslist -l``: state, waiting or busy, the last event, unseen output, resources."""
    from sessmux.core import happened
    from sessmux.system import usage

    def clock(t: float) -> str:
        return time.strftime("%H:%M", time.localtime(t))

    state = "connected" if st.get("connected") else \
        f"disconnected {orphaned_for(st, now)}"
    parts = [f"{st['name']} {state}", happened.state_phrase(st, now, clock)]
    last = happened.last_event(st)
    parts.append("last: " + (happened.event_phrase(last, now, clock) if last else "nothing"))
    unseen = st.get("unseen")
    if isinstance(unseen, int) and unseen > 0:
        parts.append(f"unseen {happened.size(unseen)}")
    used = usage.tree(int(st["slave"])) if st.get("exited") is None else None
    res = f"cpu {happened.span(used[0])} mem {happened.size(used[1])} " if used else ""
    buffered, room = st.get("buffered"), st.get("buffer")
    if isinstance(buffered, int) and isinstance(room, int) and room > 0:
        res += f"buffer {100 * buffered // room}%"
    parts.append(res.strip())
    line = "; ".join(p for p in parts if p)
    if happened.attention(st):
        line = "! " + line
    if st.get("longname"):
        line += f": {visible(str(st['longname']))}"
    return line


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    return cli.run("sesslist", USAGE, lambda: _sesslist(args))


def _sesslist(argv: Sequence[str]) -> int:
    opts, rest = cli.parse(argv, "l", HELP)
    if rest:
        raise cli.Usage(f"unexpected argument {rest[0]!r}")
    long = ("-l", "") in opts
    directory = cli.listing_dir()
    if directory is None:
        return 0  # a fresh account: no sessions yet
    now = time.time()
    for st in channel.statuses(directory):
        print(long_line(st, now) if long else format_status(st))
    return 0
