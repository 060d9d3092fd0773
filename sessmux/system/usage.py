"""CPU and memory of a session's process tree (for the tools, not the master).

Does I/O: reads the process table through psutil (heavy to import: the
master never does; ``sesslist -l`` and sessview do).
"""

from __future__ import annotations


def tree(pid: int) -> tuple[float, int] | None:
    """CPU seconds used and resident bytes of ``pid`` and its descendants now.

    None when the process is gone (or not ours to look at).
    """
    import psutil

    try:
        top = psutil.Process(pid)
        procs = [top, *top.children(recursive=True)]
    except (psutil.Error, OSError):
        return None
    cpu, rss = 0.0, 0
    for proc in procs:
        try:
            with proc.oneshot():
                times = proc.cpu_times()
                cpu += times.user + times.system
                rss += proc.memory_info().rss
        except (psutil.Error, OSError):
            continue  # ended meanwhile
    return cpu, rss
