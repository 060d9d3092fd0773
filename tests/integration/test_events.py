"""Coming back: what each session did, and whether it waits for its user.

Real sessions (``sessmux -n``: nobody attached, the program runs at once),
real ptys, the real commands: ``sesslist -l``, ``sesswait``, sessmenu's
block, sessview's list (tmux plays the terminal), ``sesswho -l``.  Each
test has its own HOME and session directory; every process is killed by
pid.  Screens and listings are polled until a deadline, never slept on.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from terminal import Terminal, start_session, statuses, wait_until
from tmuxterm import TMUX, TmuxTerminal
from users import VICTIM, as_user, ensure_user, user_world

MakeTerminal = Callable[..., Terminal]
# bash marking its prompts (OSC 133): D with the last status, A, the prompt, B; C before a command.
MARKS = (r"PS1=$'\[\e]133;D;'\$?$'\a\e]133;A\a\]mk> \[\e]133;B\a\]'; "
         r"PS0=$'\e]133;C\a'")


def new(env: dict[str, str], name: str, script: str) -> None:
    subprocess.run(["sessmux", "-n", "-w", name, "sh", "-c", script], env=env, check=True,
                   timeout=30, stdin=subprocess.DEVNULL)


def long_list(env: dict[str, str]) -> dict[str, str]:
    """``sesslist -l``'s lines by session name (after a ``!`` mark, if any)."""
    out = subprocess.run(["sesslist", "-l"], env=env, capture_output=True, text=True,
                         check=True, timeout=30).stdout
    return {line.removeprefix("! ").split()[0]: line for line in out.splitlines()}


def run(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), env=env, capture_output=True, text=True, timeout=60)


def test_read_is_waiting_for_input_and_sleep_is_not(env: dict[str, str], sessdir: Path) -> None:
    new(env, "rd", "read x")
    new(env, "sl", "sleep 30")
    # The bound: shown waiting within 2 s.
    wait_until(lambda: "waiting for input since" in long_list(env).get("rd", ""), timeout=2.0,
               what="rd shown waiting")
    for _ in range(3):
        lines = long_list(env)
        assert lines["rd"].startswith("! rd disconnected"), lines
        assert "waiting" not in lines["sl"] and not lines["sl"].startswith("!"), lines
    st = statuses(sessdir)
    assert isinstance(st["rd"]["waiting"], float) and st["sl"]["waiting"] is None
    assert re.search(r"cpu \S+ s mem [\d.]+ (KiB|MiB) buffer \d+% journal \d+ B of 64.0 MiB$",
                     lines["sl"]), lines
    # The plain listing stays in pty 4.0's format.
    plain = run(env, "sesslist").stdout
    assert re.fullmatch(r"(session (rd|sl) pid \d+ slave \d+ disconnected \(orphaned \d+s\)\n)+",
                        plain), plain


def test_shell_prompt_marks_give_command_status_and_duration(
    term: Terminal, env: dict[str, str], sessdir: Path
) -> None:
    name = start_session(term)
    term.line(MARKS)
    term.expect(r"mk> ")
    term.line("sleep 0.3; false")
    term.expect(r"mk> ")
    wait_until(lambda: "finished" in long_list(env).get(name, ""), what="the command's event")
    line = long_list(env)[name]
    assert re.search(r"last: sleep 0\.3; false finished (just now|\d+ seconds? ago) "
                     r"with status 1 after 0\.\d\d s", line), line
    [ev] = [e for e in statuses(sessdir)[name]["events"] if e["kind"] == "command"]
    assert ev["command"] == "sleep 0.3; false" and ev["status"] == 1
    assert 0.3 <= ev["duration"] < 15
    term.line("true")
    term.expect(r"mk> ")
    wait_until(lambda: "true finished" in long_list(env)[name], what="true's event")
    assert "with status 0" in long_list(env)[name]


def test_bell_and_notification_in_the_long_list_and_in_sessmenu(
    term: Terminal, env: dict[str, str]
) -> None:
    new(env, "bl", r"printf 'x\007'; sleep 0.2; printf '\033]9;tests passed\007'; "
        "PS1='in> ' exec bash --norc --noprofile")
    wait_until(lambda: "waiting" in long_list(env).get("bl", ""), what="bash at its prompt")
    line = long_list(env)["bl"]
    assert line.startswith("! bl disconnected"), line
    assert "last: the program sent a notification" in line and "tests passed" in line
    assert "unseen " in line
    term.line("sessmenu sh")
    term.expect(r"reconnect to that session")
    text = term.text
    assert re.search(r"While you were away, in session bl: the program rang the bell "
                     r"(just now|\d+ seconds? ago)\.", text), text
    assert re.search(r"While you were away, in session bl: the program sent a notification "
                     r"(just now|\d+ seconds? ago): tests passed\.", text), text
    assert re.search(r"Session bl is waiting for input since \d\d:\d\d\.", text), text


def test_sesswait_until_exit_reports_the_status(env: dict[str, str]) -> None:
    new(env, "ex", "sleep 0.5; exit 3")
    done = run(env, "sesswait", "-s", "ex", "--until", "exit")
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"ex: sh finished (just now|\d+ seconds? ago) with status 3\n",
                        done.stdout), done.stdout


def test_sesswait_until_input_returns_when_the_program_reads(
    env: dict[str, str], sessdir: Path
) -> None:
    new(env, "in", "sleep 1; echo now-reading; read x")
    done = run(env, "sesswait", "-s", "in", "--until", "input")
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"in: waiting for input since \d\d:\d\d:\d\d\n", done.stdout)
    assert statuses(sessdir)["in"]["output"] > 0  # it had printed: it was reading, not sleeping


def test_sesswait_timeout_usage_and_missing_session(env: dict[str, str]) -> None:
    new(env, "sl", "sleep 30")
    late = run(env, "sesswait", "-s", "sl", "--until", "input", "--timeout", "0.5")
    assert late.returncode == 124
    assert late.stderr == "sesswait: fatal: timed out waiting for input in session sl\n"
    for bad in (["--until", "never"], ["--until", "idle"], ["--timeout", "nan"], ["extra"]):
        wrong = run(env, "sesswait", "-s", "sl", *bad)
        assert wrong.returncode == 1 and wrong.stderr.startswith("sesswait: fatal: "), bad
        assert "Traceback" not in wrong.stderr
    missing = run(env, "sesswait", "-s", "zz")
    assert missing.returncode == 2 and missing.stderr.startswith("sesswait: fatal: "), missing
    idle = run(env, "sesswait", "-s", "sl", "--until", "idle=0.2")
    assert idle.returncode == 0 and idle.stdout.startswith("sl: idle for "), idle


def test_sesswho_shows_nothing_of_the_events(env: dict[str, str]) -> None:
    new(env, "bw", r"printf '\007\033]9;private matter\007'; sleep 30")
    wait_until(lambda: "private matter" in long_list(env).get("bw", ""), what="the event")
    who = run(env, "sesswho", "-l")
    assert who.returncode == 0
    assert re.fullmatch(r"bw  \w{3} [ \d]\d \d\d:\d\d  \S+ +\d+\n", who.stdout), who.stdout


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
def test_sessview_marks_the_waiting_session(env: dict[str, str], tmp_path: Path) -> None:
    new(env, "sl", "sleep 30")
    new(env, "wt", "read x")
    wait_until(lambda: "waiting" in long_list(env).get("wt", ""), what="wt waiting")
    t = TmuxTerminal(env, tmp_path, rows=30, cols=140)
    try:
        t.line("sessview; echo sessview-rc=$?")
        screen = t.wait_for(r"waiting for input since \d\d:\d\d")
        assert re.search(r"! wt\s+disconnected", screen), screen
        assert not re.search(r"! sl", screen), screen
        t.keys("a")  # those that need the user first
        screen = t.wait_for(r"need you first")
        assert screen.index("! wt") < screen.index("sl  disconnected"), screen
        t.keys("q")
        t.wait_for(r"sessview-rc=0")
    finally:
        t.close()


def test_an_ordinary_users_session_is_seen_waiting() -> None:
    user = ensure_user(VICTIM)
    with user_world(user, "sessmux-events-") as (_, _, env):
        script = ("sessmux -n -w rd sh -c 'read x' || exit 1\n"
                  "i=0; while [ $i -lt 100 ]; do\n"
                  "  sesslist -l | grep -q '^! rd .*waiting for input' && exit 0\n"
                  "  sleep 0.05; i=$((i+1)); done\n"
                  "sesslist -l; exit 1\n")
        done = subprocess.run(as_user(user, "sh", "-c", script), env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr


def test_notification_reaches_the_attached_terminal_only_when_asked(
    make_terminal: MakeTerminal, env: dict[str, str]
) -> None:
    # 8 s: the master must see it work alone for 5 s (events.LONG), looking once a second.
    work = "sh -c 'echo work-$((6*7)); sleep 8; echo done-working; read x'"
    asked, plain = make_terminal(), make_terminal()
    asked.line(f"SESSMUX_NOTIFY=9 sess {work}")
    plain.line(f"sess {work}")
    for t in (asked, plain):
        t.expect(r"work-42")
    asked.expect(r"done-working")
    asked.expect(r"\x1b\]9;sessmux: session \w+ is waiting for input\x07")
    plain.expect(r"done-working")
    names = [line.split()[1] for line in run(env, "sesslist").stdout.splitlines()]
    wait_until(lambda: all("waiting" in long_list(env)[n] for n in names), what="both wait")
    plain.drain()
    assert "\x1b]" not in plain.text  # an attached sess shows nothing new unless asked
    asked.line("x")
    bad = run(env, "sessmux", "-N", "8", "-n", "bad", "true")
    assert bad.returncode == 1 and bad.stderr.startswith("sessmux: fatal: bad --notify")
