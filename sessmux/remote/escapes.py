"""ssh-like escapes in the keys typed to rezume: after Enter, ``~`` is special.

Pure: keys in, keys and actions out, in the order typed.  ``~.`` quits,
``~^Z`` suspends, ``~?`` shows :data:`HELP`, ``~~`` sends one ``~``; any
other ``~x`` is sent as typed.  With ``enter_retries`` (``--manual``,
during an outage) Enter asks for a reconnection instead of being sent.

>>> esc = Escapes()
>>> esc.feed(b"ls\\r~?\\r~~x~~\\r~.")
[b'ls\\r', 'help', b'\\r~x~~\\r', 'quit']
>>> esc.feed(b"a~b"), esc.feed(b"\\r", enter_retries=True)
([b'a~b'], ['retry'])
"""

from __future__ import annotations

QUIT, SUSPEND, SHOW_HELP, RETRY = "quit", "suspend", "help", "retry"
_AFTER_TILDE = {ord("."): QUIT, 0x1A: SUSPEND, ord("?"): SHOW_HELP}

HELP = b"""\r
Supported escape sequences (after Enter):\r
 ~.   quit (the session goes on running on the host)\r
 ~^Z  suspend rezume\r
 ~?   this help\r
 ~~   send one ~\r
"""


class Escapes:
    """Where in a line the keys are: at its start, after its ``~``, or in its text."""

    def __init__(self) -> None:
        self.state = "start"

    def feed(self, data: bytes, enter_retries: bool = False) -> list[bytes | str]:
        """The keys to send (bytes) and the actions asked for (str), in order."""
        parts: list[bytes | str] = []
        keys = bytearray()
        for byte in data:
            action = None
            if self.state == "tilde":
                self.state = "text"
                action = _AFTER_TILDE.get(byte)
                if action is None:
                    keys += b"" if byte == ord("~") else b"~"
                    keys.append(byte)
            elif byte == ord("~") and self.state == "start":
                self.state = "tilde"
            elif enter_retries and byte in b"\r\n":
                self.state = "start"
                action = RETRY
            else:
                self.state = "start" if byte in b"\r\n" else "text"
                keys.append(byte)
            if action is not None:
                if keys:
                    parts.append(bytes(keys))
                    keys.clear()
                parts.append(action)
        if keys:
            parts.append(bytes(keys))
        return parts
