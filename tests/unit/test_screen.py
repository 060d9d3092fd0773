"""The screen model: tolerance, replies, alternate screen, modes, chunking."""

from __future__ import annotations

import pyte
import pytest

from sessmux.core.screen import BRACKETED_PASTE, DECCKM, FOCUS_EVENTS, ScreenModel, TerminalScreen


def model(rows: int = 4, cols: int = 20) -> tuple[ScreenModel, list[bytes]]:
    replies: list[bytes] = []
    return ScreenModel(rows, cols, replies=replies.append), replies


@pytest.mark.parametrize(
    "odd",
    [b"\x1b[?4m", b"\x1b[?996n", b"\x1b[?5;1r", b"\x1b[?1;2;3A", b"\x1b[>4;2m", b"\x1b[=5u",
     b"\x1b[<u", b"\x1b[?2026$p", b"\x1b[2 q", b"\x1b[1;2;3;4;5;6;7;8H", b"\x1b[99999999999X",
     b"\x1b[38:2::1:2:3m", b"\x1b[58:5:3m", b"\x1bP+q544e\x1b\\", b"\x1b_Gapc\x1b\\",
     b"\x1b]8;;http://x\x07", b"\x1b]777;notify;a;b\x1b\\", b"\x1b[\xff\xfe", b"\x9b1;2H",
     b"\x1b#8", b"\x1b%G", b"\x1b(Z", b"\x1b[;;;;;;;m", b"\x1b[1;2;3;4t", b"\x00\x7f\x1b\x1b"])
def test_odd_sequences_do_not_lose_the_rest_of_the_chunk(odd: bytes) -> None:
    m, _ = model()
    m.feed(b"\x1b[Hbefore " + odd + b"\x1b[2;1Hafter")
    assert m.screen.display[1].startswith("after")
    assert not m.screen.buffer[1][0].underscore  # >4;2m is not SGR 4
    if odd not in (b"\x1b[\xff\xfe", b"\x9b1;2H", b"\x1b#8"):  # these do draw something
        assert m.screen.display[0].rstrip() == "before"  # no parameters shown as text


def test_pyte_stream_with_private_kwargs_does_not_raise() -> None:
    """pyte's own stream passes private=True to handlers that do not take it."""
    screen = TerminalScreen(20, 3)
    stream = pyte.ByteStream(screen)
    stream.feed(b"\x1b[?4mA\x1b[?996nB\x1b[?5;1rC\x1b[?3AD\x1b[?1;2;3;4;5HE\x1b[1;2;3AF")
    assert screen.display[0].startswith("ABCDEF")


def test_dcs_and_apc_payloads_are_not_drawn() -> None:
    m, _ = model()
    m.feed(b"a\x1bP+q436f\x1b\\b\x1b_payload\x1b\\c\x1bXsos\x1b\\d")
    assert m.screen.display[0].startswith("abcd ")


def test_title_split_across_chunks() -> None:
    m, _ = model()
    for piece in (b"\x1b]", b"2;hel", b"lo \xe4\xb8", b"\xad\x1b", b"\\x"):
        m.feed(piece)
    assert m.screen.title == "hello 中"
    assert m.screen.display[0].startswith("x ")


def test_colon_sgr() -> None:
    m, _ = model()
    m.feed(b"\x1b[38:2::1:2:3;48:5:196;4:3mx\x1b[4:0my")
    x, y = m.screen.buffer[0][0], m.screen.buffer[0][1]
    assert (x.fg, x.bg, x.underscore) == ("010203", "ff0000", True)
    assert not y.underscore


def test_zero_width_joiners_and_variation_selectors_do_not_stop_drawing() -> None:
    m, _ = model()
    m.feed("❤️ ok 👨\u200d👩 end".encode())
    assert "ok" in m.screen.display[0] and "end" in m.screen.display[0]


def test_byte_at_a_time_equals_whole() -> None:
    data = ("\x1b[1;31m中文\x1b[0m\x1b]0;t\x07\x1b[?1049h\x1b[2;3Hé😀\x1b[?1049l"
            "\x1b[3;4r\x1b[4;1H\n\nx\x1bP1$r\x1b\\y").encode()
    whole, _ = model()
    whole.feed(data)
    split, _ = model()
    for i in range(len(data)):
        split.feed(data[i : i + 1])
    assert split.screen.display == whole.screen.display
    assert split.screen.buffer[0][0] == whole.screen.buffer[0][0]
    assert (split.screen.cursor.x, split.screen.cursor.y) == (whole.screen.cursor.x,
                                                              whole.screen.cursor.y)


# -- replies ------------------------------------------------------------------------


def test_cursor_position_report() -> None:
    m, replies = model()
    m.feed(b"\x1b[3;7Hx\x1b[6n")
    assert replies == [b"\x1b[3;8R"]


def test_cursor_position_report_in_origin_mode_and_pending_wrap() -> None:
    m, replies = model(4, 5)
    m.feed(b"\x1b[2;4r\x1b[?6h\x1b[2;1Habcde\x1b[6n")
    assert replies == [b"\x1b[2;5R"]


def test_status_and_device_attributes() -> None:
    m, replies = model()
    m.feed(b"\x1b[5n\x1b[c\x1b[>c\x1b[?996n\x1b[?6n")
    assert replies[0] == b"\x1b[0n"
    assert replies[1].startswith(b"\x1b[?") and replies[1].endswith(b"c")
    assert replies[2].startswith(b"\x1b[>") and replies[2].endswith(b"c")
    assert len(replies) == 3


def test_no_callback_no_error() -> None:
    m = ScreenModel(2, 5)
    m.feed(b"\x1b[6n\x1b[c")


# -- alternate screen -------------------------------------------------------------


def main_state(m: ScreenModel) -> tuple[object, ...]:
    s = m.screen
    cells = tuple(tuple(s.buffer[y][x] for x in range(s.columns)) for y in range(s.lines))
    return cells, s.cursor.x, s.cursor.y, s.cursor.attrs


def test_leaving_1049_restores_main_screen_and_cursor_exactly() -> None:
    m, _ = model()
    m.feed("\x1b[1;32mgreen\x1b[0m\r\n\x1b[7m中文\x1b[0m$ \x1b[4m".encode())
    before = main_state(m)
    m.feed(b"\x1b[?1049h\x1b[H\x1b[2J\x1b[41mALT\x1b[10;10H\x1b[0mscreen\x1b[?1049l")
    assert main_state(m) == before


@pytest.mark.parametrize("number", [47, 1047])
def test_47_and_1047_keep_main_screen(number: int) -> None:
    m, _ = model()
    m.feed(b"main")
    m.feed(f"\x1b[?{number}h\x1b[Halt".encode())
    assert m.screen.display[0].startswith("alt ")
    m.feed(f"\x1b[?{number}l".encode())
    assert m.screen.display[0].startswith("main")
    m.feed(f"\x1b[?{number}h".encode())
    assert m.screen.display[0].strip() == ""  # a new alternate screen starts blank, as in tmux


def test_resize_in_alt_screen_resizes_both() -> None:
    m, _ = model(4, 10)
    m.feed(b"main\x1b[?1049h\x1b[Halt")
    m.resize(3, 6)
    m.feed(b"\x1b[?1049l")
    assert m.screen.display == ["main  ", "      ", "      "]


def test_resize_drops_top_lines_only_to_keep_the_cursor() -> None:
    m, _ = model(4, 10)
    m.feed(b"one\r\ntwo")
    m.resize(2, 10)
    assert m.screen.display == ["one       ", "two       "]
    m.feed(b"\r\nthree\r\nfour")
    m.resize(1, 10)
    assert m.screen.display == ["four      "]


# -- modes ----------------------------------------------------------------------


def test_input_modes_are_tracked() -> None:
    m, _ = model()
    screen = m.screen
    m.feed(b"\x1b[?1h\x1b=\x1b[?2004h\x1b[?1004h\x1b[?1000h\x1b[?1006h\x1b[?25l")
    assert {DECCKM, BRACKETED_PASTE, FOCUS_EVENTS, 1006 << 5} <= screen.mode
    assert screen.application_keypad and screen.mouse_tracking == 1000 and screen.cursor.hidden
    m.feed(b"\x1b[?1003h")
    assert screen.mouse_tracking == 1003 and 1000 << 5 not in screen.mode
    m.feed(b"\x1b[?1002l\x1b>\x1b[?1l\x1b[?25h")
    assert screen.mouse_tracking == 0 and not screen.application_keypad
    assert DECCKM not in screen.mode and not screen.cursor.hidden


def test_decscnm_does_not_touch_cells() -> None:
    m, _ = model(2, 10)
    m.feed(b"\x1b[7mrev\x1b[0mplain\x1b[?5h\x1b[?5l")
    assert m.screen.buffer[0][0].reverse and not m.screen.buffer[0][3].reverse


def test_deccolm_clears_and_homes_but_keeps_the_width_and_region() -> None:
    # vttest's autowrap screen starts with ?3l: the previous screen's border must go.
    m, _ = model(6, 10)
    m.feed(b"border\x1b[2;5r\x1b[?6h\x1b[3;3Hx\x1b[?3l")
    assert m.screen.columns == 10
    assert m.screen.display == [" " * 10] * 6
    assert (m.screen.cursor.x, m.screen.cursor.y) == (0, 1)  # home of the region: origin mode
    assert m.screen.margins == (1, 4)


def test_ed3_clears_scrollback_only() -> None:
    m, _ = model(2, 5)
    m.feed(b"keep\x1b[3J")
    assert m.screen.display[0] == "keep "


def test_scroll_up_and_down_inside_region() -> None:
    m, _ = model(4, 3)
    m.feed(b"a\r\nb\r\nc\r\nd\x1b[2;3r\x1b[S")
    assert m.screen.display == ["a  ", "c  ", "   ", "d  "]
    m.feed(b"\x1b[2T")
    assert m.screen.display == ["a  ", "   ", "   ", "d  "]


def test_decsc_slot_is_reusable() -> None:
    m, _ = model()
    m.feed(b"\x1b[2;3H\x1b7\x1b[H\x1b8x\x1b[H\x1b8y")
    assert m.screen.display[1].startswith("  y")


def test_reset_clears_everything() -> None:
    m, _ = model()
    m.feed(b"x\x1b[?1049h\x1b[?2004h\x1b=\x1b]2;t\x07\x1b[3")
    m.reset()
    m.feed(b"m")
    assert m.screen.alt_mode == 0 and not m.screen.application_keypad
    assert BRACKETED_PASTE not in m.screen.mode
    assert m.screen.display[0].startswith("m ")
    assert m.size == (4, 20)
