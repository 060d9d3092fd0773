"""The tiles' connections: one read-write session, the others watched.

Does I/O through :class:`~sessmux.sessview.watch.Watch`.  The focused tile
is the session's read-write connection (it takes over from wherever the
session was connected, as ``sessmux -f`` does): keys typed go to it, and
its size follows the tile.  The other tiles are read-only watchers sized
like their sessions.  ``^B`` then a key moves the focus, and the session
left behind becomes a watched one again.
"""

from __future__ import annotations

from collections.abc import Callable

from sessmux.core.screen import DECCKM
from sessmux.sessview.keys import key_bytes
from sessmux.sessview.poll import Snapshot
from sessmux.sessview.tiles import Tile, TileGrid
from sessmux.sessview.watch import Loop, Watch
from sessmux.sessview.widget import ScreenView

PREFIX = "ctrl b"  # tmux's
MOVES = {"up": (0, -1), "down": (0, 1), "left": (-1, 0), "right": (1, 0)}


class Tiling:
    """The sessions ``names`` in a grid; :attr:`grid` is the widget to show."""

    def __init__(self, loop: Loop, directory: str, names: list[str], colors: int,
                 sizes: dict[str, tuple[int, int]], snapshots: dict[str, Snapshot],
                 leave: Callable[[], None]) -> None:
        self.loop = loop
        self.directory = directory
        self.names = names
        self.sizes = sizes
        self.snapshots = snapshots
        self.leave = leave
        self.views = [ScreenView(colors=colors, resized=self._resizer(i))
                      for i in range(len(names))]
        self.tiles = [Tile(v, self._clicker(i)) for i, v in enumerate(self.views)]
        self.grid = TileGrid(self.tiles, self.key)
        self.watches: list[Watch | None] = [None] * len(names)
        self.focus = 0
        self.prefix = False
        for i in range(len(names)):
            self._connect(i)

    def _resizer(self, i: int) -> Callable[[int, int], None]:
        def resized(rows: int, cols: int) -> None:
            watch = self.watches[i]
            if watch is not None and watch.writer and watch.model.size != (rows, cols):
                # Attach again at the new size rather than send a winsize: the
                # master resizes before it repaints an attaching connection, so
                # the repaint and the model agree (output already on its way was
                # painted at the old size and would smear a resized model).
                self._connect(i)
        return resized

    def _clicker(self, i: int) -> Callable[[], None]:
        return lambda: self.move_to(i)

    def _writable(self, i: int) -> bool:
        """Focused, and with a program still running (a read-write attach ends an exited one)."""
        snap = self.snapshots.get(self.names[i])
        return i == self.focus and not (snap and snap.status.get("exited") is not None)

    def _connect(self, i: int) -> None:
        old = self.watches[i]
        if old is not None:
            self.sizes[self.names[i]] = old.model.size
            old.close()
        writer = self._writable(i)
        view = self.views[i]
        name = self.names[i]
        # A read-write tile makes its session its own size; a watcher takes the session's.
        size = (view.size if writer and view.size else None) or self.sizes.get(name) or (24, 80)
        watch = Watch(self.loop, self.directory, name, writer, size, self._changed)
        self.watches[i] = watch
        view.model, view.note = watch.model, ""
        view.real_cursor = writer
        self._title(i)
        watch.start(force=writer)
        view.changed()

    def _title(self, i: int) -> None:
        watch = self.watches[i]
        name = self.names[i]
        snap = self.snapshots.get(name)
        what = "read-write" if watch is not None and watch.writer else "watching"
        if snap and snap.status.get("exited") is not None:
            what = f"exited {snap.status['exited']}, watching"
        if watch is not None and watch.state == "ended":
            what = watch.reason
        longname = str(snap.status.get("longname") or "") if snap else ""
        title = f"{i + 1}: {name}" + (f" {longname}" if longname else "") + f" ({what})"
        self.tiles[i].set_title(title, i == self.focus)

    def _changed(self, watch: Watch) -> None:
        if watch not in self.watches:
            return
        i = self.watches.index(watch)
        view = self.views[i]
        if watch.state == "ended":
            view.note = f"session {watch.name}: {watch.reason}"
            self._title(i)
        view.changed()

    def update(self, snapshots: dict[str, Snapshot]) -> None:
        """A new survey: titles, and watchers follow sessions resized elsewhere."""
        self.snapshots = snapshots
        for i, name in enumerate(self.names):
            watch = self.watches[i]
            snap = snapshots.get(name)
            if (watch is not None and not watch.writer and watch.state == "live" and snap
                    and snap.size and snap.size != watch.model.size):
                self.sizes[name] = snap.size
                self._connect(i)
            self._title(i)

    def close(self) -> None:
        for watch in self.watches:
            if watch is not None:
                watch.close()
        self.watches = [None] * len(self.names)

    # -- keys and focus ------------------------------------------------------

    def key(self, key: str) -> None:
        if self.prefix:
            self.prefix = False
            self.grid.say("")
            self._command(key)
            return
        if key == PREFIX:
            self.prefix = True
            self.grid.say("^B: o next, arrows move, 1-9 tile, d back to the list, ^B sends ^B")
            return
        self.send(key)

    def send(self, key: str) -> None:
        watch = self.watches[self.focus]
        if watch is None or not watch.writer:
            return
        data = key_bytes(key, application=DECCKM in watch.model.screen.mode)
        if data is not None:
            watch.send(data)

    def _command(self, key: str) -> None:
        count = len(self.names)
        if key in ("d", "q", "esc"):
            self.leave()
        elif key == PREFIX:
            self.send(key)
        elif key in ("o", "n", "tab", " "):
            self.move_to((self.focus + 1) % count)
        elif key == "p":
            self.move_to((self.focus - 1) % count)
        elif key.isdigit() and 1 <= int(key) <= count:
            self.move_to(int(key) - 1)
        elif key in MOVES and self.grid.shape is not None:
            across, _ = self.grid.shape
            dx, dy = MOVES[key]
            x, y = self.focus % across + dx, self.focus // across + dy
            target = y * across + x
            if 0 <= x < across and 0 <= target < count:
                self.move_to(target)

    def move_to(self, i: int) -> None:
        """Focus tile ``i``: it takes over read-write, the old focus goes back to watching."""
        if i == self.focus:
            return
        old, self.focus = self.focus, i
        self._connect(old)
        self._connect(i)
        self.grid._invalidate()


