"""The README's login-profile lines, for bash, zsh and sh, at a real terminal (tmux).

Each line is taken from the README as printed there, put in a fresh
HOME's profile, and a login shell is started: the first login starts a
session (once: the shell inside it reads the same profile), ``disconnect``
leaves it, and the next login offers it back.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from terminal import BIN, ROOT, base_env, sessions, wait_until
from tmuxterm import TMUX, TmuxTerminal

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")

PROMPT_LAST = "To instead start a new session as usual, just press return: "
SHELLS = {"bash": ".bash_profile", "zsh": ".zprofile", "sh": ".profile"}


def readme_line(profile: str) -> str:
    """The line the README gives for ``profile`` (the line after its comment)."""
    lines = (ROOT / "README.md").read_text().splitlines()
    for i, line in enumerate(lines):
        if line.startswith(f"# ~/{profile} "):
            return lines[i + 1]
    raise AssertionError(f"the README has no line for ~/{profile}")


@pytest.fixture
def penv(home: Path, sessdir: Path, tmp_path: Path) -> dict[str, str]:
    (home / ".zshrc").write_text("")  # no zsh-newuser-install questions
    return base_env(home, sessdir, {"SESSMUX_REGISTRY": str(tmp_path / "registry"),
                                    "SESSMUX_CONF": str(tmp_path / "sessmux.conf")})


# Polled while the login is still making its session (no directory yet).
listing = partial(sessions, check=False, timeout=30)


@pytest.fixture
def tmux(penv: dict[str, str], tmp_path: Path) -> Iterator[TmuxTerminal]:
    t = TmuxTerminal(penv, tmp_path, rows=40, cols=120)
    yield t
    t.close()


def where_am_i(t: TmuxTerminal, tag: str) -> str:
    t.line(f"echo {tag}-${{PTY:-none}}-$((6*7))")
    # Typed before a new shell's prompt, the line is echoed first and the
    # answer follows the prompt ("# first-p3-42"); the typed line itself
    # never ends in -42.
    said = rf"(?:^|\s){tag}-(\S+)-42$"
    screen = t.wait_for(said)
    return re.findall(said, screen, re.M)[-1]


@pytest.mark.parametrize("shell", list(SHELLS))
def test_the_readme_profile_line_gives_the_session_back(
        shell: str, tmux: TmuxTerminal, penv: dict[str, str], home: Path) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed (./test.sh installs it as root)")
    profile = SHELLS[shell]
    line = readme_line(profile)
    assert f"exec sessmenu {shell} -l" in line
    # As the README says: after whatever sets PATH (a login shell's /etc/profile resets it).
    (home / profile).write_text(f'PATH="{BIN}:$PATH"\n{line}\n')

    # First login: nothing to offer, so a session starts, silently, and only one.
    tmux.line(f"{shell} -l")
    wait_until(lambda: any(" connected" in s for s in listing(penv).values()),
               what="the login's session")
    name = where_am_i(tmux, "first")
    assert list(listing(penv)) == [name]  # the shell inside did not start another
    tmux.line("disconnect")
    wait_until(lambda: " disconnected" in listing(penv).get(name, ""), what="the disconnect")
    assert where_am_i(tmux, "outside") == "none"

    # Next login: the session is offered, and two characters bring it back.
    tmux.line(f"{shell} -l")
    screen = tmux.wait_for(re.escape(PROMPT_LAST.rstrip()))
    assert f"You have a disconnected session {name} " in screen
    tmux.line(name)
    tmux.wait_for(rf"successfully connected to {name}", where="history")
    wait_until(lambda: " connected" in listing(penv).get(name, ""), what="the reconnect")
    assert where_am_i(tmux, "again") == name
    assert list(listing(penv)) == [name]
