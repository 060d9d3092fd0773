"""The control protocol's constructors: one per kind, each on the wire as before.

The bytes are those the tools and masters exchanged before the
constructors existed (a fork server or a client of the previous release
still reads them), and every request a constructor builds passes the
master's field checks.
"""

from __future__ import annotations

import pytest

from sessmux.core import control_protocol as cp
from sessmux.core.errors import COMMS, ELSEWHERE, ProtocolError

HELLO = {"token": "ab", "hold_for": 300, "rows": 40, "cols": 100, "recv": 7}

# (built, its JSON body as hand-written dicts put it on the wire)
WIRE = [
    (cp.hello(), '{"t":"hello","v":1}'),
    (cp.status(), '{"t":"status"}'),
    (cp.setname("build"), '{"t":"setname","name":"build"}'),
    (cp.disconnect(), '{"t":"disconnect"}'),
    (cp.reco("xy", True), '{"t":"reco","target":"xy","force":true}'),
    (cp.reco(None, False, "ro"), '{"t":"reco","target":null,"force":false,"mode":"ro"}'),
    (cp.kill(), '{"t":"kill"}'),
    (cp.winsize(24, 80, False), '{"t":"winsize","rows":24,"cols":80,"force":false}'),
    (cp.cont(), '{"t":"cont"}'),
    (cp.go(), '{"t":"go"}'),
    (cp.attach("rw", False, True, 24, 80, "host", 1),
     '{"t":"attach","mode":"rw","force":false,"hold":true,"tty":true,"rows":24,"cols":80,'
     '"remote":"host","detach_key":1}'),
    (cp.attach("rw", True, False, 24, 80, "", None, resume=HELLO),
     '{"t":"attach","mode":"rw","force":true,"hold":true,"tty":false,"rows":40,"cols":100,'
     '"remote":"","detach_key":null,"framed":true,"token":"ab","hold_for":300,"offset":7}'),
    (cp.attach("rw", True, False, 0, 0, "", None, resume={**HELLO, "fresh": True}),
     '{"t":"attach","mode":"rw","force":true,"hold":true,"tty":false,"rows":40,"cols":100,'
     '"remote":"","detach_key":null,"framed":true,"token":"ab","hold_for":300}'),
    (cp.ok(), '{"t":"ok"}'),
    (cp.error(ELSEWHERE, "already connected"),
     '{"t":"error","code":16,"msg":"already connected"}'),
    (cp.status_reply(name="ab", pid=5), '{"t":"status","name":"ab","pid":5}'),
    (cp.attached("ab", 3, offset=9), '{"t":"attached","name":"ab","input":3,"offset":9}'),
    (cp.stopped(20), '{"t":"stopped","sig":20}'),
    (cp.exited(3), '{"t":"exited","code":3}'),
    (cp.reco_notice(None), '{"t":"reco","target":null}'),
    (cp.reco_notice({"target": "xy", "mode": None, "force": False}),
     '{"t":"reco","target":"xy","mode":null,"force":false}'),
    (cp.ended("takenover"), '{"t":"takenover"}'),
    (cp.disconnected("gap"), '{"t":"disconnected","error":"gap"}'),
]


@pytest.mark.parametrize("msg, body", WIRE, ids=[body[6:20] for _, body in WIRE])
def test_a_constructor_puts_on_the_wire_what_was_there_before(msg: cp.Message,
                                                               body: str) -> None:
    frame = cp.encode(msg)
    assert frame == len(body).to_bytes(4, "big") + body.encode()
    assert cp.Decoder().feed(frame) == [msg]


def test_every_request_built_passes_the_masters_check() -> None:
    built = {msg["t"] for msg, _ in WIRE}
    assert built | set(cp.ENDINGS) == set(cp.KINDS)  # every kind has its constructor
    for msg, _ in WIRE:
        if msg["t"] in cp.REQUESTS:  # (a reply named like a request passes too)
            assert cp.check(msg) is msg


def test_an_ending_is_one_of_the_endings() -> None:
    for kind in cp.ENDINGS:
        assert cp.ended(kind) == {"t": kind}
    with pytest.raises(ValueError):
        cp.ended("ok")


def test_the_protocol_error_is_the_one_of_core_errors() -> None:
    assert cp.ProtocolError is ProtocolError
    with pytest.raises(ProtocolError):
        cp.check({"t": "winsize", "rows": True, "cols": 80})
    assert cp.error(COMMS, "x")["code"] == COMMS
