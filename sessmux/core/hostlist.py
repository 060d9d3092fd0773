"""Many hosts: the hosts file, and ``sesslist --json`` written and read back.

No I/O.  A host is an ssh destination, as the user would give it to ssh
(so ``~/.ssh/config`` aliases, jump hosts and keys apply), with optional
ssh options and sessmux's own ``--bin DIR`` (where sessmux's commands are
on that host).  A listing from a host is hostile until checked: at most
:data:`MAX_LISTING` bytes, one JSON document, every field typed, every
name valid; a session that fails a check is dropped and counted, never
shown raw.

>>> [(h.dest, h.options, h.bin) for h in parse_hosts("# mine\\nbuild\\ndb -p 2222 --bin /opt/s\\n")]
[('build', [], ''), ('db', ['-p', '2222'], '/opt/s')]
>>> doc = dumps_listing("h1", 100.0, [{"name": "p3", "pid": 7, "slave": 8, "connected": True}])
>>> listing = parse_listing(doc.encode())
>>> listing.host, [s["name"] for s in listing.sessions], listing.dropped
('h1', ['p3'], 0)
"""

from __future__ import annotations

from sessmux.core import jsonframe
from sessmux.core.errors import BadHosts, BadListing
from sessmux.core.names import LONG_NAME_MAX, is_valid, visible

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

VERSION = 1
MAX_LISTING = 1 << 20  # bytes read from one host at most
MAX_SESSIONS = 10000
# ssh options that take an argument, as ssh(1) lists them.
SSH_WITH_ARG = frozenset("BbcDEeFIiJLlmOoPpQRSWw")
SSH_FLAGS = frozenset("46AaCfGgKkMNnqsTtVvXxYy")

# The fields of a session in the listing, and the types each may have.
_INT = (int,)
_NUM = (int, float)
FIELDS: dict[str, tuple[type, ...]] = {
    "name": (str,), "longname": (str,), "state": (str,), "connected": (bool,),
    "pid": _INT, "slave": _INT, "watchers": _INT, "created": _NUM, "activity": _NUM,
    "disconnected_at": _NUM, "exited": _INT, "remote": (str,), "reco": (str,),
}
REQUIRED = ("name", "pid", "slave", "connected")
# What happened in a session (sessmux.core.happened): the events a listing
# carries, each kind with its fields and their types; times are the host's.
EVENT_FIELDS: dict[str, tuple[type, ...]] = {
    "kind": (str,), "at": _NUM, "status": _INT, "duration": _NUM, "since": _NUM,
    "program": (str,), "command": (str,), "text": (str,),
}
EVENT_KINDS = frozenset({"exit", "command", "bell", "notify", "input"})
MAX_EVENTS = 16  # the newest, per session


class Host:
    """One ssh destination, its own ssh options, and where sessmux is on it."""

    def __init__(self, dest: str, options: list[str] | None = None, bin: str = "") -> None:
        self.dest = dest
        self.options = options or []
        self.bin = bin

    def __repr__(self) -> str:
        return f"Host({self.dest!r}, {self.options!r}, {self.bin!r})"


def check_destination(dest: str) -> str:
    """``dest`` if ssh can only read it as a destination (never as an option).

    >>> check_destination("me@build-1")
    'me@build-1'
    >>> check_destination("-oProxyCommand=x")
    Traceback (most recent call last):
    ...
    sessmux.core.errors.BadHosts: bad host -oProxyCommand=x
    """
    if (not dest or dest.startswith("-") or len(dest) > 255
            or any(c.isspace() or not c.isprintable() for c in dest)):
        raise BadHosts(f"bad host {visible(dest)}")
    return dest


def parse_hosts(text: str) -> list[Host]:
    """The hosts file: one destination a line, then its options; ``#`` comments."""
    hosts = []
    for number, raw in enumerate(text.splitlines(), 1):
        words = raw.split("#", 1)[0].split()
        if not words:
            continue
        try:
            hosts.append(host_of(words))
        except BadHosts as e:
            raise BadHosts(f"line {number}: {e}") from None
    return hosts


def host_of(words: list[str]) -> Host:
    """``DEST [-o OPT] [-p PORT] ... [--bin DIR]`` as a :class:`Host`."""
    host = Host(check_destination(words[0]))
    rest = words[1:]
    while rest:
        word = rest.pop(0)
        if word == "--bin" and rest:
            host.bin = rest.pop(0)
        elif len(word) == 2 and word[0] == "-" and word[1] in SSH_WITH_ARG and rest:
            host.options += [word, rest.pop(0)]
        elif len(word) > 2 and word[0] == "-" and word[1] in SSH_WITH_ARG:
            host.options.append(word)  # -p2222
        elif len(word) == 2 and word[0] == "-" and word[1] in SSH_FLAGS:
            host.options.append(word)
        else:
            raise BadHosts(f"{visible(host.dest)}: bad option {visible(word)}")
    return host


def entry(st: Mapping[str, object]) -> dict[str, object]:
    """The listing's view of one status reply: the known fields, ``state`` added."""
    out: dict[str, object] = {k: st[k] for k in FIELDS if st.get(k) is not None}
    if st.get("exited") is not None:
        out["state"] = "exited"
    else:
        out["state"] = "connected" if st.get("connected") else "disconnected"
    # What happened (sesslist -l's words): the newest events, whether the program
    # waits for input (since when), the command it runs, the output nobody saw.
    events = st.get("events")
    if isinstance(events, list):
        out["events"] = events[-MAX_EVENTS:]
    for key in ("waiting", "running", "unseen"):
        if st.get(key) is not None:
            out[key] = st[key]
    return out


def dumps_listing(host: str, now: float, statuses: Iterable[Mapping[str, object]]) -> str:
    """``sesslist --json``: one document, version 1, sessions sorted by name."""
    sessions = sorted((entry(st) for st in statuses), key=lambda s: str(s["name"]))
    return jsonframe.dumps({"version": VERSION, "host": host, "now": now,
                            "sessions": sessions})


class Listing:
    """A host's sessions, checked; ``dropped`` how many entries failed a check."""

    def __init__(self, host: str, now: float | None, sessions: list[dict[str, object]],
                 dropped: int) -> None:
        self.host = host
        self.now = now
        self.sessions = sessions
        self.dropped = dropped


def parse_listing(data: bytes) -> Listing:
    """A host's ``sesslist --json`` answer, checked; :class:`BadListing` if unusable."""
    if len(data) > MAX_LISTING:
        raise BadListing(f"listing larger than {MAX_LISTING} bytes")
    try:
        doc = jsonframe.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadListing("the listing is not JSON") from None
    if not isinstance(doc, dict) or doc.get("version") != VERSION:
        raise BadListing("not a version 1 listing")
    raw = doc.get("sessions")
    if not isinstance(raw, list) or len(raw) > MAX_SESSIONS:
        raise BadListing("no list of sessions in the listing")
    now = doc.get("now")
    host = doc.get("host")
    sessions = [s for s in (_session(item) for item in raw) if s is not None]
    return Listing(visible(host)[:255] if isinstance(host, str) else "",
                   float(now) if isinstance(now, int | float) and _typed(now, _NUM) else None,
                   sessions,
                   len(raw) - len(sessions))


def _typed(value: object, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in types:
        return False  # True is an int to Python, not to a listing
    return isinstance(value, types) and (not isinstance(value, int | float) or abs(value) < 1e15)


def _session(item: object) -> dict[str, object] | None:
    """One entry, its fields typed and its name valid; None if not."""
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        return None
    if not is_valid(item["name"]):
        return None
    out = _fields(item, FIELDS)  # strings shown later: printable now, and short
    if out is None or any(k not in out for k in REQUIRED):
        return None
    out.update(_happened(item))
    return out


def _happened(item: dict[str, object]) -> dict[str, object]:
    """The entry's events, wait and running command, checked; a bad one is left out.

    >>> got = _happened({"waiting": 5.0, "unseen": True,
    ...                  "running": {"command": "m\x1bk", "since": 1},
    ...                  "events": [{"kind": "bell", "at": 2.0}, {"kind": "rm -rf", "at": 3.0},
    ...                             {"kind": "notify", "at": "x"}, "junk"]})
    >>> got["waiting"], got["running"], got["events"], "unseen" in got
    (5.0, {'command': 'm^[k', 'since': 1}, [{'kind': 'bell', 'at': 2.0}], False)
    """
    out: dict[str, object] = {}
    waiting = item.get("waiting")
    if waiting is not None and _typed(waiting, _NUM):
        out["waiting"] = waiting
    unseen = item.get("unseen")
    if unseen is not None and _typed(unseen, _INT):
        out["unseen"] = unseen
    running = item.get("running")
    if isinstance(running, dict):
        checked = _fields(running, {"command": (str,), "since": _NUM})
        if checked is not None and "since" in checked:
            out["running"] = checked
    events = item.get("events")
    if isinstance(events, list):
        kept = [ev for ev in (_event(e) for e in events[-MAX_EVENTS:]) if ev is not None]
        if kept:
            out["events"] = kept
    return out


def _event(item: object) -> dict[str, object] | None:
    if not isinstance(item, dict):
        return None
    ev = _fields(item, EVENT_FIELDS)
    if ev is None or ev.get("kind") not in EVENT_KINDS or "at" not in ev:
        return None
    return ev


def _fields(item: dict[object, object], fields: dict[str, tuple[type, ...]],
            ) -> dict[str, object] | None:
    """The known ``fields`` of ``item``, typed, strings made visible and short (None: a bad one)."""
    out: dict[str, object] = {}
    for key, types in fields.items():
        value = item.get(key)
        if value is None:
            continue
        if not _typed(value, types):
            return None
        out[key] = visible(value)[:LONG_NAME_MAX] if isinstance(value, str) else value
    return out
