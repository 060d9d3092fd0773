"""The one test of a socket's life, and the one removal of a dead socket (system.unix).

Real sockets in a private directory; no master.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sessmux.system import unix


def _dead_socket(path: Path) -> None:
    """A socket name whose process is gone: bound, then closed without unlinking."""
    sock = unix.Socket()
    sock.bind(str(path))
    sock.close()


def test_a_listening_socket_is_alive_and_stays(tmp_path: Path) -> None:
    path = tmp_path / "live"
    with unix.listen_at(str(path)):
        assert unix.listening(str(path)) is True
        assert unix.remove_dead(str(path)) is False
        assert path.exists()


def test_a_dead_socket_is_dead_and_removed(tmp_path: Path) -> None:
    path = tmp_path / "dead"
    _dead_socket(path)
    assert unix.listening(str(path)) is False
    assert unix.remove_dead(str(path)) is True
    assert not path.exists()


def test_a_missing_name_is_not_alive_and_counts_as_gone(tmp_path: Path) -> None:
    assert unix.listening(str(tmp_path / "none")) is False
    assert unix.remove_dead(str(tmp_path / "none")) is True


def test_what_is_not_a_socket_is_never_removed(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("not ours")
    assert unix.remove_dead(str(path)) is False
    assert path.read_text() == "not ours"


def test_a_socket_that_cannot_be_told_is_left_alone(tmp_path: Path) -> None:
    if os.getuid() == 0:
        pytest.skip("root connects through any permission: the unknown case needs a user")
    path = tmp_path / "locked"
    _dead_socket(path)
    path.chmod(0)
    assert unix.listening(str(path)) is None
    assert unix.remove_dead(str(path)) is False
    assert path.exists()


def test_the_peer_is_us(tmp_path: Path) -> None:
    a, b = unix.socketpair()
    with a, b:
        assert unix.peer_uid(a) == os.getuid()
        assert unix.trusted_peer(a)
        assert unix.trusted_peer(a, os.getuid())
