"""The master's screen view: fed against the clock, silent where a terminal answered,
rebuilt after a failure (issue 12).  Pure: a ring, a view and a fake clock."""

from __future__ import annotations

from sessmux.core.ring import Ring
from sessmux.core.view import SLICE, Answered, View


class Clock:
    """A clock that moves ``tick`` seconds each time it is read."""

    def __init__(self, tick: float) -> None:
        self.now, self.tick = 0.0, tick

    def __call__(self) -> float:
        self.now += self.tick
        return self.now


def view(tick: float = 0.0, rows: int = 4, cols: int = 20) -> tuple[View, list[bytes], list[str]]:
    replies: list[bytes] = []
    logged: list[str] = []
    return View(rows, cols, replies.append, Answered(), logged.append, Clock(tick)), replies, logged


def test_an_idle_step_stops_when_its_time_is_up() -> None:
    v, _, _ = view(tick=1.0)  # every look at the clock: a second later
    ring = Ring(1 << 20)
    ring.append(b"x" * 10000)
    v.step(ring)
    assert v.fed == SLICE  # one slice, then the clock said stop
    v.step(ring, seconds=1e9)
    assert v.fed == ring.end


def test_queries_a_terminal_was_shown_are_not_answered_again() -> None:
    v, replies, _ = view()
    ring = Ring(1 << 20)
    ring.append(b"detached \x1b[c ")
    shown = ring.end
    ring.append(b"attached \x1b[c \x1b[6n ")  # a terminal answered these itself
    v.answered.add(shown, ring.end)
    ring.append(b"detached again \x1b[5n")
    v.catch_up(ring)
    assert replies == [b"\x1b[?62;22c", b"\x1b[0n"]


def test_a_query_cut_off_by_a_detach_is_answered() -> None:
    answered = Answered()
    answered.add(0, 100)
    answered.cut(40)  # the terminal had only 40 bytes when it left
    assert answered.split(30, 100) == (True, 40)
    assert answered.split(40, 100) == (False, 100)


def test_a_failing_model_is_rebuilt_and_the_session_goes_on() -> None:
    v, replies, logged = view()
    ring = Ring(1 << 20)
    ring.append(b"first line\x1b[c")
    v.catch_up(ring)
    assert replies == [b"\x1b[?62;22c"]

    def broken() -> None:
        raise RuntimeError("model bug")

    v.model.screen.linefeed = broken  # type: ignore[method-assign]  # a bug, injected
    ring.append(b"\nsecond")
    v.catch_up(ring)  # does not raise
    assert any("rebuilding" in line and "model bug" in line for line in logged)
    # The new model was given the output before the failure again, silently:
    # the query in it is not answered twice.
    assert replies == [b"\x1b[?62;22c"]
    assert v.model.screen.display[0].startswith("first line")
    assert v.model.screen.display[1] == "          second    "
    ring.append(b"\r\nthird")
    v.catch_up(ring)
    assert v.model.screen.display[2].startswith("third")
    assert v.screen()  # and it paints


def test_catching_up_too_slowly_models_only_the_newest_output() -> None:
    v, _, logged = view(tick=0.03)
    ring = Ring(1 << 20)
    ring.append(b"old\r\n" * 100000 + b"\x1b[H\x1b[2Jnewest screen")
    v.catch_up(ring)
    assert v.fed == ring.end
    assert v.model.screen.display[0].startswith("newest screen")
    assert any("skipping" in line for line in logged)  # the clock allowed only a few slices
