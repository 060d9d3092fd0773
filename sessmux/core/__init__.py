"""The pure core: values in, values out; no fds, no clock, no environment.

Modules (this file imports none of them: importing the package costs nothing):

* :mod:`~sessmux.core.control_protocol` --
  frames between the tools, the signallers and a master (pure)
* :mod:`~sessmux.core.errors` -- every exception and exit code (pure)
* :mod:`~sessmux.core.events_scan` --
  bells, prompt marks and notifications in a session's output (pure)
* :mod:`~sessmux.core.happened` -- a session's events and state, in words (pure)
* :mod:`~sessmux.core.hostlist` -- the hosts file; ``sesslist --json`` written and checked (pure)
* :mod:`~sessmux.core.journal_format` --
  the journal's records, plain lines and asciicast timing made of them (pure)
* :mod:`~sessmux.core.jsonframe` -- JSON for frame bodies without the json package (pure)
* :mod:`~sessmux.core.names` -- session names: validation, auto-assignment, safe display (pure)
* :mod:`~sessmux.core.render` -- repaints a real terminal from a screen model (pure)
* :mod:`~sessmux.core.resume_protocol` --
  byte-exact resume frames between rezume and a master (pure)
* :mod:`~sessmux.core.ring` -- the replay buffer, by absolute offset (pure)
* :mod:`~sessmux.core.screen` -- the screen model, a pyte screen that never raises (pure)
* :mod:`~sessmux.core.tmuxlike` -- where pyte and tmux disagree, what tmux does (pure)
* :mod:`~sessmux.core.view` -- the master's lazy picture of a session's screen (pure)
* :mod:`~sessmux.core.vtcodes` -- what escape sequences call, and how their numbers read (pure)
* :mod:`~sessmux.core.vtparse` -- a tolerant escape-sequence parser (pure)

Nothing here touches a descriptor: every module can be tested without a pty.
Imports only the standard library, pyte and each other.
"""
