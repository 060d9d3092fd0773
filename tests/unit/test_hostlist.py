"""The hosts file and ``sesslist --json``, written and read back (pure)."""

from __future__ import annotations

import doctest

import pytest

from sessmux.core import hostlist
from sessmux.core.errors import BadHosts, BadListing
from sessmux.core.hostlist import parse_hosts, parse_listing


def test_doctests() -> None:
    result = doctest.testmod(hostlist)
    assert result.attempted and not result.failed


def test_hosts_file_lines_keep_their_ssh_options() -> None:
    hosts = parse_hosts("a\n  b -J jump -p2222 -4 -o 'X'  # c\n#all\n\nme@c --bin /opt/bin\n")
    assert [(h.dest, h.options, h.bin) for h in hosts] == [
        ("a", [], ""), ("b", ["-J", "jump", "-p2222", "-4", "-o", "'X'"], ""),
        ("me@c", [], "/opt/bin")]


@pytest.mark.parametrize("line", ["-oProxyCommand=x", "a -z", "a --bin", "a\x1b[2J", "a -p"])
def test_a_hosts_line_ssh_could_misread_is_refused(line: str) -> None:
    with pytest.raises(BadHosts) as e:
        parse_hosts(f"ok\n{line}\n")
    assert e.value.args[0].startswith("line 2: ")
    assert "\x1b" not in e.value.args[0]


@pytest.mark.parametrize("data, why", [
    (b"", "not JSON"), (b"\xff\xfe", "not JSON"), (b"[" * 100000, "not JSON"),
    (b'{"version": 2, "sessions": []}', "not a version 1"),
    (b'{"version": 1, "sessions": {}}', "no list of sessions"),
    (b" " * (hostlist.MAX_LISTING + 1), "larger than"),
    (b'{"version": 1, "sessions": []} {}', "not JSON"),
    (b'{"version": 1, "sessions": [], "now": NaN}', "not JSON"),
])
def test_a_listing_that_is_not_one_is_refused(data: bytes, why: str) -> None:
    with pytest.raises(BadListing) as e:
        parse_listing(data)
    assert why in str(e.value)


def test_sessions_with_bad_fields_are_dropped_and_counted() -> None:
    good = {"name": "ok", "pid": 1, "slave": 2, "connected": True}
    items = [good, {**good, "name": "../up"}, {**good, "pid": "1"}, {**good, "connected": 1},
             {**good, "pid": True}, {**good, "activity": 1e300}, {**good, "exited": 1.5},
             {"name": "nopid", "slave": 2, "connected": False}, "text", None,
             {**good, "name": "esc", "longname": "\x1b]52;c;x\x07" + "y" * 500,
              "reco": "\x9b2J"}]
    listing = parse_listing(hostlist.jsonframe.dumps(
        {"version": 1, "host": "h\x1b", "sessions": items}).encode())
    assert [s["name"] for s in listing.sessions] == ["ok", "esc"]
    assert listing.dropped == len(items) - 2
    assert listing.host == "h^["
    esc = listing.sessions[1]
    assert esc["longname"] == "^[]52;c;x^G" + "y" * 89 and esc["reco"] == "M-^[2J"
    assert listing.now is None


def test_the_listing_says_each_sessions_state() -> None:
    doc = hostlist.dumps_listing("h", 5.0, [
        {"name": "b", "pid": 1, "slave": 2, "connected": False, "exited": 3, "t": "status"},
        {"name": "a", "pid": 1, "slave": 2, "connected": True, "events": [{"k": 1}]}])
    listing = parse_listing(doc.encode())
    assert [(s["name"], s["state"]) for s in listing.sessions] == [
        ("a", "connected"), ("b", "exited")]
    assert '"t"' not in doc and '"events":[{"k":1}]' in doc


def test_what_happened_in_a_remote_session_is_read_field_by_field() -> None:
    good = {"name": "p3", "pid": 7, "slave": 8, "connected": False, "waiting": 100.0,
            "unseen": 12, "running": {"command": "make\x1b]0;x\x07", "since": 90.0},
            "events": [{"kind": "command", "at": 95.0, "status": 2, "duration": 1.5,
                        "command": "false\x1b[2J"},
                       {"kind": "bell", "at": 96.0},
                       {"kind": "notify", "at": 97.0, "text": "done\x1b[31m" + "x" * 5000}]}
    doc = hostlist.dumps_listing("h", 100.0, [good])
    (got,) = parse_listing(doc.encode()).sessions
    assert got["waiting"] == 100.0 and got["unseen"] == 12
    assert got["running"] == {"command": "make^[]0;x^G", "since": 90.0}
    kinds = [ev["kind"] for ev in got["events"]]  # type: ignore[union-attr, index]
    assert kinds == ["command", "bell", "notify"]
    events = got["events"]
    assert isinstance(events, list)
    assert events[0]["command"] == "false^[[2J"
    assert len(events[2]["text"]) <= hostlist.LONG_NAME_MAX and "\x1b" not in events[2]["text"]


@pytest.mark.parametrize("bad", [
    {"waiting": "soon"}, {"waiting": True}, {"unseen": 1.5}, {"running": {"since": "x"}},
    {"running": "make"}, {"events": "bell"},
    {"events": [{"kind": "bell"}]},  # no time
    {"events": [{"kind": "reboot", "at": 1.0}]},  # not a kind sessmux has
    {"events": [{"kind": "exit", "at": 1.0, "status": "2"}]},
    {"events": [{"kind": "bell", "at": 1e300}]},
])
def test_a_bad_happening_is_left_out_and_the_session_kept(bad: dict[str, object]) -> None:
    entry = {"name": "p3", "pid": 7, "slave": 8, "connected": False, **bad}
    doc = hostlist.jsonframe.dumps({"version": 1, "host": "h", "now": 1.0, "sessions": [entry]})
    listing = parse_listing(doc.encode())
    (got,) = listing.sessions
    assert listing.dropped == 0
    assert got.get("waiting") is None and got.get("unseen") is None
    assert got.get("running") is None and not got.get("events")


def test_a_listing_carries_at_most_the_newest_events() -> None:
    events = [{"kind": "bell", "at": float(i)} for i in range(100)]
    doc = hostlist.dumps_listing("h", 1.0, [{"name": "p3", "pid": 7, "slave": 8,
                                             "connected": False, "events": events}])
    (got,) = parse_listing(doc.encode()).sessions
    assert got["events"] == events[-hostlist.MAX_EVENTS:]
