"""``sesslog``: print a session's journal -- raw, as plain lines, found, or as asciicast.

Reads the journal files directly (:mod:`sessmux.system.journal`), so it
works as well on a session whose master has died as on a running one.
It stays a little over 300 lines: every form of output (raw, plain, found,
events, asciicast) reads the one stream of records, from ``--since`` on,
with ``--tail`` and ``--follow``.
"""

from __future__ import annotations

import os
import sys
import time
from collections import deque

from sessmux.commands import cli
from sessmux.core import journal_format as fmt
from sessmux.core.errors import SessError, UnsafeDirectory
from sessmux.system import journal

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from typing import BinaryIO

    Record = tuple[int, int, float, bytes]

USAGE = ("usage: sesslog [-s name] [-p] [--since TIME|OFFSET] [--tail N] [--follow] "
         "[--grep PATTERN] [--events] [--asciicast [--idle-limit SECONDS]] [--rm]")
HELP = USAGE + """

Print everything session NAME (default: $PTY) wrote, kept in its journal,
even after its master has ended or died.

  -s NAME               the session (default: $PTY)
  -p, --plain           plain text: escape sequences removed, lines as shown
  --since TIME|OFFSET   from output offset OFFSET (digits), or from TIME:
                        @EPOCH, 2026-12-01T10:30[:00], 10:30 (today), or 5m, 2h, 1d ago
  --tail N              only the last N lines
  -f, --follow          go on printing new output until the session ends
  --grep PATTERN        plain lines matching the regular expression, with their time
  --events              what happened instead of the output, with its time: the
                        program's end, finished commands, bells, notifications,
                        waiting for input
  --asciicast           an asciicast v2 recording with the output's real timing
  --idle-limit SECONDS  with --asciicast: pauses longer than this are shortened
  --rm                  remove the journal of an ended session

Exit status: 0; 1 usage; 2 no journal, a running session (--rm), or an
unsafe journal directory; 12 out of resources.  See sesslog(1).
"""
LONGS = ["plain", "since=", "tail=", "follow", "grep=", "events", "asciicast", "idle-limit=",
         "rm", "help", "version"]
FOLLOW_POLL = 0.2  # seconds between looks at a followed journal
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
TAIL_KEEP = 8 << 20  # --tail keeps about this much raw output while it reads
MARK = -1  # kind of the record that says a followed journal has been read so far


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    return cli.run("sesslog", USAGE, lambda: _sesslog(args))


def parse_since(text: str, now: float) -> tuple[int, float]:
    """``--since``: (offset, time) to start from; one of them is 0."""
    if text.isdigit():
        return int(text), 0.0
    try:
        if text.startswith("@"):
            return 0, float(text[1:])
        if text[-1:] in UNITS and text[:-1].isdigit():
            return 0, now - int(text[:-1]) * UNITS[text[-1]]
        from datetime import datetime

        if ":" in text and "-" not in text:
            text = time.strftime("%Y-%m-%dT", time.localtime(now)) + text
        return 0, datetime.fromisoformat(text).timestamp()
    except (ValueError, OverflowError):
        raise cli.Usage(f"bad --since {text!r}: give an offset, @EPOCH, a date and time, "
                        "or an age such as 5m") from None


def _number(flag: str, text: str, kind: Callable[[str], float]) -> float:
    try:
        value = kind(text)
    except ValueError:
        value = -1
    if not 0 <= value < 1e9:
        raise cli.Usage(f"bad {flag} {text!r}")
    return value


def _sesslog(argv: Sequence[str]) -> int:
    if list(argv[:1]) in (["--help"], ["-h"]):
        print(HELP)
        return 0
    if list(argv[:1]) == ["--version"]:
        cli.version("sesslog")
    opts, rest = cli.getopt(argv, "s:pfh", LONGS)
    if rest:
        raise cli.Usage(f"unexpected argument {rest[0]!r}")
    flags = {("--plain" if k == "-p" else "--follow" if k == "-f" else k): v for k, v in opts}
    if "-h" in flags or "--help" in flags:
        print(HELP)
        return 0
    name = cli.target("sesslog", flags.get("-s"))
    directory = cli.tool_dir()
    if "--rm" in flags:
        return _remove(directory, name)
    since = parse_since(flags["--since"], time.time()) if "--since" in flags else (0, 0.0)
    tail = int(_number("--tail", flags["--tail"], int)) if "--tail" in flags else None
    idle = _number("--idle-limit", flags["--idle-limit"], float) if "--idle-limit" in flags \
        else None
    pattern = None
    if "--grep" in flags:
        import re

        try:
            pattern = re.compile(flags["--grep"])
        except re.error as e:
            raise cli.Usage(f"bad --grep pattern: {e}") from None
    try:
        fd = journal.open_dir(directory, name)
    except FileNotFoundError:
        raise SessError(f"no journal for session {name}") from None
    except UnsafeDirectory as e:
        raise SessError(e.message) from None
    reader = journal.Reader(fd)
    records = _records(reader, since, "--follow" in flags, directory, name)
    out = sys.stdout.buffer
    try:
        if "--asciicast" in flags:
            _asciicast(records, out, idle)
        elif "--events" in flags:
            _events(records, out)
        elif pattern is not None:
            for when, line in _lines(records, tail, "--follow" in flags):
                text = line.decode("utf-8", "replace")
                if pattern.search(text):
                    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when))
                    out.write(f"{stamp} {text}\n".encode())
                    out.flush()
        elif "--plain" in flags:
            for _, line in _lines(records, tail, "--follow" in flags):
                out.write(line + b"\n")
                out.flush()
        else:
            _raw(records, out, tail)
        out.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # `sesslog | head` is not an error
    finally:
        os.close(fd)
    return 0


def _remove(directory: str, name: str) -> int:
    if not journal.ended(directory, name):
        raise SessError(f"session {name} is running; its journal stays while it does")
    try:
        journal.remove(directory, name)
    except FileNotFoundError:
        raise SessError(f"no journal for session {name}") from None
    return 0


def _records(reader: journal.Reader, since: tuple[int, float], follow: bool,
             directory: str, name: str) -> Iterator[Record]:
    """Output records from ``since`` (trimmed to it), and events; live ones if following."""
    offset, after = since
    events: set[tuple[int, float]] = set()
    first = True
    while True:
        ended = follow and journal.ended(directory, name)  # before the last read: nothing lost
        for kind, at, when, data in reader.records(offset):
            if kind == fmt.OUTPUT:
                if at + len(data) <= offset or when < after:
                    continue
                if at < offset:
                    data, at = data[offset - at :], offset
                offset = at + len(data)
            elif (at, when) in events or when < after:
                continue
            else:
                events.add((at, when))
            yield kind, at, when, data
        if not follow or ended:
            return
        if first:
            first = False
            yield MARK, 0, 0.0, b""
        time.sleep(FOLLOW_POLL)


def _lines(records: Iterator[Record], tail: int | None,
           follow: bool) -> Iterator[tuple[float, bytes]]:
    """Plain lines with the time of the output that ended them."""
    text = fmt.PlainText()
    kept: deque[tuple[float, bytes]] | None = deque(maxlen=tail) if tail is not None else None
    when = 0.0
    for kind, _, stamp, data in _until_live(records):
        if kind is None:  # the journal so far has been read
            last = [] if follow else text.end()  # not following: the last line is done
            if kept is not None:
                kept.extend((when, line) for line in last)
            yield from kept if kept is not None else ((when, line) for line in last)
            kept = None
        elif kind == fmt.OUTPUT:
            when = stamp
            for line in text.feed(data):
                if kept is not None:
                    kept.append((when, line))
                else:
                    yield when, line
    for line in text.end():
        yield when, line


def _until_live(records: Iterator[Record]) -> Iterator[tuple[int | None, int, float, bytes]]:
    """``records``, and a (None, ...) mark once the journal so far has been read.

    Records of a followed session come from :func:`_records` in rounds; the
    mark comes when the first round has no more (the tail is printed then).
    """
    marked = False
    for kind, at, when, data in records:
        if kind != MARK:
            yield kind, at, when, data
        elif not marked:
            marked = True
            yield None, 0, 0.0, b""
    if not marked:
        yield None, 0, 0.0, b""


def _cut(buf: bytes | bytearray, n: int) -> int:
    """Where the last ``n`` lines of ``buf`` begin (a last line need not be ended).

    >>> _cut(b"a\\nb\\nc\\n", 2), _cut(b"a\\nb\\nc", 2), _cut(b"a", 0)
    (2, 2, 1)
    """
    if n == 0:
        return len(buf)
    cut = len(buf) - 1 if buf.endswith(b"\n") else len(buf)
    for _ in range(n):
        cut = buf.rfind(b"\n", 0, cut)
        if cut < 0:
            return 0
    return cut + 1


def _raw(records: Iterator[Record], out: BinaryIO, tail: int | None) -> None:
    buf: bytearray | None = bytearray() if tail is not None else None
    for kind, _, _, data in _until_live(records):
        if kind is None:
            if buf is not None and tail is not None:
                out.write(bytes(buf[_cut(buf, tail) :]))
                out.flush()
            buf = None
        elif kind == fmt.OUTPUT and buf is None:
            out.write(data)
            out.flush()
        elif kind == fmt.OUTPUT and buf is not None and tail is not None:
            buf += data
            if len(buf) > TAIL_KEEP:
                del buf[: _cut(buf, tail)]


def _asciicast(records: Iterator[Record], out: BinaryIO, idle: float | None) -> None:
    import codecs
    import json

    write = out.write
    decode = codecs.getincrementaldecoder("utf-8")("replace").decode
    size = (24, 80)
    timeline: fmt.Timeline | None = None
    for kind, _, when, data in records:
        if kind == fmt.EVENT:
            try:
                event = json.loads(data)
            except ValueError:
                continue
            if isinstance(event, dict) and event.get("kind") == "size" and timeline is None:
                rows, cols = event.get("rows"), event.get("cols")
                if isinstance(rows, int) and isinstance(cols, int):
                    size = (rows, cols)
            continue
        if kind != fmt.OUTPUT:
            continue
        if timeline is None:
            timeline = fmt.Timeline(when, idle)
            head = fmt.asciicast_header(size[1], size[0], when, idle)
            write(json.dumps(head).encode() + b"\n")
        text = decode(data)
        if text:
            line = json.dumps([timeline.at(when), "o", text], ensure_ascii=False)
            write(line.encode() + b"\n")
            out.flush()
    if timeline is None:
        write(json.dumps(fmt.asciicast_header(size[1], size[0], time.time(), idle)).encode()
              + b"\n")


def _events(records: Iterator[Record], out: BinaryIO) -> None:
    """``--events``: each event record as ``DATE TIME kind field=value ...``, made visible."""
    import json

    from sessmux.core.names import visible

    for kind, _, when, data in records:
        if kind != fmt.EVENT:
            continue
        try:
            event = json.loads(data)
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        what = " ".join([visible(str(event.get("kind", "?")))] + [
            f"{visible(str(k))}={visible(str(v))}" for k, v in event.items() if k != "kind"])
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when))
        out.write(f"{stamp} {what}\n".encode())
        out.flush()
