"""``rezume`` over real SSH, with a fault-injecting proxy in the path.

Each test starts its own ``sshd`` on 127.0.0.1 (tests/sshd.py), puts a
:class:`FaultProxy` between ``ssh`` and ``sshd``, and logs in as an
unprivileged user whose sessions live in the test's own directory.  The
local side is a real pty (tests/terminal.py) with ``rezume`` in it.  The
link is cut (both ways, as a dropped network once noticed) or black-holed
(packets lost, no reset: only keepalives notice).  Every process started
is killed by pid at the end.

Without sshd or root the SSH tests are skipped; the bad-input tests on a
pipe run everywhere.
"""

from __future__ import annotations

import os
import pwd
import random
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
import sshd
from faultproxy import FaultProxy
from terminal import ROOT, Terminal, base_env, kill_sessions, wait_until

from sessmux import client, resume

USER = "sessmux-rz"  # our own login user: other files' cleanups never touch it
USER_HOME = Path("/var/tmp/sessmux-rz-home")  # fixed: runs side by side never change it
KEEPALIVE = 0.5  # seconds; three missed ones declare the link dead
REZUME_DEADLINE = 40.0

# What rezume itself writes between the session's bytes: the outage status
# line (cursor saved, bottom line, reverse video, cursor restored), its
# removal at exit, and the repaint the server sends on resync, which starts
# by hiding the cursor and ends by showing it again.
STATUS_LINE = re.compile(rb"\x1b7\x1b\[\d+;1H\x1b\[0;7m\x1b\[2K(rezume: [^\x1b]*)\x1b\[0m\x1b8")
STATUS_CLEAR = re.compile(rb"\x1b7\x1b\[999;1H\x1b\[2K\x1b8")
REPAINT = re.compile(rb"\x1b\[\?25l\x1b\[\?1049l.*?\x1b\[\?25h", re.DOTALL)


def session_bytes(captured: bytes) -> bytes:
    """What the terminal got, without rezume's own status lines and repaints."""
    for pattern in (REPAINT, STATUS_LINE, STATUS_CLEAR):
        captured = pattern.sub(b"", captured)
    return captured


def statuses(directory: Path) -> dict[str, dict[str, object]]:
    return {str(st["name"]): st for st in client.statuses(str(directory))}


# -- the remote end: a user, a copy of the checkout, sshd, a proxy ---------------


def _user() -> pwd.struct_passwd:
    try:
        user = pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/sh", USER],
                       check=True, capture_output=True)
        user = pwd.getpwnam(USER)
    if user.pw_dir != str(USER_HOME) or user.pw_shell != "/bin/sh":
        # Without PAM, sshd refuses a locked account ("!"): "*" is no password, not locked.
        # (It fails while the user is logged in elsewhere; only the password matters.)
        subprocess.run(["usermod", "-p", "*", "-s", "/bin/sh", "-d", str(USER_HOME), USER],
                       check=False, capture_output=True)
        user = pwd.getpwnam(USER)
    USER_HOME.mkdir(mode=0o755, exist_ok=True)
    os.chown(USER_HOME, user.pw_uid, user.pw_gid)
    return user


def _python_for(user: pwd.struct_passwd, top: Path) -> str | None:
    """An interpreter the login user can run sessmux's master with."""
    for candidate in (sys.executable, "/usr/bin/python3"):
        probe = subprocess.run(
            ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups",
             "--", candidate, "-c", "import sessmux.master, psutil"],
            env={"PYTHONPATH": str(top), "PATH": "/usr/bin:/bin"}, capture_output=True,
        )
        if probe.returncode == 0:
            return candidate
    return None


def _kill_tree(pid: int) -> None:
    """Kill ``pid`` and everything under it, by pid."""
    try:
        procs = [*psutil.Process(pid).children(recursive=True), psutil.Process(pid)]
    except psutil.Error:
        return
    for proc in procs:
        try:
            os.kill(proc.pid, signal.SIGKILL)
        except OSError:
            pass


@dataclass
class Remote:
    server: sshd.Sshd
    proxy: FaultProxy
    user: pwd.struct_passwd
    top: Path  # a world-readable copy of the checkout, and the user's home
    sessdir: Path  # the user's session directory on the "host"
    env: dict[str, str]  # for the local terminal rezume runs in
    python: str
    terminals: list[Terminal] = field(default_factory=list)

    @property
    def host(self) -> str:
        return f"{self.user.pw_name}@{self.server.host}"

    def sessmux(self, *options: str) -> Path:
        """A ``--sessmux`` wrapper: the test's session directory and interpreter, options."""
        path = self.top / f"sessmux{len(options)}{abs(hash(options)) % 10000}"
        path.write_text(
            "#!/bin/sh\n"
            f"export SESSMUX_DIR={self.sessdir} SESSMUX_PYTHON={self.python} "
            f"SESSMUX_REGISTRY={self.top / 'registry'} PATH={self.top / 'bin'}:/usr/bin:/bin\n"
            f"exec {self.top / 'bin' / 'sessmux'} {shlex.join(options)} \"$@\"\n")
        path.chmod(0o755)
        return path

    def rezume(self, *args: str, sessmux: tuple[str, ...] = ()) -> str:
        """The rezume command line through the proxy, as typed into a terminal."""
        ssh = self.server.ssh(port=self.proxy.port)[1:]  # the options, not "ssh"
        argv = ["rezume", *ssh, "--keepalive", str(KEEPALIVE),
                "--sessmux", str(self.sessmux(*sessmux)), *args]
        return shlex.join(argv)

    def terminal(self) -> Terminal:
        t = Terminal(self.env, ["bash", "--norc", "--noprofile", "-i"], cwd=str(self.top))
        self.terminals.append(t)
        t.expect(r"\$ ")
        return t

    def script(self, name: str, text: str) -> Path:
        path = self.top / name
        path.write_text(text)
        path.chmod(0o755)
        return path


@pytest.fixture
def remote(tmp_path: Path) -> Iterator[Remote]:
    why = sshd.unavailable()
    if why:
        pytest.skip(why)
    user = _user()
    top = Path(tempfile.mkdtemp(prefix="sessmux-rz-"))
    top.chmod(0o755)
    for part in ("sessmux", "bin"):
        shutil.copytree(ROOT / part, top / part, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(["chmod", "-R", "a+rX", str(top)], check=True)
    python = _python_for(user, top)
    if python is None:
        shutil.rmtree(top, ignore_errors=True)
        pytest.skip("no python the test user can run sessmux's master with")
    home = top / "home"  # the user's files for this test (its real home is shared)
    home.mkdir()
    sessdir = home / "sessions"
    server: sshd.Sshd | None = None
    proxy: FaultProxy | None = None
    r: Remote | None = None
    try:
        # The test's key is authorised for the user in this sshd only.
        keys = top / "authorized_keys"
        server = sshd.start(top / "sshd", accept_env=(),
                            extra=[f"Match User {USER}", f"AuthorizedKeysFile {keys}"])
        keys.write_text(server.public_key)
        subprocess.run(["chown", "-R", f"{user.pw_uid}:{user.pw_gid}", str(home)], check=True)
        proxy = FaultProxy(server.port)
        local = tmp_path / "local"
        local.mkdir()
        env = base_env(local, local / "sessions")
        r = Remote(server, proxy, user, top, sessdir, env, python)
        yield r
    finally:
        for t in r.terminals if r else []:
            _kill_tree(t.pid)  # rezume and its ssh too, not only the shell
            t.close()
        if proxy is not None:
            proxy.close()
        if server is not None:
            server.stop()
        kill_sessions(sessdir)
        shutil.rmtree(top, ignore_errors=True)


def rezume_exit(term: Terminal) -> int:
    """Wait for rezume to end; its exit status, as the shell saw it."""
    term.expect(r"\$ ", timeout=REZUME_DEADLINE)
    return int(term.run("echo rc=$?").split("rc=")[1].split()[0])


def wait_resynced(remote: Remote, term: Terminal, token: str) -> None:
    """Type ``echo`` of a fresh token into the shell and wait for its output."""
    term.line(f"echo {token[:3]}''{token[3:]}")
    term.expect(token, timeout=REZUME_DEADLINE)


# -- the session's exit status ---------------------------------------------------


def test_the_remote_programs_exit_status_is_rezumes(remote: Remote) -> None:
    term = remote.terminal()
    term.line(remote.rezume(remote.host, "sh", "-c", "echo ready-$((6*7)); read x; exit $x"))
    term.expect("ready-42", timeout=REZUME_DEADLINE)
    term.line("3")
    assert rezume_exit(term) == 3
    wait_until(lambda: statuses(remote.sessdir) == {}, what="the session to end")


def test_a_signal_ending_the_program_is_128_plus_it(remote: Remote) -> None:
    term = remote.terminal()
    term.line(remote.rezume(remote.host, "sh", "-c", "echo ready-$((6*7)); kill -TERM $$"))
    term.expect("ready-42", timeout=REZUME_DEADLINE)
    assert rezume_exit(term) == 128 + signal.SIGTERM


# -- AccuTerm's SLEEP test -------------------------------------------------------


def test_sleep_then_cut_shows_done_exactly_once(remote: Remote) -> None:
    term = remote.terminal()
    term.line(remote.rezume("--id", "sleepy", remote.host, "bash", "--norc", "--noprofile"))
    wait_resynced(remote, term, "hello-there")
    term.mark()
    term.line("sleep 5; echo DO''NE")
    term.expect(r"sleep 5; echo DO''NE")  # the shell has the line: now cut the network
    remote.proxy.cut()
    term.expect("rezume: no contact with", timeout=REZUME_DEADLINE)  # the status line
    term.expect("DONE", timeout=REZUME_DEADLINE)
    wait_resynced(remote, term, "after-sleep")
    term.drain(0.5)
    # The session's own bytes (not the repaint that took the status line away):
    # DONE exactly once -- neither lost with the link nor replayed twice.
    assert session_bytes(term.buffer).count(b"DONE") == 1
    term.line("exit 4")
    assert rezume_exit(term) == 4


# -- the exactness soak ------------------------------------------------------------

SOAK_PROGRAM = r'''
"""Numbered, checksummed lines at full speed; every key received is recorded.

argv: total bytes of lines, output copy, keys file.  The pty is raw, so the
bytes written are the bytes the terminal should get.  Each read of keys adds
a line "<rx N>" (N: key bytes so far), so the test sees when keys arrive.
Keys end at ^D; then, all lines written, END-SOAK and exit 3.
"""
import os, random, select, sys, tty, zlib

total, out_path, keys_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
tty.setraw(0)
rng = random.Random(20)
table = bytes(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"[i % 64]
              for i in range(256))
copy, keys = open(out_path, "wb"), open(keys_path, "wb")
pending = bytearray(b"BEGIN-SOAK\n")
made = number = received = 0
keys_done = False
os.set_blocking(1, False)  # the same open file as 0: reads only after select
while True:
    while made < total and len(pending) < 1 << 16:
        body = rng.randbytes(rng.randint(10, 150)).translate(table)
        line = b"%08d %s %08x\n" % (number, body, zlib.crc32(body))
        pending += line
        made += len(line)
        number += 1
    if not pending and made >= total and keys_done:
        break
    ready, writable, _ = select.select([0], [1] if pending else [], [])
    if ready:
        data = os.read(0, 4096)
        if b"\x04" in data:
            data, keys_done = data[: data.index(b"\x04")], True
        keys.write(data)
        keys.flush()
        received += len(data)
        pending += b"<rx %d>\n" % received
    if writable:
        try:
            n = os.write(1, pending)
        except BlockingIOError:
            continue
        copy.write(pending[:n])
        del pending[:n]
os.set_blocking(1, True)
os.write(1, b"END-SOAK\n")
copy.write(b"END-SOAK\n")
copy.close()
keys.close()
sys.exit(3)
'''

SOAK_BYTES = 20 * 1000 * 1000
SOAK_KEYS = 2000
SOAK_FAULTS = 20
KEY_ALPHABET = (b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                b" !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}\r\t\x7f\x01\x1b")  # no ~ (escape), no ^D


class Capture:
    """The local terminal's bytes in a bytearray (Terminal.buffer copies on every read)."""

    def __init__(self, term: Terminal) -> None:
        self.term = term
        self.data = bytearray()

    def pump(self, timeout: float) -> None:
        ready, _, _ = select.select([self.term.fd], [], [], timeout)
        if ready:
            try:
                self.data += os.read(self.term.fd, 1 << 16)
            except OSError:
                pass

    def wait_for(self, needle: bytes, start: int, what: str,
                 timeout: float = REZUME_DEADLINE) -> int:
        """Pump until ``needle`` shows up after ``start``; its position."""
        end = time.monotonic() + timeout
        while True:
            at = self.data.find(needle, max(0, start - len(needle)))
            if at >= 0:
                return at
            if time.monotonic() > end:
                raise AssertionError(f"timed out waiting for {what}; last bytes:\n"
                                     f"{bytes(self.data[-600:])!r}")
            self.pump(0.05)


@pytest.mark.timeout(300)
def test_soak_output_and_keys_are_exact_through_cuts_and_black_holes(
        remote: Remote) -> None:
    rng = random.Random(2026)
    program = remote.script("soak.py", SOAK_PROGRAM)
    copy, keys_file = remote.top / "home" / "soak.out", remote.top / "home" / "soak.keys"
    term = remote.terminal()
    # The replay buffer holds the whole run: nothing may be skipped here.
    line = remote.rezume(remote.host, remote.python, str(program), str(SOAK_BYTES), str(copy),
                         str(keys_file), sessmux=("-b", "32m"))
    term.line(f"REZUME_STATS=1 {line}")
    cap = Capture(term)
    begin = cap.wait_for(b"BEGIN-SOAK\n", 0, "the soak program")
    keys = bytes(rng.choice(KEY_ALPHABET) for _ in range(SOAK_KEYS))
    typed = 0
    moments = sorted(rng.sample(range(200_000, SOAK_BYTES), SOAK_FAULTS))
    recoveries: list[float] = []
    kinds: list[str] = []

    def type_some(n: int) -> None:
        nonlocal typed
        chunk = keys[typed : typed + n]
        term.send(chunk)
        typed += len(chunk)

    per_fault = SOAK_KEYS // (SOAK_FAULTS + 1)
    for moment in moments:
        # Let output flow to the chosen byte (or to the end), typing on the way.
        type_some(rng.randint(0, per_fault // 2))
        deadline = time.monotonic() + REZUME_DEADLINE
        while len(cap.data) - begin < moment:
            assert time.monotonic() < deadline, f"output stopped at {len(cap.data) - begin}"
            cap.pump(0.05)
        kind = rng.choice(["cut", "blackhole"])
        kinds.append(kind)
        mark = len(cap.data)
        lost = time.monotonic()
        if kind == "cut":
            remote.proxy.cut()
        else:
            remote.proxy.blackhole(True)
        type_some(rng.randint(0, per_fault // 2))  # typed during the outage
        cap.wait_for(b"rezume: no contact with", mark, "the status line")
        if kind == "blackhole":
            remote.proxy.blackhole(False)
        type_some(per_fault - per_fault // 2)
        # Recovered when the program has all the keys typed so far.
        cap.wait_for(b"<rx %d>\n" % typed, mark, f"the keys after a {kind}")
        recoveries.append(time.monotonic() - lost)
    type_some(SOAK_KEYS)
    term.send(b"\x04")
    end = cap.wait_for(b"END-SOAK\n", begin, "the end of the soak", timeout=120)
    stats_at = cap.wait_for(b"rezume: stats:", end, "rezume's stats")
    cap.wait_for(b"\n", stats_at, "the stats line")
    stats = bytes(cap.data[stats_at : cap.data.index(b"\n", stats_at)]).decode()
    term.buffer = bytes(cap.data)  # hand the rest back to the Terminal
    term.cursor = len(bytes(cap.data[:stats_at]).decode("utf-8", "replace"))
    assert rezume_exit(term) == 3

    shown = session_bytes(bytes(cap.data[begin : end + len(b"END-SOAK\n")]))
    wrote = copy.read_bytes()
    assert len(wrote) > SOAK_BYTES
    if shown != wrote:
        at = next(i for i, (a, b) in enumerate(zip(shown, wrote, strict=False)) if a != b)
        pytest.fail(f"output differs at byte {at} of {len(wrote)} (shown {len(shown)}):\n"
                    f"shown {shown[at - 80 : at + 80]!r}\nwrote {wrote[at - 80 : at + 80]!r}")
    assert keys_file.read_bytes() == keys, "the program did not get exactly the typed keys"
    assert len(STATUS_LINE.findall(bytes(cap.data))) >= SOAK_FAULTS  # every fault was felt
    m = re.search(r"(\d+) resyncs, (\d+) bytes replayed", stats)
    assert m and int(m.group(1)) >= SOAK_FAULTS, stats
    print(f"\nsoak: {len(wrote)} bytes, {SOAK_KEYS} keys, {len(kinds)} faults "
          f"({kinds.count('cut')} cuts, {kinds.count('blackhole')} black holes); "
          f"{stats}; longest recovery seen by the test {max(recoveries):.2f} s "
          f"(median {sorted(recoveries)[len(recoveries) // 2]:.2f} s)")
