"""``rezumable``: a login command kept in a session named by the client.

First on a local terminal (the wrapper's decisions), then end to end: a
real login over a real sshd on 127.0.0.1 whose profile runs
``exec rezumable bash``; the ssh client is killed and the same id logs
in again and gets the same session, its screen repainted.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
import sshd
from terminal import ROOT, Terminal, base_env, kill_sessions, statuses, wait_until
from users import ensure_user, kill_user_processes, python_for, world_copy

TYPE_CHECKING = False
if TYPE_CHECKING:
    pass

REZUMABLE = ROOT / "bin" / "rezumable"



# -- on a local terminal -------------------------------------------------------


def test_without_an_id_the_command_just_runs(term: Terminal, sessdir: Path) -> None:
    out = term.run(f"{REZUMABLE} sh -c 'echo direct-${{PTY:-none}}; exit 3'")
    assert "direct-none" in out
    assert term.last_status == 3
    assert not sessdir.exists() or statuses(sessdir) == {}


@pytest.mark.parametrize("var", ["SESSMUX_ID", "ATSR_ID"])
def test_an_id_runs_the_command_in_that_session(
    var: str, term: Terminal, sessdir: Path
) -> None:
    term.line(f"PS1='in''> ' {var}=desk-4 {REZUMABLE} bash --norc --noprofile")
    term.expect(r"in> ")
    term.line("echo pid=$$ pty=$PTY")
    shell = term.expect(r"pid=(\d+) pty=([\w.-]+)")
    assert shell.group(2) == "desk-4"
    st = statuses(sessdir)["desk-4"]
    assert st["connected"] is True and st["buffer"] == 256 * 1024  # BUFFER=256k
    term.line("disconnect")
    term.expect(r"\$ ")
    # The same id again: the same session (attached, not made anew).
    term.line(f"{var}=desk-4 {REZUMABLE} bash --norc --noprofile")
    term.expect(r"in> ")
    term.line("echo pid=$$")
    assert term.expect(r"pid=(\d+)").group(1) == shell.group(1)
    term.line("exit 5")
    term.expect(r"\$ ")
    assert term.run("echo rc=$?").strip() == "rc=5"


def test_a_bad_id_is_refused_in_one_line(term: Terminal, sessdir: Path) -> None:
    out = term.run(f"SESSMUX_ID=../../etc {REZUMABLE} sh -c 'echo ran'")
    assert out.strip().splitlines() == ["sessmux: fatal: bad session name ../../etc"]
    assert term.last_status == 2


def test_without_a_terminal_it_speaks_the_resume_protocol(
    env: dict[str, str], sessdir: Path
) -> None:
    # A resuming client (rezume --env-id) talks frames over ssh -T: -s is on,
    # and a client that does not open with the protocol's hello is refused.
    result = subprocess.run([str(REZUMABLE), "sh"], env=dict(env, SESSMUX_ID="piped"),
                            input=b"not a hello\n", capture_output=True, timeout=20)
    assert result.returncode == 11
    assert b"did not open with a hello" in result.stderr
    assert "piped" not in (statuses(sessdir) if sessdir.exists() else {})


# -- a real login over sshd ----------------------------------------------------

USER = "sessmux-ssh"


@dataclass
class Login:
    server: sshd.Sshd
    user: pwd.struct_passwd
    top: Path  # a world-readable copy of the checkout
    home: Path
    sessdir: Path
    env: dict[str, str]  # for the terminal the ssh client runs in

    def ssh(self, *options: str) -> str:
        """The ssh command line, as typed into a terminal."""
        argv = [*self.server.ssh("-tt", "-o", "SendEnv=SESSMUX_ID", *options),
                f"{self.user.pw_name}@{self.server.host}"]
        return " ".join(argv)


@pytest.fixture
def login(home: Path) -> Iterator[Login]:
    why = sshd.unavailable()
    if why:
        pytest.skip(why)
    user = ensure_user(USER, login=True)
    top = world_copy("sessmux-ssh-")
    python = python_for(user, top)
    if python is None:
        shutil.rmtree(top, ignore_errors=True)
        pytest.skip("no python the test user can run with sessmux's dependencies")
    user_home = top / "home"
    user_home.mkdir()
    sessdir = user_home / "sessions"
    # The login profile, as a user moving from atsr would write it.
    (user_home / ".bash_profile").write_text(
        f"export PATH={top / 'bin'}:/usr/bin:/bin\n"
        f"export SESSMUX_PYTHON={python}\n"
        f"export SESSMUX_DIR={sessdir}\n"
        "export PS1='in> ' TERM=xterm\n"
        f"exec {top / 'bin' / 'rezumable'} bash --norc --noprofile -i\n"
    )
    subprocess.run(["usermod", "-d", str(user_home), USER], check=True, capture_output=True)
    server: sshd.Sshd | None = None
    try:
        server = sshd.start(top / "sshd")
        server.authorize(user_home, user.pw_uid, user.pw_gid)
        subprocess.run(["chown", "-R", f"{user.pw_uid}:{user.pw_gid}", str(user_home)],
                       check=True)
        env = base_env(home, home / "client-sessions")
        yield Login(server, user, top, user_home, sessdir, env)
    finally:
        if server is not None:
            server.stop()
        kill_sessions(sessdir)
        kill_user_processes(user.pw_uid)
        shutil.rmtree(top, ignore_errors=True)


def _ssh_client(term: Terminal) -> psutil.Process:
    """The ssh client running in ``term`` (a child of its shell)."""
    found: list[psutil.Process] = []

    def look() -> bool:
        found[:] = [p for p in psutil.Process(term.pid).children() if p.name() == "ssh"]
        return len(found) == 1

    wait_until(look, what="the ssh client")
    return found[0]


def test_login_resumes_its_session_after_the_client_dies(login: Login) -> None:
    first = Terminal(dict(login.env, SESSMUX_ID="laptop-1"), cwd=str(login.home.parent))
    second: Terminal | None = None
    try:
        first.expect(r"\$ ")
        first.line(login.ssh())
        first.expect(r"in> ", timeout=30)
        first.line("echo marker-$PTY shell=$$ user=$(id -un)")
        m = first.expect(r"marker-([\w.-]+) shell=(\d+) user=(\S+)")
        assert m.group(1) == "laptop-1" and m.group(3) == USER
        shell = m.group(2)
        first.line("echo still-on-screen-$((6*7))")
        first.expect(r"still-on-screen-42")
        st = statuses(login.sessdir)["laptop-1"]
        assert st["connected"] is True
        assert str(st["remote"]).startswith("127.0.0.1 port ")  # from SSH_CONNECTION
        # The network "drops": the client dies without a word to the server.
        os.kill(_ssh_client(first).pid, signal.SIGKILL)
        first.expect(r"\$ ")
        wait_until(lambda: statuses(login.sessdir)["laptop-1"]["connected"] is False,
                   what="the session disconnected")
        # Log in again from a fresh terminal with the same id.
        second = Terminal(dict(login.env, SESSMUX_ID="laptop-1"), cwd=str(login.home.parent))
        second.expect(r"\$ ")
        second.mark()
        second.line(login.ssh())
        second.expect(r"marker-laptop-1", timeout=30)  # the screen, repainted
        second.expect(r"still-on-screen-42")
        second.line("echo again-$PTY shell=$$")
        again = second.expect(r"again-([\w.-]+) shell=(\d+)")
        assert (again.group(1), again.group(2)) == ("laptop-1", shell)
        assert list(statuses(login.sessdir)) == ["laptop-1"]
        # Ending the program ends the login, with its status.
        second.line("exit 7")
        second.expect(r"\$ ")
        assert second.run("echo rc=$?").strip() == "rc=7"
        wait_until(lambda: "laptop-1" not in statuses(login.sessdir), what="session ended")
    finally:
        first.close()
        if second is not None:
            second.close()


def test_login_without_an_id_just_runs_the_command(login: Login) -> None:
    term = Terminal(login.env, cwd=str(login.home.parent))
    try:
        term.expect(r"\$ ")
        term.line(login.ssh())
        term.expect(r"in> ", timeout=30)
        term.line("echo plain-${PTY:-none}-$(id -un)")
        term.expect(rf"plain-none-{USER}")
        assert not login.sessdir.exists() or statuses(login.sessdir) == {}
        term.line("exit 3")
        term.expect(r"\$ ")
        assert term.run("echo rc=$?").strip() == "rc=3"
    finally:
        term.close()


def test_sshd_accepts_only_the_session_id(login: Login) -> None:
    # Other variables the client sends are dropped by sshd (no wildcard).
    env = dict(login.env, SESSMUX_ID="laptop-2", SESSMUX_OTHER="leaked")
    argv = [*login.server.ssh("-T", "-o", "SendEnv=SESSMUX_ID", "-o", "SendEnv=SESSMUX_OTHER"),
            f"{USER}@{login.server.host}", "echo id=$SESSMUX_ID other=${SESSMUX_OTHER:-unset}"]
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30,
                         stdin=subprocess.DEVNULL)
    assert out.stdout.strip() == "id=laptop-2 other=unset", out.stderr
