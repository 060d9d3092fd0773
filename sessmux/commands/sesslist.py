"""``sesslist``: one line per session of this user (pty 4.0 format)."""

from __future__ import annotations

import os
import sys
import time

from sessmux.client import channel
from sessmux.commands import cli
from sessmux.core import errors
from sessmux.core.errors import TOOL, SessError
from sessmux.core.names import visible

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from sessmux.core.control_protocol import Message
    from sessmux.remote.hosts import Answer

USAGE = "usage: sesslist [-a] [-l] [--json] [-A] [-H host ...] [-t seconds]"
HELP = USAGE + """

List your sessions, one line each:
  session XY pid MASTER slave PROGRAM connected|disconnected[: long name]

  -a          also sessions that have ended but left a journal (sesslog(1)):
              session XY ended (journal BYTES bytes, last output DATE TIME)
  -l          long: what each session does and did, one line each (with -H too):
              NAME STATE; waiting|running|busy|idle; last: EVENT;
              unseen BYTES; cpu SECONDS mem BYTES buffer PERCENT journal BYTES of BOUND
  --json      one JSON document instead (stable; see sesslist(1))
  -H HOST     list HOST's sessions instead, over ssh, each line prefixed
              "HOST: " (repeat -H for more hosts; all are asked at once)
  -A          every host in ~/.config/sessmux/hosts
  -t SECONDS  how long a host has to answer (default 10)

Exit status: 0; 1 usage; 2 a host did not answer or its listing was
unusable (the others are still listed); 12 out of file descriptors or memory.
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


def long_line(st: Message, now: float, local: bool = True) -> str:
    """``sesslist -l``: state, waiting or busy, the last event, unseen output, resources.

    ``local``: the session is on this host, so its processes can be looked
    at; another host's session shows what its listing says, and no more.
    """
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
    used = usage.tree(int(st["slave"])) if local and st.get("exited") is None else None
    res = f"cpu {happened.span(used[0])} mem {happened.size(used[1])} " if used else ""
    buffered, room = st.get("buffered"), st.get("buffer")
    if isinstance(buffered, int) and isinstance(room, int) and room > 0:
        res += f"buffer {100 * buffered // room}% "
    kept, bound = st.get("journal_used"), st.get("journal")
    if isinstance(kept, int) and isinstance(bound, int) and bound > 0:
        res += f"journal {happened.size(kept)} of {happened.size(bound)}"
    elif bound == 0:
        res += "no journal"
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
    if list(argv[:1]) in (["--help"], ["--version"]):
        cli.parse(argv, "", HELP)
    opts, rest = cli.getopt(argv, "alAH:t:", ["json"])
    if rest:
        raise cli.Usage(f"unexpected argument {rest[0]!r}")
    if any(opt in ("-A", "-H") for opt, _ in opts):
        return _hosts(opts)
    directory = cli.listing_dir()
    found = [] if directory is None else channel.statuses(directory)  # none in a fresh account
    if ("--json", "") in opts:
        return _json(found)
    long, now = ("-l", "") in opts, time.time()
    for st in found:
        print(long_line(st, now) if long else format_status(st))
    if ("-a", "") in opts and directory is not None:
        for line in ended_sessions(directory, {str(st["name"]) for st in found}):
            print(line)
    return 0


def _json(found: list[Message]) -> int:
    """``--json``: the listing other hosts read (sessmux.core.hostlist)."""
    from sessmux.core import hostlist

    print(hostlist.dumps_listing(os.uname().nodename, time.time(), found))
    return 0


def ended_sessions(directory: str, live: set[str]) -> list[str]:
    """``session XY ended (journal N bytes, last output T)``: masters gone, journals kept."""
    return [f"session {name} ended (journal {size} bytes, last output {when})"
            for name, size, when in ended_journals(directory, live)]


def ended_journals(directory: str, live: set[str]) -> list[tuple[str, int, str]]:
    """(name, journal bytes, last output's date) of each ended session that left a journal."""
    from sessmux.system import journal

    found = []
    for name in sorted(set(journal.names(directory)) - live):
        if not journal.ended(directory, name):
            continue  # alive, only slow to answer
        try:
            size, last = journal.summary(directory, name)
        except (OSError, SessError):
            continue
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(last)) if last else "none"
        found.append((name, size, when))
    return found


def _hosts(opts: cli.Options) -> int:
    """``-H``/``-A``: every host asked at once; its lines prefixed with its name."""
    from sessmux.core.errors import USAGE as USAGE_CODE
    from sessmux.remote import hosts

    timeout = hosts.TIMEOUT
    for opt, value in opts:
        if opt == "-t":
            try:
                timeout = float(value)
            except ValueError:
                timeout = -1
            if not 0 < timeout <= 3600:
                raise cli.Usage(f"bad timeout {value!r}")
        elif opt == "--json":
            raise cli.Usage("--json lists this host only")
    try:
        chosen = hosts.choose([v for o, v in opts if o == "-H"], ("-A", "") in opts)
    except errors.BadHosts as e:
        raise SessError(str(e), USAGE_CODE) from None
    failed = 0
    long = ("-l", "") in opts
    for answer in hosts.query(chosen, timeout):
        for line in host_lines(answer, long):
            print(line)
        if answer.error:
            failed += 1
            sys.stderr.write(f"sesslist: warning: {answer.shown}: {answer.error}\n")
        elif answer.listing is not None and answer.listing.dropped:
            sys.stderr.write(f"sesslist: warning: {answer.shown}: "
                             f"{answer.listing.dropped} malformed sessions skipped\n")
    sys.stdout.flush()
    return TOOL if failed else 0


def host_lines(answer: Answer, long: bool = False) -> list[str]:
    """One host's sessions as sesslist lines (``-l``: long ones), each after ``HOST: ``."""
    listing = answer.listing
    if listing is None:
        return []
    now = listing.now if listing.now is not None else time.time()  # the host's clock
    return [f"{answer.shown}: "
            + (long_line(st, now, local=False) if long else format_status(st, now))
            for st in listing.sessions]
