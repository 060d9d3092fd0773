"""When the system runs out, and when other users get in (issue 12).

Real commands, real sockets.  Thousands of sessions are one test-owned
process listening on that many sockets and answering with the real
protocol (:class:`hostile_system_support.FakeMasters`): 1,500 real masters would
not fit on two shared cores.  The attacks are made by another user the
test creates (:mod:`users`); a full disk is a small tmpfs the test mounts
and fills (both need root; skipped otherwise).
"""

from __future__ import annotations

import json
import os
import pwd
import re
import resource
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_system_support import FakeMasters, Trap, fill, full_tmpfs
from terminal import Terminal, base_env, kill_sessions, start_detached, wait_until
from users import ATTACKER, VICTIM, as_user, ensure_user, user_world

from sessmux.client import channel
from sessmux.core.errors import SessError

ROOT_ONLY = pytest.mark.skipif(os.getuid() != 0, reason="needs root (a user, a mount)")
FATAL = r"{tool}: fatal: [^\n]*\n"


def run(env: dict[str, str], *argv: str, limit: int | None = None, stdin: str = "",
        ) -> subprocess.CompletedProcess[str]:
    """``argv`` with ``ulimit -n limit`` (soft and hard, as the shell's ``ulimit -n``).

    Its output goes through files, not pipes: a session it starts holds on
    to what it inherited, and the command's end is what counts.
    """
    def lower() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.TemporaryFile() as given:
        given.write(stdin.encode())
        given.seek(0)
        code = subprocess.run(list(argv), env=env, stdin=given, stdout=out, stderr=err,
                              timeout=120, preexec_fn=lower).returncode
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(list(argv), code, out.read().decode(),
                                           err.read().decode())


def one_fatal(result: subprocess.CompletedProcess[str], tool: str, code: int) -> None:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert re.fullmatch(FATAL.format(tool=tool), result.stderr), result.stderr


def private(path: Path) -> Path:
    path.mkdir(mode=0o700)
    return path


# -- resources: many sessions, few descriptors ---------------------------------


@pytest.fixture
def fakes(sessdir: Path) -> Iterator[FakeMasters]:
    masters = FakeMasters(private(sessdir), 1500)
    yield masters
    masters.close()


@pytest.mark.parametrize("limit", [None, 1024])
def test_1500_sessions_listed_completely(env: dict[str, str], fakes: FakeMasters,
                                         limit: int | None) -> None:
    # None: the default limit here lets 1,500 sockets be open at once, all
    # past select()'s ceiling; 1024: fewer than the sessions, so asked in turns.
    listed = run(env, "sesslist", limit=limit)
    assert listed.returncode == 0 and listed.stderr == "", listed.stderr
    names = [m.group(1) for m in re.finditer(r"^session (\S+) pid \d+ slave \d+ disconnected",
                                              listed.stdout, re.M)]
    assert sorted(names) == fakes.names
    listed = run(env, "sessmux", "-l", limit=limit)
    assert listed.returncode == 0 and listed.stderr == "", listed.stderr
    assert [ln.split()[0] for ln in listed.stdout.splitlines()] == fakes.names


@pytest.fixture
def crowd(env: dict[str, str], sessdir: Path) -> Iterator[tuple[dict[str, str], list[str]]]:
    """400 sessions, each in the session directory and in the registry."""
    masters = FakeMasters(private(sessdir), 400)
    registry = Path(env["SESSMUX_REGISTRY"])
    registry.mkdir(mode=0o700)
    now = time.time()
    for name in masters.names:
        entry = {"name": name, "pid": masters.pid, "created": now, "state": "disconnected",
                 "remote": "", "changed": now}
        (registry / f"{os.getuid()}.{name}.{masters.pid}").write_text(json.dumps(entry))
    yield env, masters.names
    masters.close()


@pytest.mark.parametrize("limit", [12, 16, 32])  # 12: the fewest the launchers start with
@pytest.mark.parametrize("tool", [["sesslist"], ["sessmux", "-l"], ["sesswho"], ["sesswhere"],
                                  ["sessmenu", "true"]])
def test_listing_tools_at_a_low_descriptor_limit(
    crowd: tuple[dict[str, str], list[str]], tool: list[str], limit: int
) -> None:
    env, names = crowd
    # sessmenu asks which session; the answer is one of them (then it runs sess).
    result = run(env, *tool, limit=limit, stdin="fake0000\n")
    assert "Traceback" not in result.stderr, result.stderr
    if tool[0] == "sessmenu":
        shown = re.findall(r"You have a disconnected session (\S+);", result.stdout)
    else:
        shown = [m.group(1) for m in re.finditer(r"^(?:session |\s)?(fake\d+)", result.stdout,
                                                 re.M)]
    if shown != names and sorted(shown) != names:
        one_fatal(result, tool[0], 12)  # the documented code for "out of resources"
    elif tool[0] != "sessmenu":
        assert result.returncode == 0 and result.stderr == "", result.stderr


# -- resources: a full disk ---------------------------------------------------


@ROOT_ONLY
def test_full_disk_for_the_session_directory_and_the_log(
    env: dict[str, str], tmp_path: Path, sessdir: Path
) -> None:
    with full_tmpfs(tmp_path / "full") as full:
        live = private(full / "live")
        env_live = dict(env, SESSMUX_DIR=str(live))
        try:
            made = run(env_live, "sessmux", "-n", "job")
            assert made.returncode == 0, made.stderr
            fill(full)
            # A session directory that cannot be made: no space, no inodes.
            result = run(dict(env, SESSMUX_DIR=str(full / "new")), "sessmux", "-n", "two",
                         "sleep", "300")
            one_fatal(result, "sessmux", 12)
            assert "No space left on device" in result.stderr
            # A session that cannot be made in a full directory: one line, no traceback.
            result = run(env_live, "sessmux", "-n", "three", "sleep", "300")
            assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
            assert re.fullmatch(r"sessmux: fatal: [^\n]*\n", result.stderr), result.stderr
            # The listing tools still list; the session lives on and can be attached.
            listed = run(env_live, "sesslist")
            assert listed.returncode == 0, listed.stderr
            assert re.match(r"session job pid \d+", listed.stdout), listed.stdout
            assert run(env_live, "sessmux", "-l").stdout.startswith(" job  pid ")
            attached = Terminal(env_live)
            try:
                attached.expect(r"\$ ")
                attached.line("sessmux -a job")
                attached.line("echo alive-$((6*7))")
                attached.expect(r"alive-42")
            finally:
                attached.close()
            # sessmux -d 3 -o FILE on the full disk: one line, and no session made.
            result = run(env, "sessmux", "-d", "3", "-o", str(full / "log"), "-n", "four",
                         "sleep", "300")
            one_fatal(result, "sessmux", 12)
            assert "cannot write diagnostics" in result.stderr
            assert not (sessdir / "four").exists()
        finally:
            kill_sessions(live)


# -- other users ----------------------------------------------------------------


@pytest.fixture(scope="module")
def attacker() -> pwd.struct_passwd:
    if os.getuid() != 0:
        pytest.skip("creating a user needs root")
    return ensure_user(ATTACKER)


@pytest.fixture
def arena(attacker: pwd.struct_passwd) -> Iterator[Path]:
    """A place both users reach (tmp_path is root's alone): ``pub`` is sticky, like /tmp."""
    top = Path(tempfile.mkdtemp(prefix="sessmux-hostile-"))
    top.chmod(0o755)
    (top / "pub").mkdir()
    (top / "pub").chmod(0o1777)
    yield top
    subprocess.run(["pkill", "-KILL", "-U", str(attacker.pw_uid)], check=False)
    shutil.rmtree(top, ignore_errors=True)


def as_attacker(attacker: pwd.struct_passwd, *argv: str) -> None:
    subprocess.run(as_user(attacker, *argv), check=True, capture_output=True, timeout=60)


def own_dir(attacker: pwd.struct_passwd, path: Path, mode: int = 0o755) -> Path:
    as_attacker(attacker, "mkdir", "-m", f"{mode:o}", str(path))
    return path


def alive_and_attachable(env: dict[str, str], name: str) -> None:
    listed = run(env, "sesslist")
    assert re.search(rf"^session {name} pid \d+", listed.stdout, re.M), listed.stdout
    term = Terminal(env)
    try:
        term.expect(r"\$ ")
        term.line(f"sessmux -a {name}")
        term.line("echo alive-$((6*7))")
        term.expect(r"alive-42")
    finally:
        term.close()


@pytest.fixture
def henv(env: dict[str, str], arena: Path) -> dict[str, str]:
    """The victim's environment, with a registry both users reach (as /tmp's would be)."""
    return dict(env, SESSMUX_REGISTRY=str(arena / "registry"))


@pytest.fixture
def victim(henv: dict[str, str]) -> str:
    """A session of the victim's, running a shell, to be found alive after each attack."""
    made = run(henv, "sessmux", "-n", "mine")
    assert made.returncode == 0, made.stderr
    return "mine"


def test_g_symlink_to_the_private_directory(
    henv: dict[str, str], sessdir: Path, arena: Path, attacker: pwd.struct_passwd, victim: str
) -> None:
    link = arena / "pub" / "shared"
    as_attacker(attacker, "ln", "-s", str(sessdir), str(link))
    for argv in (["-n", "-g", str(link), "job", "sleep", "300"], ["-l", "-g", str(link)]):
        result = run(henv, "sessmux", *argv)
        assert result.returncode in (2, 8) and "Traceback" not in result.stderr, result.stderr
        assert re.fullmatch(r"sessmux: fatal: [^\n]*symbolic link[^\n]*\n", result.stderr)
    st = os.stat(sessdir)
    assert stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == os.getuid()
    assert not (sessdir / pwd.getpwuid(os.getuid()).pw_name).exists()
    alive_and_attachable(henv, victim)


def test_private_directory_reached_through_another_users_symlink(
    henv: dict[str, str], arena: Path, attacker: pwd.struct_passwd, victim: str
) -> None:
    mine = arena / "mine"
    mine.mkdir()  # the victim's, 0755: a fine parent for a private directory
    link = arena / "pub" / "link"
    as_attacker(attacker, "ln", "-s", str(mine), str(link))
    there = dict(henv, SESSMUX_DIR=str(link / "sessions"))
    result = run(there, "sessmux", "-n", "job", "sleep", "300")
    one_fatal(result, "sessmux", 8)
    assert f"symbolic link of uid {attacker.pw_uid}" in result.stderr
    assert not (mine / "sessions").exists()
    one_fatal(run(there, "sesslist"), "sesslist", 2)
    # The private directory itself a symlink (even to a directory of the victim's).
    private(mine / "real")
    as_attacker(attacker, "ln", "-s", str(mine / "real"), str(arena / "pub" / "sessmux-x"))
    result = run(dict(henv, SESSMUX_DIR=str(arena / "pub" / "sessmux-x")), "sessmux", "-n", "j")
    one_fatal(result, "sessmux", 8)
    assert "symbolic link" in result.stderr
    alive_and_attachable(henv, victim)


def test_swapped_shared_directory_gets_nothing(
    henv: dict[str, str], arena: Path, attacker: pwd.struct_passwd, victim: str
) -> None:
    from sessmux.client.signaller import Signaller

    shared = own_dir(attacker, arena / "pub" / "shared", 0o1777)
    # The attacker's directory where the victim's private one should be, with
    # a socket named for the victim's session.
    theirs = own_dir(attacker, shared / pwd.getpwuid(os.getuid()).pw_name, 0o777)
    trap = Trap(as_user(attacker), theirs / "job", shared / "log")
    try:
        for _ in range(3):
            result = run(henv, "sessmux", "-g", str(shared), "-a", "job")
            one_fatal(result, "sessmux", 8)
            assert f"belongs to uid {attacker.pw_uid}" in result.stderr
        assert trap.connections() == []
        # Past the directory checks (a race won): the peer's uid is checked
        # before a byte, let alone a descriptor, is sent.
        with pytest.raises(SessError) as refused:
            channel.connect(str(theirs), "job")
        assert f"uid {attacker.pw_uid}" in refused.value.message
        assert channel.statuses(str(theirs)) == []
        with pytest.raises(SessError):
            Signaller(str(theirs), "sess").attach("job")
        wait_until(lambda: len(trap.connections()) == 3, what="three connections logged")
        assert trap.connections() == [(0, 0)] * 3
    finally:
        trap.close()
    alive_and_attachable(henv, victim)


def test_an_ordinary_users_client_sends_nothing_to_another_users_socket(
    arena: Path, attacker: pwd.struct_passwd
) -> None:
    user = ensure_user(VICTIM)
    with user_world(user, "sessmux-victim-") as (_, python, uenv):
        shared = own_dir(attacker, arena / "pub" / "shared", 0o1777)
        theirs = own_dir(attacker, shared / VICTIM, 0o777)
        trap = Trap(as_user(attacker), theirs / "job", shared / "log")
        try:
            result = run(uenv, *as_user(user, "sessmux", "-g", str(shared), "-a", "job"))
            one_fatal(result, "sessmux", 8)
            assert trap.connections() == []
            # The client itself, as the command's would be if a swap won the race.
            probe = ("import sys\nfrom sessmux.client import channel as client\n"
                     "from sessmux.core import errors\n"
                     "from sessmux.client.signaller import Signaller\n"
                     "try:\n    client.connect(sys.argv[1], 'job')\n"
                     "except errors.SessError as e:\n    print(e.code, e.message)\n"
                     "print(len(client.statuses(sys.argv[1])))\n"
                     "try:\n    Signaller(sys.argv[1], 'sess').attach('job')\n"
                     "except errors.SessError as e:\n    print(e.code)\n")
            said = run(uenv, *as_user(user, python, "-c", probe, str(theirs)))
            assert said.returncode == 0, said.stderr
            assert said.stdout.splitlines() == [
                f"2 session job is served by uid {attacker.pw_uid}, not by you; refused", "0", "2"]
            wait_until(lambda: len(trap.connections()) == 3, what="three connections logged")
            assert trap.connections() == [(0, 0)] * 3
        finally:
            trap.close()


FORGED = [1e999, -1e999, "yesterday", [1, 2], {"a": 1}, 10**400, -5, None, True, 2**70]


def test_forged_registry_entries_of_any_type(
    henv: dict[str, str], arena: Path, attacker: pwd.struct_passwd, victim: str
) -> None:
    registry = Path(henv["SESSMUX_REGISTRY"])
    # Made by the victim's master, which may still be starting when sessmux -n returns.
    wait_until(registry.is_dir, what="the registry the victim's master makes")
    # Entries whose master is alive (a process of the attacker's), so that
    # sesswho shows them, with every kind of value where a time should be.
    pid = start_attacker_process(attacker)
    lines = []
    for i, value in enumerate(FORGED):
        entry = {"name": f"forged{i}", "pid": pid, "created": value, "state": "connected",
                 "remote": value, "changed": value}
        text = json.dumps(entry).replace("Infinity", "1e999") if i < 2 else json.dumps(entry)
        lines.append(f"{attacker.pw_uid}.forged{i}.{pid}\t{text}")
    script = ("import os, sys\nfor line in sys.stdin:\n    name, text = line.rstrip('\\n')"
              ".split('\\t')\n    open(os.path.join(sys.argv[1], name), 'w').write(text)\n")
    subprocess.run(as_user(attacker, "/usr/bin/python3", "-c", script, str(registry)),
                   input="\n".join(lines) + "\n", text=True, check=True, timeout=60)
    for argv in (["sesswho"], ["sesswho", "-l"], ["sesswhere"], ["sesswhere", "-l"]):
        result = run(henv, *argv)
        assert result.returncode == 0 and result.stderr == "", result.stderr
        shown = {ln.split()[0]: ln for ln in result.stdout.splitlines()}
        assert victim in shown
        assert set(shown) == {victim} | {f"forged{i}" for i in range(len(FORGED))}
        assert re.search(r"forged0  \?  ", shown["forged0"]), shown["forged0"]
    alive_and_attachable(henv, victim)


def start_attacker_process(attacker: pwd.struct_passwd) -> int:
    proc = subprocess.Popen(as_user(attacker, "sleep", "300"))
    wait_until(lambda: _uid_of(proc.pid) == attacker.pw_uid, what="the attacker's process")
    return proc.pid


def _uid_of(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def test_precreated_temporary_names_keep_nothing_out(
    arena: Path, attacker: pwd.struct_passwd
) -> None:
    # The victim an ordinary user (root may remove anybody's file in a sticky
    # directory, so only an ordinary user's entry could be kept out).
    registry = arena / "registry"
    registry.mkdir()
    registry.chmod(0o1777)  # as /tmp/sessmux-registry is
    user = ensure_user(VICTIM)
    with user_world(user, "sessmux-victim-") as (_, _, uenv):
        uenv["SESSMUX_REGISTRY"] = str(registry)
        last = int(Path("/proc/sys/kernel/ns_last_pid").read_text())
        pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
        ahead = [(last + i) % pid_max for i in range(1, 4000)]
        script = ("import os, sys\nfor pid in sys.stdin.read().split():\n    open(os.path.join("
                  "sys.argv[1], f'.{sys.argv[2]}.job.{pid}.tmp'), 'w').close()\n")
        subprocess.run(as_user(attacker, "/usr/bin/python3", "-c", script, str(registry),
                               str(user.pw_uid)), input=" ".join(map(str, ahead)), text=True,
                       check=True, timeout=60)
        made = run(uenv, *as_user(user, "sessmux", "-n", "job", "sleep", "300"))
        assert made.returncode == 0, made.stderr
        listed = run(uenv, *as_user(user, "sesslist")).stdout
        pid = int(re.search(r"session job pid (\d+)", listed).group(1))  # type: ignore[union-attr]
        assert pid in ahead  # the attack covered the master's pid
        who = run(uenv, "sesswho").stdout
        assert re.search(rf"^job +\w{{3}} [ \d]\d \d\d:\d\d  {VICTIM} +{pid}$", who, re.M), who


def test_10001_junk_files_hide_no_session(
    henv: dict[str, str], attacker: pwd.struct_passwd, victim: str
) -> None:
    registry = Path(henv["SESSMUX_REGISTRY"])
    # Names claiming the victim's uid, sorting before the victim's entry,
    # and names claiming the attacker's own.
    script = ("import os, sys\nfor i in range(10001):\n    for uid in sys.argv[2:]:\n"
              "        open(os.path.join(sys.argv[1], f'{uid}.a{i:05d}.1'), 'w').close()\n")
    subprocess.run(as_user(attacker, "/usr/bin/python3", "-c", script, str(registry),
                           str(os.getuid()), str(attacker.pw_uid)), check=True, timeout=120)
    result = run(henv, "sesswho")
    assert result.returncode == 0, result.stderr
    assert [ln.split()[0] for ln in result.stdout.splitlines()] == [victim]
    alive_and_attachable(henv, victim)


# -- names that look like options ---------------------------------------------


@pytest.mark.parametrize("argv", [
    ["sessmux", "-n", "--", "-rf", "sleep", "300"],
    ["sessmux", "-c", "--", "-rf"],
    ["sessmux", "-t", "--", "-rf"],
    ["sessmux", "-a", "--", "-rf"],
    ["sessmux", "-n", "-i", "NAME"],
    ["sessname", "-s", "-rf"],
    ["sessname", "-s", "-rf", "a long name"],
    ["sesskill", "-y", "-s", "-rf"],
    ["disconnect", "-s", "-rf"],
    ["reconnect", "-s", "-rf"],
    ["reconnect", "-s", "p0", "--", "-rf"],
    ["sessname"],
    ["sesskill", "-y"],
    ["disconnect"],
    ["reconnect"],
])
def test_names_that_look_like_options_are_refused(
    env: dict[str, str], sessdir: Path, argv: list[str]
) -> None:
    # -i NAME and the tools with no -s take the name from the environment.
    result = run(dict(env, NAME="-rf", PTY="-rf"), *argv)
    assert result.returncode == 1, result.stderr
    assert result.stderr == f"{argv[0]}: fatal: bad session name -rf: it looks like an option\n"
    assert not (sessdir / "-rf").exists()


def test_an_ordinary_session_dir_under_sticky_tmp_is_accepted(tmp_path: Path) -> None:
    # /tmp-like parents (sticky, root's) stay usable: the checks refuse only
    # what another user controls.
    top = Path(tempfile.mkdtemp(prefix="sessmux-sticky-"))
    try:
        top.chmod(0o1777)
        env = base_env(tmp_path, top / f"sessmux-{os.getuid()}")
        name = start_detached(env, "sleep", "300")
        assert re.match(rf"session {name} pid", run(env, "sesslist").stdout)
    finally:
        kill_sessions(top / f"sessmux-{os.getuid()}")
        shutil.rmtree(top, ignore_errors=True)


def test_fd_budget_follows_the_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
        open_now = len(os.listdir("/proc/self/fd"))
        assert channel.fd_budget() == 64 - open_now - channel.RESERVE
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
