"""``disconnect``: disconnect a session, synchronously (pty 4.0)."""

from __future__ import annotations

import sys

from sessmux.client import channel
from sessmux.commands import cli
from sessmux.core import control_protocol
from sessmux.core.errors import SessError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

USAGE = "usage: disconnect [-s name]"
HELP = USAGE + """

Disconnect a session (default: this one, $PTY).  The session keeps
running; its signaller exits quietly, or goes to its reconnect target.

  -s NAME   the session to disconnect

Exit status: 0 done; 1 usage (also a name that begins with -); 2 already
disconnected, or no such session; 12 out of resources.
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    return cli.run("disconnect", USAGE, lambda: _disconnect(args))


def _disconnect(argv: Sequence[str]) -> int:
    opts, rest = cli.parse(argv, "s:", HELP)
    if rest:
        raise cli.Usage(f"unexpected argument {rest[0]!r}")
    name = cli.target("disconnect", dict(opts).get("-s"))
    reply = channel.request(cli.tool_dir(), name, control_protocol.disconnect())
    if reply["t"] == "ok":
        return 0
    if reply.get("msg") == "already disconnected":
        raise SessError(f"session {name} already disconnected", level="warning")
    raise SessError(f"session {name}: {reply.get('msg', 'refuses to disconnect')}")
