"""The peers of a benchmark round, in order (no I/O until a peer is used).

Above :mod:`bench.peers` and :mod:`bench.sessmux_peer`, which it gathers:
the sessmux peer is built on the others' base, so the list cannot live
with them.
"""

from __future__ import annotations

from bench.peers import Dtach, Peer, Screen, Tmux
from bench.sessmux_peer import Sessmux


def all_peers() -> list[Peer]:
    """Every peer in the order of a round: raw, dtach, screen, tmux, sessmux."""
    return [Peer(), Dtach(), Screen(), Tmux(), Sessmux()]
