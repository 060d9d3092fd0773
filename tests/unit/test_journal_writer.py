"""The master's journal writer gathers records and writes them together."""

from __future__ import annotations

import os
from pathlib import Path

from sessmux.master import journal
from sessmux.system import journal as disk


def _on_disk(directory: Path, name: str) -> bytes:
    fd = disk.open_dir(str(directory), name)
    try:
        return disk.Reader(fd).read(0, 1 << 30) or b""
    finally:
        os.close(fd)


def test_records_wait_for_a_flush_then_reach_the_disk(tmp_path: Path) -> None:
    tmp_path.chmod(0o700)
    writer = journal.Writer(str(tmp_path), "w1", 1 << 20, lambda text: None)
    writer.output(0, 1.0, b"hello ")
    writer.output(6, 2.0, b"world")
    assert writer.due() is not None
    assert _on_disk(tmp_path, "w1") == b""  # gathered, not yet written
    writer.flush()
    assert writer.due() is None
    assert _on_disk(tmp_path, "w1") == b"hello world"
    writer.close()


def test_a_full_batch_is_written_at_once_and_reads_flush_first(tmp_path: Path) -> None:
    tmp_path.chmod(0o700)
    writer = journal.Writer(str(tmp_path), "w2", 1 << 24, lambda text: None)
    chunk = b"x" * 4096
    count = journal.BATCH // len(chunk) + 1
    for i in range(count):
        writer.output(i * len(chunk), float(i), chunk)
    assert len(_on_disk(tmp_path, "w2")) >= journal.BATCH - 2 * len(chunk)
    writer.output(count * len(chunk), 99.0, b"tail")
    assert writer.read(count * len(chunk), 10) == b"tail"  # the master's own reads see it all
    writer.close()


def test_segments_are_switched_between_whole_records(tmp_path: Path) -> None:
    tmp_path.chmod(0o700)
    writer = journal.Writer(str(tmp_path), "w3", 8 * journal.MIN_SEGMENT, lambda text: None)
    data = bytes(range(256)) * 64
    offset = 0
    for _ in range(200):
        writer.output(offset, 1.0, data)
        offset += len(data)
    writer.flush()
    start = writer.start()
    assert start is not None and start > 0  # the oldest segments were dropped
    got = writer.read(start, offset - start)
    assert got == (data * 200)[start:]
    writer.close()

