"""The atsr-compatible ``sessmux`` command on real ptys: every option.

Each test has its own HOME and session directory (conftest); sessions are
killed by pid at the end.  Waits poll until a deadline; the orphan timeout
test compares against the session's own disconnected time, never a tight
wall clock.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from conftest import MakeTerminal
from terminal import Terminal, kill_sessions, statuses, wait_until

TYPE_CHECKING = False
if TYPE_CHECKING:
    pass

IN = r"in> "  # the session's shell prompt; the outer shell's is "$ "
SHELL = "bash --norc --noprofile"


def run(env: dict[str, str], *argv: str, stdin: int | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), env=env, stdin=stdin, capture_output=True, text=True,
                          timeout=20)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single ``sessmux: fatal: ...`` line a user error prints."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("sessmux: fatal: "), lines[0]
    return lines[0]


def enter(term: Terminal, options: str, name: str, program: str = SHELL,
          expect_name: str | None = None) -> str:
    """Run ``sessmux OPTIONS NAME PROGRAM`` in ``term``; return the session's shell pid."""
    term.mark()
    term.line(f"PS1='in''> ' sessmux {options} {name} {program}")
    term.expect(IN)
    term.line("echo pid=$$ pty=$PTY")
    m = term.expect(r"pid=(\d+) pty=([\w.-]+)")
    assert m.group(2) == (expect_name or name)
    return m.group(1)


def leave(term: Terminal) -> None:
    """Detach from inside the session; the outer shell's prompt comes back."""
    term.mark()
    term.line("disconnect")
    term.expect(r"\$ ")


# -- actions -----------------------------------------------------------------


def test_t_twice_gives_the_same_session(term: Terminal, sessdir: Path) -> None:
    first = enter(term, "-t", "work")
    term.line("echo kept-$((20+3))")
    term.expect("kept-23")
    leave(term)
    assert statuses(sessdir)["work"]["connected"] is False
    assert term.run("echo rc=$?").strip() == "rc=0"
    # The second -t attaches (its command is not run again): same shell.
    term.line(f"sessmux -t work {SHELL} -c 'echo a-new''-shell'")
    term.expect("kept-23")  # the screen comes back
    term.line("echo pid=$$ pty=$PTY")
    m = term.expect(r"pid=(\d+) pty=([\w.-]+)")
    assert (m.group(1), m.group(2)) == (first, "work")
    assert "a-new-shell" not in term.text
    assert list(statuses(sessdir)) == ["work"]


def test_c_on_an_existing_name_fails_clearly(env: dict[str, str], sessdir: Path) -> None:
    assert run(env, "sessmux", "-n", "taken", "sleep", "300").returncode == 0
    master = statuses(sessdir)["taken"]["pid"]
    for action in ("-c", "-n"):
        result = run(env, "sessmux", action, "taken", "sh")
        assert result.returncode == 2
        assert one_line(result) == "sessmux: fatal: session taken already exists"
    # The session that was there is untouched.
    assert statuses(sessdir)["taken"]["pid"] == master


def test_n_then_a(term: Terminal, env: dict[str, str], sessdir: Path) -> None:
    result = run(env, "sessmux", "-n", "later", "bash", "--norc", "--noprofile")
    assert result.returncode == 0 and result.stderr == ""
    st = statuses(sessdir)["later"]
    assert st["connected"] is False and st["exited"] is None
    term.mark()
    term.line("sessmux -a later")
    term.line("echo attached-to-$PTY")
    term.expect("attached-to-later")
    assert statuses(sessdir)["later"]["connected"] is True
    # -a never creates.
    result = run(env, "sessmux", "-a", "nothere", "sh")
    assert result.returncode == 17
    assert one_line(result) == "sessmux: fatal: no session nothere"
    assert "nothere" not in statuses(sessdir)


def test_c_creates_and_exit_status_is_the_programs(term: Terminal, sessdir: Path) -> None:
    term.run("sessmux -c short sh -c 'echo from-$PTY; exit 6'")
    assert term.last_status == 6
    assert "from-short" in term.text
    wait_until(lambda: "short" not in statuses(sessdir), what="session gone")


def test_f_takes_over_and_the_old_client_is_told(
    make_terminal: MakeTerminal, env: dict[str, str], sessdir: Path
) -> None:
    old, new = make_terminal(), make_terminal()
    pid = enter(old, "-t", "shared")
    # Without -f a connected session is refused.
    result = run(env, "sessmux", "-t", "shared", "sh", stdin=subprocess.DEVNULL)
    assert result.returncode == 16
    assert one_line(result) == ("sessmux: fatal: session shared already connected somewhere"
                                " else (use -f to take over)")
    assert enter(new, "-t -f", "shared") == pid
    old.expect(r"sessmux: info: session shared was taken over by another connection")
    old.expect(r"\$ ")
    assert old.run("echo rc=$?").strip() == "rc=0"
    new.line("echo still-$((4*5))")
    new.expect("still-20")
    assert statuses(sessdir)["shared"]["connected"] is True


def test_r_watches_and_ignores_input(
    make_terminal: MakeTerminal, env: dict[str, str], sessdir: Path
) -> None:
    writer, watcher = make_terminal(), make_terminal()
    enter(writer, "-t", "watched")
    watcher.mark()
    watcher.line("sessmux -a -r watched")
    wait_until(lambda: statuses(sessdir)["watched"]["watchers"] == 1, what="watcher")
    watcher.line("touch typed-by-watcher; echo watcher-$((1+1))")
    writer.mark()
    writer.line("echo writer-$((3+3))")
    writer.expect("writer-6")
    watcher.expect("writer-6")  # the watcher sees the output ...
    writer.drain(0.5)
    assert "watcher-2" not in writer.text  # ... but its keys go nowhere
    assert not (Path(env["HOME"]) / "typed-by-watcher").exists()
    watcher.send(b"\x03")  # ^C is a watcher's way out
    watcher.expect(r"\$ ")
    assert statuses(sessdir)["watched"]["connected"] is True


# -- orphans -----------------------------------------------------------------


def test_x_ends_an_orphaned_session_after_its_timeout_and_not_before(
    term: Terminal, sessdir: Path
) -> None:
    limit = 0.05 * 60  # -x 0.05: three seconds
    shell = int(enter(term, "-t -x 0.05", "orphan"))
    end = time.monotonic() + limit + 1
    while time.monotonic() < end:  # connected for longer than the limit: still there
        assert statuses(sessdir)["orphan"]["connected"] is True
        time.sleep(0.2)
    leave(term)
    st = statuses(sessdir)["orphan"]
    since = st["disconnected_at"]
    assert isinstance(since, float)
    seen_alive = 0
    while time.time() - since < limit / 2:
        assert "orphan" in statuses(sessdir), "ended before its orphan timeout"
        seen_alive += 1
        time.sleep(0.1)
    assert seen_alive
    deadline = time.monotonic() + limit + 10
    while "orphan" in statuses(sessdir):
        assert time.monotonic() < deadline, "not ended after its orphan timeout"
        time.sleep(0.1)
    assert time.time() - since >= limit  # never before its time
    # The program got its hang-up.
    wait_until(lambda: not psutil.pid_exists(shell) or
               psutil.Process(shell).status() == psutil.STATUS_ZOMBIE, what="program ended")
    assert "orphaned for" not in term.run("sessmux -l")


def test_x_zero_and_bad_values(env: dict[str, str], sessdir: Path) -> None:
    assert run(env, "sessmux", "-n", "-x", "0", "forever", "sleep", "300").returncode == 0
    for bad in ("soon", "-1"):
        result = run(env, "sessmux", "-n", "-x", bad, "other", "sleep", "300")
        assert result.returncode == 1, bad
        assert result.stderr.startswith("sessmux: fatal: ")
        assert "usage:" in result.stderr
    assert list(statuses(sessdir)) == ["forever"]


def test_list_shows_how_long_a_session_is_orphaned(env: dict[str, str], sessdir: Path) -> None:
    assert run(env, "sessmux", "-n", "lonely", "sleep", "300").returncode == 0
    since = statuses(sessdir)["lonely"]["disconnected_at"]
    assert isinstance(since, float)
    wait_until(lambda: time.time() - since >= 1.2, what="a second orphaned")
    out = run(env, "sessmux", "-l").stdout
    m = re.fullmatch(r" lonely  pid (\d+)  orphaned for (\d+)s\n", out)
    assert m, out
    assert 1 <= int(m.group(2)) <= 60
    assert re.search(r"^session lonely pid \d+ slave \d+ disconnected \(orphaned \d+s\)$",
                     run(env, "sesslist").stdout, re.M)


def test_unreachable_master_whose_program_ended_exits(env: dict[str, str], sessdir: Path) -> None:
    # The program ends while nobody is connected: the master waits for a reconnect ...
    assert run(env, "sessmux", "-n", "gone", "sh", "-c", "exit 3").returncode == 0
    wait_until(lambda: statuses(sessdir)["gone"]["exited"] == 3, what="program ended")
    master = int(statuses(sessdir)["gone"]["pid"])
    # ... until nobody can reach it any more: then it ends (checked every 5 s).
    (sessdir / "gone").unlink()
    wait_until(lambda: not _alive(master), timeout=20, what="master exits")


def test_unreachable_master_whose_program_lives_listens_again(
    env: dict[str, str], sessdir: Path
) -> None:
    assert run(env, "sessmux", "-n", "alive", "sleep", "300").returncode == 0
    master = int(statuses(sessdir)["alive"]["pid"])
    (sessdir / "alive").unlink()
    wait_until(lambda: (sessdir / "alive").exists(), timeout=20, what="socket made again")
    assert _alive(master)
    assert statuses(sessdir)["alive"]["pid"] == master


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


# -- the session name: -i VAR ------------------------------------------------


def test_i_takes_the_name_from_the_environment(term: Terminal, sessdir: Path) -> None:
    term.run("export SESSMUX_ID=term-7.a")
    enter(term, "-t -i SESSMUX_ID", "", expect_name="term-7.a")
    assert list(statuses(sessdir)) == ["term-7.a"]
    leave(term)
    term.run("unset SESSMUX_ID; export ATSR_ID=term-7.a")
    term.line("sessmux -a -i ATSR_ID")
    term.line("echo again-$PTY")
    term.expect("again-term-7.a")


@pytest.mark.parametrize(
    "value, message",
    [
        (None, "environment variable SESSMUX_ID is not set"),
        ("", "environment variable SESSMUX_ID is empty"),
        ("../../etc", "bad session name ../../etc"),
        ("a\nb", "bad session name a^Jb"),
        ("/tmp/x", "bad session name /tmp/x"),
        (".hidden", "bad session name .hidden"),
        ("esc\x1b[2J", "bad session name esc^[[2J"),
    ],
    ids=["missing", "empty", "dotdot", "newline", "absolute", "dot", "escape"],
)
def test_i_with_a_missing_or_hostile_value(
    value: str | None, message: str, env: dict[str, str], tmp_path: Path
) -> None:
    env = dict(env)
    env.pop("SESSMUX_ID", None)
    if value is not None:
        env["SESSMUX_ID"] = value
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    for action in ("-t", "-c", "-n", "-a"):
        result = run(env, "sessmux", action, "-i", "SESSMUX_ID", "sh", "-c", "touch /tmp/ran")
        assert result.returncode == 2, (action, result.stderr)
        line = one_line(result)
        assert line == f"sessmux: fatal: {message}"
        assert "\x1b" not in line
    # Never a path: nothing was created, not even the session directory.
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before
    assert not Path("/etc/sessmux").exists()


# -- socket directories: -g, -u, -l DIR --------------------------------------


def test_g_makes_a_private_per_user_directory_in_a_shared_one(
    env: dict[str, str], tmp_path: Path
) -> None:
    import pwd

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    env = dict(env, SESSMUX_DIR=str(tmp_path / "not-this-one"))
    try:
        result = run(env, "sessmux", "-n", "-g", str(shared), "job", "sleep", "300")
        assert result.returncode == 0, result.stderr
        mine = shared / pwd.getpwuid(os.getuid()).pw_name
        st = os.stat(mine)
        assert stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == os.getuid()
        assert stat.S_ISSOCK(os.stat(mine / "job").st_mode)
        assert stat.S_IMODE(os.stat(shared).st_mode) == 0o1777  # the parent stays shared
        assert not (tmp_path / "not-this-one").exists()
        listed = run(env, "sessmux", "-l", "-g", str(shared)).stdout
        assert re.fullmatch(r" job  pid \d+  orphaned for \d+s\n", listed), listed
        assert run(env, "sessmux", "-l", str(mine)).stdout == listed
        # A -g directory that does not exist yet is made shared (sticky, 1777).
        fresh = tmp_path / "fresh"
        assert run(env, "sessmux", "-n", "-g", str(fresh), "two", "sleep", "300").returncode == 0
        assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o1777
        assert stat.S_IMODE(os.stat(fresh / mine.name).st_mode) == 0o700
    finally:
        kill_sessions(shared / pwd.getpwuid(os.getuid()).pw_name)
        kill_sessions(tmp_path / "fresh" / pwd.getpwuid(os.getuid()).pw_name)


def test_u_refuses_a_group_readable_directory(env: dict[str, str], tmp_path: Path) -> None:
    open_dir = tmp_path / "mine"
    open_dir.mkdir()
    open_dir.chmod(0o750)
    result = run(env, "sessmux", "-n", "-u", str(open_dir), "job", "sleep", "300")
    assert result.returncode == 8
    assert one_line(result) == (f"sessmux: fatal: unsafe permissions on session directory"
                                f" {open_dir}: mode 0750, must be 0700")
    assert list(open_dir.iterdir()) == []
    assert run(env, "sessmux", "-l", str(open_dir)).returncode == 8
    open_dir.chmod(0o700)
    try:
        assert run(env, "sessmux", "-n", "-u", str(open_dir), "job", "sleep", "300"
                   ).returncode == 0
        assert stat.S_ISSOCK(os.stat(open_dir / "job").st_mode)
    finally:
        kill_sessions(open_dir)


def test_l_marks_connected_sessions(term: Terminal, env: dict[str, str]) -> None:
    assert run(env, "sessmux", "-n", "idle", "sleep", "300").returncode == 0
    enter(term, "-t", "busy")
    listed = run(env, "sessmux", "-l").stdout.splitlines()
    assert len(listed) == 2, listed
    assert re.fullmatch(r"\*busy  pid \d+  connected from .*", listed[0]), listed
    assert re.fullmatch(r" idle  pid \d+  orphaned for \d+s", listed[1]), listed
    assert run(env, "sessmux", "--list").stdout.splitlines()[0].startswith("*busy ")


# -- the detach key: -e ------------------------------------------------------


@pytest.mark.parametrize("key, byte", [("^A", b"\x01"), ("C-b", b"\x02")])
def test_e_detaches_and_twice_sends_it_through(
    key: str, byte: bytes, term: Terminal, sessdir: Path
) -> None:
    enter(term, f"-t -e {key}", "keyed")
    # A reader in the session shows exactly the bytes it is given.
    term.line("stty raw -echo; dd bs=1 count=3 2>/dev/null | od -An -c; stty sane")
    term.drain(0.3)
    term.mark()
    term.send(byte + byte + b"xy")  # the key twice is one key, then "xy"
    octal = f"{byte[0]:03o}"
    term.expect(rf"\s{octal}\s+x\s+y\s")
    term.expect(IN)
    # The key and another key: detached, the session keeps running.
    term.mark()
    term.send(byte + b"d")
    term.expect(r"sessmux: info: detached from session keyed\r\n\$ ")
    assert term.run("echo rc=$?").strip() == "rc=0"
    assert statuses(sessdir)["keyed"]["connected"] is False
    # A lone key detaches too, after a moment with no second key.  The key
    # belongs to the connection: this one asks for it again.
    term.line(f"sessmux -a -e {key} keyed")
    term.expect(IN)
    wait_until(lambda: statuses(sessdir)["keyed"]["connected"] is True, what="attached")
    term.mark()
    term.send(byte)
    term.expect(r"\$ ")
    assert statuses(sessdir)["keyed"]["connected"] is False


def test_e_bad_key_is_usage(env: dict[str, str], sessdir: Path) -> None:
    result = run(env, "sessmux", "-t", "-e", "^AB", "k", "sh")
    assert result.returncode == 1
    assert result.stderr.startswith("sessmux: fatal: bad detach key")


# -- diagnostics, buffer, sync, usage ------------------------------------------


def test_d_2_with_o_writes_diagnostics_to_the_file(
    env: dict[str, str], sessdir: Path, tmp_path: Path
) -> None:
    log = tmp_path / "diag.log"
    result = run(env, "sessmux", "-n", "-d", "2", "-o", str(log), "noted", "sleep", "300")
    assert result.returncode == 0
    assert result.stderr == ""  # all of it went to the file
    text = log.read_text()
    master = statuses(sessdir)["noted"]["pid"]
    assert re.search(rf"^\S+ \S+ sessmux: session noted in {sessdir}$", text, re.M), text
    assert re.search(rf"^\S+ \S+ sessmux: created session noted \(master pid {master}\)$",
                     text, re.M), text
    # -o appends.
    run(env, "sessmux", "-n", "-d", "1", "-o", str(log), "noted2", "sleep", "300")
    again = log.read_text()
    assert again.startswith(text) and "created session noted2" in again
    assert "session noted2 in" not in again  # a level-2 line, not written at -d 1
    # Without -o the same lines go to stderr; at -d 0 nothing is said.
    result = run(env, "sessmux", "-n", "-d", "2", "noted3", "sleep", "300")
    assert "sessmux: created session noted3" in result.stderr
    assert run(env, "sessmux", "-n", "quiet", "sleep", "300").stderr == ""


def test_d_3_adds_the_masters_own_log(env: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "diag.log"
    run(env, "sessmux", "-n", "-d", "3", "-o", str(log), "deep", "sh", "-c", "exit 4")
    wait_until(lambda: "master deep: program ended, status 4" in log.read_text(),
               what="the master's log line")


def test_b_sets_the_replay_buffer(env: dict[str, str], sessdir: Path) -> None:
    for given, size in (("64k", 65536), ("1000", 1000), ("0", 0)):
        name = f"buf{size}"
        assert run(env, "sessmux", "-n", "-b", given, name, "sleep", "300").returncode == 0
        assert statuses(sessdir)[name]["buffer"] == size
    assert run(env, "sessmux", "-n", "dflt", "sleep", "300").returncode == 0
    assert statuses(sessdir)["dflt"]["buffer"] == 256 * 1024
    result = run(env, "sessmux", "-n", "-b", "lots", "bad", "sleep", "300")
    assert result.returncode == 1 and "bad buffer size" in result.stderr


def test_s_wants_the_resume_protocol(env: dict[str, str], sessdir: Path) -> None:
    # -s: stdin/stdout speak the resume protocol (rezume(1)); a client that
    # does not open with its hello is refused before any session is made.
    result = subprocess.run(["sessmux", "-t", "-s", "synced", "sh"], env=env,
                            input=b"echo plain text, not a hello\n", capture_output=True,
                            timeout=20)
    assert result.returncode == 11
    assert result.stderr.decode() == (
        "sessmux: fatal: resume protocol: the client did not open with a hello\n")
    assert "synced" not in statuses(sessdir)


def test_long_options(term: Terminal, env: dict[str, str], sessdir: Path) -> None:
    result = run(env, "sessmux", "--new-detached", "--buffer", "8k", "--orphan-timeout=0",
                 "--no-utmp", "--debug", "1", "long", "bash", "--norc", "--noprofile")
    assert result.returncode == 0, result.stderr
    assert statuses(sessdir)["long"]["buffer"] == 8192
    term.line("SESSMUX_ID=long sessmux --attach --id-var SESSMUX_ID")
    term.line("echo long-$PTY")
    term.expect("long-long")


@pytest.mark.parametrize(
    "argv",
    [["-Z", "x", "sh"], ["-a", "-t", "x", "sh"], ["-c", "-n", "x", "sh"], ["-l", "-t"],
     ["x", "sh"], [], ["--frobnicate", "x"], ["-t"], ["-t", "-d", "lots", "x", "sh"]],
    ids=["unknown", "a+t", "c+n", "l+t", "no-action", "nothing", "unknown-long",
         "no-name", "bad-level"],
)
def test_usage_errors(argv: list[str], env: dict[str, str], sessdir: Path) -> None:
    result = run(env, "sessmux", *argv)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("sessmux: fatal: ") and lines[1].startswith("usage: sessmux ")
    assert len(lines) == 2 and "Traceback" not in result.stderr
    assert not sessdir.exists() or list(sessdir.iterdir()) == []


def test_help(env: dict[str, str]) -> None:
    for flag in ("--help", "-h"):
        result = run(env, "sessmux", flag)
        assert result.returncode == 0 and result.stderr == ""
        assert result.stdout.startswith("usage: sessmux ")
        for option in ("--attach-or-create", "--detach-key", "--shared-dir", "--orphan-timeout"):
            assert option in result.stdout


# -- utmp --------------------------------------------------------------------

UTMP = Path("/run/utmp")


@pytest.fixture
def utmp_file() -> Iterator[Path]:
    """The system's utmp file; made (root:utmp 0664) if missing, removed only if made here."""
    if os.geteuid() != 0:
        pytest.skip("reading and writing login records needs root here")
    made = False
    if not UTMP.exists():
        import grp

        UTMP.touch(mode=0o664)
        try:
            os.chown(UTMP, 0, grp.getgrnam("utmp").gr_gid)
        except KeyError:
            pass
        UTMP.chmod(0o664)
        made = True
    yield UTMP
    if made:
        UTMP.unlink(missing_ok=True)


def who_lines(env: dict[str, str]) -> list[str]:
    return run(env, "who").stdout.splitlines()


def logged_in(env: dict[str, str], line: str) -> bool:
    return any(re.search(rf"\s{re.escape(line)}\s", w + " ") for w in who_lines(env))


def test_utmp_record_lives_as_long_as_the_session(
    utmp_file: Path, term: Terminal, env: dict[str, str], sessdir: Path
) -> None:
    enter(term, "-t", "logged")
    term.line("tty")
    line = term.expect(r"/dev/(pts/\d+)").group(1)
    wait_until(lambda: logged_in(env, line), what=f"{line} in who")
    # A disconnected session is still logged in.
    leave(term)
    assert logged_in(env, line)
    term.line("sessmux -a logged")
    term.expect(IN)
    term.line("exit")
    term.expect(r"\$ ")
    wait_until(lambda: "logged" not in statuses(sessdir), what="session ended")
    wait_until(lambda: not logged_in(env, line), what=f"{line} gone from who")


def test_w_writes_no_utmp_record(
    utmp_file: Path, term: Terminal, env: dict[str, str]
) -> None:
    enter(term, "-t -w", "unlogged")
    term.line("tty")
    line = term.expect(r"/dev/(pts/\d+)").group(1)
    # A session without -w, started after it, is recorded: who is not just slow.
    witnessed = run(env, "sessmux", "-n", "-d", "2", "witness", "sleep", "300")
    assert witnessed.returncode == 0
    assert re.search(r"written (through libutempter|directly \(root\))", witnessed.stderr)
    witness = [w for w in who_lines(env) if "sessmux:witness" in w]
    assert witness, who_lines(env)
    assert not logged_in(env, line)
    dump = run(env, "utmpdump", str(utmp_file)).stdout
    assert not re.search(rf"^\[7\].*\[{re.escape(line)}\s*\]", dump, re.M), dump


def test_killed_session_clears_its_record(
    utmp_file: Path, env: dict[str, str], sessdir: Path
) -> None:
    assert run(env, "sessmux", "-n", "killed", "sleep", "300").returncode == 0
    wait_until(lambda: any("sessmux:killed" in w for w in who_lines(env)), what="recorded")
    assert run(env, "sesskill", "-y", "-s", "killed").returncode == 0
    wait_until(lambda: not any("sessmux:killed" in w for w in who_lines(env)),
               what="record cleared")
