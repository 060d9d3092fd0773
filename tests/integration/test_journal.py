"""The session journal (issue 15): every byte a session wrote, on disk, replayed,
searched and exported by sesslog, outliving its master.  Real commands, real ptys."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from terminal import DEADLINE, Terminal, statuses, wait_until
from tmuxterm import TMUX, TmuxTerminal

from sessmux.system import journal


def start(env: dict[str, str], name: str, script: str, *options: str) -> None:
    """A session NAME running ``sh -c SCRIPT`` that nobody is attached to."""
    subprocess.run(["sessmux", "-n", *options, name, "sh", "-c", script], env=env, check=True,
                   timeout=30, stdin=subprocess.DEVNULL, capture_output=True)


def journal_end(sessdir: Path, name: str) -> int:
    try:
        fd = journal.open_dir(str(sessdir), name)
    except FileNotFoundError:
        return -1
    try:
        return journal.Reader(fd).end()
    finally:
        os.close(fd)


def sesslog(env: dict[str, str], *args: str, check: bool = True) -> bytes:
    return subprocess.run(["sesslog", *args], env=env, capture_output=True, check=check,
                          timeout=60).stdout


def seq_output(last: int, first: int = 1, prefix: str = "") -> bytes:
    """What ``seq`` prints, as the pty gives it (ONLCR: CR LF)."""
    return b"".join(f"{prefix}{i}\r\n".encode() for i in range(first, last + 1))


def test_twenty_megabytes_written_while_detached_come_back_byte_exact(
        env: dict[str, str], sessdir: Path) -> None:
    want = seq_output(2_500_000)
    assert len(want) > 20_000_000
    start(env, "big", "seq 1 2500000; exec sleep 600")
    wait_until(lambda: journal_end(sessdir, "big") >= len(want), timeout=120,
               what="20 MB in the journal")
    assert sesslog(env, "-s", "big") == want
    plain = sesslog(env, "-s", "big", "-p")
    assert plain == want.replace(b"\r\n", b"\n")
    assert sesslog(env, "-s", "big", "--tail", "2") == b"2499999\r\n2500000\r\n"
    assert sesslog(env, "-s", "big", "--since", str(len(want) - 9)) == b"2500000\r\n"


def test_a_pipe_reconnect_gets_all_five_megabytes_written_while_detached(
        term: Terminal, env: dict[str, str], sessdir: Path, tmp_path: Path) -> None:
    want = seq_output(700_000, prefix="x")
    assert len(want) > 5_000_000
    start(env, "five", "seq 1 700000 | sed 's/^/x/'; echo END-OF-IT; exec sleep 600")
    wait_until(lambda: journal_end(sessdir, "five") > len(want), timeout=60, what="5 MB")
    out = tmp_path / "file"
    term.line(f"sess reconnect five | cat > {out}")
    wait_until(lambda: out.exists() and b"END-OF-IT" in out.read_bytes()[-64:],
               timeout=60, what="the pipe to receive everything")
    got = out.read_bytes()
    # Before the session's output: what the intermediate `reconnect` session printed.
    assert got.endswith(want + b"END-OF-IT\r\n")


def test_without_a_journal_nothing_is_written_and_sesslog_says_so(
        env: dict[str, str], sessdir: Path) -> None:
    start(env, "quiet", "echo secret-output; exec sleep 600", "-J", "0")
    wait_until(lambda: "quiet" in statuses(sessdir), what="the session")
    assert statuses(sessdir)["quiet"]["journal"] == 0
    assert not (sessdir / ".journal" / "quiet").exists()
    out = subprocess.run(["sesslog", "-s", "quiet"], env=env, capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 2
    assert out.stderr == "sesslog: fatal: no journal for session quiet\n"


def test_the_journal_is_private_and_bounded(env: dict[str, str], sessdir: Path) -> None:
    want = seq_output(500_000)  # 3.9 MB into a 1 MiB journal
    start(env, "small", "seq 1 500000; exec sleep 600", "-J", "1m")
    wait_until(lambda: journal_end(sessdir, "small") >= len(want), timeout=60, what="output")
    top, own = sessdir / ".journal", sessdir / ".journal" / "small"
    assert stat.S_IMODE(top.stat().st_mode) == 0o700
    assert stat.S_IMODE(own.stat().st_mode) == 0o700
    files = list(own.iterdir())
    assert files and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert sum(f.stat().st_size for f in files) <= 1 << 20
    kept = sesslog(env, "-s", "small")
    assert 0 < len(kept) <= 1 << 20
    assert want.endswith(kept)  # the newest output, byte-exact; the oldest went
    assert statuses(sessdir)["small"]["journal"] == 1 << 20


def test_a_master_killed_leaves_a_journal_that_sesslog_reads_and_sesslist_a_shows(
        env: dict[str, str], sessdir: Path) -> None:
    start(env, "doomed", "echo last-words-$((6*7)); exec sleep 600")
    wait_until(lambda: journal_end(sessdir, "doomed") > 0, what="output")
    st = statuses(sessdir)["doomed"]
    os.kill(int(str(st["slave"])), signal.SIGKILL)
    os.kill(int(str(st["pid"])), signal.SIGKILL)
    wait_until(lambda: "doomed" not in statuses(sessdir), what="the master gone")
    assert sesslog(env, "-s", "doomed", "-p") == b"last-words-42\n"
    listed = subprocess.run(["sesslist"], env=env, capture_output=True, text=True,
                            check=True, timeout=30).stdout
    assert "doomed" not in listed  # sesslist does not clutter
    listed = subprocess.run(["sesslist", "-a"], env=env, capture_output=True, text=True,
                            check=True, timeout=30).stdout
    line = next(x for x in listed.splitlines() if x.startswith("session doomed "))
    assert line.startswith("session doomed ended (journal ")
    atsr = subprocess.run(["sessmux", "-l"], env=env, capture_output=True, text=True,
                          check=True, timeout=30).stdout
    assert "doomed" not in atsr
    atsr = subprocess.run(["sessmux", "-l", "--ended"], env=env, capture_output=True,
                          text=True, check=True, timeout=30).stdout
    assert re.search(r"^ doomed  ended  journal \d+ bytes, last output \d{4}-", atsr, re.M), atsr
    assert subprocess.run(["sesslog", "--rm", "-s", "doomed"], env=env, timeout=30).returncode == 0
    listed = subprocess.run(["sesslist", "-a"], env=env, capture_output=True, text=True,
                            check=True, timeout=30).stdout
    assert "doomed" not in listed


def test_rm_refuses_a_running_session(env: dict[str, str], sessdir: Path) -> None:
    start(env, "alive", "echo hi; exec sleep 600")
    out = subprocess.run(["sesslog", "--rm", "-s", "alive"], env=env, capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 2
    assert out.stderr.startswith("sesslog: fatal: session alive is running")
    assert (sessdir / ".journal" / "alive").is_dir()


def test_grep_finds_lines_with_their_time(env: dict[str, str], sessdir: Path) -> None:
    start(env, "found", "printf 'alpha\\nbeta \\033[1mneedle\\033[m here\\ngamma\\n'; "
          "exec sleep 600")
    wait_until(lambda: b"gamma" in sesslog(env, "-s", "found", check=False), what="output")
    lines = sesslog(env, "-s", "found", "--grep", "needle").decode().splitlines()
    assert len(lines) == 1
    day, clock, text = lines[0].split(" ", 2)
    assert text == "beta needle here"
    assert time.strptime(f"{day} {clock}", "%Y-%m-%d %H:%M:%S")


def test_events_are_in_the_journal_and_sesslog_shows_them(
        env: dict[str, str], sessdir: Path) -> None:
    # A bell, a notification, then (once they are read) the program's end.
    start(env, "told", "printf 'work\\a'; printf '\\033]9;built ok\\a'; sleep 1; exit 3")
    wanted = [b" bell\n", b" notify text=built ok\n", b" exit status=3 "]
    wait_until(lambda: all(w in sesslog(env, "-s", "told", "--events", check=False)
                           for w in wanted), what="the events in the journal")
    lines = sesslog(env, "-s", "told", "--events").decode().splitlines()
    kinds = [line.split(" ", 3)[2] for line in lines]
    assert kinds.index("bell") < kinds.index("notify") < kinds.index("exit")
    assert sesslog(env, "-s", "told", "-p") == b"work\n"  # the output itself: no event in it


@pytest.fixture
def asciinema() -> str:
    """The real asciinema (2.x, from PyPI: the test extra), next to our Python."""
    found = shutil.which("asciinema", path=os.path.dirname(sys.executable)) \
        or shutil.which("asciinema")
    if found is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "asciinema>=2,<3"],
                       check=True, timeout=300)
        found = shutil.which("asciinema", path=os.path.dirname(sys.executable))
    assert found, "asciinema is not installed"
    return found


def test_asciicast_plays_in_asciinema_byte_exact_with_the_real_pauses(
        env: dict[str, str], sessdir: Path, tmp_path: Path, asciinema: str) -> None:
    start(env, "cast", "echo one; sleep 2; printf 'two \\033[1mbold\\033[m caf\\303\\251\\n'; "
          "echo three; exec sleep 600")
    wait_until(lambda: b"three" in sesslog(env, "-s", "cast", check=False), what="output")
    raw = sesslog(env, "-s", "cast")
    cast = tmp_path / "cast.cast"
    cast.write_bytes(sesslog(env, "-s", "cast", "--asciicast"))
    played = subprocess.run([asciinema, "cat", str(cast)], capture_output=True, check=True,
                            timeout=60, env={**env, "LANG": "C.UTF-8"}).stdout
    assert played == raw
    lines = cast.read_text().splitlines()
    head = json.loads(lines[0])
    assert head["version"] == 2 and head["width"] > 0 and head["height"] > 0
    events = [json.loads(x) for x in lines[1:]]
    times = [e[0] for e in events]
    assert times == sorted(times)
    two = next(e[0] for e in events if "two" in e[2])
    one = next(e[0] for e in events if "one" in e[2])
    assert two - one >= 1.5  # the session slept, detached: a pause in the recording
    capped = [json.loads(x) for x in sesslog(env, "-s", "cast", "--asciicast", "--idle-limit",
                                             "0.5").decode().splitlines()[1:]]
    assert max(b[0] - a[0] for a, b in zip(capped, capped[1:], strict=False)) <= 0.5 + 1e-6


def test_follow_prints_live_output_and_stops_when_the_session_ends(
        env: dict[str, str], sessdir: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "go"
    os.mkfifo(fifo)
    start(env, "live", f"echo first; read x < {fifo}; echo second-$x; exec sleep 600")
    wait_until(lambda: b"first" in sesslog(env, "-s", "live", check=False), what="output")
    follow = subprocess.Popen(["sesslog", "-s", "live", "-p", "--follow"], env=env,
                              stdout=subprocess.PIPE)
    try:
        assert follow.stdout is not None
        assert follow.stdout.readline() == b"first\n"
        with open(fifo, "w") as f:
            f.write("now\n")
        assert follow.stdout.readline() == b"second-now\n"
        assert follow.poll() is None  # the session goes on: so does --follow
        subprocess.run(["sesskill", "-y", "-s", "live"], env=env, check=True, timeout=30)
        assert follow.wait(timeout=DEADLINE) == 0
    finally:
        if follow.poll() is None:
            follow.kill()
            follow.wait()


def test_bad_options_are_one_line_and_harm_nothing(env: dict[str, str], sessdir: Path) -> None:
    start(env, "calm", "echo calm; exec sleep 600")
    for args in (["--tail", "x"], ["--since", "yesterday-ish"], ["--grep", "("],
                 ["--idle-limit", "-1"], ["-s", "../etc"], ["--bogus"]):
        out = subprocess.run(["sesslog", "-s", "calm", *args], env=env, capture_output=True,
                             text=True, timeout=30)
        assert out.returncode in (1, 2), args
        assert out.stderr.startswith("sesslog: fatal: "), args
        assert "Traceback" not in out.stderr
    assert "calm" in statuses(sessdir)


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
def test_a_fresh_terminal_gets_history_in_its_scrollback_once_across_reattaches(
        env: dict[str, str], sessdir: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "more"
    os.mkfifo(fifo)
    start(env, "hist", "seq 1 300 | sed 's/^/hist-line-/'; read n < " + str(fifo) + "; "
          "seq 301 400 | sed 's/^/hist-line-/'; exec sleep 600")
    wait_until(lambda: b"hist-line-300" in sesslog(env, "-s", "hist", check=False), what="output")
    t = TmuxTerminal({**env, "SESSMUX_HISTORY": "50"}, tmp_path)
    try:
        t.line("sessmux -a hist")
        t.wait_for(r"^hist-line-300$")
        screen = [x for x in t.screen().splitlines() if x.startswith("hist-line-")]
        whole = [x for x in t.history().splitlines() if x.startswith("hist-line-")]
        assert len(whole) == len(set(whole))  # each line once
        assert len(whole) - len(screen) == 50  # the last 50 before the screen, in scrollback
        numbers = [int(x.rsplit("-", 1)[1]) for x in whole]
        assert numbers == list(range(numbers[0], 301))
        subprocess.run(["disconnect", "-s", "hist"], env=env, check=True, timeout=30)
        t.wait_for(r"^\$ *$")
        with open(fifo, "w") as f:
            f.write("go\n")
        wait_until(lambda: b"hist-line-400" in sesslog(env, "-s", "hist", check=False),
                   what="output")
        t.line("sessmux -a hist")
        t.wait_for(r"^hist-line-400$")
        whole = [x for x in t.history().splitlines() if x.startswith("hist-line-")]
        assert len(whole) == len(set(whole)), "a line came twice"
        numbers = [int(x.rsplit("-", 1)[1]) for x in whole]
        assert numbers == list(range(numbers[0], 401))
    finally:
        t.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="creates an ordinary user (needs root)")
def test_an_ordinary_users_journal_is_theirs_and_outlives_a_killed_master() -> None:
    from users import as_user, ensure_user, user_world

    user = ensure_user("sessmux-journal")
    with user_world(user, "sessmux-journal-") as (_, _, env):
        script = (
            "sessmux -n -w mine sh -c 'echo private-$((6*7)); exec sleep 300' || exit 1\n"
            "i=0; until sesslog -s mine -p 2>/dev/null | grep -q private; do\n"
            "  i=$((i+1)); [ $i -lt 300 ] || exit 3; sleep 0.05; done\n"
            "kill -9 $(sesslist | sed -n 's/^session mine pid \\([0-9]*\\).*/\\1/p')\n"
            "i=0; until sesslist -a | grep -q '^session mine ended'; do\n"
            "  i=$((i+1)); [ $i -lt 300 ] || exit 4; sleep 0.05; done\n"
            "sesslog -s mine -p\n"
        )
        result = subprocess.run(as_user(user, "/bin/sh", "-c", script), env=env,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert result.stdout == "private-42\n"
        own = Path(env["SESSMUX_DIR"]) / ".journal" / "mine"
        assert own.stat().st_uid == user.pw_uid
        assert stat.S_IMODE(own.stat().st_mode) == 0o700
        assert all(f.stat().st_uid == user.pw_uid and stat.S_IMODE(f.stat().st_mode) == 0o600
                   for f in own.iterdir())


def test_journals_of_ended_sessions_older_than_the_setting_go_when_a_session_starts(
        env: dict[str, str], sessdir: Path) -> None:
    for name in ("old", "recent"):
        start(env, name, f"echo {name}; exec sleep 600")
        wait_until(lambda n=name: journal_end(sessdir, n) > 0, what="output")
        st = statuses(sessdir)[name]
        os.kill(int(str(st["slave"])), signal.SIGKILL)
        os.kill(int(str(st["pid"])), signal.SIGKILL)
        wait_until(lambda n=name: n not in statuses(sessdir), what="the master gone")
    three_days_ago = time.time() - 3 * 86400
    for seg in (sessdir / ".journal" / "old").iterdir():
        os.utime(seg, (three_days_ago, three_days_ago))
    start({**env, "SESSMUX_JOURNAL_KEEP": "2"}, "new", "exec sleep 600")
    assert not (sessdir / ".journal" / "old").exists()
    assert sesslog(env, "-s", "recent", "-p") == b"recent\n"
