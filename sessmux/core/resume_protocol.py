"""The resume protocol: byte-exact sessions over a link that breaks.

No I/O.  ``rezume`` (the client) and ``sessmux -s`` (the server side, in
the session's master) speak it over any byte stream, normally an ssh
channel.  Each direction is one stream of bytes numbered by offset from
the start of the session (output) or of the client (input).  A frame is a
type byte and a 4-byte big-endian length, then the payload:

====  =========  ==========================================================
type  name       payload
====  =========  ==========================================================
H     hello      JSON: ``v`` (version), ``id`` (session), ``token`` (the
                 client), ``recv`` (bytes of the peer's stream received);
                 the client's may say ``acks`` (it acknowledges output, so
                 the server may hold the program for it) and ``hold`` (for
                 how many seconds at most, instead of the server's own);
                 the server's hello also says ``offset`` (where its data
                 starts), ``end`` (output written so far: the difference is
                 replayed) and ``behind`` when ``recv`` had left its buffer
                 (a repaint follows, output was skipped)
D     data       8-byte offset, then bytes of the stream from that offset
A     ack        8-byte offset: everything before it has arrived (the server
                 acknowledges keys; a client that said ``acks`` acknowledges
                 output, which the server keeps, holding the program while
                 its buffer is full of it, until its hold time runs out)
P     ping       8 bytes, echoed back in a pong
Q     pong       the ping's 8 bytes
W     winsize    rows, cols (2 bytes each)
R     repaint    8-byte offset, then bytes that redraw the screen; they stand
                 outside the numbered stream, which goes on from that offset
                 (from the client, a request: empty for the whole screen,
                 ``bottom`` for its bottom line only)
X     exit       4-byte signed exit status of the session's program
E     error      UTF-8 text; the sender closes the link
====  =========  ==========================================================

On every (re)connect the client sends its hello first and the server
answers with its own; then each side resends what the other lacks, from
the offset the other said it had, and live data follows.  A peer asking
for bytes older than the buffer gets ``behind`` in the hello and a
repaint -- never a silent splice.

>>> a = encode_data(5, b"hi") + encode(PING, b"12345678")
>>> [(f.kind, f.payload) for f in Decoder().feed(a)]
[('D', b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x05hi'), ('P', b'12345678')]
"""

from __future__ import annotations

import struct

from sessmux.core import jsonframe
from sessmux.core.errors import ResumeError as ResumeError  # raised here, caught above

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

VERSION = 1
HELLO, DATA, ACK, PING, PONG, WINSIZE, REPAINT, EXIT, ERROR = "HDAPQWRXE"
KINDS = frozenset(HELLO + DATA + ACK + PING + PONG + WINSIZE + REPAINT + EXIT + ERROR)
MAX_PAYLOAD = 1 << 20
HEADER = struct.Struct(">cI")
OFFSET = struct.Struct(">Q")
SIZE = struct.Struct(">HH")
STATUS = struct.Struct(">i")


class Frame:
    """One frame: its kind letter and payload (a plain class: dataclasses cost start-up)."""

    __slots__ = ("kind", "payload")

    def __init__(self, kind: str, payload: bytes) -> None:
        self.kind = kind
        self.payload = payload

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Frame)
                and (self.kind, self.payload) == (other.kind, other.payload))

    def __hash__(self) -> int:
        return hash((self.kind, self.payload))

    def __repr__(self) -> str:
        return f"Frame({self.kind!r}, {self.payload!r})"

    @property
    def offset(self) -> int:
        """The offset of a data or ack frame."""
        return int(OFFSET.unpack_from(self.payload)[0])

    @property
    def data(self) -> bytes:
        """The bytes of a data frame."""
        return self.payload[OFFSET.size :]

    def json(self) -> dict[str, Any]:
        try:
            value = jsonframe.loads(self.payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise ResumeError(f"bad {self.kind} frame: {e}") from None
        if not isinstance(value, dict):
            raise ResumeError(f"bad {self.kind} frame: not an object")
        return value


def encode(kind: str, payload: bytes = b"") -> bytes:
    if len(payload) > MAX_PAYLOAD:
        raise ResumeError(f"payload of {len(payload)} bytes is too large")
    return HEADER.pack(kind.encode(), len(payload)) + payload


def encode_hello(**fields: Any) -> bytes:
    return encode(HELLO, jsonframe.dumps({"v": VERSION, **fields}).encode())


def encode_data(offset: int, data: bytes) -> bytes:
    return encode(DATA, OFFSET.pack(offset) + data)


def encode_repaint(offset: int, screen: bytes) -> bytes:
    return encode(REPAINT, OFFSET.pack(offset) + screen)


def encode_ack(offset: int) -> bytes:
    return encode(ACK, OFFSET.pack(offset))


def encode_winsize(rows: int, cols: int) -> bytes:
    return encode(WINSIZE, SIZE.pack(rows, cols))


def encode_exit(status: int) -> bytes:
    return encode(EXIT, STATUS.pack(status))


def encode_ping(millis: int) -> bytes:
    """A keepalive, stamped with the sender's clock; answered by a pong of the same stamp."""
    return encode(PING, OFFSET.pack(millis))


def encode_pong(ping: Frame) -> bytes:
    return encode(PONG, ping.payload)


def encode_error(message: str) -> bytes:
    """The last frame of a link: why it ends (the other side says it and stops)."""
    return encode(ERROR, message.encode())


def winsize(frame: Frame) -> tuple[int, int]:
    rows, cols = SIZE.unpack(frame.payload)
    return int(rows), int(cols)


def exit_status(frame: Frame) -> int:
    return int(STATUS.unpack(frame.payload)[0])


_FIXED = {DATA: OFFSET.size, REPAINT: OFFSET.size, ACK: OFFSET.size, PING: 8, PONG: 8,
          WINSIZE: SIZE.size, EXIT: STATUS.size}


class Decoder:
    """Frames out of a byte stream cut anywhere."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[Frame]:
        self._buf += data
        frames = []
        while len(self._buf) >= HEADER.size:
            raw_kind, size = HEADER.unpack_from(self._buf)
            kind = raw_kind.decode("latin-1")
            if kind not in KINDS:
                raise ResumeError(f"unknown frame type {raw_kind!r}")
            if size > MAX_PAYLOAD:
                raise ResumeError(f"frame of {size} bytes is too large")
            if len(self._buf) < HEADER.size + size:
                break
            payload = bytes(self._buf[HEADER.size : HEADER.size + size])
            del self._buf[: HEADER.size + size]
            need = _FIXED.get(kind)
            exact = kind not in (DATA, REPAINT)
            if need is not None and (len(payload) < need or exact and len(payload) != need):
                raise ResumeError(f"bad {kind} frame of {len(payload)} bytes")
            frames.append(Frame(kind, payload))
        return frames

    @property
    def pending(self) -> int:
        return len(self._buf)


class Inbox:
    """One direction's receiving end: takes data frames, drops what it has."""

    def __init__(self, received: int = 0) -> None:
        self.received = received  # bytes of the stream that have arrived

    def accept(self, offset: int, data: bytes) -> bytes:
        """The part of ``data`` (at ``offset``) not seen before; a gap is an error."""
        if offset > self.received:
            raise ResumeError(f"gap in the stream: expected {self.received}, got {offset}")
        new = data[self.received - offset :]
        self.received += len(new)
        return new


def _offset(value: object) -> bool:
    return type(value) is int and 0 <= value < 1 << 64  # what 8 bytes can say


def _size(value: object) -> bool:
    return type(value) is int and 0 <= value <= 0xFFFF  # what a winsize can say


def _text(value: object) -> bool:
    return type(value) is str and len(value) <= 64


def _flag(value: object) -> bool:
    return type(value) is bool


# What a hello may say (either side's); a field that is there must fit.
HELLO_FIELDS = {"recv": _offset, "offset": _offset, "end": _offset, "rows": _size,
                "cols": _size, "id": _text, "token": _text, "fresh": _flag, "behind": _flag}

HELLO_LIMIT = 65536  # a hello's payload, read before anything else is known


def hello_length(header: bytes) -> int:
    """The payload length a first frame's header announces, if it opens a hello.

    For a reader that must take the hello byte-exactly and leave the rest
    (sessmux -s); ResumeError if it is not a hello of a sane size.

    >>> hello_length(encode_hello(id="x")[:HEADER.size])
    16
    """
    kind, size = HEADER.unpack(header)
    if kind != HELLO.encode() or size > HELLO_LIMIT:
        raise ResumeError("the client did not open with a hello")
    return int(size)


def read_hello(frame: Frame) -> dict[str, Any]:
    """Check a hello frame and return its fields (ResumeError if one is bad).

    Checked before anything acts on them: a hello arrives over ssh from a
    client that may be half-written or damaged (``rows`` 1e308 must not
    reach a screen model).  Fields this side does not know are ignored.
    """
    if frame.kind != HELLO:
        raise ResumeError(f"expected a hello, got a {frame.kind} frame")
    fields = frame.json()
    if type(fields.get("v")) is not int or fields["v"] != VERSION:
        raise ResumeError(f"protocol version {_show(fields.get('v'))}, this side speaks {VERSION}")
    if not _offset(fields.get("recv", 0)):
        raise ResumeError("bad received offset in hello")
    for name, ok in HELLO_FIELDS.items():
        if name in fields and not ok(fields[name]):
            raise ResumeError(f"bad field {name} in hello: {_show(fields[name])}")
    return fields


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
