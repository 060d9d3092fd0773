"""A user's terminal played by tmux: what the user would see, scrollback included.

Each :class:`TmuxTerminal` runs its own tmux server on a private socket
with a shell in it; ``screen()`` and ``history()`` read the pane back.
The server is killed (by its pid) on close.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

from terminal import DEADLINE

TMUX = shutil.which("tmux")
PROMPT = r"^\$\s*$"  # an idle shell prompt (capture-pane drops trailing blanks)


class TmuxTerminal:
    def __init__(self, env: Mapping[str, str], workdir: Path, rows: int = 24,
                 cols: int = 80, name: str = "t") -> None:
        assert TMUX, "tmux is not installed"
        self.sock = str(workdir / f"tmux-{name}.sock")
        self.env = dict(env)
        shell = " ".join(f"{k}='{v}'" for k, v in env.items())
        subprocess.run(
            [TMUX, "-S", self.sock, "-f", "/dev/null", "new-session", "-d", "-x", str(cols),
             "-y", str(rows), f"env -i {shell} bash --norc --noprofile -i"],
            check=True, env={"PATH": os.environ["PATH"], "TERM": "xterm-256color"},
        )
        self.tmux("set-option", "-g", "history-limit", "20000")
        self.pid = int(self.tmux("display-message", "-p", "#{pid}").strip())
        self.wait_for(PROMPT)

    def tmux(self, *args: str) -> str:
        assert TMUX
        return subprocess.run([TMUX, "-S", self.sock, *args], check=True,
                              capture_output=True, text=True, timeout=20).stdout

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", *keys)

    def line(self, text: str) -> None:
        self.tmux("send-keys", "-l", text)
        self.tmux("send-keys", "Enter")

    def screen(self, escapes: bool = False) -> str:
        return self.tmux("capture-pane", "-p", *(["-e"] if escapes else []))

    def history(self) -> str:
        return self.tmux("capture-pane", "-p", "-S", "-", "-E", "-")

    def wait_for(self, pattern: str, timeout: float = DEADLINE, where: str = "screen") -> str:
        regex = re.compile(pattern, re.M)
        end = time.monotonic() + timeout
        while True:
            text = self.history() if where == "history" else self.screen()
            if regex.search(text):
                return text
            if time.monotonic() > end:
                raise AssertionError(f"timed out waiting for {pattern!r}; screen:\n{text}")
            time.sleep(0.05)

    def close(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except (ProcessLookupError, AttributeError):
            pass
        try:
            self.tmux("kill-server")
        except subprocess.SubprocessError:
            pass
