"""The journal's records, its plain text and asciicast timing (pure), and its
files: written by the master's writer, read back by offset (no pty)."""

from __future__ import annotations

import doctest
import json
import os
import stat
from pathlib import Path

import pytest

from sessmux.core import journal_format as fmt
from sessmux.core.errors import UnsafeDirectory
from sessmux.master.journal import Writer
from sessmux.system import journal


def test_module_header_examples() -> None:
    result = doctest.testmod(fmt)
    assert result.attempted and not result.failed


def test_records_split_whole_ones_only() -> None:
    data = b"".join(fmt.encode(fmt.OUTPUT, i * 3, 1.0 + i, b"abc") for i in range(4))
    for cut in range(len(data) + 1):
        records, used = fmt.split(data[:cut])
        assert used == len(records) * (fmt.HEADER.size + 3)
        assert [r[1] for r in records] == [i * 3 for i in range(len(records))]


def plain(*chunks: bytes) -> list[bytes]:
    text = fmt.PlainText()
    out = []
    for chunk in chunks:
        out += text.feed(chunk)
    return out + text.end()


def test_plain_text_applies_overwrites_and_drops_sequences() -> None:
    assert plain(b"12345\rab\n") == [b"ab345"]
    assert plain(b"abc\b\bX\n") == [b"aXc"]
    assert plain(b"abcdef\r\x1b[Kxy\n") == [b"xy"]
    assert plain(b"\x1b]0;title\x07a\x1b]2;t\x1b\\b\n") == [b"ab"]
    assert plain(b"\x1b[38;5;200mred\x1b[m \x1b(Bok\x1b7\x1b8\n") == [b"red ok"]
    assert plain(b"a\tb\n") == [b"a       b"]
    assert plain(b"caf\xc3", b"\xa9\x1b", b"[1m!\n") == ["café!".encode()]
    assert plain(b"one\r\ntwo\r\n", b"partial") == [b"one", b"two", b"partial"]


def test_timeline_is_monotonic_and_caps_pauses() -> None:
    t = fmt.Timeline(50.0)
    assert [t.at(w) for w in (50.0, 49.0, 53.0)] == [0.0, 0.0, 3.0]
    assert fmt.asciicast_header(80, 24, 50.5, 1.5) == {
        "version": 2, "width": 80, "height": 24, "timestamp": 50, "idle_time_limit": 1.5}


def private_dir(tmp_path: Path) -> str:
    d = tmp_path / "sessions"
    d.mkdir(mode=0o700)
    return str(d)


def test_written_output_reads_back_by_any_offset(tmp_path: Path) -> None:
    sessdir = private_dir(tmp_path)
    logged: list[str] = []
    w = Writer(sessdir, "s1", 1 << 20, logged.append)
    w.event("size", {"rows": 24, "cols": 80}, 0, 10.0)
    data = bytes(range(256)) * 40
    at = 0
    for i, size in enumerate((1, 100, 4096, 5000, 239)):
        w.output(at, 11.0 + i, data[at : at + size])
        at += size
    assert w.read(0, 1 << 20) == data[:at]
    assert w.read(4000, 17) == data[4000:4017]
    assert w.read(at, 10) == b""
    fd = journal.open_dir(sessdir, "s1")
    try:
        kinds = [(k, off, json.loads(d) if k == fmt.EVENT else len(d))
                 for k, off, _, d in journal.Reader(fd).records()]
    finally:
        os.close(fd)
    assert kinds[0] == (fmt.EVENT, 0, {"kind": "size", "rows": 24, "cols": 80})
    assert [k[2] for k in kinds[1:]] == [1, 100, 4096, 5000, 239]
    d = Path(sessdir) / ".journal" / "s1"
    assert stat.S_IMODE(d.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in d.iterdir())
    assert not logged
    w.close()


def test_the_oldest_segments_go_beyond_the_bound(tmp_path: Path) -> None:
    sessdir = private_dir(tmp_path)
    bound = 1 << 19
    w = Writer(sessdir, "s2", bound, lambda text: None)
    chunk = b"y" * 4000
    at = 0
    for _ in range(1000):  # 4 MB into 512 KiB
        w.output(at, 1.0, chunk)
        at += len(chunk)
    files = list((Path(sessdir) / ".journal" / "s2").iterdir())
    assert sum(f.stat().st_size for f in files) <= bound
    start = w.start()
    assert start is not None and 0 < start < at - bound // 2
    assert w.read(0, 10) is None  # gone
    assert w.read(start, at) == b"y" * (at - start)
    w.close()


def test_a_record_cut_short_ends_the_journal_there(tmp_path: Path) -> None:
    sessdir = private_dir(tmp_path)
    w = Writer(sessdir, "s3", 1 << 20, lambda text: None)
    w.output(0, 1.0, b"whole")
    w.output(5, 2.0, b"cut-short")
    w.close()
    seg = next((Path(sessdir) / ".journal" / "s3").iterdir())
    seg.write_bytes(seg.read_bytes()[:-4])  # a master killed mid-write
    fd = journal.open_dir(sessdir, "s3")
    try:
        reader = journal.Reader(fd)
        assert reader.end() == 5
        assert reader.read(0, 100) == b"whole"
    finally:
        os.close(fd)


def test_a_journal_that_cannot_be_written_turns_off_with_one_line(tmp_path: Path) -> None:
    sessdir = private_dir(tmp_path)
    logged: list[str] = []
    w = Writer(sessdir, "s4", 1 << 20, logged.append)
    w.output(0, 1.0, b"a")
    os.close(w.fd)
    w.fd = os.open("/dev/full", os.O_WRONLY)  # the disk is full
    for i in range(5):
        w.output(1 + i, 1.0, b"b")
        w.flush()  # the loop writes what it gathered whenever it would wait
    assert len(logged) == 1 and "journal off" in logged[0]
    assert w.read(0, 10) is None and not w.on
    w.close()


def test_a_journal_directory_that_is_a_link_or_open_to_others_is_refused(
        tmp_path: Path) -> None:
    sessdir = private_dir(tmp_path)
    (Path(sessdir) / ".journal").mkdir(mode=0o700)
    os.symlink(tmp_path, Path(sessdir) / ".journal" / "evil")
    with pytest.raises(UnsafeDirectory):
        journal.open_dir(sessdir, "evil", create=True)
    open_to_all = Path(sessdir) / ".journal" / "open"
    open_to_all.mkdir()
    open_to_all.chmod(0o755)
    with pytest.raises(UnsafeDirectory):
        journal.open_dir(sessdir, "open")
