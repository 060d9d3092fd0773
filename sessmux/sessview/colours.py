"""pyte's colours and attributes as urwid display attributes.

No I/O.  A session may use 16, 256 or true colours whatever the user's
terminal can show, so every colour is mapped to the nearest one the
terminal has: true colour to the 256-colour palette, either to the 16
named colours, and on a monochrome terminal to the default colours with
the attributes kept.

>>> urwid_colour("brightbrown", 16), urwid_colour("ff0000", 256), urwid_colour("123456", 2**24)
('yellow', 'h196', '#123456')
>>> urwid_colour("6088d0", 256), urwid_colour("6088d0", 16), urwid_colour("808080", 256)
('h68', 'light blue', 'h244')
"""

from __future__ import annotations

import functools
from typing import Any, Literal

import urwid
from pyte.graphics import FG_BG_256

#: pyte's names for SGR 30-37 and 90-97, and urwid's for the same colours.
NAMED = {
    "black": "black", "red": "dark red", "green": "dark green", "brown": "brown",
    "yellow": "brown", "blue": "dark blue", "magenta": "dark magenta", "cyan": "dark cyan",
    "white": "light gray", "brightblack": "dark gray", "brightred": "light red",
    "brightgreen": "light green", "brightbrown": "yellow", "brightyellow": "yellow",
    "brightblue": "light blue", "brightmagenta": "light magenta", "brightcyan": "light cyan",
    "brightwhite": "white",
}
_SIXTEEN = ["black", "dark red", "dark green", "brown", "dark blue", "dark magenta",
            "dark cyan", "light gray", "dark gray", "light red", "light green", "yellow",
            "light blue", "light magenta", "light cyan", "white"]
_RGB16 = [int(h, 16) for h in FG_BG_256[:16]]
# Exact palette matches; a colour that is both a theme colour (0-15) and a
# cube colour (16-255) maps to the cube, which looks the same everywhere.
_PALETTE = {hexa: i for i, hexa in enumerate(FG_BG_256)}
_CUBE = (0, 95, 135, 175, 215, 255)
TRUE: Literal[16777216] = 16777216  # 2**24: true colour

Key = tuple[Any, ...]  # fg, bg, bold, italics, underscore, strikethrough, reverse, blink[, dim...]


def _split(rgb: int) -> tuple[int, int, int]:
    return rgb >> 16, (rgb >> 8) & 255, rgb & 255


def _distance(a: int, b: int) -> int:
    return sum((x - y) ** 2 for x, y in zip(_split(a), _split(b), strict=True))


def nearest_256(rgb: int) -> int:
    """The palette index (16-255) closest to a true colour."""
    r, g, b = _split(rgb)
    steps = [min(range(6), key=lambda i, v=v: abs(_CUBE[i] - v)) for v in (r, g, b)]  # type: ignore[misc]
    cube = 16 + 36 * steps[0] + 6 * steps[1] + steps[2]
    cube_rgb = (_CUBE[steps[0]] << 16) | (_CUBE[steps[1]] << 8) | _CUBE[steps[2]]
    grey_step = min(23, max(0, round(((r + g + b) / 3 - 8) / 10)))
    grey = 8 + 10 * grey_step
    grey_rgb = (grey << 16) | (grey << 8) | grey
    return cube if _distance(rgb, cube_rgb) <= _distance(rgb, grey_rgb) else 232 + grey_step


def nearest_16(rgb: int) -> str:
    """urwid's name for the one of the 16 basic colours closest to ``rgb``."""
    best = min(range(16), key=lambda i: _distance(rgb, _RGB16[i]))
    return _SIXTEEN[best]


@functools.lru_cache(maxsize=1024)
def urwid_colour(value: str, colors: int) -> str:
    """urwid's spelling of a pyte colour on a terminal with ``colors`` colours."""
    name = value.replace("bfight", "bright").lower()  # pyte 0.8.2 spells SGR 105 so
    if name == "default" or colors < 16:
        return "default"
    if name in NAMED:
        return NAMED[name]
    try:
        rgb = int(name, 16)
    except ValueError:
        return "default"  # a colour pyte does not know: keep the default
    if colors >= TRUE:
        return f"#{name}"
    if colors >= 256:
        index = _PALETTE.get(name)
        return f"h{index if index is not None else nearest_256(rgb)}"
    return nearest_16(rgb)


@functools.lru_cache(maxsize=4096)
def attr_spec(key: Key, colors: int, cursor: bool = False) -> urwid.AttrSpec:
    """The urwid display attribute for a cell's key (``render.row_cells``, pyte's eight
    attributes or the model's full cell: dim shows faint; every underline style plain).

    >>> attr_spec(("red", "default", False, False, True, False, False, False, True), 16)
    AttrSpec('dark red,underline,faint', 'default')
    """
    fg, bg, bold, italics, underscore, strikethrough, reverse, blink = key[:8]
    dim = len(key) > 8 and bool(key[8])
    # A cursor drawn in a picture (not the terminal's own) is a reversed cell.
    flags = [("bold", bold), ("italics", italics), ("underline", underscore),
             ("strikethrough", strikethrough), ("standout", reverse != cursor),
             ("blink", blink), ("faint", dim)]
    settings = [urwid_colour(fg, colors)] + [word for word, on in flags if on]
    depth: Literal[1, 16, 256, 16777216] = (
        1 if colors < 16 else 16 if colors < 256 else 256 if colors < TRUE else TRUE)
    return urwid.AttrSpec(",".join(settings), urwid_colour(bg, colors), depth)
