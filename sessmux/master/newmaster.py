"""A new session's plan, and how the process that becomes its master sets it up.

Does I/O (pty, fork, exec).  :class:`Plan` is what a new session is, as
plain values a fork server can be sent; :func:`run_master` runs in the
new master (forked by the tool, :mod:`sessmux.master.spawn`, or by the fork
server, :mod:`sessmux.master.forkserver`): it binds the session's socket, opens
the pty, forks the program and serves.  The master is the pty's session
leader; the program runs in a process group of its own that is the pty's
foreground group, so a ^Z stops it and the master sees the stop (DESIGN
§1).  Until the first connection the program waits on a gate, as in
pty 4.0, so that ``sess reconnect xx`` finds its session connected.
"""

from __future__ import annotations

import os
import termios

from sessmux.core import names
from sessmux.core.errors import DIRECTORY, INTERNAL, NO_NAMES, NOT_FOUND, TOOL, SessError
from sessmux.system import paths, signals, unix
from sessmux.system.ttyio import set_winsize

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal
    from collections.abc import Mapping, Sequence
    from typing import Any

    from sessmux.system.ttyio import Attrs
else:  # the signal module's enums cost every command milliseconds (see sessmux.system.unix)
    import _signal as signal


class Options:
    """How a new session's master behaves (a plain class: dataclasses cost start-up time)."""

    def __init__(
        self,
        ring_size: int = 256 * 1024,  # replay buffer (atsr -b)
        orphan_timeout: float | None = None,  # seconds with no client before it ends (atsr -x)
        utmp: bool = True,  # write a login record (atsr -w turns it off)
        utmp_host: str = "",
        log_path: str | None = None,  # the master's diagnostics (atsr -o)
        journal_size: int = 64 << 20,  # every byte on disk, this much at most (-J; 0: off)
    ) -> None:
        self.journal_size = journal_size
        self.ring_size = ring_size
        self.orphan_timeout = orphan_timeout
        self.utmp = utmp
        self.utmp_host = utmp_host
        self.log_path = log_path


class Plan:
    """What a new session is: its directory, program and the program's world.

    (What the fork server is sent, as plain values: :meth:`fields`.)
    """

    def __init__(
        self,
        directory: str,
        argv: Sequence[str],
        env: Mapping[str, str],
        attrs: Attrs | None,
        size: tuple[int, int] | None,
        options: Options,
        name: str | None = None,
        gate: bool = True,
    ) -> None:
        self.directory = directory
        self.argv = list(argv)
        self.env = dict(env)
        self.attrs = attrs
        self.size = size
        self.options = options
        self.name = name
        self.gate = gate

    def fields(self) -> dict[str, Any]:
        return {**vars(self), "options": dict(vars(self.options))}

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any]) -> Plan:
        size = fields["size"]
        return cls(str(fields["directory"]), [str(a) for a in fields["argv"]],
                   {str(k): str(v) for k, v in fields["env"].items()}, fields["attrs"],
                   (int(size[0]), int(size[1])) if size else None,
                   Options(**fields["options"]), fields["name"], bool(fields["gate"]))


MASTER_IGNORES = (
    signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP,
    signal.SIGTTIN, signal.SIGTTOU, signal.SIGPIPE, signal.SIGUSR1, signal.SIGUSR2,
)


def default_attrs() -> Attrs:
    """Sane pty modes for a session started without a terminal (pty 4.0 ttydfl)."""
    master, slave = os.openpty()
    try:
        attrs = termios.tcgetattr(slave)
    finally:
        os.close(master)
        os.close(slave)
    cc = attrs[6]
    for key, ch in (
        ("VERASE", 0x7F), ("VKILL", 0x15), ("VINTR", 0x03), ("VQUIT", 0x1C),
        ("VSTART", 0x11), ("VSTOP", 0x13), ("VEOF", 0x04), ("VSUSP", 0x1A),
        ("VREPRINT", 0x12), ("VDISCARD", 0x0F), ("VWERASE", 0x17), ("VLNEXT", 0x16),
    ):
        cc[getattr(termios, key)] = bytes([ch])
    attrs[0] |= termios.ICRNL | termios.IXON
    attrs[1] |= termios.OPOST | termios.ONLCR
    attrs[3] |= termios.ISIG | termios.ICANON | termios.ECHO | termios.ECHOE | termios.ECHOK
    return attrs


def claim(directory: str, name: str | None) -> tuple[str, unix.Socket]:
    """Bind the session's socket; binding is what makes a name ours."""
    wanted = [names.check(name)] if name else names.candidates(paths.session_names(directory))
    for candidate in wanted:
        path = os.path.join(directory, candidate)
        try:
            return candidate, unix.listen_at(path)
        except FileExistsError:
            if unix.remove_dead(path):  # its master died: the name is free again
                return claim(directory, candidate)
    if name:
        raise SessError(f"session {name} already exists", TOOL)
    raise SessError("no session names available", NO_NAMES)


def answer(line: str) -> tuple[str, int, str]:
    """A master's report line: ``ok NAME PID NOTE`` or ``err CODE TEXT``."""
    if line.startswith("ok "):
        got, pid, note = line[3:].split(" ", 2)
        return got, int(pid), note.strip()
    if line.startswith("err "):
        code, _, text = line[4:].partition(" ")
        raise SessError(text.strip(), int(code))
    raise SessError("master died before it was ready", INTERNAL)


def report(fd: int, text: str) -> None:
    """Send the one report line (on a pipe, or a fork server's connection)."""
    try:
        os.write(fd, text.replace("\n", " ").encode() + b"\n")
        os.close(fd)
    except OSError:
        pass


def run_master(report_fd: int, plan: Plan) -> None:
    """In the new master (a session leader, forked by the tool or the fork server): serve."""
    directory, argv, env, options = plan.directory, plan.argv, plan.env, plan.options
    attrs, size, name, gate = plan.attrs, plan.size, plan.name, plan.gate
    signals.ignore(MASTER_IGNORES)
    try:
        name, listener = claim(directory, name)
    except SessError as e:
        report(report_fd, f"err {e.code} {e.message}")
        os._exit(0)
    except OSError as e:
        report(report_fd, f"err {DIRECTORY} cannot create socket in {directory}: {e.strerror or e}")
        os._exit(0)
    master_fd, slave_fd = os.openpty()
    termios.tcsetattr(slave_fd, termios.TCSANOW, attrs or default_attrs())
    if size:
        set_winsize(slave_fd, *size)
    import fcntl

    fcntl.ioctl(slave_fd, termios.TIOCSCTTY, 0)
    gate_r, gate_w = os.pipe() if gate else (-1, -1)
    child_env = dict(env, PTY=name, SESSMUX_DIR=directory)
    pid = os.fork()
    if pid == 0:
        _program(slave_fd, gate_r, argv, child_env)
    _try_setpgid(pid)  # both sides set it: no race with tcsetpgrp
    try:
        os.tcsetpgrp(slave_fd, pid)
    except OSError:
        pass
    slave_path = os.ttyname(slave_fd)
    os.close(slave_fd)
    if gate:
        os.close(gate_r)
    record, note = None, "no utmp entry (not asked for)"
    if options.utmp:
        from sessmux.system import utmp

        record, note = utmp.add(master_fd, slave_path, pid, options.utmp_host or f"sessmux:{name}")
    log_fd = -1
    if options.log_path:
        log_fd = os.open(options.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    os.chdir("/")
    from sessmux.master import journal

    writer, no_journal = journal.prepare(directory, name, options.journal_size,
                                         env.get("SESSMUX_JOURNAL_KEEP", ""))
    report(report_fd, f"ok {name} {os.getpid()} {note}")
    # Imported only here, in the master: the client that forked us never pays for it.
    from sessmux.master import finish
    from sessmux.master.loop import Master

    master = Master(name, directory, listener, master_fd, pid, gate_w, options.ring_size, log_fd)
    master.orphan_timeout = options.orphan_timeout
    journal.adopt(master, writer, no_journal)
    master.utmp = record
    try:
        master.run()
    except BaseException:
        import traceback

        master.log("crashed: " + traceback.format_exc())
        finish.cleanup(master)
    os._exit(0)


def _try_setpgid(pid: int) -> None:
    try:
        os.setpgid(pid, pid)
    except OSError:
        pass


def _program(slave_fd: int, gate_r: int, argv: Sequence[str], env: Mapping[str, str]) -> None:
    """In the child: become the pty's foreground job, wait for the gate, exec."""
    try:
        os.setpgid(0, 0)
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        os.tcsetpgrp(slave_fd, os.getpid())
        for sig in (*MASTER_IGNORES, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)
        if gate_r >= 0:
            while True:
                try:
                    os.read(gate_r, 1)
                    break
                except InterruptedError:
                    continue
        for fd in (0, 1, 2):
            os.dup2(slave_fd, fd)
        os.closerange(3, 1 << 16)
        os.execvpe(argv[0], list(argv), dict(env))
    except OSError as e:
        os.write(2, f"sess: fatal: cannot run {argv[0]}: {e.strerror}\r\n".encode())
    os._exit(NOT_FOUND)  # as sh: the program could not be run
