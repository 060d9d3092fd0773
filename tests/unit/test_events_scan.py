"""The output scanner: bells, OSC 133 prompt marks and notifications, in any pieces."""

from __future__ import annotations

import pytest

from sessmux.core import happened
from sessmux.core.events_scan import ECHO_MAX, STRING_MAX, Scanner

PS1 = b"\x1b]133;D;1\x07\x1b]133;A\x07$ \x1b]133;B\x07"
COMMAND = b"false\r\n\x1b]133;C\x07"
STREAM = (b"plain text\r\n\x07" + PS1 + COMMAND + b"\x1b]133;D;1\x1b\\"
          + b"\x1b]9;build done\x07\x1b]777;notify;make;all good\x1b\\"
          + b"\x1bP1$r0m\x07still dcs\x1b\\after\x07")
EXPECTED = [("bell", ""), ("done", "1"), ("prompt", ""), ("start", "false"), ("done", "1"),
            ("notify", "build done"), ("notify", "make: all good"), ("bell", "")]


def feed_all(pieces: list[bytes]) -> list[tuple[str, str]]:
    scanner = Scanner()
    found: list[tuple[str, str]] = []
    for piece in pieces:
        found += scanner.feed(piece)
    return found


def test_finds_every_kind_in_one_chunk() -> None:
    assert feed_all([STREAM]) == EXPECTED


@pytest.mark.parametrize("at", range(1, len(STREAM)))
def test_a_chunk_boundary_anywhere_changes_nothing(at: int) -> None:
    assert feed_all([STREAM[:at], STREAM[at:]]) == EXPECTED


def test_byte_by_byte() -> None:
    assert feed_all([bytes([b]) for b in STREAM]) == EXPECTED


def test_bel_ending_a_string_is_not_a_bell() -> None:
    assert feed_all([b"\x1b]0;title\x07\x1b]2;t\x07"]) == []
    assert feed_all([b"\x1bPq#0\x07\x1b\\"]) == []
    # An APC cut after its ESC is followed as a string; whole in a chunk it is not looked for.
    assert feed_all([b"\x1b", b"_apc\x07\x1b\\"]) == []


def test_can_and_sub_cut_a_string_and_esc_starts_a_new_sequence() -> None:
    assert feed_all([b"\x1b]9;half\x18\x07"]) == [("bell", "")]
    assert feed_all([b"\x1b]9;half\x1b]9;whole\x07"]) == [("notify", "whole")]


def test_ignores_progress_reports_and_unknown_marks() -> None:
    assert feed_all([b"\x1b]9;4;1;50\x07\x1b]133;Z\x07\x1b]777;other;x\x07"]) == []


def test_the_command_from_the_marks_cmdline_wins_and_edits_apply() -> None:
    assert feed_all([b"\x1b]133;B\x07mkea\x08\x08\x08ake\x1b[K x\r\n\x1b]133;C\x07"]) == [
        ("start", "make x")]
    assert feed_all([b"\x1b]133;B\x07ls\r\n\x1b]133;C;cmdline=make all\x07"]) == [
        ("start", "make all")]


def test_hostile_output_cannot_grow_the_state() -> None:
    scanner = Scanner()
    scanner.feed(b"\x1b]9;" + b"x" * (10 * STRING_MAX))
    assert len(scanner.osc) <= STRING_MAX
    [(kind, text)] = scanner.feed(b"\x07")
    assert kind == "notify" and len(text) < STRING_MAX
    scanner.feed(b"\x1b]133;B\x07" + b"y" * (10 * ECHO_MAX))
    assert scanner.echo is not None and len(scanner.echo) <= ECHO_MAX


def test_notifications_lose_their_control_characters() -> None:
    assert feed_all([b"\x1b]9;a\x9bb\xc2\x9bc\x7fd\x07"]) == [("notify", "a\ufffdbcd")]


def test_phrases() -> None:
    command = {"kind": "command", "at": 10.0, "command": "false", "status": 1, "duration": 0.5}
    assert happened.event_phrase(command, 70.0) == \
        "false finished 1 minute ago with status 1 after 0.50 s"
    assert happened.attention({"exited": 0})
    assert not happened.attention({"connected": True, "events": [{"kind": "bell", "at": 1.0}]})


@pytest.mark.parametrize("name", ["sessmux.core.events_scan", "sessmux.core.happened"])
def test_module_header_examples(name: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted and not result.failed
