"""``sesslist``: one line per session of this user (pty 4.0 format)."""

from __future__ import annotations

import sys
import time

from sessmux.client import channel
from sessmux.commands import cli
from sessmux.core.errors import SessError
from sessmux.core.names import visible

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from sessmux.core.control_protocol import Message

USAGE = "usage: sesslist [-a]"
HELP = USAGE + """

List your sessions, one line each:
  session XY pid MASTER slave PROGRAM connected|disconnected[: long name]
  -a   also sessions that have ended but left a journal (see sesslog(1)):
       session XY ended (journal BYTES bytes, last output YYYY-MM-DD HH:MM:SS)

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


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    return cli.run("sesslist", USAGE, lambda: _sesslist(args))


def _sesslist(argv: Sequence[str]) -> int:
    opts, rest = cli.parse(argv, "a", HELP)
    if rest:
        raise cli.Usage(f"unexpected argument {rest[0]!r}")
    directory = cli.listing_dir()
    if directory is None:
        return 0  # a fresh account: no sessions yet
    live = channel.statuses(directory)
    for st in live:
        print(format_status(st))
    if ("-a", "") in opts:
        for line in ended_sessions(directory, {str(st["name"]) for st in live}):
            print(line)
    return 0


def ended_sessions(directory: str, live: set[str]) -> list[str]:
    """``session XY ended (journal N bytes, last output T)``: masters gone, journals kept."""
    from sessmux.system import journal

    lines = []
    for name in sorted(set(journal.names(directory)) - live):
        if not journal.ended(directory, name):
            continue  # alive, only slow to answer
        try:
            size, last = journal.summary(directory, name)
        except (OSError, SessError):
            continue
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(last)) if last else "none"
        lines.append(f"session {name} ended (journal {size} bytes, last output {when})")
    return lines
