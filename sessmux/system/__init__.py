"""Thin wrappers over the operating system, with no session policy.

Modules (this file imports none of them: importing the package costs nothing):

* :mod:`~sessmux.system.journal` --
  a session's journal directory, reading it by offset (I/O)
* :mod:`~sessmux.system.paths` -- the per-user session directory (I/O; candidate pure)
* :mod:`~sessmux.system.procstate` --
  whether a pty's foreground group waits to read it, from /proc (I/O)
* :mod:`~sessmux.system.proctable` --
  the processes on one terminal, ``ps u`` style (I/O; format_row pure)
* :mod:`~sessmux.system.registry` -- the system-wide record of sessions (I/O)
* :mod:`~sessmux.system.registry_entry` -- a session's own entry, kept by its master (I/O)
* :mod:`~sessmux.system.settings` -- the administrator's settings file (I/O)
* :mod:`~sessmux.system.signals` -- signals as a readable fd or as an unwind (I/O)
* :mod:`~sessmux.system.ttyio` -- terminal modes, window size, fd flags (I/O)
* :mod:`~sessmux.system.unix` -- Unix-domain sockets without the socket module (I/O)
* :mod:`~sessmux.system.usage` -- CPU and memory of a process tree, via psutil (I/O)
* :mod:`~sessmux.system.utmp` -- login records (I/O)

Imports only :mod:`sessmux.core` below it.
"""
