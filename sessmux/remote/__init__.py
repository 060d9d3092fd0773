"""Sessions on other hosts, over ssh: rezume, and many hosts in one list.

Modules (this file imports none of them: importing the package costs nothing):

* :mod:`~sessmux.remote.hosts` -- many hosts' sessions at once, over shared ssh connections (I/O)
* :mod:`~sessmux.remote.outage` -- the outage display, and what it must know of the output (pure)
* :mod:`~sessmux.remote.snapshot` -- the newest lines of a session on another host (I/O)
* :mod:`~sessmux.remote.rezume` -- the rezume client: relaying, keepalives, reconnecting (I/O)
* :mod:`~sessmux.remote.display` -- the terminal: the session's output, the outage over it (I/O)
* :mod:`~sessmux.remote.escapes` -- ssh-like escapes in the keys typed (Enter ~ .) (pure)
* :mod:`~sessmux.remote.link` -- one ssh process and the frames on its pipes (I/O)

Imports :mod:`sessmux.system` and :mod:`sessmux.core`; never
:mod:`sessmux.master` or :mod:`sessmux.client`.
"""
