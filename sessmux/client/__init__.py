"""The user's side of a session's socket.

Modules (this file imports none of them: importing the package costs nothing):

* :mod:`~sessmux.client.channel` -- talking to masters: one request, or a status query of many (I/O)
* :mod:`~sessmux.client.signaller` --
  the process the user's shell waits on, one per connection (I/O)

Imports :mod:`sessmux.system` and :mod:`sessmux.core`; never
:mod:`sessmux.master` or :mod:`sessmux.remote`.
"""
