"""JSON for frame bodies, without importing the ``json`` package.

No I/O.  Every tool and every master speaks JSON frames, and ``json``
brings ``re`` and its compiled patterns with it: about 5 ms of start-up and
half a megabyte in every process.  CPython's own accelerator ``_json``
(the C scanner and encoder that ``json`` itself drives) does the work
here; elsewhere the plain ``json`` package does.

>>> dumps({"t": "ok", "n": [1, 2.5, None, True], "s": "é"})
'{"t":"ok","n":[1,2.5,null,true],"s":"\\\\u00e9"}'
>>> loads(' {"a": [1, {"b": "x"}]} ')
{'a': [1, {'b': 'x'}]}

Whatever the text, ``loads`` returns a value or raises ValueError (NaN,
Infinity, nesting deeper than the interpreter's recursion limit included).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


_DEEP = "nested too deeply"  # a frame of 60000 "[" must not reach past the decoder


def _unserialisable(value: object) -> object:
    raise TypeError(f"{type(value).__name__} cannot be sent in a frame")


def _constant(name: str) -> object:
    raise ValueError(f"{name} is not allowed in a frame")


class _Context:
    """What ``_json.make_scanner`` reads off ``json.JSONDecoder``."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = staticmethod(_constant)


try:
    import _json

    _encode: Callable[[Any, int], Any] = _json.make_encoder(
        None, _unserialisable, _json.encode_basestring_ascii, None, ":", ",", False, False, False)
    # typeshed wants a scanner here; what the C code reads is the attributes above.
    _scan: Callable[[str, int], tuple[Any, int]] = _json.make_scanner(
        _Context())  # type: ignore[arg-type]
except (ImportError, AttributeError, TypeError):  # not CPython: the plain package
    import json

    def dumps(value: Any) -> str:
        """``value`` as compact ASCII JSON."""
        return json.dumps(value, separators=(",", ":"), allow_nan=False)

    def loads(text: str) -> Any:
        """The value of one JSON document; ValueError if it is not one."""
        try:
            return json.loads(text, parse_constant=_constant)
        except RecursionError:
            raise ValueError(_DEEP) from None
else:
    def dumps(value: Any) -> str:
        """``value`` as compact ASCII JSON."""
        return "".join(_encode(value, 0))

    def loads(text: str) -> Any:
        """The value of one JSON document; ValueError if it is not one."""
        start = len(text) - len(text.lstrip(" \t\n\r"))
        try:
            value, end = _scan(text, start)
        except RecursionError:
            raise ValueError(_DEEP) from None
        except StopIteration as e:
            raise ValueError(f"expected a value at character {e.value}") from None
        except (ValueError, SystemError):
            # The C scanner reports errors with json.decoder's exception and
            # cannot before that module is loaded: let json say what is wrong.
            import json

            try:
                json.loads(text, parse_constant=_constant)
            except RecursionError:
                raise ValueError(_DEEP) from None
            raise ValueError("not JSON") from None
        if text[end:].strip(" \t\n\r"):
            raise ValueError(f"extra data at character {end}")
        return value
