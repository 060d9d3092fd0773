"""One protocol module owns every message; one module owns every exit code and exception.

Reads the package's source with ``ast``, does not import it.  It fails when

* a message is spelled by hand: a dict literal whose ``"t"`` names a
  message kind (or opens the dict), outside ``core/control_protocol.py``;
* an exit code is a bare number: ``code``, ``returncode``, ``status`` or
  ``rc`` compared with an integer other than 0; a ``SessError``,
  ``Quit`` or protocol ``error`` given an integer code; a command that
  returns an integer other than 0;
* a process ends with a number of its own: ``raise SystemExit(N)``,
  ``sys.exit(N)`` or ``os._exit(N)`` (N not 0) outside ``commands/cli.py``;
* an exception class is defined outside ``core/errors.py`` (save those
  in :data:`ALLOWED_EXCEPTIONS`, each with its reason).

Each rule is shown to catch a synthetic bad source.
"""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import pytest

from sessmux.core import control_protocol

ROOT = Path(__file__).resolve().parent.parent.parent
PACKAGE = ROOT / "sessmux"
PROTOCOL = "core/control_protocol.py"
ERRORS = "core/errors.py"
CLI = "commands/cli.py"

# Exception classes allowed outside core/errors.py: {"path": {"Class": "why"}}.
# Empty: ProtocolError, ResumeError, Hangup and rezume's Quit moved there too.
ALLOWED_EXCEPTIONS: dict[str, dict[str, str]] = {}

CODE_NAMES = frozenset(("code", "returncode", "status", "rc"))
RAISES_WITH_CODE = frozenset(("SessError", "Quit"))
BUILTIN_EXCEPTIONS = frozenset(
    name for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
)


def _name(node: ast.expr) -> str:
    """``x`` of ``x`` or of ``a.b.x``; "" for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _number(node: ast.expr | None, zero_too: bool = False) -> bool:
    """Whether ``node`` is an integer literal (other than 0 unless ``zero_too``)."""
    return (isinstance(node, ast.Constant) and type(node.value) is int
            and (zero_too or node.value != 0))


def _exception_names(tree: ast.Module) -> set[str]:
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}


def violations(path: str, source: str, exceptions: frozenset[str] = frozenset()) -> list[str]:
    """What ``source`` (the module at ``path``, relative to sessmux/) breaks of the contract.

    ``exceptions``: the class names core/errors.py defines (deriving from
    one of them defines an exception too).
    """
    tree = ast.parse(source, path)
    said: list[str] = []

    def say(node: ast.AST, what: str) -> None:
        said.append(f"sessmux/{path}:{getattr(node, 'lineno', 0)}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Dict) and path != PROTOCOL:
            for i, key in enumerate(node.keys):
                if not (isinstance(key, ast.Constant) and key.value == "t"):
                    continue
                value = node.values[i]
                kind = value.value if isinstance(value, ast.Constant) else None
                if kind in control_protocol.KINDS or (
                        i == 0 and not isinstance(value, ast.Lambda)):
                    say(node, "a message spelled by hand (use a control_protocol constructor)")
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            sides += [e for s in sides if isinstance(s, (ast.Tuple, ast.List, ast.Set))
                      for e in s.elts]
            if any(_name(s) in CODE_NAMES for s in sides) and any(_number(s) for s in sides):
                say(node, "an exit code compared with a bare number (name it in core/errors)")
        elif isinstance(node, ast.Call):
            func = _name(node.func)
            args = node.args
            if func in RAISES_WITH_CODE and (
                    any(_number(a, zero_too=True) for a in args)
                    or any(k.arg == "code" and _number(k.value, True) for k in node.keywords)):
                say(node, f"{func} with a bare exit code (name it in core/errors)")
            elif func == "error" and args and _number(args[0], zero_too=True):
                say(node, "a protocol error with a bare code (name it in core/errors)")
            elif path != CLI and (
                    (func == "SystemExit" and args and _number(args[0]))
                    or (func == "exit" and _name(node.func.value if isinstance(
                        node.func, ast.Attribute) else node.func) == "sys"
                        and args and _number(args[0], zero_too=True))
                    or (func == "_exit" and args and _number(args[0]))):
                say(node, "a process ended with a bare exit code (return it to cli.run)")
        elif isinstance(node, ast.Return) and path.startswith("commands/"):
            if _number(node.value):
                say(node, "a command returns a bare exit code (name it in core/errors)")
        elif isinstance(node, ast.ClassDef) and path != ERRORS:
            bases = {_name(b) for b in node.bases}
            if bases & (BUILTIN_EXCEPTIONS | exceptions) and (
                    node.name not in ALLOWED_EXCEPTIONS.get(path, {})):
                say(node, f"exception {node.name} defined outside core/errors.py")
    return said


def _package() -> dict[str, str]:
    return {str(p.relative_to(PACKAGE)): p.read_text(encoding="utf-8")
            for p in sorted(PACKAGE.rglob("*.py"))}


def test_the_package_keeps_the_contract() -> None:
    sources = _package()
    exceptions = frozenset(_exception_names(ast.parse(sources[ERRORS])))
    said = [line for path, source in sources.items()
            for line in violations(path, source, exceptions)]
    assert not said, "\n".join(said)


def test_the_allowed_exceptions_still_exist() -> None:
    """An allow-list entry whose class is gone is shrunk, not kept."""
    sources = _package()
    for path, allowed in ALLOWED_EXCEPTIONS.items():
        assert set(allowed) <= _exception_names(ast.parse(sources[path])), path


BAD = {
    "message": ('conn.send({"t": "ok"})\n', "commands/x.py"),
    "message with a computed kind": ('conn.send({"t": kind, "code": 2})\n', "master/x.py"),
    "kind compared later": ('reply = {"x": 1, "t": "status"}\n', "client/x.py"),
    "code compared": ('if code == 16:\n    pass\n', "sessview/x.py"),
    "returncode compared": ('ok = 255 != q.returncode\n', "commands/x.py"),
    "status in numbers": ('if status in (1, 2):\n    pass\n', "remote/x.py"),
    "SessError code": ('raise SessError("no", 11)\n', "commands/x.py"),
    "SessError code keyword": ('raise errors.SessError("no", code=2)\n', "master/x.py"),
    "Quit code": ('raise Quit(255, "gave up")\n', "remote/x.py"),
    "protocol error code": ('conn.send(control_protocol.error(2, "no"))\n', "master/x.py"),
    "SystemExit": ("raise SystemExit(3)\n", "commands/sess.py"),
    "sys.exit": ("sys.exit(0)\n", "sessview/x.py"),
    "os._exit": ("os._exit(127)\n", "master/x.py"),
    "return code": ("def main() -> int:\n    return 130\n", "commands/x.py"),
    "exception": ("class Oops(Exception):\n    pass\n", "remote/x.py"),
    "derived exception": ("class Oops(SessError):\n    pass\n", "commands/x.py"),
    "protocol exception": ("class Bad(ValueError):\n    pass\n", "core/resume_protocol.py"),
}

GOOD = {
    "constructor": ("conn.send(control_protocol.ok())\n", "master/x.py"),
    "messages in the protocol": ('def ok():\n    return {"t": "ok"}\n', PROTOCOL),
    "a key table": ('keys = {"a": "attach", "t": "attach-or-create"}\n', "commands/x.py"),
    "a key binding": ('keys = {"q": quit, "t": lambda: tile()}\n', "sessview/x.py"),
    "named code": ("if code == ELSEWHERE or rc != 0:\n    pass\n", "sessview/x.py"),
    "SessError by name": ('raise SessError("no", COMMS)\n', "commands/x.py"),
    "SystemExit 0": ("raise SystemExit(0)\n", "commands/x.py"),
    "sys.exit of a value": ("sys.exit(main())\n", "sessview/x.py"),
    "cli ends": ("sys.exit(code)\nos._exit(2)\n", CLI),
    "return 0": ("def main() -> int:\n    return 0\n", "commands/x.py"),
    "exceptions at home": ("class SessError(Exception):\n    pass\n", ERRORS),
    "a plain class": ("class Frame:\n    pass\n", "core/x.py"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_breach_is_found(case: str) -> None:
    source, path = BAD[case]
    found = violations(path, source, frozenset({"SessError"}))
    assert len(found) == 1, found


@pytest.mark.parametrize("case", sorted(GOOD))
def test_what_keeps_the_contract_passes(case: str) -> None:
    source, path = GOOD[case]
    assert violations(path, source, frozenset({"SessError"})) == []
