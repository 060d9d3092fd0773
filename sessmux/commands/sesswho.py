"""``sesswho``: the sessions of every user on this system (pty 4.0 format).

Does I/O: reads the session registry (:mod:`sessmux.system.registry`) and the
password database.  Also holds what ``sesswhere`` shares with it.
"""

from __future__ import annotations

import pwd
import sys
import time

from sessmux.commands import cli
from sessmux.core.errors import SessError
from sessmux.core.names import visible
from sessmux.system import registry, settings
from sessmux.system.registry import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

USAGE = "usage: sesswho [-lL] [-rR] [-f directory]"
HELP = USAGE + """

List the sessions of every user on this system, one line each:
  XY  Mmm dd HH:MM  OWNER  MASTERPID

The date is when the session started; the owner is the session's owner
as the kernel knows it.

  -l        also list sessions that have ended (MASTERPID shows exit,
            and the date is when it ended)
  -L        only sessions that are still running (default)
  -r        newest first
  -R        oldest first (default)
  -f DIR    read the registry in DIR (default $SESSMUX_REGISTRY,
            else /tmp/sessmux-registry)

Exit status: 0; 1 usage; 2 the registry cannot be read, or the
administrator has turned sesswho off; 12 out of resources.  See sesswho(1).
"""
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def format_date(when: float | None) -> str:
    """pty 4.0's twelve characters of ``asctime``: ``Dec 20 01:29``, ``Dec  5 01:29``.

    A time the registry entry did not really hold shows as ``?``.
    """
    try:
        tm = time.localtime(when) if when is not None else None
    except (OverflowError, OSError, ValueError):
        tm = None
    if tm is None:
        return f"{'?':<12}"
    return f"{MONTHS[tm.tm_mon - 1]} {tm.tm_mday:2d} {tm.tm_hour:02d}:{tm.tm_min:02d}"


def owner_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def who_line(rec: Record, width: int) -> str:
    """``XY  Dec 20 01:29  bernstei          2174`` (``exit`` once ended)."""
    ended = rec.state == "ended"
    date = format_date(rec.changed if ended else rec.created)
    owner = visible(owner_name(rec.owner))
    return f"{rec.name:<{width}}  {date}  {owner:<16}  {'exit' if ended else rec.pid}"


def report(
    prog: str, argv: Sequence[str], help_text: str,
    line: Callable[[Record, int], str], date: Callable[[Record], float | None],
) -> int:
    """What sesswho and sesswhere share: options, the switch, order, columns."""
    opts, rest = cli.parse(argv, "lLrRf:", help_text)
    if rest:
        raise cli.Usage(f"unexpected argument {rest[0]!r}")
    show_ended = reverse = False
    folder = registry.directory()
    for opt, value in opts:
        if opt in ("-l", "-L"):
            show_ended = opt == "-l"
        elif opt in ("-r", "-R"):
            reverse = opt == "-r"  # pty 4.0 let -R reverse too; its man page says otherwise
        else:
            folder = value
    key = prog.removeprefix("sess")
    if not settings.load().get(key, True):
        raise SessError(f"disabled by the administrator ({settings.path()})")
    try:
        records = registry.read_all(folder)
    except OSError as e:
        raise SessError(f"cannot read the session registry: {e}") from None
    if not show_ended:
        records = [r for r in records if r.state != "ended"]
    records.sort(key=lambda r: (date(r) or 0.0, r.owner, r.name), reverse=reverse)
    width = max([2] + [len(r.name) for r in records])
    for rec in records:
        print(line(rec, width))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)

    def date(rec: Record) -> float | None:
        return rec.changed if rec.state == "ended" else rec.created

    return cli.run("sesswho", USAGE, lambda: report("sesswho", args, HELP, who_line, date))
