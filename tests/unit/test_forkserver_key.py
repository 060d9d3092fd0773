"""The fork server's key names all of the package's code, subpackages included.

A tool must never reach a fork server that runs code older than its own:
the key changes when any module below sessmux/ changes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def key_of(top: Path) -> str:
    code = ("import sys; sys.path.insert(0, sys.argv[1]); "
            "from sessmux.master import forkrequest; print(forkrequest.key())")
    return subprocess.run([sys.executable, "-S", "-c", code, str(top)], capture_output=True,
                          text=True, timeout=60, check=True).stdout.strip()


def test_the_fork_servers_key_changes_with_any_module_of_the_package(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "sessmux", tmp_path / "sessmux",
                    ignore=shutil.ignore_patterns("__pycache__"))
    first = key_of(tmp_path)
    assert key_of(tmp_path) == first
    changed = set()
    for module in ("core/ring.py", "system/unix.py", "master/loop.py", "commands/sess.py"):
        path = tmp_path / "sessmux" / module
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        changed.add(key_of(tmp_path))
    assert first not in changed and len(changed) == 4
