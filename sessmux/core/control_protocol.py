"""The wire protocol between the tools, the signallers and a master.

No I/O.  A frame is a 4-byte big-endian length followed by that many bytes
of a UTF-8 JSON object whose ``"t"`` names the message.  Every connection
opens with ``hello`` carrying :data:`VERSION`.  Frames are bounded by
:data:`MAX_FRAME`; anything malformed raises :class:`ProtocolError`, and
the receiver closes that connection (the master survives it).

>>> d = Decoder()
>>> d.feed(encode({"t": "status"})[:3]), d.feed(encode({"t": "status"})[3:])
([], [{'t': 'status'}])

Requests (tool → master): ``status``, ``setname {name}``, ``disconnect``,
``reco {target}``, ``kill``, ``attach {mode, force, tty, rows, cols,
remote}`` (with the client's stdin and stdout passed as SCM_RIGHTS).
Replies: ``ok``, ``error {code, msg}``, ``status {...}``, ``attached``.
Only ``attach`` carries descriptors: any that come with another request
are closed at once.
After ``attach`` the socket stays open as the connection's control channel:
signaller → master ``winsize {rows, cols}``, ``cont``; master → signaller
``stopped {sig}``, ``exited {code}``, ``disconnected``, ``killed``,
``reco {target}``, ``takenover``.

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
sessmux.core.control_protocol.ProtocolError: bad field rows in winsize: 1e+308
"""

from __future__ import annotations

import struct

from sessmux.core import jsonframe

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Message = dict[str, Any]

VERSION = 1
MAX_FRAME = 64 * 1024
MAX_SIZE = 0xFFFF  # rows or columns: a terminal's winsize holds 16 bits
MAX_OFFSET = (1 << 64) - 1  # offsets travel in 8 bytes (sessmux.core.resume_protocol)
_HEADER = struct.Struct(">I")


class ProtocolError(Exception):
    """A frame that cannot be decoded; the connection must be closed."""


def encode(msg: Message) -> bytes:
    """Serialise one message into a frame."""
    if not isinstance(msg.get("t"), str):
        raise ProtocolError("message without a type")
    body = jsonframe.dumps(msg).encode("utf-8")
    if len(body) > MAX_FRAME:
        raise ProtocolError(f"frame of {len(body)} bytes exceeds {MAX_FRAME}")
    return _HEADER.pack(len(body)) + body


def hello() -> Message:
    """The first message of every connection."""
    return {"t": "hello", "v": VERSION}


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
        "history": _optional(_integer(0, 1 << 20)),  # lines of the journal for a fresh terminal
    },
}


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
