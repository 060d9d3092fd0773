"""The user's terminal is given back when a connection ends abnormally (issue 12).

A full-screen program in the session turns on every mode a terminal
keeps: the alternate screen, mouse reports, bracketed paste, cursor keys
and keypad in application mode, a hidden cursor, a scroll region and
origin mode.  Then the connection ends badly: a signal to the signaller,
a fatal error, the master killed.  The user's terminal is tmux, so what
the user is left with is read back from it: its mode flags, and what a
paste looks like.  The shell around ``sess`` is dash, which (unlike bash)
does not put the tty modes back itself after a job killed by a signal.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import termios
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from terminal import DEADLINE, Terminal, owner_of, statuses, wait_until
from tmuxterm import TMUX, TmuxTerminal
from users import as_user, ensure_user, kill_user_processes, python_for, world_copy

from sessmux.client import channel

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")

ROWS = 24
USER = "sessmux-test"
MODES_ON = (
    r"\033[?1049h\033[H\033[2J"  # alternate screen
    r"\033[?1000h\033[?1002h\033[?1006h"  # mouse: press/release, drags, SGR reports
    r"\033[?2004h\033[?1h\033=\033[?25l"  # paste, cursor keys, keypad, hidden cursor
    r"\033[5;20r\033[?6h"  # scroll region, origin mode
)
FULL_SCREEN = f"""\
[ -z "$RECO" ] || reconnect "$RECO"
printf '{MODES_ON}FULL SCREEN READY session=%s' "$PTY"
[ -n "$BUSY" ] || exec sleep 1000
while :; do  # a busy program: its next screen update turns the modes on again
    printf '{MODES_ON}FULL SCREEN READY session=%s' "$PTY"
done
"""
# The user's side: dash runs sess between two snapshots of the tty's modes,
# then cat -v shows how keys and pastes reach the next program.
OUTER = """\
stty -g >before
sess sh full-screen.sh
echo "sess exited $?"
stty -g >after
exec cat -v
"""
FLAGS = ["alternate_on", "mouse_any_flag", "mouse_button_flag", "mouse_standard_flag",
         "mouse_sgr_flag", "keypad_cursor_flag", "keypad_flag", "origin_flag", "cursor_flag",
         "scroll_region_upper", "scroll_region_lower"]  # tmux's names for its pane's modes
GIVEN_BACK = dict.fromkeys(FLAGS, "0") | {"cursor_flag": "1", "scroll_region_lower": str(ROWS - 1)}
# tmux keeps one mouse mode, as xterm does: ?1002 replaced ?1000.
TAKEN = dict.fromkeys(FLAGS, "1") | {
    "mouse_standard_flag": "0", "cursor_flag": "0", "scroll_region_upper": "4",
    "scroll_region_lower": "19"}


class User:
    """A user at a terminal (tmux) whose shell runs a full-screen program under ``sess``."""

    def __init__(self, env: dict[str, str], workdir: Path, reco: str = "",
                 busy: bool = False) -> None:
        self.workdir = workdir
        (workdir / "full-screen.sh").write_text(FULL_SCREEN)
        (workdir / "outer.sh").write_text(OUTER)
        self.env = dict(env, RECO=reco, BUSY="1" if busy else "")
        self.term = TmuxTerminal(self.env, workdir, rows=ROWS, name="user")
        self.term.line(f"cd {workdir} && exec sh outer.sh")
        screen = self.term.wait_for(r"FULL SCREEN READY session=\w+")
        m = re.search(r"READY session=(\w+)", screen)
        assert m, screen
        self.name = m.group(1)
        # Else the test shows nothing.  (A busy program is caught between updates.)
        wait_until(lambda: self.flags() == TAKEN, what="the program's modes")

    def flags(self) -> dict[str, str]:
        values = self.term.tmux("display-message", "-p", " ".join(f"#{{{f}}}" for f in FLAGS))
        return dict(zip(FLAGS, values.split(), strict=True))

    def signaller(self) -> int:
        """The sess process the user's shell waits on."""
        pane = int(self.term.tmux("display-message", "-p", "#{pane_pid}"))
        for child in psutil.Process(pane).children():
            if "sessmux.commands.sess" in " ".join(child.cmdline()):
                return child.pid
        raise AssertionError("no sess under the user's shell")

    def status(self) -> dict[str, object]:
        for st in channel.statuses(
            self.env["SESSMUX_DIR"], owner=owner_of(self.env["SESSMUX_DIR"])
        ):
            if st.get("name") == self.name:
                return st
        raise AssertionError(f"no session {self.name}")

    def ended(self) -> tuple[int, str]:
        """sess's exit status, and the screen the user has then."""
        screen = self.term.wait_for(r"sess exited \d+")
        m = re.search(r"sess exited (\d+)", screen)
        assert m
        wait_until(lambda: (self.workdir / "after").exists() and
                   (self.workdir / "after").read_text().endswith("\n"), what="stty -g")
        return int(m.group(1)), screen

    def assert_given_back(self) -> None:
        """The tty modes are as before, every screen mode is off, a paste is a paste."""
        assert (self.workdir / "after").read_text() == (self.workdir / "before").read_text()
        tty = self.term.tmux("display-message", "-p", "#{pane_tty}").strip()
        fd = os.open(tty, os.O_RDWR | os.O_NOCTTY)
        try:
            lflag = termios.tcgetattr(fd)[3]
        finally:
            os.close(fd)
        assert lflag & termios.ICANON and lflag & termios.ECHO
        assert self.flags() == GIVEN_BACK
        # The main screen came back with its cursor where it was: below the command.
        screen = self.term.screen()
        assert screen.startswith(f"$ cd {self.workdir} && exec sh"), screen
        self.term.tmux("set-buffer", "-b", "restore", "pasted-text")
        self.term.tmux("paste-buffer", "-p", "-b", "restore")
        self.term.keys("Enter")
        screen = self.term.wait_for(r"pasted-text[\s\S]*pasted-text")  # the echo, then cat's
        assert "200~" not in screen  # no bracketed-paste marks: the mode is off

    def close(self) -> None:
        self.term.close()


@pytest.fixture
def user(env: dict[str, str], tmp_path: Path) -> Iterator[User]:
    made = User(env, tmp_path)
    yield made
    made.close()


def reattach(env: dict[str, str], workdir: Path, name: str) -> None:
    """The session lived through its signaller's death: a new terminal picks it up."""
    again = TmuxTerminal(env, workdir, rows=ROWS, name="again")
    try:
        again.line(f"sess reconnect {name}")
        again.wait_for(r"FULL SCREEN READY")
    finally:
        again.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGQUIT])
def test_signal_to_signaller_gives_terminal_back(
        user: User, env: dict[str, str], tmp_path: Path, sig: int) -> None:
    os.kill(user.signaller(), sig)
    code, _ = user.ended()
    assert code == 128 + sig  # it dies of the signal, as pty 4.0's does
    user.assert_given_back()
    reattach(env, tmp_path, user.name)


def test_signaller_killed_outright_only_disconnects(
        user: User, env: dict[str, str], tmp_path: Path) -> None:
    """SIGKILL cannot be caught: the terminal is not given back, but the master lets go."""
    os.kill(user.signaller(), signal.SIGKILL)
    code, _ = user.ended()
    assert code == 128 + signal.SIGKILL
    wait_until(lambda: user.status()["connected"] is False, what="the master to notice")
    reattach(env, tmp_path, user.name)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_master_dying_under_terminal_gives_it_back(user: User, sig: int) -> None:
    os.kill(int(str(user.status()["pid"])), sig)
    code, screen = user.ended()
    assert code == 11
    assert re.search(rf"^sess: fatal: signaller lost the master of session {user.name}; "
                     "use sesslist to check$", screen, re.M)
    user.assert_given_back()


def test_output_after_the_reset_does_not_take_the_terminal_again(
        env: dict[str, str], tmp_path: Path) -> None:
    """The master stops writing to the terminal before the signaller resets it."""
    user = User(env, tmp_path, busy=True)
    try:
        os.kill(user.signaller(), signal.SIGTERM)
        code, _ = user.ended()
        assert code == 128 + signal.SIGTERM
        user.assert_given_back()
        assert user.status()["connected"] is False
    finally:
        user.close()


def test_fatal_error_gives_terminal_back(env: dict[str, str], tmp_path: Path) -> None:
    # The program dies without cleaning up; the reconnect target it set is not there.
    user = User(env, tmp_path, reco="nosuch")
    try:
        os.kill(int(str(user.status()["slave"])), signal.SIGKILL)
        code, screen = user.ended()
        assert code == 17
        assert re.search(r"^sess: fatal: signaller cannot reconnect to session nosuch; "
                         r"does it exist\?$", screen, re.M)
        user.assert_given_back()
    finally:
        user.close()


def test_a_stuck_master_does_not_hold_a_leaving_signaller(user: User) -> None:
    """A stopped master cannot answer the hang-up: the signaller leaves anyway, in time."""
    master = int(str(user.status()["pid"]))
    os.kill(master, signal.SIGSTOP)
    try:
        os.kill(user.signaller(), signal.SIGTERM)
        code, _ = user.ended()
        assert code == 128 + signal.SIGTERM
        user.assert_given_back()
    finally:
        os.kill(master, signal.SIGCONT)
    wait_until(lambda: not user.status().get("connected"), DEADLINE, "the master to notice")


@pytest.fixture
def ordinary(tmp_path: Path) -> Iterator[tuple[pwd.struct_passwd, dict[str, str]]]:
    """An ordinary user with a readable copy of sessmux, and the environment to run it."""
    if os.getuid() != 0:
        pytest.skip("creating a user needs root")
    user = ensure_user(USER)
    top = world_copy("sessmux-restore-")
    home = top / "home"
    home.mkdir()
    os.chown(home, user.pw_uid, user.pw_gid)
    python = python_for(user, top)
    try:
        if python is None:
            pytest.skip("no python the test user can run with sessmux's dependencies")
        yield user, {
            "PATH": f"{top / 'bin'}:/usr/bin:/bin", "HOME": str(home), "SESSMUX_PYTHON": python,
            "SESSMUX_DIR": str(home / "sessions"), "SESSMUX_REGISTRY": str(home / "registry"),
            "TERM": "xterm", "LANG": "C.UTF-8", "PS1": "$ ", "USER": USER, "RECO": "", "BUSY": "",
        }
    finally:
        kill_user_processes(user.pw_uid)
        shutil.rmtree(top, ignore_errors=True)


def last_switch_is_off(data: bytes, on: bytes, off: bytes) -> bool:
    return data.rfind(off) > data.rfind(on)


@pytest.mark.parametrize("victim", ["signaller", "master"])
def test_ordinary_users_terminal_given_back(
        ordinary: tuple[pwd.struct_passwd, dict[str, str]], victim: str) -> None:
    """As an ordinary user, on a pty of the user's own: SIGTERM to sess, SIGKILL to its master."""
    user, env = ordinary
    home = Path(env["HOME"])
    for name, text in (("full-screen.sh", FULL_SCREEN), ("outer.sh", OUTER)):
        (home / name).write_text(text)
    owner = (user.pw_uid, user.pw_gid)
    term = Terminal(env, argv=as_user(user, "sh", "outer.sh"), cwd=str(home), owner=owner)
    try:
        name = term.expect(r"READY session=(\w+)").group(1)
        taken = len(term.buffer)
        if victim == "signaller":
            sess = next(p for p in psutil.Process(term.pid).children()
                        if "sessmux.commands.sess" in " ".join(p.cmdline()))
            os.kill(sess.pid, signal.SIGTERM)
            expected = 128 + signal.SIGTERM
        else:
            st = statuses(env["SESSMUX_DIR"])[name]
            os.kill(int(str(st["pid"])), signal.SIGKILL)
            expected = 11
        code = int(term.expect(r"sess exited (\d+)").group(1))
        assert code == expected
        wait_until(lambda: (home / "after").exists() and
                   (home / "after").read_text().endswith("\n"), what="stty -g")
        assert (home / "after").read_text() == (home / "before").read_text()
        lflag = termios.tcgetattr(term.fd)[3]  # the pty's master side reads the user's side
        assert lflag & termios.ICANON and lflag & termios.ECHO
        # What reached the terminal after the program had taken it.
        received = term.buffer[taken:]
        for on, off in ((b"\x1b[?1049h", b"\x1b[?1049l"), (b"\x1b[?1000h", b"\x1b[?1000l"),
                        (b"\x1b[?1002h", b"\x1b[?1002l"), (b"\x1b[?1006h", b"\x1b[?1006l"),
                        (b"\x1b[?2004h", b"\x1b[?2004l"), (b"\x1b[?1h", b"\x1b[?1l"),
                        (b"\x1b=", b"\x1b>"), (b"\x1b[?25l", b"\x1b[?25h"),
                        (b"\x1b[5;20r", b"\x1b[r"), (b"\x1b[?6h", b"\x1b[?6l")):
            assert off in received and last_switch_is_off(term.buffer, on, off), (on, received)
        if victim == "signaller":
            # The session lived on, disconnected: the user picks it up again.
            again = Terminal(env, argv=as_user(user, "sess", "reconnect", name), cwd=str(home),
                             owner=owner)
            try:
                again.expect(r"FULL SCREEN READY")
            finally:
                again.close()
    finally:
        term.close()
