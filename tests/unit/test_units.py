"""Unit tests of the pure parts: names, paths, the frame codec, the ring."""

from __future__ import annotations

import json
import os
import random
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_clients_support import FUZZ, json_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessmux.core import control_protocol, jsonframe, names
from sessmux.core.errors import BadName
from sessmux.core.ring import Ring
from sessmux.system import paths, registry, unix
from sessmux.system.registry_entry import Entry

# -- names -------------------------------------------------------------------


@pytest.mark.parametrize("good", ["p7", "a0", "build", "db.prod-2", "X_1", "9" * 64])
def test_valid_names(good: str) -> None:
    assert names.check(good) == good


@pytest.mark.parametrize(
    "bad", ["", "../x", "a/b", "/abs", ".", "..", ".x", "-x", "x" * 65, "a\nb", "a\x00",
            "tab\t", "sp ace", "é", "x\x1b"]
)
def test_invalid_names(bad: str) -> None:
    assert not names.is_valid(bad)
    with pytest.raises(BadName) as e:
        names.check(bad)
    assert "\n" not in e.value.message and "\x1b" not in e.value.message


def test_short_names_follow_pty4_sets() -> None:
    all_names = names.all_short_names()
    assert len(all_names) == 26 * 16 and all_names[0] == "p0" and all_names[-1] == "of"


def test_candidates_skip_taken_and_cover_everything() -> None:
    taken = {"p0", "q3"}
    free = names.candidates(taken, random.Random(4))
    assert set(free) == set(names.all_short_names()) - taken
    assert len(free) == len(set(free))
    assert free[:3] != names.candidates(taken, random.Random(5))[:3]


def test_visible() -> None:
    assert names.visible("plain") == "plain"
    assert names.visible("a\x1b[31mb") == "a^[[31mb"
    assert names.visible("\x7f\x85") == "^?M-^E"
    assert names.visible("naïve, 日本") == "naïve, 日本"  # printable text stays as it is


def test_long_names_are_clipped_to_100_bytes() -> None:
    assert len(names.clip_long_name("x" * 300).encode()) == 100
    assert names.clip_long_name("é" * 60) == "é" * 50


# -- paths -------------------------------------------------------------------


def test_directory_preference_order() -> None:
    assert paths.candidate({}, 5, "/opt/x") == "/opt/x"
    assert paths.candidate({"SESSMUX_DIR": "/a", "XDG_RUNTIME_DIR": "/run/u"}, 5) == "/a"
    assert paths.candidate({"XDG_RUNTIME_DIR": "/run/u"}, 5) == "/run/u/sessmux"
    assert paths.candidate({"XDG_RUNTIME_DIR": "relative"}, 5) == "/tmp/sessmux-5"
    assert paths.candidate({"TMPDIR": "/var/tmp"}, 7) == "/var/tmp/sessmux-7"


def test_socket_path_never_escapes(tmp_path: object) -> None:
    with pytest.raises(BadName):
        paths.socket_path("/d", "../etc")
    assert paths.socket_path("/d", "p7") == "/d/p7"


# -- protocol ----------------------------------------------------------------


def test_round_trip_in_any_pieces() -> None:
    msgs = [control_protocol.hello(), {"t": "status"}, {"t": "setname", "name": "ünï \x1b"}]
    stream = b"".join(control_protocol.encode(m) for m in msgs)
    for cut in range(len(stream) + 1):
        d = control_protocol.Decoder()
        assert d.feed(stream[:cut]) + d.feed(stream[cut:]) == msgs


@given(st.lists(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=20),
                                max_size=4), max_size=5), st.data())
def test_round_trip_property(bodies: list[dict[str, object]], data: st.DataObject) -> None:
    msgs = [{**b, "t": "x"} for b in bodies]
    stream = b"".join(control_protocol.encode(m) for m in msgs)
    d, out, pos = control_protocol.Decoder(), [], 0
    while pos < len(stream):
        step = data.draw(st.integers(1, 50))
        out += d.feed(stream[pos : pos + step])
        pos += step
    assert out == msgs and d.pending == 0


def test_truncated_frame_waits() -> None:
    frame = control_protocol.encode({"t": "status"})
    d = control_protocol.Decoder()
    assert d.feed(frame[:-1]) == [] and d.pending == len(frame) - 1


@pytest.mark.parametrize(
    "raw",
    [
        struct.pack(">I", 0),
        struct.pack(">I", control_protocol.MAX_FRAME + 1),
        struct.pack(">I", 0xFFFFFFFF) + b"{}",
        struct.pack(">I", 3) + b"\xff\xfe\xfd",
        struct.pack(">I", 5) + b"[1,2]",
        struct.pack(">I", 2) + b"{}",
        struct.pack(">I", 8) + b'{"t": 5}',
        struct.pack(">I", 4) + b"nope",
    ],
)
def test_malformed_frames_raise(raw: bytes) -> None:
    with pytest.raises(control_protocol.ProtocolError):
        control_protocol.Decoder().feed(raw)


def test_oversized_message_refused() -> None:
    with pytest.raises(control_protocol.ProtocolError):
        control_protocol.encode({"t": "x", "pad": "y" * control_protocol.MAX_FRAME})
    with pytest.raises(control_protocol.ProtocolError):
        control_protocol.encode({"no": "type"})


def test_frame_layout_is_length_then_json() -> None:
    frame = control_protocol.encode({"t": "ok"})
    (size,) = struct.unpack(">I", frame[:4])
    assert size == len(frame) - 4 and json.loads(frame[4:]) == {"t": "ok"}


# -- requests: every field checked --------------------------------------------


@pytest.mark.parametrize("msg", [
    {"t": "hello", "v": 1},
    {"t": "attach", "mode": "rw", "force": False, "hold": True, "tty": True, "rows": 50,
     "cols": 132, "remote": "10.0.0.1 port 22", "detach_key": None},
    {"t": "attach", "mode": "ro", "framed": True, "token": "ab" * 8, "rows": 0, "cols": 0,
     "offset": (1 << 64) - 1},
    {"t": "winsize", "rows": 65535, "cols": 1, "force": True},
    {"t": "reco", "target": "p7", "force": False, "mode": "ro"},
    {"t": "reco", "target": None},
    {"t": "setname", "name": "x" * 4096},
    {"t": "status", "anything": [1e308]},
])
def test_requests_as_the_tools_send_them_pass(msg: control_protocol.Message) -> None:
    assert control_protocol.check(msg) is msg


@pytest.mark.parametrize("kind, field, value", [
    ("winsize", "rows", 1e308), ("winsize", "rows", 10**9), ("winsize", "rows", 65536),
    ("winsize", "rows", "24"), ("winsize", "rows", True), ("winsize", "rows", None),
    ("winsize", "cols", -1), ("winsize", "cols", 80.0), ("winsize", "force", 1),
    ("attach", "rows", [24]), ("attach", "offset", 1 << 64), ("attach", "offset", -1),
    ("attach", "offset", False), ("attach", "mode", "rwx"), ("attach", "token", "t" * 65),
    ("attach", "detach_key", 256), ("attach", "remote", {"ip": 1}), ("attach", "tty", "yes"),
    ("attach", "remote", "r" * 1025), ("setname", "name", None), ("setname", "name", 5),
    ("setname", "name", "x" * 4097), ("reco", "target", ["p7"]), ("hello", "v", "1"),
])
def test_a_field_of_the_wrong_type_or_range_is_refused(
        kind: str, field: str, value: object) -> None:
    msg = {"t": kind, "rows": 24, "cols": 80, "name": "n", "v": 1, field: value}
    with pytest.raises(control_protocol.ProtocolError, match=f"bad field {field} in {kind}"):
        control_protocol.check(msg)


def test_an_unknown_request_is_refused() -> None:
    with pytest.raises(control_protocol.ProtocolError, match="unknown request 'x'"):
        control_protocol.check({"t": "x"})


def frames_of(kind: str, fields: dict[str, object]) -> bytes:
    body = json.dumps({**fields, "t": kind}).encode()
    return struct.pack(">I", len(body)) + body


a_frame = st.one_of(
    # Requests with hostile fields: any JSON where each field goes.
    st.builds(
        frames_of,
        st.sampled_from([*control_protocol.REQUESTS, "other"]),
        st.dictionaries(
            st.sampled_from(
                sorted({f for fields in control_protocol.REQUESTS.values() for f in fields} | {"t"})
            ),
            json_values(),
            max_size=6,
        ),
    ),
    # A length with any body, and bytes that are no frame at all.
    st.builds(lambda body: struct.pack(">I", len(body)) + body, st.binary(max_size=200)),
    st.binary(max_size=40),
    st.just(struct.pack(">I", 60000) + b"[" * 60000),
)


@settings(max_examples=FUZZ, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(a_frame, max_size=6), st.data())
def test_control_decoder_fuzz(frames: list[bytes], data: st.DataObject) -> None:
    """Whatever arrives, the decoder and the check say ProtocolError or give a good request."""
    stream = b"".join(frames)
    decoder, pos = control_protocol.Decoder(), 0
    try:
        while pos < len(stream):
            step = data.draw(st.integers(1, 4096))
            for msg in decoder.feed(stream[pos : pos + step]):
                try:
                    control_protocol.check(msg)
                except control_protocol.ProtocolError:
                    continue
            pos += step
    except control_protocol.ProtocolError:
        pass
    assert decoder.pending <= control_protocol.MAX_FRAME + 4 + 4096


# -- ring --------------------------------------------------------------------


def test_ring_keeps_the_newest_bytes() -> None:
    r = Ring(10)
    for i in range(100):
        r.append(bytes([48 + i % 10]) * 3)
    assert r.end == 300 and r.start == 290 and len(r.tail()) == 10
    assert r.since(295) == r.tail()[5:]
    assert r.since(289) is None and r.since(300) == b""


def test_ring_disabled() -> None:
    r = Ring(0)
    r.append(b"abc")
    assert r.end == 3 and r.tail() == b"" and r.since(3) == b"" and r.since(0) is None


@given(st.integers(0, 64), st.lists(st.binary(max_size=40), max_size=30))
def test_ring_matches_a_plain_model(capacity: int, chunks: list[bytes]) -> None:
    r, everything = Ring(capacity), b""
    for chunk in chunks:
        r.append(chunk)
        everything += chunk
        kept = everything[max(0, len(everything) - capacity) :] if capacity else b""
        assert r.tail() == kept and r.end == len(everything)
        for offset in range(len(everything) + 1):
            got = r.since(offset)
            if offset >= len(everything) - len(kept):
                assert got == everything[offset:]
            else:
                assert got is None


@given(st.integers(1, 64), st.lists(st.binary(min_size=1, max_size=40), max_size=30),
       st.integers(1, 100))
def test_ring_limited_reads(capacity: int, chunks: list[bytes], limit: int) -> None:
    r, everything = Ring(capacity), b""
    for chunk in chunks:
        r.append(chunk)
        everything += chunk
    for offset in range(r.start, r.end + 1):
        assert r.since(offset, limit) == everything[offset : offset + limit]


def test_registry_prune_removes_only_long_dead_entries_of_this_user(tmp_path: Path) -> None:
    folder = str(tmp_path)
    uid, now = os.getuid(), time.time()
    dead_pid = 2 ** 22 + 17  # above any pid this machine hands out by default
    old = Entry(folder, "old", dead_pid, now - registry.KEEP - 100)
    old.ended()
    young = Entry(folder, "young", dead_pid + 1, now - 50)
    young.ended()
    alive = Entry(folder, "alive", os.getpid(), now)
    alive.connected("")
    aged = now + registry.KEEP + 10  # as seen a day later: "old" and "young" are both over
    registry.prune(folder, uid, now)
    assert sorted(r.name for r in registry.read_all(folder)) == ["alive", "old", "young"]
    registry.prune(folder, uid, aged)
    # Ended a day ago: gone.  A live master's entry stays, whatever its age.
    assert sorted(r.name for r in registry.read_all(folder)) == ["alive"]


@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=20))
def test_jsonframe_round_trips_like_json(value: object) -> None:
    text = jsonframe.dumps(value)
    assert text == json.dumps(value, separators=(",", ":"))
    assert jsonframe.loads(text) == value


@pytest.mark.parametrize("text", ['{"a":1', "[1] x", "NaN", "", '{"a": Infinity}', "{'a': 1}"])
def test_jsonframe_refuses_what_is_not_one_json_document(text: str) -> None:
    with pytest.raises(ValueError):
        jsonframe.loads(text)


def test_jsonframe_refuses_bad_input_in_a_lean_process() -> None:
    # Without json.decoder loaded, the C scanner cannot raise its own error.
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from sessmux.core import jsonframe\n"
            "try:\n    jsonframe.loads('{\"a\":1')\n"
            "except ValueError as e:\n    print('refused', e)")
    repo = str(Path(__file__).resolve().parent.parent.parent)
    out = subprocess.run([sys.executable, "-S", "-c", code, repo], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.startswith("refused Expecting ','")


@pytest.mark.parametrize(
    "module",
    [
        "sessmux.master.loop",
        "sessmux.master.forkserver",
        "sessmux.commands.sess",
        "sessmux.commands.sessmux",
        "sessmux.commands.reconnect",
        "sessmux.commands.disconnect",
        "sessmux.commands.sesslist",
    ],
)
def test_the_tools_and_the_master_start_lean(module: str) -> None:
    # Every master is a process of its own: these would cost each one
    # hundreds of kilobytes (typing alone a megabyte) and every tool milliseconds.
    heavy = {"typing", "re", "json", "dataclasses", "traceback", "getopt", "gettext", "random",
             "ctypes", "site", "pyte", "psutil", "socket", "signal", "enum", "selectors"}
    if module.startswith("sessmux.commands."):
        heavy.add("collections")  # the master needs a deque; the tools need nothing of it
    code = (f"import sys; sys.path.insert(0, sys.argv[1]); import {module}; "
            "print(' '.join(sorted(sys.modules)))")
    repo = str(Path(__file__).resolve().parent.parent.parent)
    loaded = subprocess.run([sys.executable, "-S", "-c", code, repo], capture_output=True,
                            text=True, timeout=60, check=True).stdout.split()
    assert not heavy & set(loaded), sorted(heavy & set(loaded))


@pytest.mark.parametrize("name", [
    "sessmux.core.jsonframe", "sessmux.core.names", "sessmux.core.control_protocol",
    "sessmux.core.render", "sessmux.core.resume_protocol", "sessmux.core.ring",
    "sessmux.core.screen", "sessmux.system.settings", "sessmux.system.signals",
    "sessmux.system.unix", "sessmux.core.vtparse", "sessmux.core.vtcodes", "sessmux.master.hold",
    "sessmux.remote.escapes", "sessmux.system.ready"
])
def test_module_header_examples(name: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted and not result.failed


def test_a_socket_name_appears_only_once_it_listens(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Binding claims a session's name: nobody may find the name and be refused
    (a listing or another start would take it for a dead master's and remove it)."""
    path = str(tmp_path / "p1")
    exists_when_listening: list[bool] = []

    class Watched(unix.Socket):
        def listen(self, backlog: int = 16, /) -> None:
            exists_when_listening.append(os.path.exists(path))
            super().listen(backlog)

    monkeypatch.setattr(unix, "Socket", Watched)
    with unix.listen_at(path):
        assert exists_when_listening == [False]
        with unix.Socket() as probe:
            probe.connect(path)
        with pytest.raises(FileExistsError):
            unix.listen_at(path)
        assert os.listdir(tmp_path) == ["p1"]  # no private name left behind
    # Sessions claim their names this way, on the tool's side and in the master.
    from sessmux.master import spawn

    path = str(tmp_path / "p2")
    name, sock = spawn.claim(str(tmp_path), "p2")
    with sock:
        assert name == "p2" and exists_when_listening[-1] is False


def test_a_socket_name_too_long_for_the_private_one_is_bound_directly(tmp_path: Path) -> None:
    # The longest directory where a one-letter name fits and the private name does not.
    deep = tmp_path
    while len(str(deep)) < 100:
        deep = deep / ("d" * min(20, max(1, 100 - len(str(deep)) - 1)))
    deep.mkdir(parents=True)
    path = str(deep / "a")
    assert len(path.encode()) <= 107 < len(str(deep / f".{os.getpid()}-12345678.new").encode())
    with unix.listen_at(path):
        with unix.Socket() as probe:
            probe.connect(path)
        with pytest.raises(FileExistsError):
            unix.listen_at(path)


@pytest.mark.parametrize(("after", "said"), [
    ("", "written"),  # buffered output (stdout is a pipe) is flushed first
    ("import atexit; atexit.register(lambda: print('at exit'))\n", "written\nat exit"),
    ("import threading, time\n"
     "threading.Thread(target=lambda: (time.sleep(0.2), print('thread done'))).start()\n",
     "written\nthread done"),
])
def test_a_command_leaves_with_its_code_and_all_it_had_to_say(after: str, said: str) -> None:
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from sessmux.commands.cli import leave\n"
            f"{after}print('written')\nleave(3)")
    repo = str(Path(__file__).resolve().parent.parent.parent)
    done = subprocess.run([sys.executable, "-S", "-c", code, repo], capture_output=True,
                          text=True, timeout=60)
    assert (done.returncode, done.stdout.strip(), done.stderr) == (3, said, "")


def test_ready_waits_on_descriptors_past_selects_ceiling() -> None:
    import resource

    from sessmux.system.ready import ready

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2048:
        pytest.skip("the descriptor limit is under 2048")
    resource.setrlimit(resource.RLIMIT_NOFILE, (2048, hard))
    r, w = os.pipe()
    high = os.dup2(r, 1500)  # select() refuses this one
    try:
        assert ready([high], [], 0) == ([], [])
        os.write(w, b"x")
        assert ready([high], [w], 1) == ([high], [w])
        os.close(w)
        w = -1
        os.read(high, 1)
        assert ready([high], [], 1) == ([high], [])  # the end of the pipe is ready too
    finally:
        for fd in (r, high, w):
            if fd >= 0:
                os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
