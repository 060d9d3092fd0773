"""The resume protocol module (sessmux/core/resume_protocol.py) on its own: no I/O.

Round trips of every frame type, streams cut at every byte, malformed,
truncated, oversized and unknown frames, hellos of the wrong version, and
the receiving end's handling of duplicates and gaps.
"""

from __future__ import annotations

import json
import random

import pytest
from hostile_clients_support import FUZZ, json_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessmux.core import resume_protocol
from sessmux.core.resume_protocol import Decoder, Frame, Inbox, ResumeError


def one(data: bytes) -> Frame:
    frames = Decoder().feed(data)
    assert len(frames) == 1
    return frames[0]


# -- round trips -------------------------------------------------------------


def test_hello_round_trip() -> None:
    frame = one(resume_protocol.encode_hello(id="rzab", token="t0k", recv=1234, fresh=True))
    assert frame.kind == resume_protocol.HELLO
    fields = resume_protocol.read_hello(frame)
    assert fields == {"v": resume_protocol.VERSION, "id": "rzab", "token": "t0k", "recv": 1234,
                      "fresh": True}


def test_data_round_trip_keeps_offset_and_bytes() -> None:
    payload = bytes(range(256)) * 3
    frame = one(resume_protocol.encode_data(2**40 + 7, payload))
    assert frame.kind == resume_protocol.DATA
    assert frame.offset == 2**40 + 7
    assert frame.data == payload


def test_empty_data_frame_is_allowed() -> None:
    frame = one(resume_protocol.encode_data(9, b""))
    assert (frame.offset, frame.data) == (9, b"")


def test_repaint_round_trip() -> None:
    frame = one(resume_protocol.encode_repaint(500, b"\x1b[H\x1b[2Jscreen"))
    assert frame.kind == resume_protocol.REPAINT
    assert frame.offset == 500
    assert frame.data == b"\x1b[H\x1b[2Jscreen"


def test_ack_round_trip() -> None:
    frame = one(resume_protocol.encode_ack(77))
    assert (frame.kind, frame.offset) == (resume_protocol.ACK, 77)


def test_ping_and_pong_carry_eight_bytes() -> None:
    ping = one(resume_protocol.encode(resume_protocol.PING, b"\x00\x01\x02\x03\x04\x05\x06\x07"))
    pong = one(resume_protocol.encode(resume_protocol.PONG, ping.payload))
    assert ping.kind == resume_protocol.PING and pong.kind == resume_protocol.PONG
    assert pong.payload == ping.payload


def test_winsize_round_trip() -> None:
    assert resume_protocol.winsize(one(resume_protocol.encode_winsize(50, 132))) == (50, 132)
    assert resume_protocol.winsize(one(resume_protocol.encode_winsize(65535, 1))) == (65535, 1)


@pytest.mark.parametrize("status", [0, 1, 3, 127, 129, 255, -1, 2**31 - 1])
def test_exit_round_trip(status: int) -> None:
    frame = one(resume_protocol.encode_exit(status))
    assert frame.kind == resume_protocol.EXIT
    assert resume_protocol.exit_status(frame) == status


def test_error_round_trip() -> None:
    frame = one(resume_protocol.encode(resume_protocol.ERROR, "no session «x»".encode()))
    assert frame.kind == resume_protocol.ERROR
    assert frame.payload.decode() == "no session «x»"


def test_every_kind_is_known_and_distinct() -> None:
    kinds = [
        resume_protocol.HELLO,
        resume_protocol.DATA,
        resume_protocol.ACK,
        resume_protocol.PING,
        resume_protocol.PONG,
        resume_protocol.WINSIZE,
        resume_protocol.REPAINT,
        resume_protocol.EXIT,
        resume_protocol.ERROR,
    ]
    assert len(set(kinds)) == len(kinds) == len(resume_protocol.KINDS)
    assert set(kinds) == resume_protocol.KINDS


# -- streams cut anywhere ------------------------------------------------------


def a_stream() -> tuple[bytes, list[tuple[str, bytes]]]:
    parts = [
        resume_protocol.encode_hello(id="s", token="t", recv=0),
        resume_protocol.encode_data(0, b"hello"),
        resume_protocol.encode_ack(5),
        resume_protocol.encode(resume_protocol.PING, b"12345678"),
        resume_protocol.encode(resume_protocol.PONG, b"12345678"),
        resume_protocol.encode_winsize(24, 80),
        resume_protocol.encode_repaint(5, b"\x1b[H"),
        resume_protocol.encode_data(5, b""),
        resume_protocol.encode_exit(3),
        resume_protocol.encode(resume_protocol.ERROR, b"bye"),
    ]
    expected = [(one(p).kind, one(p).payload) for p in parts]
    return b"".join(parts), expected


def test_stream_fed_one_byte_at_a_time() -> None:
    data, expected = a_stream()
    decoder = Decoder()
    got = []
    for i in range(len(data)):
        got += [(f.kind, f.payload) for f in decoder.feed(data[i : i + 1])]
    assert got == expected
    assert decoder.pending == 0


def test_stream_cut_at_random_places() -> None:
    data, expected = a_stream()
    rng = random.Random(5)
    for _ in range(200):
        cuts = sorted(rng.sample(range(1, len(data)), rng.randint(1, 8)))
        decoder = Decoder()
        got = []
        for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True):
            got += [(f.kind, f.payload) for f in decoder.feed(data[a:b])]
        assert got == expected


def test_truncated_frame_waits_for_the_rest() -> None:
    frame = resume_protocol.encode_data(0, b"abcdef")
    decoder = Decoder()
    assert decoder.feed(frame[:3]) == []  # not even a header yet
    assert decoder.feed(frame[3:-1]) == []  # header, payload short by one
    assert decoder.pending == len(frame) - 1
    assert [f.data for f in decoder.feed(frame[-1:])] == [b"abcdef"]


# -- malformed frames ----------------------------------------------------------


def test_unknown_frame_type_is_refused() -> None:
    with pytest.raises(ResumeError, match="unknown frame type b'Z'"):
        Decoder().feed(b"Z\x00\x00\x00\x00")


def test_unknown_type_is_refused_before_its_payload_arrives() -> None:
    # A garbled header must not make the decoder wait for a huge payload.
    with pytest.raises(ResumeError, match="unknown"):
        Decoder().feed(b"\x00\x7f\xff\xff\xff")


def test_oversized_frame_is_refused_from_its_header() -> None:
    header = resume_protocol.HEADER.pack(b"D", resume_protocol.MAX_PAYLOAD + 1)
    with pytest.raises(ResumeError, match="too large"):
        Decoder().feed(header)


def test_largest_frame_is_accepted() -> None:
    data = b"x" * (resume_protocol.MAX_PAYLOAD - resume_protocol.OFFSET.size)
    frame = one(resume_protocol.encode_data(0, data))
    assert frame.data == data


def test_encoder_refuses_an_oversized_payload() -> None:
    with pytest.raises(ResumeError, match="too large"):
        resume_protocol.encode(resume_protocol.DATA, b"x" * (resume_protocol.MAX_PAYLOAD + 1))


@pytest.mark.parametrize(
    "kind, size",
    [
        (resume_protocol.DATA, 7),
        (resume_protocol.REPAINT, 0),
        (resume_protocol.ACK, 7),
        (resume_protocol.ACK, 9),
        (resume_protocol.PING, 4),
        (resume_protocol.PONG, 9),
        (resume_protocol.WINSIZE, 3),
        (resume_protocol.WINSIZE, 5),
        (resume_protocol.EXIT, 2),
        (resume_protocol.EXIT, 8),
    ],
)
def test_fixed_size_frames_of_the_wrong_size_are_refused(kind: str, size: int) -> None:
    with pytest.raises(ResumeError, match=f"bad {kind} frame of {size} bytes"):
        Decoder().feed(resume_protocol.HEADER.pack(kind.encode(), size) + b"\x00" * size)


# -- hellos ------------------------------------------------------------------


def hello_frame(fields: object) -> Frame:
    return one(resume_protocol.encode(resume_protocol.HELLO, json.dumps(fields).encode()))


@pytest.mark.parametrize("version", [0, 2, "1", None])
def test_wrong_version_in_hello_is_refused(version: object) -> None:
    with pytest.raises(ResumeError, match="protocol version .* this side speaks 1"):
        resume_protocol.read_hello(hello_frame({"v": version, "recv": 0}))


def test_hello_without_version_is_refused() -> None:
    with pytest.raises(ResumeError, match="protocol version None"):
        resume_protocol.read_hello(hello_frame({"recv": 0}))


@pytest.mark.parametrize("recv", [-1, "12", 1.5, None, True, 1 << 64, 1e308])
def test_bad_received_offset_in_hello_is_refused(recv: object) -> None:
    with pytest.raises(ResumeError, match="bad received offset"):
        resume_protocol.read_hello(hello_frame({"v": resume_protocol.VERSION, "recv": recv}))


@pytest.mark.parametrize("field, value", [
    ("rows", 1e308), ("rows", 10**9), ("rows", 65536), ("rows", "24"), ("rows", True),
    ("cols", -1), ("cols", None), ("offset", 1 << 64), ("end", -5), ("token", "t" * 65),
    ("token", 7), ("id", ["rz"]), ("fresh", "yes"), ("fresh", 1), ("behind", None),
])
def test_a_hello_field_of_the_wrong_type_or_range_is_refused(field: str, value: object) -> None:
    with pytest.raises(ResumeError, match=f"bad field {field} in hello"):
        resume_protocol.read_hello(hello_frame({"v": resume_protocol.VERSION, field: value}))


def test_a_hello_as_either_side_sends_it_passes() -> None:
    client = {"v": 1, "id": "rz0123abcd", "token": "ab" * 8, "recv": 0, "fresh": True,
              "rows": 65535, "cols": 1}
    server = {"v": 1, "id": "x" * 64, "recv": (1 << 64) - 1, "offset": 5, "end": 9,
              "behind": False, "unknown": [1e308]}
    for fields in (client, server):
        assert resume_protocol.read_hello(hello_frame(fields)) == fields


def test_a_version_that_is_true_is_not_one() -> None:
    with pytest.raises(ResumeError, match="protocol version True"):
        resume_protocol.read_hello(hello_frame({"v": True}))


def test_missing_received_offset_means_nothing_received() -> None:
    assert (
        resume_protocol.read_hello(hello_frame({"v": resume_protocol.VERSION}))["v"]
        == resume_protocol.VERSION
    )


@pytest.mark.parametrize("payload", [b"not json", b"\xff\xfe", b"[1, 2]", b"7", b""])
def test_hello_that_is_not_a_json_object_is_refused(payload: bytes) -> None:
    with pytest.raises(ResumeError, match="bad H frame"):
        resume_protocol.read_hello(one(resume_protocol.encode(resume_protocol.HELLO, payload)))


def test_a_data_frame_is_not_a_hello() -> None:
    with pytest.raises(ResumeError, match="expected a hello, got a D frame"):
        resume_protocol.read_hello(one(resume_protocol.encode_data(0, b"{}")))


# -- the receiving end -----------------------------------------------------------


def test_inbox_takes_consecutive_data() -> None:
    inbox = Inbox()
    assert inbox.accept(0, b"abc") == b"abc"
    assert inbox.accept(3, b"def") == b"def"
    assert inbox.received == 6


def test_inbox_drops_a_full_duplicate() -> None:
    inbox = Inbox()
    inbox.accept(0, b"abcdef")
    assert inbox.accept(0, b"abcdef") == b""
    assert inbox.accept(2, b"cd") == b""
    assert inbox.received == 6


def test_inbox_keeps_only_the_new_part_of_an_overlap() -> None:
    inbox = Inbox()
    inbox.accept(0, b"abcd")
    assert inbox.accept(2, b"cdefg") == b"efg"
    assert inbox.received == 7


def test_inbox_refuses_a_gap() -> None:
    inbox = Inbox(10)
    with pytest.raises(ResumeError, match="gap in the stream: expected 10, got 11"):
        inbox.accept(11, b"x")
    assert inbox.received == 10  # nothing taken from the bad frame


def test_inbox_starts_where_told() -> None:
    inbox = Inbox(100)
    assert inbox.accept(95, b"0123456789") == b"56789"
    assert inbox.received == 105


def test_resend_after_reconnect_is_exact() -> None:
    """A sender resends from the receiver's offset; the receiver ends with one copy."""
    rng = random.Random(11)
    stream = bytes(rng.randrange(256) for _ in range(5000))
    inbox = Inbox()
    got = bytearray()
    sent = 0
    while inbox.received < len(stream):
        # Send a few frames, some of which are "lost" (a cut), then resume
        # from what the receiver says it has, overlapping on purpose.
        for _ in range(rng.randint(1, 5)):
            size = rng.randint(0, 300)
            chunk = stream[sent : sent + size]
            if rng.random() < 0.7:
                got += inbox.accept(sent, chunk)
            else:
                break  # lost: nothing after it arrives on this link either
            sent += len(chunk)
        sent = max(0, inbox.received - rng.randint(0, 50))  # the hello's "recv", minus slack
    assert bytes(got) == stream


# -- fuzz ----------------------------------------------------------------------


def a_hello(fields: dict[str, object]) -> bytes:
    return resume_protocol.encode(resume_protocol.HELLO, json.dumps(fields).encode())


a_frame = st.one_of(
    st.builds(a_hello, st.dictionaries(
        st.sampled_from(["v", "recv", "offset", "end", "rows", "cols", "id", "token",
                         "fresh", "behind", "other"]), json_values(), max_size=6)),
    st.builds(lambda kind, payload: resume_protocol.HEADER.pack(kind, len(payload)) + payload,
              st.sampled_from(sorted(k.encode() for k in resume_protocol.KINDS)) | st.binary(
                  min_size=1, max_size=1), st.binary(max_size=40)),
    st.binary(max_size=40),
)


def look_inside(frame: Frame) -> None:
    """Read a frame the way its receiver does."""
    if frame.kind == resume_protocol.HELLO:
        resume_protocol.read_hello(frame)
    elif frame.kind in (resume_protocol.DATA, resume_protocol.REPAINT, resume_protocol.ACK):
        assert 0 <= frame.offset < 1 << 64 and isinstance(frame.data, bytes)
    elif frame.kind == resume_protocol.WINSIZE:
        assert all(0 <= n <= 0xFFFF for n in resume_protocol.winsize(frame))
    elif frame.kind == resume_protocol.EXIT:
        resume_protocol.exit_status(frame)


@settings(max_examples=FUZZ, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(a_frame, max_size=6), st.data())
def test_resume_decoder_fuzz(frames: list[bytes], data: st.DataObject) -> None:
    """Whatever arrives, the decoder and a hello's check say ResumeError or give frames."""
    stream = b"".join(frames)
    decoder, pos = Decoder(), 0
    try:
        while pos < len(stream):
            step = data.draw(st.integers(1, 4096))
            for frame in decoder.feed(stream[pos : pos + step]):
                try:
                    look_inside(frame)
                except ResumeError:
                    continue
            pos += step
    except ResumeError:
        pass
