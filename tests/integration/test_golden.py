"""Captured streams replayed into the screen model, compared with tmux (issue 12).

Each ``tests/golden/NAME.bin`` is what a program (vttest's screens, mc,
hostile output) wrote; ``NAME.tmux`` is what tmux showed for it
(``golden_support``).  The model must show the same cells -- text and
every attribute -- the same cursor and the same modes, and so must a
second model repainted from the first (what a reattaching terminal gets).
"""

from __future__ import annotations

import pytest
from golden_support import COLS, GOLDEN, ROWS, cells, model_state, styled_cells

from sessmux.core.render import render
from sessmux.core.screen import ScreenModel

NAMES = sorted(p.stem for p in GOLDEN.glob("*.bin"))


@pytest.mark.parametrize("name", NAMES)
def test_model_shows_what_tmux_shows(name: str) -> None:
    *capture, state = (GOLDEN / f"{name}.tmux").read_text().rstrip("\n").split("\n")
    model = ScreenModel(ROWS, COLS)
    model.feed((GOLDEN / f"{name}.bin").read_bytes())
    assert cells(model) == styled_cells("\n".join(capture))
    assert model_state(model) == state
    again = ScreenModel(ROWS, COLS)
    again.feed(render(model.screen))
    assert cells(again) == cells(model)
    assert model_state(again) == state


def test_there_are_goldens() -> None:
    assert len(NAMES) >= 20
    assert all((GOLDEN / f"{name}.tmux").exists() for name in NAMES)
