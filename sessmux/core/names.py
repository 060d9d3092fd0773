"""Session names: validation, auto-assignment, and safe display.

No I/O.  A name is either pty 4.0's two-character extension (first of
``pqrstuvwxyzabcdefghijklmno``, second of ``0123456789abcdef``) or a user
name ``[A-Za-z0-9][A-Za-z0-9._-]{0,63}``.  Anything else is refused, so a
name can never climb out of the session directory:

>>> check("p7"), check("build-2")
('p7', 'build-2')
>>> visible("a\\x1b[2Jb\\x85")
'a^[[2JbM-^E'
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    import random
    from collections.abc import Iterable

FIRST = "pqrstuvwxyzabcdefghijklmno"
SECOND = "0123456789abcdef"
LONG_NAME_MAX = 100  # pty 4.0: PTYLONGNAMELEN

# [A-Za-z0-9][A-Za-z0-9._-]{0,63}, without loading re into every tool.
_LEAD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_REST = _LEAD | frozenset("._-")


def is_valid(name: str) -> bool:
    """Whether ``name`` is an acceptable session name."""
    return 0 < len(name) <= 64 and name[0] in _LEAD and _REST.issuperset(name)


def check(name: str) -> str:
    """Return ``name`` if valid, else raise :class:`~sessmux.core.errors.BadName`.

    A name that begins with ``-`` (``-rf``) is a usage error of its own
    (:class:`~sessmux.core.errors.OptionName`): it would read as options.
    """
    if not is_valid(name):
        from sessmux.core.errors import BadName, OptionName

        shown = visible(name)
        raise OptionName(shown) if name.startswith("-") else BadName(shown)
    return name


def all_short_names() -> list[str]:
    """Every pty 4.0 two-character name, in pty order."""
    return [a + b for a in FIRST for b in SECOND]


def candidates(taken: Iterable[str], rng: random.Random | None = None) -> list[str]:
    """Free two-character names, starting at a random place (pty 4.0 ``-xr``).

    pty 4.0 steps through its table from ``pid % N`` by a stride coprime to
    N; a random start with a random coprime stride spreads names the same way.
    """
    names = all_short_names()
    n = len(names)
    strides = [s for s in range(1, n) if _gcd(s, n) == 1]
    if rng is not None:
        start, stride = rng.randrange(n), rng.choice(strides)
    else:  # os.urandom: the random module is a start-up cost every tool would pay
        a, b = int.from_bytes(os.urandom(4)), int.from_bytes(os.urandom(4))
        start, stride = a % n, strides[b % len(strides)]
    busy = set(taken)
    order = [names[(start + i * stride) % n] for i in range(n)]
    return [name for name in order if name not in busy]


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def visible(text: str) -> str:
    """Show control characters visibly, as pty 4.0's ``fmt_vis``: ``^X``, ``M-^X``.

    C0 controls and DEL become ``^X`` / ``^?``; C1 controls (U+0080–U+009F,
    which terminals also obey) become ``M-^X``.  Printable text, in any
    script, stays as it is.
    """
    out = []
    for ch in text:
        point = ord(ch)
        if 0x80 <= point < 0xA0:
            out.append("M-^" + chr(point - 0x80 + 0x40))
        elif point < 0x20:
            out.append("^" + chr(point + 0x40))
        elif point == 0x7F:
            out.append("^?")
        else:
            out.append(ch)
    return "".join(out)


def clip_long_name(name: str) -> str:
    """Truncate a long name to at most 100 bytes of UTF-8 (pty 4.0 keeps 99 + NUL)."""
    raw = name.encode("utf-8", "surrogateescape")[:LONG_NAME_MAX]
    return raw.decode("utf-8", "ignore")
