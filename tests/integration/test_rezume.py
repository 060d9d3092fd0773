"""``rezume`` over real SSH, with a fault-injecting proxy in the path.

Each test starts its own ``sshd`` on 127.0.0.1 (tests/support/sshd.py), puts a
:class:`FaultProxy` between ``ssh`` and ``sshd``, and logs in as an
unprivileged user whose sessions live in the test's own directory.  The
local side is a real pty (tests/support/terminal.py) with ``rezume`` in it.  The
link is cut (both ways, as a dropped network once noticed) or black-holed
(packets lost, no reset: only keepalives notice).  Every process started
is killed by pid at the end.

The checks compare the raw bytes rezume wrote to its terminal with the
bytes the program wrote, at default settings.  The only bytes taken out
are rezume's own status sequences, matched exactly
(tests/support/rezume_support.py), and each test asserts that none of the
session's output was among them.

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
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
import sshd
from faultproxy import FaultProxy
from rezume_support import SOAK_LINE, SOAK_PROGRAM, count_overlays, own_status, soak_lines
from terminal import ROOT, Capture, Terminal, base_env, kill_sessions, statuses, wait_until
from tmuxterm import TMUX, TmuxTerminal
from users import ensure_user, python_for, world_copy

from sessmux.core import resume_protocol
from sessmux.core.errors import LEFT, NO_SESSION, SSH_FAILED
from sessmux.remote import outage

USER = "sessmux-rz"  # our own login user: other files' cleanups never touch it
USER_HOME = Path("/var/tmp/sessmux-rz-home")  # fixed: runs side by side never change it
KEEPALIVE = 0.5  # seconds; three missed ones declare the link dead
REZUME_DEADLINE = 40.0




# -- the remote end: a user, a copy of the checkout, sshd, a proxy ---------------


def _user() -> pwd.struct_passwd:
    user = pwd.getpwnam(USER) if _exists(USER) else ensure_user(USER, shell="/bin/sh")
    if user.pw_dir != str(USER_HOME) or user.pw_shell != "/bin/sh":
        user = ensure_user(USER, shell="/bin/sh", login=True, home=USER_HOME)
    USER_HOME.mkdir(mode=0o755, exist_ok=True)
    os.chown(USER_HOME, user.pw_uid, user.pw_gid)
    return user


def _exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


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
    top = world_copy("sessmux-rz-")
    python = python_for(user, top)
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
    term.expect(r"\n\$ ", timeout=REZUME_DEADLINE)  # the local shell's (not bash-5.2$)
    m = re.search(r"rc=(\d+)", term.run("echo rc=$?"))
    assert m, term.text[-500:]
    return int(m.group(1))


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


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_to_rezume_gives_the_terminal_back(remote: Remote, sig: int) -> None:
    """Killed by a hang-up or termination, rezume puts the tty modes back, then dies of it.

    The shell is dash, which (unlike bash) leaves the modes as a killed job left them.
    """
    term = Terminal(remote.env, ["sh", "-i"], cwd=str(remote.top))
    remote.terminals.append(term)
    term.expect(r"\$ ")
    before = term.run("stty -g").strip()
    term.line(remote.rezume(remote.host, "sh", "-c", "echo ready-$((6*7)); exec sleep 1000"))
    term.expect("ready-42", timeout=REZUME_DEADLINE)
    rezume = next(p for p in psutil.Process(term.pid).children()
                  if "rezume" in " ".join(p.cmdline()))
    os.kill(rezume.pid, sig)
    assert rezume_exit(term) == 128 + sig
    assert term.run("stty -g").strip() == before  # raw mode is gone again
    assert len(statuses(remote.sessdir)) == 1  # the session goes on running on the host


# -- AccuTerm's SLEEP test -------------------------------------------------------


def test_sleep_then_cut_shows_done_exactly_once(remote: Remote) -> None:
    term = remote.terminal()
    term.line(remote.rezume("--id", "sleepy", remote.host, "bash", "--norc", "--noprofile"))
    wait_resynced(remote, term, "hello-there")
    done = remote.top / "home" / "done"
    term.mark()
    term.line(f"sleep 5; echo DO''NE; touch {done}")
    term.expect(r"sleep 5; echo DO''NE")  # the shell has the line: now the network goes
    remote.proxy.cut()
    remote.proxy.blackhole(True)  # ... and stays away until DONE has been printed
    term.expect("rezume: no contact with", timeout=REZUME_DEADLINE)  # the outage display
    wait_until(done.exists, timeout=REZUME_DEADLINE, what="DONE printed on the host")
    remote.proxy.blackhole(False)
    term.expect("DONE", timeout=REZUME_DEADLINE)
    wait_resynced(remote, term, "after-sleep")
    term.drain(0.5)
    # The raw bytes rezume wrote: DONE exactly once -- neither lost with the
    # link nor written again by a repaint.
    assert term.buffer.count(b"DONE") == 1
    shown, removed = own_status(term.buffer)
    assert removed and not any(b"DONE" in r or b"hello" in r for r in removed)
    term.line("exit 4")
    assert rezume_exit(term) == 4


# -- the exactness soak ------------------------------------------------------------

SOAK_BYTES = 20 * 1000 * 1000
SOAK_KEYS = 2000
SOAK_FAULTS = 20
KEY_ALPHABET = (b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                b" !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}\r\t\x7f\x01\x1b")  # no ~ (escape), no ^D


@pytest.mark.timeout(420)
def test_soak_output_and_keys_are_exact_through_cuts_and_black_holes(
        remote: Remote) -> None:
    rng = random.Random(2026)
    program = remote.script("soak.py", SOAK_PROGRAM)
    home = remote.top / "home"
    copy, keys_file, waits = home / "soak.out", home / "soak.keys", home / "soak.waits"
    term = remote.terminal()
    # Default settings: the host's 256 KiB replay buffer, its default hold.
    line = remote.rezume(remote.host, remote.python, str(program), str(SOAK_BYTES), str(copy),
                         str(keys_file), str(waits))
    term.line(f"REZUME_STATS=1 {line}")
    cap = Capture(term, REZUME_DEADLINE)
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
        cap.wait_for(b"rezume: no contact with", mark, "the outage display")
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

    raw = bytes(cap.data[begin : end + len(b"END-SOAK\n")])
    shown, removed = own_status(raw)
    wrote = copy.read_bytes()
    assert len(wrote) > SOAK_BYTES
    for r in removed:  # rezume's own sequences only: no line, no key report
        assert not SOAK_LINE.search(r) and b"<rx" not in r, r
    if shown != wrote:
        _, lost_lines, twice = soak_lines(shown)
        at = next((i for i, (a, b) in enumerate(zip(shown, wrote, strict=False)) if a != b),
                  min(len(shown), len(wrote)))
        pytest.fail(f"output differs at byte {at} of {len(wrote)} (shown {len(shown)}; "
                    f"{lost_lines} lines lost, {twice} twice):\n"
                    f"shown {shown[at - 80 : at + 80]!r}\nwrote {wrote[at - 80 : at + 80]!r}")
    assert keys_file.read_bytes() == keys, "the program did not get exactly the typed keys"
    assert count_overlays(raw) >= SOAK_FAULTS  # every fault was felt, and shown
    m = re.search(r"(\d+) resyncs, (\d+) bytes replayed", stats)
    assert m and int(m.group(1)) >= SOAK_FAULTS, stats
    print(f"\nsoak: {len(wrote)} bytes, {SOAK_KEYS} keys, {len(kinds)} faults "
          f"({kinds.count('cut')} cuts, {kinds.count('blackhole')} black holes); "
          f"{stats}; longest hold {waits.read_text().strip()} s; "
          f"longest recovery seen by the test {max(recoveries):.2f} s "
          f"(median {sorted(recoveries)[len(recoveries) // 2]:.2f} s)")


# -- steady output through a black hole ---------------------------------------------

STEADY_PROGRAM = r'''
import os, sys, time, tty
tty.setraw(0)
copy = open(sys.argv[1], "wb")
def out(data):
    os.write(1, data)
    copy.write(data)
    copy.flush()
out(b"BEGIN-STEADY\n")
for i in range(int(sys.argv[2])):
    out(b"steady line %05d\n" % i)
    time.sleep(0.02)  # 50 lines a second
out(b"END-STEADY\n")
'''


def test_steady_output_through_a_10s_black_hole_is_written_once(remote: Remote) -> None:
    program = remote.script("steady.py", STEADY_PROGRAM)
    copy = remote.top / "home" / "steady.out"
    term = remote.terminal()
    term.line(remote.rezume(remote.host, remote.python, str(program), str(copy), "1500"))
    cap = Capture(term, REZUME_DEADLINE)
    begin = cap.wait_for(b"BEGIN-STEADY\n", 0, "the program")
    cap.wait_for(b"steady line 00100\n", begin, "a hundred lines")
    mark = len(cap.data)
    remote.proxy.blackhole(True)
    cap.wait_for(b"rezume: no contact with", mark, "the outage display")
    hole_end = time.monotonic() + 10.0  # the outage this test is about: 10 s of nothing
    while time.monotonic() < hole_end:
        cap.pump(0.1)
    remote.proxy.blackhole(False)
    end = cap.wait_for(b"END-STEADY\n", mark, "the end of the output", timeout=90)
    raw = bytes(cap.data[begin : end + len(b"END-STEADY\n")])
    shown, removed = own_status(raw)
    assert removed and not any(b"steady" in r for r in removed)
    assert raw.count(b"steady line 00090\n") == 1  # on the screen when the link went
    assert shown == copy.read_bytes()  # every line once, in order: nothing written twice


# -- what a real terminal (tmux) ends up with --------------------------------------


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
def test_in_tmux_an_outage_leaves_screen_and_scrollback_as_if_nothing_happened(
        remote: Remote, tmp_path: Path) -> None:
    t = TmuxTerminal(remote.env, tmp_path, name="rz")
    try:
        t.line(remote.rezume(remote.host, "bash", "--norc", "--noprofile"))
        t.wait_for(r"bash-[\d.]+\$", timeout=REZUME_DEADLINE)
        t.line("seq -f before-%02g 1 40")
        t.wait_for(r"^before-40$", timeout=REZUME_DEADLINE)
        done = remote.top / "home" / "done"
        t.line(f"sleep 3; seq -f during-%02g 1 30; touch {done}")
        t.wait_for(r"sleep 3; seq", timeout=REZUME_DEADLINE)
        remote.proxy.cut()
        remote.proxy.blackhole(True)  # down until the output is all on the host
        t.wait_for("rezume: no contact with", timeout=REZUME_DEADLINE)
        wait_until(done.exists, timeout=REZUME_DEADLINE, what="the output during the outage")
        remote.proxy.blackhole(False)
        t.wait_for(r"^during-30$", timeout=REZUME_DEADLINE)
        t.line("echo resumed-$((6*7))")
        t.wait_for(r"^resumed-42$", timeout=REZUME_DEADLINE)
        lines = t.history().splitlines()
        # Scrollback and screen together: every line once, in order, and
        # nothing of rezume's display left behind.
        want = [f"before-{i:02d}" for i in range(1, 41)] + [f"during-{i:02d}" for i in range(1, 31)]
        assert [line for line in lines if line in want] == want
        assert not any("rezume:" in line for line in lines)
        t.line("exit 0")
        t.wait_for(r"^\$\s*$", timeout=REZUME_DEADLINE)
    finally:
        _kill_tree(t.pid)
        t.close()


VI_TEXT = "".join(f"vi line {i:02d}\n" for i in range(1, 61))


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
@pytest.mark.skipif(shutil.which("vim") is None, reason="vim is not installed")
def test_in_tmux_a_full_screen_program_is_right_after_an_outage(
        remote: Remote, tmp_path: Path) -> None:
    text = remote.script("vi.txt", VI_TEXT)
    t = TmuxTerminal(remote.env, tmp_path, name="vi")
    try:
        t.line(remote.rezume(remote.host, "vim", "-u", "NONE", "-n", str(text)))
        t.wait_for(r"vi line 20", timeout=REZUME_DEADLINE)
        t.keys("40G")  # scrolled: the screen is vim's own, not the file's start
        t.wait_for(r"vi line 40", timeout=REZUME_DEADLINE)
        before = t.screen()
        remote.proxy.cut()
        remote.proxy.blackhole(True)
        t.wait_for("rezume: no contact with", timeout=REZUME_DEADLINE)  # the bottom line
        remote.proxy.blackhole(False)
        try:
            wait_until(lambda: t.screen() == before, timeout=REZUME_DEADLINE)
        except AssertionError:
            raise AssertionError(f"vim's screen was:\n{before}\nand is:\n{t.screen()}") from None
        t.keys(":q!", "Enter")
        t.wait_for(r"^\$\s*$", timeout=REZUME_DEADLINE)
        # Back on the main screen: what was there before vim, and no status.
        assert "rezume:" not in t.history()
    finally:
        _kill_tree(t.pid)
        t.close()


# -- a black hole, a closed client, a long outage ----------------------------------------


def test_a_black_hole_is_noticed_by_keepalives_and_recovered(remote: Remote) -> None:
    term = remote.terminal()
    term.line(remote.rezume(remote.host, "bash", "--norc", "--noprofile"))
    wait_resynced(remote, term, "before-hole")
    term.mark()
    remote.proxy.blackhole(True)  # no reset, no FIN: only keepalives can tell
    lost = time.monotonic()
    term.expect("rezume: no contact with", timeout=REZUME_DEADLINE)
    noticed = time.monotonic() - lost
    # The next attempt hangs in the black hole too; the status line goes on counting.
    first = term.expect(r"for (\d+)s, attempt (\d+), connecting", timeout=REZUME_DEADLINE)
    later = term.expect(r"for (\d+)s, attempt (\d+), connecting", timeout=REZUME_DEADLINE)
    assert later.group(2) == first.group(2) and int(later.group(1)) > int(first.group(1))
    term.line("echo typed-in-the-dark-$((40+2))")  # into the key buffer
    remote.proxy.blackhole(False)
    term.expect("typed-in-the-dark-42", timeout=REZUME_DEADLINE)
    print(f"\nblack hole noticed after {noticed:.2f} s "
          f"(keepalive {KEEPALIVE} s x 3), recovered after {time.monotonic() - lost:.2f} s")
    term.line("exit 0")
    assert rezume_exit(term) == 0


def test_a_new_rezume_with_the_same_id_resumes_the_session(remote: Remote) -> None:
    first = remote.terminal()
    first.line(remote.rezume("--id", "desk", remote.host, "bash", "--norc", "--noprofile"))
    first.line("echo pid=$$ still-on-screen-$((6*7))")
    shell = first.expect(r"pid=(\d+) still-on-screen-42", timeout=REZUME_DEADLINE).group(1)
    _kill_tree(first.pid)  # the whole client: its shell, rezume and ssh
    second = remote.terminal()
    second.mark()
    second.line(remote.rezume("--id", "desk", remote.host, "bash", "--norc", "--noprofile"))
    second.expect("still-on-screen-42", timeout=REZUME_DEADLINE)  # the screen, repainted
    second.line("echo again=$$")
    assert second.expect(r"again=(\d+)", timeout=REZUME_DEADLINE).group(1) == shell
    assert list(statuses(remote.sessdir)) == ["desk"]
    second.line("exit 6")
    assert rezume_exit(second) == 6


def test_a_half_dead_old_client_is_taken_over_at_once(remote: Remote) -> None:
    # The first rezume is the terminal's only program (no job control to get in
    # the way of stopping it): the laptop sleeps, rezume and ssh stop, and
    # their TCP connection stays open, so the host still sees it connected.
    argv = shlex.split(remote.rezume("--id", "lid", remote.host, "bash", "--norc",
                                     "--noprofile"))
    first = Terminal(remote.env, argv, cwd=str(remote.top))
    remote.terminals.append(first)
    first.line("echo first-$((1+1))")
    first.expect("first-2", timeout=REZUME_DEADLINE)
    sleepers = [first.pid, *(p.pid for p in psutil.Process(first.pid).children(recursive=True))]
    for pid in sleepers:
        os.kill(pid, signal.SIGSTOP)
    assert statuses(remote.sessdir)["lid"]["connected"] is True
    second = remote.terminal()
    second.line(remote.rezume("--id", "lid", remote.host, "bash", "--norc", "--noprofile"))
    second.expect("first-2", timeout=REZUME_DEADLINE)  # taken over, no "already connected"
    wait_resynced(remote, second, "second-client")
    # The old one wakes up, is told, and leaves the session to the new one.
    for pid in sleepers:
        os.kill(pid, signal.SIGCONT)
    first.expect("taken over by another connection", timeout=REZUME_DEADLINE)
    _, status = os.waitpid(first.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 2
    remote.terminals.remove(first)
    os.close(first.fd)
    wait_resynced(remote, second, "still-mine")
    second.line("exit 0")
    assert rezume_exit(second) == 0


def _seq_while_cut(remote: Remote, sessmux: tuple[str, ...]) -> tuple[Terminal, Path]:
    """rezume with these host options runs ``seq 1 50000`` (~290 KB, then a file ``done``
    is made), and the network is cut under it: the terminal, at rezume's outage prompt."""
    term = remote.terminal()
    # --manual: the outage lasts until Enter, however fast the network comes back.
    term.line(remote.rezume("--manual", remote.host, "bash", "--norc", "--noprofile",
                            sessmux=sessmux))
    wait_resynced(remote, term, "small-buffer")
    done = remote.top / "home" / "done"
    term.line(f"sleep 1; seq 1 50000; echo last-$((7*7)); touch {done}")
    term.expect(r"echo last-\$", timeout=REZUME_DEADLINE)
    remote.proxy.cut()
    term.expect("press Enter to reconnect", timeout=REZUME_DEADLINE)
    return term, done


def test_the_hold_ends_and_then_output_is_skipped_and_said(remote: Remote) -> None:
    # A 4 KB buffer, no journal and a hold of 2 s: the program waits 2 s for us, then runs on.
    term, done = _seq_while_cut(remote, ("-b", "4k", "-H", "2", "-J", "0"))
    wait_until(done.exists, timeout=REZUME_DEADLINE, what="the output (~290 KB > 4 KB)")
    term.mark()
    term.send("\r")
    term.expect(r"last-49[\s\S]*?bash-[\d.]+\$", timeout=REZUME_DEADLINE)  # the repaint
    # The right screen: the end of seq, last-49 and the prompt; the middle was skipped.
    shown = term.text[term.cursor - 600 : term.cursor]
    assert "50000" in shown and "49999" in shown
    assert b"20000\r\n" not in own_status(term.buffer)[0]
    term.line("exit 0")
    assert rezume_exit(term) == 0
    assert "output was skipped" in term.text  # said at exit, on stderr


def test_a_held_program_waits_for_the_client_and_nothing_is_skipped(remote: Remote) -> None:
    # The same 4 KB buffer at the default hold: the program waits for us.
    term, done = _seq_while_cut(remote, ("-b", "4k"))
    # Held (~290 KB > 4 KB and what the pty holds) until we are back.
    wait_until(lambda: _held_in_write(remote.user.pw_uid, "seq"), timeout=REZUME_DEADLINE,
               what="seq to wait on its terminal")
    assert not done.exists()
    term.mark()
    term.send("\r")
    term.expect(r"last-49", timeout=REZUME_DEADLINE)
    wait_resynced(remote, term, "all-there")
    shown, _ = own_status(term.buffer)
    numbers = re.findall(rb"(?:^|\r)(\d+)\r$", shown, re.M)
    assert numbers == [str(i).encode() for i in range(1, 50001)]  # each once, in order
    term.line("exit 0")
    assert rezume_exit(term) == 0
    assert "output was skipped" not in term.text


def _held_in_write(uid: int, name: str) -> bool:
    """Whether a process ``name`` of ``uid`` sleeps in a write to its terminal."""
    for proc in psutil.process_iter(["name", "uids"]):
        if proc.info["name"] == name and proc.info["uids"] and proc.info["uids"].real == uid:
            try:
                wchan = Path(f"/proc/{proc.pid}/wchan").read_text()
            except OSError:
                continue
            if wchan in ("wait_woken", "n_tty_write"):  # seq only writes
                return True
    return False


# -- bad input -----------------------------------------------------------------------


def sessmux_s(env: dict[str, str], data: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(ROOT / "bin" / "sessmux"), "-s", *args], input=data, env=env,
                          capture_output=True, timeout=30)


def error_frame(stdout: bytes) -> str:
    frames = resume_protocol.Decoder().feed(stdout)
    errors = [f.payload.decode() for f in frames if f.kind == resume_protocol.ERROR]
    assert errors, stdout
    return errors[-1]


@pytest.mark.parametrize(
    "hello, message",
    [
        (b"GET / HTTP/1.0\r\n\r\n", "the client did not open with a hello"),
        (
            resume_protocol.encode(resume_protocol.HELLO, b'{"v": 2, "recv": 0}'),
            "protocol version 2, this side speaks 1",
        ),
        (resume_protocol.encode(resume_protocol.HELLO, b"{not json"), "bad H frame"),
    ],
)
def test_sessmux_s_refuses_a_bad_hello(env: dict[str, str], sessdir: Path, hello: bytes,
                                       message: str) -> None:
    result = sessmux_s(env, hello, "-t", "victim", "sh")
    assert result.returncode == 11
    assert message in error_frame(result.stdout)  # the client is told, in a frame
    assert f"sessmux: fatal: resume protocol: {message}".encode() in result.stderr
    assert not sessdir.exists() or statuses(sessdir) == {}  # nothing was started


class Framed:
    """``sessmux -s`` on pipes, spoken to directly (no ssh)."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.proc = subprocess.Popen([str(ROOT / "bin" / "sessmux"), "-s", *args], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.decoder = resume_protocol.Decoder()
        self.text = b""
        self.errors: list[str] = []

    def send(self, data: bytes) -> None:
        assert self.proc.stdin
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def read_until(self, needle: bytes) -> None:
        assert self.proc.stdout
        deadline = time.monotonic() + 15
        while needle not in self.text:
            assert time.monotonic() < deadline, self.text
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if ready:
                data = os.read(self.proc.stdout.fileno(), 65536)
                assert data, f"EOF before {needle!r}: {self.text!r}"
                for frame in self.decoder.feed(data):
                    if frame.kind in (resume_protocol.DATA, resume_protocol.REPAINT):
                        self.text += frame.data
                    elif frame.kind == resume_protocol.ERROR:
                        self.errors.append(frame.payload.decode())

    def finish(self) -> tuple[int, bytes]:
        assert self.proc.stdout and self.proc.stderr
        rest = self.proc.stdout.read()
        self.errors += [f.payload.decode() for f in self.decoder.feed(rest)
                        if f.kind == resume_protocol.ERROR]
        return self.proc.wait(timeout=15), self.proc.stderr.read()

    def kill(self) -> None:
        _kill_tree(self.proc.pid)
        self.proc.wait()


def test_a_corrupt_frame_drops_that_client_and_not_the_session(
        env: dict[str, str], sessdir: Path) -> None:
    subprocess.run([str(ROOT / "bin" / "sessmux"), "-n", "steady", "sh", "-c",
                    "echo up; exec cat"], env=env, check=True, timeout=30)
    one = Framed(env, "-a", "steady")
    try:
        one.send(resume_protocol.encode_hello(token="one", recv=0, fresh=False, rows=24, cols=80)
                 + resume_protocol.encode_data(0, b"kept\n"))
        one.read_until(b"kept\r\nkept\r\n")  # the pty's echo and cat's copy
        one.send(b"Z\x00\x00\x00\x03abc")  # a frame of no known type
        code, stderr = one.finish()
    finally:
        one.kill()
    assert code == 11
    assert one.errors == ["unknown frame type b'Z'"]  # the client is told, in a frame
    assert b"sessmux: fatal: resume protocol: unknown frame type" in stderr
    assert statuses(sessdir)["steady"]["connected"] is False
    # Another client attaches fine: the session and what was typed are intact.
    two = Framed(env, "-a", "steady")
    try:
        two.send(resume_protocol.encode_hello(token="two", recv=0, fresh=False, rows=24, cols=80)
                 + resume_protocol.encode_data(0, b"second\n"))
        two.read_until(b"second\r\nsecond\r\n")
        assert two.text.startswith(b"up\r\nkept\r\nkept\r\n")
    finally:
        two.kill()


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf"])
def test_a_bad_hold_time_is_a_usage_error(env: dict[str, str], sessdir: Path,
                                          value: str) -> None:
    for argv in (["sessmux", "-s", "-H", value, "-t", "held", "sh"],
                 ["rezume", "--hold", value, "somehost"]):
        result = subprocess.run([str(ROOT / "bin" / argv[0]), *argv[1:]], env=env,
                                stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        assert result.returncode == 1, argv
        assert result.stderr.startswith(f"{argv[0]}: fatal: ".encode()), result.stderr
        assert b"hold time" in result.stderr and b"Traceback" not in result.stderr
    assert not sessdir.exists() or statuses(sessdir) == {}  # nothing was started


def test_attach_to_no_such_session_is_exit_17(remote: Remote) -> None:
    term = remote.terminal()
    term.line(remote.rezume("-a", "--id", "nosuch", remote.host))
    # The host's own message, passed on in rezume's one fatal line.
    term.expect(r"(?m)^rezume: fatal: sessmux: fatal: no session nosuch\r?$",
                timeout=REZUME_DEADLINE)
    assert rezume_exit(term) == NO_SESSION, term.text


def test_a_failing_ssh_is_one_fatal_line_with_its_status(env: dict[str, str]) -> None:
    # Port 1 of this host: nobody listens, ssh fails before any protocol.
    result = subprocess.run([str(ROOT / "bin" / "rezume"), "-p", "1", "127.0.0.1"], env=env,
                            stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    assert result.returncode == SSH_FAILED, result
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rezume: fatal: ssh: "), lines


def test_quitting_with_tilde_dot_is_one_line_and_255(remote: Remote) -> None:
    term = remote.terminal()
    term.line(remote.rezume("--id", "leaving", remote.host, "sh"))
    wait_resynced(remote, term, "before-quit")
    term.mark()
    term.send("\r~.")
    term.expect(r"(?m)^rezume: info: connection closed by the user \(~\.\); session leaving goes"
                rf" on running on {re.escape(remote.host)}; resume it with: rezume --id leaving"
                rf" {re.escape(remote.host)}\r?$", timeout=REZUME_DEADLINE)
    assert rezume_exit(term) == LEFT, term.text
    assert "leaving" in statuses(remote.sessdir)  # the session goes on


# -- the outage display's view of the output stream (pure) ------------------------


def test_outage_module_example() -> None:
    import doctest

    result = doctest.testmod(outage)
    assert result.attempted and not result.failed


@pytest.mark.parametrize("data, held", [
    (b"plain", b""),
    (b"x\x1b", b"\x1b"),
    (b"x\x1b[", b"\x1b["),
    (b"x\x1b[?104", b"\x1b[?104"),
    (b"x\x1b[?1049h", b""),
    (b"x\x1b]0;title", b"\x1b]0;title"),
    (b"x\x1b]0;title\x07", b""),
    (b"x\x1bPq#0", b"\x1bPq#0"),
    (b"x\x1bP#0\x1b\\", b""),
    (b"x\x1b(", b"\x1b("),
    (b"x\x1b(B", b""),
    (b"x\x1b7", b""),
    ("é".encode()[:1], "é".encode()[:1]),
    ("aé".encode(), b""),
    ("a€".encode()[:3], "€".encode()[:2]),
    ("a😀".encode()[:4], "😀".encode()[:3]),
    ("a😀".encode(), b""),
])
def test_output_is_written_up_to_the_last_whole_sequence(data: bytes, held: bytes) -> None:
    n = outage.complete(data)
    assert data[n:] == held


def test_the_screen_the_session_is_on_is_followed() -> None:
    screens = outage.Screens()
    for data, alternate in [(b"\x1b[?1049h", True), (b"text\x1b[?1049l", False),
                            (b"\x1b[?1;47h", True), (b"\x1b[?47l", False),
                            (b"\x1b[?1047h\x1b[?25l", True), (b"\x1b[?2004l", True),
                            (b"\x1b[?1047l", False)]:
        screens.feed(data)
        assert screens.alternate is alternate, data


def test_notify_reaches_the_local_terminal(remote: Remote) -> None:
    """rezume --notify: a session waiting for input after working alone tells our terminal."""
    term = remote.terminal()
    # 8 s: the master must see it work alone for 5 s (events.LONG), looking once a second.
    term.line(remote.rezume("--notify", "9", remote.host, "sh", "-c",
                            "echo work-$((6*7)); sleep 8; echo done-working; read x"))
    term.expect("work-42", timeout=REZUME_DEADLINE)
    term.expect("done-working", timeout=REZUME_DEADLINE)
    term.expect(r"\x1b\]9;sessmux: session rz\w+ is waiting for input\x07",
                timeout=REZUME_DEADLINE)
    term.line("x")
    assert rezume_exit(term) == 0
