"""What escape sequences mean: the screen method each one calls, and its numbers.

No I/O, no state: the vocabulary :class:`~sessmux.core.vtparse.VTParser`
reads with.  The C0 controls, the CSI and ESC finals a screen acts on
(named as pyte's screen methods, which :mod:`sessmux.core.screen`
implements), the strings that carry no screen text, and how parameters
read -- empty or odd is 0, huge is :data:`MAX_PARAM`, ITU T.416 colons
for colours and underline styles.

>>> params("1;;38:5:9"), params("4:3"), params("99999")
([1, 0, 38, 5, 9], [65539], [9999])
>>> CSI_METHODS["m"], ESC_METHODS["7"]
('select_graphic_rendition', 'save_cursor')
"""

from __future__ import annotations

# Strings (their payload is never screen text), by their ESC or C1 introducer.
STRING_STARTS = {"]": "osc", "P": "dcs", "X": "sos", "^": "pm", "_": "apc"}
C1_STRING_STARTS = {"\x9d": "osc", "\x90": "dcs", "\x98": "sos", "\x9e": "pm", "\x9f": "apc"}
CONTROLS = {
    "\x07": "bell",
    "\x08": "backspace",
    "\x09": "tab",
    "\x0a": "linefeed",
    "\x0b": "linefeed",
    "\x0c": "linefeed",
    "\x0d": "carriage_return",
    "\x0e": "shift_out",
    "\x0f": "shift_in",
}
# CSI finals without marker or intermediates -> screen method.
CSI_METHODS = {
    "@": "insert_characters",
    "A": "cursor_up",
    "B": "cursor_down",
    "C": "cursor_forward",
    "D": "cursor_back",
    "E": "cursor_down1",
    "F": "cursor_up1",
    "G": "cursor_to_column",
    "H": "cursor_position",
    "J": "erase_in_display",
    "K": "erase_in_line",
    "L": "insert_lines",
    "M": "delete_lines",
    "P": "delete_characters",
    "S": "scroll_up",
    "T": "scroll_down",
    "X": "erase_characters",
    "`": "cursor_to_column",
    "a": "cursor_forward",
    "c": "report_device_attributes",
    "d": "cursor_to_line",
    "e": "cursor_down",
    "f": "cursor_position",
    "g": "clear_tab_stop",
    "h": "set_mode",
    "l": "reset_mode",
    "m": "select_graphic_rendition",
    "n": "report_device_status",
    "r": "set_margins",
    "s": "save_cursor",
    "u": "restore_cursor",
}
ESC_METHODS = {
    "c": "reset",
    "D": "index",
    "E": "next_line",
    "M": "reverse_index",
    "H": "set_tab_stop",
    "7": "save_cursor",
    "8": "restore_cursor",
    "=": "keypad_application",
    ">": "keypad_numeric",
}
MAX_PARAM = 9999  # a larger number means this (int() of 5,000 digits raises)
MAX_PARAMS = 32  # parameters after this many are ignored, as terminals do
#: ``4:N`` (underline style N) reaches the screen as this plus N; real
#: parameters are capped far below it.
UNDERLINE_STYLE = 1 << 16


def number(field: str) -> int:
    """A parameter's value: empty or odd means 0, huge means ``MAX_PARAM``."""
    if not field.isdigit():
        return 0
    field = field.lstrip("0")
    return MAX_PARAM if len(field) > 4 else int(field or 0)


def params(text: str) -> list[int]:
    """``"1;;38:5:9"`` -> ``[1, 0, 38, 5, 9]``: empty means 0, as in pyte."""
    out: list[int] = []
    for field in text.split(";", MAX_PARAMS)[:MAX_PARAMS]:
        if ":" in field:
            out.extend(colon_params(field.split(":", 8)[:8]))
        else:
            out.append(number(field))
    return out


def colon_params(sub: list[str]) -> list[int]:
    """ITU T.416 sub-parameters: colours (38, 48, 58) and underline styles (``4:3``)."""
    nums = [number(s) for s in sub]
    head = nums[0]
    if head in (38, 48, 58) and len(nums) >= 3 and nums[1] == 5:
        return [head, 5, min(nums[2], 255)]
    if head in (38, 48, 58) and len(nums) >= 5 and nums[1] == 2:
        return [head, 2, *(min(n, 255) for n in nums[-3:])]
    if head == 4:
        style = nums[1] if len(nums) > 1 else 1
        return [UNDERLINE_STYLE + style if 0 <= style <= 5 else 4]
    return []  # a colon after anything else: not a sequence terminals act on
