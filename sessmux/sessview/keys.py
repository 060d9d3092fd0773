"""urwid's key names as the bytes an xterm sends for them.

No I/O.  The focused tile is the session's terminal, so a key typed there
must reach the program exactly as a real terminal would send it --
including application cursor keys (DECCKM) when the program asked for
them, and xterm's modifier parameters (``ESC [1;5A`` for ctrl-up).

>>> key_bytes("up"), key_bytes("up", application=True), key_bytes("ctrl up")
(b'\\x1b[A', b'\\x1bOA', b'\\x1b[1;5A')
>>> key_bytes("ctrl c"), key_bytes("meta x"), key_bytes("é"), key_bytes("f5")
(b'\\x03', b'\\x1bx', b'\\xc3\\xa9', b'\\x1b[15~')
>>> key_bytes("enter"), key_bytes("backspace"), key_bytes("no such key") is None
(b'\\r', b'\\x7f', True)
"""

from __future__ import annotations

# Keys whose final byte takes the cursor-key form (ESC [ x, or ESC O x in application mode).
_CURSOR = {"up": "A", "down": "B", "right": "C", "left": "D", "home": "H", "end": "F"}
# Keys sent as ESC [ n ~.
_TILDE = {"insert": 2, "delete": 3, "page up": 5, "page down": 6,
          "f5": 15, "f6": 17, "f7": 18, "f8": 19, "f9": 20, "f10": 21, "f11": 23, "f12": 24}
_SS3 = {"f1": "P", "f2": "Q", "f3": "R", "f4": "S"}
_PLAIN = {"enter": b"\r", "backspace": b"\x7f", "tab": b"\t", "esc": b"\x1b",
          "shift tab": b"\x1b[Z", "<0>": b"\x00", " ": b" "}
_MODIFIERS = {"shift": 1, "meta": 2, "ctrl": 4}


def _modified(key: str) -> tuple[int, str]:
    """xterm's modifier parameter (0 for none) and the key without its prefixes."""
    mods = 0
    while True:
        word, _, rest = key.partition(" ")
        if word in _MODIFIERS and rest and not (word == "ctrl" and len(rest) == 1):
            mods |= _MODIFIERS[word]
            key = rest
            continue
        return (mods + 1 if mods else 0), key


def key_bytes(key: str, application: bool = False) -> bytes | None:
    """What typing ``key`` (urwid's name) sends; None for a key with no bytes."""
    if key in _PLAIN:
        return _PLAIN[key]
    if len(key) == 1:
        return key.encode("utf-8")
    if key.startswith("ctrl ") and len(key) == 6:
        char = key[5]
        if char == " " or char == "@":
            return b"\x00"
        if char.isalpha() or char in "[\\]^_":
            return bytes([ord(char.upper()) & 0x1F])
        if char == "?":
            return b"\x7f"
        return None
    if key.startswith("meta ") and len(key) > 5:
        inner = key_bytes(key[5:], application)
        if inner is not None and not inner.startswith(b"\x1b["):
            return b"\x1b" + inner
    mods, base = _modified(key)
    if base in _CURSOR:
        final = _CURSOR[base]
        if mods:
            return f"\x1b[1;{mods}{final}".encode()
        return f"\x1b{'O' if application else '['}{final}".encode()
    if base in _TILDE:
        number = _TILDE[base]
        return (f"\x1b[{number};{mods}~" if mods else f"\x1b[{number}~").encode()
    if base in _SS3:
        final = _SS3[base]
        return (f"\x1b[1;{mods}{final}" if mods else f"\x1bO{final}").encode()
    return None
