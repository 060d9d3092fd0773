"""``reconnect``: set where this connection goes when its session is done.

Deferred, as in pty 4.0: it only sets the session's reconnect target;
the signaller follows it when the session exits, is disconnected or
killed.  With no target it clears it.
"""

from __future__ import annotations

import sys

from sessmux.client import channel
from sessmux.commands import cli
from sessmux.core import control_protocol, names
from sessmux.core.errors import SessError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

USAGE = "usage: reconnect [-s name] [-R] [-f] [target]"
HELP = USAGE + """

When this session is done (it exits, is disconnected or killed), connect
to session TARGET instead of dropping the connection.  Without TARGET,
clear it.  `reconnect xx; disconnect` flips to session xx.

  -s NAME   set the target of session NAME instead of $PTY
  -R        follow TARGET as a read-only watcher
  -f        take TARGET over if it is connected elsewhere

Exit status: 0 done; 1 usage (also a name that begins with -); 2 session not
connected, or no such session; 12 out of resources.
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    return cli.run("reconnect", USAGE, lambda: _reconnect(args))


def _reconnect(argv: Sequence[str]) -> int:
    opts, rest = cli.parse(argv, "s:Rf", HELP)
    if len(rest) > 1:
        raise cli.Usage(f"unexpected argument {rest[1]!r}")
    flags = dict(opts)
    name = cli.target("reconnect", flags.get("-s"))
    goal = names.check(rest[0]) if rest else None
    msg = control_protocol.reco(goal, "-f" in flags, "ro" if "-R" in flags else None)
    reply = channel.request(cli.tool_dir(), name, msg)
    if reply["t"] != "ok":
        raise SessError(f"session {name} not connected")
    if goal:
        sys.stderr.write(f"reconnect: will connect to session {goal} when session {name} is done\n")
    else:
        sys.stderr.write(f"reconnect: will not reconnect when session {name} is done\n")
    return 0
