"""``sessname``: show or set a session's long name (pty 4.0)."""

from __future__ import annotations

import sys

from sessmux.client import channel
from sessmux.commands import cli
from sessmux.core import control_protocol
from sessmux.core.errors import SessError
from sessmux.core.names import visible

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

USAGE = "usage: sessname [-s name] [long name]"
HELP = USAGE + """

Show this session's name and long name, or set the long name
(at most 100 bytes).

  -s NAME   the session (default: $PTY)

Exit status: 0 done; 1 usage (also a name that begins with -); 2 no such
session; 12 out of resources.
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    return cli.run("sessname", USAGE, lambda: _sessname(args))


def _sessname(argv: Sequence[str]) -> int:
    opts, rest = cli.parse(argv, "s:", HELP)
    name = cli.target("sessname", dict(opts).get("-s"))
    directory = cli.tool_dir()
    if rest:
        reply = channel.request(directory, name, control_protocol.setname(" ".join(rest)))
        if reply["t"] != "ok":
            raise SessError(f"session {name} refuses to change")
        return 0
    reply = channel.request(directory, name, control_protocol.status())
    if reply["t"] != "status":
        raise SessError(f"session {name} is being quiet", level="weird")
    longname = str(reply.get("longname") or "")
    print(f"session {name}: {visible(longname)}" if longname else f"session {name}")
    return 0
