"""``sesswhere``: where each session on this system is connected from.

Does I/O: reads the session registry (:mod:`sessmux.system.registry`).  pty 4.0
format; the remote end is whatever the session's owner's connection said
(``SSH_CONNECTION``), so it is shown with control characters made visible
and must not be trusted for security analysis.
"""

from __future__ import annotations

import sys

from sessmux.commands import cli
from sessmux.commands.sesswho import format_date, report
from sessmux.core.names import visible
from sessmux.system.registry import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

USAGE = "usage: sesswhere [-lL] [-rR] [-f directory]"
HELP = USAGE + """

List where every session on this system is connected from, one line each:
  XY  Mmm dd HH:MM  connect REMOTE | disconnect | cleanup

REMOTE is the address and port the connection came from (from
SSH_CONNECTION or SSH_CLIENT), or (unknown).  The date is that of the
connect, disconnect or end.  Control characters are shown visibly.

  -l        also list sessions that have ended (cleanup)
  -L        only sessions that are still running (default)
  -r        newest first
  -R        oldest first (default)
  -f DIR    read the registry in DIR (default $SESSMUX_REGISTRY,
            else /tmp/sessmux-registry)

Exit status: 0; 1 usage; 2 the registry cannot be read, or the
administrator has turned sesswhere off; 12 out of resources.  See sesswhere(1).
"""


def where_line(rec: Record, width: int) -> str:
    """``r7  Dec 20 01:29  connect (unknown)``, ``… disconnect``, ``… cleanup``."""
    if rec.state == "connected":
        what = "connect " + (visible(rec.remote) or "(unknown)")
    else:
        what = "cleanup" if rec.state == "ended" else "disconnect"
    return f"{rec.name:<{width}}  {format_date(rec.changed)}  {what}"


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    return cli.run(
        "sesswhere", USAGE,
        lambda: report("sesswhere", args, HELP, where_line, lambda r: r.changed),
    )
