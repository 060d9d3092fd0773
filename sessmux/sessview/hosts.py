"""``sessview --hosts``: this host's sessions and other hosts', grouped by host.

Does I/O.  A background round (:func:`host_rounds`, a
:class:`~sessmux.sessview.poll.Rounds`) asks every host for its sessions
(:func:`sessmux.remote.hosts.query`: all at once, each within its timeout,
over shared ssh connections) every :data:`INTERVAL` seconds and wakes the
view through a pipe, as the local poller does.  :class:`HostsApp` is the
browser with those sessions added under a title per host.  A remote
session's preview is a snapshot: the newest lines of its journal
(:func:`sessmux.remote.snapshot.snapshot`) drawn through a screen model of our
own, refreshed with each round (not a live picture; its state until the
first snapshot comes, or where the host keeps no journal).  Enter on it
stops the view, runs ``rezume --id NAME -a HOST`` in the foreground --
byte-exact, surviving drops -- and comes back to the view when rezume ends
(``~.`` leaves it, the session going on).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Mapping
from typing import Any

from sessmux.core.errors import LEFT, NOT_FOUND
from sessmux.core.happened import attention
from sessmux.core.hostlist import Host
from sessmux.core.names import visible
from sessmux.core.screen import ScreenModel
from sessmux.remote import hosts as remote
from sessmux.remote.snapshot import snapshot
from sessmux.sessview.app import App
from sessmux.sessview.info import describe, state
from sessmux.sessview.poll import Rounds, Snapshot
from sessmux.sessview.typeahead import Screen

INTERVAL = 5.0  # seconds between rounds of asking the hosts
TIMEOUT = 8.0  # seconds one host has to answer in a round
SNAPSHOT_TIMEOUT = 4.0  # seconds a host has to send the previewed session's newest lines
PREVIEW_ROWS, PREVIEW_COLS = 24, 80  # the snapshot's screen
_SHIFTED = ("created", "activity", "disconnected_at", "waiting")  # times: the host's clock
_REZUME_WITH_ARG = frozenset("piJFlo")  # the ssh options rezume passes on
_REZUME_FLAGS = frozenset("46ACv")


def key_of(host: Host, name: str) -> str:
    """How the view names a remote session: ``HOST: NAME`` (never a local name)."""
    return f"{visible(host.dest)}: {name}"


def snapshots(answer: remote.Answer, now: float) -> list[Snapshot]:
    """One host's sessions as the browser's snapshots, their times on our clock."""
    listing = answer.listing
    if listing is None:
        return []
    shift = now - listing.now if listing.now is not None else 0.0
    found = []
    for st in listing.sessions:
        status = _moved(st, _SHIFTED, shift)
        if isinstance(status.get("running"), dict):
            status["running"] = _moved(status["running"], ("since",), shift)
        if isinstance(status.get("events"), list):
            status["events"] = [_moved(ev, ("at", "since"), shift) for ev in status["events"]]
        snap = Snapshot(status, None, None)
        snap.name = key_of(answer.host, str(st["name"]))
        found.append(snap)
    return found


def _moved(fields: Mapping[str, Any], times: tuple[str, ...], shift: float) -> dict[str, Any]:
    """A copy of ``fields`` with the ``times`` it has moved by ``shift`` seconds."""
    return {**fields, **{k: fields[k] + shift for k in times
                         if isinstance(fields.get(k), int | float)}}


def rezume_argv(host: Host, name: str, env: dict[str, str] | os._Environ[str]) -> list[str]:
    """``rezume [ssh options] [--sessmux BIN/sessmux] --id NAME -a HOST``."""
    argv = ["rezume"]
    options = list(host.options)
    while options:
        word = options.pop(0)
        if len(word) >= 2 and word[0] == "-" and word[1] in _REZUME_WITH_ARG:
            argv += [word, options.pop(0)] if len(word) == 2 and options else [word]
        elif len(word) == 2 and word[0] == "-" and word[1] in _REZUME_FLAGS:
            argv.append(word)
    where = host.bin or remote.remote_bin(env)
    if where:
        argv += ["--sessmux", os.path.join(where, "sessmux")]
    return [*argv, "--id", name, "-a", "--", host.dest]


Round = tuple[list[remote.Answer], tuple[str, bytes | None] | None]


def host_rounds(hosts: list[Host], wake_fd: int, previewed: Callable[[], tuple[Host, str] | None],
                interval: float = INTERVAL) -> Rounds[Round]:
    """The hosts' sessions, asked every ``interval`` seconds (each host within TIMEOUT),
    and a snapshot of the remote session ``previewed()`` names, if any."""

    def ask() -> Round:
        answers = remote.query(hosts, TIMEOUT)
        wanted = previewed()
        if wanted is None:
            return answers, None
        host, name = wanted
        return answers, (name, snapshot(host, name, PREVIEW_ROWS, SNAPSHOT_TIMEOUT))

    def failed(e: Exception) -> Round:
        answers = [remote.Answer(h) for h in hosts]
        for a in answers:
            a.error = f"cannot ask: {visible(str(e))}"
        return answers, None

    return Rounds(ask, failed, wake_fd, b"h", interval, name="sessview-hosts")


class HostsApp(App):
    """The browser, with every host's sessions under its own title."""

    def __init__(self, directory: str, screen: Screen, detach_key: int | None,
                 hosts: list[Host]) -> None:
        super().__init__(directory, screen, detach_key)
        self.hosts = hosts
        self.remote: dict[str, tuple[Host, Snapshot]] = {}
        self.notes: dict[str, str] = {h.dest: "asking..." for h in hosts}
        self.previewed: tuple[Host, str] | None = None  # the remote session in the preview
        self.screens: dict[str, bytes] = {}  # the newest snapshot of each, by its key
        self.host_poller = host_rounds(hosts, self.loop.watch_pipe(self._hosts_polled),
                                       lambda: self.previewed)

    def run(self, tiles: list[str] | None = None) -> None:
        self.host_poller.start()
        try:
            super().run(tiles)
        finally:
            self.host_poller.stop()

    def _hosts_polled(self, data: bytes) -> bool:
        taken = self.host_poller.take()
        if taken is None:
            return True
        answers, shot = taken
        now = time.time()
        self.remote = {}
        for answer in answers:
            self.notes[answer.host.dest] = answer.error
            for snap in snapshots(answer, now):
                self.remote[snap.name] = (answer.host, snap)
                if shot is not None and shot[1] is not None and self.previewed == (
                        answer.host, snap.status["name"]):
                    self.screens[snap.name] = shot[1]
        self._show()
        current = self.browser.current
        if current in self.remote and self.tiling is None:
            self._watch(current)  # the preview's state, refreshed
        return True

    def _listed(self) -> list[Snapshot]:
        needle = self.filter.lower()
        return super()._listed() + [s for _, s in self.remote.values() if not needle or needle in (
            f"{s.name} {s.status.get('longname') or ''}".lower())]

    def _show(self) -> None:
        now = time.time()
        listed = self._listed()
        local = [s for s in listed if s.name not in self.remote]
        runs: list[tuple[str, list[Snapshot]]] = [("── this host ──", local)]
        for host in self.hosts:
            mine = [s for s in listed if s.name in self.remote and self.remote[s.name][0] is host]
            note = self.notes.get(host.dest) or ""
            runs.append((f"── {visible(host.dest)} ──" + (f" {note}" if note else ""), mine))
        entries = [(s.name, *describe(s.status, now, s.command), s.name in self.marked,
                    attention(s.status)) for _, run in runs for s in run]
        count = len(self.snapshots) + len(self.remote)
        header = (f" sessview: {count} session{'' if count == 1 else 's'} on "
                  f"{1 + len(self.hosts)} hosts")
        if self.filter:
            header += f", {len(listed)} matching /{self.filter}"
        if self.want is not None and self.want in self.snapshots:
            self.browser.shown = []
            self.want = None  # a new session is local: shown under this host
        self.browser.show(entries, header, everything=not self.filter,
                          groups=[(title, len(run)) for title, run in runs])
        if self.preview is None and self.browser.current and self.tiling is None:
            self._watch(self.browser.current)

    def _watch(self, name: str | None) -> None:
        if name not in self.remote:
            self.previewed = None
            super()._watch(name)
            return
        if self.preview is not None:
            self.preview.close()
            self.preview = None
        host, snap = self.remote[name]
        wanted = (host, str(snap.status["name"]))
        if self.previewed != wanted:
            self.previewed = wanted
            self.host_poller.now()  # its snapshot at once, not at the next round
        view = self.browser.preview
        shot = self.screens.get(name)
        if shot is None:
            view.model = None
            view.note = (f"{state(snap.status)} on {visible(host.dest)}; "
                         "Enter attaches through rezume")
        else:
            # The newest lines it wrote, through a screen model of our own: a
            # snapshot, refreshed with each round, never the host's bytes raw.
            model = ScreenModel(PREVIEW_ROWS, PREVIEW_COLS)
            model.feed(shot)
            view.model, view.note = model, ""
        self.browser.preview_box.set_title(
            f"{name} ({state(snap.status)}, remote; Enter attaches)")
        view.changed()

    def attach(self, name: str, force: bool = False) -> None:
        if name not in self.remote:
            super().attach(name, force)
            return
        host, snap = self.remote[name]
        self._close_watches()
        argv = rezume_argv(host, str(snap.status["name"]), os.environ)
        with self.paused():
            try:
                code = subprocess.run(argv).returncode
                error = ""
            except OSError as e:
                code, error = NOT_FOUND, f"cannot run rezume: {e.strerror}"
        self.host_poller.now()
        if error:
            self.say(error, error=True)
        else:
            left = code in (0, LEFT)  # ~. or the session's end
            self.say(f"back from {name}" + ("" if left else f" (status {code})"))
        self._watch(name)

    def rename(self, name: str) -> None:
        if name in self.remote:
            self.say(f"{name} is on another host: name it there (sessname)", error=True)
        else:
            super().rename(name)

    def kill(self, name: str) -> None:
        if name in self.remote:
            self.say(f"{name} is on another host: kill it there (sesskill)", error=True)
        else:
            super().kill(name)

    def _tile_names(self) -> list[str]:
        return [n for n in super()._tile_names() if n not in self.remote]
