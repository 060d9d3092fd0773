"""The fork server: new masters forked from one warm process per directory.

Does I/O.  A master forked from the tool that asked for it is a private
copy of that tool's interpreter: megabytes of its own, and the master's
modules imported anew every time.  The fork server is a small daemon, one
per session directory, that has imported everything a master needs
(pyte included) once and frozen it for the garbage collector; a master
forked from it shares those pages with every other master, and starts
without importing anything.

The first session in a directory is forked by its tool as before, and
that tool starts the server (:func:`launch`) for the sessions after it.
The server loads holding ``.forkserver-KEY.lock``, so only one loads,
and listens on ``.forkserver-KEY`` only once loaded: until then tools
fork their masters themselves instead of waiting.  KEY names the
interpreter and the code, so a tool never reaches a server running other
code.  A tool asks with :func:`sessmux.master.forkrequest.ask`: after the
server's greeting, one request (the program, its environment, working
directory, umask, terminal modes, size and the session's options); the
answer is the master's own report line
(:func:`sessmux.master.newmaster.answer`).  Masters are the server's children (one
fork, not two; it collects those that end).  The server only serves its
owner (peer credentials), and ends when its socket goes, when the
directory has had no session for :data:`EMPTY_EXIT` seconds, or after
:data:`IDLE_EXIT` seconds without a request.
"""

from __future__ import annotations

import os
import struct
import sys
import time

from sessmux.master.forkrequest import GREETING, read_request, socket_path
from sessmux.system import signals, unix

TYPE_CHECKING = False
if TYPE_CHECKING:

    pass

LAUNCH_DELAY = 0.05  # seconds between the first session's start and its server's
CHECK = 5.0  # seconds between checks of the socket and the directory
EMPTY_EXIT = 60.0  # no session in the directory for this long: the server ends
IDLE_EXIT = 3600.0  # ... or no request for this long
_UCRED = struct.Struct("3i")
_LENGTH = struct.Struct(">I")


# -- starting a server --------------------------------------------------------


def launch(directory: str) -> None:
    """Start the directory's server in the background (it may already run)."""
    try:
        child = os.fork()
    except OSError:
        return
    if child:
        try:
            os.waitpid(child, 0)
        except OSError:
            pass
        return
    try:
        os.setsid()
        if os.fork():
            os._exit(0)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.closerange(3, 1 << 16)
        # Load after the new session has started, not competing with it for the CPU.
        time.sleep(LAUNCH_DELAY)
        code = ("import sys; sys.path[:0] = sys.argv.pop(1).split('\\n'); "
                "from sessmux.master.forkserver import serve; serve(sys.argv[1])")
        path = "\n".join(p for p in sys.path if p and "\n" not in p and "\0" not in p)
        os.execv(sys.executable, [sys.executable, "-S", "-c", code, path, directory])
    except BaseException:  # noqa: BLE001 - a server that does not start is no error
        pass
    os._exit(0)


# -- the server ---------------------------------------------------------------


def serve(directory: str) -> None:
    """Listen for requests until there is nothing left to serve."""
    import signal

    signals.ignore((signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP,
                    signal.SIGPIPE, signal.SIGUSR1, signal.SIGUSR2))
    path = socket_path(directory)
    lock = _lock(path)
    if lock is None:
        return  # another server is loading or serving
    os.chdir("/")  # a daemon keeps no directory of the user's busy
    _preload()
    # Listening only now: until then, tools fork their masters themselves
    # rather than wait for a server that is still loading.
    listener = _bind(path)
    if listener is None:
        return
    inode = os.stat(path).st_ino

    from sessmux.system.paths import session_names

    last_request = last_session = time.monotonic()
    while True:
        listener.settimeout(CHECK)
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            conn = None
        except OSError:
            break
        _reap()
        now = time.monotonic()
        if conn is not None:
            last_request = now
            _serve_one(conn, listener, lock, directory)
            continue
        try:
            if os.stat(path).st_ino != inode:
                return  # replaced by another server: not ours to remove
        except OSError:
            return
        if _any_live(directory, session_names(directory)):
            last_session = now
        if now - last_session > EMPTY_EXIT or now - last_request > IDLE_EXIT:
            break
    try:
        if os.stat(path).st_ino == inode:
            os.unlink(path)
            os.unlink(path + ".lock")
    except OSError:
        pass


def _lock(path: str) -> int | None:
    """Hold the server's lock file: one server loads per directory and code."""
    import fcntl

    try:
        fd = os.open(path + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _any_live(directory: str, names: list[str]) -> bool:
    """Whether one of the sessions' masters still listens (killed ones leave sockets)."""
    return any(unix.listening(os.path.join(directory, name)) for name in names)


def _bind(path: str) -> unix.Socket | None:
    """Listen at `path`, or None if another server does."""
    for _ in range(2):
        try:
            return unix.listen_at(path)
        except FileExistsError:
            pass
        except OSError:
            return None
        if not unix.remove_dead(path):
            return None  # another server is running (or it cannot be told)
    return None


def _preload() -> None:
    """Import what every master uses, then keep the collector off those pages."""
    import gc

    import sessmux.master.journal  # noqa: F401 - every master keeps a journal by default
    import sessmux.master.loop  # noqa: F401 - imported to be shared
    import sessmux.master.newmaster  # noqa: F401 - and the code a request runs is the server's own
    import sessmux.system.utmp

    if any(os.path.exists(f) for f in sessmux.system.utmp.UTMP_FILES):
        import ctypes  # noqa: F401 - what writing a utmp record takes

    try:
        import sessmux.core.render
        import sessmux.core.screen  # noqa: F401 - pyte, for the screen model
    except ImportError:
        pass
    gc.collect()
    gc.freeze()


def _serve_one(conn: unix.Socket, listener: unix.Socket, lock: int, directory: str) -> None:
    """Make one master (which keeps neither the listener nor the lock)."""
    from sessmux.core.errors import INTERNAL
    from sessmux.master import newmaster

    try:
        conn.settimeout(2.0)
        uid = unix.peer_uid(conn)
        if uid != os.getuid():
            conn.close()
            return
        conn.sendall(GREETING)
        request = read_request(conn)
        plan = newmaster.Plan.from_fields({**request, "directory": directory})
    except Exception as e:  # noqa: BLE001 - a bad request ends that connection only
        _refuse(conn, f"err {INTERNAL} fork server: bad request: {e}")
        return
    try:
        child = os.fork()
    except OSError as e:
        newmaster.report(conn.fileno(), f"err {INTERNAL} cannot fork: {e.strerror}")
        conn.close()
        return
    if child == 0:
        listener.close()
        os.close(lock)
        report = conn.detach()
        try:
            os.setsid()
            os.umask(int(request["umask"]))
            try:
                os.chdir(request["cwd"])
            except OSError:
                os.chdir("/")
            os.environ.clear()
            os.environ.update(plan.env)
            newmaster.run_master(report, plan)
        except BaseException as e:  # noqa: BLE001
            newmaster.report(report, f"err {INTERNAL} master failed to start: {e}")
        os._exit(0)
    conn.close()


def _reap() -> None:
    """Collect the masters that have ended (they are the server's children)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _refuse(conn: unix.Socket, line: str) -> None:
    """Say why, and let the rest of the request go (unread data would reset it)."""
    try:
        conn.sendall(line.replace("\n", " ").encode() + b"\n")
        conn.shutdown(unix.SHUT_WR)
        conn.settimeout(0.5)
        while conn.recv(65536):
            pass
    except OSError:
        pass
    finally:
        conn.close()
