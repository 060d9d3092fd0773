"""``sesskill``: end a session at once; its program gets a HUP (pty 4.0)."""

from __future__ import annotations

import os
import sys

from sessmux.client import channel
from sessmux.commands import cli
from sessmux.core import control_protocol
from sessmux.core.errors import SessError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

USAGE = "usage: sesskill -y [-m] [-s name]"
HELP = USAGE + """

End a session at once; its program gets a hang-up (SIGHUP).

  -y        yes, really (required)
  -m        allow killing the session this command runs in
  -s NAME   the session (default: $PTY)

Exit status: 0 done; 1 usage (also a name that begins with -); 2 refused, or
no such session; 12 out of resources.
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    return cli.run("sesskill", USAGE, lambda: _sesskill(args))


def _sesskill(argv: Sequence[str]) -> int:
    opts, rest = cli.parse(argv, "yms:", HELP)
    if rest:
        raise cli.Usage(f"unexpected argument {rest[0]!r}")
    flags = dict(opts)
    name = cli.target("sesskill", flags.get("-s"))
    if "-y" not in flags:
        raise SessError("-y not specified, so no action taken")
    if name == os.environ.get("PTY") and "-m" not in flags:
        raise SessError("that session is us, and -m not specified, so no action taken")
    reply = channel.request(cli.tool_dir(), name, control_protocol.kill())
    if reply["t"] != "ok":
        raise SessError(f"session {name} refuses to die")
    return 0
