"""One ssh process and the resume frames on its pipes.

Does I/O.  rezume starts the real OpenSSH client in a session of its own
(ssh must not read our terminal), writes frames to its stdin without
ever blocking, and reads frames from its stdout and errors from its
stderr.  The link is dropped when it dies or falls silent; the next one
is a new process (:mod:`sessmux.remote.rezume` decides when).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Sequence

from sessmux.core import resume_protocol


class Link:
    """One ssh process and the frames on its pipes."""

    def __init__(self, argv: Sequence[str]) -> None:
        self.proc = subprocess.Popen(
            list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True,  # ssh must not read our terminal
        )
        assert self.proc.stdin and self.proc.stdout and self.proc.stderr
        self.wfd, self.rfd, self.efd = (self.proc.stdin.fileno(), self.proc.stdout.fileno(),
                                        self.proc.stderr.fileno())
        self.decoder = resume_protocol.Decoder()
        self.started = self.contact = time.monotonic()
        self.hello: dict[str, object] | None = None
        self.errors = b""
        self.out = bytearray()
        self.eof = False  # ssh closed its output
        os.set_blocking(self.wfd, False)

    def send(self, frame: bytes) -> None:
        self.out += frame
        self.flush()

    def flush(self) -> None:
        try:
            while self.out:
                n = os.write(self.wfd, self.out)
                del self.out[:n]
        except BlockingIOError:
            pass
        except OSError:
            self.out.clear()

    def close(self) -> int | None:
        if self.eof:
            # ssh closed its output: it is exiting with the remote status.  A
            # SIGTERM now would turn that status into ssh's own 255.
            try:
                self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if self.proc.poll() is not None:
                break
            try:
                self.proc.send_signal(sig)
                self.proc.wait(timeout=1)
            except (OSError, subprocess.TimeoutExpired):
                pass
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                if f:
                    f.close()
            except OSError:
                pass
        return self.proc.returncode
