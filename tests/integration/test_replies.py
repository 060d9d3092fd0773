"""Terminal queries are answered once, by whoever was there (issue 12).

A program asks the terminal something (DA, ``ESC [ c``) while a terminal
is attached: that terminal answers.  The screen model, catching up later
(after a detach), must not answer it again: its reply would go into the
program's input as keys nobody typed (vttest showed ``^[[?62;22c``).
A query made while no terminal is attached is answered by the model.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from terminal import wait_until
from tmuxterm import TMUX, TmuxTerminal

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
TMUX_DA = b"\x1b[?1;2c"  # tmux 3.3a's answer to ESC [ c
MODEL_DA = b"\x1b[?62;22c"  # the screen model's


def keys_program(keys: Path, ask_first: bool) -> str:
    """A session program that records every byte of its input in ``keys``."""
    ask = "printf 'asking\\033[c\\r\\n'; " if ask_first else ""
    return f"sess sh -c \"stty raw -echo; {ask}exec cat > {keys}\""


def test_a_query_answered_by_the_terminal_is_not_answered_again(
        env: dict[str, str], tmp_path: Path, tmux_terminal: Callable[[], TmuxTerminal]) -> None:
    keys = tmp_path / "keys"
    a = tmux_terminal()
    a.line(keys_program(keys, ask_first=True))
    wait_until(lambda: keys.exists() and TMUX_DA in keys.read_bytes(), what="tmux's DA answer")
    name = subprocess.run(["sesslist"], env=env, capture_output=True, text=True,
                          check=True).stdout.split()[1]
    subprocess.run(["disconnect", "-s", name], env=env, check=True, timeout=10)
    # Detached, the master models the output (DA query included) when idle,
    # and at the latest when the next terminal attaches.
    b = tmux_terminal()
    b.line(f"sess reconnect {name}")
    b.wait_for(r"^asking")
    b.tmux("send-keys", "-l", "END")
    wait_until(lambda: keys.read_bytes().endswith(b"END"), what="the typed keys")
    assert keys.read_bytes() == TMUX_DA + b"END"


def test_a_query_nobody_was_there_for_is_answered_by_the_model(
        env: dict[str, str], tmp_path: Path, tmux_terminal: Callable[[], TmuxTerminal]) -> None:
    keys = tmp_path / "keys"
    script = f"stty raw -echo; sleep 1; printf 'asking\\033[c\\r\\n'; exec cat > {keys}"
    subprocess.run(["sess", "-d", "sh", "-c", script], env=env, stdin=subprocess.DEVNULL,
                   capture_output=True, check=True, timeout=30)
    wait_until(lambda: keys.exists() and MODEL_DA in keys.read_bytes(), what="the model's answer")
    name = subprocess.run(["sesslist"], env=env, capture_output=True, text=True,
                          check=True).stdout.split()[1]
    b = tmux_terminal()
    b.line(f"sess reconnect {name}")
    b.wait_for(r"^asking")
    b.tmux("send-keys", "-l", "END")
    wait_until(lambda: keys.read_bytes().endswith(b"END"), what="the typed keys")
    assert keys.read_bytes() == MODEL_DA + b"END"
