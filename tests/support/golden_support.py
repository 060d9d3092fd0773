"""Golden screens: captured output streams and what tmux shows for them.

Does I/O.  ``tests/golden/NAME.bin`` is a byte stream a program wrote
(captured with ``script``); ``NAME.tmux`` is what tmux 3.3a, the reference
terminal, showed after it at 24x80: ``capture-pane -e -p`` and then, on
the last line, the cursor and modes (``STATE``).  ``test_golden`` replays
each stream into the screen model and compares.

Run ``python tests/support/golden_support.py`` to capture tmux's screens for every
``.bin`` again (with tmux installed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from sessmux.core.render import row_cells
from sessmux.core.screen import Cell, ScreenModel

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
BLANK = Cell(" ")[1:]
ROWS, COLS = 24, 80
STATE = ("cursor=#{cursor_x},#{cursor_y} visible=#{cursor_flag} alt=#{alternate_on} "
         "region=#{scroll_region_upper}-#{scroll_region_lower} origin=#{origin_flag} "
         "wrap=#{wrap_flag} insert=#{insert_flag} ckm=#{keypad_cursor_flag} "
         "kp=#{keypad_flag} mouse=#{mouse_standard_flag}#{mouse_button_flag}#{mouse_any_flag}"
         "#{mouse_sgr_flag}#{mouse_utf8_flag}")


def styled_cells(capture: str, rows: int = ROWS, cols: int = COLS) -> list[list[object]]:
    """tmux's ``capture-pane -e`` as cells, free of how tmux spelled its SGR.

    tmux writes SGR relative to the previous cell, across line ends and
    around trimmed blanks, so equal screens can capture differently; it
    marks line-drawing cells with SO, so G1 is the DEC graphics set here.
    """
    model = ScreenModel(rows, cols)
    model.feed(b"\x1b)0" + capture.replace("\n", "\r\n").encode())
    return cells(model)


def cells(model: ScreenModel) -> list[list[object]]:
    """A screen's cells for comparing with a capture.

    tmux's capture trims the blanks at the end of a line whatever their
    colour (a line erased in blue captures empty): trailing blanks count
    as plain here.
    """
    screen = model.screen
    out: list[list[object]] = []
    for y in range(screen.lines):
        row = row_cells(screen.buffer[y], screen.columns, True)
        end = len(row)
        while end and row[end - 1][1] == " ":
            end -= 1
        out.append(row[:end] + [(x, " ", BLANK) for x, _, _ in row[end:]])
    return out


def model_state(model: ScreenModel) -> str:
    """The model's cursor and modes, spelled as ``STATE``."""
    s = model.screen
    region = s.margins or (0, s.lines - 1)
    mode = s.mode

    def flag(m: int) -> int:
        return int(m << 5 in mode)

    # tmux says x = columns, too, while a wrap is pending.
    return (f"cursor={s.cursor.x},{s.cursor.y} visible={int(not s.cursor.hidden)} "
            f"alt={int(bool(s.alt_mode))} region={region[0]}-{region[1]} origin={flag(6)} "
            f"wrap={flag(7)} insert={int(4 in mode)} ckm={flag(1)} kp={int(s.application_keypad)} "
            f"mouse={flag(1000)}{flag(1002)}{int(bool(s.mouse_tracking))}{flag(1006)}{flag(1005)}")


def tmux_screen(data: bytes, workdir: Path) -> str:
    """What tmux shows after ``data`` at 24x80: capture and ``STATE``, as stored in ``.tmux``."""
    tmux = shutil.which("tmux")
    assert tmux, "tmux is not installed"
    sock = str(workdir / "golden.sock")
    env = {"PATH": os.environ["PATH"], "TERM": "xterm-256color", "LANG": "C.UTF-8"}
    path = workdir / "stream"
    path.write_bytes(data + b"\x1b]2;golden-done\x07")

    def run(*args: str) -> str:
        return subprocess.run([tmux, "-S", sock, "-f", "/dev/null", *args], env=env, check=True,
                              capture_output=True, timeout=20).stdout.decode("utf-8", "replace")

    # No echo: tmux's answers to the stream's queries (DA) must not show.
    run("new-session", "-d", "-x", str(COLS), "-y", str(ROWS),
        f"stty -echo; cat {path}; exec sleep 600")
    try:
        deadline = time.monotonic() + 15
        while run("display", "-p", "#{pane_title}").strip() != "golden-done":
            assert time.monotonic() < deadline, "tmux never took the stream in"
            time.sleep(0.02)  # a poll interval
        return run("capture-pane", "-p", "-e") + run("display", "-p", STATE)
    finally:
        subprocess.run([tmux, "-S", sock, "kill-server"], env=env, capture_output=True)


def main() -> int:
    import tempfile

    names = sys.argv[1:] or sorted(p.stem for p in GOLDEN.glob("*.bin"))
    for name in names:
        with tempfile.TemporaryDirectory() as tmp:
            screen = tmux_screen((GOLDEN / f"{name}.bin").read_bytes(), Path(tmp))
        (GOLDEN / f"{name}.tmux").write_text(screen)
        print(name)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))
    raise SystemExit(main())
