"""The browser's widgets: the session list, the preview, dialogs and help.

No I/O: these widgets only show what :mod:`~sessmux.sessview.app` gives
them and hand keys back to it.  The list is on the left, two lines per
session (:func:`~sessmux.sessview.info.describe`); the preview of the
selected session on the right is a :class:`~sessmux.sessview.widget.ScreenView`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import urwid

from sessmux.sessview.widget import ScreenView, Size, box

PALETTE = [
    ("header", "black", "light gray"),
    ("footer", "black", "light gray"),
    ("key", "dark blue,bold", "light gray"),
    ("selected", "black", "dark cyan"),
    ("selected title", "black,bold", "dark cyan"),
    ("marked", "yellow,bold", "default"),
    ("attention", "light red,bold", "default"),
    ("dim", "dark gray", "default"),
    ("title", "bold", "default"),
    ("tile", "dark gray", "default"),
    ("tile focus", "light green,bold", "default"),
    ("dialog", "black", "light gray"),
    ("error", "light red,bold", "default"),
]
MIN_COLS, MIN_ROWS = 40, 10
KEYS = [("Enter", "attach"), ("n", "new"), ("r", "rename"), ("k", "kill"), ("/", "filter"),
        ("space", "mark"), ("t", "tile"), ("a", "sort"), ("?", "help"), ("q", "quit")]
HELP = """sessview: your sessions, live

Enter      attach this terminal to the selected session (as reconnect
           does); leave it with `disconnect` (or the detach key given
           with -e) and you are back here
n          start a new session (your shell), disconnected
r          set the selected session's long name (as sessname)
k          kill the selected session, after you confirm (as sesskill)
/          filter by name, long name or command; Esc clears it
space      mark a session for tiling
t          tile the marked sessions (or all listed ones)
a          list the sessions that need you first (! waiting for input,
           ended, rang or notified while away), or by name again
up, down   select; the mouse selects too
q          quit

In tiles, keys go to the focused tile, which is the session's read-write
connection (it takes over from anywhere else); the others only watch.
  ^B o, ^B arrows, ^B 1-9   move the focus        ^B d   back to the list
  ^B ^B                     send ^B               click  focus a tile

Press any key to close this help."""


def grouped(items: list[urwid.Widget], groups: list[tuple[str, int]]) -> list[urwid.Widget]:
    """``items`` with a title row before each group's run of them."""
    out: list[urwid.Widget] = []
    at = 0
    for title, count in groups:
        out.append(urwid.Text(("title", title), wrap="clip"))
        out += items[at : at + count]
        at += count
    return out


def footer_markup(pairs: list[tuple[str, str]]) -> list[tuple[str, str] | str]:
    """``Enter attach  n new ...`` with the keys highlighted."""
    markup: list[tuple[str, str] | str] = []
    for key, what in pairs:
        markup += [("key", key), f" {what}  "]
    return markup


class SessionItem(urwid.WidgetWrap[Any]):
    """Two lines about one session; selectable, so the list (and a click) selects it."""

    def __init__(self, name: str, first: str, second: str, marked: bool,
                 attention: bool = False) -> None:
        self.name = name
        # "!" a session that needs its user (sessmux.core.happened.attention).
        mark = ("marked", "* ") if marked else ("attention", "! ") if attention else "  "
        text = urwid.Text([mark, ("title", first), "\n    ", ("dim", second)], wrap="clip")
        focused: dict[Hashable, Hashable] = {
            None: "selected", "title": "selected title", "dim": "selected",
            "marked": "selected title", "attention": "selected title"}
        super().__init__(urwid.AttrMap(text, None, focus_map=focused))

    def selectable(self) -> bool:
        return True

    def keypress(self, size: Size, key: str) -> str | None:
        return key


class Browser(urwid.WidgetWrap[Any]):
    """List and preview side by side, a header and a footer (keys, messages, the filter)."""

    def __init__(self, colors: int, selected: Callable[[str | None], None]) -> None:
        self.walker: urwid.SimpleFocusListWalker[Any] = urwid.SimpleFocusListWalker([])
        self.listbox = urwid.ListBox(self.walker)
        self.preview = ScreenView(colors=colors, selectable=False)
        self.preview_box = urwid.LineBox(self.preview, title="preview", title_align="left")
        self.list_box = urwid.LineBox(self.listbox, title="sessions", title_align="left")
        body = urwid.Columns([("weight", 2, self.list_box), ("weight", 3, self.preview_box)])
        self.header = urwid.Text("", wrap="clip")
        self.footer = urwid.Text(footer_markup(KEYS), wrap="clip")
        self.filter_edit = urwid.Edit("/")
        self.frame: urwid.Frame[Any, Any, Any] = urwid.Frame(
            body, urwid.AttrMap(self.header, "header"), urwid.AttrMap(self.footer, "footer"))
        self.selected = selected
        self.shown: list[tuple[str, str, str, bool, bool]] = []
        self.shown_all = True  # no filter hides a session
        self.groups: list[tuple[str, int]] | None = None
        urwid.connect_signal(self.walker, "modified", self._moved)
        super().__init__(self.frame)

    @property
    def current(self) -> str | None:
        """The selected session's name."""
        focus = self.walker.get_focus()[0] if len(self.walker) else None
        return focus.name if isinstance(focus, SessionItem) else None

    def show(self, entries: list[tuple[str, str, str, bool, bool]], header: str,
             everything: bool = True, groups: list[tuple[str, int]] | None = None) -> None:
        """Replace the list (name, two lines, marked, attention), keeping the selection.

        ``groups``: the entries come in runs, each under a title (sessions
        by host): (title, how many entries), in order.
        """
        self.header.set_text(header)
        self.shown_all = everything
        if entries == self.shown and groups == self.groups:
            return
        self.shown = list(entries)
        self.groups = groups
        keep = self.current
        items: list[urwid.Widget] = [SessionItem(*e) for e in entries]
        if groups:
            items = grouped(items, groups)
        names = [item.name if isinstance(item, SessionItem) else None for item in items]
        urwid.disconnect_signal(self.walker, "modified", self._moved)
        self.walker[:] = items
        if entries:
            first = next(i for i, n in enumerate(names) if n is not None)
            self.walker.set_focus(names.index(keep) if keep in names else first)
        urwid.connect_signal(self.walker, "modified", self._moved)
        if self.current != keep:
            self.selected(self.current)
        if not entries and not groups:
            self.walker[:] = [urwid.Text(("dim", "  no sessions" if self.shown_all
                                          else "  no session matches"))]

    def _moved(self) -> None:
        self.selected(self.current)

    def say(self, text: str, error: bool = False) -> None:
        """A message in the footer instead of the keys, until :meth:`keys`."""
        self.footer.set_text(("error", text) if error else text)

    def keys(self) -> None:
        self.footer.set_text(footer_markup(KEYS))

    def start_filter(self, text: str) -> None:
        self.filter_edit.set_edit_text(text)
        self.filter_edit.set_edit_pos(len(text))
        self.frame.footer = urwid.AttrMap(self.filter_edit, "footer")
        self.frame.focus_position = "footer"

    def end_filter(self) -> None:
        self.frame.footer = urwid.AttrMap(self.footer, "footer")
        self.frame.focus_position = "body"

    @property
    def filtering(self) -> bool:
        return self.frame.focus_position == "footer"


class Dialog(urwid.WidgetWrap[Any]):
    """A small box over the view: a question (y/n), a line to edit, or text to read."""

    def __init__(self, text: str, done: Callable[[str | None], None], edit: str | None = None,
                 confirm: bool = False) -> None:
        self.done = done
        self.confirm = confirm
        self.edit = urwid.Edit("", edit or "") if edit is not None else None
        parts: list[urwid.Widget] = [urwid.Text(text)]
        if self.edit is not None:
            parts += [urwid.Divider(), urwid.AttrMap(self.edit, "selected")]
        pile = urwid.Pile(parts)
        if self.edit is not None:
            pile.focus_position = len(parts) - 1
        super().__init__(urwid.AttrMap(urwid.LineBox(urwid.Filler(pile, "top")), "dialog"))

    def selectable(self) -> bool:
        return True  # it takes every key while it is shown

    def keypress(self, size: Size, key: str) -> str | None:
        if self.confirm:
            self.done("y" if key in ("y", "Y") else None)
        elif self.edit is None:
            self.done(None)
        elif key == "enter":
            self.done(self.edit.edit_text)
        elif key == "esc":
            self.done(None)
        else:
            self.edit.keypress((max(1, size[0] - 2),) if size else (40,), key)
        return None


def overlay(dialog: urwid.Widget, base: urwid.Widget, width: int, height: int,
            ) -> urwid.Overlay[Any, Any]:
    """``dialog`` centred over ``base``."""
    return urwid.Overlay(dialog, base, "center", width, "middle", height)


class MinSize(urwid.WidgetWrap[Any]):
    """Shows its widget, or a note when the terminal has become too small for it."""

    def render(self, size: Size, focus: bool = False) -> urwid.Canvas:
        cols, rows = box(size)
        if cols < MIN_COLS or rows < MIN_ROWS:
            note = urwid.Filler(urwid.Text("terminal too small for sessview", "center"))
            return note.render((cols, rows), focus)
        return super().render(size, focus)
