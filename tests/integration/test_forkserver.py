"""The fork server: sessions after the first are forked from one warm process.

Real tools, real masters, a real server started by the first session.  What
a session's program gets (working directory, environment, umask, its
name) must not depend on which process forked its master.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
from pathlib import Path

from terminal import wait_until

SERVER = ".forkserver-"


def run(env: dict[str, str], *argv: str, cwd: Path | None = None,
        umask: int = -1) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), env=env, capture_output=True, text=True, timeout=30,
                          cwd=cwd, umask=umask, stdin=subprocess.DEVNULL)


def server_socket(sessdir: Path) -> Path | None:
    """The server's socket (not the private name it is made under)."""
    if not sessdir.is_dir():
        return None
    found = [p for p in sessdir.iterdir() if re.fullmatch(re.escape(SERVER) + "[0-9a-f]+", p.name)]
    return found[0] if found else None


def server_pid(sessdir: Path) -> int | None:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(b"forkserver import serve" in a for a in argv) and str(sessdir).encode() in argv:
            return int(entry.name)
    return None


def master_pid(env: dict[str, str], name: str) -> int:
    out = run(env, "sesslist").stdout
    m = re.search(rf"^session {re.escape(name)} pid (\d+)", out, re.M)
    assert m, out
    return int(m.group(1))


def shared_dirty_kib(pid: int) -> int:
    text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    m = re.search(r"^Shared_Dirty:\s+(\d+) kB", text, re.M)
    assert m, text
    return int(m.group(1))


def start_first(env: dict[str, str], sessdir: Path) -> None:
    assert run(env, "sessmux", "-n", "-w", "first", "sleep", "300").returncode == 0
    wait_until(lambda: server_socket(sessdir) is not None and server_pid(sessdir) is not None,
               what="the first session to start a fork server")


def test_second_session_is_forked_by_the_server_with_the_callers_context(
        env: dict[str, str], sessdir: Path, tmp_path: Path) -> None:
    start_first(env, sessdir)
    work = tmp_path / "work dir"
    work.mkdir()
    out = tmp_path / "seen"
    script = f'pwd > "{out}"; umask >> "{out}"; echo "$FOO" >> "{out}"; echo "$PTY" >> "{out}";' \
             " exec sleep 300"
    second = run({**env, "FOO": "value two"}, "sessmux", "-n", "-w", "second",
                 "sh", "-c", script, cwd=work, umask=0o027)
    assert second.returncode == 0, second.stderr
    wait_until(lambda: out.exists() and len(out.read_text().splitlines()) == 4,
               what="the second session's program to report")
    assert out.read_text().splitlines() == [str(work), "0027", "value two", "second"]
    first_pid, second_pid = master_pid(env, "first"), master_pid(env, "second")
    second_argv = Path(f"/proc/{second_pid}/cmdline").read_bytes()
    assert b"forkserver" in second_argv  # forked by the server ...
    assert b"forkserver" not in Path(f"/proc/{first_pid}/cmdline").read_bytes()
    # ... and sharing its pages: the master imported nothing of its own.
    assert shared_dirty_kib(second_pid) > 1024
    # The session works like any other: attach, see its name, end it.
    assert run(env, "sesskill", "-y", "-s", "second").returncode == 0
    wait_until(lambda: "second" not in run(env, "sesslist").stdout, what="second to end")


def test_a_bad_request_gets_an_error_and_the_server_goes_on(
        env: dict[str, str], sessdir: Path) -> None:
    start_first(env, sessdir)
    path = server_socket(sessdir)
    assert path is not None
    for garbage in (b"\x00\x00\x00\x05hello", b"\xff\xff\xff\xff", b"\x00\x00\x00\x02{}"):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(str(path))
            replies = s.makefile("rb")
            assert replies.readline() == b"ready\n"
            s.sendall(garbage)
            reply = replies.readline().decode()
        assert reply.startswith("err ") and "bad request" in reply, reply
    assert run(env, "sessmux", "-n", "-w", "after", "sleep", "300").returncode == 0
    assert b"forkserver" in Path(f"/proc/{master_pid(env, 'after')}/cmdline").read_bytes()


def test_a_server_that_does_not_greet_is_passed_over_and_given_nothing(
        env: dict[str, str], sessdir: Path) -> None:
    """A tool does not wait on a mute server, and never leaves it a request to act on later."""
    start_first(env, sessdir)
    path, pid = server_socket(sessdir), server_pid(sessdir)
    assert path is not None and pid is not None
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: server_pid(sessdir) is None, what="the server to die")
    path.unlink()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as mute:
        mute.bind(str(path))
        mute.listen(8)  # connections wait in the backlog: nobody accepts or greets
        second = run(env, "sessmux", "-n", "-w", "second", "sleep", "300")
        assert second.returncode == 0, second.stderr
        assert "session second " in run(env, "sesslist").stdout
        mute.settimeout(1)
        pending = []
        while True:
            try:
                pending.append(mute.accept()[0])
            except TimeoutError:
                break
        assert pending  # the tool did come
        for conn in pending:
            with conn:
                conn.settimeout(5)
                assert conn.recv(65536) == b""  # and left without a word


def test_one_server_loads_at_a_time(tmp_path: Path) -> None:
    from sessmux.master import forkserver

    path = str(tmp_path / ".forkserver-1")
    first = forkserver._lock(path)
    assert first is not None
    assert forkserver._lock(path) is None
    os.close(first)
    again = forkserver._lock(path)
    assert again is not None
    os.close(again)


def test_the_server_ends_when_its_socket_goes(env: dict[str, str], sessdir: Path) -> None:
    start_first(env, sessdir)
    pid = server_pid(sessdir)
    path = server_socket(sessdir)
    assert pid is not None and path is not None
    path.unlink()
    wait_until(lambda: not Path(f"/proc/{pid}").exists()
               or Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z",
               timeout=30, what="the fork server to end")
    # Sessions go on being made (by the tool, which starts a new server).
    assert run(env, "sessmux", "-n", "-w", "later", "sleep", "300").returncode == 0
    assert "later" in run(env, "sesslist").stdout


def test_only_a_listening_master_keeps_the_server(tmp_path: Path) -> None:
    from sessmux.master import forkserver

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as gone:
        gone.bind(str(tmp_path / "dead"))  # what a killed master leaves: a socket, nobody on it
    assert not forkserver._any_live(str(tmp_path), ["dead"])
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as live:
        live.bind(str(tmp_path / "live"))
        live.listen(1)
        assert forkserver._any_live(str(tmp_path), ["dead", "live"])


def test_a_relative_session_directory_is_made_absolute(
        env: dict[str, str], sessdir: Path, tmp_path: Path) -> None:
    # Masters and the fork server leave the working directory: a relative
    # SESSMUX_DIR must not follow them to "/".
    relative = {**env, "SESSMUX_DIR": sessdir.name}
    seen = tmp_path / "seen-dir"
    for name in ("one", "two"):  # the second from the fork server, once it runs
        made = run(relative, "sessmux", "-n", "-w", name, "sh", "-c",
                   f'echo "$SESSMUX_DIR" > "{seen}.{name}"; exec sleep 300', cwd=tmp_path)
        assert made.returncode == 0, made.stderr
        if name == "one":
            wait_until(lambda: server_socket(sessdir) is not None, what="the fork server")
    for name in ("one", "two"):
        said = Path(f"{seen}.{name}")
        # The shell makes the file before echo writes the line: wait for the line.
        wait_until(lambda said=said: said.is_file() and said.read_text().endswith("\n"),
                   what=f"{name}'s program")
        assert said.read_text().strip() == str(sessdir)
    listed = run(env, "sesslist").stdout  # from anywhere, by the absolute name
    assert "session one " in listed and "session two " in listed


def test_a_live_server_keeps_its_place_and_a_dead_ones_is_taken(tmp_path: Path) -> None:
    from sessmux.master import forkserver

    path = str(tmp_path / ".forkserver-1")
    first = forkserver._bind(path)
    assert first is not None
    assert forkserver._bind(path) is None
    first.close()  # what a killed server leaves: its socket, nobody on it
    second = forkserver._bind(path)
    assert second is not None
    with second, socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(path)
