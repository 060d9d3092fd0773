"""Fixtures: a private HOME and session directory per test, and terminals."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

# The helpers (terminal, tmux, users, sshd, the fault proxy) live in
# tests/support; tests import them by their module names.
sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))

import pytest
from terminal import Terminal, base_env, kill_by_home, kill_sessions
from tmuxterm import TmuxTerminal

MakeTerminal = Callable[..., Terminal]


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "home"
    path.mkdir()
    yield path
    kill_by_home(path)


@pytest.fixture
def sessdir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "sessions"
    yield path
    kill_sessions(path)


@pytest.fixture
def env(home: Path, sessdir: Path) -> dict[str, str]:
    return base_env(home, sessdir)


@pytest.fixture
def make_terminal(env: dict[str, str], home: Path) -> Iterator[MakeTerminal]:
    made: list[Terminal] = []

    def make(**kwargs: object) -> Terminal:
        kwargs.setdefault("env", env)
        kwargs.setdefault("cwd", str(home))
        t = Terminal(**kwargs)  # type: ignore[arg-type]
        made.append(t)
        t.expect(r"\$ ")
        return t

    yield make
    for t in made:
        t.close()


@pytest.fixture
def term(make_terminal: MakeTerminal) -> Terminal:
    return make_terminal()


@pytest.fixture
def tmux_terminal(env: dict[str, str], tmp_path: Path) -> Iterator[Callable[[], TmuxTerminal]]:
    """Terminals played by tmux (what the user sees, scrollback included), closed after."""
    made: list[TmuxTerminal] = []

    def make() -> TmuxTerminal:
        made.append(TmuxTerminal(env, tmp_path, name=f"t{len(made)}"))
        return made[-1]

    yield make
    for t in made:
        t.close()
