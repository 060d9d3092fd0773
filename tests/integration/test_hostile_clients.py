"""A master's own clients cannot kill it or exhaust it.

Buggy or half-written clients at real sockets against real masters:
every request with every field given wrong types and extreme values,
descriptors sent along with every request, a ``sessmux -s`` link whose
reader never reads, a master at its descriptor limit, and a master whose
``-o`` log is on a full filesystem.  After each attack the session is
alive, the master answers a status request within a second with its
memory bounded, and a fresh terminal attaches and sees the session's
screen.  (The decoders on their own are fuzzed in test_units.py and
test_resume_protocol.py.)
"""

from __future__ import annotations

import errno
import json
import os
import resource
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from conftest import MakeTerminal
from hostile_clients_support import (
    RawClient,
    assert_intact,
    master_pid,
    proc_cpu_seconds,
    proc_fds,
    proc_rss_kib,
    status_in_time,
)
from terminal import Terminal, start_detached, wait_until

from sessmux.core import resume_protocol

SCREEN = "hostile-screen-42"
PROGRAM = ("sh", "-c", "echo hostile-screen-$((6*7)); exec cat")
GROWTH_KIB = 32 * 1024  # what an attack may add to a master's memory at most
PINGS = 64 * 10**6  # bytes of pings that would show pongs queued without bound

# Values no field accepts: not a size, an offset, a flag, a name or a key.
NEVER = [[], [24], {"rows": 24}, 1e308, float("nan"), float("inf"), -1, 10**30, 1.5,
         "x" * 60000]
# ... and these, wherever a number (a size, an offset, a key) is wanted.
NOT_NUMBERS = ["24", True, False]
FIELDS = {
    "hello": ["v"],
    "setname": ["name"],
    "reco": ["target", "mode", "force"],
    "winsize": ["rows", "cols", "force"],
    "attach": ["mode", "force", "hold", "tty", "framed", "rows", "cols", "offset", "token",
               "remote", "detach_key"],
}
NUMBERS = {"v", "rows", "cols", "offset", "detach_key"}
SIZES = {"rows", "cols"}


def detached_session(env: dict[str, str]) -> str:
    name = start_detached(env, *PROGRAM)
    return name


def a_pair() -> tuple[socket.socket, socket.socket]:
    """What an attach passes: the master gets one end as the client's stdin and stdout."""
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)


def good(kind: str) -> dict[str, object]:
    """A request of ``kind`` that the master takes."""
    return {
        "hello": {"t": "hello", "v": 1},
        "setname": {"t": "setname", "name": "hostile"},
        "reco": {"t": "reco", "target": None},
        "winsize": {"t": "winsize", "rows": 30, "cols": 90},
        "attach": {"t": "attach", "mode": "ro", "tty": False, "rows": 24, "cols": 80},
    }[kind]


def send_one(sessdir: Path, name: str, kind: str, field: str, value: object
             ) -> dict[str, object] | None:
    """Send ``kind`` with ``field`` set to ``value`` the way a client would; the answer."""
    msg = {**good(kind), field: value}
    ours, theirs = a_pair()
    if kind == "hello":
        raw = RawClient(sessdir, name, greet=False)
        raw.send(msg)
    elif kind == "winsize":
        # Only the read-write connection's sizes count: be that connection first.
        raw = RawClient(sessdir, name)
        raw.send({"t": "attach", "mode": "rw", "force": True, "hold": True, "tty": True},
                 [theirs.fileno(), theirs.fileno()])
        assert (raw.answer() or {}).get("t") == "attached"
        raw.send(msg)
    else:
        raw = RawClient(sessdir, name)
        raw.send(msg, [theirs.fileno(), theirs.fileno()] if kind == "attach" else None)
    raw.send({"t": "status"})  # some requests have no reply: this one answers then
    theirs.close()
    try:
        reply = raw.answer()
        # Whatever it is, it comes at once, and a broken rule closes the connection.
        if reply is not None and str(reply.get("msg")).startswith("protocol error"):
            assert raw.closed(), reply
        return reply
    finally:
        raw.close()
        ours.close()


def test_every_field_of_every_request_with_hostile_values(
        env: dict[str, str], sessdir: Path, make_terminal: MakeTerminal) -> None:
    name = detached_session(env)
    pid = master_pid(sessdir, name)
    rss = proc_rss_kib(pid)
    for kind, fields in FIELDS.items():
        for field in fields:
            bad = NEVER + (NOT_NUMBERS if field in NUMBERS else [])
            if field in SIZES:
                bad += [10**9, 65536]
            if field in ("v", "name") or kind == "winsize" and field in SIZES:
                bad.append(None)  # required
            for value in bad:
                reply = send_one(sessdir, name, kind, field, value)
                assert reply is not None and reply["t"] == "error", (kind, field, value)
                text = str(reply["msg"])
                assert (f"bad field {field}" in text or "undecodable frame" in text
                        or kind == "hello" and "version mismatch" in text), (kind, field, value)
            for value in [None, "ro", True, 10**9, 65535, 0, ""]:
                send_one(sessdir, name, kind, field, value)  # an answer, whatever it is
            status_in_time(sessdir, name)
    assert proc_rss_kib(pid) - rss < GROWTH_KIB
    assert_intact(sessdir, name, make_terminal, SCREEN)


@pytest.mark.parametrize("kind, says", [("setname", "bad field name"),
                                         ("winsize", "bad field rows"),
                                         ("attach", "attach without its two descriptors")])
def test_requests_missing_what_they_need_are_refused_at_once(
        env: dict[str, str], sessdir: Path, kind: str, says: str) -> None:
    name = detached_session(env)
    for msg in ({"t": kind}, {"t": kind, "surplus": {"deep": [1e308]}}):
        raw = RawClient(sessdir, name)
        raw.send(msg)
        reply = raw.answer()
        assert reply is not None and reply["t"] == "error" and says in str(reply["msg"]), msg
        assert raw.closed()
        raw.close()
    status_in_time(sessdir, name)


def test_frames_that_are_not_requests(env: dict[str, str], sessdir: Path,
                                      make_terminal: MakeTerminal) -> None:
    name = detached_session(env)
    pid = master_pid(sessdir, name)
    rss = proc_rss_kib(pid)
    frames = [b"[" * 60000, b'{"t": "nonsense"}', b'{"t": 5}', b"\xff\xfe", b"NaN",
              b'{"t": "status", "x": ' + b"9" * 5000 + b"}", b'{"t": "hello"}']
    for body in frames:
        raw = RawClient(sessdir, name)
        raw.send_raw(struct.pack(">I", len(body)) + body)
        reply = raw.answer()
        assert reply is not None and reply["t"] == "error", body[:20]
        assert raw.closed()
        raw.close()
    raw = RawClient(sessdir, name)
    raw.send_raw(struct.pack(">I", 0xFFFFFFFF))
    assert (raw.answer() or {}).get("t") == "error"
    raw.close()
    assert proc_rss_kib(pid) - rss < GROWTH_KIB
    assert_intact(sessdir, name, make_terminal, SCREEN)


def test_descriptors_come_only_with_attach(env: dict[str, str], sessdir: Path,
                                           make_terminal: MakeTerminal) -> None:
    name = detached_session(env)
    pid = master_pid(sessdir, name)
    null = os.open("/dev/null", os.O_RDWR)
    try:
        kinds = [{"t": "status"}, {"t": "setname", "name": "x"}, {"t": "disconnect"},
                 {"t": "reco", "target": None}, {"t": "cont"}, {"t": "go"},
                 {"t": "winsize", "rows": 24, "cols": 80}, {"t": "hello", "v": 1},
                 {"t": "attach", "rows": "bad"}, {"t": "no-such-request"}]
        raw = RawClient(sessdir, name)
        raw.send({"t": "status"})
        raw.answer()
        base = proc_fds(pid)  # with this connection open
        for msg in kinds[:3]:
            # Many of them, four descriptors each, on one connection (was: kept for ever).
            for _ in range(300):
                raw.send(msg, [null] * 4)
                assert raw.answer() is not None
        wait_until(lambda: proc_fds(pid) == base, 5, "descriptors closed")
        raw.close()
        for msg in kinds:
            one = RawClient(sessdir, name)
            one.send(msg, [null] * 3)
            one.send({"t": "status"})
            one.answer()
            wait_until(lambda: proc_fds(pid) <= base, 5, f"descriptors of {msg} closed")
            one.close()
        # An attach takes its two and no more: the third is closed at once.
        ours, theirs = a_pair()
        one = RawClient(sessdir, name)
        one.send({"t": "status"})
        one.answer()
        before = proc_fds(pid)
        one.send({"t": "attach", "mode": "ro", "tty": False}, [theirs.fileno()] * 2 + [null])
        theirs.close()
        assert (one.answer() or {}).get("t") == "attached"
        # Its input and output (copies of the two), and not the third.
        wait_until(lambda: proc_fds(pid) == before + 2, 5, "the third descriptor closed")
        one.close()
        ours.close()
    finally:
        os.close(null)
    assert_intact(sessdir, name, make_terminal, SCREEN)


def sessmux_s(env: dict[str, str], name: str, link: socket.socket) -> subprocess.Popen[bytes]:
    """``sessmux -s -f -a NAME`` as rezume runs it over ssh; ``link`` is its stdin and stdout."""
    return subprocess.Popen(["sessmux", "-s", "-f", "-a", name], env=env, stdin=link,
                            stdout=link, stderr=subprocess.PIPE)


def read_frames(link: socket.socket, timeout: float = 5.0) -> list[resume_protocol.Frame]:
    """Frames until the link is quiet or closed."""
    decoder, frames = resume_protocol.Decoder(), []
    link.settimeout(timeout)
    while True:
        try:
            data = link.recv(65536)
        except (TimeoutError, ConnectionResetError):  # it left what we sent unread
            return frames
        if not data:
            return frames
        frames += decoder.feed(data)
        link.settimeout(0.5)


@pytest.mark.parametrize("fields", [
    {"rows": 1e308, "cols": 80}, {"rows": 10**9, "cols": 80}, {"rows": "24"},
    {"recv": 10**30}, {"token": "t" * 1000}, {"fresh": "yes"}, {"v": True},
])
def test_a_damaged_resume_hello(env: dict[str, str], sessdir: Path,
                                make_terminal: MakeTerminal, fields: dict[str, object]) -> None:
    name = detached_session(env)
    ours, theirs = socket.socketpair()
    proc = sessmux_s(env, name, theirs)
    theirs.close()
    try:
        ours.sendall(resume_protocol.encode(resume_protocol.HELLO, json.dumps(
            {"v": 1, "token": "t0", "recv": 0, "fresh": True, **fields}).encode()))
        frames = read_frames(ours)
        assert [f.kind for f in frames] == [resume_protocol.ERROR], frames
        assert proc.wait(10) == 11
        assert b"resume protocol" in proc.stderr.read()  # type: ignore[union-attr]
    finally:
        ours.close()
        proc.kill()
        proc.wait()
    assert_intact(sessdir, name, make_terminal, SCREEN)


def test_pings_never_read_are_not_queued_without_bound(
        env: dict[str, str], sessdir: Path, make_terminal: MakeTerminal) -> None:
    name = detached_session(env)
    pid = master_pid(sessdir, name)
    ours, theirs = socket.socketpair()
    proc = sessmux_s(env, name, theirs)
    theirs.close()
    try:
        ours.sendall(resume_protocol.encode_hello(token="t0", recv=0, fresh=True, rows=24, cols=80))
        wait_until(lambda: status_in_time(sessdir, name)["connected"], what="attached")
        rss = proc_rss_kib(pid)
        # Pings as fast as the master takes them, reading nothing back, until
        # the master has stopped taking them for a while (or took too many).
        ping = resume_protocol.encode(resume_protocol.PING, b"12345678") * 4096
        ours.setblocking(False)
        sent, stuck_since, dropped = 0, None, False
        while sent < PINGS:
            try:
                # Whole frames: a send cut short goes on where it stopped.
                sent += ours.send(ping[sent % len(ping) :])
                stuck_since = None
            except BlockingIOError:
                stuck_since = stuck_since or time.monotonic()
                if time.monotonic() - stuck_since > 2.0:
                    break
                time.sleep(0.01)
            except OSError:
                dropped = True
                break
        assert dropped or sent < PINGS, "the master took every ping"
        assert proc_rss_kib(pid) - rss < GROWTH_KIB, (sent, proc_rss_kib(pid) - rss)
        status_in_time(sessdir, name)
    finally:
        ours.close()
        proc.kill()
        proc.wait()
    assert_intact(sessdir, name, make_terminal, SCREEN)


def test_a_master_at_its_descriptor_limit_does_not_spin(
        env: dict[str, str], sessdir: Path, make_terminal: MakeTerminal) -> None:
    name = detached_session(env)
    pid = master_pid(sessdir, name)
    # A terminal already attached keeps working throughout.
    term = make_terminal()
    term.mark()
    term.line(f"sess reconnect {name}")
    term.expect(SCREEN)
    limit = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    held: list[socket.socket] = []
    try:
        soft = proc_fds(pid) + 2
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, limit[1]))
        for _ in range(40):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.setblocking(False)
            try:
                sock.connect(str(sessdir / name))
            except BlockingIOError:
                sock.close()
                break  # the backlog is full: the master accepts no more, as wanted
            held.append(sock)
        wait_until(lambda: proc_fds(pid) >= soft, what="the master at its descriptor limit")
        assert len(held) > 4  # more are waiting than it can take
        cpu = proc_cpu_seconds(pid)
        term.send("still-typing\r")
        term.expect(r"still-typing\r?\n[\s\S]*still-typing")
        time.sleep(2.0)  # measuring a rate: CPU used over a fixed stretch of time
        used = proc_cpu_seconds(pid) - cpu
        assert used < 0.5, f"master used {used:.2f} s of CPU in 2 s at its descriptor limit"
    finally:
        for sock in held:
            sock.close()
        resource.prlimit(pid, resource.RLIMIT_NOFILE, limit)
    wait_until(lambda: _answers(sessdir, name), what="the master accepting again")
    term.send("after-limit\r")
    term.expect(r"after-limit\r?\n[\s\S]*after-limit")
    assert_intact(sessdir, name, make_terminal, SCREEN)


def _answers(sessdir: Path, name: str) -> bool:
    try:
        status_in_time(sessdir, name)
    except Exception:  # noqa: BLE001 - polled until it answers
        return False
    return True


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to mount a small tmpfs to fill")
def test_a_log_on_a_full_filesystem(env: dict[str, str], sessdir: Path,
                                    make_terminal: MakeTerminal) -> None:
    mount = Path(tempfile.mkdtemp(prefix="sessmux-full-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], check=True)
    try:
        log = mount / "log"
        name = "full"
        subprocess.run(["sessmux", "-n", "-w", "-d", "3", "-o", str(log), name, *PROGRAM], env=env,
                       stdin=subprocess.DEVNULL, check=True, timeout=30)
        wait_until(lambda: log.exists(), what="the log")
        filler = mount / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while True:
                os.write(fd, b"x" * 512)
        except OSError as e:
            assert e.errno == errno.ENOSPC
        finally:
            os.close(fd)
        # Requests the master logs, while it cannot write its log (the log's
        # last page takes a few lines still: more than a page of them).
        for _ in range(60):
            raw = RawClient(sessdir, name)
            raw.send({"t": "winsize", "rows": 1e308, "cols": 80})
            assert raw.closed()
            raw.close()
        assert log.read_text().count("bad field rows") < 60
        assert_intact(sessdir, name, make_terminal, SCREEN)
        filler.unlink()
        raw = RawClient(sessdir, name)
        raw.send({"t": "bogus"})
        assert raw.closed()
        raw.close()
        wait_until(lambda: "log lines lost (No space left on device)" in log.read_text(),
                   what="the lost lines reported")
        status_in_time(sessdir, name)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
        shutil.rmtree(mount, ignore_errors=True)


HOSTILE = r"""
import json, os, socket, struct, sys
path = sys.argv[1]
null = os.open("/dev/null", os.O_RDWR)

def frame(msg):
    body = json.dumps(msg).encode()
    return struct.pack(">I", len(body)) + body

def ask(msg, fds=()):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(1)
    s.connect(path)
    data = frame({"t": "hello", "v": 1}) + frame(msg)
    if fds:
        socket.send_fds(s, [data], list(fds))
    else:
        s.sendall(data)
    data = s.recv(65536)
    s.close()
    return json.loads(data[4:4 + struct.unpack(">I", data[:4])[0]])["t"] if data else "closed"

a, b = socket.socketpair()
print(ask({"t": "attach", "rows": 1e308, "cols": 80, "force": True}, [b.fileno()] * 2))
print(ask({"t": "attach", "rows": 10**9, "cols": 80, "force": True}, [b.fileno()] * 2))
print(ask({"t": "setname", "name": ["x"]}))
print(sum(ask({"t": "status"}, [null] * 4) == "status" for _ in range(200)))
"""


@pytest.mark.skipif(os.getuid() != 0, reason="creating a user needs root")
def test_an_ordinary_users_master_against_their_own_buggy_client() -> None:
    from users import as_user, ensure_user, user_world

    user = ensure_user("sessmux-test")
    with user_world(user, "sessmux-hostile-") as (top, python, base):
        home = Path(base["HOME"])
        sessdir = Path(base["SESSMUX_DIR"])
        env = dict(base, TERM="xterm", PS1="$ ", INPUTRC=str(top / "inputrc"))
        subprocess.run(as_user(user, "sessmux", "-n", "-w", "mine", *PROGRAM), env=env,
                       check=True, timeout=60, stdin=subprocess.DEVNULL)
        pid = master_pid(sessdir, "mine")
        fds, rss = proc_fds(pid), proc_rss_kib(pid)
        (home / "hostile.py").write_text(HOSTILE)
        result = subprocess.run(as_user(user, python, str(home / "hostile.py"),
                                        str(sessdir / "mine")),
                                env=env, capture_output=True, text=True, timeout=60)
        assert result.stdout.split() == ["error", "error", "error", "200"], result.stderr
        status_in_time(sessdir, "mine")
        # At most as many as before (the tool that started it may still have been connected).
        wait_until(lambda: proc_fds(pid) <= fds, 5, "the descriptors closed")
        assert proc_rss_kib(pid) - rss < GROWTH_KIB
        term = Terminal(env, argv=as_user(user, "bash", "--norc", "--noprofile", "-i"),
                        cwd=str(home), owner=(user.pw_uid, user.pw_gid))
        try:
            term.expect(r"\$ ")
            term.line("sess reconnect mine")
            term.expect(SCREEN)
            term.send("typed-after-attack\r")
            term.expect(r"typed-after-attack\r?\n[\s\S]*typed-after-attack")
        finally:
            term.close()
