"""The per-session daemon, and how one is born.

Modules (this file imports none of them: importing the package costs nothing):

* :mod:`~sessmux.master.loop` -- the master: one daemon per session, its event loop (I/O)
* :mod:`~sessmux.master.clients` -- accepting connections and reading their requests (I/O)
* :mod:`~sessmux.master.requests` -- what the master does with each request (I/O through it)
* :mod:`~sessmux.master.datapath` -- program output to terminals, keys to the program (I/O)
* :mod:`~sessmux.master.ending` -- a connection detached or dropped (I/O)
* :mod:`~sessmux.master.journal` -- the journal writer: every chunk of output on disk (I/O)
* :mod:`~sessmux.master.connection` -- one client of a master: its socket and data fds (I/O)
* :mod:`~sessmux.master.spawn` -- starting a session, on the tool's side (I/O)
* :mod:`~sessmux.master.forkserver` -- new masters forked from one warm process (I/O)
* :mod:`~sessmux.master.newmaster` -- a new session's plan, and how its master sets up (I/O)

Inside, imports run loop -> clients -> requests -> datapath -> ending ->
connection; each of them also names :class:`~sessmux.master.loop.Master`
for its types only (the one circle, type-only).  Imports
:mod:`sessmux.system` and :mod:`sessmux.core`; never :mod:`sessmux.client`
or :mod:`sessmux.remote`.
"""
