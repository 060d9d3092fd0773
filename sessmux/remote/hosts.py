"""Asking many hosts for their sessions at once, over OpenSSH.

Does I/O: runs one ``ssh HOST sesslist --json`` per host, all at once,
and reads them with ``poll`` until each has answered or its timeout has
passed (then its ssh is killed, by pid).  OpenSSH does the rest:
authentication, ``~/.ssh/config``, jump hosts, and connection sharing --
every query goes through a ControlMaster kept for :data:`PERSIST` in a
private directory, so a second listing within minutes logs in nowhere.

What a host says is read up to :data:`~sessmux.core.hostlist.MAX_LISTING`
bytes and checked (:mod:`sessmux.core.hostlist`); what its ssh says on
stderr comes back as one printable line.  Nothing a host sends reaches
the terminal raw.
"""

from __future__ import annotations

import os
import select
import shlex
import signal
import subprocess
import time

from sessmux.core import errors, hostlist
from sessmux.core.errors import NOT_FOUND, SSH_FAILED
from sessmux.core.names import visible

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

TIMEOUT = 10.0  # seconds a host has to answer
CONNECT_TIMEOUT = 5
PERSIST = "10m"  # how long an idle shared connection stays up
MAX_ERR = 4096
SOCKET_ROOM = 48  # a control directory longer than this leaves ssh no room for %C.XXXX


def control_dir(env: Mapping[str, str] | None = None) -> str:
    """The private directory of the shared connections, made 0700 (checked as sessions').

    ``.ssh`` in the session directory (never a session name: it begins
    with a dot), or, where that path leaves a socket no room,
    ``${TMPDIR:-/tmp}/sessmux-ssh-UID``.
    """
    from sessmux.system import paths

    env = os.environ if env is None else env
    directory = paths.session_dir(env)
    inside = os.path.join(directory, ".ssh")
    if len(inside) <= SOCKET_ROOM:
        return paths.session_dir(env, explicit=inside)
    outside = os.path.join(env.get("TMPDIR") or "/tmp", f"sessmux-ssh-{os.getuid()}")
    return paths.session_dir(env, explicit=outside)


def ssh_command(env: Mapping[str, str] | None = None) -> list[str]:
    """``$SESSMUX_SSH`` (words, as a shell splits them) or ``ssh``."""
    env = os.environ if env is None else env
    return shlex.split(env.get("SESSMUX_SSH") or "ssh")


def sharing(control: str, timeout: float = TIMEOUT) -> list[str]:
    """ssh options: share one connection per host, never ask for a password."""
    return ["-o", "ControlMaster=auto", "-o", f"ControlPath={control}/%C",
            "-o", f"ControlPersist={PERSIST}", "-o", "BatchMode=yes",
            "-o", f"ConnectTimeout={max(1, min(CONNECT_TIMEOUT, int(timeout)))}"]


def remote_bin(env: Mapping[str, str] | None = None) -> str:
    """``$SESSMUX_REMOTE_BIN``: where sessmux's commands are on every host ("": its PATH)."""
    env = os.environ if env is None else env
    return env.get("SESSMUX_REMOTE_BIN", "")


def remote_sesslist(host: hostlist.Host, env: Mapping[str, str] | None = None) -> str:
    """The command line run on the host: its ``sesslist --json``."""
    where = host.bin or remote_bin(env)
    program = os.path.join(where, "sesslist") if where else "sesslist"
    return shlex.join([program, "--json"])


def argv(host: hostlist.Host, control: str, timeout: float = TIMEOUT,
         env: Mapping[str, str] | None = None, ssh: Sequence[str] = ()) -> list[str]:
    """The whole ssh command line that lists ``host``'s sessions."""
    return [*(ssh or ssh_command(env)), *sharing(control, timeout), *host.options, "-T", "--",
            host.dest, remote_sesslist(host, env)]


class Answer:
    """What one host said: its checked listing, or why there is none."""

    def __init__(self, host: hostlist.Host) -> None:
        self.host = host
        self.listing: hostlist.Listing | None = None
        self.error = ""
        self.seconds = 0.0

    @property
    def shown(self) -> str:
        return visible(self.host.dest)


class _Query:
    def __init__(self, host: hostlist.Host, process: subprocess.Popen[bytes], started: float,
                 timeout: float) -> None:
        self.host = host
        self.process = process
        self.timeout = timeout
        self.end = started + timeout
        self.out = bytearray()
        self.err = bytearray()
        self.open = 2
        self.too_big = False


def query(hosts: Sequence[hostlist.Host], timeout: float = TIMEOUT,
          env: Mapping[str, str] | None = None, ssh: Sequence[str] = ()) -> list[Answer]:
    """Every host's listing, asked at once; the answers in the hosts' order."""
    control = control_dir(env)
    started = time.monotonic()
    queries: dict[int, _Query] = {}
    answers = [Answer(h) for h in hosts]
    running: list[tuple[_Query, Answer]] = []
    poller = select.poll()
    for host, answer in zip(hosts, answers, strict=True):
        try:
            process = subprocess.Popen(argv(host, control, timeout, env, ssh),
                                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, start_new_session=True)
        except OSError as e:
            answer.error = f"cannot run ssh: {e.strerror}"
            continue
        q = _Query(host, process, started, timeout)
        running.append((q, answer))
        for pipe in (process.stdout, process.stderr):
            assert pipe is not None
            os.set_blocking(pipe.fileno(), False)
            queries[pipe.fileno()] = q
            poller.register(pipe.fileno(), select.POLLIN)
    try:
        _collect(queries, poller)
    finally:
        for q, answer in running:
            _finish(q, answer, started)
    return answers


def _collect(queries: dict[int, _Query], poller: select.poll) -> None:
    """Read every pipe until it ends or its host's time is up."""
    while queries:
        now = time.monotonic()
        for fd, q in list(queries.items()):
            if now >= q.end or q.too_big:
                _drop(fd, queries, poller)
        if not queries:
            return
        wait = min(q.end for q in queries.values()) - now
        for fd, _ in poller.poll(max(0, int(wait * 1000)) + 1):
            if fd not in queries:
                continue
            q = queries[fd]
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                _drop(fd, queries, poller)
                continue
            if q.process.stdout is not None and fd == q.process.stdout.fileno():
                q.out += data
                q.too_big = len(q.out) > hostlist.MAX_LISTING
            else:
                q.err = (q.err + data)[-MAX_ERR:]


def _drop(fd: int, queries: dict[int, _Query], poller: select.poll) -> None:
    q = queries.pop(fd)
    poller.unregister(fd)
    q.open -= 1


def _finish(q: _Query, answer: Answer, started: float) -> None:
    """Reap the host's ssh (killed, by pid, if still there); judge what it said."""
    process = q.process
    late = q.open > 0 or q.too_big
    if process.poll() is None and not late:
        try:
            process.wait(max(0.0, q.end - time.monotonic()))
        except subprocess.TimeoutExpired:
            late = True
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except OSError:
            pass
        process.wait()
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()
    answer.seconds = time.monotonic() - started
    answer.error = _judge(q, answer, late)


def _judge(q: _Query, answer: Answer, late: bool) -> str:
    if q.too_big:
        return f"listing larger than {hostlist.MAX_LISTING} bytes; skipped"
    if late:
        return f"no answer within {q.timeout:g} s; skipped"
    code = q.process.returncode
    said = last_line(bytes(q.err))
    if code == SSH_FAILED:
        return f"cannot reach the host: {said}" if said else "cannot reach the host"
    if code == NOT_FOUND:
        return "sessmux is not installed there (no sesslist)"
    if code != 0:
        return f"sesslist failed (exit {code}){': ' + said if said else ''}"
    try:
        answer.listing = hostlist.parse_listing(bytes(q.out))
    except errors.BadListing as e:
        return f"{e}; skipped"
    return ""


def last_line(data: bytes) -> str:
    """The last non-empty line of ``data``, printable and at most 200 characters."""
    lines = [ln for ln in data.decode("utf-8", "replace").splitlines() if ln.strip()]
    return visible(lines[-1].strip())[:200] if lines else ""


def hosts_file(env: Mapping[str, str] | None = None) -> str:
    """``$XDG_CONFIG_HOME/sessmux/hosts`` (``~/.config/sessmux/hosts``)."""
    env = os.environ if env is None else env
    config = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME") or "/", ".config")
    return os.path.join(config, "sessmux", "hosts")


def read_hosts(path: str) -> list[hostlist.Host]:
    """The hosts in the file at ``path``; [] if there is none.

    Raises :class:`~sessmux.core.errors.BadHosts` for a line that is not
    a destination with ssh options, OSError if the file cannot be read.
    """
    try:
        with open(path, "rb") as f:
            data = f.read(hostlist.MAX_LISTING + 1)
    except FileNotFoundError:
        return []
    if len(data) > hostlist.MAX_LISTING:
        raise errors.BadHosts("the hosts file is too large")
    return hostlist.parse_hosts(data.decode("utf-8", "replace"))


def choose(named: Sequence[str], every: bool, env: Mapping[str, str] | None = None
           ) -> list[hostlist.Host]:
    """The hosts asked: those named (with their hosts-file options), or the file's all."""
    known = {h.dest: h for h in read_hosts(hosts_file(env))}
    if every and not known:
        raise errors.BadHosts(f"no hosts in {hosts_file(env)}")
    chosen = list(known.values()) if every else []
    for dest in named:
        host = known.get(dest) or hostlist.Host(hostlist.check_destination(dest))
        if host not in chosen:
            chosen.append(host)
    return chosen
