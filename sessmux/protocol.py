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
After ``attach`` the socket stays open as the connection's control channel:
signaller → master ``winsize {rows, cols}``, ``cont``; master → signaller
``stopped {sig}``, ``exited {code}``, ``disconnected``, ``killed``,
``reco {target}``, ``takenover``.
"""

from __future__ import annotations

import struct

from sessmux import jsonframe

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Message = dict[str, Any]

VERSION = 1
MAX_FRAME = 64 * 1024
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
