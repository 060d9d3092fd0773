"""The wire protocol between the tools, the signallers and a master.

No I/O.  A frame is a 4-byte big-endian length followed by that many bytes
of a UTF-8 JSON object whose ``"t"`` names the message.  Every connection
opens with ``hello`` carrying :data:`VERSION`.  Frames are bounded by
:data:`MAX_FRAME`; anything malformed raises :class:`ProtocolError`, and
the receiver closes that connection (the master survives it).

>>> d = Decoder()
>>> d.feed(encode(status())[:3]), d.feed(encode(status())[3:])
([], [{'t': 'status'}])

Every message is built by one constructor below, which says who sends
it and what answers it; no other module spells a message.  Requests go
from a tool or a signaller to the master; replies and notifications come
back.  Only ``attach`` carries descriptors (the client's stdin and stdout,
as SCM_RIGHTS): any that come with another request are closed at once.
After ``attach`` the socket stays open as the connection's control
channel, for ``winsize``, ``cont`` and ``go`` one way and the
notifications of :data:`ENDINGS`, ``stopped``, ``exited`` and ``reco``
the other.

This module stays over 300 lines on purpose: the constructors, the codec
and the field checks are the protocol's one definition, read together.

>>> encode(winsize(24, 80, force=False))
b'\\x00\\x00\\x001{"t":"winsize","rows":24,"cols":80,"force":false}'

Every field of a request is checked by :func:`check` against
:data:`REQUESTS` before the master acts on it: its type (a bool is not a
number), and its range -- a window size is what a terminal can be (the
kernel's 16 bits), an offset lies within a stream (8 bytes).  Fields that
are missing take their defaults; fields a request does not know are
ignored.  A request that fails the check is a :class:`ProtocolError`.

>>> check({"t": "winsize", "rows": 24, "cols": 80})["rows"]
24
>>> check({"t": "winsize", "rows": 1e308, "cols": 80})
Traceback (most recent call last):
...
sessmux.core.errors.ProtocolError: bad field rows in winsize: 1e+308
"""

from __future__ import annotations

import struct

from sessmux.core import jsonframe
from sessmux.core.errors import ProtocolError as ProtocolError  # raised here, caught above

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    Message = dict[str, Any]

VERSION = 1
MAX_FRAME = 64 * 1024
MAX_SIZE = 0xFFFF  # rows or columns: a terminal's winsize holds 16 bits
MAX_OFFSET = (1 << 64) - 1  # offsets travel in 8 bytes (sessmux.core.resume_protocol)
_HEADER = struct.Struct(">I")
# A data connection ends with one of these, telling its signaller why.
ENDINGS = ("disconnected", "detached", "takenover", "killed")


def encode(msg: Message) -> bytes:
    """Serialise one message into a frame."""
    if not isinstance(msg.get("t"), str):
        raise ProtocolError("message without a type")
    body = jsonframe.dumps(msg).encode("utf-8")
    if len(body) > MAX_FRAME:
        raise ProtocolError(f"frame of {len(body)} bytes exceeds {MAX_FRAME}")
    return _HEADER.pack(len(body)) + body


class Decoder:
    """Incremental frame decoder: feed bytes in any pieces, get messages out."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[Message]:
        """Add ``data``; return every message now complete."""
        self._buf += data
        out: list[Message] = []
        while len(self._buf) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(self._buf)
            if size == 0 or size > MAX_FRAME:
                raise ProtocolError(f"bad frame length {size}")
            if len(self._buf) < _HEADER.size + size:
                break
            body = bytes(self._buf[_HEADER.size : _HEADER.size + size])
            del self._buf[: _HEADER.size + size]
            out.append(_parse(body))
        return out

    @property
    def pending(self) -> int:
        """Bytes of an incomplete frame still buffered."""
        return len(self._buf)


def _parse(body: bytes) -> Message:
    try:
        msg = jsonframe.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ProtocolError(f"undecodable frame: {e}") from None
    if not isinstance(msg, dict) or not isinstance(msg.get("t"), str):
        raise ProtocolError("frame is not a typed message")
    return msg


# -- requests: tool or signaller -> master -------------------------------------


def hello() -> Message:
    """Every client, first on every connection; unanswered, or ``error`` (COMMS) if
    the versions differ."""
    return {"t": "hello", "v": VERSION}


def status() -> Message:
    """sesslist, sessname, sessmux -l, ...: answered by :func:`status_reply`."""
    return {"t": "status"}


def setname(name: str) -> Message:
    """sessname, sessview: the session's long name; answered by ``ok``."""
    return {"t": "setname", "name": name}


def disconnect() -> Message:
    """disconnect: drop the read-write connection; ``ok``, or ``error`` (TOOL) if none."""
    return {"t": "disconnect"}


def reco(target: str | None, force: bool = False, mode: str | None = None) -> Message:
    """reconnect: where the signaller goes when its session is done (None: nowhere).

    Answered by ``ok``, or ``error`` (TOOL) when the session is not
    connected; the master relays it to the signaller as :func:`reco_notice`.
    """
    msg: Message = {"t": "reco", "target": target, "force": force}
    if mode is not None:
        msg["mode"] = mode
    return msg


def kill() -> Message:
    """sesskill, sessview: end the session; answered by ``ok`` (attached clients get
    ``killed``)."""
    return {"t": "kill"}


def winsize(rows: int, cols: int, force: bool) -> Message:
    """The read-write signaller: its terminal's size; unanswered."""
    return {"t": "winsize", "rows": rows, "cols": cols, "force": force}


def cont() -> Message:
    """The signaller, continued after mirroring a ``stopped``: continue the program;
    unanswered."""
    return {"t": "cont"}


def go() -> Message:
    """A client that has said its piece after ``attached``: output may flow; unanswered."""
    return {"t": "go"}


def attach(mode: str, force: bool, tty: bool, rows: int, cols: int, remote: str,
           detach_key: int | None = None, hold: bool = True,
           resume: Mapping[str, Any] | None = None, notify: str | None = None,
           history: int | None = None) -> Message:
    """Signaller, sessview: pass stdin and stdout (SCM_RIGHTS) and become a connection.

    Answered by :func:`attached`, or ``error`` (ELSEWHERE) when another
    read-write connection holds the session and ``force`` is not set.
    ``resume``: a resuming client's hello, as ``sessmux -s`` read it (and
    set its ``hold_for``): its size stands for the terminal's, its token
    names it, and unless it is ``fresh`` it resumes byte-exact after the
    ``recv`` bytes it has (the frames of :mod:`sessmux.core.resume_protocol`
    follow on the data connection).  ``notify``: "9" or "777", the OSC that
    tells this terminal when the session needs its user (opt-in).
    ``history``: lines of the journal a fresh terminal asks for in its
    scrollback, before the repaint (opt-in).
    """
    msg: Message = {"t": "attach", "mode": mode, "force": force, "hold": hold, "tty": tty,
                    "rows": rows, "cols": cols, "remote": remote, "detach_key": detach_key}
    if notify is not None:
        msg["notify"] = notify
    if history is not None:
        msg["history"] = history
    if resume is not None:
        msg.update(framed=True, token=resume.get("token"), hold_for=resume.get("hold_for"),
                   rows=resume.get("rows", 0), cols=resume.get("cols", 0))
        if not resume.get("fresh"):
            msg["offset"] = resume.get("recv", 0)
    return msg


# -- replies and notifications: master -> client ----------------------------------


def ok() -> Message:
    """The master: the request was done (``setname``, ``disconnect``, ``reco``, ``kill``)."""
    return {"t": "ok"}


def error(code: int, msg: str) -> Message:
    """The master: the request was refused, with the exit code a tool reports for it.

    A protocol error (``code`` COMMS) is the last message on its connection.
    """
    return {"t": "error", "code": code, "msg": msg}


def status_reply(**fields: object) -> Message:
    """The master, to ``status``: the session's name, pids, state and times."""
    return {"t": "status", **fields}


def attached(name: str, input: int, **output: object) -> Message:
    """The master, to ``attach``: the session's name, the offset of its input, and what
    comes first on the data connection (``offset``, ``resumed``, ``behind``).

    The client answers ``go`` once its own messages are written."""
    return {"t": "attached", "name": name, "input": input, **output}


def stopped(sig: int) -> Message:
    """The master, to the read-write signaller: the program stopped with ``sig``.

    The signaller stops itself the same way, then answers ``cont``."""
    return {"t": "stopped", "sig": sig}


def exited(code: int) -> Message:
    """The master, to every attached client: the program ended with ``code``; unanswered."""
    return {"t": "exited", "code": code}


def reco_notice(reco: Message | None) -> Message:
    """The master, to the read-write signaller: a ``reco`` request's target, mode and
    force (None: none); unanswered."""
    return {"t": "reco", **(reco or {"target": None})}


def ended(kind: str) -> Message:
    """The master, to a client whose data connection it ends: one of :data:`ENDINGS`.

    ``disconnected`` (disconnect, or input EOF), ``detached`` (the detach
    key), ``takenover`` (another attach with ``force``), ``killed``
    (``kill``).  Unanswered: the connection closes.
    """
    if kind not in ENDINGS:
        raise ValueError(f"not an ending: {kind}")
    return {"t": kind}


def disconnected(error: str) -> Message:
    """The master, to a resuming client whose frame was bad: ``disconnected`` with why
    (sessmux -s says it and exits COMMS)."""
    return {"t": "disconnected", "error": error}


# -- what each request may carry ------------------------------------------------
# A checker returns whether a value is acceptable; None (a missing field)
# is acceptable wherever the request has a default for it.


def _integer(low: int, high: int) -> Callable[[object], bool]:
    def ok(value: object) -> bool:
        # JSON true is a bool, and a bool is an int to Python: not a number here.
        return type(value) is int and low <= value <= high

    return ok


def _string(longest: int) -> Callable[[object], bool]:
    return lambda value: type(value) is str and len(value) <= longest


def _optional(checker: Callable[[object], bool]) -> Callable[[object], bool]:
    return lambda value: value is None or checker(value)


def _seconds(value: object) -> bool:
    """A time span: a finite number of seconds, 0 to a billion (NaN and inf are not)."""
    return type(value) in (int, float) and 0 <= value <= 1e9  # type: ignore[operator]


def _flag(value: object) -> bool:
    return value is None or type(value) is bool


_SIZE = _optional(_integer(0, MAX_SIZE))
_MODE = _optional(lambda value: value in ("rw", "ro"))
REQUESTS: dict[str, dict[str, Callable[[object], bool]]] = {
    "hello": {"v": lambda value: type(value) is int},
    "status": {},
    "setname": {"name": _string(4096)},  # clipped to 100 bytes as pty 4.0 does
    "disconnect": {},
    "reco": {"target": _optional(_string(64)), "mode": _MODE, "force": _flag},
    "kill": {},
    "winsize": {"rows": _integer(0, MAX_SIZE), "cols": _integer(0, MAX_SIZE),
                "force": _flag},
    "cont": {},
    "go": {},
    "attach": {
        "mode": _MODE, "force": _flag, "hold": _flag, "tty": _flag, "framed": _flag,
        "rows": _SIZE, "cols": _SIZE,
        "offset": _optional(_integer(0, MAX_OFFSET)),
        "token": _optional(_string(64)),
        "remote": _optional(_string(1024)),  # clipped to 256 characters for display
        "detach_key": _optional(_integer(0, 255)),
        "hold_for": _optional(_seconds),  # how long a resuming client's output may hold
        "notify": _optional(lambda value: value in ("9", "777")),  # OSC 9 or 777
        "history": _optional(_integer(0, 1 << 20)),  # lines of the journal for a fresh terminal
    },
}


# Every message kind there is: the requests, then what the master sends.
KINDS = frozenset(REQUESTS) | {"ok", "error", "attached", "stopped", "exited", *ENDINGS}


def check(msg: Message) -> Message:
    """``msg`` if it is a request whose every field is acceptable; else ProtocolError."""
    fields = REQUESTS.get(msg["t"])
    if fields is None:
        raise ProtocolError(f"unknown request {_show(msg['t'])}")
    for name, ok in fields.items():
        value = msg.get(name)
        if not ok(value):
            raise ProtocolError(f"bad field {name} in {msg['t']}: {_show(value)}")
    return msg


def _show(value: object) -> str:
    """A value for a log line: its repr, cut short (it may be 64 KiB)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
