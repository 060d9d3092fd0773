"""One module per console script, and what they share.

Modules (this file imports none of them: importing the package costs nothing):

* :mod:`~sessmux.commands.cli` -- option parsing and the error contract every command shares
* :mod:`~sessmux.commands.disconnect` --
  ``disconnect``: disconnect a session, synchronously (pty 4.0)
* :mod:`~sessmux.commands.menu_prompt` -- sessmenu's prompt, asked with prompt-toolkit (I/O)
* :mod:`~sessmux.commands.reconnect` --
  ``reconnect``: set where this connection goes when its session is done
* :mod:`~sessmux.commands.rezume` --
  ``rezume``: connect to a session on another host that survives network drops
* :mod:`~sessmux.commands.sess` -- ``sess``: start a session and connect to it (pty 4.0 ``pty -s``)
* :mod:`~sessmux.commands.sesskill` --
  ``sesskill``: end a session at once; its program gets a HUP (pty 4.0)
* :mod:`~sessmux.commands.sesswait` --
  ``sesswait``: block until a session's program ends, waits for input, ...
* :mod:`~sessmux.commands.sesslist` --
  ``sesslist``: one line per session of this user (pty 4.0 format)
* :mod:`~sessmux.commands.sesslog` --
  ``sesslog``: a session's journal, raw, as plain lines, found, or as asciicast
* :mod:`~sessmux.commands.sessmenu` --
  ``sessmenu``: at login, offer the user's disconnected sessions (pty 4.0)
* :mod:`~sessmux.commands.sessmux` -- ``sessmux``: named sessions with AccuTerm atsr's options
* :mod:`~sessmux.commands.sessmux_options` -- sessmux's (atsr's) options read into values
* :mod:`~sessmux.commands.sessname` -- ``sessname``: show or set a session's long name (pty 4.0)
* :mod:`~sessmux.commands.sessview` --
  ``sessview``: a full-screen browser and tiled view of your sessions
* :mod:`~sessmux.commands.sesswhere` --
  ``sesswhere``: where each session on this system is connected from
* :mod:`~sessmux.commands.sesswho` --
  ``sesswho``: the sessions of every user on this system (pty 4.0 format)

Each command is ``main(argv=None) -> int``; the launchers end with
:func:`sessmux.commands.cli.leave`.  The top layer: may import any other.
"""
