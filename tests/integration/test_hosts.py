"""Many hosts: ``sesslist -H``, ``rezume --list`` and ``sessview --hosts`` over real ssh.

Three private sshd on 127.0.0.1 (tests/support/hosts_support.py), each a "host"
with its own session directory and sessions the test starts, named by
aliases in a test ssh_config; a fourth alias is a port that accepts and
never answers.  The hosts are started once for the module (sshd and its
keys take seconds); each test has its own local side (HOME, session
directory and so its own shared ssh connections), killed by pid after.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hosts_support import Hosts, hosts
from terminal import Terminal, kill_by_home, wait_until

SESSIONS = {"a": ("build", "web"), "b": ("build", "db"), "c": ("lab1",)}
TIMEOUT = 3  # seconds each host has to answer in these tests


@pytest.fixture(scope="module")
def fleet() -> Iterator[Hosts]:
    try:
        with hosts(("a", "b", "c"), dead=("dead",)) as h:
            for alias, names in SESSIONS.items():
                h.start(alias, *names)
            yield h
    except RuntimeError as e:
        pytest.skip(str(e))


@pytest.fixture
def local(fleet: Hosts) -> Iterator[dict[str, str]]:
    """The local side's environment: a home and session directory of this test's."""
    top = Path(tempfile.mkdtemp(prefix="t", dir=fleet.top))  # short: sockets go in s/.ssh
    env = dict(fleet.env, HOME=str(top), SESSMUX_DIR=str(top / "s"),
               SESSMUX_REGISTRY=str(top / "registry"))
    try:
        yield env
    finally:
        kill_by_home(top)


def run(env: dict[str, str], *argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), env=env, capture_output=True, text=True, timeout=timeout)


def listed(out: str) -> set[tuple[str, str]]:
    """(host, session) of every ``HOST: session NAME ...`` line."""
    found = set()
    for line in out.splitlines():
        m = re.fullmatch(r"(\S+): session (\S+) pid \d+ slave \d+ (dis)?connected.*", line)
        assert m, f"not a host's session line: {line!r}"
        found.add((m.group(1), m.group(2)))
    return found


EVERY = {(alias, name) for alias, names in SESSIONS.items() for name in names}


def test_sesslist_H_lists_every_hosts_sessions_after_its_name(local: dict[str, str]) -> None:
    done = run(local, "sesslist", "-H", "a", "-H", "b", "-H", "c")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert listed(done.stdout) == EVERY


def test_sesslist_json_is_one_document_of_this_hosts_sessions(fleet: Hosts) -> None:
    import json

    done = run(fleet.env, "ssh", "-F", str(fleet.config), "a", "sesslist --json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["version"] == 1 and isinstance(doc["now"], float)
    assert [s["name"] for s in doc["sessions"]] == sorted(SESSIONS["a"])
    assert all(s["state"] == "disconnected" and s["connected"] is False
               and isinstance(s["pid"], int) for s in doc["sessions"])


def test_a_dead_host_is_one_line_and_holds_up_no_other(local: dict[str, str]) -> None:
    t0 = time.monotonic()
    done = run(local, "sesslist", "-t", str(TIMEOUT), "-H", "a", "-H", "dead", "-H", "b",
               "-H", "c", "-H", "no-such-host.invalid")
    took = time.monotonic() - t0
    assert done.returncode == 2
    assert listed(done.stdout) == EVERY
    lines = done.stderr.splitlines()
    assert len(lines) == 2, done.stderr
    assert lines[0].startswith("sesslist: warning: dead: ")
    assert lines[1].startswith("sesslist: warning: no-such-host.invalid: ")
    # The liveness promise: the dead host costs its timeout, no more
    # (generous: ssh start-up on two shared cores).
    assert took < TIMEOUT + 10


def test_a_second_listing_logs_in_nowhere(fleet: Hosts, local: dict[str, str]) -> None:
    before = fleet.logins()
    first = run(local, "sesslist", "-H", "a", "-H", "b", "-H", "c")
    assert listed(first.stdout) == EVERY
    wait_until(lambda: fleet.logins() == before + 3, what="three logins in the sshd logs")
    second = run(local, "sesslist", "-H", "a", "-H", "b", "-H", "c")
    assert listed(second.stdout) == EVERY
    third = run(local, "sesslist", "-H", "c")
    assert listed(third.stdout) == {("c", "lab1")}
    time.sleep(0.5)  # a login would be logged by now; none may come
    assert fleet.logins() == before + 3
    control = Path(local["SESSMUX_DIR"]) / ".ssh"
    assert control.stat().st_mode & 0o777 == 0o700


def test_A_lists_the_hosts_files_hosts_with_their_options(local: dict[str, str]) -> None:
    config = Path(local["HOME"]) / ".config" / "sessmux"
    config.mkdir(parents=True)
    (config / "hosts").write_text("# my machines\na\nb -o ConnectTimeout=4   # the db\n\nc\n")
    done = run(local, "sesslist", "-A")
    assert done.returncode == 0, done.stderr
    assert listed(done.stdout) == EVERY
    (config / "hosts").write_text("a\n-oProxyCommand=touch${IFS}/tmp/x b\n")
    bad = run(local, "sesslist", "-A")
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr == "sesslist: fatal: line 2: bad host -oProxyCommand=touch${IFS}/tmp/x\n"


def test_rezume_list_shows_a_hosts_sessions(local: dict[str, str]) -> None:
    done = run(local, "rezume", "--list", "b")
    assert done.returncode == 0, done.stderr
    assert listed(done.stdout) == {("b", "build"), ("b", "db")}
    gone = run(local, "rezume", "--list", "-o", "ConnectTimeout=2", "dead")
    assert gone.returncode == 2 and gone.stdout == ""
    assert gone.stderr.startswith("rezume: dead: ")


# -- what a host says is hostile until checked --------------------------------------

HOSTILE = {
    "not-json": "printf '\\033]0;owned\\007{\"version\":1,'",
    "huge": "head -c 2000000 /dev/zero | tr '\\0' ' '; echo '{}'",
    "escapes": (
        "printf '%s' '{\"version\":1,\"host\":\"h\\u001b[2J\",\"now\":100,\"sessions\":["
        "{\"name\":\"ok1\",\"pid\":5,\"slave\":6,\"connected\":false,"
        "\"longname\":\"red\\u001b[31m\\u0007bell\",\"disconnected_at\":40},"
        "{\"name\":\"bad\\u001b[2Jname\",\"pid\":5,\"slave\":6,\"connected\":false},"
        "{\"name\":\"ok2\",\"pid\":true,\"slave\":6,\"connected\":false},"
        "{\"name\":\"../x\",\"pid\":1,\"slave\":6,\"connected\":false},"
        "[1,2], 7]}'"),
    "stderr": "printf 'oops\\033[2J\\033]52;c;aGk=\\007\\n' >&2; exit 3",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_malformed_hostile_and_huge_listings_never_reach_the_terminal_raw(
        fleet: Hosts, local: dict[str, str], kind: str) -> None:
    fake = fleet.top / "fake" / kind
    fake.mkdir(parents=True)
    (fake / "sesslist").write_text(f"#!/bin/sh\n{HOSTILE[kind]}\n")
    (fake / "sesslist").chmod(0o755)
    subprocess.run(["chmod", "-R", "a+rX", str(fleet.top / "fake")], check=True)
    env = dict(local, SESSMUX_REMOTE_BIN=str(fake))
    done = run(env, "sesslist", "-H", "a", "-H", "b")
    for text in (done.stdout, done.stderr):
        assert not any(ord(c) < 32 and c != "\n" for c in text), repr(text)
    warnings = done.stderr.splitlines()
    if kind == "escapes":
        assert done.returncode == 0
        assert done.stdout.splitlines() == [
            f"{h}: session ok1 pid 5 slave 6 disconnected (orphaned 1m00s): red^[[31m^Gbell"
            for h in ("a", "b")]
        assert warnings == [f"sesslist: warning: {h}: 5 malformed sessions skipped"
                            for h in ("a", "b")]
        return
    assert done.returncode == 2 and done.stdout == ""
    why = {"not-json": "the listing is not JSON; skipped",
           "huge": "listing larger than 1048576 bytes; skipped",
           "stderr": "sesslist failed (exit 3): oops^[[2J^[]52;c;aGk=^G"}[kind]
    assert warnings == [f"sesslist: warning: {h}: {why}" for h in ("a", "b")]


# -- sessview --hosts ----------------------------------------------------------------


def test_sessview_shows_every_host_and_enter_attaches_through_rezume(
        fleet: Hosts, local: dict[str, str]) -> None:
    # What it prints is not in its command line (which the list shows).
    fleet.start("c", "shell", program="sh -c 'echo remote-$((6*7)); exec sh'")
    term = Terminal(local, ["sessview", "-H", "a", "-H", "b", "-H", "c"], rows=30, cols=120)
    try:
        for alias in ("a", "b", "c"):
            term.expect(rf"── {alias} ")
        term.expect("lab1")
        term.expect("shell")
        # Down to c's "shell" (the last entry), then Enter.
        for _ in range(20):
            term.send("\x1b[B")
        term.expect(r"c: shell")
        # Its preview is a snapshot of what it wrote, from the host's journal.
        term.expect("remote-42")
        term.mark()
        term.send("\r")
        term.expect("remote-42")
        term.send("echo in-''the-host-$((6*7))\r")
        term.expect("in-the-host-42")
        term.send("\r~.")  # rezume's escape: leave, the session goes on
        term.expect("back from c: shell")
        wait_until(lambda: "shell" in run(local, "sesslist", "-H", "c").stdout,
                   what="the session still on the host")
    finally:
        term.close()


def test_sessview_shows_what_happened_in_a_remote_session(
        fleet: Hosts, local: dict[str, str]) -> None:
    # A remote program that waits for input: the host's master sees it from
    # the kernel, its listing says so, and the view marks it as needing the user.
    fleet.start("b", "asks", program="sh -c 'printf ready; read answer'")
    over_ssh = ("ssh", "-F", str(fleet.config), "b", "sesslist --json")
    wait_until(lambda: '"waiting":' in run(fleet.env, *over_ssh).stdout,
               what="the host's listing says asks waits")
    long = run(local, "sesslist", "-l", "-H", "b")
    assert long.returncode == 0, long.stderr
    assert re.search(r"^b: ! asks disconnected \S+; waiting for input since \d\d:\d\d; ",
                     long.stdout, re.M), long.stdout
    term = Terminal(local, ["sessview", "-H", "b"], rows=30, cols=120)
    try:
        # The mark of a session that needs its user, then its name (in bold).
        term.expect(r"! (\x1b\[[0-9;]*m)*asks  disconnected")
        term.expect(r"waiting for input since \d\d:\d\d")
    finally:
        term.close()
