"""Output never kills, stalls or starves a master (issue 12), at real ptys.

A session's program prints output built to hurt the screen model (see
``hostile_output_support.ATTACKS``), over and over.  Meanwhile the master must
answer every status request within 1 s and keep its memory bounded;
afterwards the session is alive and a fresh terminal (tmux) attaches and
sees the screen the program left.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hostile_output_support import ATTACKS, rss_kib, timed_status, wait_for_pane
from terminal import Terminal, start_detached, wait_until
from tmuxterm import TMUX, TmuxTerminal
from users import as_user, ensure_user, user_world

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
ANSWER = 1.0  # seconds: the bound on a status request under attack
RSS_LIMIT = 160 * 1024  # KiB: a master with pyte is ~30 MB; an unbounded model grows far past this
ATTACK_BYTES = 12 << 20  # printed in all, so the model has work while we ask
AFTER = "after the attack"
USER = "sessmux-test"


def attack_program(tmp_path: Path, payload: bytes) -> list[str]:
    """A program that prints ``payload`` until ATTACK_BYTES are out, then a known screen.

    It makes the file ``done`` in ``tmp_path`` when it has printed it all.
    """
    path = tmp_path / "attack"
    path.write_bytes(payload)
    times = max(2, ATTACK_BYTES // len(payload))
    script = (f"i=0; while [ $i -lt {times} ]; do cat {path}; i=$((i+1)); done; "
              f"printf '\\033[0m\\033[r\\033[?6l\\033[H\\033[2J{AFTER}\\n'; "
              f": > {tmp_path / 'done'}; exec sleep 600")
    return ["sh", "-c", script]


def watch_master(sessdir: Path, name: str, done: Path) -> tuple[int, int]:
    """Ask for status until the program is done attacking, and a second more.

    Every answer must come within ANSWER.  Returns (requests, peak RSS in KiB).
    """
    asked, peak, calm = 0, 0, 0.0
    deadline = time.monotonic() + 90
    while not calm or time.monotonic() < calm:
        took, status = timed_status(sessdir, name)
        asked += 1
        peak = max(peak, rss_kib(int(str(status["pid"]))))
        assert took < ANSWER, f"status took {took:.2f} s under attack (request {asked})"
        if not calm and done.exists():
            calm = time.monotonic() + 1.0  # the model catches up meanwhile
        assert time.monotonic() < deadline, "the attack never ended"
        time.sleep(0.05)  # a poll interval: every answer is timed
    return asked, peak


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_hostile_output_leaves_the_master_answering(
        attack: str, env: dict[str, str], sessdir: Path, tmp_path: Path,
        tmux_terminal: Callable[[], TmuxTerminal]) -> None:
    name = start_detached(env, *attack_program(tmp_path, ATTACKS[attack]))
    asked, peak = watch_master(sessdir, name, tmp_path / "done")
    assert asked > 3  # it was asked while the output came, not only after
    assert peak < RSS_LIMIT, f"master grew to {peak} KiB"
    listed = subprocess.run(["sesslist"], env=env, capture_output=True, text=True, timeout=10)
    assert name in listed.stdout
    t = tmux_terminal()
    t.line(f"sess reconnect {name}")
    screen = wait_for_pane(t, rf"^{AFTER}$")
    assert screen.splitlines()[0] == AFTER
    took, status = timed_status(sessdir, name)
    assert status["connected"] and took < ANSWER


def test_attaching_in_the_middle_of_an_attack_is_answered(
        env: dict[str, str], sessdir: Path, tmp_path: Path,
        tmux_terminal: Callable[[], TmuxTerminal]) -> None:
    # The model is behind by megabytes of slow output when the terminal comes:
    # the attach must not wait for it, and the screen must end up right.
    name = start_detached(env, *attack_program(tmp_path, ATTACKS["screen_fills"]))
    t = tmux_terminal()
    t.line(f"sess reconnect {name}")
    # While attached, the master still answers within the bound.
    deadline = time.monotonic() + 90
    while not (tmp_path / "done").exists():
        took, _ = timed_status(sessdir, name)
        assert took < ANSWER
        assert time.monotonic() < deadline, "the attack never ended"
        time.sleep(0.05)  # a poll interval: every answer is timed
    wait_for_pane(t, rf"^{AFTER}$")
    took, status = timed_status(sessdir, name)
    assert status["connected"] and took < ANSWER


@pytest.mark.skipif(os.getuid() != 0, reason="creating a user needs root")
@pytest.mark.parametrize("attack", ["huge_param", "combining"])
def test_an_ordinary_users_session_survives_hostile_output(attack: str) -> None:
    user = ensure_user(USER)
    with user_world(user, "sessmux-hostile-") as (top, _, base):
        home = Path(base["HOME"])
        # The session directory is the default one, under TMPDIR, as a user's would be.
        env = {k: v for k, v in base.items() if k != "SESSMUX_DIR"}
        env.update(TMPDIR=str(home), TERM="xterm", PS1="$ ", INPUTRC=str(top / "inputrc"))
        term = Terminal(env, argv=as_user(user, "bash", "--norc", "--noprofile", "-i"),
                        cwd=str(home), owner=(user.pw_uid, user.pw_gid))
        try:
            term.expect(r"\$ ")
            program = " ".join(shlex.quote(a) for a in attack_program(home, ATTACKS[attack]))
            term.line(f"sess -d {program} </dev/null")
            term.expect(r"\$ ")
            sessdir = home / f"sessmux-{user.pw_uid}"
            wait_until(lambda: any(p.name[0] != "." for p in sessdir.iterdir()),
                       what="the session's socket")
            name = next(p.name for p in sessdir.iterdir() if p.name[0] != ".")
            _, peak = watch_master(sessdir, name, home / "done")
            assert peak < RSS_LIMIT
            term.line(f"sess reconnect {name}")
            term.expect(AFTER)
        finally:
            term.close()
