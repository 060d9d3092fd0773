"""Install the peers from Debian packages when possible (does I/O).

As root, a missing ``dtach``, ``screen`` or ``tmux`` is installed with
``apt-get`` (one ``apt-get update`` first, noninteractive).  Otherwise, or
if that fails, the peer is skipped later with a note.  ``bench/setup.sh``
does the same from a shell.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable

PACKAGES = {"dtach": "dtach", "screen": "screen", "tmux": "tmux"}


def ensure_peers(log: Callable[[str], None]) -> None:
    missing = [pkg for binary, pkg in PACKAGES.items() if shutil.which(binary) is None]
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        log(f"note: {', '.join(missing)} missing and cannot be installed here; skipped")
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    log(f"installing {' '.join(missing)} with apt-get")
    for argv in (["apt-get", "update", "-qq"],
                 ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]):
        try:
            done = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL,
                                  capture_output=True, timeout=600, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log(f"note: {' '.join(argv)} failed: {exc}")
            return
        if done.returncode != 0:
            log(f"note: {' '.join(argv)} failed: "
                + done.stderr.decode(errors="replace").strip()[-200:])
            return
