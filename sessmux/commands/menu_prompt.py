"""sessmenu's question on a real terminal, asked with prompt-toolkit.

Does I/O on the terminal (through prompt-toolkit).  Kept apart from
:mod:`sessmux.commands.sessmenu` so that a login on a dumb terminal or a
raw network connection never imports prompt-toolkit.  Tab completes
session names, the arrow keys go through them (they are the history, the
most recently disconnected first), and a bottom toolbar shows the long
names.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from prompt_toolkit import PromptSession
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.completion import WordCompleter
from prompt_toolkit.history import InMemoryHistory

from sessmux.core.names import visible


def toolbar_text(names: Sequence[str], longnames: Mapping[str, str]) -> str:
    """``Tab completes, arrows browse:  ra "paper.3"  p7`` (control characters visible)."""
    shown = [f'{n} "{visible(longnames[n])}"' if longnames.get(n) else n for n in names]
    return " Tab completes, arrows browse:  " + "  ".join(shown)


def ask(
    message: str, names: Sequence[str], longnames: Mapping[str, str],
    timeout: float | None = None,
) -> str | None:
    """What the user typed; None for EOF (^D), ^C, or no key for ``timeout`` seconds."""
    history = InMemoryHistory()
    for name in names:  # the last one appended is the first the up arrow gives
        history.append_string(name)
    session: PromptSession[str] = PromptSession(
        history=history,
        completer=WordCompleter(list(names)),
        complete_while_typing=True,
        bottom_toolbar=toolbar_text(names, longnames),
    )
    try:
        return asyncio.run(_ask(session, message, timeout))
    except (EOFError, KeyboardInterrupt):
        return None


async def _ask(session: PromptSession[str], message: str, timeout: float | None) -> str:
    loop = asyncio.get_running_loop()
    timer: list[asyncio.TimerHandle] = []

    def expire() -> None:
        if session.app.is_running:
            session.app.exit(exception=EOFError())

    def arm(_: Buffer | None = None) -> None:
        # No key for `timeout` seconds: an unattended login goes on (--timeout).
        if timeout is None:
            return
        for handle in timer:
            handle.cancel()
        timer[:] = [loop.call_later(timeout, expire)]

    session.default_buffer.on_text_changed += arm
    return await session.prompt_async(message, pre_run=arm)
