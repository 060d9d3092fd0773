"""Golden tests against real tmux.

Each corpus item is played into a tmux pane (the reference terminal).  The
same bytes go through ScreenModel -> render(), and the repaint is played
into a second pane.  Both panes must then look the same to tmux: text,
attributes (``capture-pane -e``), the main screen behind an alternate
screen (``-a``), cursor, scroll region and modes.  The model's own view of
the screen must match tmux's text too.

Each test runs its own tmux server on a private socket and kills it.  A
pane is read only after the title marker at the end of its bytes shows up:
tmux handles a pane's output in order, so everything before it is in.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from golden_support import styled_cells

from sessmux.core.render import render, row_cells
from sessmux.core.screen import ScreenModel

TMUX = shutil.which("tmux")
pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
ROWS, COLS = 24, 80
STATE = ("#{cursor_x},#{cursor_y} cursor=#{cursor_flag} alt=#{alternate_on} "
         "region=#{scroll_region_upper}-#{scroll_region_lower} origin=#{origin_flag} "
         "wrap=#{wrap_flag} insert=#{insert_flag} ckm=#{keypad_cursor_flag} "
         "kp=#{keypad_flag} mouse=#{mouse_standard_flag}#{mouse_button_flag}#{mouse_any_flag}"
         "#{mouse_sgr_flag}#{mouse_utf8_flag}")

# -- the corpus ----------------------------------------------------------------


def vim_like() -> str:
    out = ["$ vim tool.py\r\n", "\x1b[?1049h\x1b[22;0;0t\x1b[?1h\x1b=\x1b[?2004h",
           "\x1b[?1002h\x1b[?1006h\x1b[?25l\x1b[H\x1b[2J\x1b[1;22r"]
    for n in range(1, 23):
        out.append(f"\x1b[{n};1H\x1b[38;5;130m{n:3} \x1b[0m\x1b[38;5;28mdef\x1b[0m "
                   f"\x1b[1;38;5;25mfunc_{n}\x1b[0m(\x1b[3marg\x1b[23m): "
                   f"\x1b[38;2;200;120;7m# note {n}\x1b[0m")
    out.append("\x1b[23;1H\x1b[7m" + " tool.py [+]".ljust(60) + "12,5  All".rjust(20) + "\x1b[0m")
    out.append("\x1b[22;1H\n\n\x1b[38;5;130m 23 \x1b[0mreturn 1\x1b[1;1H\x1bM\x1b[94m~\x1b[0m")
    out.append("\x1b[24;1H\x1b[1m-- INSERT --\x1b[0m\x1b[10;15H\x1b[?25h")
    return "".join(out)


def colours() -> str:
    out = [f"\x1b[3{i}mfg{i}\x1b[4{i}mbg{i}\x1b[0m " for i in range(8)] + ["\r\n"]
    out += [f"\x1b[{90 + i}mbf{i}\x1b[{100 + i}mbb{i}\x1b[0m " for i in range(8)] + ["\r\n"]
    collide = {0, 9, 10, 11, 13, 14, 15}  # same RGB as a cube colour: rendered as the cube one
    for row in range(4):
        out += [f"\x1b[38;5;{n}m#\x1b[48;5;{255 - n}m#\x1b[0m"
                for n in range(row * 64, row * 64 + 38)
                if n not in collide and 255 - n not in collide]
        out.append("\r\n")
    for r, g, b in ((1, 2, 3), (250, 128, 7), (18, 52, 86), (254, 254, 1)):
        out.append(f"\x1b[38;2;{r};{g};{b}mtrue\x1b[48;2;{b};{r};{g}mcolour\x1b[0m ")
    out.append("\r\n\x1b[1mbold\x1b[22m \x1b[3mitalic\x1b[23m \x1b[4munder\x1b[24m "
               "\x1b[5mblink\x1b[25m \x1b[7mreverse\x1b[27m \x1b[9mstrike\x1b[29m "
               "\x1b[1;3;4;7;31;43mall\x1b[0m\r\n")
    out.append("\x1b[44mblue to the end\x1b[K\x1b[0m\r\n\x1b[41m\x1b[5X\x1b[0m")
    return "".join(out)


def wide() -> str:
    return ("中文字符测试 日本語のテキスト 한국어 텍스트\r\n"
            "emoji 😀🎉🚀 done\r\n"
            "\x1b[1;32m绿色\x1b[0m and \x1b[7m反转\x1b[0m\r\n"
            "中文字符\x1b[4;5Hb\x1b[5;1H"  # the right half of 字 becomes a blank
            + "x" * 77 + "中\r\n"  # fits exactly
            + "\x1b[10;40H表\x1b[2D")


def scroll_regions() -> str:
    out = [f"line {n:02}\r\n" for n in range(1, 24)] + ["line 24"]
    out.append("\x1b[5;15r\x1b[15;1H\n\nnew A\n\rnew B\x1b[5;1H\x1bM\x1bMtop")
    out.append("\x1b[8;1H\x1b[2L\x1b[12;1H\x1b[M\x1b[2S\x1b[T\x1b[3;20r\x1b[?6h\x1b[4;7H*")
    return "".join(out)


def shell_wraps() -> str:
    return ("$ echo " + "long-" * 40 + "\r\n" + "a\tb\tc\td\r\n"
            + "oops\rfix\b\bX\r\n" + "\x1b[24;1H" + "=" * 80)


def alt_screens() -> str:
    return ("main 1\r\nmain 2\x1b7\x1b[?47h\x1b[Hscratch\x1b[?47l\x1b8 back\r\n"
            "\x1b[?1049h\x1b[H\x1b[2Jfull screen app\x1b[?1049l after\r\n"
            "\x1b[?1047h\x1b[Hstill alt\x1b[3;3H\x1b[4h")


CORPUS = {f.__name__: f for f in (vim_like, colours, wide, scroll_regions, shell_wraps,
                                  alt_screens)}

# -- tmux ---------------------------------------------------------------------


class Tmux:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {k: v for k, v in os.environ.items() if k != "TMUX"}
        self.env["TERM"] = "xterm-256color"

    def __call__(self, *args: str) -> str:
        assert TMUX is not None
        done = subprocess.run([TMUX, "-S", str(self.root / "sock"), "-f", "/dev/null", *args],
                              env=self.env, capture_output=True, text=True, timeout=20)
        if done.returncode:
            raise AssertionError(f"tmux {args}: {done.stderr.strip()}")
        return done.stdout

    def play(self, name: str, data: bytes) -> None:
        """Show ``data`` in a new pane and wait until tmux has taken it all in."""
        marker = f"done-{name}"
        path = self.root / name
        path.write_bytes(data + f"\x1b]2;{marker}\x07".encode())
        self("new-session", "-d", "-s", name, "-x", str(COLS), "-y", str(ROWS),
             f"cat {path}; exec sleep 600")
        deadline = time.monotonic() + 15
        while self("display", "-p", "-t", name, "#{pane_title}").strip() != marker:
            if time.monotonic() > deadline:
                raise AssertionError(f"tmux pane {name} never showed its marker")
            time.sleep(0.01)  # a poll interval, not a wait for luck

    def look(self, name: str) -> dict[str, object]:
        state = self("display", "-p", "-t", name, STATE).strip()
        view: dict[str, object] = {
            "text": self("capture-pane", "-p", "-t", name).splitlines(),
            "cells": styled_cells(self("capture-pane", "-p", "-e", "-t", name)),
            "state": state,
        }
        if "alt=1" in state:
            view["main"] = styled_cells(self("capture-pane", "-p", "-e", "-a", "-t", name))
        return view


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    server = Tmux(tmp_path)
    yield server
    subprocess.run([str(TMUX), "-S", str(tmp_path / "sock"), "kill-server"],
                   env=server.env, capture_output=True, timeout=20)


def model_text(model: ScreenModel) -> list[str]:
    screen = model.screen
    lines = ["".join(data for _, data, _ in row_cells(screen.buffer[y], screen.columns))
             for y in range(screen.lines)]
    while lines and not lines[-1].strip():
        lines.pop()
    return [line.rstrip() for line in lines]


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_repaint_looks_the_same_in_tmux(tmux: Tmux, name: str) -> None:
    raw = CORPUS[name]().encode()
    model = ScreenModel(ROWS, COLS)
    model.feed(raw)
    tmux.play("raw", raw)
    tmux.play("repaint", render(model.screen))
    reference, repainted = tmux.look("raw"), tmux.look("repaint")
    assert repainted == reference
    text = list(reference["text"])  # type: ignore[call-overload]
    while text and not text[-1].strip():
        text.pop()
    assert model_text(model) == [line.rstrip() for line in text]
    x, y = model.screen.cursor.x, model.screen.cursor.y
    assert str(reference["state"]).startswith(f"{x},{y} ")
