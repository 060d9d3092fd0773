"""The system-wide record of sessions, read by sesswho and sesswhere.

Does I/O (files).  This module is the master's side: one entry per
session, told when the session starts, is connected or disconnected, and
ends.  Nothing here may ever harm a session: every failure is swallowed.
"""

from __future__ import annotations


class Entry:
    """A session's entry in the registry (a no-op until the registry exists)."""

    def connected(self, remote: str) -> None:
        """A read-write connection from ``remote`` ("" when unknown)."""

    def disconnected(self) -> None:
        """The read-write connection went away; the session lives on."""

    def ended(self) -> None:
        """The session is over."""


def open_entry(name: str, directory: str, master_pid: int, created: float) -> Entry:
    """The entry of a new session (called once, in the master)."""
    return Entry()
