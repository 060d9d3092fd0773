"""sesswho and sesswhere: the system-wide registry, its owners and its switches.

Real masters write the registry; each test has its own HOME, session
directory, registry directory and settings file.  The two-user test
creates an unprivileged user (as root; skipped otherwise).
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from terminal import ROOT, base_env, kill_sessions, start_detached, wait_until
from users import as_user, ensure_user

WHO = re.compile(r"(\S+) +(\w{3} [ \d]\d \d\d:\d\d)  (\S+) {2,}(\d+|exit)")


@pytest.fixture
def registry() -> Iterator[Path]:
    """A registry directory every user can reach (tmp_path is private to root)."""
    top = Path(tempfile.mkdtemp(prefix="sessmux-reg-"))
    top.chmod(0o755)
    yield top / "registry"
    shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def wenv(home: Path, sessdir: Path, registry: Path, tmp_path: Path) -> dict[str, str]:
    return base_env(home, sessdir, {"SESSMUX_REGISTRY": str(registry),
                                    "SESSMUX_CONF": str(tmp_path / "sessmux.conf")})


def run(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), env=env, capture_output=True, text=True, timeout=30)


def lines(env: dict[str, str], *argv: str) -> dict[str, str]:
    out = run(env, *argv)
    assert out.returncode == 0, out.stderr
    return {line.split()[0]: line for line in out.stdout.splitlines()}


def master_pid(env: dict[str, str], name: str) -> int:
    out = run(env, "sesslist").stdout
    m = re.search(rf"session {re.escape(name)} pid (\d+)", out)
    assert m, out
    return int(m.group(1))


def test_sesswho_and_sesswhere_pty40_formats(wenv: dict[str, str], registry: Path) -> None:
    first = start_detached(wenv, "sleep", "1000")
    second = start_detached(wenv, "sleep", "1001")
    assert stat.S_IMODE(registry.stat().st_mode) == 0o1777
    who = run(wenv, "sesswho").stdout.splitlines()
    assert [line.split()[0] for line in who] == [first, second]  # oldest first
    for line, name in zip(who, (first, second), strict=True):
        m = WHO.fullmatch(line)
        assert m, line
        assert m.group(1) == name and m.group(3) == pwd.getpwuid(os.getuid()).pw_name
        assert int(m.group(4)) == master_pid(wenv, name)
        # pty 4.0: "%c%c  %12.12s  %-16.16s  %d"
        assert line == f"{name}  {m.group(2)}  {m.group(3):<16}  {m.group(4)}"
    assert [line.split()[0] for line in run(wenv, "sesswho", "-r").stdout.splitlines()] == [
        second, first]
    where = lines(wenv, "sesswhere")
    assert re.fullmatch(rf"{first}  \w{{3}} [ \d]\d \d\d:\d\d  disconnect", where[first])


def test_ended_sessions_only_with_l(wenv: dict[str, str]) -> None:
    killed = start_detached(wenv, "sleep", "1000")
    crashed = start_detached(wenv, "sleep", "1001")
    assert run(wenv, "sesskill", "-y", "-s", killed).returncode == 0
    os.kill(master_pid(wenv, crashed), signal.SIGKILL)  # no chance to say it ended
    wait_until(lambda: killed not in lines(wenv, "sesswho")
               and crashed not in lines(wenv, "sesswho"), what="ended sessions gone")
    who_l = lines(wenv, "sesswho", "-l")
    for name in (killed, crashed):
        assert who_l[name].endswith("  exit"), who_l[name]
        assert lines(wenv, "sesswhere", "-l")[name].endswith("  cleanup")
    assert killed not in lines(wenv, "sesswhere")


def test_remote_and_long_name_shown_visibly(wenv: dict[str, str]) -> None:
    long_name = "build-with-a-rather-long-name.2024"
    out = run(wenv, "sessmux", "-n", long_name, "sleep", "1000")
    assert out.returncode == 0, out.stderr
    short = start_detached(wenv, "sleep", "1001")
    # The remote end is the connection's own word: escape sequences in it
    # (ESC, a C1 CSI) must reach the screen as text, never as commands.
    remote_env = dict(wenv, SSH_CONNECTION="10.0.0.1\x1b]0;owned\x07\x9b2J 4242 10.0.0.2 22")
    feeder = subprocess.Popen(["sess", "-d", "sleep", "1002"], env=remote_env,
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: any(" connect " in v for v in lines(wenv, "sesswhere").values()),
                   what="a connected session")
        raw = run(wenv, "sesswhere").stdout
        assert "\x1b" not in raw and "\x07" not in raw and "\x9b" not in raw
        assert "connect 10.0.0.1^[]0;owned^GM-^[2J port 4242" in raw
        who = run(wenv, "sesswho").stdout.splitlines()
        width = len(long_name)
        by_name = {line.split()[0]: line for line in who}
        assert by_name[long_name].startswith(long_name + "  ")
        # Columns stay aligned: the short name is padded to the long one.
        assert by_name[short].startswith(short.ljust(width) + "  ")
        assert len({line.index(":") for line in who}) == 1
    finally:
        feeder.kill()
        feeder.wait()


def forge(registry: Path, base: str, **fields: object) -> Path:
    data = {"name": base.split(".")[1], "pid": int(base.rsplit(".", 1)[1]),
            "created": time.time(), "state": "connected", "remote": "1.2.3.4 port 1",
            "changed": time.time()}
    data.update(fields)
    path = registry / base
    path.write_text(json.dumps(data))
    return path


def test_forged_entries_not_believed(wenv: dict[str, str], registry: Path) -> None:
    real = start_detached(wenv, "sleep", "1000")  # makes the registry
    me = os.getuid()
    other = 1 if me == 0 else 0  # daemon when we are root, else root
    alive = os.getpid()  # a live process of ours, started before these entries
    # Named for another user but owned by us: not listed at all.
    forge(registry, f"{other}.zz.{alive}")
    # Ours, claiming another owner in its contents: the kernel's owner is shown.
    forge(registry, f"{me}.zy.{alive}", owner="bernstei", user="bernstei", uid=other)
    # Contents that disagree with the file name: not listed.
    forge(registry, f"{me}.zx.{alive}", name="p0")
    # A master pid that is somebody else's (pid 1) or dead: not running.
    if me != 0:
        forge(registry, f"{me}.zw.1")
    dead = subprocess.Popen(["true"])
    dead.wait()
    forge(registry, f"{me}.zv.{dead.pid}")
    who = lines(wenv, "sesswho")
    assert set(who) == {real, "zy"}, who
    assert who["zy"].split()[4] == pwd.getpwuid(me).pw_name
    assert "bernstei" not in run(wenv, "sesswho", "-l").stdout
    who_l = lines(wenv, "sesswho", "-l")
    assert "zz" not in who_l and "zx" not in who_l
    assert who_l["zv"].endswith("exit")
    if me != 0:
        assert who_l["zw"].endswith("exit")
    if me == 0:
        # As root we can also make the reverse forgery: a file named for
        # us that belongs to another user.
        path = forge(registry, f"{me}.zu.{alive}")
        os.chown(path, 1, 1)
        assert "zu" not in lines(wenv, "sesswho", "-l")


def entries(registry: Path, pattern: str) -> list[str]:
    """The registry's entries, not a master's file half-written (".NAME.tmp", renamed away)."""
    found = []
    for path in registry.glob(pattern):
        if not path.name.startswith("."):
            try:
                found.append(path.read_text())
            except FileNotFoundError:  # replaced meanwhile
                pass
    return found


def test_administrator_switches(wenv: dict[str, str], tmp_path: Path, registry: Path) -> None:
    conf = tmp_path / "sessmux.conf"
    name = start_detached(wenv, "sleep", "1000")
    conf.write_text("# sessions are private here\nwho = off\n")
    out = run(wenv, "sesswho")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr == f"sesswho: fatal: disabled by the administrator ({conf})\n"
    assert name in lines(wenv, "sesswhere")
    conf.write_text("where = off\n")
    out = run(wenv, "sesswhere", "-l")
    assert out.returncode == 2
    assert out.stderr == f"sesswhere: fatal: disabled by the administrator ({conf})\n"
    assert name in lines(wenv, "sesswho")
    # where = off: new masters do not record where connections come from.
    remote_env = dict(wenv, SSH_CONNECTION="10.9.8.7 4242 10.0.0.2 22")
    feeder = subprocess.Popen(["sess", "-d", "-v", "sleep", "1001"], env=remote_env,
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert feeder.stderr is not None
        quiet = re.search(r"using session (\S+)", feeder.stderr.readline())
        assert quiet
        wait_until(lambda: any(
            json.loads(text).get("state") == "connected"
            for text in entries(registry, f"*.{quiet.group(1)}.*")), what="connected entry")
        assert "10.9.8.7" not in "".join(entries(registry, "*"))
    finally:
        feeder.kill()
        feeder.wait()
    # registry = off: new masters write nothing.
    conf.write_text("registry = off\n")
    hidden = start_detached(wenv, "sleep", "1002")
    assert hidden in run(wenv, "sesslist").stdout
    assert not list(registry.glob(f"*.{hidden}.*"))
    assert hidden not in lines(wenv, "sesswho")


# -- two users -----------------------------------------------------------------

USER = "sessmux-test"


@pytest.fixture
def other_user() -> pwd.struct_passwd:
    if os.getuid() != 0:
        pytest.skip("a second user's sessions need root to create that user")
    return ensure_user(USER)


def master_pid_as(entry: pwd.struct_passwd, env: dict[str, str], name: str) -> int:
    out = subprocess.run(as_user(entry, "sesslist"), env=env, capture_output=True, text=True,
                         timeout=30).stdout
    m = re.search(rf"session {re.escape(name)} pid (\d+)", out)
    assert m, out
    return int(m.group(1))


def test_two_users_sessions_with_kernel_owners(
    wenv: dict[str, str], registry: Path, other_user: pwd.struct_passwd
) -> None:
    top = registry.parent
    for part in ("sessmux", "bin"):
        shutil.copytree(ROOT / part, top / part, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(["chmod", "-R", "a+rX", str(top)], check=True)
    home = top / "home"
    home.mkdir()
    os.chown(home, other_user.pw_uid, other_user.pw_gid)
    theirs = {"PATH": f"{top / 'bin'}:/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(home),
              "SESSMUX_PYTHON": sys.executable, "SESSMUX_REGISTRY": str(registry),
              "SESSMUX_CONF": wenv["SESSMUX_CONF"], "LANG": "C.UTF-8"}
    probe = subprocess.run(as_user(other_user, sys.executable, "-c", "import psutil"),
                           env=theirs, capture_output=True)
    if probe.returncode:
        pytest.skip("the test user cannot run this interpreter")
    mine = start_detached(wenv, "sleep", "1000")
    try:
        out = subprocess.run(as_user(other_user, "sess", "-d", "-v", "sleep", "1001"),
                             env=theirs, stdin=subprocess.DEVNULL, capture_output=True,
                             text=True, timeout=30)
        m = re.search(r"using session (\S+)", out.stderr)
        assert m, out.stderr
        their_name = m.group(1)
        who = run(wenv, "sesswho").stdout.splitlines()
        owners = {WHO.fullmatch(line).group(3) for line in who}  # type: ignore[union-attr]
        assert owners == {"root", USER}, who
        for line in who:
            name, owner, pid = line.split()[0], line.split()[4], int(line.split()[5])
            assert psutil.Process(pid).username() == owner
            assert name in (mine, their_name)
        # The other user sees the same list (sesswho is for everyone).
        theirs_who = subprocess.run(as_user(other_user, "sesswho"), env=theirs,
                                    capture_output=True, text=True, timeout=30)
        assert theirs_who.stdout.splitlines() == who, theirs_who.stderr
        # ... and cannot forge an entry in root's name: a consistent one,
        # copied into the registry, is still theirs as far as the kernel knows.
        their_pid = master_pid_as(other_user, theirs, their_name)
        claim = top / "claim"
        claim.write_text(json.dumps({"name": "zq", "pid": their_pid, "created": time.time(),
                                     "state": "connected", "remote": "",
                                     "changed": time.time()}))
        claim.chmod(0o644)
        copied = subprocess.run(as_user(other_user, "cp", str(claim),
                                        str(registry / f"0.zq.{their_pid}")),
                                capture_output=True, text=True)
        assert copied.returncode == 0, copied.stderr
        assert (registry / f"0.zq.{their_pid}").stat().st_uid == other_user.pw_uid
        assert "zq" not in lines(wenv, "sesswho", "-l")
    finally:
        for proc in psutil.process_iter(["pid", "uids", "environ"]):
            try:
                if (proc.info["uids"] and proc.info["uids"].real == other_user.pw_uid
                        and (proc.info["environ"] or {}).get("SESSMUX_REGISTRY") == str(registry)):
                    os.kill(proc.info["pid"], signal.SIGKILL)
            except (OSError, psutil.Error):
                pass
        kill_sessions(Path(wenv["SESSMUX_DIR"]))


def test_symlinked_registry_is_not_used(wenv: dict[str, str], registry: Path) -> None:
    elsewhere = registry.parent / "elsewhere"
    elsewhere.mkdir(mode=0o1777)
    registry.symlink_to(elsewhere)
    name = start_detached(wenv, "sleep", "1000")
    assert name in run(wenv, "sesslist").stdout  # the session itself is unharmed
    assert list(elsewhere.iterdir()) == []  # ... but wrote nothing through the link
    out = run(wenv, "sesswho")
    assert out.returncode == 2
    assert out.stderr.startswith("sesswho: fatal: cannot read the session registry")
