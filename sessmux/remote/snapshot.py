"""A snapshot of a session on another host: the newest lines it wrote.

Does I/O (ssh).  For ``sessview --hosts``' preview of a remote session:
``sesslog --tail`` over the host's shared connection
(:mod:`sessmux.remote.hosts`), read within a time and a size; the caller
draws it through a screen model of its own.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time

from sessmux.core import hostlist
from sessmux.remote.hosts import TIMEOUT, control_dir, remote_bin, sharing, ssh_command
from sessmux.system.ready import ready

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


def snapshot(host: hostlist.Host, name: str, rows: int, timeout: float = TIMEOUT,
             env: Mapping[str, str] | None = None) -> bytes | None:
    """The newest ``rows`` lines a session on ``host`` wrote, raw, from its journal.

    ``sesslog -s NAME --tail ROWS`` over the host's shared connection, at
    most :data:`~sessmux.core.hostlist.MAX_LISTING` bytes; None where there is none (no
    journal, no answer in time).  What comes back is the program's own
    output: only ever fed to a screen model, never printed as it is.
    """
    where = host.bin or remote_bin(env)
    program = os.path.join(where, "sesslog") if where else "sesslog"
    command = shlex.join([program, "-s", name, "--tail", str(max(1, rows))])
    try:
        process = subprocess.Popen(
            [*ssh_command(env), *sharing(control_dir(env), timeout), *host.options, "-T", "--",
             host.dest, command], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        return None
    assert process.stdout is not None
    out, end = bytearray(), time.monotonic() + timeout
    fd = process.stdout.fileno()
    try:
        while len(out) <= hostlist.MAX_LISTING:  # a hostile host is cut off, not kept
            left = end - time.monotonic()
            if left <= 0 or not ready([fd], [], left)[0]:
                return None
            data = os.read(fd, 65536)
            if not data:
                return bytes(out) if process.wait(max(0.1, end - time.monotonic())) == 0 \
                    else None
            out += data
        return None
    except (OSError, subprocess.TimeoutExpired):
        return None
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
