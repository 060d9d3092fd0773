"""The administrator's settings: ``/etc/sessmux.conf`` (``$SESSMUX_CONF``).

Does I/O (reads one small file).  Lines are ``key = value``; ``#`` starts
a comment; unknown keys are ignored, so a newer file does not break an
older sessmux.  Known keys, all ``on`` by default:

``who``       ``off``: sesswho refuses to run.
``where``     ``off``: sesswhere refuses to run, and masters started
              afterwards do not record where connections come from.
``registry``  ``off``: masters started afterwards write no registry entry
              at all, so neither command has anything to show.

>>> parse("who = off  # no snooping\\nwhere=on")
{'who': False, 'where': True}
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT = "/etc/sessmux.conf"
FALSE = ("off", "no", "false", "0", "disabled")


def path(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return env.get("SESSMUX_CONF") or DEFAULT


def parse(text: str) -> dict[str, bool]:
    """Switches from a settings file's text (later lines win)."""
    found: dict[str, bool] = {}
    for line in text.splitlines():
        key, eq, value = line.partition("#")[0].partition("=")
        if eq and key.strip():
            found[key.strip().lower()] = value.strip().lower() not in FALSE
    return found


def load(env: Mapping[str, str] | None = None) -> dict[str, bool]:
    """The switches in force; a missing or unreadable file means all on."""
    try:
        with open(path(env), encoding="utf-8", errors="replace") as f:
            return parse(f.read(65536))
    except OSError:
        return {}
