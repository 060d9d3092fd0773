"""The per-session daemon, and how one is born.

Modules (this file imports none of them: importing the package costs nothing):

* :mod:`~sessmux.master.loop` -- the master: one daemon per session, its event loop (I/O)
* :mod:`~sessmux.master.polling` -- the loop's poll set: which fds it waits on, for what (I/O)
* :mod:`~sessmux.master.program` -- the session's program: reaped, continued, resized (I/O)
* :mod:`~sessmux.master.logfile` -- the master's -o log, which never harms the session (I/O)
* :mod:`~sessmux.master.hold` -- output kept, and the program held, for a resuming client (pure)
* :mod:`~sessmux.master.clients` -- accepting connections and reading their requests (I/O)
* :mod:`~sessmux.master.requests` -- what the master does with each request (I/O through it)
* :mod:`~sessmux.master.datapath` -- program output to terminals, keys to the program (I/O)
* :mod:`~sessmux.master.events` -- what happened in the session, whether it waits (I/O: /proc)
* :mod:`~sessmux.master.finish` -- how a session ends: last words, records, a lost socket (I/O)
* :mod:`~sessmux.master.ending` -- a connection detached or dropped (I/O)
* :mod:`~sessmux.master.journal` -- the journal writer: every chunk of output on disk (I/O)
* :mod:`~sessmux.master.connection` -- one client of a master: its socket and data fds (I/O)
* :mod:`~sessmux.master.spawn` -- starting a session, on the tool's side (I/O)
* :mod:`~sessmux.master.forkrequest` -- asking a fork server for a master, and its wire (I/O)
* :mod:`~sessmux.master.forkserver` -- new masters forked from one warm process (I/O)
* :mod:`~sessmux.master.newmaster` -- a new session's plan, and how its master sets up (I/O)

Inside, imports run loop -> clients -> requests -> datapath -> ending ->
connection, and loop -> finish -> datapath; polling, program, logfile
and hold import none of the others.  Each of them also names
:class:`~sessmux.master.loop.Master` for its types only (the one circle, type-only).  Imports
:mod:`sessmux.system` and :mod:`sessmux.core`; never :mod:`sessmux.client`
or :mod:`sessmux.remote`.
"""
