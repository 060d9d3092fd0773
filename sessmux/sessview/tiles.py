"""The tiled view: several sessions at once in a grid that fits the terminal.

No I/O: :func:`grid_shape` is pure, and :class:`TileGrid` lays out the
:class:`~sessmux.sessview.widget.ScreenView` of each session (the app owns
the connections).  Every key goes to the app, which sends it to the
focused tile's session; a click focuses a tile.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from typing import Any

import urwid

from sessmux.sessview.browser import footer_markup
from sessmux.sessview.widget import ScreenView, Size, box

TILE_KEYS = [("^B o", "next"), ("^B arrows", "move"), ("^B d", "back to list"),
             ("^B ^B", "send ^B")]
TARGET_RATIO = 3.0  # a tile this many columns per row looks like a terminal (80x24 is 3.3)


def grid_shape(tiles: int, cols: int, rows: int) -> tuple[int, int]:
    """How many tiles across and down: as many as needed, each shaped like a terminal.

    >>> grid_shape(2, 160, 40), grid_shape(2, 80, 50), grid_shape(4, 200, 50), grid_shape(1, 80, 24)
    ((2, 1), (1, 2), (2, 2), (1, 1))
    """
    best: tuple[float, int, int] | None = None
    for across in range(1, tiles + 1):
        down = math.ceil(tiles / across)
        if (across - 1) * down >= tiles:
            continue  # a whole empty column
        ratio = (cols / across) / max(1, rows / down)
        waste = across * down - tiles
        score = abs(math.log(ratio / TARGET_RATIO)) + 0.2 * waste
        if best is None or score < best[0]:
            best = (score, across, down)
    return (best[1], best[2]) if best else (1, 1)


class Tile(urwid.WidgetWrap[Any]):
    """One session's screen in a box titled with its name; a click focuses it."""

    def __init__(self, view: ScreenView, clicked: Callable[[], None]) -> None:
        self.view = view
        self.clicked = clicked
        self.box = urwid.LineBox(view, title="", title_align="left")
        self.map = urwid.AttrMap(self.box, "tile")
        self.title, self.width = "", 0
        super().__init__(self.map)

    def set_title(self, title: str, focused: bool) -> None:
        self.title = title
        self.width = 0  # trimmed to the tile at the next render
        attrs: dict[Hashable, Hashable] = {None: "tile focus" if focused else "tile"}
        self.map.set_attr_map(attrs)

    def render(self, size: Size, focus: bool = False) -> urwid.Canvas:
        cols, _ = box(size)
        if cols != self.width:
            self.width = cols
            room = max(0, cols - 4)  # corners and the spaces around the title
            title = self.title if len(self.title) <= room else self.title[:max(0, room - 1)] + "…"
            self.box.set_title(title if room > 1 else "")
        return super().render(size, focus)

    def mouse_event(self, size: Size, event: str, button: int, col: int, row: int,
                    focus: bool) -> bool | None:
        if "press" in event and button == 1:
            self.clicked()
            return True
        return False


class TileGrid(urwid.WidgetWrap[Any]):
    """Tiles in rows and columns, rebuilt when the terminal's size changes the shape."""

    def __init__(self, tiles: list[Tile], keypressed: Callable[[str], None]) -> None:
        self.tiles = tiles
        self.keypressed = keypressed
        self.shape: tuple[int, int] | None = None
        self.footer = urwid.Text(footer_markup(TILE_KEYS), wrap="clip")
        self.frame: urwid.Frame[Any, Any, Any] = urwid.Frame(
            urwid.SolidFill(" "), footer=urwid.AttrMap(self.footer, "footer"))
        super().__init__(self.frame)

    def _layout(self, cols: int, rows: int) -> None:
        shape = grid_shape(len(self.tiles), cols, rows - 1)
        if shape == self.shape:
            return
        self.shape = shape
        across, down = shape
        lines = []
        for r in range(down):
            row: list[urwid.Widget] = list(self.tiles[r * across:(r + 1) * across])
            row += [urwid.SolidFill(" ")] * (across - len(row))
            lines.append(urwid.Columns(row))
        self.frame.body = urwid.Pile(lines) if lines else urwid.SolidFill(" ")

    def render(self, size: Size, focus: bool = False) -> urwid.Canvas:
        cols, rows = box(size)
        self._layout(cols, rows)
        return super().render(size, focus)

    def selectable(self) -> bool:
        return True

    def keypress(self, size: Size, key: str) -> str | None:
        self.keypressed(key)  # every key: the focused session's, or a ^B command
        return None

    def say(self, text: str) -> None:
        self.footer.set_text(text or footer_markup(TILE_KEYS))
