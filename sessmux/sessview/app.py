"""sessview's main loop: the browser, its actions, and the switch to tiles.

Does I/O: it owns the urwid screen (the user's terminal), the watcher
connections (:mod:`~sessmux.sessview.watch`) and the status poller
(:mod:`~sessmux.sessview.poll`).  Attaching from the browser stops the
screen -- the terminal is given back exactly as urwid found it -- runs a
signaller in the foreground as ``reconnect`` would, and starts the screen
again when the user leaves the session.  It stays a little over 300
lines: each key's action is a method of the one :class:`App`, and they
share its dialogs, its poller and its watches.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import urwid

from sessmux.client.signaller import Signaller, steer
from sessmux.core import control_protocol
from sessmux.core.errors import SessError
from sessmux.core.happened import attention
from sessmux.sessview import control
from sessmux.sessview.browser import HELP, PALETTE, Browser, Dialog, MinSize, overlay
from sessmux.sessview.info import attention_first, describe
from sessmux.sessview.poll import Snapshot, poller
from sessmux.sessview.tiling import Tiling
from sessmux.sessview.typeahead import Screen
from sessmux.sessview.watch import Watch
from sessmux.system import signals

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal
else:  # the signal module's enums (urwid has them loaded anyway)
    import _signal as signal

MAX_TILES = 9
HANGUPS = (signal.SIGHUP, signal.SIGTERM, signal.SIGQUIT)  # they end sessview


class App:
    """The browser and, on ``t`` or ``-t``, the tiles."""

    def __init__(self, directory: str, screen: Screen, detach_key: int | None = None) -> None:
        self.directory = directory
        self.screen = screen
        self.detach_key = detach_key
        self.colors = int(screen.colors)
        self.browser = Browser(self.colors, self._selected)
        self.top = MinSize(self.browser)
        self.loop = urwid.MainLoop(self.top, PALETTE, screen=screen, handle_mouse=True,
                                   unhandled_input=self._key)
        self.poller = poller(directory, self.loop.watch_pipe(self._polled))
        self.snapshots: dict[str, Snapshot] = {}
        self.sizes: dict[str, tuple[int, int]] = {}  # last size seen of each session
        self.preview: Watch | None = None
        self.tiling: Tiling | None = None
        self.marked: set[str] = set()
        self.filter = ""
        self.want: str | None = None  # select this session when it shows up
        self.by_attention = False  # "a": the sessions that need the user first
        urwid.connect_signal(self.browser.filter_edit, "postchange", self._filtered)

    def run(self, tiles: list[str] | None = None) -> None:
        """Until the user quits; a hang-up or termination unwinds (``Signalled``),
        the screen stopped -- the terminal given back -- on the way out."""
        with signals.Unwind(*HANGUPS):
            self.poller.start()
            if tiles is not None:
                self.snapshots = {s.name: s for s in self._first_survey()}
                self.tile(tiles or list(self.snapshots)[:MAX_TILES])
            try:
                with self.loop.start(), suppress(urwid.ExitMainLoop):
                    self._keys_are_ours()
                    self.loop.event_loop.run()
            finally:
                self.poller.stop()
                self._close_watches()

    def _first_survey(self) -> list[Snapshot]:
        from sessmux.sessview.poll import survey

        return survey(self.directory)

    def _keys_are_ours(self) -> None:
        # ^C, ^Z, ^\ ... are keys for the sessions (and for us), not signals.
        self.screen.tty_signal_keys("undefined", "undefined", "undefined", "undefined",
                                    "undefined")

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Give the terminal back as it was, for the duration of the block."""
        self.screen.stop()
        try:
            yield
        finally:
            self.screen.start()
            self._keys_are_ours()
            self.screen.set_mouse_tracking()
            self.screen.clear()
            self.loop.screen_size = None

    # -- the list ------------------------------------------------------------

    def _polled(self, data: bytes) -> bool:
        snapshots = self.poller.take()
        if snapshots is None:
            return True
        self.snapshots = {s.name: s for s in snapshots}
        for snap in snapshots:
            if snap.size:
                self.sizes[snap.name] = snap.size
        self.marked &= set(self.snapshots)
        self._show()
        if self.tiling is not None:
            self.tiling.update(self.snapshots)
        elif self.preview is not None:
            now = self.snapshots.get(self.preview.name)
            if now and now.size and now.size != self.preview.model.size:
                self._watch(self.preview.name)  # resized elsewhere: a fresh repaint
        self._keys_typed_ahead()  # last: an Enter attaches, and this round is done
        return True

    def _keys_typed_ahead(self) -> None:
        """Keys typed while sessview started act on the first list (Enter attaches)."""
        keys = self.screen.typed_ahead()
        if keys:
            self.loop.process_input(keys)

    def _listed(self) -> list[Snapshot]:
        needle = self.filter.lower()
        return [s for s in self.snapshots.values() if not needle or needle in " ".join(
            (s.name, str(s.status.get("longname") or ""), s.command or "")).lower()]

    def _show(self) -> None:
        now = time.time()
        listed = self._listed()
        if self.by_attention:
            listed = attention_first(listed)
        entries = [(s.name, *describe(s.status, now, s.command), s.name in self.marked,
                    attention(s.status)) for s in listed]
        connected = sum(1 for s in self.snapshots.values() if s.status.get("connected"))
        count = len(self.snapshots)
        header = f" sessview: {count} session{'' if count == 1 else 's'}, {connected} connected"
        if self.filter:
            header += f", {len(listed)} matching /{self.filter}"
        if self.want is not None and self.want in self.snapshots:
            self.browser.shown = []  # rebuild with the new session selected
            self.browser.walker[:] = []
            entries.sort(key=lambda e: e[0] != self.want)
            self.want = None
        self.browser.show(entries, header, everything=not self.filter)
        if self.preview is None and self.browser.current and self.tiling is None:
            self._watch(self.browser.current)

    def _selected(self, name: str | None) -> None:
        if self.tiling is None:
            self._watch(name)

    def _watch(self, name: str | None) -> None:
        """Preview ``name`` as a read-only watcher (no input reaches it)."""
        if self.preview is not None:
            self.preview.close()
            self.preview = None
        view = self.browser.preview
        if name is None:
            view.model, view.note = None, ""
            self.browser.preview_box.set_title("preview")
        else:
            size = self.sizes.get(name) or (24, 80)
            self.preview = Watch(self.loop, self.directory, name, False, size, self._changed)
            view.model, view.note = self.preview.model, ""
            self.browser.preview_box.set_title(f"{name} (watching)")
            self.preview.start()
        view.changed()

    def _changed(self, watch: Watch) -> None:
        if watch is self.preview:
            view = self.browser.preview
            view.note = f"session {watch.name}: {watch.reason}" if watch.state == "ended" else ""
            view.changed()

    def _close_watches(self) -> None:
        if self.preview is not None:
            self.preview.close()
            self.preview = None
        if self.tiling is not None:
            self.tiling.close()

    # -- keys ----------------------------------------------------------------

    def _key(self, key: Any) -> bool | None:
        if not isinstance(key, str):
            return None  # a mouse event nobody took
        if self.browser.filtering:
            if key in ("enter", "esc"):
                if key == "esc":
                    self.browser.filter_edit.set_edit_text("")
                self.browser.end_filter()
            return True
        self.browser.keys()
        name = self.browser.current
        actions = {"q": self.quit, "Q": self.quit, "ctrl c": self.quit, "?": self.help,
                   "n": self.new, "/": lambda: self.browser.start_filter(self.filter),
                   "t": lambda: self.tile(self._tile_names()), "ctrl z": self.suspend,
                   "a": self.sort}
        if key in actions:
            actions[key]()
        elif name is not None and key in ("enter", "r", "k", " "):
            {"enter": self.attach, "r": self.rename, "k": self.kill, " ": self.mark}[key](name)
        return True

    def sort(self) -> None:
        self.by_attention = not self.by_attention
        self.say("the sessions that need you first" if self.by_attention else "by name")
        self._show()

    def _filtered(self, *args: Any) -> None:
        self.filter = self.browser.filter_edit.edit_text
        self._show()

    def _dialog(self, text: str, done: Any, edit: str | None = None,
                confirm: bool = False) -> None:
        cols, rows = self.screen.get_cols_rows()
        width = min(cols - 2, max(len(line) for line in text.splitlines()) + 2)
        lines = sum(max(1, -(-len(line) // (width - 2))) for line in text.splitlines())
        lines += 2 if edit is not None else 0

        def finish(answer: str | None) -> None:
            self.top._w = self.browser
            done(answer)

        dialog = Dialog(text, finish, edit, confirm)
        self.top._w = overlay(dialog, self.browser, max(width, 30), min(rows, lines + 2))

    def quit(self) -> None:
        raise urwid.ExitMainLoop()

    def help(self) -> None:
        self._dialog(HELP, lambda answer: None)

    def mark(self, name: str) -> None:
        self.marked ^= {name}
        self._show()
        self.browser.listbox.keypress((1, 1), "down")

    def suspend(self) -> None:
        with self.paused():
            os.kill(os.getpid(), signal.SIGSTOP)  # the shell's job control takes over

    # -- actions -------------------------------------------------------------

    def say(self, text: str, error: bool = False) -> None:
        self.browser.say(text, error)

    def _request(self, name: str, msg: dict[str, Any]) -> bool:
        ok = control.request(self.directory, name, msg)
        self.poller.now()
        return ok

    def attach(self, name: str, force: bool = False) -> None:
        """The terminal becomes the session's, as ``reconnect`` would; back here after."""
        snap = self.snapshots.get(name)
        if snap and snap.status.get("connected") and not force:
            self._dialog(f"Session {name} is connected somewhere else.\n"
                         "Take it over? (y/n)",
                         lambda a: self.attach(name, True) if a else None, confirm=True)
            return
        self._close_watches()
        signaller = Signaller(self.directory, "sessview", detach_key=self.detach_key,
                              tell_takeover=True)
        error = ""
        with self.paused():
            try:
                code = steer(signaller, name, first=True, mode="rw", force=force)
            except SessError as e:
                code, error = e.code, e.message
        self.poller.now()
        if error:
            self.say(f"session {name}: {error}", error=True)
        else:
            self.say(f"back from session {name}" + (f" (status {code})" if code else ""))
        self._watch(name)

    def new(self) -> None:
        cols, rows = self.screen.get_cols_rows()
        try:
            self.want = control.new_session(rows, cols)
        except SessError as e:
            self.say(e.message, error=True)
            return
        self.say(f"started session {self.want}")
        self.poller.now()

    def rename(self, name: str) -> None:
        snap = self.snapshots.get(name)
        old = str(snap.status.get("longname") or "") if snap else ""

        def done(text: str | None) -> None:
            if text is not None:
                ok = self._request(name, control_protocol.setname(text))
                self.say(f"session {name} is named: {text}" if ok
                         else f"session {name} refuses to be named", error=not ok)

        self._dialog(f"Long name for session {name} (Enter sets it, Esc leaves it):", done, old)

    def kill(self, name: str) -> None:
        if name == os.environ.get("PTY"):
            self.say(f"session {name} is the one sessview runs in: not killed", error=True)
            return
        snap = self.snapshots.get(name)
        what = f" ({snap.command})" if snap and snap.command else ""

        def done(answer: str | None) -> None:
            if answer:
                ok = self._request(name, control_protocol.kill())
                self.say(f"killed session {name}" if ok else f"session {name} refuses to die",
                         error=not ok)

        self._dialog(f"Kill session {name}{what}? Its programs get a hangup. (y/n)", done,
                     confirm=True)

    # -- tiles ---------------------------------------------------------------

    def _tile_names(self) -> list[str]:
        listed = [s.name for s in self._listed()]
        return ([n for n in listed if n in self.marked] or listed)[:MAX_TILES]

    def tile(self, names: list[str]) -> None:
        if not names:
            self.say("no sessions to tile", error=True)
            return
        self._close_watches()
        self.tiling = Tiling(self.loop, self.directory, names, self.colors, self.sizes,
                             self.snapshots, self.untile)
        self.top._w = self.tiling.grid

    def untile(self) -> None:
        if self.tiling is not None:
            self.tiling.close()
            self.tiling = None
        self.top._w = self.browser
        self._watch(self.browser.current)
