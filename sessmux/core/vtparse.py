"""A tolerant escape-sequence parser that drives a pyte-style screen.

No I/O: ``VTParser.feed(bytes)`` decodes UTF-8 incrementally, splits the
text into printable runs, controls and escape sequences, and calls methods
on the screen it was given.  Chunks may end anywhere, even inside a UTF-8
character or an escape sequence; the unfinished tail is kept for the next
feed.

Why not ``pyte.ByteStream``: pyte 0.8.2 drops the rest of a chunk when a
handler raises, reads ``CSI > 4;2 m`` (vim's modifyOtherKeys) as SGR
underline, prints the payload of DCS/APC strings as text, and stops at
colons in SGR (``38:2::r:g:b``).  Here every sequence is parsed whole,
marker and intermediates included, and a handler that raises loses only
its own sequence.

What each sequence calls, and how its parameters read, is
:mod:`sessmux.core.vtcodes`.  Output is hostile, so numbers are capped
(:data:`~sessmux.core.vtcodes.MAX_PARAM`, ``MAX_PARAMS``),
a sequence longer than ``_MAX_PENDING`` is ignored up to its final byte
however it was cut, and strings keep at most ``_MAX_TITLE`` characters.

>>> class Echo:
...     def draw(self, text: str) -> None:
...         print("draw", repr(text))
...     def select_graphic_rendition(self, *params: int) -> None:
...         print("sgr", params)
>>> p = VTParser(Echo())
>>> p.feed(b"a\\x1b[1;3")
draw 'a'
>>> p.feed(b"8:5:9mb\\xe2\\x82")
sgr (1, 38, 5, 9)
draw 'b'
>>> p.feed(b"\\xac\\x1bPignored\\x1b\\\\")
draw '€'
"""

from __future__ import annotations

import codecs
import re
from typing import Any

from sessmux.core import vtcodes

# Printable text: everything but C0, DEL and C1.
_TEXT = re.compile(r"[^\x00-\x1f\x7f-\x9f]+")
# CSI: marker/params (0x30-0x3f, with C0 controls tolerated inside),
# intermediates (0x20-0x2f), final (0x40-0x7e).
_CSI = re.compile(r"(?:\x1b\[|\x9b)([\x30-\x3f\x07-\x0d]*)([\x20-\x2f]*)([\x40-\x7e])")
_CSI_PARTIAL = re.compile(r"(?:\x1b\[|\x9b)[\x30-\x3f\x07-\x0d]*[\x20-\x2f]*\Z")
_CSI_PREFIX = re.compile(r"(?:\x1b\[|\x9b)[\x30-\x3f\x07-\x0d]*[\x20-\x2f]*")
_ESC = re.compile(r"\x1b([\x20-\x2f]*)([\x30-\x7e])")
_ESC_PARTIAL = re.compile(r"\x1b[\x20-\x2f]*\Z")
# The rest of an over-long CSI or ESC sequence: up to its final byte.
_SKIP = re.compile(r"[\x20-\x3f\x07-\x0d]*")
# Strings (OSC, DCS, SOS, PM, APC) end at ST, BEL (OSC only in xterm, but
# harmless), CAN/SUB, or any other escape sequence.
_STRING_END = re.compile(r"\x07|\x1b\\|\x9c|[\x18\x1a]|\x1b(?=[^\\])")
# Everything from the program is hostile (``cat`` of a downloaded file):
# caps keep each sequence's cost and memory small, whatever it says.
_MAX_PENDING = 4096  # an unfinished CSI longer than this is ignored to its final byte
_MAX_TITLE = 4096  # characters of an OSC string kept; the rest is read and dropped


class VTParser:
    """Feed bytes, get calls on ``screen``; see the module docstring."""

    def __init__(self, screen: Any) -> None:
        self.screen = screen
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self._string: str | None = None  # kind of string being swallowed
        self._string_data: list[str] = []
        self._skipping = False  # inside a sequence too long to keep: ignore it to its end
        self._last = ""  # the last character drawn, for REP

    def reset(self) -> None:
        """Forget any unfinished sequence (not the screen)."""
        self._decoder.reset()
        self._pending = ""
        self._string = None
        self._string_data = []
        self._skipping = False
        self._last = ""

    def feed(self, data: bytes) -> None:
        """Parse ``data``; an unfinished tail waits for the next call."""
        self.feed_text(self._decoder.decode(data))

    def feed_text(self, text: str) -> None:
        data = self._pending + text if self._pending else text
        self._pending = ""
        pos, end = 0, len(data)
        screen = self.screen
        while pos < end:
            if self._skipping:
                pos = self._skip(data, pos)
                continue
            if self._string is not None:
                pos = self._in_string(data, pos)
                continue
            m = _TEXT.match(data, pos)
            if m is not None:
                text = m.group()
                self._call("draw", text)
                self._last = text[-1]
                pos = m.end()
                continue
            ch = data[pos]
            if ch == "\x1b" or ch == "\x9b":
                nxt = self._escape(data, pos)
                if nxt < 0:
                    if end - pos <= _MAX_PENDING:
                        self._pending = data[pos:]
                    else:
                        self._skipping = True
                        csi = data[pos] == "\x9b" or data[pos + 1] == "["
                        self._skip(data, pos + 1 + (data[pos] == "\x1b" and csi))
                    return
                pos = nxt
            elif ch in vtcodes.C1_STRING_STARTS:
                self._start_string(vtcodes.C1_STRING_STARTS[ch])
                pos += 1
            else:
                name = vtcodes.CONTROLS.get(ch)
                if name is not None:
                    getattr(screen, name)()
                    self._last = ""
                pos += 1  # NUL, DEL, other C0/C1: ignored

    def _skip(self, data: str, pos: int) -> int:
        """Past the end of an over-long sequence (its C0 controls still act)."""
        m = _SKIP.match(data, pos)
        assert m is not None  # the pattern matches the empty string
        for c in m.group():
            if c < " ":
                self._call(vtcodes.CONTROLS.get(c, "bell"))
        if m.end() < len(data):
            self._skipping = False
            return m.end() + ("\x40" <= data[m.end()] <= "\x7e")  # the final byte is its own
        return len(data)

    def _call(self, name: str, *args: Any, **kwargs: Any) -> None:
        try:
            getattr(self.screen, name)(*args, **kwargs)
        except Exception:  # noqa: BLE001 - one bad sequence must not lose the chunk
            pass

    def _escape(self, data: str, pos: int) -> int:
        """Handle the sequence at ``pos``; return the next position, -1 if unfinished."""
        self._last, last = "", self._last
        m = _CSI.match(data, pos)
        if m is not None:
            params, inter, final = m.groups()
            if m.end() - pos > _MAX_PENDING:  # as if it had come in pieces: ignored
                params, inter, final = "".join(c for c in params if c < " "), "", "\x00"
            if final == "b" and not inter and (params.isdigit() or not params) and last:
                self._call("repeat_last", last, max(1, vtcodes.number(params)))
                self._last = last
            controls = [c for c in params if c < " "]
            for c in controls:  # C0 controls inside a CSI act immediately
                self._call(vtcodes.CONTROLS.get(c, "bell"))
            if controls:
                params = "".join(c for c in params if c >= " ")
            self._csi(params, inter, final)
            return m.end()
        if pos + 1 == len(data) or _CSI_PARTIAL.match(data, pos):
            return -1
        if data[pos] == "\x9b" or data[pos + 1] == "[":
            # Malformed CSI: drop what was valid, go on with the odd character.
            done = _CSI_PREFIX.match(data, pos)
            return done.end() if done is not None else pos + 1
        kind = vtcodes.STRING_STARTS.get(data[pos + 1])
        if kind is not None:
            self._start_string(kind)
            return pos + 2
        m = _ESC.match(data, pos)
        if m is not None:
            self._esc(*m.groups())
            return m.end()
        if _ESC_PARTIAL.match(data, pos):
            return -1
        return pos + 1  # ESC followed by a control: drop the ESC

    def _esc(self, inter: str, final: str) -> None:
        if not inter:
            name = vtcodes.ESC_METHODS.get(final)
            if name is not None:
                self._call(name)
        elif inter in "()" and final in "0B":
            self._call("define_charset", final, inter)
        elif inter == "#" and final == "8":
            self._call("alignment_display")
        # ESC % G, ESC SP F and others: nothing to do in a UTF-8 screen.

    def _csi(self, params: str, inter: str, final: str) -> None:
        marker = ""
        if params and params[0] in "<=>?":
            marker, params = params[0], params[1:]
        if any(c in "<=>?" for c in params):
            return  # markers in the middle: not a sequence anyone sends
        args = vtcodes.params(params)
        if inter:
            if inter == "!" and final == "p" and not marker:
                self._call("soft_reset")
            return  # DECSCUSR, DECRQM, ...: no state worth keeping
        if marker == "?":
            if final in "hl":
                self._call("set_mode" if final == "h" else "reset_mode", *args, private=True)
            return  # private DSR (?996n), ?Pm r/s (save/restore modes), ...
        if marker == ">":
            if final == "c":
                self._call("report_secondary_device_attributes", *args)
            return  # >4;2m (modifyOtherKeys), >q (XTVERSION), ...
        if marker:
            return
        name = vtcodes.CSI_METHODS.get(final)
        if name is not None:
            self._call(name, *args)

    def _start_string(self, kind: str) -> None:
        self._string = kind
        self._string_data = []

    def _in_string(self, data: str, pos: int) -> int:
        m = _STRING_END.search(data, pos)
        if m is None:
            if data.endswith("\x1b"):
                self._keep_string(data[pos:-1])
                self._pending = "\x1b"
            else:
                self._keep_string(data[pos:])
            return len(data)
        self._keep_string(data[pos : m.start()])
        self._finish_string()
        # An ESC that starts another sequence is not consumed.
        return m.start() if m.group() == "\x1b" else m.end()

    def _keep_string(self, chunk: str) -> None:
        if self._string == "osc":
            room = _MAX_TITLE - sum(map(len, self._string_data))
            if room > 0:
                self._string_data.append(chunk[:room])

    def _finish_string(self) -> None:
        kind, text = self._string, "".join(self._string_data)
        self._string, self._string_data = None, []
        if kind != "osc":
            return
        code, _, value = text.partition(";")
        if code in ("0", "1"):
            self._call("set_icon_name", value)
        if code in ("0", "2"):
            self._call("set_title", value)
