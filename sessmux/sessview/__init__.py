"""sessview: a full-screen browser and tiled view of a user's sessions (urwid).

Every picture here is a real connection to a real master: the preview and
the unfocused tiles are read-only watchers, the focused tile is the
read-write connection.  Modules:

* :mod:`~sessmux.sessview.colours` -- pyte colours to urwid's (pure)
* :mod:`~sessmux.sessview.keys` -- urwid key names to the bytes a terminal sends (pure)
* :mod:`~sessmux.sessview.typeahead` -- urwid's screen, keeping the keys typed as it starts (I/O)
* :mod:`~sessmux.sessview.widget` -- a urwid widget drawing a screen model (pure)
* :mod:`~sessmux.sessview.watch` -- one connection to a master (I/O)
* :mod:`~sessmux.sessview.info` -- what the list says of a session (reads ``/proc``)
* :mod:`~sessmux.sessview.poll` -- the masters' status, surveyed in a thread (I/O)
* :mod:`~sessmux.sessview.control` -- new session, long name, kill (I/O)
* :mod:`~sessmux.sessview.browser`, :mod:`~sessmux.sessview.tiles` -- the two views' widgets
* :mod:`~sessmux.sessview.tiling` -- the tiles' connections and focus (I/O)
* :mod:`~sessmux.sessview.app` -- the main loop that ties them together (I/O)
* :mod:`~sessmux.sessview.hosts` -- ``--hosts``: other hosts' sessions, grouped by host (I/O)

urwid is imported only here, never by the master or the small tools.
"""
