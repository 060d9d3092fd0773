"""The master's log (``sessmux -o``): lines with a time, never a harm.

Does I/O on the log's descriptor.  A log that cannot be written (a full
disk) loses lines, counted and reported once it works again, and never
stops or slows the session.
"""

from __future__ import annotations

import os
import time


class LogFile:
    """Lines ``HH:MM:SS who: text`` appended to ``fd`` (-1: no log)."""

    def __init__(self, fd: int, who: str) -> None:
        self.fd = fd
        self.who = who
        self.lost = 0  # lines the log could not take (a full disk) ...
        self.error = ""  # ... and why: said once, when it can be written again

    def write(self, text: str) -> None:
        if self.fd < 0:
            return
        stamp = time.strftime("%H:%M:%S")
        lines = [f"{stamp} {self.who}: {text}\n"]
        if self.lost:
            lines.insert(0, f"{stamp} {self.who}: {self.lost} log lines lost ({self.error})\n")
        try:
            os.write(self.fd, "".join(lines).encode())
        except OSError as e:
            self.lost += 1
            self.error = e.strerror or str(e)
        else:
            self.lost = 0
